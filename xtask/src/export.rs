//! `cargo xtask export <experiment>`: an experiment's results as one tidy long table, one row
//! per (cell, evaluation, metric) (`socbench_experiments::export`), written beside its report as
//! `<reports>/<experiment>[-<profile>].csv`.

use clap::Args;
use socbench_experiments::export::{rows, write_table};
use socbench_reports::output::stem;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The experiment, `--profile`, `--results`, and `--reports` (where the table goes).
    #[command(flatten)]
    pub at: crate::report::ReportArgs,
    /// csv, or csv.gz (the committed tables: a tenth of the size; pandas, R and polars read it
    /// as they read csv). Parquet is not built in: the tidy CSV is what every tool reads, and
    /// gzip keeps it small without a columnar-format dependency.
    #[arg(long, default_value = "csv")]
    pub format: String,
}

pub fn run(a: ExportArgs) -> Result<(), String> {
    if a.format != "csv" && a.format != "csv.gz" {
        return Err(format!(
            "invalid `--format` = {}: allowed csv, csv.gz",
            a.format
        ));
    }
    let at = &a.at;
    let exp = at.which()?.load()?;
    let profile = at.profile();
    let table = rows(exp.as_ref(), &profile, &at.results)?;
    if table.is_empty() {
        return Err(format!(
            "no finished runs of {} (profile `{profile}`) under `{}`",
            exp.name(),
            at.results.display()
        ));
    }
    std::fs::create_dir_all(&at.reports).map_err(|e| e.to_string())?;
    let path = at
        .reports
        .join(format!("{}.{}", stem(exp.name(), &profile), a.format));
    write_table(&path, &table)?;
    eprintln!("wrote {} ({} rows)", path.display(), table.len());
    Ok(())
}
