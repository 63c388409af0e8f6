//! `cargo xtask replicate <experiment>`: run every cell of a sweep (resumable: finished cells are
//! skipped, interrupted ones are moved aside and rerun), in parallel with `--jobs`, then write the
//! report.

use std::path::PathBuf;

use clap::Args;
use socbench_experiments::definition::{self, Experiment, Resolved};
use socbench_experiments::sweep::{cell_dir, cells, finished};
use socbench_experiments::{run_cell, CellSpec};
use socbench_harness::backend;

use crate::pool::run_cells;

/// Which experiment: a built-in one by name, or a user's file.
#[derive(Args, Debug)]
pub struct Which {
    // Help from the list of built-in definitions.
    #[arg(
        required_unless_present = "def",
        conflicts_with = "def",
        help = format!("Experiment: {}", definition::all_names().join(", "))
    )]
    pub experiment: Option<String>,
    /// An experiment file outside `experiments/defs/` (same format, same checks; see
    /// docs/extending.md). Its results go to `<results>/<its name>/`.
    #[arg(long, value_name = "FILE")]
    pub def: Option<PathBuf>,
}

impl Which {
    /// The built-in experiment named, if `load` knows it (no `--def` given).
    fn builtin<T>(&self, load: fn(&str) -> Option<Result<T, String>>) -> Option<Result<T, String>> {
        self.def
            .is_none()
            .then_some(())
            .and(self.experiment.as_deref())
            .and_then(load)
    }

    /// The built-in transition-path-sampling experiment named, if it is one (`table1`).
    pub fn tps(&self) -> Option<Result<socbench_experiments::tps::TpsExperiment, String>> {
        self.builtin(socbench_experiments::tps::load)
    }

    /// The built-in fine-tuning experiment named, if it is one (`fig5`).
    pub fn finetune(&self) -> Option<Result<socbench_experiments::finetune::FtExperiment, String>> {
        self.builtin(socbench_experiments::finetune::load)
    }

    /// The built-in PINN experiment named, if it is one (`pinn-table`).
    pub fn pinn(&self) -> Option<Result<socbench_experiments::pinn::PinnExperiment, String>> {
        self.builtin(socbench_experiments::pinn::load)
    }

