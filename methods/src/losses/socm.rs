//! SOCM: the adjoint-matching regression weighted by dQ/dP^u (eq. 18–19). On-policy the weights
//! are self-normalised per batch (`socm_weights = "batch"`) or divided by SOC-matching's running
//! mean (`"ema"`, [`EmaNormaliser`]). Under the trust region (TR-SOCM) the adjoints are scaled by
//! β_{i+1} and the weights are the dual's w^τ, or those of eq. 131 (`tr.socm_weights =
//! "annealed"`).

use burn::prelude::*;
use socbench_harness::backend::B;
use socbench_harness::control::Control;
use socbench_harness::problem::PathProblem;

use crate::config::{SocmWeights, TrSocmWeights, TrainConfig};
use crate::loss::{Batch, Loss, LossSpec, Needs, Tilt, Trainer};
use crate::normaliser::EmaNormaliser;
use crate::paths::PathBatch;

pub const SPEC: LossSpec = LossSpec {
    name: "socm",
    summary: "SOC matching: the adjoint-matching regression weighted by dQ/dP^u (eq. 18–19)",
    buffer: true,
    sampler_free: false,
    reads: &["socm_weights", "tr.socm_weights"],
    build,
};

fn build(cfg: &TrainConfig, trainer: Trainer) -> Box<dyn Loss> {
    let on_policy = trainer == Trainer::OnPolicy;
    Box::new(Socm {
        ema: (on_policy && cfg.socm_weights == SocmWeights::Ema).then(EmaNormaliser::default),
        annealed: !on_policy && cfg.tr.socm_weights == TrSocmWeights::Annealed,
    })
}

struct Socm {
    /// SOC-matching's running-mean normaliser (on-policy, `socm_weights = "ema"`).
    ema: Option<EmaNormaliser>,
    /// The weights of eq. 131 instead of the dual's (trust region, `tr.socm_weights = "annealed"`).
    annealed: bool,
}

impl Loss for Socm {
    fn needs(&self) -> Needs {
        Needs {
            adjoints: true,
            ..Needs::PATHS
        }
    }

    /// The adjoints at β; with eq. 131's weights, log w + (1 − β)W self-normalised (τ = 1).
    fn prepare(&mut self, batch: &mut PathBatch, problem: &dyn PathProblem, tilt: &mut Tilt) {
        if let Some(dynamics) = problem.dynamics() {
            batch.compute_adjoints(dynamics, tilt.beta);
        }
        if self.annealed {
            let work = batch.work.as_deref().expect("a stored buffer keeps W");
            for (lw, w) in batch.log_w.iter_mut().zip(work) {
                *lw += (1.0 - tilt.beta) * w;
            }
            tilt.tau = 1.0;
        }
    }

    fn save_state(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(&self.ema).map_err(|e| e.to_string())
    }

    fn load_state(
        &mut self,
        state: &[u8],
        _device: &socbench_harness::backend::Device,
    ) -> Result<(), String> {
        self.ema = serde_json::from_slice(state).map_err(|e| format!("socm state: {e}"))?;
        Ok(())
    }

    fn loss(
        &mut self,
        batch: Batch<'_>,
        problem: &dyn PathProblem,
        u: &dyn Control,
        tilt: Tilt,
    ) -> Result<Tensor<B, 1>, String> {
        let b = batch.paths(SPEC.name)?;
        Ok(match &mut self.ema {
            Some(ema) => {
                let w = ema.weights(&b.log_w);
                super::adjoint_matching_weighted(b, problem, u, &w)
            }
            None => super::adjoint_matching(b, problem, u, Some(tilt.tau)),
        })
    }
}
