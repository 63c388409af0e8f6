//! `train(problem, method, config) -> history`: the on-policy loop and the trust-region loop of
//! Algorithm 2, each driving the method's [`Loss`].

use std::time::Instant;

mod trust_region;

use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, Optimizer};
use burn::prelude::*;
use rand::RngCore;
use socbench_harness::backend::{self, Device, B};
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::network::{ControlNet, NetParam, NetworkControl};
use socbench_harness::rng::StreamKey;
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_harness::tensor_util::to_f64;

use crate::checkpoint::{
    from_bytes, set_stream_pos, stream_pos, to_bytes, Checkpointing, TrainState,
};
use crate::clip::clip_global_norm;
use crate::config::{ConfigError, TrainConfig};
use crate::eval::Evaluator;
use crate::history::{EvalRow, History, RefreshRow, Status};
use crate::loss::{Batch, Loss, Simulation, Tilt};
use crate::method::Method;
use crate::paths::PathBatch;

/// What a progress display gets after every gradient step.
#[derive(Clone, Debug)]
pub struct Progress {
    pub step: usize,
    pub total: usize,
    pub loss: f64,
    pub lambda: Option<f64>,
}

/// [`TrainConfig::validate`], plus what depends on the problem: Langevin preconditioning
/// (eq. 53) needs a target density.
pub fn validate_for(
    cfg: &TrainConfig,
    method: Method,
    problem: &dyn Benchmark,
) -> Result<(), ConfigError> {
    cfg.validate(method)?;
    if cfg.net.langevin && !problem.has_score() {
        return Err(ConfigError {
            field: "net.langevin",
            value: "true".into(),
            allowed: format!(
                "false for `{}` (Langevin preconditioning needs a target density)",
                problem.name()
            ),
        });
    }
    let param = cfg.net.for_problem(problem).param;
    if matches!(param, NetParam::Score | NetParam::Lerp) && !problem.has_score() {
        return Err(ConfigError {
            field: "net.param",
            value: format!("{param:?}").to_lowercase(),
            allowed: format!(
                "base for `{}` (the score and lerp forms need a target density)",
                problem.name()
            ),
        });
    }
    Ok(())
}

/// Trains a control for `problem` with `method`. Every random stream is keyed by `key`
/// (experiment, method, d, seed). Invalid configs are rejected before any work.
pub fn train(
    problem: &dyn Benchmark,
    method: Method,
    cfg: &TrainConfig,
    key: &StreamKey,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<History, ConfigError> {
    train_with(
        problem,
        method,
        method.build_loss(cfg),
        cfg,
        key,
        device,
        progress,
    )
}

/// [`train`] with the given loss in place of the one `method` builds (a wrapped loss in tests,
/// a loss under development before it is registered). `method` chooses the trainer and names
/// the run in messages.
pub fn train_with(
    problem: &dyn Benchmark,
    method: Method,
    loss: Box<dyn Loss>,
    cfg: &TrainConfig,
    key: &StreamKey,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
) -> Result<History, ConfigError> {
    train_checkpointed(problem, method, loss, cfg, key, device, progress, None).map_err(|e| match e
    {
        TrainError::Config(c) => c,
        TrainError::Checkpoint(m) => unreachable!("no checkpoint without checkpointing: {m}"),
    })
}

/// Why [`train_checkpointed`] could not run.
#[derive(Debug)]
pub enum TrainError {
    Config(ConfigError),
    /// A checkpoint could not be read or written.
    Checkpoint(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Config(c) => write!(f, "{c}"),
            TrainError::Checkpoint(m) => write!(f, "{m}"),
        }
    }
}

