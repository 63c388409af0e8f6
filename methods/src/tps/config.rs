//! Settings of a TPS run; the defaults are tps-dps's for alanine dipeptide (its `src/train.py`) and
//! App. F's.

use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TpsConfig {
    /// Rollouts (tps-dps: 1000; the paper's "iterations").
    pub rollouts: usize,
    /// Paths simulated per rollout (tps-dps `num_samples`: 16).
    pub paths_per_rollout: usize,
    /// Gradient steps per rollout (1000).
    pub trains_per_rollout: usize,
    /// Minibatch of paths per gradient step (16).
    pub batch: usize,
    /// Replay buffer capacity in paths (1000).
    pub buffer: usize,
    /// Adam learning rate of the network (1e-4; a learned log Z steps 10× faster, i.e. tps-dps's
    /// 1e-3).
    pub lr: f64,
    /// Global gradient-norm clip (1).
    pub clip: f64,
    /// Sampling temperature of the first and last rollout (600 → 300 K), linear in between.
    pub start_temperature: f64,
    pub end_temperature: f64,
    /// Hidden widths of the bias MLP (tps-dps ALDP: 128, 256, 256, 256, 128).
    pub hidden: Vec<usize>,
    /// The trust region's ε (App. F: 0.01 for alanine dipeptide), in nats of path KL.
    pub epsilon: f64,
    /// The factor on log w before the dual is solved. 1: ε is in nats of path KL, as
    /// everywhere in socbench. tps-dps divides every path log-density by its number of terms M
    /// (`alanine::MEAN_TERMS`), so a trust region written in its units solves the dual on
    /// log w/M: `dual_scale = 1/M` reproduces that reading of App. F's ε (see docs/tps.md).
    pub dual_scale: f64,
    /// Evaluations over the run (each on `eval_paths` fresh paths at the reference temperature).
    pub evals: usize,
    pub eval_paths: usize,
    /// Paths of the final evaluation (the table's numbers).
    pub final_paths: usize,
    /// A loss above this (or not finite) marks the run diverged.
    pub divergence_threshold: f64,
}

impl Default for TpsConfig {
    fn default() -> Self {
        Self {
            rollouts: 1000,
            paths_per_rollout: 16,
            trains_per_rollout: 1000,
            batch: 16,
            buffer: 1000,
            lr: 1e-4,
            clip: 1.0,
            start_temperature: 600.0,
            end_temperature: 300.0,
            hidden: vec![128, 256, 256, 256, 128],
            epsilon: 0.01,
            dual_scale: 1.0,
            evals: 20,
            eval_paths: 16,
            final_paths: 64,
            divergence_threshold: 1e30,
        }
    }
}

fn err(field: &'static str, value: impl ToString, allowed: &str) -> ConfigError {
    ConfigError {
        field,
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

impl TpsConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, v) in [
            ("rollouts", self.rollouts),
            ("paths_per_rollout", self.paths_per_rollout),
            ("batch", self.batch),
            ("buffer", self.buffer),
            ("evals", self.evals),
            ("eval_paths", self.eval_paths),
            ("final_paths", self.final_paths),
        ] {
            if v < 1 {
                return Err(err(field, v, ">= 1"));
            }
        }
        if self.buffer < self.paths_per_rollout {
            return Err(err("buffer", self.buffer, ">= paths_per_rollout"));
        }
        for (field, v) in [
            ("lr", self.lr),
            ("clip", self.clip),
            ("epsilon", self.epsilon),
            ("dual_scale", self.dual_scale),
            ("start_temperature", self.start_temperature),
            ("end_temperature", self.end_temperature),
            ("divergence_threshold", self.divergence_threshold),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(err(field, v, "> 0 and finite"));
            }
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(err(
                "hidden",
                format!("{:?}", self.hidden),
                "at least one width, each >= 1",
            ));
        }
        Ok(())
    }
}
