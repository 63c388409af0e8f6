//! The fine-tuning loop: AM (a fresh batch of rollouts and lean adjoints per update) and TR-SOCM
//! (a buffer of rollouts and lean adjoints reused for several passes, reweighted by the dual's
//! w^τ, Algorithm 2 with β_i = 1 or annealed). Both losses come from the registry
//! (`crate::losses::{am, socm}`); this loop only owns the rollouts, the optimiser and the
//! bookkeeping of rollouts, updates and the running KL.

use std::time::Instant;

use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use rand::seq::SliceRandom;
use socbench_harness::backend::{self, Device, B};
use socbench_harness::rng::StreamKey;
use socbench_harness::tensor_util::to_f64;

use super::config::{BetaSchedule, FineTuneConfig, Spacing};
use super::control::FineTuneControl;
use crate::checkpoint::{
    from_bytes, set_stream_pos, stream_pos, to_bytes, Checkpointing, Snapshot,
};
use crate::clip::clip_global_norm;
use crate::config::TrainConfig;
use crate::dual::solve_dual;
use crate::loss::{Batch, Loss, Tilt, Trainer};
use crate::method::Method;
use crate::paths::PathBatch;
use crate::record::hash_json;
use socbench_harness::problem::SocProblem;
use socbench_targets::finetune::FineTuneProblem;

/// Where training stands at an evaluation mark.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TrainPoint {
    pub update: usize,
    /// Rollouts simulated so far (each with its lean adjoint).
    pub rollouts: usize,
    pub wall_s: f64,
    /// The last update's loss.
    pub loss: f64,
    /// E[½ Σ h²|u|²] on the last rollouts: the running KL(P^u | P^base) of the fine-tuned model.
    pub kl: f64,
    /// TR-SOCM: the last buffer's λ, β and ESS of its tilted weights.
    pub lambda: Option<f64>,
    pub beta: Option<f64>,
    pub ess: Option<f64>,
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum FtStatus {
    Finished,
    Diverged(String),
    /// Stopped (SIGTERM or `Checkpointing::stop_after`) after this many updates, its state
    /// saved: the run resumes from there.
    Interrupted(usize),
}

/// What the loop reports to at its evaluation marks (update 0 and `cfg.checkpoints` more), and
/// what the observer has accumulated from them, which a saved state of the run keeps.
pub trait FtObserver<'a> {
    fn at_mark(&mut self, control: &FineTuneControl<'a>, point: &TrainPoint);
    /// The observer's own state, saved with the run's (`crate::checkpoint`). Default: none.
    fn save_state(&self) -> Result<Vec<u8>, String> {
        Ok(Vec::new())
    }
    /// Restores what [`FtObserver::save_state`] saved.
    fn load_state(&mut self, _state: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// A closure as an observer that keeps nothing.
struct Marks<'f, 'a>(&'f mut dyn FnMut(&FineTuneControl<'a>, &TrainPoint));

impl<'a> FtObserver<'a> for Marks<'_, 'a> {
    fn at_mark(&mut self, control: &FineTuneControl<'a>, point: &TrainPoint) {
        (self.0)(control, point)
    }
}

/// Checks `method` can fine-tune: AM on-policy or a buffer-capable adjoint loss under the trust
/// region (TR-SOCM).
pub fn check_method(method: Method) -> Result<(), String> {
    let ok = method.build_loss(&TrainConfig::default()).needs().adjoints;
    if ok && (method.trainer() == Trainer::OnPolicy || method.loss().buffer) {
        Ok(())
    } else {
        Err(format!(
            "method `{method}` cannot fine-tune: allowed a loss on lean adjoints (am, socm, \
             tr-socm)"
        ))
    }
}

/// Checkpoint updates: 0 and `n` more up to `updates`, evenly or geometrically spaced
/// (updates^(i/n), rounded; repeats dropped).
pub fn checkpoint_updates(updates: usize, n: usize, spacing: Spacing) -> Vec<usize> {
    let mut v: Vec<usize> = (0..=n)
        .map(|i| match spacing {
            Spacing::Linear => i * updates / n,
            Spacing::Log if i == 0 => 0,
            Spacing::Log => ((updates as f64).powf(i as f64 / n as f64).round() as usize).max(1),
        })
        .collect();
    v.dedup();
    v
}

/// The loop's saved state (`crate::checkpoint`), taken between rollout batches or buffers.
#[derive(serde::Serialize, serde::Deserialize)]
struct FtState {
    point: TrainPoint,
    next_mark: usize,
    /// Π λ_j/(1+λ_j) so far (the annealed β = 1 − prod).
    prod: f64,
    rng_train: String,
    wall_s: f64,
    /// burn records of the fine-tuned network and its AdamW moments.
    net: Vec<u8>,
    optim: Vec<u8>,
    loss: Vec<u8>,
    observer: Vec<u8>,
}

struct FtLoop<'a> {
    problem: &'a FineTuneProblem<'a>,
    cfg: &'a FineTuneConfig,
    method: Method,
    seed: u64,
    control: FineTuneControl<'a>,
    loss: Box<dyn Loss>,
    optim: burn::optim::adaptor::OptimizerAdaptor<
        burn::optim::AdamW,
        socbench_targets::finetune::denoiser::Denoiser<B>,
        B,
    >,
    device: Device,
    /// Where training stands (`point.update` counts the updates made).
    point: TrainPoint,
    /// The evaluation marks, and the index of the next one.
    marks: Vec<usize>,
    next_mark: usize,
    clock: Instant,
    /// Wall seconds before a resume.
    wall0: f64,
}