/// [`train_with`], checkpointing to `ckpt.path` (every `ckpt.every_steps` on-policy steps, every
/// trust-region refresh, and when asked to stop: then the history's status is
/// `Status::Interrupted`) and resuming from it if it holds a checkpoint of this configuration.
#[allow(clippy::too_many_arguments)]
pub fn train_checkpointed(
    problem: &dyn Benchmark,
    method: Method,
    loss: Box<dyn Loss>,
    cfg: &TrainConfig,
    key: &StreamKey,
    device: &Device,
    progress: &mut dyn FnMut(&Progress),
    ckpt: Option<&Checkpointing>,
) -> Result<History, TrainError> {
    socbench_harness::fpenv::ensure();
    validate_for(cfg, method, problem).map_err(TrainError::Config)?;
    let ad = backend::autodiff(device);
    // Parameters are drawn on the CPU whatever the device, from its RNG seeded by the common
    // stream: every method at the same (experiment, target, d, seed) starts from the same
    // parameters where the architectures agree.
    let init = key.common("init").next_u64();
    let net_cfg = cfg.net.for_problem(problem);
    let net = ControlNet::seeded(problem.dim(), &net_cfg, &ad, init);
    // The host network serves the loss's passes unless the loss needs what it lacks.
    let control = if loss.needs().host_network {
        NetworkControl::taped(net, net_cfg, problem)
    } else {
        NetworkControl::new(net, net_cfg, problem)
    };
    // Before the clock starts: the evaluator's set-up (reference samples, the Sinkhorn floor)
    // is not training time.
    let evaluator = Evaluator::new(problem, cfg, key);
    let mut run = Run {
        problem,
        method,
        cfg,
        key,
        device: ad.clone(),
        control,
        loss,
        // Clipping is applied by `clip_global_norm` (global norm, App. E.1), not by burn.
        optim: AdamConfig::new().init(),
        rows: Vec::new(),
        refreshes: Vec::new(),
        clock: Instant::now(),
        // A problem may have served earlier runs: count from its counter's value now.
        eval_evals: problem.evals().target_evals(),
        evaluator,
        ckpt: ckpt.cloned(),
        resume: None,
        wall0: 0.0,
        eval_s: 0.0,
    };
    if let Some(c) = ckpt {
        let hash = crate::record::config_hash(cfg);
        let state = TrainState::load(&c.path, &hash).map_err(TrainError::Checkpoint)?;
        if let Some(st) = state {
            run.restore(&st).map_err(TrainError::Checkpoint)?;
            run.resume = Some(st);
        }
    }
    if cfg.eval_at_start && run.resume.is_none() {
        run.record(0, f64::NAN, EvalRow::default());
    }
    let status = if method.is_trust_region() {
        run.trust_region(progress)
    } else {
        run.on_policy(progress)
    }
    .map_err(TrainError::Checkpoint)?;
    let samples = match status {
        Status::Finished if cfg.save_samples > 0 => run.final_samples(cfg.save_samples),
        _ => Vec::new(),
    };
    Ok(History {
        rows: run.rows,
        status,
        samples,
        refreshes: run.refreshes,
    })
}

struct Run<'a> {
    problem: &'a dyn Benchmark,
    method: Method,
    cfg: &'a TrainConfig,
    key: &'a StreamKey,
    device: Device,
    control: NetworkControl<'a>,
    /// The method's loss (one per run: it may keep state between steps).
    loss: Box<dyn Loss>,
    optim: OptimizerAdaptor<Adam, ControlNet<B>, B>,
    rows: Vec<EvalRow>,
    refreshes: Vec<RefreshRow>,
    clock: Instant,
    /// Target evaluations spent by evaluation and before this run started (subtracted from the
    /// problem's counter to give the training count).
    eval_evals: u64,
    /// Evaluations on common random numbers (shared by every method at this seed).
    evaluator: Evaluator,
    ckpt: Option<Checkpointing>,
    /// The checkpoint this run resumed from.
    resume: Option<TrainState>,
    /// Wall seconds spent outside training (evaluations, diagnostics).
    eval_s: f64,
    /// Wall seconds before the resume.
    wall0: f64,
}

