//! Checkpoints inside a run: what the trainer needs to continue a run that was stopped (SIGTERM
//! from Slurm before a pre-emption or time limit, or a test's stop point) exactly where it
//! stopped, so that the resumed run's history is bit-identical to an uninterrupted one on the
//! CPU (wall-clock column aside). The state is the network and optimiser (burn records), the
//! random streams' positions, the step and refresh counters, β's running product, the rows
//! recorded so far, the evaluation counters and the loss's own state.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use burn::record::{BinBytesRecorder, FullPrecisionSettings, Recorder};
use serde::{Deserialize, Serialize};

use crate::history::{EvalRow, RefreshRow};

/// Set by SIGTERM (`install_sigterm`): the trainer saves a checkpoint and stops.
pub static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigterm(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Makes SIGTERM ask the running trainer to checkpoint and stop instead of killing the process.
pub fn install_sigterm() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_sigterm as *const () as libc::sighandler_t);
    }
}

/// Where and how often a run checkpoints.
#[derive(Clone, Debug)]
pub struct Checkpointing {
    pub path: PathBuf,
    /// On-policy runs: a checkpoint every this many gradient steps (trust-region runs: every
    /// refresh).
    pub every_steps: usize,
    /// Stop (as SIGTERM would) after this gradient step (on-policy) or refresh (trust region):
    /// how tests interrupt a run.
    pub stop_after: Option<usize>,
}

impl Checkpointing {
    pub fn at(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            every_steps: 200,
            stop_after: None,
        }
    }
    /// Whether to stop after step or refresh `i`.
    pub fn stop_now(&self, i: usize) -> bool {
        STOP.load(Ordering::SeqCst) || self.stop_after == Some(i)
    }
}

/// The saved state.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainState {
    pub version: u32,
    /// The configuration hash of the run it belongs to (a changed config is not resumed).
    pub config_hash: String,
    /// Gradient steps taken.
    pub step: usize,
    /// Trust region: refreshes completed.
    pub refresh: usize,
    /// Trust region: Π λ_j/(1+λ_j) so far.
    pub prod: f64,
    pub rows: Vec<EvalRow>,
    pub refreshes: Vec<RefreshRow>,
    /// ChaCha20 word positions (as decimal strings: u128) of the training stream and of the
    /// trust region's annealed-optimal stream.
    pub rng_train: String,
    pub rng_annealed: String,
    pub eval_index: usize,
    pub eval_evals: u64,
    pub density_evals: u64,
    pub gradient_evals: u64,
    pub wall_s: f64,
    /// burn records (BinBytesRecorder, full precision).
    pub net: Vec<u8>,
    pub optim: Vec<u8>,
    /// Trust region: the network of the previous refresh (measured step KL).
    pub previous: Option<Vec<u8>>,
    /// The loss's own state (`Loss::save_state`).
    pub loss: Vec<u8>,
}

pub const VERSION: u32 = 1;

/// A burn record as bytes.
pub fn to_bytes<R: burn::record::Record<socbench_harness::backend::B>>(
    r: R,
) -> Result<Vec<u8>, String> {
    BinBytesRecorder::<FullPrecisionSettings>::default()
        .record(r, ())
        .map_err(|e| format!("checkpoint: {e}"))
}

/// A burn record from bytes.
pub fn from_bytes<R: burn::record::Record<socbench_harness::backend::B>>(
    b: &[u8],
    device: &socbench_harness::backend::Device,
) -> Result<R, String> {
    BinBytesRecorder::<FullPrecisionSettings>::default()
        .load(b.to_vec(), device)
        .map_err(|e| format!("checkpoint: {e}"))
}

impl TrainState {
    /// Writes the state (to a temporary name, then renamed: a kill mid-write leaves the old one).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = rmp_serde::to_vec_named(self).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The state saved at `path` (MessagePack: it keeps NaN, which JSON cannot).
    pub fn read(path: &Path) -> Result<Self, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
        rmp_serde::from_slice(&bytes).map_err(|e| format!("checkpoint {}: {e}", path.display()))
    }

    /// The state at `path`, if there is one for this configuration.
    pub fn load(path: &Path, config_hash: &str) -> Result<Option<Self>, String> {
        if !path.exists() {
            return Ok(None);
        }
        let s = Self::read(path)?;
        if s.version != VERSION || s.config_hash != config_hash {
            return Err(format!(
                "checkpoint {}: written for another configuration or version; move it aside to \
                 start the run afresh",
                path.display()
            ));
        }
        Ok(Some(s))
    }
}
