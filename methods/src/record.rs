//! A training run on disk: `DIR/history.csv` (one row per evaluation) and `DIR/manifest.json`
//! (what was run, where, by which commit, how it ended). A directory that already holds a run is
//! never overwritten.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::config::TrainConfig;
use crate::history::History;

/// Everything needed to know what produced a `history.csv`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// `finished` or `diverged`.
    pub status: String,
    /// The divergence message (method, step, seed), if any.
    pub message: Option<String>,
    pub experiment: String,
    pub target: String,
    pub dim: usize,
    pub method: String,
    /// The experiment's variant name when the run is a method with overrides (e.g. fixed λ).
    #[serde(default)]
    pub variant: Option<String>,
    pub seed: u64,
    pub profile: String,
    pub config: TrainConfig,
    /// Hash of the canonical JSON of `config` (FNV-1a, hex), to detect a changed configuration.
    pub config_hash: String,
    pub git_commit: String,
    pub backend: String,
    pub device: String,
    pub wall_s: f64,
    pub target_evals: u64,
    pub evaluations: usize,
    pub socbench_version: String,
    /// The compiler, threads and environment switches the run was made with (absent in manifests
    /// written before they were recorded).
    #[serde(default)]
    pub provenance: Option<Provenance>,
}

/// What besides the commit decides a run's numbers and speed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `rustc --version` of the compiler that built this binary.
    pub rustc: String,
    /// Threads of the compute pool (rayon).
    pub threads: usize,
    /// `SOCBENCH_NET` (host network or burn's graph) as set, if set.
    pub socbench_net: Option<String>,
    /// `SOCBENCH_MALLOC` as set, if set.
    pub socbench_malloc: Option<String>,
}

impl Provenance {
    /// This process's.
    pub fn current() -> Self {
        Self {
            rustc: env!("SOCBENCH_RUSTC").to_string(),
            threads: socbench_harness::compute_threads(),
            socbench_net: std::env::var("SOCBENCH_NET").ok(),
            socbench_malloc: std::env::var("SOCBENCH_MALLOC").ok(),
        }
    }
}

/// FNV-1a of the config's JSON, as 16 hex digits.
pub fn config_hash(cfg: &TrainConfig) -> String {
    hash_json(cfg)
}

/// FNV-1a of the JSON of `v`, as 16 hex digits: the configuration hash of a run's manifest.
pub fn hash_json<T: serde::Serialize>(v: &T) -> String {
    let json = serde_json::to_string(v).expect("config serialises");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The commit of the working directory when this process first asked ([`pin_commit`] at start-up):
/// a sweep's runs record the tree its binary was started from, not edits made while it runs.
static COMMIT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Reads the working directory's commit now, for every later [`git_commit`] of this process.
/// Call it first thing in `main`.
pub fn pin_commit() {
    COMMIT.get_or_init(read_commit);
}

/// `git rev-parse HEAD` of the working directory (with `-dirty` if it has changes), or `unknown`,
/// as read at [`pin_commit`] (or at the first call).
pub fn git_commit() -> String {
    COMMIT.get_or_init(read_commit).clone()
}

fn read_commit() -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(c) if !c.is_empty() => {
            // Reports are outputs: regenerating one must not mark the next as dirty.
            let dirty = run(&[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!reports",
            ])
            .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{c}-dirty")
            } else {
                c
            }
        }
        _ => "unknown".into(),
    }
}

/// Why a run directory could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("`{0}` already holds a run (history.csv or manifest.json); choose another --out or remove it")]
    Exists(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Fails if `dir` already holds a run; creates it otherwise.
pub fn claim_dir(dir: &Path) -> Result<(), RecordError> {
    if dir.join("history.csv").exists() || dir.join("manifest.json").exists() {
        return Err(RecordError::Exists(dir.to_path_buf()));
    }
    fs::create_dir_all(dir).map_err(io(dir))
}

/// A fresh directory `base/<stem>-<n>` (n = 1, 2, …) that does not exist yet.
pub fn fresh_dir(base: &Path, stem: &str) -> PathBuf {
    (1..)
        .map(|n| base.join(format!("{stem}-{n}")))
        .find(|p| !p.exists())
        .expect("unbounded")
}

/// Writes `dir/name` through a temporary file renamed into place, so that a reader never sees
/// a partial file.
pub fn put_file(dir: &Path, name: &str, body: &str) -> Result<(), RecordError> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let dst = dir.join(name);
    fs::write(&tmp, body).map_err(io(&tmp))?;
    fs::rename(&tmp, &dst).map_err(io(&dst))
}

/// Writes `history.csv` then `manifest.json` (the manifest last, so its presence marks a complete
/// run). Each file is written to a temporary name and renamed into place.
pub fn write_run(dir: &Path, history: &History, manifest: &Manifest) -> Result<(), RecordError> {
    claim_dir(dir)?;
    let put = |name: &str, body: &str| put_file(dir, name, body);
    put("history.csv", &history.to_csv())?;
    if !history.refreshes.is_empty() {
        put("refreshes.csv", &history.refreshes_csv())?;
    }
    if !history.samples.is_empty() {
        put("samples.csv", &history.samples_csv(manifest.dim))?;
    }
    let json = serde_json::to_string_pretty(manifest).expect("manifest serialises");
    put("manifest.json", &json)
}