impl<'a> FtLoop<'a> {
    fn step(&mut self, batch: &PathBatch, tilt: Tilt, update: usize) -> Result<f64, String> {
        let loss = self
            .loss
            .loss(Batch::Paths(batch), self.problem, &self.control, tilt)?;
        let v = loss.clone().into_scalar().to_f64();
        if !v.is_finite() {
            return Err(self.diverged(update, format!("loss = {v}")));
        }
        let mut grads = GradientsParams::from_grads(loss.backward(), &self.control.net);
        let norm = clip_global_norm(&self.control.net, &mut grads, self.cfg.clip);
        if !norm.is_finite() {
            return Err(self.diverged(update, format!("gradient norm = {norm}")));
        }
        let net = self.control.net.clone();
        self.control.net = self.optim.step(self.cfg.lr, net, grads);
        Ok(v)
    }

    /// One model update on `batch`, then the progress display and, at a mark, the observer.
    fn update(
        &mut self,
        batch: &PathBatch,
        tilt: Tilt,
        observer: &mut dyn FtObserver<'a>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), String> {
        self.point.update += 1;
        let update = self.point.update;
        self.point.loss = self.step(batch, tilt, update)?;
        progress(update, self.cfg.updates);
        if self.next_mark < self.marks.len() && update == self.marks[self.next_mark] {
            self.point.wall_s = self.wall0 + self.clock.elapsed().as_secs_f64();
            observer.at_mark(&self.control.frozen(), &self.point);
            self.next_mark += 1;
        }
        Ok(())
    }

    /// Saves the run's state between two rollout batches (or buffers).
    fn save(
        &self,
        c: &Checkpointing,
        hash: &str,
        prod: f64,
        rng: &rand_chacha::ChaCha20Rng,
        observer: &dyn FtObserver<'a>,
    ) -> Result<(), String> {
        let st = FtState {
            point: self.point.clone(),
            next_mark: self.next_mark,
            prod,
            rng_train: stream_pos(rng),
            wall_s: self.wall0 + self.clock.elapsed().as_secs_f64(),
            net: to_bytes(self.control.net.clone().into_record())?,
            optim: to_bytes(self.optim.to_record())?,
            loss: self.loss.save_state()?,
            observer: observer.save_state()?,
        };
        Snapshot::save(&st, hash, &c.path)
    }

    /// Restores a saved state into this freshly built loop; returns β's product and the
    /// training stream's position.
    fn restore(
        &mut self,
        st: FtState,
        observer: &mut dyn FtObserver<'a>,
    ) -> Result<(f64, String), String> {
        let net = self.control.net.clone();
        self.control.net = net.load_record(from_bytes(&st.net, &self.device)?);
        let optim = std::mem::replace(&mut self.optim, AdamWConfig::new().init());
        // Optimiser moments live on the inner backend (no autodiff).
        let inner = backend::without_autodiff(&self.device);
        self.optim = optim.load_record(from_bytes(&st.optim, inner)?);
        self.loss.load_state(&st.loss, &self.device)?;
        observer.load_state(&st.observer)?;
        (self.point, self.next_mark, self.wall0) = (st.point, st.next_mark, st.wall_s);
        Ok((st.prod, st.rng_train))
    }

    fn diverged(&self, update: usize, what: String) -> String {
        format!(
            "{} diverged at update {update} (seed {}): {what}",
            self.method.label(),
            self.seed
        )
    }

    /// E[Σ ½h²|u_k|²] over the stored controls of `b`.
    fn running_kl(&self, b: &PathBatch) -> f64 {
        let integ = self.problem.integrator();
        let mut acc = 0.0;
        for (k, u) in b.controls.iter().enumerate() {
            let h = integ.coeffs(k).h;
            acc += 0.5 * h * h * to_f64(u.clone().square().sum()).iter().sum::<f64>();
        }
        acc / b.len() as f64
    }
}

/// Fine-tunes the problem's base model with `method` (AM or TR-SOCM). `checkpoint` is called at
/// update 0 and at `cfg.checkpoints` evaluation marks with the current control (it evaluates the
/// metrics); every random stream comes from `key`.
pub fn train_finetune<'a>(
    problem: &'a FineTuneProblem<'a>,
    method: Method,
    cfg: &'a FineTuneConfig,
    key: &StreamKey,
    device: &Device,
    checkpoint: &mut dyn FnMut(&FineTuneControl<'a>, &TrainPoint),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<FtStatus, String> {
    let mut marks = Marks(checkpoint);
    train_finetune_with(
        problem, method, cfg, key, device, &mut marks, progress, None,
    )
}

