//! One interface for every experiment kind (a sweep of `defs/*.toml`, transition path sampling,
//! reward fine-tuning, PINN, and any kind a user adds): an [`Experiment`] lists its profiles and
//! its [`Cell`]s, each cell knows its directory, configuration hash, state on disk, estimated
//! time and how to run itself, and the experiment writes its report. `cargo xtask replicate`,
//! `report`, `list`, `slurm status`, `check` and `socbench cell` see experiments only through
//! this module; the kinds are registered in [`KINDS`] (or, for a kind defined outside this
//! crate, with [`register`]). See docs/extending.md, "Add an experiment family".

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use socbench_harness::backend::Device;

/// How far a running cell has got, for its progress bar.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub step: usize,
    pub total: usize,
    /// A short line (loss, λ) shown beside the bar; empty for none.
    pub message: String,
}

/// How a cell's run ended: its status (`ok`, `diverged`, …) and, for a diverged run, the
/// message that is recorded and printed (the sweep goes on).
#[derive(Clone, Debug)]
pub struct Ran {
    pub status: String,
    pub message: Option<String>,
}

/// One cell of an experiment: a unit of work with its own run directory.
pub trait Cell: Send + Sync + std::fmt::Debug {
    /// The method, variant or arm that `--methods` selects.
    fn arm(&self) -> &str;
    fn seed(&self) -> u64;
    /// The dimension that `--dims` selects, for kinds swept over d (`None`: not swept).
    fn dim(&self) -> Option<usize> {
        None
    }
    /// The target or system it runs on, for the exported results (`None`: the kind has one).
    fn target(&self) -> Option<String> {
        None
    }
    /// The trust-region bound ε of its run, for the exported results (`None`: not swept).
    fn epsilon(&self) -> Option<f64> {
        None
    }
    /// A short name for progress lines (`gmm-d2-lv-s0`).
    fn key(&self) -> String;
    /// Its run directory under the results root.
    fn dir(&self, results: &Path) -> PathBuf;
    /// The hash of everything that determines its result (recorded in its manifest).
    fn config_hash(&self) -> String;
    /// Finished with this configuration (`Ok(false)`: absent or interrupted; `Err`: a run of
    /// another configuration is there).
    fn finished(&self, dir: &Path) -> Result<bool, String>;
    /// Seconds it takes on the development machine (2 cores), before any cell has finished;
    /// `None` where the kind has no cost model.
    fn estimate_s(&self) -> Option<f64> {
        None
    }
    /// Metrics of the finished cell's final model that no history row holds (a TPS cell's
    /// per-path table, a PINN cell's final evaluation), for the exported results: (name, value),
    /// exported at the last history step (step 0 without a history).
    fn final_metrics(&self, _dir: &Path) -> Result<Vec<(String, f64)>, String> {
        Ok(Vec::new())
    }
    /// Runs the cell into `dir` (claimed, holding no finished run; a checkpoint there is
    /// resumed), reporting progress.
    fn run(
        &self,
        device: &Device,
        dir: &Path,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Ran, String>;
    /// The cell as `Any`, for its own kind's code to get its concrete type back
    /// (`fn as_any(&self) -> &dyn Any { self }`).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// An experiment of any kind, loaded from a built-in name or a `--def` file.
pub trait Experiment: Send + Sync {
    fn name(&self) -> &str;
    /// Its kind's name in [`KINDS`] (`sweep`, `tps`, `finetune`, `pinn`, …).
    fn kind(&self) -> &str;
    fn title(&self) -> &str;
    /// Where its runs go: `results/<data_name>/<profile>/` (another experiment's name for a
    /// sweep that is a view of another's runs).
    fn data_name(&self) -> &str {
        self.name()
    }
    /// The definition file of a `--def` experiment (`None` for a built-in one).
    fn origin(&self) -> Option<&Path>;
    fn profiles(&self) -> Vec<String>;
    /// Every cell of `profile`.
    fn cells(&self, profile: &str) -> Result<Vec<Box<dyn Cell>>, String>;
    /// Why `--dims` does not apply (`None`: it does).
    fn no_dims(&self) -> Option<&str> {
        None
    }
    /// Checks the selected cells' input before any runs (all errors at once).
    fn check_cells(&self, _cells: &[Box<dyn Cell>]) -> Result<(), String> {
        Ok(())
    }
    /// Work every cell needs done once, before the cells run in parallel (e.g. a base model
    /// pretrained into the cache).
    fn before_cells(&self, _profile: &str, _device: &Device) -> Result<(), String> {
        Ok(())
    }
    /// Writes `reports/<name>[-<profile>].md` (and its figures) from the finished runs.
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String>;
}

impl std::fmt::Debug for dyn Experiment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} experiment `{}`", self.kind(), self.name())
    }
}

