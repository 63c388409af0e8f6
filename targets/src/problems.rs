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

use crate::pis::PisProblem;
use crate::quadratic::{QuadraticOu, RiccatiControl, NAMES as OU_NAMES};
use crate::sampling::{OptimalGmmControl, SamplingProblem};
use crate::TargetSpec;

impl Benchmark for SamplingProblem {
    fn horizon(&self) -> f64 {
        self.schedule.horizon()
    }
    fn base_scale(&self) -> f64 {
        1.0 / (self.eta * self.eta)
    }
    fn native_param(&self) -> socbench_harness::network::NetParam {
        self.native
    }
    fn optimal_control(&self) -> Option<Box<dyn Control + '_>> {
        OptimalGmmControl::new(self).map(|c| Box::new(c) as Box<dyn Control>)
    }
    crate::on_target_benchmark!();
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

/// Builds a process's problem for a target with a number of time steps.
pub type BuildProcess =
    fn(Arc<dyn crate::Target>, usize) -> Result<Box<dyn Benchmark>, TargetError>;

/// A base process a sampling target can be posed on: `<process>:<target>` in a problem name.
/// A bare target name is the DDS problem of the trust-region paper.
pub struct ProcessEntry {
    pub name: &'static str,
    pub summary: &'static str,
    pub build: BuildProcess,
}

/// Every base process. Add yours here (one entry).
pub const PROCESSES: &[ProcessEntry] = &[
    ProcessEntry {
        name: "dds",
        summary:
            "DDS (App. E): reversed OU with the cosine schedule, prior N(0, η²I) (the default)",
        build: |t, steps| {
            SamplingProblem::new(t, steps)
                .map(|p| Box::new(p) as Box<dyn Benchmark>)
                .map_err(|e| TargetError::range("time_steps", steps, e.to_string()))
        },
    },
    ProcessEntry {
        name: "pis",
        summary: "PIS (arXiv 2307.01198): Brownian motion from 0, σ = √0.2, T = 5, Euler–Maruyama",
        build: |t, steps| Ok(Box::new(PisProblem::new(t, steps))),
    },
    ProcessEntry {
        name: "dis",
        summary: "DIS (arXiv 2307.01198): reversed VP process (β 10 → 0.1), prior N(0, I) \
                  truncated at quantile 1e-4",
        build: |t, steps| {
            SamplingProblem::dis(t, steps, 1e-4)
                .map(|p| Box::new(p) as Box<dyn Benchmark>)
                .map_err(|e| TargetError::range("time_steps", steps, e.to_string()))
        },
    },
];

/// Every problem name [`build`] accepts (targets also as `<process>:<target>`).
pub fn names() -> Vec<&'static str> {
    crate::names()
        .into_iter()
        .chain(OU_NAMES.iter().copied())
        .collect()
}

fn allowed_names() -> String {
    format!(
        "{} (sampling targets also as <process>:<target>, process one of {})",
        names().join(", "),
        PROCESSES
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    )
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
    let (process, target) = match name.split_once(':') {
        Some((p, t)) => {
            let entry = PROCESSES.iter().find(|e| e.name == p).ok_or_else(|| {
                TargetError::range(
                    "process",
                    p,
                    PROCESSES
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })?;
            (entry, t)
        }
        None => (&PROCESSES[0], name),
    };
    let target = crate::build(&TargetSpec::new(target, dim)).map_err(|e| match e {
        TargetError::UnknownTarget { name, .. } => TargetError::UnknownTarget {
            name,
            allowed: allowed_names(),
        },
        e => e,
    })?;
    (process.build)(Arc::from(target), steps)
}
