//! What `replicate` does alike for the experiment kinds whose cells are (arm, seed) pairs (TPS,
//! fine-tuning): check the arguments, narrow the cells by `--methods` and `--seeds`, skip the
//! finished ones, and after the pool has run the others (each under its lock: resumed from its
//! checkpoint or, interrupted without one, moved aside and rerun), log the sweep.

use std::path::{Path, PathBuf};

use socbench_harness::backend::{self, Device};

use crate::replicate::ReplicateArgs;

/// A cell of such an experiment.
pub trait ArmCell: Clone {
    fn arm(&self) -> &str;
    fn seed(&self) -> u64;
    fn dir(&self, results: &Path) -> PathBuf;
    /// Finished with this configuration (false: absent or interrupted; Err: another one).
    fn finished(&self, dir: &Path) -> Result<bool, String>;
}

pub struct Prepared<C> {
    pub device: Device,
    pub jobs: usize,
    pub profile: String,
    /// Every selected cell; `todo` those still to run (with their directories), `done` the rest.
    pub cells: Vec<C>,
    pub todo: Vec<(C, PathBuf)>,
    pub done: usize,
}

/// Checks the arguments and selects the cells of experiment `exp` (`cells` of a profile, whose
/// arms `arms` lists for the error message); `why_no_dims` says why `--dims` does not apply.
pub fn prepare<C: ArmCell>(
    a: &ReplicateArgs,
    exp: &str,
    why_no_dims: &str,
    cells: impl Fn(&str) -> Result<Vec<C>, String>,
    arms: impl Fn(&str) -> Result<Vec<String>, String>,
) -> Result<Prepared<C>, String> {
    let device = backend::by_name(&a.device).map_err(|e| e.to_string())?;
    let jobs = a.jobs()?;
    if !a.dims.is_empty() {
        return Err(format!("invalid `--dims`: {exp} {why_no_dims}"));
    }
    let profile = a
        .profile
        .clone()
        .unwrap_or_else(|| crate::replicate::default_profile(&a.device).into());
    let every = cells(&profile)?;
    if let Some(bad) = a
        .methods
        .iter()
        .find(|m| !every.iter().any(|c| c.arm() == *m))
    {
        return Err(format!(
            "invalid `--methods` entry `{bad}`: allowed the arms of {exp} (profile `{profile}`): {}",
            arms(&profile)?.join(", ")
        ));
    }
    let cells: Vec<C> = every
        .into_iter()
        .filter(|c| a.methods.is_empty() || a.methods.iter().any(|m| m == c.arm()))
        .filter(|c| a.seeds.is_none_or(|n| c.seed() < n))
        .collect();
    let mut todo = Vec::new();
    let mut done = 0;
    // Finished cells are skipped; the others are claimed, reopened and run by the pool.
    for c in &cells {
        let dir = c.dir(&a.results);
        if !a.force && c.finished(&dir)? {
            done += 1;
            continue;
        }
        todo.push((c.clone(), dir));
    }
    Ok(Prepared {
        device,
        jobs,
        profile,
        cells,
        todo,
        done,
    })
}

/// The profile `replicate` means, and its cells narrowed by `--methods` and `--seeds` (for
/// `--slurm`, which skips finished cells itself).
pub fn selected<C: ArmCell>(
    a: &ReplicateArgs,
    cells: impl Fn(&str) -> Result<Vec<C>, String>,
) -> Result<(String, Vec<C>), String> {
    let profile = a
        .profile
        .clone()
        .unwrap_or_else(|| crate::replicate::default_profile(&a.device).into());
    let cells = cells(&profile)?
        .into_iter()
        .filter(|c| a.methods.is_empty() || a.methods.iter().any(|m| m == c.arm()))
        .filter(|c| a.seeds.is_none_or(|n| c.seed() < n))
        .collect();
    Ok((profile, cells))
}

impl<C: ArmCell + Sync> Prepared<C> {
    /// Runs the cells still to do on the pool (`crate::pool::run_cells`), each under its lock.
    pub fn run(
        &self,
        force: bool,
        prefix: &(dyn Fn(&C) -> String + Sync),
        run: &(dyn Fn(&C, &PathBuf, &indicatif::ProgressBar) -> crate::pool::CellOutcome + Sync),
    ) -> crate::pool::PoolOutcome {
        crate::pool::run_cells(
            &self.todo,
            self.cells.len(),
            self.done,
            self.jobs,
            force,
            &|c, d| c.finished(d),
            prefix,
            run,
        )
    }
}

impl<C> Prepared<C> {
    /// The line that opens a sweep.
    pub fn announce(&self, exp: &str) {
        eprintln!(
            "replicate {exp}: profile `{}`, device {}, {} cells ({} done, {} to run), {} jobs",
            self.profile,
            backend::name(&self.device),
            self.cells.len(),
            self.done,
            self.todo.len(),
            self.jobs
        );
    }

    /// After the pool: logs the sweep and turns failures into the error.
    pub fn conclude(
        &self,
        a: &ReplicateArgs,
        exp: &str,
        out: crate::pool::PoolOutcome,
    ) -> Result<(), String> {
        if out.ran > 0 {
            let dir = a.results.join(exp).join(&self.profile);
            let name = backend::name(&self.device);
            crate::replicate::log_sweep(&dir, &name, self.jobs, out.ran, out.minutes);
        }
        if out.failures.is_empty() {
            Ok(())
        } else {
            Err(out.failures.join("\n"))
        }
    }
}
