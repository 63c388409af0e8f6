//! Named training configurations: `paper` (App. E.1 exactly), `cpu` (reduced so that a run on
//! GMM d = 2 takes about a minute on two cores) and `smoke` (seconds, for CI).

use std::fmt;
use std::str::FromStr;

use socbench_harness::network::NetConfig;

use crate::config::{ConfigError, TrConfig, TrainConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    Paper,
    Cpu,
    Smoke,
}

pub const PROFILE_NAMES: [&str; 3] = ["paper", "cpu", "smoke"];

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Paper => "paper",
            Profile::Cpu => "cpu",
            Profile::Smoke => "smoke",
        }
    }

    /// The training configuration of this profile.
    pub fn config(self) -> TrainConfig {
        match self {
            Profile::Paper => TrainConfig::default(),
            Profile::Cpu => TrainConfig {
                steps: 1500,
                batch: 500,
                lr: 3e-3,
                net: small_net(),
                evals: 20,
                eval_samples: 1000,
                sinkhorn: false,
                tr: TrConfig {
                    epsilon: 0.1,
                    buffer: 2000,
                    refreshes: 60,
                    inner_steps: 50,
                    minibatch: 500,
                    delta: 1e-6,
                    fixed_lambda: None,
                    run_all_refreshes: false,
                    socm_weights: Default::default(),
                    ..TrConfig::default()
                },
                ..TrainConfig::default()
            },
            Profile::Smoke => TrainConfig {
                steps: 300,
                batch: 250,
                lr: 3e-3,
                time_steps: 25,
                net: small_net(),
                evals: 5,
                eval_samples: 500,
                sinkhorn: false,
                tr: TrConfig {
                    epsilon: 0.1,
                    buffer: 1000,
                    refreshes: 20,
                    inner_steps: 25,
                    minibatch: 250,
                    delta: 1e-6,
                    fixed_lambda: None,
                    run_all_refreshes: false,
                    socm_weights: Default::default(),
                    ..TrConfig::default()
                },
                ..TrainConfig::default()
            },
        }
    }
}

/// 3 Linear layers of width 64, 16 Fourier frequencies: the reduced network of `cpu`/`smoke`.
pub fn small_net() -> NetConfig {
    NetConfig {
        width: 64,
        depth: 3,
        fourier: 16,
        time_width: 32,
        langevin: false,
        ..NetConfig::default()
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Profile::Paper, Profile::Cpu, Profile::Smoke]
            .into_iter()
            .find(|p| p.name() == s.trim().to_lowercase())
            .ok_or_else(|| ConfigError {
                field: "profile",
                value: s.to_string(),
                allowed: PROFILE_NAMES.join(", "),
            })
    }
}
