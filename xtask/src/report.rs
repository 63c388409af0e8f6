//! `cargo xtask report <experiment>`: the markdown report (and SVG) of an experiment's results,
//! written by its kind (`socbench_experiments::family`). `cargo xtask report --all`: every
//! report whose results are present, then `reports/index.md` from every committed report.

use std::path::{Path, PathBuf};

use clap::Args;
use socbench_experiments::family;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[arg(
        required_unless_present_any = ["def", "all"],
        conflicts_with_all = ["def", "all"],
        help = format!("Experiment: {}", family::all_names().join(", "))
    )]
    pub experiment: Option<String>,
    /// An experiment file outside `experiments/defs/` (see `replicate --def`).
    #[arg(long, value_name = "FILE", conflicts_with = "all")]
    pub def: Option<PathBuf>,
    /// Every built-in experiment and profile whose results are under `--results`, then
    /// `<reports>/index.md` from every report there (`--profile` is ignored).
    #[arg(long)]
    pub all: bool,
    /// Default: paper when built with the cuda feature and a GPU is present, cpu otherwise.
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
}

impl ReportArgs {
    /// The one experiment named (`--all` belongs to `report` alone).
    pub fn which(&self) -> Result<crate::replicate::Which, String> {
        if self.all {
            return Err("`--all` applies to `cargo xtask report` alone".into());
        }
        Ok(crate::replicate::Which {
            experiment: self.experiment.clone(),
            def: self.def.clone(),
        })
    }
    /// `--profile`, or the default profile of the default device.
    pub fn profile(&self) -> String {
        self.profile.clone().unwrap_or_else(|| {
            crate::replicate::default_profile(socbench_harness::backend::default_name()).into()
        })
    }
}

pub fn run(a: ReportArgs) -> Result<(), String> {
    if a.all {
        return all(&a.results, &a.reports);
    }
    a.which()?
        .load()?
        .report(&a.profile(), &a.results, &a.reports)
}

/// The catalogue of the papers' claims.
pub const CATALOGUE: &str = "experiments/reference/claims.toml";

/// `report --all`: regenerate what the results allow, then the index.
fn all(results: &Path, reports: &Path) -> Result<(), String> {
    let mut failed = Vec::new();
    for name in family::all_names() {
        let exp = family::load(name)?;
        for profile in exp.profiles() {
            let dir = results.join(exp.data_name()).join(&profile);
            let has_runs = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
            if !has_runs {
                continue;
            }
            eprintln!(
                "report {name} --profile {profile} (runs under {})",
                dir.display()
            );
            if let Err(e) = exp.report(&profile, results, reports) {
                eprintln!("  failed: {e}");
                failed.push(format!("{name} {profile}: {e}"));
            }
        }
    }
    let md = socbench_reports::index::index(Path::new(CATALOGUE), reports)?;
    let path = reports.join("index.md");
    socbench_harness::atomic::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} report(s) failed: {}",
            failed.len(),
            failed.join("; ")
        ))
    }
}
