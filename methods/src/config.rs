//! Training configuration (App. E.1 defaults) and its validation.

use serde::{Deserialize, Serialize};
use socbench_harness::network::NetConfig;
use thiserror::Error;

use crate::method::Method;

/// A configuration value outside its allowed range.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("invalid `{field}` = {value}: allowed {allowed}")]
pub struct ConfigError {
    pub field: &'static str,
    pub value: String,
    pub allowed: String,
}

/// `Ok` when `ok`, else the error naming `field`, its `value` and what is `allowed`.
pub(crate) fn check(
    ok: bool,
    field: &'static str,
    value: impl ToString,
    allowed: &str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            field,
            value: value.to_string(),
            allowed: allowed.to_string(),
        })
    }
}

/// How SOCM normalises its importance weights w = e^{log w} (issue 20, point 9).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SocmWeights {
    /// Self-normalised within each batch: ŵ_k = w_k / Σ_j w_j (our default).
    #[default]
    Batch,
    /// SOC-matching's code: w_k / N, N an exponential moving average (coefficient 0.002 per
    /// step, started at the first batch's mean) of the batch mean weight, so that a batch whose
    /// weights are all small contributes a small gradient.
    Ema,
}

impl SocmWeights {
    fn is_batch(&self) -> bool {
        *self == SocmWeights::Batch
    }
}

/// Which importance weights TR-SOCM's regression (eq. 19/131) uses (issue 20, point 7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrSocmWeights {
    /// The dual's tilted buffer weights w^{1/(1+λ_i)}, self-normalised (Algorithm 2; our default).
    /// They equal dP^{u*_{β_{i+1}}}/dP^{u_i} only when u_i = u*_{β_i}.
    #[default]
    Dual,
    /// The weights that eq. 131 states, dP^{u*_{β_{i+1}}}/dP^{u_i} ∝ e^{−β_{i+1}W} dP/dP^{u_i}
    /// = w e^{(1−β_{i+1})W}, self-normalised: consistent with the β_{i+1}-scaled adjoint target
    /// wherever u_i is.
    Annealed,
}

impl TrSocmWeights {
    fn is_dual(&self) -> bool {
        *self == TrSocmWeights::Dual
    }
}

/// Trust-region settings (Algorithm 2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrConfig {
    /// Trust-region bound ε on KL(P^{u_{i+1}} | P^{u_i}).
    pub epsilon: f64,
    /// Paths simulated per buffer refresh (K).
    pub buffer: usize,
    /// Maximum number of refreshes (TR iterations).
    pub refreshes: usize,
    /// Gradient steps per refresh (N).
    pub inner_steps: usize,
    /// Minibatch drawn from the buffer per gradient step.
    pub minibatch: usize,
    /// Stop after the iteration whose λ_i ≤ δ.
    pub delta: f64,
    /// Ablation (Fig. 3 right): use this λ at every refresh instead of solving the dual (eq. 14).
    /// `0` gives the log-variance loss on a replay buffer without a trust region.
    pub fixed_lambda: Option<f64>,
    /// Do not stop when λ_i ≤ δ: keep refreshing the buffer with λ = 0 (β = 1, the untilted
    /// weights) until `refreshes` is spent. Algorithm 2 returns u_i at λ_i ≤ δ, i.e. once
    /// KL(Q | P^{u_i}) ≤ ε, which leaves a control L2 error (= that KL, eq. 58) of order ε; the
    /// fixed-budget curves of Fig. 11 need the budget spent. Omitted from the serialised config
    /// when false (config hashes of earlier runs unchanged).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub run_all_refreshes: bool,
    /// TR-SOCM's regression weights ([`TrSocmWeights`]). Omitted from the serialised config when
    /// `dual` (config hashes of earlier runs unchanged).
    #[serde(skip_serializing_if = "TrSocmWeights::is_dual")]
    pub socm_weights: TrSocmWeights,
    /// Fraction of each buffer held out of the minibatches (issue 38): after the refresh's
    /// updates the tilted loss on the held-out paths is recorded beside the loss on as many
    /// training paths, so that overfitting the buffer shows as a gap. 0 (the default, omitted from
    /// the serialised config) trains on the whole buffer.
    #[serde(skip_serializing_if = "is_zero")]
    pub holdout: f64,
    /// Fresh paths of u_i simulated at every refresh to compare its terminal mode weights with
    /// those of the annealing path's p_{β_i} (`crate::tracking`), on targets with modes. 0 (the
    /// default, omitted from the serialised config) skips it.
    #[serde(skip_serializing_if = "is_zero_usize")]
    pub track_samples: usize,
}