/// [`train_finetune`] with an observer whose state is saved with the run's. With `ckpt`, the
/// run's state is saved to `ckpt.path` between rollout batches (AM) or buffers (TR-SOCM) once
/// `ckpt.every_steps` updates have passed since the last save, and when asked to stop (SIGTERM,
/// or `stop_after` passed: `FtStatus::Interrupted`); a state of this configuration found there
/// is resumed.
#[allow(clippy::too_many_arguments)]
pub fn train_finetune_with<'a>(
    problem: &'a FineTuneProblem<'a>,
    method: Method,
    cfg: &'a FineTuneConfig,
    key: &StreamKey,
    device: &Device,
    observer: &mut dyn FtObserver<'a>,
    progress: &mut dyn FnMut(usize, usize),
    ckpt: Option<&Checkpointing>,
) -> Result<FtStatus, String> {
    socbench_harness::fpenv::ensure();
    cfg.validate()?;
    check_method(method)?;
    let device = backend::autodiff(device);
    let optim = AdamWConfig::new()
        .with_beta_1(cfg.adam_beta1 as f32)
        .with_beta_2(cfg.adam_beta2 as f32)
        .with_weight_decay(cfg.weight_decay as f32)
        .init();
    let mut t = FtLoop {
        problem,
        cfg,
        method,
        seed: key.seed,
        control: FineTuneControl::from_base(problem),
        loss: method.build_loss(&TrainConfig::default()),
        optim,
        device: device.clone(),
        point: TrainPoint::default(),
        marks: checkpoint_updates(cfg.updates, cfg.checkpoints, cfg.checkpoint_spacing),
        next_mark: 1,
        clock: Instant::now(),
        wall0: 0.0,
    };
    let mut rng = key.stream("train");
    let mut prod = 1.0;
    let hash = hash_json(&(cfg, method.name()));
    let resumed = match ckpt {
        Some(c) => Snapshot::<FtState>::load(&c.path, &hash)?,
        None => None,
    };
    match resumed {
        Some(st) => {
            let (p, pos) = t.restore(st, observer)?;
            prod = p;
            set_stream_pos(&mut rng, &pos)?;
        }
        None => observer.at_mark(&t.control, &t.point),
    }
    let mut last_save = t.point.update;
    let mut first = true;
    while t.point.update < cfg.updates {
        if let Some(c) = ckpt.filter(|_| !std::mem::take(&mut first)) {
            let update = t.point.update;
            let stop = c.stop_by(update);
            if stop || update - last_save >= c.every_steps {
                t.save(c, &hash, prod, &rng, observer)?;
                last_save = update;
            }
            if stop {
                return Ok(FtStatus::Interrupted(update));
            }
        }
        let result: Result<(), String> = (|| {
            if method.trainer() == Trainer::OnPolicy {
                let mut b =
                    PathBatch::simulate(problem, &t.control, cfg.batch, &mut rng, &t.device, true);
                t.point.rollouts += cfg.batch;
                t.point.kl = t.running_kl(&b);
                let mut tilt = Tilt::ON_POLICY;
                t.loss.prepare(&mut b, problem, &mut tilt);
                t.update(&b, tilt, observer, progress)?;
            } else {
                let frozen = t.control.frozen();
                let mut buf =
                    PathBatch::simulate(problem, &frozen, cfg.buffer, &mut rng, &t.device, false);
                t.point.rollouts += cfg.buffer;
                t.point.kl = t.running_kl(&buf);
                let w: Vec<f64> = buf.log_w.iter().map(|l| -l).collect();
                let sol = solve_dual(&w, cfg.epsilon, 1e-10);
                prod *= sol.lambda / (1.0 + sol.lambda);
                let beta = match cfg.beta {
                    BetaSchedule::One => 1.0,
                    BetaSchedule::Annealed => 1.0 - prod,
                };
                let mut tilt = Tilt {
                    tau: 1.0 / (1.0 + sol.lambda),
                    beta,
                };
                (t.point.lambda, t.point.beta, t.point.ess) =
                    (Some(sol.lambda), Some(beta), Some(sol.ess));
                t.loss.prepare(&mut buf, problem, &mut tilt);
                let mut order: Vec<usize> = (0..cfg.buffer).collect();
                'passes: for _ in 0..cfg.passes {
                    order.shuffle(&mut rng);
                    for mb in order.chunks(cfg.batch) {
                        if t.point.update == cfg.updates {
                            break 'passes;
                        }
                        t.update(&buf.select(mb), tilt, observer, progress)?;
                    }
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            return Ok(FtStatus::Diverged(e));
        }
    }
    Ok(FtStatus::Finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_end_at_the_last_update() {
        assert_eq!(
            checkpoint_updates(100, 4, Spacing::Linear),
            vec![0, 25, 50, 75, 100]
        );
        assert_eq!(
            checkpoint_updates(100, 4, Spacing::Log),
            vec![0, 3, 10, 32, 100]
        );
        assert_eq!(checkpoint_updates(3, 6, Spacing::Log), vec![0, 1, 2, 3]);
    }
}
