//! `cargo xtask export <experiment>`: an experiment's results as one tidy long table, one row
//! per (cell, evaluation, metric) (`socbench_experiments::export`), written beside its report as
//! `<reports>/<experiment>[-<profile>].csv`.

use std::path::PathBuf;

use clap::Args;
use socbench_experiments::export::{rows, to_csv};
use socbench_reports::output::stem;

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub which: crate::replicate::Which,
    /// Default: paper when built with the cuda feature and a GPU is present, cpu otherwise.
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Where the table goes (beside the reports).
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
    /// csv (parquet is not built in: the tidy CSV is what every tool reads).
    #[arg(long, default_value = "csv")]
    pub format: String,
}

pub fn run(a: ExportArgs) -> Result<(), String> {
    if a.format != "csv" {
        return Err(format!("invalid `--format` = {}: allowed csv", a.format));
    }
    let exp = a.which.load()?;
    let profile = a.profile.clone().unwrap_or_else(|| {
        crate::replicate::default_profile(socbench_harness::backend::default_name()).into()
    });
    let table = rows(exp.as_ref(), &profile, &a.results)?;
    if table.is_empty() {
        return Err(format!(
            "no finished runs of {} (profile `{profile}`) under `{}`",
            exp.name(),
            a.results.display()
        ));
    }
    std::fs::create_dir_all(&a.reports).map_err(|e| e.to_string())?;
    let path = a
        .reports
        .join(format!("{}.csv", stem(exp.name(), &profile)));
    socbench_harness::atomic::write(&path, to_csv(&table))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {} ({} rows)", path.display(), table.len());
    Ok(())
}