impl TrConfig {
    /// Paths of a buffer trained on and held out ([`TrConfig::holdout`]): the last
    /// round(holdout · buffer) paths are held out.
    pub fn split(&self) -> (usize, usize) {
        let held = (self.holdout * self.buffer as f64).round() as usize;
        (self.buffer - held.min(self.buffer), held.min(self.buffer))
    }
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

fn is_zero_usize(v: &usize) -> bool {
    *v == 0
}

impl Default for TrConfig {
    /// App. E.1: ε = 0.1, buffer 50k refreshed 150 times, 400 steps on minibatches of 2000.
    fn default() -> Self {
        Self {
            epsilon: 0.1,
            buffer: 50_000,
            refreshes: 150,
            inner_steps: 400,
            minibatch: 2000,
            delta: 1e-6,
            fixed_lambda: None,
            run_all_refreshes: false,
            socm_weights: TrSocmWeights::Dual,
            holdout: 0.0,
            track_samples: 0,
        }
    }
}

/// Everything a training run needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Gradient steps of the non-trust-region methods.
    pub steps: usize,
    /// Paths per gradient step (non-TR).
    pub batch: usize,
    pub lr: f64,
    /// Gradient-norm clipping threshold.
    pub clip: f64,
    /// Discretisation steps of the SDE.
    pub time_steps: usize,
    pub net: NetConfig,
    /// Evaluations during training (protocol: 100).
    pub evals: usize,
    /// Paths per evaluation (protocol: 2000).
    pub eval_samples: usize,
    /// Compute the Sinkhorn divergence at each evaluation (costly on the CPU).
    pub sinkhorn: bool,
    /// Points per cloud in the Sinkhorn divergence (0: all `eval_samples`); its cost is quadratic.
    pub sinkhorn_samples: usize,
    /// Loss above which (or NaN) a run is declared diverged.
    pub divergence_threshold: f64,
    /// Samples of the final control written to `samples.csv` (0: none), for scatter plots.
    pub save_samples: usize,
    /// Also evaluate the initial control u_0 = 0 (a row at step 0, target evaluations 0): the
    /// baseline every report prints as its first row, to tell whether a method improves on its
    /// initialisation (App. G.3). On by default in every profile. Left out of the serialised
    /// config when false, so the config hash of runs made before this field existed is unchanged.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub eval_at_start: bool,
    /// SOCM's weight normaliser. Left out of the serialised config at its default, so the config
    /// hash of earlier runs is unchanged.
    #[serde(skip_serializing_if = "SocmWeights::is_batch")]
    pub socm_weights: SocmWeights,
    /// sde_sampler's StepLR (conf/lr_scheduler/step.yaml), for the on-policy methods: every 100 steps the learning rate is
    /// multiplied by γ = (lr_final/lr)^(100/steps), so that it reaches `lr_final` at the end.
    /// None: constant. Left out of the serialised config when None (earlier hashes unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lr_final: Option<f64>,
    /// Also record the log-variance paper's metrics at each evaluation (`docs/metrics.md`): the
    /// ELBO-based |ΔlogZ|, |Δstd|, sde_sampler's Sinkhorn (with its exact-vs-exact floor, when
    /// `sinkhorn` is on) and the seconds spent training. Left out of the serialised config when
    /// false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lv_metrics: bool,
    pub tr: TrConfig,
}

impl TrainConfig {
    /// The learning rate at gradient step `step` (from 1) of `total`.
    pub fn lr_at(&self, step: usize, total: usize) -> f64 {
        match self.lr_final {
            None => self.lr,
            Some(f) => {
                let gamma = (f / self.lr).powf(100.0 / total.max(1) as f64);
                self.lr * gamma.powi((step.saturating_sub(1) / 100) as i32)
            }
        }
    }
}

