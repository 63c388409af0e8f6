//! SOC methods (paper Sec. 2–3, Algorithm 2): a method is a loss ([`loss::Loss`], registered in
//! [`losses`]: RE, CE, LV, AM, SOCM, …) plus a trainer, on-policy or the trust region that wraps
//! any loss valid on stored paths (TR-LV, TR-SOCM, TR-CE, …), behind one entry point [`train()`].

pub mod annealed_kl;
pub mod checkpoint;
pub mod clip;
pub mod config;
pub mod dual;
pub mod eval;
pub mod finetune;
pub mod history;
pub mod loss;
pub mod losses;
pub mod method;
pub mod normaliser;
pub mod paths;
pub mod pinn;
pub mod profile;
pub mod record;
pub mod tps;
pub mod tracking;
pub mod train;

pub use config::{ConfigError, SocmWeights, TrConfig, TrSocmWeights, TrainConfig};
pub use history::{EvalRow, History, Status};
pub use loss::{Loss, LossSpec, Trainer};
pub use method::Method;
pub use train::{train, train_with, validate_for, Progress};
