//! `socbench crosscheck`: the cross-device agreement checks of [`socbench::crosscheck`], printed
//! as a table (and optionally written as JSON); exit status 1 when any check fails.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use socbench::crosscheck;
use socbench_harness::backend;

#[derive(Args, Debug)]
pub struct CrosscheckArgs {
    /// Device under test: flex, ndarray, cuda (with `--features cuda`). Default: cuda when built
    /// with it and a GPU is present, flex otherwise.
    #[arg(long, default_value_t = backend::default_name().to_string())]
    device: String,
    /// Reference device.
    #[arg(long, default_value = "flex")]
    reference: String,
    /// Also write the checks as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(a: CrosscheckArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let device = backend::by_name(&a.device)?;
    let reference = backend::by_name(&a.reference)?;
    let checks = crosscheck::run(&device, &reference)?;
    print!("{}", crosscheck::table(&checks, &device, &reference));
    if let Some(path) = &a.json {
        let doc = serde_json::json!({
            "device": backend::name(&device),
            "reference": backend::name(&reference),
            "checks": checks,
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc)?)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    let failed = checks.iter().filter(|c| !c.pass).count();
    if failed == 0 {
        println!("crosscheck: all {} checks agree", checks.len());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("crosscheck: {failed} of {} checks disagree", checks.len());
        Ok(ExitCode::from(1))
    }
}
