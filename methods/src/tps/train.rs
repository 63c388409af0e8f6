//! The TPS training loop (see the module doc of `tps`).

use std::time::Instant;

use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use rand::Rng;
use socbench_harness::backend::{self, Device};
use socbench_harness::control::Control;
use socbench_harness::rng::StreamKey;
use socbench_targets::tps::{
    annealing, simulate, PathMetrics, PathSet, Summary, TpsSystem, PLOT_FRAMES,
};

use super::config::TpsConfig;
use super::net::{BiasControl, BiasNet};
use super::paths::{PathSpace, ReplayBuffer};
use super::resume::TpsState;
use crate::checkpoint::{
    from_bytes, set_stream_pos, stream_pos, to_bytes, Checkpointing, Snapshot,
};
use crate::clip::clip_global_norm;
use crate::config::{ConfigError, TrainConfig};
use crate::dual::solve_dual;
use crate::history::Status;
use crate::loss::{Batch, Simulation, Tilt};
use crate::method::Method;
use crate::record::hash_json;
use crate::train::TrainError;

/// One evaluation during training.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct TpsRow {
    /// Rollouts done.
    pub rollout: usize,
    /// Gradient steps done.
    pub step: usize,
    /// Potential-energy evaluations spent on training rollouts (the paper's "energy calls").
    pub energy_evals: u64,
    /// Mean loss over the last rollout's gradient steps.
    pub loss: f64,
    pub metrics: Summary,
    /// The last rollout's λ and β (trust region only).
    pub lambda: Option<f64>,
    pub beta: Option<f64>,
    /// Sampling temperature of the last rollout.
    pub temperature: f64,
    pub wall_s: f64,
}

/// The result of a TPS run.
pub struct TpsHistory {
    pub rows: Vec<TpsRow>,
    pub status: Status,
    /// The final evaluation: per-path metrics, and the paths themselves (collective variables
    /// every `stride` frames) for the Ramachandran plot.
    pub final_metrics: Option<PathMetrics>,
    pub final_cvs: Vec<Vec<[f64; 2]>>,
}

