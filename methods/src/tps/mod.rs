//! Transition path sampling (paper Sec. 3.2, App. F, Table 1): tps-dps's training loop, with the
//! loss of any registered method that trains on stored paths.
//!
//! Per rollout r: simulate a few paths of the frozen control u_r at the annealed temperature T_r,
//! add them to a FIFO replay buffer, and take gradient steps on minibatches drawn from it. A
//! trust-region method (`tr-<loss>`) also solves Algorithm 2's dual for λ_r on the rollout's paths
//! and trains towards P^{u_r}^{1−τ} Q^τ, τ = 1/(1 + λ_r), with the buffer re-based on u_r
//! ([`paths`]). The losses, the dual and the network are the registry's and the harness's; only
//! the loop and the path layout are specific to TPS.

pub mod config;
pub mod net;
pub mod paths;
pub mod resume;
pub mod train;

pub use config::TpsConfig;
pub use train::{train_tps, TpsHistory, TpsRow};
