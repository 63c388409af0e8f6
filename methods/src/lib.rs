//! SOC methods (paper Sec. 2–3, Algorithm 2): RE, CE, LV, AM, SOCM and the trust-region variants
//! TR-LV, TR-SOCM, TR-CE, behind one entry point [`train()`].

pub mod annealed_kl;
pub mod clip;
pub mod config;
pub mod dual;
pub mod eval;
pub mod history;
pub mod losses;
pub mod method;
pub mod normaliser;
pub mod paths;
pub mod profile;
pub mod record;
pub mod train;

pub use config::{ConfigError, SocmWeights, TrConfig, TrSocmWeights, TrainConfig};
pub use history::{EvalRow, History, Status};
pub use method::Method;
pub use train::{train, validate_for, Progress};
