//! Checkpoints of the TPS loop (`crate::checkpoint`): everything [`super::train_tps`] needs to
//! continue a stopped run where it stopped, so that the resumed history is bit-identical to an
//! uninterrupted one on the CPU (wall-clock column aside). A checkpoint is taken after a
//! gradient step; in the middle of a rollout it also keeps that rollout's frozen control u_r
//! (the tilt's base), its λ and τ, β and the loss sum so far.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::paths::ReplayBuffer;
use super::train::TpsRow;

#[derive(Serialize, Deserialize)]
pub struct TpsState<'a> {
    /// The rollout in progress (from 0) and the gradient steps done in it; `inner` equal to
    /// `trains_per_rollout` means the rollout is complete, its evaluation included.
    pub rollout: usize,
    pub inner: usize,
    /// Gradient steps done in all.
    pub step: usize,
    pub energy_evals: u64,
    /// Π λ_j/(1+λ_j) so far (the trust region's β = 1 − prod).
    pub prod: f64,
    /// The rollout in progress: its tilt, λ and the sum of its step losses so far.
    pub tau: f64,
    pub beta: f64,
    pub lambda: Option<f64>,
    pub loss_sum: f64,
    pub rows: Vec<TpsRow>,
    /// The training stream's ChaCha20 word position (`crate::checkpoint::stream_pos`).
    pub rng_train: String,
    pub wall_s: f64,
    /// burn records of the network, its Adam moments and the rollout's frozen control u_r.
    pub net: Vec<u8>,
    pub optim: Vec<u8>,
    pub base: Vec<u8>,
    /// The loss's own state (`Loss::save_state`: lv-logz's log Z and its optimiser).
    pub loss: Vec<u8>,
    /// Borrowed when saved (it may hold hundreds of MB), owned when loaded.
    pub buffer: Cow<'a, ReplayBuffer>,
}
