//! Random streams: every stream is ChaCha20 keyed by (experiment, method, d, seed, purpose).

use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;

pub use socbench_targets::seed::{key, stream};

/// What a stream is keyed by. `purpose` separates e.g. initial states, training noise and
/// evaluation noise within one run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StreamKey {
    pub experiment: String,
    pub method: String,
    pub dim: usize,
    pub seed: u64,
}

impl StreamKey {
    pub fn new(experiment: &str, method: &str, dim: usize, seed: u64) -> Self {
        Self {
            experiment: experiment.to_string(),
            method: method.to_string(),
            dim,
            seed,
        }
    }

    /// The stream for one purpose.
    pub fn stream(&self, purpose: &str) -> ChaCha20Rng {
        stream(&[
            &self.experiment,
            &self.method,
            &self.dim.to_string(),
            &self.seed.to_string(),
            purpose,
        ])
    }
}

/// `n` standard normal f32 draws.
pub fn normals_f32(rng: &mut ChaCha20Rng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| rng.sample::<f32, _>(StandardNormal))
        .collect()
}
