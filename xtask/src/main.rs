//! `cargo xtask <command>` (the commands are in the library, `xtask::Cli`).

use clap::Parser;

fn main() {
    // Training runs in this process (`replicate`, `check`): see harness/src/malloc.rs.
    socbench_harness::malloc::tune();
    // Subnormals flushed to zero in this thread and rayon's pool (harness/src/fpenv.rs).
    socbench_harness::fpenv::ensure();
    // Runs record the commit this process started from (edits made while it runs don't count).
    socbench_methods::record::pin_commit();
    let cli = xtask::Cli::parse();
    let result = xtask::dispatch(cli);
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}
