//! The fine-tuning trainer's hyperparameters (soc-fine-tuning-sd's defaults, scaled down; see
//! `docs/finetune.md`).

/// How TR-SOCM anneals: the paper's modified variant (β_i = 1) or Algorithm 2's β.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BetaSchedule {
    /// β_i = 1 at every buffer (the paper's Sec. 3.3 runs).
    One,
    /// β_{i+1} = 1 − Π_{j≤i} λ_j/(1 + λ_j) (Algorithm 2).
    Annealed,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FineTuneConfig {
    /// λ_r: the terminal cost is g = −λ_r r (soc-fine-tuning-sd's reward_multiplier).
    pub multiplier: f64,
    /// Model updates (gradient steps) of every method.
    pub updates: usize,
    /// Rollouts per update: AM's batch and TR-SOCM's minibatch.
    pub batch: usize,
    /// TR-SOCM: rollouts per buffer.
    pub buffer: usize,
    /// TR-SOCM: passes over each buffer (buffer/batch updates each).
    pub passes: usize,
    /// TR-SOCM: the trust-region bound ε (nats).
    pub epsilon: f64,
    pub beta: BetaSchedule,
    /// AdamW.
    pub lr: f64,
    pub adam_beta1: f64,
    pub adam_beta2: f64,
    pub weight_decay: f64,
    /// Global gradient-norm clip.
    pub clip: f64,
    /// Checkpoints evaluated during training (plus the base model at update 0).
    pub checkpoints: usize,
    /// Where they fall: `log` (geometrically spaced updates, so that the early part of the
    /// reward-against-rollouts curve, where the methods differ, is resolved) or `linear`.
    pub checkpoint_spacing: Spacing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Spacing {
    Log,
    Linear,
}

impl Default for FineTuneConfig {
    fn default() -> Self {
        Self {
            multiplier: 10.0,
            updates: 300,
            batch: 20,
            buffer: 100,
            passes: 10,
            epsilon: 1.0,
            beta: BetaSchedule::One,
            lr: 1e-4,
            adam_beta1: 0.9,
            adam_beta2: 0.95,
            weight_decay: 0.0,
            clip: 1.0,
            checkpoints: 6,
            checkpoint_spacing: Spacing::Log,
        }
    }
}

impl FineTuneConfig {
    /// Errors name the field and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        let pos = |v: f64, f: &str| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(format!("train.{f} = {v}: allowed > 0"))
            }
        };
        if !(self.multiplier >= 0.0 && self.multiplier.is_finite()) {
            return Err(format!(
                "train.multiplier = {}: allowed ≥ 0",
                self.multiplier
            ));
        }
        pos(self.lr, "lr")?;
        pos(self.epsilon, "epsilon")?;
        pos(self.clip, "clip")?;
        for (v, f) in [
            (self.adam_beta1, "adam_beta1"),
            (self.adam_beta2, "adam_beta2"),
        ] {
            if !(0.0..1.0).contains(&v) {
                return Err(format!("train.{f} = {v}: allowed 0 ≤ {f} < 1"));
            }
        }
        for (v, f) in [
            (self.updates, "updates"),
            (self.batch, "batch"),
            (self.passes, "passes"),
            (self.checkpoints, "checkpoints"),
        ] {
            if v == 0 {
                return Err(format!("train.{f} = 0: allowed ≥ 1"));
            }
        }
        if self.buffer < self.batch || self.buffer % self.batch != 0 {
            return Err(format!(
                "train.buffer = {}: allowed a multiple of train.batch = {}",
                self.buffer, self.batch
            ));
        }
        Ok(())
    }

    /// TR-SOCM's updates per buffer.
    pub fn updates_per_buffer(&self) -> usize {
        self.passes * self.buffer / self.batch
    }
}
