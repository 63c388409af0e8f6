//! Sweeps on a Slurm cluster: `cargo xtask replicate <exp> --slurm` writes an sbatch script with
//! one array task per unfinished cell (each runs `socbench cell --list … --index
//! $SLURM_ARRAY_TASK_ID`) and submits it; `cargo xtask slurm status <exp>` tells finished,
//! running, pending and failed cells apart from the manifests, the cells' locks, `squeue` and
//! `sacct`, and writes the report once every cell has finished. See docs/cluster.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};
use socbench_experiments::cell_list::CellList;
use socbench_experiments::claim::{holder, lock_of};
use socbench_experiments::family::{Cell, Experiment};

use crate::replicate::ReplicateArgs;

/// A sweep of any experiment kind, as `--slurm` and `slurm status` see it.
pub struct SlurmSweep<'a> {
    /// The experiment's name (what a task resolves its cell by).
    pub name: String,
    /// The folder its runs go to (`results/<data>/<profile>/`).
    pub data: String,
    pub profile: String,
    /// The definition file of a `--def` experiment.
    pub def: Option<PathBuf>,
    pub cells: Vec<Box<dyn Cell>>,
    /// Writes the report from the finished runs.
    pub report: Box<dyn Fn() -> Result<(), String> + 'a>,
}

impl<'a> SlurmSweep<'a> {
    /// The sweep of `exp` at `profile` over `cells`, reported into `reports`.
    pub fn new(
        exp: &'a dyn Experiment,
        profile: String,
        cells: Vec<Box<dyn Cell>>,
        results: &'a Path,
        reports: &'a Path,
    ) -> Self {
        let p = profile.clone();
        SlurmSweep {
            name: exp.name().to_string(),
            data: exp.data_name().to_string(),
            profile,
            def: exp.origin().map(Path::to_path_buf),
            cells,
            report: Box::new(move || exp.report(&p, results, reports)),
        }
    }
}

/// The Slurm options of `replicate`.
#[derive(Args, Debug, Clone, Default)]
pub struct SlurmArgs {
    /// Submit the unfinished cells as a Slurm array job instead of running them here.
    #[arg(long)]
    pub slurm: bool,
    /// sbatch --partition.
    #[arg(long, requires = "slurm")]
    pub partition: Option<String>,
    /// sbatch --time of each array task (HH:MM:SS or D-HH:MM:SS).
    #[arg(long, requires = "slurm", default_value = "04:00:00")]
    pub time: String,
    /// sbatch --gpus-per-task (with `--device cuda`).
    #[arg(long, requires = "slurm")]
    pub gpus_per_task: Option<u32>,
    /// sbatch --cpus-per-task.
    #[arg(long, requires = "slurm", default_value_t = 1)]
    pub cpus_per_task: u32,
    /// At most this many array tasks at once (`--array=0-N%K`).
    #[arg(long, requires = "slurm")]
    pub array_parallel: Option<usize>,
    /// Any further sbatch option, written as an `#SBATCH` line (repeatable), e.g.
    /// `--sbatch-arg=--account=myproj`.
    #[arg(long = "sbatch-arg", requires = "slurm", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// Write the script (and the cell list) but do not submit it.
    #[arg(long, requires = "slurm")]
    pub dry_run: bool,
}

#[derive(Subcommand, Debug)]
pub enum SlurmCommand {
    /// Finished, running, pending and failed cells of a sweep submitted with `--slurm`; writes
    /// the report once every cell has finished.
    Status(crate::report::ReportArgs),
}

pub fn run(c: SlurmCommand) -> Result<(), String> {
    match c {
        SlurmCommand::Status(a) => {
            let exp = a.which()?.load()?;
            let profile = a.profile();
            let cells = exp.cells(&profile)?;
            let sweep = SlurmSweep::new(exp.as_ref(), profile, cells, &a.results, &a.reports);
            let st = status(&sweep, &a.results)?;
            print!("{}", st.text);
            if st.all_finished() {
                (sweep.report)()?;
            }
            Ok(())
        }
    }
}

fn slurm_dir(results: &Path, sweep: &SlurmSweep) -> PathBuf {
    results.join(&sweep.data).join(&sweep.profile).join("slurm")
}

/// Whether a live worker (a Slurm task or a local process) holds the cell's lock.
pub fn held(dir: &Path) -> Option<String> {
    let (locks, name) = lock_of(dir);
    let o = holder(&locks, &name)?;
    o.alive().then(|| {
        if o.slurm.is_empty() {
            format!("pid {} on {}", o.pid, o.host)
        } else {
            format!("Slurm task {}", o.slurm)
        }
    })
}

