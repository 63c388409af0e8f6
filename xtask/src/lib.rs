//! `cargo xtask <command>`: project tasks — replicate a figure, write its report, list the
//! experiments, the CI metric regression check, the oracle table, the kernel benchmarks, and GPU
//! runs through the device tool, chignolin's TICA fit. A library too, so that a test can drive the same commands
//! in-process ([`run_args`]) with an experiment kind it registers itself.

pub mod bench;
pub mod check;
pub mod export;
pub mod finetune;
pub mod gpu;
pub mod list;
pub mod oracle;
pub mod peers;
pub mod pool;
pub mod replicate;
pub mod report;
pub mod slurm;
pub mod tica;
pub mod verify;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "socbench project tasks")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every cell of an experiment's sweep (resumable), then write its report.
    Replicate(replicate::ReplicateArgs),
    /// Every experiment of every kind: profiles, cells, estimated time, committed report.
    List(list::ListArgs),
    /// An experiment's results as one tidy table (one row per cell, evaluation and metric).
    Export(export::ExportArgs),
    /// Re-run N sampled cells of a committed report at HEAD and compare them with its table.
    Verify(verify::VerifyArgs),
    /// Pretrain (or load from the cache) the base model of a fine-tuning experiment (fig5) and
    /// print its sample quality.
    Pretrain(finetune::PretrainArgs),
    /// Sweeps submitted with `replicate --slurm`: `status`.
    #[command(subcommand)]
    Slurm(slurm::SlurmCommand),
    /// Write `reports/<experiment>.md` (+ SVG) from the results of a sweep.
    Report(report::ReportArgs),
    /// CI metric regression check against `experiments/baselines/check.csv`.
    Check(check::CheckArgs),
    /// Simulate each target's analytic (GMM: u*) or baseline (u = 0) control and print the
    /// metrics that discretisation alone leaves.
    Oracle(oracle::OracleArgs),
    /// Benchmark the hot kernels at the paper's sizes and write `reports/performance.md`.
    Bench(bench::BenchArgs),
    /// A GPU run through the device tool: `stage` (build with cuda, print the run call) and
    /// `collect` (put the returned files in place, regenerate reports).
    Gpu(gpu::GpuArgs),
    /// Fit chignolin's TICA hit model on our own MD (writes targets/data/chignolin/tica-<T>K.json).
    Tica(tica::TicaArgs),
}

/// Runs a parsed command.
pub fn dispatch(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Replicate(a) => replicate::run(a),
        Command::List(a) => list::run(a),
        Command::Export(a) => export::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Pretrain(a) => finetune::pretrain(a),
        Command::Slurm(c) => slurm::run(c),
        Command::Report(a) => report::run(a),
        Command::Check(a) => check::run(a),
        Command::Oracle(args) => oracle::run(args),
        Command::Bench(a) => bench::run(a),
        Command::Gpu(a) => gpu::run(a),
        Command::Tica(a) => tica::run(a),
    }
}

/// Parses `args` (the first is the program name) and runs the command: what `cargo xtask …`
/// does, in this process.
pub fn run_args<I, T>(args: I) -> Result<(), String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    dispatch(Cli::try_parse_from(args).map_err(|e| e.to_string())?)
}
