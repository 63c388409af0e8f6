//! AM: adjoint matching, the unweighted regression of u onto −σᵀã with the lean adjoint
//! (eq. 18, β = 1). Valid on u's own paths only, so the trust region does not wrap it (its
//! weighted form is SOCM).

use burn::prelude::*;
use socbench_harness::control::Control;
use socbench_harness::problem::SocProblem;
use socbench_harness::backend::B;

use crate::loss::{wrong_batch, Batch, Loss, LossSpec, Needs, Simulation, Tilt};

pub const SPEC: LossSpec = LossSpec {
    name: "am",
    summary: "adjoint matching: regression onto the lean adjoint's target (eq. 18)",
    buffer: false,
    reads: &[],
    build: |_, _| Box::new(Am),
};

struct Am;

impl Loss for Am {
    fn needs(&self) -> Needs {
        Needs {
            adjoints: true,
            ..Needs::PATHS
        }
    }

    fn loss(
        &mut self,
        batch: Batch<'_>,
        problem: &dyn SocProblem,
        u: &dyn Control,
        _: Tilt,
    ) -> Result<Tensor<B, 1>, String> {
        match batch {
            Batch::Paths(b) => Ok(super::adjoint_matching(b, problem, u, None)),
            Batch::Differentiable(_) => Err(wrong_batch(SPEC.name, Simulation::Detached)),
        }
    }
}
