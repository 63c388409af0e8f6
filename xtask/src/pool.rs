//! Runs the cells of a sweep on `jobs` threads with a progress bar for the sweep and one per
//! running cell (shared by `replicate` and the TPS experiments).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// What one cell's run reports: `Ok(Some(message))` for a diverged run (recorded, the sweep goes
/// on), `Ok(None)` for a finished one, `Err` for a failure (collected and returned).
pub type CellOutcome = Result<Option<String>, String>;

/// Runs `run(cell, bar)` for every `(cell, dir)` of `todo`; `total` and `done` size the overall
/// bar. Returns the failures ("<dir>: <error>") and the wall minutes.
pub fn run_cells<C: Sync>(
    todo: &[(C, PathBuf)],
    total: usize,
    done: usize,
    jobs: usize,
    prefix: &(dyn Fn(&C) -> String + Sync),
    run: &(dyn Fn(&C, &PathBuf, &ProgressBar) -> CellOutcome + Sync),
) -> (Vec<String>, f64) {
    let multi = MultiProgress::new();
    let overall = multi.add(ProgressBar::new(total as u64));
    overall.set_style(
        ProgressStyle::with_template("{elapsed_precise} cells [{wide_bar}] {pos}/{len} ETA {eta}")
            .expect("template"),
    );
    overall.set_position(done as u64);
    overall.reset_eta();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let clock = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(todo.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((c, dir)) = todo.get(i) else { break };
                let bar = multi.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template(
                        "  {prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}",
                    )
                    .expect("template"),
                );
                bar.set_prefix(prefix(c));
                bar.enable_steady_tick(Duration::from_millis(500));
                match run(c, dir, &bar) {
                    Ok(Some(msg)) => multi.suspend(|| eprintln!("diverged: {msg}")),
                    Ok(None) => {}
                    Err(e) => failures
                        .lock()
                        .unwrap()
                        .push(format!("{}: {e}", dir.display())),
                }
                bar.finish_and_clear();
                multi.remove(&bar);
                overall.inc(1);
            });
        }
    });
    overall.finish();
    let minutes = clock.elapsed().as_secs_f64() / 60.0;
    eprintln!("ran {} cells in {minutes:.1} min", todo.len());
    (failures.into_inner().unwrap(), minutes)
}
