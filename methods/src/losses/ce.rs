//! CE: the cross-entropy loss (eq. 17), the importance-weighted forward KL up to a constant; under
//! the trust region (TR-CE) the buffer's weights are tilted by τ = 1/(1+λ_i).

use burn::prelude::*;
use socbench_harness::control::Control;
use socbench_harness::problem::SocProblem;
use socbench_harness::backend::B;

use crate::loss::{wrong_batch, Batch, Loss, LossSpec, Needs, Simulation, Tilt};

pub const SPEC: LossSpec = LossSpec {
    name: "ce",
    summary: "cross entropy: forward KL with self-normalised weights softmax(τ log w) (eq. 17)",
    buffer: true,
    reads: &[],
    build: |_, _| Box::new(Ce),
};

struct Ce;

impl Loss for Ce {
    fn needs(&self) -> Needs {
        Needs::PATHS
    }

    fn loss(
        &mut self,
        batch: Batch<'_>,
        problem: &dyn SocProblem,
        u: &dyn Control,
        tilt: Tilt,
    ) -> Result<Tensor<B, 1>, String> {
        match batch {
            Batch::Paths(b) => Ok(super::cross_entropy(b, problem, u, tilt.tau)),
            Batch::Differentiable(_) => Err(wrong_batch(SPEC.name, Simulation::Detached)),
        }
    }
}