impl Default for TrainConfig {
    /// The paper's hyperparameters (App. E.1).
    fn default() -> Self {
        Self {
            steps: 60_000,
            batch: 2000,
            lr: 5e-4,
            clip: 1.0,
            time_steps: 50,
            net: NetConfig::default(),
            evals: 100,
            eval_samples: 2000,
            sinkhorn: true,
            sinkhorn_samples: 0,
            divergence_threshold: 1e12,
            save_samples: 0,
            eval_at_start: true,
            socm_weights: SocmWeights::Batch,
            lr_final: None,
            lv_metrics: false,
            tr: TrConfig::default(),
        }
    }
}

impl TrainConfig {
    /// Checks every field the method uses; the error names the field and its range.
    pub fn validate(&self, method: Method) -> Result<(), ConfigError> {
        check(self.steps >= 1, "steps", self.steps, ">= 1")?;
        check(self.batch >= 2, "batch", self.batch, ">= 2")?;
        check(self.lr > 0.0 && self.lr.is_finite(), "lr", self.lr, "> 0")?;
        if let Some(f) = self.lr_final {
            check(f > 0.0 && f.is_finite(), "lr_final", f, "> 0")?;
        }
        check(self.clip > 0.0, "clip", self.clip, "> 0")?;
        check(self.time_steps >= 1, "time_steps", self.time_steps, ">= 1")?;
        check(self.net.depth >= 2, "net.depth", self.net.depth, ">= 2")?;
        check(self.net.width >= 1, "net.width", self.net.width, ">= 1")?;
        check(self.evals >= 1, "evals", self.evals, ">= 1")?;
        check(
            self.eval_samples >= 2,
            "eval_samples",
            self.eval_samples,
            ">= 2",
        )?;
        let only_for = |field: &str| {
            let readers: Vec<&str> = Method::all()
                .into_iter()
                .filter(|m| m.reads(field))
                .map(Method::name)
                .collect();
            format!("the default for every method but {}", readers.join(", "))
        };
        check(
            self.socm_weights.is_batch() || method.reads("socm_weights"),
            "socm_weights",
            "\"ema\"",
            &only_for("socm_weights"),
        )?;
        check(
            self.tr.socm_weights.is_dual() || method.reads("tr.socm_weights"),
            "tr.socm_weights",
            "\"annealed\"",
            &only_for("tr.socm_weights"),
        )?;
        if method.is_trust_region() {
            let tr = &self.tr;
            check(
                tr.epsilon > 0.0 && tr.epsilon.is_finite(),
                "tr.epsilon",
                tr.epsilon,
                "> 0",
            )?;
            check(tr.minibatch >= 2, "tr.minibatch", tr.minibatch, ">= 2")?;
            check(
                tr.buffer >= tr.minibatch,
                "tr.buffer",
                tr.buffer,
                &format!(">= tr.minibatch ({})", tr.minibatch),
            )?;
            check(tr.refreshes >= 1, "tr.refreshes", tr.refreshes, ">= 1")?;
            check(
                tr.inner_steps >= 1,
                "tr.inner_steps",
                tr.inner_steps,
                ">= 1",
            )?;
            check(tr.delta >= 0.0, "tr.delta", tr.delta, ">= 0")?;
            check(
                (0.0..0.5).contains(&tr.holdout),
                "tr.holdout",
                tr.holdout,
                "in [0, 0.5)",
            )?;
            if tr.holdout > 0.0 {
                let (train, held) = tr.split();
                check(
                    held >= 2 && train >= tr.minibatch,
                    "tr.holdout",
                    tr.holdout,
                    &format!(
                        "small enough to leave tr.minibatch ({}) paths to train on and large \
                         enough to hold out 2 of tr.buffer ({})",
                        tr.minibatch, tr.buffer
                    ),
                )?;
            }
            if let Some(l) = tr.fixed_lambda {
                check(
                    l >= 0.0 && l.is_finite(),
                    "tr.fixed_lambda",
                    l,
                    ">= 0 (or absent to solve the dual)",
                )?;
            }
        }
        Ok(())
    }
}
