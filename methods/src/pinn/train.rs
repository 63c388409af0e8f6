//! The collocation trainer: per step, `batch` points uniform in Ω × [0, T], the method's
//! residuals there (exact jets), Adam on mean(R²). Then one evaluation ([`super::sample`]).
//! With a [`Checkpointing`], the loop saves its state ([`PinnState`]) every
//! `every_steps` steps and on SIGTERM, and a run resumed from it is bit-identical on the CPU.

use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use socbench_harness::backend::{self, Device, B};
use socbench_harness::metrics::{LogWeightStats, PlainSinkhorn};
use socbench_harness::rng::StreamKey;
use socbench_harness::tensor_util::tensor2_from_f64;
use socbench_targets::Target;

use super::config::{CollocationBox, PinnConfig};
use super::jet::Directions;
use super::model::{PinnModel, Setting, TargetTerms};
use super::sample::evaluate;
use super::spec::PinnMethod;
use crate::checkpoint::{
    from_bytes, set_stream_pos, stream_pos, to_bytes, Checkpointing, Snapshot,
};
use crate::eval::abs_dstd;
use crate::record::hash_json;

/// The final evaluation's metrics (the log-variance paper's conventions, `docs/metrics.md`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PinnMetrics {
    /// log Ẑ = log mean w over the evaluation's samples.
    pub log_z_hat: f64,
    /// |log Ẑ − log Z| (importance sampling).
    pub abs_dlogz: Option<f64>,
    /// |mean log w − log Z| (the ELBO's gap: the log-variance table's convention).
    pub abs_dlogz_elbo: Option<f64>,
    pub ess: f64,
    pub abs_dstd: Option<f64>,
    /// sde_sampler's Sinkhorn (ε = 1e-3 on the squared distance) to exact target samples.
    pub sinkhorn: Option<f64>,
    /// The same Sinkhorn between two independent exact samples of the same size (what a
    /// perfect sampler scores).
    pub sinkhorn_floor: Option<f64>,
    /// The model's own log Z, L(1).
    pub model_log_z: f64,
}

/// One run's outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PinnOutcome {
    /// (step, loss) rows.
    pub losses: Vec<(usize, f64)>,
    /// "ok" or "diverged".
    pub status: String,
    pub message: Option<String>,
    pub train_s: f64,
    pub sec_per_it: f64,
    pub eval_s: f64,
    pub metrics: Option<PinnMetrics>,
}

/// Rademacher probes [n, k, d].
fn probes(n: usize, k: usize, d: usize, rng: &mut ChaCha20Rng, device: &Device) -> Tensor<B, 3> {
    let v: Vec<f64> = (0..n * k * d)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect();
    tensor2_from_f64(&v, n * k, d, device).reshape([n, k, d])
}

/// The collocation batch of one step: points, times and the target's terms there.
pub fn collocation(
    target: &dyn Target,
    cfg: &PinnConfig,
    rng: &mut ChaCha20Rng,
) -> Result<(Vec<f64>, Vec<f64>, TargetTerms), String> {
    let d = target.dim();
    let bx = CollocationBox::symmetric(cfg.box_half_width, d);
    let xs = bx.sample(cfg.batch, rng);
    let ts: Vec<f64> = (0..cfg.batch)
        .map(|_| rng.random_range(0.0..cfg.horizon))
        .collect();
    let terms = TargetTerms::at(target, &xs)?;
    Ok((xs, ts, terms))
}

/// What a stopped PINN run saves (`crate::checkpoint`): enough to continue it exactly.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PinnState {
    /// Gradient steps taken.
    pub step: usize,
    /// The (step, loss) rows so far.
    pub losses: Vec<(usize, f64)>,
    /// The ChaCha20 word position of the collocation stream (points, times, probes).
    pub rng: String,
    /// Training seconds so far.
    pub train_s: f64,
    /// burn records (BinBytesRecorder, full precision) of the networks and of Adam.
    pub model: Vec<u8>,
    pub optim: Vec<u8>,
}

/// How a checkpointed run ended.
#[derive(Clone, Debug)]
pub enum PinnRun {
    Finished(PinnOutcome),
    /// Stopped (SIGTERM or `Checkpointing::stop_after`) after this many steps, its state saved.
    Interrupted {
        step: usize,
    },
}

