//! LV-logZ, the worked example of `docs/extending.md` (not one of the paper's methods): the
//! log-variance loss with its mean replaced by a learned scalar c, the "trajectory balance" form
//! that TPS-DPS trains,
//!
//!   L(u, c) = (1/K) Σ_k (τ log w_k + log dP^v/dP^u(X_k) − c)²,
//!
//! where v is the control that simulated the paths. Minimised over c it is the log-variance loss
//! of eq. 16 (c* = the batch mean); with c learned, the gradient in u carries an extra term
//! 2(mean − c)·E[∇ log dP^v/dP^u], zero in expectation on-policy. At the optimum u = u* and τ = 1,
//! log w + log dP^{u*}/dP^u is the constant log Z of the problem's weights, so c estimates it.
//!
//! It shows the three things a new loss may need: the paths it asks for ([`Needs`]), a parameter
//! of its own (c, stepped by [`Loss::step_own_params`] with burn's Adam), and a trust-region
//! form for free (`tr-lv-logz`, because `SPEC.buffer` is true).

use burn::module::Param;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use socbench_harness::backend::B;
use socbench_harness::control::Control;
use socbench_harness::problem::PathProblem;
use socbench_harness::tensor_util::{tensor1_from_f64, to_f64};

use crate::loss::{Batch, Gradients, Loss, LossSpec, Needs, Tilt};

pub const SPEC: LossSpec = LossSpec {
    name: "lv-logz",
    summary: "example (docs/extending.md): LV with a learned log Z instead of the batch mean",
    buffer: true,
    sampler_free: true,
    reads: &[],
    build: |_, _| {
        Box::new(LvLogZ {
            c: None,
            optim: AdamConfig::new().init(),
        })
    },
};

/// c learns this many times faster than the network: one scalar that must track a batch mean
/// of order |log w|, against parameters whose updates are spread over thousands of weights.
const C_LR_FACTOR: f64 = 10.0;

mod param {
    use burn::module::Param;
    use burn::prelude::*;

    /// The learned scalar, as a burn module so that burn's optimiser can step it.
    #[derive(Module, Debug)]
    pub struct LogZ<B: Backend> {
        pub c: Param<Tensor<B, 1>>,
    }
}
use param::LogZ;

struct LvLogZ {
    /// Started at the first batch's mean, so the first gradient equals LV's.
    c: Option<LogZ<B>>,
    optim: OptimizerAdaptor<Adam, LogZ<B>, B>,
}

impl Loss for LvLogZ {
    fn needs(&self) -> Needs {
        Needs::PATHS
    }

    fn loss(
        &mut self,
        batch: Batch<'_>,
        problem: &dyn PathProblem,
        u: &dyn Control,
        tilt: Tilt,
    ) -> Result<Tensor<B, 1>, String> {
        let b = batch.paths(SPEC.name)?;
        let device = b.states[0].device();
        let lw: Vec<f64> = b.log_w.iter().map(|l| tilt.tau * l).collect();
        let x = tensor1_from_f64(&lw, &device) + b.log_rnd_v_over_u(problem, u);
        let c = self.c.get_or_insert_with(|| {
            let mean = to_f64(x.clone().detach().mean());
            LogZ {
                c: Param::from_tensor(tensor1_from_f64(&mean, &device).require_grad()),
            }
        });
        Ok((x - c.c.val().expand([b.len()])).square().mean())
    }

    /// c, the learned log Z (`loss_log_z` in history.csv; compare with `log_z_ref`).
    fn metrics(&self) -> Vec<(&'static str, f64)> {
        self.c
            .as_ref()
            .map(|c| vec![("loss_log_z", to_f64(c.c.val())[0])])
            .unwrap_or_default()
    }

    /// c (with its parameter id) and the optimiser's moments, as burn records.
    fn save_state(&self) -> Result<Vec<u8>, String> {
        use crate::checkpoint::to_bytes;
        let c = self
            .c
            .clone()
            .map(|c| to_bytes(c.into_record()))
            .transpose()?;
        let optim = to_bytes(self.optim.to_record())?;
        serde_json::to_vec(&(c, optim)).map_err(|e| e.to_string())
    }

    fn load_state(
        &mut self,
        state: &[u8],
        device: &socbench_harness::backend::Device,
    ) -> Result<(), String> {
        use crate::checkpoint::from_bytes;
        let (c, optim): (Option<Vec<u8>>, Vec<u8>) =
            serde_json::from_slice(state).map_err(|e| format!("lv-logz state: {e}"))?;
        self.c = match c {
            Some(b) => {
                let empty = LogZ {
                    c: Param::from_tensor(Tensor::zeros([1], device).require_grad()),
                };
                Some(empty.load_record(from_bytes(&b, device)?))
            }
            None => None,
        };
        let fresh = std::mem::replace(&mut self.optim, AdamConfig::new().init());
        // Optimiser moments live on the inner backend (no autodiff).
        let inner = socbench_harness::backend::without_autodiff(device);
        self.optim = fresh.load_record(from_bytes(&optim, inner)?);
        Ok(())
    }

    fn step_own_params(&mut self, grads: &mut Gradients, lr: f64) {
        if let Some(c) = self.c.take() {
            let g = GradientsParams::from_module(grads, &c);
            self.c = Some(self.optim.step(lr * C_LR_FACTOR, c, g));
        }
    }
}
