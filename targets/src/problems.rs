//! Every problem by name: the sampling targets of [`crate::registry`] as DDS problems
//! ([`SamplingProblem`], App. E) and the quadratic OU problems ([`QuadraticOu`], App. G), with
//! their [`Benchmark`] ground truth.

use std::sync::Arc;

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::B;
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::error::TargetError;
use socbench_harness::problem::ModeStructure;

use crate::quadratic::{QuadraticOu, RiccatiControl, NAMES as OU_NAMES};
use crate::sampling::{OptimalGmmControl, SamplingProblem};
use crate::TargetSpec;

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
    crate::names()
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
        if !(1..=crate::registry::MAX_DIM).contains(&dim) {
            return Err(TargetError::range(
                "dim",
                dim,
                format!("1..={}", crate::registry::MAX_DIM),
            ));
        }
        return Ok(Box::new(
            QuadraticOu::named(name, dim, steps).expect("checked against NAMES"),
        ));
    }
    let target = crate::build(&TargetSpec::new(name, dim)).map_err(|e| match e {
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
