//! `cargo xtask <command>`: project tasks (oracle table; replicate/report/check/bench to come).

mod oracle;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "socbench project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate each target's analytic (GMM: u*) or baseline (u = 0) control and print the
    /// metrics that discretisation alone leaves.
    Oracle(oracle::OracleArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Oracle(args) => oracle::run(args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
