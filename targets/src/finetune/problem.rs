//! Reward fine-tuning as the SOC problem of eq. (1) (paper Sec. 3.3, Cor. 3.1): the uncontrolled
//! process is the base model's memoryless generation SDE, the terminal cost is the negative
//! reward times a multiplier λ_r, and there is no running cost:
//!   dX = b(X, s) ds + σ(s)(u ds + dW),  b = ½β X − β ε̂_base/√(1 − ᾱ),  σ = √β,
//!   g(x) = −λ_r r(x, c),  X_0 ~ N(0, I).
//! The optimal control tilts the base model's samples by exp(λ_r r). The state is the image and
//! its class c (one trailing condition coordinate: no drift, noise or control act on it). The
//! controlled drift b + σu is the fine-tuned model's: u = (b_ft − b_base)/σ
//! (`socbench_methods::finetune::FineTuneControl`).

use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::counter::EvalCounter;
use socbench_harness::integrator::{EulerMaruyama, Integrator, StepGrid};
use socbench_harness::problem::{PathProblem, SocProblem};
use socbench_harness::rng::normals_f32;
use socbench_harness::tensor_util::tensor2_from_f32;

use super::denoiser::{label_column, Denoiser};
use super::mlp::Mlp;
use super::reward::{reward_parts, RewardConfig};
use super::sampler::SamplerConfig;
use super::schedule::VpSchedule;
use crate::autodiff_grad;
use crate::digits::PIXELS;

pub struct FineTuneProblem<'a> {
    /// The base network, out of the autodiff graph (`no_grad`): its own passes (ε̂_base, the
    /// lean adjoint's VJP in x) track no parameter, so they never share a graph node with the
    /// fine-tuned copy or with another thread's problem. burn-autodiff 0.21 frees the nodes of
    /// any graph after any thread's backward pass (`cleanup_orphaned_entries`); graphs tied to
    /// shared tracked parameters then lost backward steps depending on what other threads did,
    /// which made fine-tuning runs differ (issue 37, docs/determinism.md).
    pub base: Denoiser<B>,
    /// The reward classifier, out of the autodiff graph likewise (∇g tracks x only).
    pub reward_classifier: Mlp<B>,
    pub reward: RewardConfig,
    pub sched: VpSchedule,
    pub sampler: SamplerConfig,
    /// λ_r: g = −λ_r r.
    pub multiplier: f64,
    /// The prompts (classes) rollouts cycle through.
    pub classes: Vec<usize>,
    integ: EulerMaruyama,
    evals: EvalCounter,
    _borrowed: std::marker::PhantomData<&'a ()>,
}

/// Splits a state [n, 65] into the image [n, 64] and the class column [n, 1].
pub fn split_state(x: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let n = x.dims()[0];
    (
        x.clone().slice([0..n, 0..PIXELS]),
        x.slice([0..n, PIXELS..PIXELS + 1]),
    )
}

/// An image-space tensor [n, 64] padded with a zero condition column.
pub fn pad(img: Tensor<B, 2>) -> Tensor<B, 2> {
    let n = img.dims()[0];
    let z = Tensor::zeros([n, 1], &img.device());
    Tensor::cat(vec![img, z], 1)
}

impl<'a> FineTuneProblem<'a> {
    pub fn new(
        base: &'a Denoiser<B>,
        reward_classifier: &'a Mlp<B>,
        reward: RewardConfig,
        sched: VpSchedule,
        sampler: SamplerConfig,
        multiplier: f64,
        classes: Vec<usize>,
    ) -> Self {
        let integ = EulerMaruyama::new(sched.horizon(), sampler.steps, |s| sched.sigma(s, 1.0));
        Self {
            base: base.clone().no_grad(),
            reward_classifier: reward_classifier.clone().no_grad(),
            reward,
            sched,
            sampler,
            multiplier,
            classes,
            integ,
            evals: EvalCounter::default(),
            _borrowed: std::marker::PhantomData,
        }
    }

