//! `cargo xtask replicate <experiment>`: run every cell of a sweep (resumable: finished cells are
//! skipped, interrupted ones are moved aside and rerun), in parallel with `--jobs`, then write the
//! report.

use std::path::PathBuf;

use clap::Args;
use socbench_experiments::family::{self, Cell, Experiment};
use socbench_harness::backend;

use crate::pool::run_cells;

/// Which experiment: a built-in one by name, or a user's file.
#[derive(Args, Debug)]
pub struct Which {
    // Help from the registry's built-in experiments.
    #[arg(
        required_unless_present = "def",
        conflicts_with = "def",
        help = format!("Experiment: {}", family::all_names().join(", "))
    )]
    pub experiment: Option<String>,
    /// An experiment file outside `experiments/defs/` of any kind (its `kind` field: sweep, the
    /// default, tps, finetune, pinn; same format and checks as the built-in ones; see
    /// docs/extending.md and examples/). Its results go to `<results>/<its name>/`.
    #[arg(long, value_name = "FILE")]
    pub def: Option<PathBuf>,
}

impl Which {
    pub fn load(&self) -> Result<Box<dyn Experiment>, String> {
        match (&self.def, &self.experiment) {
            (Some(path), _) => family::load_file(path),
            (None, Some(name)) => family::load(name),
            (None, None) => Err("give an experiment name or `--def <file>`".into()),
        }
    }
}

#[derive(Args, Debug)]
pub struct ReplicateArgs {
    #[command(flatten)]
    pub which: Which,
    /// A profile of the experiment (paper, cpu, smoke, and cpu-long where defined). Default: paper with `--device cuda`, cpu otherwise.
    #[arg(long)]
    pub profile: Option<String>,
    /// Cells run in parallel. Default: the number of cores (each cell is mostly single-threaded).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Rerun finished cells (their old directories are moved aside to `*.old-N`, never deleted).
    #[arg(long)]
    pub force: bool,
    /// Device: flex (CPU), ndarray, cuda (with `--features cuda`). Default: cuda when built with
    /// it and a GPU is present, flex otherwise.
    #[arg(long, default_value = backend::default_name())]
    pub device: String,
    /// Run only these dimensions of the sweep (comma-separated, e.g. `50`); the report still
    /// covers every finished cell.
    #[arg(long, value_delimiter = ',')]
    pub dims: Vec<usize>,
    /// Run only the first N seeds of the sweep (N >= 1).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub seeds: Option<u64>,
    /// Run only these methods or variants of the sweep (comma-separated names as in the
    /// experiment's file, e.g. `lv,tr-lv`); the report still covers every finished cell.
    #[arg(long, value_delimiter = ',')]
    pub methods: Vec<String>,
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Where reports go.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    #[command(flatten)]
    pub slurm: crate::slurm::SlurmArgs,
}

impl ReplicateArgs {
    /// `--jobs`, defaulting to the number of cores.
    pub fn jobs(&self) -> Result<usize, String> {
        let jobs = self
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        if jobs < 1 {
            return Err(format!("invalid `--jobs` = {jobs}: allowed >= 1"));
        }
        Ok(jobs)
    }
}

pub fn default_profile(device: &str) -> &'static str {
    if device == "cuda" {
        "paper"
    } else {
        "cpu"
    }
}

pub fn run(a: ReplicateArgs) -> Result<(), String> {
    // SIGTERM or Ctrl-C: the running cells save a checkpoint and stop, no new cell starts, and
    // a rerun resumes them (a second Ctrl-C kills at once).
    socbench_methods::checkpoint::install_sigterm();
    let exp = a.which.load()?;
    replicate(&a, exp.as_ref())
}

/// The cells of `exp` at `profile` that `--methods`, `--dims` and `--seeds` select, or the
/// error naming the option and what it allows.
pub fn select(
    a: &ReplicateArgs,
    exp: &dyn Experiment,
    profile: &str,
) -> Result<Vec<Box<dyn Cell>>, String> {
    let data = exp.data_name();
    if let (false, Some(why)) = (a.dims.is_empty(), exp.no_dims()) {
        return Err(format!("invalid `--dims`: {} {why}", exp.name()));
    }
    let every = exp.cells(profile)?;
    let mut arms: Vec<&str> = every.iter().map(|c| c.arm()).collect();
    arms.sort_unstable();
    arms.dedup();
    if let Some(bad) = a.methods.iter().find(|m| !arms.contains(&m.as_str())) {
        return Err(format!(
            "invalid `--methods` entry `{bad}`: allowed the methods, variants and arms of \
             {data} (profile `{profile}`): {}",
            arms.join(", ")
        ));
    }
    let mut dims: Vec<usize> = every.iter().filter_map(|c| c.dim()).collect();
    dims.sort_unstable();
    dims.dedup();
    let all: Vec<Box<dyn Cell>> = every
        .into_iter()
        .filter(|c| a.methods.is_empty() || a.methods.iter().any(|m| m == c.arm()))
        .filter(|c| a.dims.is_empty() || c.dim().is_some_and(|d| a.dims.contains(&d)))
        .filter(|c| a.seeds.is_none_or(|n| c.seed() < n))
        .collect();
    if all.is_empty() && !a.dims.is_empty() {
        return Err(format!(
            "no cell of {data} (profile `{profile}`) has d in {:?}: allowed `--dims` are {dims:?}",
            a.dims
        ));
    }
    Ok(all)
}

