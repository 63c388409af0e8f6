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

/// Set by SIGTERM or SIGINT (`install_sigterm`): the trainer saves a checkpoint and stops.
pub static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    if sig == libc::SIGINT {
        // A second Ctrl-C kills the process at once.
        // SAFETY: signal() is async-signal-safe (POSIX).
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
    }
}

/// Makes SIGTERM (Slurm's pre-emption or time limit, `kill`) and the first SIGINT (Ctrl-C) ask
/// the running trainers to checkpoint and stop instead of killing the process; `replicate` then
/// starts no further cell.
pub fn install_sigterm() {
    // SAFETY: the handler only stores to an atomic and resets a disposition, both
    // async-signal-safe.
    unsafe {
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
    }
}

/// Whether SIGTERM or SIGINT asked this process to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The wall seconds a checkpoint at `path` had already run for (its `wall_s`, or its state's
/// `wall_s` or, for the PINN loop, `train_s`); 0 without a readable checkpoint. What a resumed cell adds to its
/// own clock so that its manifest's `wall_s` is the whole run's.
pub fn saved_wall_s(path: &Path) -> f64 {
    #[derive(Deserialize)]
    struct Wall {
        #[serde(default, alias = "train_s")]
        wall_s: Option<f64>,
    }
    /// A sweep run's [`TrainState`] keeps `wall_s` itself; a loop's [`Snapshot`] in `state`.
    #[derive(Deserialize)]
    struct Either {
        #[serde(default)]
        wall_s: Option<f64>,
        #[serde(default)]
        state: Option<Wall>,
    }
    read_msgpack::<Either>(path)
        .ok()
        .and_then(|e| e.wall_s.or(e.state.and_then(|s| s.wall_s)))
        .unwrap_or(0.0)
}

/// Where and how often a run checkpoints.
#[derive(Clone, Debug)]
pub struct Checkpointing {
    pub path: PathBuf,
    /// On-policy runs: a checkpoint every this many gradient steps (trust-region runs: every
    /// refresh).
    pub every_steps: usize,
    /// And at least this many seconds since the last one (the TPS loop, whose replay buffer
    /// makes a checkpoint hundreds of MB at the paper's scale). Wall-clock time decides only
    /// when a checkpoint is written, never what a run computes.
    pub min_interval_s: f64,
    /// Stop (as SIGTERM would) after this gradient step (on-policy) or refresh (trust region):
    /// how tests interrupt a run.
    pub stop_after: Option<usize>,
}

impl Checkpointing {
    pub fn at(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            every_steps: 200,
            min_interval_s: 0.0,
            stop_after: None,
        }
    }
    /// Whether to stop after step or refresh `i`.
    pub fn stop_now(&self, i: usize) -> bool {
        STOP.load(Ordering::SeqCst) || self.stop_after == Some(i)
    }
    /// Whether to stop at a point reached after `i` steps, where the loop only stops at some
    /// steps (the fine-tuning loop's buffer boundaries): SIGTERM, or `stop_after` passed.
    pub fn stop_by(&self, i: usize) -> bool {
        STOP.load(Ordering::SeqCst) || self.stop_after.is_some_and(|s| i >= s)
    }
}

/// A loop's own checkpoint (the TPS and fine-tuning loops): its state `T` with the version and
/// the configuration hash it belongs to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot<T> {
    pub version: u32,
    pub config_hash: String,
    pub state: T,
}

/// Writes `value` to `path` in MessagePack (to a temporary name unique to this writer, then
/// renamed: a kill mid-write leaves the old file).
pub fn write_msgpack<T: Serialize>(value: &T, path: &Path) -> Result<(), String> {
    let bytes = rmp_serde::to_vec_named(value).map_err(|e| e.to_string())?;
    socbench_harness::atomic::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// What [`write_msgpack`] wrote (MessagePack keeps NaN, which JSON cannot).
pub fn read_msgpack<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
    rmp_serde::from_slice(&bytes)
        .map_err(|e| format!("checkpoint {}: {e}; {FORCE_HINT}", path.display()))
}

/// What to do about a checkpoint that cannot be resumed.
pub const FORCE_HINT: &str =
    "rerun with --force to move the cell aside and start it afresh (nothing is deleted)";

fn other_configuration(path: &Path) -> String {
    format!(
        "checkpoint {}: written for another configuration or version; {FORCE_HINT}",
        path.display()
    )
}

impl<T> Snapshot<T> {
    pub fn save(state: &T, config_hash: &str, path: &Path) -> Result<(), String>
    where
        T: Serialize,
    {
        write_msgpack(
            &Snapshot {
                version: VERSION,
                config_hash: config_hash.to_string(),
                state,
            },
            path,
        )
    }

    /// The state at `path`, if there is one for this configuration.
    pub fn load(path: &Path, config_hash: &str) -> Result<Option<T>, String>
    where
        T: serde::de::DeserializeOwned,
    {
        if !path.exists() {
            return Ok(None);
        }
        let s: Self = read_msgpack(path)?;
        if s.version != VERSION || s.config_hash != config_hash {
            return Err(other_configuration(path));
        }
        Ok(Some(s.state))
    }
}

/// A ChaCha20 word position as checkpoints keep it (a decimal string: u128).
pub fn stream_pos(rng: &rand_chacha::ChaCha20Rng) -> String {
    rng.get_word_pos().to_string()
}

/// Sets `rng` to a position [`stream_pos`] wrote.
pub fn set_stream_pos(rng: &mut rand_chacha::ChaCha20Rng, pos: &str) -> Result<(), String> {
    let p: u128 = pos
        .parse()
        .map_err(|_| format!("checkpoint: a random stream position {pos:?} is not a number"))?;
    rng.set_word_pos(p);
    Ok(())
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
    /// Wall seconds spent outside training (evaluations) so far.
    #[serde(default)]
    pub eval_s: f64,
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
        write_msgpack(self, path)
    }

    /// The state saved at `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        read_msgpack(path)
    }

    /// The state at `path`, if there is one for this configuration.
    pub fn load(path: &Path, config_hash: &str) -> Result<Option<Self>, String> {
        if !path.exists() {
            return Ok(None);
        }
        let s = Self::read(path)?;
        if s.version != VERSION || s.config_hash != config_hash {
            return Err(other_configuration(path));
        }
        Ok(Some(s))
    }
}
