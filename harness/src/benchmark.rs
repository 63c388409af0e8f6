//! A problem the methods can be trained and evaluated on: an [`SocProblem`] plus what the control
//! network and the evaluation protocol need from it (ground truth where known). Both problem
//! families implement it: DDS sampling of a target ([`SamplingProblem`], App. E) and the
//! classical LQR problems ([`QuadraticOu`], App. G).

use std::sync::Arc;

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_targets::backend::B;
use socbench_targets::{ModeStructure, TargetError, TargetSpec};

use crate::control::{Control, OptimalGmmControl};
use crate::problem::SocProblem;
use crate::quadratic::{QuadraticOu, RiccatiControl, NAMES as OU_NAMES};
use crate::sampling::SamplingProblem;

pub trait Benchmark: SocProblem {
    /// Registry name (`gmm`, `ou-hard`, …).
    fn name(&self) -> &str;
    /// Horizon T (the network sees t/T).
    fn horizon(&self) -> f64;
    /// The factor c of the network's base term f2(t)·c·x (eq. 52: c = 1/η² for DDS, 1 otherwise).
    fn base_scale(&self) -> f64;
    /// ∇log ρ for the Langevin-preconditioned network (eq. 53); `None` without a target density.
    fn score(&self, x: Tensor<B, 2>) -> Option<Tensor<B, 2>>;
    /// Whether [`Benchmark::score`] is available.
    fn has_score(&self) -> bool;
    /// The exact optimal control u*, if known (GMM family, LQR).
    fn optimal_control(&self) -> Option<Box<dyn Control + '_>>;
    /// Reference log Z = log E_P[e^{−W}] (f64), if known (|ΔlogZ|; left empty otherwise).
    fn reference_log_z(&self) -> Option<f64>;
    /// `n` exact samples of the target (row-major n × d), for the Sinkhorn distance.
    fn target_samples(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>>;
    /// Mode structure for the TVD metric.
    fn modes(&self) -> Option<&dyn ModeStructure>;
    /// The optimal value of the cost functional (eq. 1) over the initial law, if known.
    fn optimal_cost(&self) -> Option<f64>;
    /// The optimal value of the simulated (discretised) chain's cost, if known: no control of the
    /// chain can cost less in expectation, whereas `optimal_cost` can be beaten by O(Δt).
    fn discrete_optimal_cost(&self) -> Option<f64> {
        None
    }
    /// The exact optimal control u*_β of the cost βW, if known for every β ∈ [0, 1] (LQR): the
    /// control that refresh i of Algorithm 2 reaches at β_{i+1} when every update is exact
    /// (Prop. 2.2), used to tell a trust-region update that does not track its schedule from a
    /// schedule whose steps exceed ε ([`crate::annealed`]).
    fn annealed_optimal_control(&self, _beta: f64) -> Option<Box<dyn Control + '_>> {
        None
    }
}

impl Benchmark for SamplingProblem {
    fn name(&self) -> &str {
        self.target.name()
    }
    fn horizon(&self) -> f64 {
        self.schedule.horizon
    }
    fn base_scale(&self) -> f64 {
        1.0 / (self.eta * self.eta)
    }
    fn score(&self, x: Tensor<B, 2>) -> Option<Tensor<B, 2>> {
        Some(self.target_score(x))
    }
    fn has_score(&self) -> bool {
        true
    }
    fn optimal_control(&self) -> Option<Box<dyn Control + '_>> {
        OptimalGmmControl::new(self).map(|c| Box::new(c) as Box<dyn Control>)
    }
    fn reference_log_z(&self) -> Option<f64> {
        self.target.log_z()
    }
    fn target_samples(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>> {
        self.target.sample(n, rng)
    }
    fn modes(&self) -> Option<&dyn ModeStructure> {
        self.target.modes()
    }
    fn optimal_cost(&self) -> Option<f64> {
        None
    }
}

impl Benchmark for QuadraticOu {
    fn name(&self) -> &str {
        &self.name
    }
    fn horizon(&self) -> f64 {
        self.lqr.horizon
    }
    fn base_scale(&self) -> f64 {
        1.0
    }
    fn score(&self, _x: Tensor<B, 2>) -> Option<Tensor<B, 2>> {
        None
    }
    fn has_score(&self) -> bool {
        false
    }
    fn optimal_control(&self) -> Option<Box<dyn Control + '_>> {
        Some(Box::new(RiccatiControl { problem: self }))
    }
    fn reference_log_z(&self) -> Option<f64> {
        Some(self.log_z())
    }
    fn target_samples(&self, _n: usize, _rng: &mut ChaCha20Rng) -> Option<Vec<f64>> {
        None
    }
    fn modes(&self) -> Option<&dyn ModeStructure> {
        None
    }
    fn optimal_cost(&self) -> Option<f64> {
        Some(QuadraticOu::optimal_cost(self))
    }
    fn discrete_optimal_cost(&self) -> Option<f64> {
        Some(QuadraticOu::discrete_optimal_cost(self))
    }
    fn annealed_optimal_control(&self, beta: f64) -> Option<Box<dyn Control + '_>> {
        Some(Box::new(self.annealed_optimal(beta)))
    }
}

/// Every problem name [`build`] accepts.
pub fn names() -> Vec<&'static str> {
    socbench_targets::names()
        .into_iter()
        .chain(OU_NAMES.iter().copied())
        .collect()
}

/// Builds a problem by name: a sampling target (DDS problem with `steps` exponential-integrator
/// steps) or a quadratic OU problem (`steps` Euler–Maruyama steps). Errors name the field.
pub fn build(name: &str, dim: usize, steps: usize) -> Result<Box<dyn Benchmark>, TargetError> {
    if steps < 1 {
        return Err(TargetError::range("time_steps", steps, ">= 1"));
    }
    if OU_NAMES.contains(&name) {
        if !(1..=socbench_targets::registry::MAX_DIM).contains(&dim) {
            return Err(TargetError::range(
                "dim",
                dim,
                format!("1..={}", socbench_targets::registry::MAX_DIM),
            ));
        }
        return Ok(Box::new(
            QuadraticOu::named(name, dim, steps).expect("checked against NAMES"),
        ));
    }
    let target = socbench_targets::build(&TargetSpec::new(name, dim)).map_err(|e| match e {
        TargetError::UnknownTarget { name, .. } => TargetError::UnknownTarget {
            name,
            allowed: names().join(", "),
        },
        e => e,
    })?;
    let p = SamplingProblem::new(Arc::from(target), steps)
        .map_err(|e| TargetError::range("time_steps", steps, e.to_string()))?;
    Ok(Box::new(p))
}
