//! `cargo xtask <command>`: project tasks — replicate a figure, write its report, the CI metric
//! regression check, the oracle table, the kernel benchmarks, and GPU runs through the device tool.

mod arm_sweep;
mod bench;
mod check;
mod finetune;
mod gpu;
mod oracle;
mod peers;
mod pinn;
mod pool;
mod replicate;
mod report;
mod slurm;
mod tps;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "socbench project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every cell of an experiment's sweep (resumable), then write its report.
    Replicate(replicate::ReplicateArgs),
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
}

fn main() {
    // Training runs in this process (`replicate`, `check`): see harness/src/malloc.rs.
    socbench_harness::malloc::tune();
    // Subnormals flushed to zero in this thread and rayon's pool (harness/src/fpenv.rs).
    socbench_harness::fpenv::ensure();
    // Runs record the commit this process started from (edits made while it runs don't count).
    socbench_methods::record::pin_commit();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replicate(a) => replicate::run(a),
        Command::Pretrain(a) => finetune::pretrain(a),
        Command::Slurm(c) => slurm::run(c),
        Command::Report(a) => report::run(a),
        Command::Check(a) => check::run(a),
        Command::Oracle(args) => oracle::run(args),
        Command::Bench(a) => bench::run(a),
        Command::Gpu(a) => gpu::run(a),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