    pub fn load(&self) -> Result<Experiment, String> {
        match (&self.def, &self.experiment) {
            (Some(path), _) => definition::load_file(path),
            (None, Some(name)) => definition::load(name),
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

/// Rough seconds per cell before any cell has finished: measured here (2 cores, two jobs) for
/// the cpu profile of fig2 (about 3 minutes a cell at d ≤ 50) and the smoke profiles (10–30 s).
/// A cell's wall time on one core pair of this development machine (2 cores, flex), from a cost
/// model of its work: network passes per path and time step, scaled by the network's multiply
/// count relative to the `cpu` profile's 3 × 64 network at d = 50. Per path-step costs measured
/// there (Session 8): an on-policy step (simulate + loss + backward) 3.6 µs, a trust-region
/// inner step on stored paths 2.2 µs, a frozen simulation (buffer, evaluation) 1.0 µs. An upper
/// bound for trust-region runs, which may stop before their last refresh.
fn guess_seconds(c: &CellSpec) -> f64 {
    let cfg = &c.config;
    let n = &cfg.net;
    let macs = |d: usize, w: usize, depth: usize, tw: usize| {
        (w * w * depth.saturating_sub(1) + w * (d + tw) + w * d) as f64
    };
    let scale = macs(c.dim, n.width, n.depth, n.time_width) / macs(50, 64, 3, 32);
    let t = cfg.time_steps as f64;
    let work = if c.method.is_trust_region() {
        let tr = &cfg.tr;
        let r = tr.refreshes as f64;
        r * t * (tr.inner_steps as f64 * tr.minibatch as f64 * 2.2e-6 + tr.buffer as f64 * 1.0e-6)
    } else {
        cfg.steps as f64 * cfg.batch as f64 * t * 3.6e-6
    };
    // Each evaluation simulates its paths twice (metrics, then the control L2 error).
    let evals = (cfg.evals + 1) as f64 * cfg.eval_samples as f64 * t * 2.0e-6;
    scale * (work + evals)
}

/// An experiment, the experiment whose sweep produces its runs (its `source`, or itself), and
/// that sweep resolved for one profile.
pub struct Sweep {
    pub exp: Experiment,
    pub data: Experiment,
    pub resolved: Resolved,
}

/// [`resolve_experiment`] of a built-in experiment.
pub fn resolve(exp: &str, profile: Option<&str>, device: &str) -> Result<Sweep, String> {
    resolve_experiment(definition::load(exp)?, profile, device)
}

pub fn resolve_experiment(
    exp: Experiment,
    profile: Option<&str>,
    device: &str,
) -> Result<Sweep, String> {
    let data = exp.data()?;
    let resolved = data.resolve(profile.unwrap_or(default_profile(device)))?;
    Ok(Sweep {
        exp,
        data,
        resolved,
    })
}

pub fn run(a: ReplicateArgs) -> Result<(), String> {
    // SIGTERM or Ctrl-C: the running cells save a checkpoint and stop, no new cell starts, and
    // a rerun resumes them (a second Ctrl-C kills at once).
    socbench_methods::checkpoint::install_sigterm();
    if let Some(exp) = a.which.tps() {
        return crate::tps::replicate(&a, exp?);
    }
    if let Some(exp) = a.which.finetune() {
        return crate::finetune::replicate(&a, exp?);
    }
    if let Some(exp) = a.which.pinn() {
        return crate::pinn::replicate(&a, exp?);
    }
    let device = backend::by_name(&a.device).map_err(|e| e.to_string())?;
    let jobs = a.jobs()?;
    let sweep = resolve_experiment(a.which.load()?, a.profile.as_deref(), &a.device)?;
    let (exp, data, r) = (&sweep.exp, &sweep.data, &sweep.resolved);
    if data.name != exp.name {
        eprintln!(
            "{} is another view of the runs of {}: running {}'s sweep",
            exp.name, data.name, data.name
        );
    }
    let every = cells(data, r);
    let mut arms: Vec<&str> = every.iter().map(|c| c.arm.as_str()).collect();
    arms.sort_unstable();
    arms.dedup();
    if let Some(bad) = a.methods.iter().find(|m| !arms.contains(&m.as_str())) {
        return Err(format!(
            "invalid `--methods` entry `{bad}`: allowed the methods and variants of {} (profile \
             `{}`): {}",
            data.name,
            r.profile,
            arms.join(", ")
        ));
    }
    let all: Vec<CellSpec> = every
        .into_iter()
        .filter(|c| a.methods.is_empty() || a.methods.contains(&c.arm))
        .filter(|c| a.dims.is_empty() || a.dims.contains(&c.dim))
        .filter(|c| a.seeds.is_none_or(|n| c.seed < n))
        .collect();
    if all.is_empty() {
        return Err(format!(
            "no cell of {} (profile `{}`) has d in {:?}: allowed `--dims` are {:?}",
            data.name, r.profile, a.dims, r.dims
        ));
    }
    socbench_experiments::cell::check_cells(&all)?;
    if a.slurm.slurm {
        let s = crate::slurm::SlurmSweep::of_sweep(
            sweep,
            a.which.def.clone(),
            &a.results,
            &a.reports,
            Some(all),
        );
        return crate::slurm::submit(&a, &s);
    }
    let mut todo: Vec<(CellSpec, PathBuf)> = Vec::new();
    let mut done = 0;
    // Finished cells are skipped; the others are claimed, reopened and run by the pool.
    for c in all.iter() {
        let dir = cell_dir(&a.results, c);
        if a.force || !finished(&dir, c)? {
            todo.push((c.clone(), dir));
        } else {
            done += 1;
        }
    }
    let est: f64 = todo.iter().map(|(c, _)| guess_seconds(c)).sum::<f64>() / jobs as f64;
    eprintln!(
        "replicate {}: profile `{}`, device {}, {} cells ({} done, {} to run), {} jobs, \
         estimated {:.0} min",
        data.name,
        r.profile,
        backend::name(&device),
        all.len(),
        done,
        todo.len(),
        jobs,
        est / 60.0
    );
    let prefix = |c: &CellSpec| format!("{}-d{}-{}-s{}", c.target, c.dim, c.arm, c.seed);
    let run = |c: &CellSpec, dir: &PathBuf, bar: &indicatif::ProgressBar| {
        let mut on_step = |p: &socbench_methods::Progress| {
            bar.set_length(p.total as u64);
            bar.set_position(p.step as u64);
            let l = p.lambda.map(|l| format!(" λ={l:.3}")).unwrap_or_default();
            bar.set_message(format!("loss={:.3e}{l}", p.loss));
        };
        run_cell(c, &device, dir, &mut on_step)
            .map(|(_, m)| m.message)
            .map_err(|e| e.to_string())
    };
    let out = run_cells(
        &todo,
        all.len(),
        done,
        jobs,
        a.force,
        &|c, d| finished(d, c),
        &prefix,
        &run,
    );
    if out.ran > 0 {
        let first = todo[0].1.parent().unwrap_or(&a.results).to_path_buf();
        log_sweep(&first, &backend::name(&device), jobs, out.ran, out.minutes);
    }
    if !out.failures.is_empty() {
        return Err(out.failures.join("\n"));
    }
    crate::report::write(&sweep, &a.results, &a.reports)
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