/// Trains a bias for `sys` with `method`'s loss: tps-dps's loop, with Algorithm 2's dual when the
/// method is a trust-region one. Every random stream comes from `key`. With `ckpt`, the run
/// checkpoints to `ckpt.path` (at the end of a rollout once `ckpt.every_steps` gradient steps
/// have passed since the last one, and after any step when asked to stop: SIGTERM or
/// `stop_after`, giving `Status::Interrupted`), and resumes from a checkpoint of this
/// configuration found there.
pub fn train_tps(
    sys: &dyn TpsSystem,
    method: Method,
    cfg: &TpsConfig,
    key: &StreamKey,
    device: &Device,
    progress: &mut dyn FnMut(usize, usize, f64),
    ckpt: Option<&Checkpointing>,
) -> Result<TpsHistory, TrainError> {
    socbench_harness::fpenv::ensure();
    cfg.validate().map_err(TrainError::Config)?;
    let train_cfg = TrainConfig {
        lr: cfg.lr,
        clip: cfg.clip,
        divergence_threshold: cfg.divergence_threshold,
        ..TrainConfig::default()
    };
    let mut loss = method.build_loss(&train_cfg);
    let needs = loss.needs();
    if needs.simulation != Simulation::Detached || needs.adjoints || !method.loss().sampler_free {
        return Err(TrainError::Config(ConfigError {
            field: "method",
            value: method.name().into(),
            allowed: "a loss on stored paths that needs neither adjoints nor importance weights \
                      (lv, lv-logz and their tr- forms): TPS paths have no Markov drift to adjoin, \
                      and the replay buffer mixes paths of earlier controls at annealed \
                      temperatures whose sampling densities are not kept"
                .into(),
        }));
    }
    let ad = backend::autodiff(device);
    let dims: Vec<usize> = std::iter::once(sys.feature_dim())
        .chain(cfg.hidden.iter().copied())
        .chain(std::iter::once(sys.dim()))
        .collect();
    let fresh_net = || BiasNet::seeded(&dims, &ad, &mut key.common("init"));
    let mut net = fresh_net();
    let mut optim = AdamConfig::new().init::<socbench_harness::backend::B, BiasNet<_>>();
    let problem = PathSpace::new(sys);
    let mut buffer = ReplayBuffer::new(cfg.buffer);
    let temps = annealing(cfg.start_temperature, cfg.end_temperature, cfg.rollouts);
    let t_ref = sys.dynamics().reference_temperature();
    let mut rng = key.stream("train");
    let every = (cfg.rollouts / cfg.evals).max(1);
    let clock = Instant::now();
    let mut rows = Vec::new();
    let (mut energy_evals, mut step, mut prod) = (0u64, 0usize, 1.0f64);
    let total = cfg.rollouts * cfg.trains_per_rollout;
    let frozen = |net: &BiasNet<_>| BiasControl {
        net: net.clone().no_grad(),
        sys,
    };
    let evaluate = |net: &BiasNet<_>, n: usize, purpose: &str| -> PathSet {
        let u = frozen(net);
        simulate(
            sys,
            n,
            t_ref,
            &mut |x, _k| u.host(x, &ad),
            &mut key.common(purpose),
        )
    };
    let hash = hash_json(&(cfg, method.name()));
    let ck = |e: String| TrainError::Checkpoint(e);
    // Where a resumed run starts: the rollout, and the rollout in progress if it stopped mid-way.
    let (mut first, mut wall0, mut last_save) = (0usize, 0.0f64, 0usize);
    let mut saved_at = Instant::now();
    let mut mid: Option<(BiasNet<_>, Tilt, Option<f64>, usize, f64)> = None;
    if let Some(c) = ckpt {
        if let Some(st) = Snapshot::<TpsState>::load(&c.path, &hash).map_err(ck)? {
            let record = |b: &[u8]| from_bytes(b, &ad).map(|r| fresh_net().load_record(r));
            net = record(&st.net).map_err(ck)?;
            let inner_dev = backend::without_autodiff(&ad);
            optim = optim.load_record(from_bytes(&st.optim, inner_dev).map_err(ck)?);
            loss.load_state(&st.loss, &ad).map_err(ck)?;
            set_stream_pos(&mut rng, &st.rng_train).map_err(ck)?;
            (energy_evals, step, prod, rows, buffer) = (
                st.energy_evals,
                st.step,
                st.prod,
                st.rows,
                st.buffer.into_owned(),
            );
            (wall0, last_save) = (st.wall_s, st.step);
            if st.inner < cfg.trains_per_rollout {
                let tilt = Tilt {
                    tau: st.tau,
                    beta: st.beta,
                };
                let base = record(&st.base).map_err(ck)?.no_grad();
                mid = Some((base, tilt, st.lambda, st.inner, st.loss_sum));
                first = st.rollout;
            } else {
                first = st.rollout + 1;
            }
        }
    }
    for (r, &temp) in temps.iter().enumerate().skip(first) {
        let (u_r, tilt, lambda, inner0, mut loss_sum) = match mid.take() {
            Some((base, tilt, lambda, inner, sum)) => {
                (BiasControl { net: base, sys }, tilt, lambda, inner, sum)
            }
            None => {
                let u_r = frozen(&net);
                let set = simulate(
                    sys,
                    cfg.paths_per_rollout,
                    temp,
                    &mut |x, _k| u_r.host(x, &ad),
                    &mut rng,
                );
                energy_evals += set.energy_evals;
                let (tilt, lambda) = if method.is_trust_region() {
                    // −log w = W + log dP^{u_r}/dP on the rollout's paths (exact at T_r = T_ref).
                    let w: Vec<f64> = set
                        .log_r
                        .iter()
                        .zip(&set.log_rnd)
                        .map(|(lr, l)| cfg.dual_scale * (-lr + l))
                        .collect();
                    let sol = solve_dual(&w, cfg.epsilon, 1e-10);
                    prod *= sol.lambda / (1.0 + sol.lambda);
                    // tps-dps's units scale log w and the path log-RND of the loss alike, so τ is
                    // the same in both; only the dual sees the scaled weights.
                    let tilt = Tilt {
                        tau: 1.0 / (1.0 + sol.lambda),
                        beta: 1.0 - prod,
                    };
                    (tilt, Some(sol.lambda))
                } else {
                    (Tilt::ON_POLICY, None)
                };
                buffer.add(&set);
                (u_r, tilt, lambda, 0, 0.0)
            }
        };
        let base: Option<&dyn Control> = (tilt.tau < 1.0).then_some(&u_r as &dyn Control);
        // Saves the run after `inner` steps of rollout r.
        let save = |c: &Checkpointing,
                    inner: usize,
                    (net, optim, loss, rows, buffer, rng): Parts<'_>,
                    (step, energy_evals, loss_sum): (usize, u64, f64)|
         -> Result<(), String> {
            let st = TpsState {
                rollout: r,
                inner,
                step,
                energy_evals,
                prod,
                tau: tilt.tau,
                beta: tilt.beta,
                lambda,
                loss_sum,
                rows: rows.clone(),
                rng_train: stream_pos(rng),
                wall_s: wall0 + clock.elapsed().as_secs_f64(),
                net: to_bytes(net.clone().into_record())?,
                optim: to_bytes(optim.to_record())?,
                base: to_bytes(u_r.net.clone().into_record())?,
                loss: loss.save_state()?,
                buffer: std::borrow::Cow::Borrowed(buffer),
            };
            Snapshot::save(&st, &hash, &c.path)
        };
        // Saves the run's state after `inner` steps of this rollout.
        macro_rules! save_now {
            ($c:expr, $inner:expr) => {{
                let counts = (step, energy_evals, loss_sum);
                let parts = (&net, &optim, loss.as_ref(), &rows, &buffer, &rng);
                save($c, $inner, parts, counts).map_err(ck)?
            }};
        }
        for inner in inner0..cfg.trains_per_rollout {
            step += 1;
            let idx: Vec<usize> = (0..cfg.batch)
                .map(|_| rng.random_range(0..buffer.len()))
                .collect();
            let mut batch = buffer.batch(&idx, &problem, base, &ad);
            let mut t = tilt;
            loss.prepare(&mut batch, &problem, &mut t);
            let control = BiasControl {
                net: net.clone(),
                sys,
            };
            let diverged = |what: String| Status::Diverged {
                step,
                message: format!(
                    "{} diverged at step {step} (rollout {r}, seed {}): {what}",
                    method.label(),
                    key.seed
                ),
            };
            let l = match loss.loss(Batch::Paths(&batch), &problem, &control, t) {
                Ok(l) => l,
                Err(e) => return Ok(stopped(rows, diverged(e))),
            };
            let v = l.clone().into_scalar().to_f64();
            if !v.is_finite() || v.abs() > cfg.divergence_threshold {
                return Ok(stopped(rows, diverged(format!("loss = {v}"))));
            }
            let mut g = l.backward();
            loss.step_own_params(&mut g, cfg.lr);
            let mut grads = GradientsParams::from_grads(g, &net);
            let norm = clip_global_norm(&net, &mut grads, cfg.clip);
            if !norm.is_finite() {
                return Ok(stopped(rows, diverged(format!("gradient norm = {norm}"))));
            }
            net = optim.step(cfg.lr, net, grads);
            loss_sum += v;
            progress(step, total, v);
            if let Some(c) = ckpt.filter(|c| inner + 1 < cfg.trains_per_rollout && c.stop_now(step))
            {
                save_now!(c, inner + 1);
                return Ok(stopped(rows, Status::Interrupted { step }));
            }
        }
        if (r + 1) % every == 0 || r + 1 == cfg.rollouts {
            let eval = evaluate(&net, cfg.eval_paths, "eval");
            rows.push(TpsRow {
                rollout: r + 1,
                step,
                energy_evals,
                loss: loss_sum / cfg.trains_per_rollout.max(1) as f64,
                metrics: PathMetrics::of(sys, &eval).summary(),
                lambda,
                beta: lambda.map(|_| tilt.beta),
                temperature: temp,
                wall_s: wall0 + clock.elapsed().as_secs_f64(),
            });
        }
        if let Some(c) = ckpt.filter(|_| r + 1 < cfg.rollouts) {
            let stop = c.stop_now(step);
            let due = step - last_save >= c.every_steps
                && saved_at.elapsed().as_secs_f64() >= c.min_interval_s;
            if stop || due {
                save_now!(c, cfg.trains_per_rollout);
                (last_save, saved_at) = (step, Instant::now());
            }
            if stop {
                return Ok(stopped(rows, Status::Interrupted { step }));
            }
        }
    }
    let fin = evaluate(&net, cfg.final_paths, "final");
    let final_cvs = fin.cv_paths(sys, PLOT_FRAMES);
    Ok(TpsHistory {
        rows,
        status: Status::Finished,
        final_metrics: Some(PathMetrics::of(sys, &fin)),
        final_cvs,
    })
}

/// What a TPS checkpoint borrows from the loop: the network, its optimiser, the loss, the rows,
/// the replay buffer and the training stream.
type Parts<'p> = (
    &'p BiasNet<socbench_harness::backend::B>,
    &'p OptimizerAdaptor<Adam, BiasNet<socbench_harness::backend::B>, socbench_harness::backend::B>,
    &'p dyn crate::loss::Loss,
    &'p Vec<TpsRow>,
    &'p ReplayBuffer,
    &'p rand_chacha::ChaCha20Rng,
);

fn stopped(rows: Vec<TpsRow>, status: Status) -> TpsHistory {
    TpsHistory {
        rows,
        status,
        final_metrics: None,
        final_cvs: Vec::new(),
    }
}
