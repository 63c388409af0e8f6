//! `cargo xtask replicate table1` and `cargo xtask report table1`: the TPS experiments
//! (`experiments/defs/table1.toml`), run cell by cell (resumable, in parallel with `--jobs`),
//! then reported beside the paper's Table 1.

use std::path::{Path, PathBuf};

use socbench_experiments::sweep::move_aside;
use socbench_experiments::tps::{finished, run_tps_cell, TpsCell, TpsExperiment};
use socbench_harness::backend;
use socbench_methods::record::git_commit;
use socbench_reports::tps::{load_tps_runs, tps_report, TpsContext};

use crate::pool::run_cells;
use crate::replicate::ReplicateArgs;

pub fn replicate(a: &ReplicateArgs, exp: TpsExperiment) -> Result<(), String> {
    let device = backend::by_name(&a.device).map_err(|e| e.to_string())?;
    let jobs = a.jobs()?;
    if !a.dims.is_empty() {
        return Err(format!(
            "invalid `--dims`: {} has one system and no d to choose",
            exp.name
        ));
    }
    let profile = a
        .profile
        .clone()
        .unwrap_or_else(|| crate::replicate::default_profile(&a.device).into());
    let every = exp.cells(&profile)?;
    if let Some(bad) = a
        .methods
        .iter()
        .find(|m| !every.iter().any(|c| &c.arm == *m))
    {
        return Err(format!(
            "invalid `--methods` entry `{bad}`: allowed the arms of {} (profile `{profile}`): {}",
            exp.name,
            exp.profile(&profile)?.arms.join(", ")
        ));
    }
    let cells: Vec<_> = every
        .into_iter()
        .filter(|c| a.methods.is_empty() || a.methods.contains(&c.arm))
        .filter(|c| a.seeds.is_none_or(|n| c.seed < n))
        .collect();
    let mut todo = Vec::new();
    let mut done = 0;
    for c in &cells {
        let dir = c.dir(&a.results);
        if !a.force && finished(&dir, c)? {
            done += 1;
            continue;
        }
        if let Some(old) = move_aside(&dir).map_err(|e| e.to_string())? {
            eprintln!("moved {} aside to {}", dir.display(), old.display());
        }
        todo.push((c.clone(), dir));
    }
    eprintln!(
        "replicate {}: profile `{profile}`, device {}, {} cells ({done} done, {} to run), {jobs} jobs",
        exp.name,
        backend::name(&device),
        cells.len(),
        todo.len()
    );
    let prefix = |c: &TpsCell| format!("{}-{}-s{}", c.target, c.arm, c.seed);
    let run = |c: &TpsCell, dir: &PathBuf, bar: &indicatif::ProgressBar| {
        let mut on_step = |step: usize, total: usize, loss: f64| {
            bar.set_length(total as u64);
            bar.set_position(step as u64);
            bar.set_message(format!("loss={loss:.3e}"));
        };
        run_tps_cell(c, &device, dir, &mut on_step).map(|m| m.message)
    };
    let (failures, minutes) = run_cells(&todo, cells.len(), done, jobs, &prefix, &run);
    if !todo.is_empty() {
        let dir = a.results.join(&exp.name).join(&profile);
        crate::replicate::log_sweep(&dir, &backend::name(&device), jobs, todo.len(), minutes);
    }
    if !failures.is_empty() {
        return Err(failures.join("\n"));
    }
    report(&exp, &profile, &a.results, &a.reports)
}

/// Writes `reports/<experiment>[-<profile>].md` and its SVGs from the finished runs.
pub fn report(
    exp: &TpsExperiment,
    profile: &str,
    results: &Path,
    reports: &Path,
) -> Result<(), String> {
    let prof = exp.profile(profile)?;
    let target = prof.target.clone().unwrap_or_else(|| exp.target.clone());
    let sys = socbench_targets::tps::build(&target).map_err(|e| e.to_string())?;
    let dir = results.join(&exp.name).join(profile);
    let runs = load_tps_runs(&dir)?;
    let (paper_values, stem) = crate::report::setup(&exp.name, profile, &dir, runs.is_empty())?;
    let units = sys.units();
    let (target_cv, radius) = sys.target_cvs();
    let ctx = TpsContext {
        experiment: &exp.name,
        title: &exp.title,
        profile,
        target: &target,
        paper_table: &exp.paper_table,
        arms: prof
            .arms
            .iter()
            .map(|a| {
                (
                    a.clone(),
                    exp.arms[a].label.clone(),
                    exp.arms[a].paper.clone(),
                )
            })
            .collect(),
        deviations: &prof.deviations,
        hardware: crate::report::hardware(),
        commit: git_commit(),
        svg_stem: stem.clone(),
        results_dir: format!("{}/", dir.display()),
        energy_unit: units.energy,
        rmsd_unit: units.rmsd,
        cv_names: units.cvs,
        cv_range: units.cv_range,
        start_cv: sys.cvs(sys.start()),
        target_cv,
        hit_radius_cv: radius,
    };
    let (md, figures) = tps_report(&ctx, &runs, &paper_values);
    crate::report::write_files(reports, &stem, &md, figures)
}
