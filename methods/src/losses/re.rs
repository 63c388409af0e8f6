//! RE: the relative entropy (reverse KL), differentiated through the SDE (eq. 46).

use burn::prelude::*;
use socbench_harness::backend::B;
use socbench_harness::control::Control;
use socbench_harness::problem::PathProblem;

use crate::loss::{Batch, Loss, LossSpec, Needs, Simulation, Tilt};

pub const SPEC: LossSpec = LossSpec {
    name: "re",
    summary: "relative entropy / reverse KL, differentiated through the SDE (eq. 46)",
    buffer: false,
    sampler_free: false,
    reads: &[],
    build: |_, _| Box::new(Re),
};

struct Re;

impl Loss for Re {
    fn needs(&self) -> Needs {
        Needs {
            simulation: Simulation::Differentiable,
            ..Needs::PATHS
        }
    }

    fn loss(
        &mut self,
        batch: Batch<'_>,
        _: &dyn PathProblem,
        _: &dyn Control,
        _: Tilt,
    ) -> Result<Tensor<B, 1>, String> {
        Ok(super::relative_entropy(batch.differentiable(SPEC.name)?))
    }
}
