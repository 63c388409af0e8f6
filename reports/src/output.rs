//! What every experiment kind's report writer shares: the machine line, the paper's values and
//! the report's file stem, and writing the markdown and its figures atomically.

use std::fmt::Write as _;
use std::path::Path;

use crate::paper;
use crate::record::ReportRecord;

/// "<CPU model>, <n> cores" of this machine.
pub fn hardware() -> String {
    socbench_harness::machine::machine()
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
    Ok((paper_values, stem(experiment, profile)))
}

/// The report's file stem: `<experiment>` for the `cpu` profile, `<experiment>-<profile>`
/// otherwise.
pub fn stem(experiment: &str, profile: &str) -> String {
    if profile == "cpu" {
        experiment.to_string()
    } else {
        format!("{experiment}-{profile}")
    }
}

/// The report's machine-readable record from its runs' (commit, run time in seconds): written
/// by this commit on this machine.
pub fn record<'a>(
    experiment: &str,
    profile: &str,
    runs: impl Iterator<Item = (&'a str, f64)>,
) -> ReportRecord {
    let (mut commits, walls): (Vec<String>, Vec<f64>) =
        runs.map(|(c, w)| (c.to_string(), w)).unzip();
    let cells = commits.len();
    commits.sort_unstable();
    commits.dedup();
    ReportRecord {
        experiment: experiment.into(),
        profile: profile.into(),
        cells,
        run_min: walls.iter().sum::<f64>() / 60.0,
        run_commits: commits,
        report_commit: socbench_methods::record::git_commit(),
        machine: hardware(),
    }
}

/// Writes `<reports>/<stem>.md` (with `record`'s hidden line at its end) and the figures (file
/// name, SVG) beside it, each atomically.
pub fn write_files(
    reports: &Path,
    stem: &str,
    md: &str,
    figures: Vec<(String, String)>,
    record: &ReportRecord,
) -> Result<(), String> {
    let md = format!("{}{}", md.trim_end(), crate::record::report_line(record));
    let md = md.as_str();
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

/// The lines under a report's title that say where its runs come from: the commits they were
/// made at, how many and their summed run time, then the profile's deviations from the paper.
pub fn runs_and_deviations<'a>(
    md: &mut String,
    runs: impl Iterator<Item = (&'a str, f64)>,
    deviations: &[String],
) {
    let (mut commits, walls): (Vec<&str>, Vec<f64>) = runs.unzip();
    let n = commits.len();
    commits.sort_unstable();
    commits.dedup();
    let _ = writeln!(md, "- runs made at commit(s): {}", commits.join(", "));
    let _ = writeln!(
        md,
        "- {n} runs, {:.1} min of run time in all (summed over cells, not wall clock)",
        walls.iter().sum::<f64>() / 60.0
    );
    if !deviations.is_empty() {
        let _ = writeln!(md, "\nDeviations of this profile from the paper:\n");
        for d in deviations {
            let _ = writeln!(md, "- {d}");
        }
    }
}
