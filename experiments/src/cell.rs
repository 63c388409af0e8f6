//! One cell of a sweep: build the problem (a sampling target's DDS problem or a quadratic OU
//! problem), train, write `history.csv` and
//! `manifest.json` into a run directory that must not already hold a run.

use std::path::Path;
use std::time::Instant;

use socbench_harness::backend::{self, Device};
use socbench_harness::benchmark::Benchmark;
use socbench_harness::error::TargetError;
use socbench_harness::rng::StreamKey;
use socbench_methods::checkpoint::Checkpointing;
use socbench_methods::record::{
    config_hash, git_commit, write_run, Manifest, Provenance, RecordError,
};
use socbench_methods::train::{train_checkpointed, TrainError};
use socbench_methods::{validate_for, ConfigError, History, Method, Progress, Status, TrainConfig};
use socbench_targets::problems;

/// What to run.
#[derive(Clone, Debug)]
pub struct CellSpec {
    pub experiment: String,
    pub target: String,
    pub dim: usize,
    pub method: Method,
    /// The method's name, or the variant's (run directory, random streams, report legend).
    pub arm: String,
    pub seed: u64,
    /// Name of the profile the config came from (recorded in the manifest).
    pub profile: String,
    pub config: TrainConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum CellError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Stopped by SIGTERM after saving `checkpoint.mpk` in the run directory: rerunning the
    /// cell resumes from it.
    #[error(
        "interrupted after step {step}; the run resumes from {path} when the cell is run again"
    )]
    Interrupted { step: usize, path: String },
    #[error("{0}")]
    Checkpoint(String),
}

/// The checkpoint file of a cell's run directory (`socbench_methods::checkpoint`).
pub const CHECKPOINT: &str = "checkpoint.mpk";

/// The error of a run stopped by SIGTERM after saving its checkpoint at `path` (the TPS and
/// fine-tuning kinds; a sweep cell's is [`CellError::Interrupted`]).
pub fn interrupted(step: usize, path: &Path) -> String {
    CellError::Interrupted {
        step,
        path: path.display().to_string(),
    }
    .to_string()
}

/// Whether `dir` holds a checkpoint to resume (an interrupted run that must not be moved aside).
pub fn has_checkpoint(dir: &Path) -> bool {
    dir.join(CHECKPOINT).exists()
}

/// A cell's wall clock: the seconds its checkpoint had run for (when it resumes) plus this
/// process's, so that a resumed cell's manifest `wall_s` is the whole run's.
pub struct CellClock {
    start: Instant,
    before_s: f64,
}

impl CellClock {
    /// Starts the clock of the cell in `dir`, before its run resumes or starts.
    pub fn start(dir: &Path) -> Self {
        Self {
            start: Instant::now(),
            before_s: socbench_methods::checkpoint::saved_wall_s(&dir.join(CHECKPOINT)),
        }
    }

    /// Total seconds so far.
    pub fn total_s(&self) -> f64 {
        self.before_s + self.start.elapsed().as_secs_f64()
    }
}

/// What [`reopen`] did with an unfinished cell's directory.
pub enum Reopened {
    /// It holds a checkpoint: the run resumes from it.
    Resume,
    /// An interrupted run without a checkpoint was moved aside to this path.
    MovedAside(std::path::PathBuf),
    /// There was nothing there.
    Fresh,
}

/// Readies the directory of a cell that is not finished: a checkpoint is kept to resume from
/// (unless `fresh`, as with `--force`); anything else there is moved aside, never deleted.
pub fn reopen(dir: &Path, fresh: bool) -> Result<Reopened, String> {
    if !fresh && has_checkpoint(dir) {
        return Ok(Reopened::Resume);
    }
    Ok(
        match crate::sweep::move_aside(dir).map_err(|e| e.to_string())? {
            Some(old) => Reopened::MovedAside(old),
            None => Reopened::Fresh,
        },
    )
}

impl Reopened {
    /// The log line for `dir`, if there is one.
    pub fn message(&self, dir: &Path) -> Option<String> {
        match self {
            Reopened::Resume => Some(format!("{}: resuming from its checkpoint", dir.display())),
            Reopened::MovedAside(old) => Some(format!(
                "moved {} aside to {}",
                dir.display(),
                old.display()
            )),
            Reopened::Fresh => None,
        }
    }
}

impl CellSpec {
    /// The random-stream key (experiment, method or variant, d, seed; the target keys the
    /// streams common to every method).
    pub fn key(&self) -> StreamKey {
        StreamKey::new(&self.experiment, &self.arm, self.dim, self.seed).with_target(&self.target)
    }
}

