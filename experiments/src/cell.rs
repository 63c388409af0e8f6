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
    let clock = Instant::now();
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
        wall_s: clock.elapsed().as_secs_f64(),
        target_evals: history.last().map_or(0, |r| r.target_evals),
        evaluations: history.rows.len(),
        socbench_version: env!("CARGO_PKG_VERSION").to_string(),
        provenance: Some(Provenance::current()),
    };
    write_run(dir, &history, &manifest)?;
    // The run is complete: its checkpoint has served.
    let _ = std::fs::remove_file(&ckpt.path);
    Ok((history, manifest))
}
