//! `socbench cell --list F --index I`: runs one cell of a sweep, as a Slurm array task does
//! (`cargo xtask replicate --slurm`, docs/cluster.md). The cell is claimed with a lock file
//! first, so no result is written twice: a finished cell is left alone, a cell another live task
//! holds is skipped, and an interrupted one (a directory without a manifest) is moved aside and
//! run again.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use socbench_experiments::cell::{reopen, Reopened};
use socbench_experiments::cell_list::CellList;
use socbench_experiments::claim::{claim, lock_of, Claimed, Owner};
use socbench_harness::backend;

#[derive(Args, Debug)]
pub struct CellArgs {
    /// The cell list the array job was submitted with.
    #[arg(long)]
    list: PathBuf,
    /// The line of the list (the array task id).
    #[arg(long)]
    index: usize,
    #[arg(long, default_value = "results")]
    results: PathBuf,
    #[arg(long, default_value = backend::default_name())]
    device: String,
}

pub fn run(a: CellArgs) -> Result<ExitCode, String> {
    // Slurm sends SIGTERM before a pre-emption or the time limit: checkpoint and stop.
    socbench_methods::checkpoint::install_sigterm();
    let list = CellList::read(&a.list)?;
    let (spec, dir) = list.cell(a.index, &a.results)?;
    let device = backend::by_name(&a.device).map_err(|e| e.to_string())?;
    let (locks, name) = lock_of(&dir);
    let _claim = match claim(&locks, &name, &Owner::me()).map_err(|e| e.to_string())? {
        Claimed::Mine(c) => c,
        Claimed::Busy(o) => {
            eprintln!(
                "{name}: held by another worker ({} on {}, pid {}); skipped",
                o.slurm, o.host, o.pid
            );
            return Ok(ExitCode::SUCCESS);
        }
    };
    match spec.finished(&dir) {
        Ok(true) => {
            eprintln!("{name}: already finished");
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => {
            return Err(format!(
                "{e}: move it aside or rerun with `cargo xtask replicate --force`"
            ))
        }
        Ok(false) => match reopen(&dir, false)? {
            Reopened::Resume => eprintln!("{name}: resuming from its checkpoint"),
            Reopened::MovedAside(old) => eprintln!(
                "{name}: moved an interrupted run aside to {}",
                old.display()
            ),
            Reopened::Fresh => {}
        },
    }
    eprintln!("{name}: running on {}", backend::name(&device));
    let clock = std::time::Instant::now();
    let status = spec.run(&device, &dir, &mut |_| {})?.status;
    eprintln!("{name}: {status} in {:.1} s", clock.elapsed().as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
