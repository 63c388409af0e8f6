//! LV: the log-variance loss (eq. 16). On-policy the reference is the detached current control;
//! under the trust region (TR-LV) the buffer's weights are tilted by τ = 1/(1+λ_i).

use burn::prelude::*;
use socbench_harness::control::Control;
use socbench_harness::problem::SocProblem;
use socbench_harness::backend::B;

use crate::loss::{wrong_batch, Batch, Loss, LossSpec, Needs, Simulation, Tilt};

pub const SPEC: LossSpec = LossSpec {
    name: "lv",
    summary: "log-variance of log dP^v/dP^u + τ log w (eq. 16)",
    buffer: true,
    reads: &[],
    build: |_, _| Box::new(Lv),
};

struct Lv;

impl Loss for Lv {
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
            Batch::Paths(b) => Ok(super::log_variance(b, problem, u, tilt.tau)),
            Batch::Differentiable(_) => Err(wrong_batch(SPEC.name, Simulation::Detached)),
        }
    }
}
