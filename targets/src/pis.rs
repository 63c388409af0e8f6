//! The Path Integral Sampler's problem (PIS; arXiv 2307.01198 Sec. 2, sde_sampler's
//! `solver/pis.yaml`): the reference is a scaled Brownian motion from a Dirac at 0,
//! dX = σ dW on [0, T] (σ = √0.2, T = 5), so that X_T ~ N(0, σ²T I) under the reference, with
//! running cost f = 0 and terminal cost g(x) = log N(x; 0, σ²T I) − log ρ(x).
//!
//! With zero drift, Euler–Maruyama is the exact law of the reference on the grid: every
//! increment is N(0, σ²Δt I), so X_N ~ N(0, σ²T I) exactly and E_P[e^{−g(X_N)}] = Z holds for
//! the discrete process. The path weights of `socbench_harness::simulate` are then exact.

use std::sync::Arc;

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::counter::EvalCounter;
use socbench_harness::integrator::{EulerMaruyama, Integrator, StepGrid};
use socbench_harness::network::NetParam;
use socbench_harness::problem::{PathProblem, SocProblem};

use crate::gmm::GaussianMixture;
use crate::{Target, LN_2PI};

/// sde_sampler's PIS diffusion coefficient √0.2 (conf/sde/bm_pis.yaml).
pub const SIGMA: f64 = 0.447_213_595_499_957_9;
/// sde_sampler's PIS horizon T = 5.
pub const HORIZON: f64 = 5.0;

pub struct PisProblem {
    pub target: Arc<dyn Target>,
    pub sigma: f64,
    pub horizon: f64,
    integrator: EulerMaruyama,
    counter: EvalCounter,
}

impl PisProblem {
    /// sde_sampler's PIS: σ = √0.2, T = 5, `steps` Euler–Maruyama steps (200 there).
    pub fn new(target: Arc<dyn Target>, steps: usize) -> Self {
        Self::with(target, steps, SIGMA, HORIZON)
    }

    pub fn with(target: Arc<dyn Target>, steps: usize, sigma: f64, horizon: f64) -> Self {
        Self {
            integrator: EulerMaruyama::new(horizon, steps, |_| sigma),
            target,
            sigma,
            horizon,
            counter: EvalCounter::default(),
        }
    }

    /// The reference's terminal variance σ²T.
    pub fn terminal_var(&self) -> f64 {
        self.sigma * self.sigma * self.horizon
    }

    /// log N(x; 0, σ²T I) for x [B, d].
    pub fn log_reference(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let [b, d] = x.dims();
        let v = self.terminal_var();
        x.square()
            .sum_dim(1)
            .mul_scalar(-0.5 / v)
            .sub_scalar(0.5 * d as f64 * (LN_2PI + v.ln()))
            .reshape([b])
    }

    /// ∇ log ρ through the evaluation counter.
    pub fn target_score(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.counter.add_gradient(x.dims()[0]);
        self.target.grad_log_density(x)
    }
}

impl PathProblem for PisProblem {
    fn dim(&self) -> usize {
        self.target.dim()
    }
    fn sigma(&self, _t: f64) -> f64 {
        self.sigma
    }
    fn evals(&self) -> &EvalCounter {
        &self.counter
    }
    fn steps(&self) -> &dyn StepGrid {
        SocProblem::integrator(self)
    }
    fn dynamics(&self) -> Option<&dyn SocProblem> {
        Some(self)
    }
}

impl SocProblem for PisProblem {
    fn drift(&self, x: Tensor<B, 2>, _t: f64) -> Tensor<B, 2> {
        x.zeros_like()
    }
    fn drift_vjp(&self, _x: Tensor<B, 2>, _t: f64, a: Tensor<B, 2>) -> Tensor<B, 2> {
        a.zeros_like()
    }
    fn running_cost(&self, _x: Tensor<B, 2>, _t: f64) -> Option<Tensor<B, 1>> {
        None
    }
    fn running_cost_grad(&self, _x: Tensor<B, 2>, _t: f64) -> Option<Tensor<B, 2>> {
        None
    }
    fn terminal_cost(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        self.counter.add_density(x.dims()[0]);
        self.log_reference(x.clone()) - self.target.log_density(x)
    }
    fn terminal_cost_grad(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.counter.add_gradient(x.dims()[0]);
        x.clone().mul_scalar(-1.0 / self.terminal_var()) - self.target.grad_log_density(x)
    }
    fn sample_initial(&self, n: usize, _rng: &mut ChaCha20Rng, device: &Device) -> Tensor<B, 2> {
        Tensor::zeros([n, self.dim()], device)
    }
    fn integrator(&self) -> &dyn Integrator {
        &self.integrator
    }
}

/// The analytic optimal control of PIS for a Gaussian-mixture target. The optimally controlled
/// process is the reference conditioned on X_T ~ ρ/Z: a Brownian bridge from 0 to a draw of ρ,
/// whose marginal at t is, with a = t/T,
///   p*_t = Σ_k π_k N(a μ_k, a² Σ_k + σ²T a(1 − a) I),
/// and u* = σ ∇log h with h = p*_t / P_t, P_t = N(0, σ²t I):
///   u*(x, t) = σ (∇log p*_t(x) + x/(σ²t)).
/// At t = 0 (where every path sits at x = 0) a is floored at 1e-6, which gives the limit
/// u*(0, 0) = σ Σ_k π_k μ_k/(σ²T) = σ E_ρ[X]/(σ²T) without 0/0.
pub struct OptimalPisGmmControl<'a> {
    pub problem: &'a PisProblem,
    pub gmm: &'a GaussianMixture,
}

impl<'a> OptimalPisGmmControl<'a> {
    pub fn new(problem: &'a PisProblem) -> Option<Self> {
        problem.target.analytic().map(|gmm| Self { problem, gmm })
    }
}

impl Control for OptimalPisGmmControl<'_> {
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        let p = self.problem;
        let a = (t / p.horizon).max(1e-6);
        let v = p.terminal_var();
        let grad = self.gmm.grad_log_marginal(x.clone(), a, v * a * (1.0 - a));
        (grad + x.mul_scalar(1.0 / (v * a))).mul_scalar(p.sigma)
    }
}

impl Benchmark for PisProblem {
    fn horizon(&self) -> f64 {
        self.horizon
    }
    /// eq. 52's base term x/(σ²T) (PIS runs use sde_sampler's `score` form, `native`).
    fn base_scale(&self) -> f64 {
        1.0 / self.terminal_var()
    }
    fn native_param(&self) -> NetParam {
        NetParam::Score
    }
    fn optimal_control(&self) -> Option<Box<dyn Control + '_>> {
        OptimalPisGmmControl::new(self).map(|c| Box::new(c) as Box<dyn Control>)
    }
    crate::on_target_benchmark!();
}
