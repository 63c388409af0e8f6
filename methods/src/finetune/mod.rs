//! Reward fine-tuning (paper Sec. 3.3): AM and TR-SOCM from the loss registry on the
//! fine-tuning problem of `socbench_targets::finetune`, with the control as the fine-tuned
//! network minus the base network ([`control`]).

pub mod config;
pub mod control;
pub mod train;

pub use config::{BetaSchedule, FineTuneConfig, Spacing};
pub use control::FineTuneControl;
pub use train::{train_finetune, train_finetune_with, FtObserver, FtStatus, TrainPoint};