/// `replicate --slurm`: submits the cells that are neither finished nor held by a live worker.
pub fn submit(a: &ReplicateArgs, sweep: &SlurmSweep) -> Result<(), String> {
    let s = &a.slurm;
    if a.force {
        return Err(
            "`--force` with `--slurm`: move the finished runs aside first (each task \
                    leaves a finished cell alone), or run without `--slurm`"
                .into(),
        );
    }
    let mut todo = Vec::new();
    for c in &sweep.cells {
        let dir = c.dir(&a.results);
        if c.finished(&dir)? {
            continue;
        }
        if held(&dir).is_some() {
            continue;
        }
        todo.push(dir);
    }
    let sdir = slurm_dir(&a.results, sweep);
    if todo.is_empty() {
        eprintln!("nothing to submit: every cell is finished or held by a live task");
    } else {
        std::fs::create_dir_all(sdir.join("logs")).map_err(|e| e.to_string())?;
        let abs = |p: &Path| std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()));
        let results = abs(&a.results)?;
        let root = abs(Path::new("."))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let list = CellList {
            experiment: sweep.name.clone(),
            def: sweep.def.as_ref().map(|p| abs(p)).transpose()?,
            profile: sweep.profile.clone(),
            cells: todo
                .iter()
                .map(|d| {
                    d.strip_prefix(&a.results)
                        .unwrap_or(d)
                        .display()
                        .to_string()
                })
                .collect(),
        };
        let list_path = abs(&sdir.join(format!("cells-{stamp}.txt")))?;
        std::fs::write(&list_path, list.to_text()).map_err(|e| e.to_string())?;
        let bin = socbench_binary(&a.device, s.dry_run)?;
        let script = sbatch_script(a, sweep, &list, &list_path, &bin, &results, &root, &sdir)?;
        let script_path = sdir.join(format!("job-{stamp}.sbatch"));
        std::fs::write(&script_path, &script).map_err(|e| e.to_string())?;
        if s.dry_run {
            eprintln!(
                "wrote {} ({} cells) and {}; not submitted (--dry-run)",
                script_path.display(),
                todo.len(),
                list_path.display()
            );
            print!("{script}");
            return Ok(());
        }
        let out = Command::new("sbatch")
            .arg("--parsable")
            .arg(&script_path)
            .output()
            .map_err(|e| format!("sbatch: {e} (is Slurm installed? scripts/slurm-local.sh)"))?;
        if !out.status.success() {
            return Err(format!(
                "sbatch {}: {}",
                script_path.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let job = String::from_utf8_lossy(&out.stdout)
            .trim()
            .split(';')
            .next()
            .unwrap_or("")
            .to_string();
        let jobs = sdir.join("jobs.csv");
        let new = !jobs.exists();
        let mut line = String::new();
        if new {
            line.push_str("job,submitted_unix_s,cells,list\n");
        }
        let _ = writeln!(line, "{job},{stamp},{},{}", todo.len(), list_path.display());
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&jobs)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .map_err(|e| format!("{}: {e}", jobs.display()))?;
        eprintln!(
            "submitted array job {job}: {} cells (logs in {}); `cargo xtask slurm status {}{}` \
             shows progress and writes the report when all are finished",
            todo.len(),
            sdir.join("logs").display(),
            sweep.name,
            format_args!(" --profile {}", sweep.profile)
        );
    }
    let st = status(sweep, &a.results)?;
    eprint!("{}", st.text);
    if st.all_finished() {
        (sweep.report)()?;
    }
    Ok(())
}

/// Builds `socbench` (release, with cuda for `--device cuda`) and returns its absolute path.
fn socbench_binary(device: &str, dry_run: bool) -> Result<PathBuf, String> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"));
    let bin =
        std::path::absolute(target.join("release").join("socbench")).map_err(|e| e.to_string())?;
    if dry_run {
        return Ok(bin);
    }
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["build", "--release", "--bin", "socbench"]);
    if device == "cuda" {
        cmd.args(["--features", "cuda"]);
    }
    let st = cmd.status().map_err(|e| format!("cargo build: {e}"))?;
    if !st.success() {
        return Err("cargo build --release --bin socbench failed".into());
    }
    Ok(bin)
}

#[allow(clippy::too_many_arguments)]
fn sbatch_script(
    a: &ReplicateArgs,
    sweep: &SlurmSweep,
    list: &CellList,
    list_path: &Path,
    bin: &Path,
    results: &Path,
    root: &Path,
    sdir: &Path,
) -> Result<String, String> {
    let s = &a.slurm;
    let n = list.cells.len();
    let logs = std::path::absolute(sdir.join("logs")).map_err(|e| e.to_string())?;
    let mut t = String::from("#!/bin/bash\n");
    let _ = writeln!(
        t,
        "#SBATCH --job-name=socbench-{}-{}",
        sweep.data, sweep.profile
    );
    let _ = writeln!(
        t,
        "#SBATCH --array=0-{}{}",
        n - 1,
        s.array_parallel.map_or(String::new(), |k| format!("%{k}"))
    );
    let _ = writeln!(t, "#SBATCH --time={}", s.time);
    let _ = writeln!(t, "#SBATCH --cpus-per-task={}", s.cpus_per_task);
    let _ = writeln!(t, "#SBATCH --output={}/%A_%a.out", logs.display());
    let _ = writeln!(t, "#SBATCH --open-mode=append");
    // Pre-empted or failed-node tasks go back to the queue; the lock lets a requeued task take
    // its own cell back, and the cell moves its interrupted run aside before rerunning.
    let _ = writeln!(t, "#SBATCH --requeue");
    if let Some(p) = &s.partition {
        let _ = writeln!(t, "#SBATCH --partition={p}");
    }
    if let Some(g) = s.gpus_per_task {
        let _ = writeln!(t, "#SBATCH --gpus-per-task={g}");
    }
    for x in &s.sbatch_args {
        let _ = writeln!(t, "#SBATCH {x}");
    }
    let _ = writeln!(
        t,
        "# Written by `cargo xtask replicate {} --profile {} --slurm` at commit {}: one array task\n\
         # per unfinished cell, each running the line $SLURM_ARRAY_TASK_ID of the cell list.\n\
         set -euo pipefail\ncd {}\nexec {} cell --list {} --index \"$SLURM_ARRAY_TASK_ID\" --results {} --device {}",
        sweep.name,
        sweep.profile,
        socbench_methods::record::git_commit(),
        root.display(),
        bin.display(),
        list_path.display(),
        results.display(),
        a.device
    );
    Ok(t)
}

