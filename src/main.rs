//! `socbench`: command-line entry point. `socbench train …` runs one training run; sweeps and
//! reports live in `cargo xtask`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "socbench",
    version,
    about = "SOC / path-space sampling benchmark"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train one method on one target and write history.csv + manifest.json to a new run directory.
    Train(cli::train::TrainArgs),
    /// Run small fixed-seed problems on a device and on a reference device and check they agree
    /// within float32 tolerance (GMM u*, log weights, log Z, the dual, a short TR-LV run).
    Crosscheck(cli::crosscheck::CrosscheckArgs),
    /// List the registered methods: name, trainer, and what the loss is.
    Methods,
    /// Run one cell of a sweep from a cell list (what each Slurm array task of `cargo xtask
    /// replicate --slurm` runs; docs/cluster.md).
    Cell(cli::cell::CellArgs),
}

fn main() -> ExitCode {
    socbench_harness::malloc::tune();
    // Subnormals flushed to zero in this thread and rayon's pool (harness/src/fpenv.rs).
    socbench_harness::fpenv::ensure();
    // Runs record the commit this process started from (edits made while it runs don't count).
    socbench_methods::record::pin_commit();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => cli::train::run(args),
        Command::Crosscheck(args) => cli::crosscheck::run(args),
        Command::Cell(args) => cli::cell::run(args).map_err(Into::into),
        Command::Methods => {
            cli::methods::print();
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
