//! `cargo xtask report <experiment>`: the markdown report (and SVG) of a sweep's results.

use std::path::{Path, PathBuf};

use crate::replicate::Sweep;
use clap::Args;
use socbench_experiments::definition;
use socbench_harness::seed::stream;
use socbench_methods::record::git_commit;
use socbench_reports::markdown::{report, Context};
use socbench_reports::{load, paper};
use socbench_targets::{build, TargetSpec};

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

pub fn run(a: ReportArgs) -> Result<(), String> {
    if let Some(exp) = a.which.tps() {
        let profile = a.profile.clone().unwrap_or_else(|| {
            crate::replicate::default_profile(socbench_harness::backend::default_name()).into()
        });
        return crate::tps::report(&exp?, &profile, &a.results, &a.reports);
    }
    if let Some(exp) = a.which.finetune() {
        let profile = a.profile.clone().unwrap_or_else(|| {
            crate::replicate::default_profile(socbench_harness::backend::default_name()).into()
        });
        return crate::finetune::report(&exp?, &profile, &a.results, &a.reports);
    }
    if let Some(exp) = a.which.pinn() {
        let profile = a.profile.clone().unwrap_or_else(|| {
            crate::replicate::default_profile(socbench_harness::backend::default_name()).into()
        });
        return crate::pinn::report(&exp?, &profile, &a.results, &a.reports);
    }
    let sweep = crate::replicate::resolve_experiment(
        a.which.load()?,
        a.profile.as_deref(),
        socbench_harness::backend::default_name(),
    )?;
    write(&sweep, &a.results, &a.reports)
}

pub fn hardware() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores")
}

/// `n` exact samples of the target (its own seeded stream), for the scatter plots.
fn ground_truth(target: &str, d: usize, n: usize) -> Option<Vec<f64>> {
    let t = build(&TargetSpec::new(target, d)).ok()?;
    t.sample(
        n,
        &mut stream(&["report", "ground-truth", target, &d.to_string()]),
    )
}

pub fn write(sweep: &Sweep, results: &Path, reports: &Path) -> Result<(), String> {
    let (exp, data) = (&sweep.exp, &sweep.data);
    let profile = sweep.resolved.profile.as_str();
    // The profile's deviations, then what of each target's definition is ours (the registry's
    // `ours`), so that every report using such a target says so.
    let mut deviations = sweep.resolved.deviations.clone();
    for t in &data.targets {
        if let Some(note) = socbench_targets::registry::ours(t) {
            deviations.push(format!("target `{t}`: {note}"));
        }
    }
    let deviations = &deviations;
    let dir = results.join(&data.name).join(profile);
    let runs = load::load_runs(&dir)?;
    let (paper_values, stem) = setup(&exp.name, profile, &dir, runs.is_empty())?;
    let backend = runs
        .first()
        .map(|r| r.manifest.backend.clone())
        .unwrap_or_default();
    // How the report is regenerated: the built-in name, or `--def <file>`.
    let which = if definition::names().contains(&exp.name.as_str()) {
        exp.name.clone()
    } else {
        format!("--def {}", exp.origin)
    };
    let ctx = Context {
        experiment: &which,
        title: &exp.title,
        profile,
        paper_table: &exp.paper_table,
        metrics: &exp.metrics,
        deviations,
        hardware: format!("{} (backend {backend})", hardware()),
        commit: git_commit(),
        svg_stem: stem.clone(),
        plots: &exp.plots,
        labels: &|name| data.label(name),
        show_epsilon: data.epsilons.len() > 1,
        results_dir: format!("{}/", dir.display()),
        ground_truth: &ground_truth,
        claims: &exp.claims,
        ladder: &exp.ladder,
        paper_names: exp.paper_names.as_ref(),
    };
    let (md, figures) = report(&ctx, &runs, &paper_values);
    write_files(reports, &stem, &md, figures)
}

/// The paper's published values and the report's file stem (`<experiment>` for `cpu`,
/// `<experiment>-<profile>` otherwise); an error if `dir` holds no finished run.
pub fn setup(
    experiment: &str,
    profile: &str,
    dir: &Path,
    no_runs: bool,
) -> Result<(Vec<paper::PaperValue>, String), String> {
    if no_runs {
        return Err(format!(
            "no finished runs under `{}`: run `cargo xtask replicate {experiment} --profile \
             {profile}` first",
            dir.display()
        ));
    }
    let paper_values = paper::load(Path::new("experiments/reference/paper_tables.csv"))?;
    let stem = if profile == "cpu" {
        experiment.to_string()
    } else {
        format!("{experiment}-{profile}")
    };
    Ok((paper_values, stem))
}

/// Writes `<reports>/<stem>.md` and the figures (file name, SVG) beside it, each atomically.
pub fn write_files(
    reports: &Path,
    stem: &str,
    md: &str,
    figures: Vec<(String, String)>,
) -> Result<(), String> {
    std::fs::create_dir_all(reports).map_err(|e| e.to_string())?;
    // Each file whole or not at all (a full disk leaves the old one), the figures before the
    // text that shows them.
    let write = |p: &Path, body: &str| {
        socbench_harness::atomic::write(p, body).map_err(|e| format!("{}: {e}", p.display()))
    };
    for (name, svg) in figures {
        write(&reports.join(name), &svg)?;
    }
    let md_path = reports.join(format!("{stem}.md"));
    write(&md_path, md)?;
    eprintln!("wrote {}", md_path.display());
    Ok(())
}