/// A kind's `load`: the built-in experiment `name`, if it is one of the kind's.
pub type LoadFn = fn(name: &str) -> Option<Result<Box<dyn Experiment>, String>>;
/// A kind's `parse`: an experiment from a definition file's text; errors start with `origin`.
pub type ParseFn = fn(text: &str, origin: &Path) -> Result<Box<dyn Experiment>, String>;

/// A registered experiment kind: its name (what a definition file's `kind` field says), its
/// built-in definitions, and how to read a definition.
#[derive(Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    /// One line on what it runs, for `cargo xtask list`.
    pub about: &'static str,
    /// Its built-in experiments' names.
    pub builtins: fn() -> Vec<&'static str>,
    /// A built-in experiment of this kind, if `name` is one.
    pub load: LoadFn,
    /// An experiment from a definition file's text; errors start with `origin`.
    pub parse: ParseFn,
}

/// The built-in kinds. A new kind is one module and one line here.
pub const KINDS: &[Kind] = &[
    crate::sweep_kind::KIND,
    crate::tps_kind::KIND,
    crate::finetune_kind::KIND,
    crate::pinn_kind::KIND,
];

/// Kinds registered at run time ([`register`]), after the built-in ones.
static EXTRA: Mutex<Vec<Kind>> = Mutex::new(Vec::new());

/// Adds a kind defined outside this crate (a test's, a user's binary); a second kind of the same
/// name is an error.
pub fn register(kind: Kind) -> Result<(), String> {
    let mut extra = EXTRA.lock().unwrap_or_else(|e| e.into_inner());
    if KINDS
        .iter()
        .chain(extra.iter())
        .any(|k| k.name == kind.name)
    {
        return Err(format!(
            "experiment kind `{}` is registered already",
            kind.name
        ));
    }
    extra.push(kind);
    Ok(())
}

/// Every kind: the built-in ones, then the registered ones.
pub fn kinds() -> Vec<Kind> {
    let extra = EXTRA.lock().unwrap_or_else(|e| e.into_inner());
    KINDS.iter().chain(extra.iter()).copied().collect()
}

/// Every built-in experiment of every kind, kind by kind.
pub fn all_names() -> Vec<&'static str> {
    kinds().iter().flat_map(|k| (k.builtins)()).collect()
}

/// The built-in experiment `name`, of whichever kind; the error lists them all.
pub fn load(name: &str) -> Result<Box<dyn Experiment>, String> {
    kinds()
        .iter()
        .find_map(|k| (k.load)(name))
        .unwrap_or_else(|| {
            Err(format!(
                "invalid `experiment` = {name}: allowed one of {} (or `--def <file>`)",
                all_names().join(", ")
            ))
        })
}

/// A user's definition file (`--def <file>`): its `kind` field (default `sweep`) picks the
/// kind, which parses and checks it as its built-in definitions are. Its `name` (the results
/// directory) must not be a built-in experiment's.
pub fn load_file(path: &Path) -> Result<Box<dyn Experiment>, String> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{origin}: {e}"))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| format!("{origin}: {e}"))?;
    let kind = match table.get("kind") {
        None => "sweep",
        Some(toml::Value::String(s)) => s.as_str(),
        Some(v) => {
            return Err(format!(
                "{origin}: invalid `kind` = {v}: allowed one of {}",
                kind_names().join(", ")
            ))
        }
    };
    let k = kinds()
        .into_iter()
        .find(|k| k.name == kind)
        .ok_or_else(|| {
            format!(
                "{origin}: invalid `kind` = {kind:?}: allowed one of {}",
                kind_names().join(", ")
            )
        })?;
    let exp = (k.parse)(&text, path)?;
    if all_names().contains(&exp.name()) {
        return Err(format!(
            "{origin}: invalid `name` = {}: allowed any name but the built-in experiments' ({})",
            exp.name(),
            all_names().join(", ")
        ));
    }
    Ok(exp)
}

fn kind_names() -> Vec<&'static str> {
    kinds().iter().map(|k| k.name).collect()
}

/// `load_file(def)` if given, else `load(name)`.
pub fn load_either(name: &str, def: Option<&Path>) -> Result<Box<dyn Experiment>, String> {
    match def {
        Some(p) => load_file(p),
        None => load(name),
    }
}