impl<'a> Run<'a> {
    /// The current control with its parameters out of the autodiff graph. Simulating with the
    /// tracked parameters would record (and keep) every activation of every step even though the
    /// paths are detached: 7 GB for a 10 000-path buffer at d = 200 (issue 6).
    fn frozen(&self) -> NetworkControl<'a> {
        NetworkControl::new(
            self.control.net().clone().no_grad(),
            self.control.cfg.clone(),
            self.problem,
        )
    }

    /// Simulates `n` paths of the current control and stores them, with detached states.
    /// For a buffer (`on_policy = false`) the frozen copy simulates, so no graph is kept. For the
    /// control's own gradient step (`on_policy = true`) each u_k keeps its autodiff graph and the
    /// loss reuses this forward pass (`PathBatch::on_policy`: one network pass fewer per step,
    /// same value and gradient).
    fn collect(&self, n: usize, rng: &mut rand_chacha::ChaCha20Rng, on_policy: bool) -> PathBatch {
        let frozen;
        let u: &dyn Control = if on_policy {
            &self.control
        } else {
            frozen = self.frozen();
            &frozen
        };
        PathBatch::simulate(self.problem, u, n, rng, &self.device, on_policy)
    }

    /// X_T of `n` fresh paths of the final control, row-major (for scatter plots).
    fn final_samples(&self, n: usize) -> Vec<f64> {
        let traj = simulate(
            self.problem,
            &self.frozen(),
            n,
            &mut self.key.common("samples"),
            &self.device,
            SimOptions {
                track_grad: false,
                store_path: false,
                tracked_controls: false,
            },
        );
        to_f64(traj.final_state().flatten::<1>(0, 1))
    }

    /// The "diverged" status, naming method, step and seed, with what went wrong.
    fn diverged(&self, step: usize, what: String) -> Status {
        Status::Diverged {
            step,
            message: format!(
                "{} diverged at step {step} (seed {}): {what}",
                self.method.label(),
                self.key.seed
            ),
        }
    }

    /// One optimiser step on the loss of `batch`; `Err` if the loss cannot be computed, if it or
    /// the gradient is not finite, or if the loss explodes.
    fn step(&mut self, batch: Batch<'_>, tilt: Tilt, step: usize) -> Result<f64, Status> {
        let loss = self
            .loss
            .loss(batch, self.problem, &self.control, tilt)
            .map_err(|e| self.diverged(step, e))?;
        let v = loss.clone().into_scalar().to_f64();
        if !v.is_finite() || v.abs() > self.cfg.divergence_threshold {
            return Err(self.diverged(step, format!("loss = {v}")));
        }
        let mut backward = loss.backward();
        // The decay (`lr_final`) is over the on-policy methods' `steps`.
        let lr = if self.method.is_trust_region() {
            self.cfg.lr
        } else {
            self.cfg.lr_at(step, self.cfg.steps)
        };
        self.loss.step_own_params(&mut backward, lr);
        let mut grads = self.control.gradients(backward);
        let norm = clip_global_norm(self.control.net(), &mut grads, self.cfg.clip);
        if !norm.is_finite() {
            return Err(self.diverged(step, format!("gradient norm = {norm}")));
        }
        let net = self.control.net().clone();
        let next = self.optim.step(lr, net, grads);
        self.control.set_net(next);
        Ok(v)
    }

    /// Runs `f` with the target evaluations it spends counted with the evaluations, not with
    /// training (evaluation paths, diagnostics).
    fn not_training<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let before = self.problem.evals().target_evals();
        let clock = Instant::now();
        let out = f(self);
        self.eval_evals += self.problem.evals().target_evals() - before;
        self.eval_s += clock.elapsed().as_secs_f64();
        out
    }

    fn record(&mut self, step: usize, loss: f64, mut extra: EvalRow) {
        let mut row = self.not_training(|run| {
            let frozen = run.frozen();
            run.evaluator.evaluate(run.problem, &frozen, &run.device)
        });
        row.step = step;
        row.loss = loss;
        row.target_evals = self.problem.evals().target_evals() - self.eval_evals;
        row.wall_s = self.wall0 + self.clock.elapsed().as_secs_f64();
        row.lambda = extra.lambda.take();
        row.beta = extra.beta.take();
        row.step_kl = extra.step_kl.take();
        row.measured_step_kl = extra.measured_step_kl.take();
        row.step_ess = extra.step_ess.take();
        // After the evaluation's own extra columns (`TrainConfig::lv_metrics`).
        row.loss_metrics.extend(
            self.loss
                .metrics()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        if self.cfg.lv_metrics {
            let train_s = row.wall_s - self.eval_s;
            row.loss_metrics.push(("train_s".to_string(), train_s));
        }
        self.rows.push(row);
    }

    fn on_policy(&mut self, progress: &mut dyn FnMut(&Progress)) -> Result<Status, String> {
        let mut rng = self.key.stream("train");
        let every = (self.cfg.steps / self.cfg.evals).max(1);
        let start = match self.resume.take() {
            Some(st) => {
                set_stream_pos(&mut rng, &st.rng_train)?;
                st.step
            }
            None => 0,
        };
        for step in start + 1..=self.cfg.steps {
            let result = match self.loss.needs().simulation {
                Simulation::Differentiable => {
                    let traj = simulate(
                        self.problem,
                        &self.control,
                        self.cfg.batch,
                        &mut rng,
                        &self.device,
                        SimOptions {
                            track_grad: true,
                            store_path: false,
                            tracked_controls: false,
                        },
                    );
                    self.step(Batch::Differentiable(&traj), Tilt::ON_POLICY, step)
                }
                Simulation::Detached => {
                    let mut b = self.collect(self.cfg.batch, &mut rng, true);
                    let mut tilt = Tilt::ON_POLICY;
                    self.loss.prepare(&mut b, self.problem, &mut tilt);
                    self.step(Batch::Paths(&b), tilt, step)
                }
            };
            let v = match result {
                Ok(v) => v,
                Err(s) => return Ok(s),
            };
            progress(&Progress {
                step,
                total: self.cfg.steps,
                loss: v,
                lambda: None,
            });
            if step % every == 0 || step == self.cfg.steps {
                self.record(step, v, EvalRow::default());
            }
            if let Some(c) = self.ckpt.clone() {
                let stop = c.stop_now(step) && step < self.cfg.steps;
                if stop || step % c.every_steps.max(1) == 0 {
                    self.save(&c, step, 0, 1.0, &rng, None, None)?;
                }
                if stop {
                    return Ok(Status::Interrupted { step });
                }
            }
        }
        Ok(Status::Finished)
    }

    /// A network of this run's shape with the parameters (and ids) of a saved record.
    fn net_from(&self, bytes: &[u8]) -> Result<ControlNet<B>, String> {
        let fresh = self.control.net().clone();
        Ok(fresh.load_record(from_bytes(bytes, &self.device)?))
    }

    /// Restores a checkpoint into this freshly built run (the loops restore their own counters).
    fn restore(&mut self, st: &TrainState) -> Result<(), String> {
        let net = self.net_from(&st.net)?;
        self.control.set_net(net);
        let optim = std::mem::replace(&mut self.optim, AdamConfig::new().init());
        // Optimiser moments live on the inner backend (no autodiff).
        let inner = backend::without_autodiff(&self.device);
        self.optim = optim.load_record(from_bytes(&st.optim, inner)?);
        self.loss.load_state(&st.loss, &self.device)?;
        self.rows = st.rows.clone();
        self.refreshes = st.refreshes.clone();
        self.evaluator.set_index(st.eval_index);
        self.eval_evals = st.eval_evals;
        self.problem
            .evals()
            .set(st.density_evals, st.gradient_evals);
        self.wall0 = st.wall_s;
        self.eval_s = st.eval_s;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn save(
        &self,
        c: &Checkpointing,
        step: usize,
        refresh: usize,
        prod: f64,
        rng: &rand_chacha::ChaCha20Rng,
        annealed: Option<&rand_chacha::ChaCha20Rng>,
        previous: Option<<ControlNet<B> as burn::module::Module<B>>::Record>,
    ) -> Result<(), String> {
        let evals = self.problem.evals();
        TrainState {
            version: crate::checkpoint::VERSION,
            config_hash: crate::record::config_hash(self.cfg),
            step,
            refresh,
            prod,
            rows: self.rows.clone(),
            refreshes: self.refreshes.clone(),
            rng_train: stream_pos(rng),
            rng_annealed: annealed.map_or(String::new(), stream_pos),
            eval_index: self.evaluator.index(),
            eval_evals: self.eval_evals,
            density_evals: evals.density(),
            gradient_evals: evals.gradient(),
            wall_s: self.wall0 + self.clock.elapsed().as_secs_f64(),
            eval_s: self.eval_s,
            net: to_bytes(self.control.net().clone().into_record())?,
            optim: to_bytes(self.optim.to_record())?,
            previous: previous.map(to_bytes).transpose()?,
            loss: self.loss.save_state()?,
        }
        .save(&c.path)
    }
}