/// The state of every cell of a sweep.
pub struct Status {
    pub counts: BTreeMap<&'static str, usize>,
    pub text: String,
}

impl Status {
    pub fn all_finished(&self) -> bool {
        self.counts.iter().all(|(k, &v)| *k == "finished" || v == 0)
    }
}

/// squeue's view: `<job>_<task>` → state (PENDING, RUNNING, …), expanded per array task.
fn squeue_states() -> BTreeMap<String, String> {
    let Ok(out) = Command::new("squeue")
        .args(["-h", "-r", "-o", "%i %T"])
        .output()
    else {
        return BTreeMap::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (id, st) = l.trim().split_once(' ')?;
            Some((id.to_string(), st.to_string()))
        })
        .collect()
}

/// sacct's view of jobs `ids`: `<job>_<task>` → "STATE exit"; Err when accounting is off.
fn sacct_states(ids: &[String]) -> Result<BTreeMap<String, String>, String> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = Command::new("sacct")
        .args([
            "-n",
            "-P",
            "-X",
            "-o",
            "JobID,State,ExitCode",
            "-j",
            &ids.join(","),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (f.len() >= 3).then(|| (f[0].to_string(), format!("{} {}", f[1], f[2])))
        })
        .collect())
}

/// Each cell's submission (job, array index): the latest list that names it.
fn submissions(sdir: &Path) -> BTreeMap<String, (String, usize)> {
    let mut out = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(sdir.join("jobs.csv")) else {
        return out;
    };
    for l in text.lines().skip(1) {
        let f: Vec<&str> = l.splitn(4, ',').collect();
        if f.len() < 4 {
            continue;
        }
        if let Ok(list) = CellList::read(Path::new(f[3])) {
            for (i, c) in list.cells.iter().enumerate() {
                out.insert(c.clone(), (f[0].to_string(), i));
            }
        }
    }
    out
}

pub fn status(sweep: &SlurmSweep, results: &Path) -> Result<Status, String> {
    let sdir = slurm_dir(results, sweep);
    let subs = submissions(&sdir);
    let queue = squeue_states();
    let jobs: Vec<String> = {
        let mut v: Vec<String> = subs.values().map(|(j, _)| j.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let sacct = sacct_states(&jobs);
    let mut counts: BTreeMap<&'static str, usize> =
        ["finished", "running", "pending", "failed", "not submitted"]
            .into_iter()
            .map(|k| (k, 0))
            .collect();
    let mut lines = String::new();
    for c in &sweep.cells {
        let dir = c.dir(results);
        let rel = dir
            .strip_prefix(results)
            .unwrap_or(&dir)
            .display()
            .to_string();
        let sub = subs.get(&rel);
        let task = sub.map(|(j, i)| format!("{j}_{i}"));
        let (kind, detail) = match c.finished(&dir) {
            Ok(true) => ("finished", String::new()),
            Err(e) => ("failed", e),
            Ok(false) => match task.as_ref().and_then(|t| queue.get(t)) {
                Some(st) if st == "RUNNING" || st == "COMPLETING" => ("running", st.clone()),
                Some(st) => ("pending", st.clone()),
                None => match (&task, held(&dir)) {
                    (_, Some(h)) => ("running", format!("held by {h}")),
                    (Some(t), None) => (
                        "failed",
                        sacct
                            .as_ref()
                            .ok()
                            .and_then(|m| m.get(t).cloned())
                            .unwrap_or_else(|| "ended without a manifest".into()),
                    ),
                    (None, None) => ("not submitted", String::new()),
                },
            },
        };
        *counts.get_mut(kind).expect("known kind") += 1;
        if kind != "finished" {
            let _ = writeln!(
                lines,
                "  {kind:<13} {rel} {}{}",
                task.map_or(String::new(), |t| format!("[{t}] ")),
                detail
            );
        }
    }
    let mut text = format!(
        "{} profile `{}`: {}\n",
        sweep.data,
        sweep.profile,
        counts
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    text.push_str(&lines);
    if let Err(e) = &sacct {
        let _ = writeln!(text, "  (sacct: {e})");
    }
    Ok(Status { counts, text })
}