/// Trains `method` on `target`; `progress(step, loss)` is called on every logged row.
pub fn train_pinn(
    method: PinnMethod,
    target: &dyn Target,
    cfg: &PinnConfig,
    key: &StreamKey,
    device: &Device,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<PinnOutcome, String> {
    match train_pinn_checkpointed(method, target, cfg, key, device, progress, None)? {
        PinnRun::Finished(o) => Ok(o),
        PinnRun::Interrupted { step } => Err(format!("{method}: interrupted after step {step}")),
    }
}

/// [`train_pinn`] with checkpoints: with `ckpt`, the run saves its state to `ckpt.path` every
/// `ckpt.every_steps` steps and when asked to stop (SIGTERM, `stop_after`), and resumes from a
/// state there that belongs to this configuration.
pub fn train_pinn_checkpointed(
    method: PinnMethod,
    target: &dyn Target,
    cfg: &PinnConfig,
    key: &StreamKey,
    device: &Device,
    progress: &mut dyn FnMut(usize, f64),
    ckpt: Option<&Checkpointing>,
) -> Result<PinnRun, String> {
    socbench_harness::fpenv::ensure();
    let d = target.dim();
    cfg.check(d).map_err(|e| e.to_string())?;
    let ad = backend::autodiff(device);
    let s = Setting { method, cfg, d };
    let mut model = PinnModel::new(s, &ad, &mut key.common("pinn-init"));
    let mut optim = AdamConfig::new()
        .with_grad_clipping(Some(GradientClippingConfig::Norm(cfg.clip as f32)))
        .init();
    let mut rng = key.stream("collocation");
    let mut losses = Vec::new();
    let log_every = (cfg.steps / cfg.log_every.max(1)).max(1);
    let hash = hash_json(&(cfg, method.to_string(), target.name(), d));
    let (mut first, mut wall0) = (0usize, 0.0f64);
    if let Some(c) = ckpt {
        if let Some(st) = Snapshot::<PinnState>::load(&c.path, &hash)? {
            model = model.load_record(from_bytes(&st.model, &ad)?);
            optim = optim.load_record(from_bytes(&st.optim, backend::without_autodiff(&ad))?);
            set_stream_pos(&mut rng, &st.rng)?;
            (first, wall0, losses) = (st.step, st.train_s, st.losses);
        }
    }
    let clock = Instant::now();
    let elapsed = |clock: &Instant| wall0 + clock.elapsed().as_secs_f64();
    let mut saved_at = Instant::now();
    for step in first..cfg.steps {
        let (xs, ts, terms) = collocation(target, cfg, &mut rng)?;
        let dirs = if cfg.hutchinson > 0 {
            Directions::Probes(probes(cfg.batch, cfg.hutchinson, d, &mut rng, &ad))
        } else {
            Directions::Exact
        };
        let f = model.fields(s, &xs, &ts, &terms, &dirs, &ad);
        let loss = model.loss(s, &f);
        let value = loss.clone().into_scalar().elem::<f64>();
        if !value.is_finite() {
            let msg = format!(
                "{method} diverged at step {step} (seed {}): loss {value}",
                key.seed
            );
            return Ok(PinnRun::Finished(PinnOutcome {
                losses,
                status: "diverged".into(),
                message: Some(msg),
                train_s: elapsed(&clock),
                sec_per_it: elapsed(&clock) / (step + 1) as f64,
                eval_s: 0.0,
                metrics: None,
            }));
        }
        if step % log_every == 0 || step + 1 == cfg.steps {
            losses.push((step, value));
            progress(step, value);
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(cfg.lr_at(step), model, grads);
        let done = step + 1;
        if let Some(c) = ckpt.filter(|_| done < cfg.steps) {
            let stop = c.stop_now(done);
            let due = done % c.every_steps.max(1) == 0
                && saved_at.elapsed().as_secs_f64() >= c.min_interval_s;
            if stop || due {
                let st = PinnState {
                    step: done,
                    losses: losses.clone(),
                    rng: stream_pos(&rng),
                    train_s: elapsed(&clock),
                    model: to_bytes(model.clone().into_record())?,
                    optim: to_bytes(optim.to_record())?,
                };
                Snapshot::save(&st, &hash, &c.path)?;
                saved_at = Instant::now();
            }
            if stop {
                return Ok(PinnRun::Interrupted { step: done });
            }
        }
    }
    let train_s = elapsed(&clock);
    let clock = Instant::now();
    let model = model.no_grad();
    let ev = evaluate(
        &model,
        s,
        target,
        cfg.eval_samples,
        &mut key.common("pinn-eval"),
        &ad,
    )?;
    let stats = LogWeightStats::from_log_weights(&ev.log_w);
    let n = cfg.eval_samples;
    let abs_dstd = target
        .marginal_std()
        .map(|std| abs_dstd(&ev.xs, n, d, &std));
    let m = n.min(2000);
    let mut refs = key.common("pinn-reference");
    let reference = target.sample(m, &mut refs);
    let sinkhorn = reference
        .as_ref()
        .map(|ys| PlainSinkhorn::default().distance(&ev.xs[..m * d], m, ys, m, d));
    let sinkhorn_floor = reference.as_ref().and_then(|ys| {
        let other = target.sample(m, &mut refs)?;
        Some(PlainSinkhorn::default().distance(&other, m, ys, m, d))
    });
    let metrics = PinnMetrics {
        log_z_hat: stats.log_z,
        abs_dlogz: target.log_z().map(|z| stats.abs_dlogz(z)),
        abs_dlogz_elbo: target.log_z().map(|z| (stats.elbo - z).abs()),
        ess: stats.ess,
        abs_dstd,
        sinkhorn,
        sinkhorn_floor,
        model_log_z: model.log_z(),
    };
    let finite = metrics.log_z_hat.is_finite() && metrics.ess.is_finite();
    Ok(PinnRun::Finished(PinnOutcome {
        losses,
        status: if finite { "ok" } else { "diverged" }.into(),
        message: (!finite).then(|| {
            format!(
                "{method}: non-finite evaluation weights (seed {})",
                key.seed
            )
        }),
        train_s,
        sec_per_it: train_s / cfg.steps as f64,
        eval_s: clock.elapsed().as_secs_f64(),
        // Non-finite weights leave no metrics (JSON has no NaN); the message says why.
        metrics: finite.then_some(metrics),
    }))
}
