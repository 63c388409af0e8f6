//! A training run on disk: `DIR/history.csv` (one row per evaluation) and `DIR/manifest.json`
//! (what was run, where, by which commit, how it ended). A directory that already holds a run is
//! never overwritten.

use std::collections::BTreeMap;
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
    /// Data rows of every CSV of the run directory when it was written ([`csv_rows`]): a cell
    /// whose files no longer match is damaged, not finished ([`check_rows`]). Empty in
    /// manifests written before it was recorded.
    #[serde(default)]
    pub rows: BTreeMap<String, usize>,
}

impl Manifest {
    /// The rows its CSVs held when written: `rows`, or for a manifest from before it was
    /// recorded, `evaluations` rows of history.csv.
    pub fn recorded_rows(&self) -> BTreeMap<String, usize> {
        if self.rows.is_empty() {
            [("history.csv".to_string(), self.evaluations)].into()
        } else {
            self.rows.clone()
        }
    }
}

/// The data rows (lines after the header) of every `*.csv` in `dir`, by file name.
pub fn csv_rows(dir: &Path) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.ends_with(".csv") && !name.starts_with('.') {
            out.insert(name, data_rows(&e.path()).unwrap_or(0));
        }
    }
    out
}

/// Lines after the header of a CSV file (a last line without its newline counts too).
fn data_rows(path: &Path) -> std::io::Result<usize> {
    let text = fs::read(path)?;
    let lines = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    Ok(lines.saturating_sub(1))
}

/// Checks that the CSVs of the finished run in `dir` still hold the rows its manifest recorded
/// (`rows`); the error names the file, both counts, and the way out.
pub fn check_rows(dir: &Path, rows: &BTreeMap<String, usize>) -> Result<(), String> {
    for (name, &n) in rows {
        let found = data_rows(&dir.join(name));
        if found.as_ref().ok() != Some(&n) {
            let found = match found {
                Ok(k) => format!("{k} rows"),
                Err(e) => format!("unreadable ({e})"),
            };
            return Err(format!(
                "`{}` is damaged: {name} has {found}, its manifest.json says {n}; rerun with \
                 --force to move it aside and run the cell again",
                dir.display()
            ));
        }
    }
    Ok(())
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
    /// The machine (CPU model, cores); absent in manifests written before it was recorded.
    #[serde(default)]
    pub machine: Option<String>,
}

impl Provenance {
    /// This process's.
    pub fn current() -> Self {
        Self {
            rustc: env!("SOCBENCH_RUSTC").to_string(),
            threads: socbench_harness::compute_threads(),
            socbench_net: std::env::var("SOCBENCH_NET").ok(),
            socbench_malloc: std::env::var("SOCBENCH_MALLOC").ok(),
            machine: Some(socbench_harness::machine::machine()),
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
    let dst = dir.join(name);
    socbench_harness::atomic::write(&dst, body).map_err(io(&dst))
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
    let manifest = Manifest {
        rows: csv_rows(dir),
        ..manifest.clone()
    };
    let json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    put("manifest.json", &json)
}
