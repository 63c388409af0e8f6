//! Runs the cells of a sweep on `jobs` threads with a progress bar for the sweep and one per
//! running cell (shared by every experiment kind's `replicate`).
//!
//! Any number of processes (local `replicate`s, Slurm array tasks) may work on one results folder:
//! a cell is run only under its lock (`socbench_experiments::claim`, the Slurm workers' own), so
//! each runs exactly once. Holding the lock, a worker checks again whether the cell has
//! finished meanwhile, and only then moves an interrupted run aside or resumes its checkpoint.
//! A cell held by another live local process is waited for (its owner's exit frees it, and a
//! dead owner's lock is taken over); one held by a live Slurm task is left to it.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use socbench_experiments::cell::reopen;
use socbench_experiments::claim::{claim, lock_of, Claimed, Owner};

/// What a pool's run did: the failures ("<dir>: <error>"), the wall minutes, and how many cells
/// it ran itself (the others were finished or held by other workers).
pub struct PoolOutcome {
    pub failures: Vec<String>,
    pub minutes: f64,
    pub ran: usize,
}

/// What one cell's run reports: `Ok(Some(message))` for a diverged run (recorded, the sweep goes
/// on), `Ok(None)` for a finished one, `Err` for a failure (collected and returned).
pub type CellOutcome = Result<Option<String>, String>;

/// Whether a cell's directory holds its finished run (`Err`: a run of another configuration).
pub type Finished<'a, C> = &'a (dyn Fn(&C, &Path) -> Result<bool, String> + Sync);

/// How often a cell held by another process is looked at again.
const POLL: Duration = Duration::from_millis(500);

/// What became of one attempt at a cell.
enum Attempt {
    /// Run here.
    Ran,
    /// Found finished by another worker, or left to a Slurm task: done with it.
    Done,
    /// Held by a live local process: try again later.
    Wait,
}

/// Runs `run(cell, bar)` for every `(cell, dir)` of `todo` that is not finished when its lock is
/// taken; `total` and `done` size the overall bar; with `force` finished cells are moved aside
/// and rerun.
#[allow(clippy::too_many_arguments)]
pub fn run_cells<C: Sync>(
    todo: &[(C, PathBuf)],
    total: usize,
    done: usize,
    jobs: usize,
    force: bool,
    finished: Finished<'_, C>,
    prefix: &(dyn Fn(&C) -> String + Sync),
    run: &(dyn Fn(&C, &PathBuf, &ProgressBar) -> CellOutcome + Sync),
) -> PoolOutcome {
    let multi = MultiProgress::new();
    let overall = multi.add(ProgressBar::new(total as u64));
    overall.set_style(
        ProgressStyle::with_template("{elapsed_precise} cells [{wide_bar}] {pos}/{len} ETA {eta}")
            .expect("template"),
    );
    overall.set_position(done as u64);
    overall.reset_eta();
    let queue: Mutex<VecDeque<(usize, Option<Instant>)>> =
        Mutex::new((0..todo.len()).map(|i| (i, None)).collect());
    let failures = Mutex::new(Vec::new());
    let ran = std::sync::atomic::AtomicUsize::new(0);
    let others = std::sync::atomic::AtomicUsize::new(0);
    let me = Owner::me();
    let clock = Instant::now();
    let say = |m: String| multi.suspend(|| eprintln!("{m}"));
    let attempt = |c: &C, dir: &PathBuf, first: bool| -> Result<Attempt, String> {
        let (locks, name) = lock_of(dir);
        let _claim = match claim(&locks, &name, &me).map_err(|e| e.to_string())? {
            Claimed::Mine(claim) => claim,
            Claimed::Busy(o) if !o.slurm.is_empty() => {
                say(format!(
                    "{}: held by Slurm task {}; left to it",
                    dir.display(),
                    o.slurm
                ));
                return Ok(Attempt::Done);
            }
            Claimed::Busy(o) => {
                if first {
                    say(format!(
                        "{}: held by pid {} on {}; waiting for it",
                        dir.display(),
                        o.pid,
                        o.host
                    ));
                }
                return Ok(Attempt::Wait);
            }
        };
        // Under the lock: another worker may have finished the cell since the sweep looked.
        if !force && finished(c, dir)? {
            return Ok(Attempt::Done);
        }
        if let Some(m) = reopen(dir, force)?.message(dir) {
            say(m);
        }
        let bar = multi.add(ProgressBar::new(0));
        bar.set_style(
            ProgressStyle::with_template("  {prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
                .expect("template"),
        );
        bar.set_prefix(prefix(c));
        bar.enable_steady_tick(Duration::from_millis(500));
        let outcome = run(c, dir, &bar);
        bar.finish_and_clear();
        multi.remove(&bar);
        if let Some(msg) = outcome? {
            say(format!("diverged: {msg}"));
        }
        Ok(Attempt::Ran)
    };
    std::thread::scope(|s| {
        for _ in 0..jobs.min(todo.len().max(1)) {
            s.spawn(|| loop {
                socbench_harness::fpenv::set_this_thread();
                if socbench_methods::checkpoint::stop_requested() {
                    // SIGTERM/SIGINT: the running cells checkpoint; no new one starts.
                    break;
                }
                let next = queue.lock().unwrap().pop_front();
                let Some((i, retry_at)) = next else { break };
                if let Some(t) = retry_at {
                    std::thread::sleep(t.saturating_duration_since(Instant::now()));
                }
                let (c, dir) = &todo[i];
                match attempt(c, dir, retry_at.is_none()) {
                    Ok(Attempt::Wait) => {
                        queue
                            .lock()
                            .unwrap()
                            .push_back((i, Some(Instant::now() + POLL)));
                        continue;
                    }
                    Ok(Attempt::Ran) => {
                        ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Ok(Attempt::Done) => {
                        others.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Err(e) => failures
                        .lock()
                        .unwrap()
                        .push(format!("{}: {e}", dir.display())),
                }
                overall.inc(1);
            });
        }
    });
    overall.finish();
    let minutes = clock.elapsed().as_secs_f64() / 60.0;
    let ran = ran.into_inner();
    eprintln!(
        "ran {ran} cells in {minutes:.1} min ({} finished or held by other workers)",
        others.into_inner()
    );
    PoolOutcome {
        failures: failures.into_inner().unwrap(),
        minutes,
        ran,
    }
}
