//! Algorithm 2, the trust-region loop of [`Run`], with the budget ladder's diagnostics
//! (issue 38): the distance of u_i to the annealing path ([`crate::tracking`]) and the tilted
//! loss on held-out buffer paths.

use burn::prelude::*;
use rand::seq::index::sample;
use socbench_harness::backend::B;
use socbench_harness::metrics::LogWeightStats;
use socbench_harness::network::{ControlNet, NetworkControl};
use socbench_harness::tensor_util::to_f64;

use super::{Progress, Run};
use crate::annealed_kl::annealed_kl;
use crate::checkpoint::set_stream_pos;
use crate::dual::{solve_dual, DualSolution};
use crate::history::{EvalRow, RefreshRow, Status};
use crate::loss::{Batch, Tilt};
use crate::paths::PathBatch;
use crate::tracking::{track, PathTracking};

impl Run<'_> {
    /// Algorithm 2: refresh the buffer with the frozen u_i, solve the dual for λ_i, update
    /// β_{i+1} = 1 − Π_{j≤i} λ_j/(1+λ_j), take N minibatch steps; stop once λ_i ≤ δ.
    pub(super) fn trust_region(
        &mut self,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Status, String> {
        let tr = self.cfg.tr.clone();
        let mut rng = self.key.stream("train");
        let total = tr.refreshes * tr.inner_steps;
        let every = (tr.refreshes / self.cfg.evals).max(1);
        let mut prod = 1.0;
        let mut step = 0;
        let mut previous: Option<ControlNet<B>> = None;
        let mut annealed_rng = self.key.common("annealed-optimal");
        let mut first = 0;
        if let Some(st) = self.resume.take() {
            set_stream_pos(&mut rng, &st.rng_train)?;
            set_stream_pos(&mut annealed_rng, &st.rng_annealed)?;
            (prod, step, first) = (st.prod, st.step, st.refresh);
            previous = match &st.previous {
                Some(b) => Some(self.net_from(b)?.no_grad()),
                None => None,
            };
        }
        // Held-out paths (`tr.holdout`): the last `held` of each buffer, out of the dual and the
        // minibatches.
        let (n_train, held) = tr.split();
        for it in first..tr.refreshes {
            let mut buffer = self.collect(tr.buffer, &mut rng, false);
            // KL(P^{u_i} | P^{u_{i−1}}) actually reached by the last update, on fresh paths of u_i.
            // r = log dP^{u_i}/dP^{u_{i−1}} on u_i's paths: KL = E[r], and e^{−r} are the weights
            // of the old control's measure against the new one's.
            let r = previous.take().map(|prev| {
                let prev_ctrl = NetworkControl::new(prev, self.control.cfg.clone(), self.problem);
                to_f64(buffer.log_rnd_v_over_u(self.problem, &prev_ctrl).detach())
            });
            let measured = r.as_ref().map(|r| r.iter().sum::<f64>() / r.len() as f64);
            let measured_ess = r.as_ref().map(|r| {
                let neg: Vec<f64> = r.iter().map(|x| -x).collect();
                LogWeightStats::from_log_weights(&neg).ess
            });
            let beta_i = 1.0 - prod;
            let tracking = (tr.track_samples > 0)
                .then(|| self.track_path(beta_i, tr.track_samples, it))
                .flatten();
            let w: Vec<f64> = buffer.log_w[..n_train].iter().map(|l| -l).collect();
            let sol = match tr.fixed_lambda {
                Some(l) => DualSolution::at(&w, l),
                None => solve_dual(&w, tr.epsilon, 1e-10),
            };
            let lambda = sol.lambda;
            prod *= lambda / (1.0 + lambda);
            let beta = 1.0 - prod;
            let tau = 1.0 / (1.0 + lambda);
            let annealed = self.not_training(|run| {
                annealed_kl(
                    run.problem,
                    &run.frozen(),
                    &buffer,
                    (beta_i, beta),
                    tr.buffer,
                    &mut annealed_rng,
                    &run.device,
                )
            });
            self.refreshes.push(RefreshRow {
                refresh: it,
                step,
                lambda,
                beta,
                step_kl: sol.kl,
                step_ess: sol.ess,
                measured_step_kl: measured,
                measured_step_ess: measured_ess,
                tracking_kl: annealed.map(|a| a.tracking),
                schedule_kl: annealed.map(|a| a.schedule),
                target_kl: annealed.map(|a| a.target),
                tracking,
                train_loss: None,
                heldout_loss: None,
            });
            // The loss's per-buffer preparation (TR-SOCM: adjoints at β_{i+1}, its weights).
            let mut tilt = Tilt { tau, beta };
            self.loss.prepare(&mut buffer, self.problem, &mut tilt);
            previous = Some(self.control.net().clone().no_grad());
            let mut loss_v = f64::NAN;
            for _ in 0..tr.inner_steps {
                step += 1;
                let idx = sample(&mut rng, n_train, tr.minibatch).into_vec();
                let mb = buffer.select(&idx);
                loss_v = match self.step(Batch::Paths(&mb), tilt, step) {
                    Ok(v) => v,
                    Err(s) => return Ok(s),
                };
                progress(&Progress {
                    step,
                    total,
                    loss: loss_v,
                    lambda: Some(lambda),
                });
            }
            if held > 0 {
                let (train_loss, heldout_loss) = self.heldout(&buffer, n_train, tilt)?;
                let row = self.refreshes.last_mut().expect("this refresh's row");
                row.train_loss = Some(train_loss);
                row.heldout_loss = Some(heldout_loss);
            }
            // A fixed λ (ablation) never signals convergence.
            // `run_all_refreshes` keeps refreshing with λ = 0 (β = 1) after convergence.
            let converged =
                tr.fixed_lambda.is_none() && lambda <= tr.delta && !tr.run_all_refreshes;
            let last = converged || it + 1 == tr.refreshes;
            if it % every == 0 || last {
                let extra = EvalRow {
                    lambda: Some(lambda),
                    beta: Some(beta),
                    step_kl: Some(sol.kl),
                    measured_step_kl: measured,
                    step_ess: Some(sol.ess),
                    ..Default::default()
                };
                self.record(step, loss_v, extra);
            }
            if converged {
                break;
            }
            if let Some(c) = self.ckpt.clone() {
                let stop = c.stop_now(it) && it + 1 < tr.refreshes;
                let prev = previous.as_ref().map(|p| p.clone().into_record());
                self.save(&c, step, it + 1, prod, &rng, Some(&annealed_rng), prev)?;
                if stop {
                    return Ok(Status::Interrupted { step });
                }
            }
        }
        Ok(Status::Finished)
    }

    /// u_i's terminal mode weights against p_β's, from `n` fresh paths on a stream common to
    /// every method at this seed (one per refresh, so a resumed run draws the same paths).
    fn track_path(&mut self, beta: f64, n: usize, it: usize) -> Option<PathTracking> {
        self.not_training(|run| {
            let mut rng = run.key.common(&format!("track-{it}"));
            track(run.problem, &run.frozen(), beta, n, &mut rng, &run.device)
        })
    }

    /// The tilted loss of the current control on the held-out paths (index ≥ `n_train`) and on
    /// as many training paths (the first ones), without a gradient step; the loss's own state
    /// (SOCM's running normaliser) is restored afterwards.
    fn heldout(
        &mut self,
        buffer: &PathBatch,
        n_train: usize,
        tilt: Tilt,
    ) -> Result<(f64, f64), String> {
        let held: Vec<usize> = (n_train..buffer.len()).collect();
        let train: Vec<usize> = (0..held.len().min(n_train)).collect();
        let state = self.loss.save_state()?;
        let value = |run: &mut Self, idx: &[usize]| -> Result<f64, String> {
            let mb = buffer.select(idx);
            let l = run
                .loss
                .loss(Batch::Paths(&mb), run.problem, &run.control, tilt)?;
            Ok(l.into_scalar().to_f64())
        };
        let out = self.not_training(|run| Ok((value(run, &train)?, value(run, &held)?)));
        self.loss
            .load_state(&state, &self.device)
            .map_err(|e| format!("restoring the loss's state after the held-out loss: {e}"))?;
        out
    }
}