/// Checks everything about the cell's input (target, d, config) and claims `dir`, before any
/// work: the errors are for invalid input or an unwritable/occupied directory.
pub fn prepare(spec: &CellSpec, dir: &Path) -> Result<Box<dyn Benchmark>, CellError> {
    let problem = problems::build(&spec.target, spec.dim, spec.config.time_steps)?;
    validate_for(&spec.config, spec.method, problem.as_ref())?;
    socbench_methods::record::claim_dir(dir)?;
    Ok(problem)
}

/// Checks every cell's input as [`prepare`] does (the target builds at its d, the config is
/// valid for the method and the problem), before any cell runs: all errors at once, one line
/// per distinct error, each naming the cell. A problem is built once per (target, d, steps).
pub fn check_cells(cells: &[CellSpec]) -> Result<(), String> {
    let mut built: std::collections::BTreeMap<
        (String, usize, usize),
        Result<Box<dyn Benchmark>, String>,
    > = Default::default();
    let mut errors: Vec<String> = Vec::new();
    for c in cells {
        let key = (c.target.clone(), c.dim, c.config.time_steps);
        let problem = built.entry(key).or_insert_with(|| {
            problems::build(&c.target, c.dim, c.config.time_steps).map_err(|e| e.to_string())
        });
        let err = match problem {
            Err(e) => Some(format!("target `{}` at d = {}: {e}", c.target, c.dim)),
            Ok(p) => validate_for(&c.config, c.method, p.as_ref())
                .err()
                .map(|e| format!("{}-d{}-{}: {e}", c.target, c.dim, c.arm)),
        };
        if let Some(e) = err.filter(|e| !errors.contains(e)) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} invalid cell input(s); nothing was run:\n{}",
            errors.len(),
            errors.join("\n")
        ))
    }
}

/// [`prepare`], then [`run_prepared`].
pub fn run_cell(
    spec: &CellSpec,
    device: &Device,
    dir: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(History, Manifest), CellError> {
    let problem = prepare(spec, dir)?;
    run_prepared(spec, problem.as_ref(), device, dir, progress)
}

/// Trains the prepared cell on `device` and writes it to `dir`. A diverged run is written too
/// (status `diverged`).
pub fn run_prepared(
    spec: &CellSpec,
    problem: &dyn Benchmark,
    device: &Device,
    dir: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<(History, Manifest), CellError> {
    let clock = CellClock::start(dir);
    let ckpt = Checkpointing::at(&dir.join(CHECKPOINT));
    let history = train_checkpointed(
        problem,
        spec.method,
        spec.method.build_loss(&spec.config),
        &spec.config,
        &spec.key(),
        device,
        progress,
        Some(&ckpt),
    )
    .map_err(|e| match e {
        TrainError::Config(c) => CellError::Config(c),
        TrainError::Checkpoint(m) => CellError::Checkpoint(m),
    })?;
    if let Status::Interrupted { step } = history.status {
        return Err(CellError::Interrupted {
            step,
            path: ckpt.path.display().to_string(),
        });
    }
    let message = match &history.status {
        Status::Diverged { message, .. } => Some(message.clone()),
        Status::Interrupted { step } => Some(format!("interrupted after step {step}")),
        Status::Finished => None,
    };
    let manifest = Manifest {
        status: history.status.as_str().to_string(),
        message,
        experiment: spec.experiment.clone(),
        target: spec.target.clone(),
        dim: spec.dim,
        method: spec.method.name().to_string(),
        variant: (spec.arm != spec.method.name()).then(|| spec.arm.clone()),
        seed: spec.seed,
        profile: spec.profile.clone(),
        config: spec.config.clone(),
        config_hash: config_hash(&spec.config),
        git_commit: git_commit(),
        backend: backend::name(device),
        device: format!("{device:?}"),
        wall_s: clock.total_s(),
        target_evals: history.last().map_or(0, |r| r.target_evals),
        evaluations: history.rows.len(),
        socbench_version: env!("CARGO_PKG_VERSION").to_string(),
        provenance: Some(Provenance::current()),
        // Counted by write_run once the CSVs are written.
        rows: Default::default(),
    };
    write_run(dir, &history, &manifest)?;
    // The run is complete: its checkpoint has served.
    let _ = std::fs::remove_file(&ckpt.path);
    Ok((history, manifest))
}
