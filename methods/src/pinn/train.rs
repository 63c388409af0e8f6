//! The collocation trainer: per step, `batch` points uniform in Ω × [0, T], the method's
//! residuals there (exact jets), Adam on mean(R²). Then one evaluation ([`super::sample`]).

use std::time::Instant;

use burn::grad_clipping::GradientClippingConfig;
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
use crate::eval::abs_dstd;

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

/// Trains `method` on `target`; `progress(step, loss)` is called on every logged row.
pub fn train_pinn(
    method: PinnMethod,
    target: &dyn Target,
    cfg: &PinnConfig,
    key: &StreamKey,
    device: &Device,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<PinnOutcome, String> {
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
    let clock = Instant::now();
    for step in 0..cfg.steps {
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
            return Ok(PinnOutcome {
                losses,
                status: "diverged".into(),
                message: Some(msg),
                train_s: clock.elapsed().as_secs_f64(),
                sec_per_it: clock.elapsed().as_secs_f64() / (step + 1) as f64,
                eval_s: 0.0,
                metrics: None,
            });
        }
        if step % log_every == 0 || step + 1 == cfg.steps {
            losses.push((step, value));
            progress(step, value);
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(cfg.lr_at(step), model, grads);
    }
    let train_s = clock.elapsed().as_secs_f64();
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
    Ok(PinnOutcome {
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
    })
}