    /// The base model's guided ε̂ at SOC time s.
    pub fn base_eps(&self, img: Tensor<B, 2>, s: f64, labels: Tensor<B, 2>) -> Tensor<B, 2> {
        self.base.guided(
            img,
            self.sched.diffusion_time(s),
            labels,
            self.sampler.guidance,
        )
    }

    /// The reward r(x, c) per row of states [n, 65].
    pub fn reward_of(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let (img, lab) = split_state(x);
        reward_parts(&self.reward_classifier, &self.reward, img, lab).0
    }
}

impl PathProblem for FineTuneProblem<'_> {
    fn dim(&self) -> usize {
        PIXELS + 1
    }
    fn condition_dims(&self) -> usize {
        1
    }
    fn sigma(&self, s: f64) -> f64 {
        self.sched.sigma(s, 1.0)
    }
    fn evals(&self) -> &EvalCounter {
        &self.evals
    }
    fn steps(&self) -> &dyn StepGrid {
        SocProblem::integrator(self)
    }
    fn dynamics(&self) -> Option<&dyn SocProblem> {
        Some(self)
    }
}

impl SocProblem for FineTuneProblem<'_> {
    fn drift(&self, x: Tensor<B, 2>, s: f64) -> Tensor<B, 2> {
        let (img, lab) = split_state(x);
        let (cx, ce) = self.sched.drift_coeffs(s, 1.0);
        let e = self.base_eps(img.clone(), s, lab);
        pad(img.mul_scalar(cx) + e.mul_scalar(ce))
    }
    /// (∇_x b)ᵀ a by autodiff through the base network (the lean adjoint's only network pass).
    fn drift_vjp(&self, x: Tensor<B, 2>, s: f64, a: Tensor<B, 2>) -> Tensor<B, 2> {
        let (_, lab) = split_state(x.clone());
        let (a_img, _) = split_state(a.detach());
        let (cx, ce) = self.sched.drift_coeffs(s, 1.0);
        let g = autodiff_grad(
            |xx| {
                let n = xx.dims()[0];
                let img = xx.slice([0..n, 0..PIXELS]);
                let lab = lab.clone().detach();
                let b = img.clone().mul_scalar(cx) + self.base_eps(img, s, lab).mul_scalar(ce);
                (b * a_img.clone()).sum_dim(1).reshape([n])
            },
            split_state(x).0,
        );
        pad(g)
    }
    fn running_cost(&self, _x: Tensor<B, 2>, _s: f64) -> Option<Tensor<B, 1>> {
        None
    }
    fn running_cost_grad(&self, _x: Tensor<B, 2>, _s: f64) -> Option<Tensor<B, 2>> {
        None
    }
    fn terminal_cost(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        self.evals.add_density(x.dims()[0]);
        self.reward_of(x.detach()).mul_scalar(-self.multiplier)
    }
    fn terminal_cost_grad(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.evals.add_gradient(x.dims()[0]);
        let (_, lab) = split_state(x.clone());
        let g = autodiff_grad(
            |img| {
                let lab = lab.clone().detach();
                reward_parts(&self.reward_classifier, &self.reward, img, lab).0
            },
            split_state(x).0,
        );
        pad(g.mul_scalar(-self.multiplier))
    }
    /// X_0 ~ N(0, I) and classes that cycle through the prompts from a random offset (balanced
    /// batches).
    fn sample_initial(&self, n: usize, rng: &mut ChaCha20Rng, device: &Device) -> Tensor<B, 2> {
        let img = tensor2_from_f32(normals_f32(rng, n * PIXELS), n, PIXELS, device);
        let k = self.classes.len();
        let off = rng.random_range(0..k);
        let classes: Vec<usize> = (0..n).map(|i| self.classes[(i + off) % k]).collect();
        Tensor::cat(vec![img, label_column(&classes, device)], 1)
    }
    fn integrator(&self) -> &dyn Integrator {
        &self.integ
    }
}