/// Runs every selected cell of `exp` that has not finished (resumable, `--jobs` at once), logs
/// the sweep, then writes the report; with `--slurm`, submits them instead.
pub fn replicate(a: &ReplicateArgs, exp: &dyn Experiment) -> Result<(), String> {
    let device = backend::by_name(&a.device).map_err(|e| e.to_string())?;
    let jobs = a.jobs()?;
    let profile = a
        .profile
        .clone()
        .unwrap_or_else(|| default_profile(&a.device).into());
    let data = exp.data_name();
    if data != exp.name() {
        eprintln!(
            "{} is another view of the runs of {data}: running {data}'s sweep",
            exp.name()
        );
    }
    let all = select(a, exp, &profile)?;
    exp.check_cells(&all)?;
    if a.slurm.slurm {
        if !a.slurm.dry_run {
            exp.before_cells(&profile, &device)?;
        }
        let s = crate::slurm::SlurmSweep::new(exp, profile, all, &a.results, &a.reports);
        return crate::slurm::submit(a, &s);
    }
    let total = all.len();
    let mut todo: Vec<(Box<dyn Cell>, PathBuf)> = Vec::new();
    let mut done = 0;
    // Finished cells are skipped; the others are claimed, reopened and run by the pool.
    for c in all {
        let dir = c.dir(&a.results);
        if a.force || !c.finished(&dir)? {
            todo.push((c, dir));
        } else {
            done += 1;
        }
    }
    if !todo.is_empty() {
        // Once, before the cells (which run in parallel) need it.
        exp.before_cells(&profile, &device)?;
    }
    let est: Option<f64> = todo.iter().map(|(c, _)| c.estimate_s()).sum();
    eprintln!(
        "replicate {data}: profile `{profile}`, device {}, {total} cells ({done} done, {} to \
         run), {jobs} jobs{}",
        backend::name(&device),
        todo.len(),
        est.map_or(String::new(), |s| format!(
            ", estimated {:.0} min",
            s / jobs as f64 / 60.0
        )),
    );
    let prefix = |c: &Box<dyn Cell>| c.key();
    let run = |c: &Box<dyn Cell>, dir: &PathBuf, bar: &indicatif::ProgressBar| {
        let mut on_step = |p: &family::Progress| {
            bar.set_length(p.total as u64);
            bar.set_position(p.step as u64);
            if !p.message.is_empty() {
                bar.set_message(p.message.clone());
            }
        };
        c.run(&device, dir, &mut on_step).map(|r| r.message)
    };
    let out = run_cells(
        &todo,
        total,
        done,
        jobs,
        a.force,
        &|c, d| c.finished(d),
        &prefix,
        &run,
    );
    if out.ran > 0 {
        let dir = a.results.join(data).join(&profile);
        log_sweep(&dir, &backend::name(&device), jobs, out.ran, out.minutes);
    }
    if !out.failures.is_empty() {
        return Err(out.failures.join("\n"));
    }
    exp.report(&profile, &a.results, &a.reports)
}

/// Appends one line per `replicate` invocation to `<results>/<experiment>/<profile>/sweeps.csv`
/// (end time, commit, device, jobs, cells run, wall minutes): the whole-run wall time that
/// `cargo xtask bench` reports. The file is rewritten whole (temporary file, then rename), with
/// its header restored if an earlier write lost it, so a full disk never leaves it empty.
pub fn log_sweep(dir: &std::path::Path, device: &str, jobs: usize, cells: usize, minutes: f64) {
    const HEADER: &str = "finished_unix_s,commit,device,jobs,cells_run,wall_min\n";
    let path = dir.join("sweeps.csv");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let rows = old.strip_prefix(HEADER).unwrap_or(&old);
    let line = format!(
        "{},{},{device},{jobs},{cells},{minutes:.2}\n",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        socbench_methods::record::git_commit(),
    );
    let body = format!("{HEADER}{rows}{line}");
    if let Err(e) = socbench_harness::atomic::write(&path, body) {
        eprintln!("warning: could not append to {}: {e}", path.display());
    }
}
