//! The settings of a PINN run and the collocation box, checked before any work.

use rand::Rng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// Uniform collocation on Ω × [0, T] with Ω = [lo₁, hi₁] × … × [lo_d, hi_d].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollocationBox {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl CollocationBox {
    /// The box [−h, h]^d.
    pub fn symmetric(half_width: f64, d: usize) -> Self {
        Self {
            lo: vec![-half_width; d],
            hi: vec![half_width; d],
        }
    }

    /// Checks the box for dimension `d`: non-empty, one bound per coordinate, finite, lo < hi.
    pub fn check(&self, d: usize) -> Result<(), ConfigError> {
        let err = |value: String, allowed: String| ConfigError {
            field: "collocation box",
            value,
            allowed,
        };
        if self.lo.is_empty() || self.lo.len() != d || self.hi.len() != d {
            return Err(err(
                format!("{} lower and {} upper bounds", self.lo.len(), self.hi.len()),
                format!("{d} of each (one per coordinate of the target)"),
            ));
        }
        for (i, (lo, hi)) in self.lo.iter().zip(&self.hi).enumerate() {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(err(
                    format!("[{lo}, {hi}] on coordinate {i}"),
                    "finite bounds with lo < hi (a non-empty, non-inverted interval)".into(),
                ));
            }
        }
        Ok(())
    }

    /// `n` points uniform in the box, row-major [n, d].
    pub fn sample(&self, n: usize, rng: &mut ChaCha20Rng) -> Vec<f64> {
        let d = self.lo.len();
        let mut out = Vec::with_capacity(n * d);
        for _ in 0..n {
            for i in 0..d {
                out.push(rng.random_range(self.lo[i]..self.hi[i]));
            }
        }
        out
    }
}

/// One PINN run's settings (none of them is given by the sources: `docs/pinn.md`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PinnConfig {
    /// Adam steps.
    pub steps: usize,
    /// Collocation points per step.
    pub batch: usize,
    /// Adam's learning rate, decayed geometrically to `lr_final` over the run.
    pub lr: f64,
    pub lr_final: f64,
    /// Gradient-norm clip.
    pub clip: f64,
    /// Hidden width and number of hidden layers of each network (tanh).
    pub width: usize,
    pub depth: usize,
    /// Degree of the polynomial L(τ) = Σ_{j=1}^{J} c_j τ^j (the learned log normaliser τ·log z).
    pub logz_degree: usize,
    /// The diffusion σ of the SDE forms (constant).
    pub sigma: f64,
    /// The horizon T.
    pub horizon: f64,
    /// The prior N(0, s²I).
    pub prior_std: f64,
    /// Half-width h of the collocation box [−h, h]^d.
    pub box_half_width: f64,
    /// Hutchinson probes for div μ (0: the exact divergence).
    pub hutchinson: usize,
    /// Evaluation: paths and time steps (Euler–Maruyama for the SDE forms, RK4 for the ODE).
    pub eval_samples: usize,
    pub eval_steps: usize,
    /// Loss rows recorded (evenly spaced).
    pub log_every: usize,
}

impl PinnConfig {
    /// Checks every field for a target of dimension `d`.
    pub fn check(&self, d: usize) -> Result<(), ConfigError> {
        use crate::config::check as ok;
        ok(d >= 1, "d", d, "d ≥ 1")?;
        ok(self.steps >= 1, "steps", self.steps, "≥ 1")?;
        ok(self.batch >= 1, "batch", self.batch, "≥ 1")?;
        ok(
            self.lr > 0.0 && self.lr_final > 0.0,
            "lr",
            self.lr,
            "lr > 0 and lr_final > 0",
        )?;
        ok(self.clip > 0.0, "clip", self.clip, "> 0")?;
        ok(
            self.width >= 1 && self.depth >= 1,
            "width",
            self.width,
            "width ≥ 1, depth ≥ 1",
        )?;
        ok(
            self.logz_degree >= 1,
            "logz_degree",
            self.logz_degree,
            "≥ 1",
        )?;
        ok(self.sigma > 0.0, "sigma", self.sigma, "> 0")?;
        ok(self.horizon > 0.0, "horizon", self.horizon, "> 0")?;
        ok(self.prior_std > 0.0, "prior_std", self.prior_std, "> 0")?;
        ok(
            self.eval_samples >= 2,
            "eval_samples",
            self.eval_samples,
            "≥ 2",
        )?;
        ok(self.eval_steps >= 1, "eval_steps", self.eval_steps, "≥ 1")?;
        CollocationBox::symmetric(self.box_half_width, d).check(d)
    }

    /// The learning rate at `step`.
    pub fn lr_at(&self, step: usize) -> f64 {
        let f = step as f64 / self.steps.max(1) as f64;
        self.lr * (self.lr_final / self.lr).powf(f)
    }
}
