//! Inference: the generation SDE of [`VpSchedule::drift_coeffs`] on the SOC grid, for any ε̂
//! (the base model's or a fine-tuned one's) and any noise level η, from a given noise stream.
//! η = 1 is the memoryless SDE the fine-tuning problem is posed on (DDPM-like), η = 0 the
//! probability-flow ODE (DDIM-like). At η = 1 the step is exactly the Euler–Maruyama step of the
//! SOC problem ([`super::problem::FineTuneProblem`]).

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::rng::normals_f32;
use socbench_harness::tensor_util::tensor2_from_f32;

use super::denoiser::label_column;
use super::schedule::VpSchedule;
use crate::digits::PIXELS;

/// The sampler's grid and guidance.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SamplerConfig {
    /// Steps of the uniform grid on s ∈ [0, 1 − t_min].
    pub steps: usize,
    /// Classifier-free guidance weight w.
    pub guidance: f64,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        Self {
            steps: 40,
            guidance: 0.25,
        }
    }
}

/// ε̂(x, t, labels [n, 1]) of some model.
pub type EpsFn<'a> = dyn Fn(Tensor<B, 2>, f64, Tensor<B, 2>) -> Tensor<B, 2> + 'a;

/// Final images [n, 64] for classes `labels`, with X_0 and then ξ_0, ξ_1, … drawn from `rng`
/// (each [n, 64]; at η = 0 the ξ are drawn and unused, so X_0 is the same for every η).
pub fn generate(
    eps: &EpsFn<'_>,
    sched: &VpSchedule,
    cfg: &SamplerConfig,
    eta: f64,
    labels: &[usize],
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> Tensor<B, 2> {
    let n = labels.len();
    let lab = label_column(labels, device);
    let normal =
        |rng: &mut ChaCha20Rng| tensor2_from_f32(normals_f32(rng, n * PIXELS), n, PIXELS, device);
    let mut x = normal(rng);
    let dt = sched.horizon() / cfg.steps as f64;
    for k in 0..cfg.steps {
        let s = k as f64 * dt;
        let (cx, ce) = sched.drift_coeffs(s, eta);
        let e = eps(x.clone(), sched.diffusion_time(s), lab.clone()).detach();
        let xi = normal(rng);
        x = x.clone() + (x.mul_scalar(cx) + e.mul_scalar(ce)).mul_scalar(dt);
        if eta > 0.0 {
            x = x + xi.mul_scalar(sched.sigma(s, eta) * dt.sqrt());
        }
        x = x.detach();
    }
    x
}
