//! `cargo xtask report <experiment>`: the markdown report (and SVG) of an experiment's results,
//! written by its kind (`socbench_experiments::family`).

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    pub which: crate::replicate::Which,
    /// Default: paper when built with the cuda feature and a GPU is present, cpu otherwise.
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
}

impl ReportArgs {
    /// `--profile`, or the default profile of the default device.
    pub fn profile(&self) -> String {
        self.profile.clone().unwrap_or_else(|| {
            crate::replicate::default_profile(socbench_harness::backend::default_name()).into()
        })
    }
}

pub fn run(a: ReportArgs) -> Result<(), String> {
    a.which.load()?.report(&a.profile(), &a.results, &a.reports)
}
