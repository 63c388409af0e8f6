//! Random streams: every stream is ChaCha20 keyed by (experiment, method, d, seed, purpose).

use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;

pub use crate::seed::{key, stream};

/// What a stream is keyed by. `purpose` separates e.g. initial states, training noise and
/// evaluation noise within one run.
///
/// Two kinds of stream: [`StreamKey::stream`] is the method's own (its training noise), keyed by
/// (experiment, method, d, seed, purpose); [`StreamKey::common`] is shared by every method at the
/// same (experiment, target, d, seed): initial parameters, evaluation noise and reference target
/// samples, so that methods are compared on common random numbers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StreamKey {
    pub experiment: String,
    pub method: String,
    pub dim: usize,
    pub seed: u64,
    /// The problem's name ("" where a caller has one problem only); keys the common streams.
    pub target: String,
}

impl StreamKey {
    pub fn new(experiment: &str, method: &str, dim: usize, seed: u64) -> Self {
        Self {
            experiment: experiment.to_string(),
            method: method.to_string(),
            dim,
            seed,
            target: String::new(),
        }
    }

    /// The same key for the problem `target` (the common streams differ between problems).
    pub fn with_target(mut self, target: &str) -> Self {
        self.target = target.to_string();
        self
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

    /// The stream for one purpose shared by every method at this (experiment, target, d, seed):
    /// the method is not part of its key (common random numbers).
    pub fn common(&self, purpose: &str) -> ChaCha20Rng {
        stream(&[
            &self.experiment,
            "common",
            &self.target,
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
