//! `cargo xtask replicate table1` and `cargo xtask report table1`: the TPS experiments
//! (`experiments/defs/table1.toml`), run cell by cell (resumable, in parallel with `--jobs`),
//! then reported beside the paper's Table 1.

use std::path::{Path, PathBuf};

use socbench_experiments::tps::{finished, run_tps_cell, TpsCell, TpsExperiment};
use socbench_methods::record::git_commit;
use socbench_reports::tps::{load_tps_runs, tps_report, TpsContext};

use crate::arm_sweep::{prepare, selected, ArmCell};
use crate::replicate::ReplicateArgs;
use socbench_experiments::any_cell::AnyCell;

impl ArmCell for TpsCell {
    fn arm(&self) -> &str {
        &self.arm
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn dir(&self, results: &Path) -> PathBuf {
        TpsCell::dir(self, results)
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        finished(dir, self)
    }
}

pub fn replicate(a: &ReplicateArgs, exp: TpsExperiment) -> Result<(), String> {
    if a.slurm.slurm {
        let (profile, cells) = selected(a, |p| exp.cells(p))?;
        let cells = cells.into_iter().map(AnyCell::Tps).collect();
        let report = || report(&exp, &profile, &a.results, &a.reports);
        let s =
            crate::slurm::SlurmSweep::named(&exp.name, profile.clone(), cells, Box::new(report));
        return crate::slurm::submit(a, &s);
    }
    let p = prepare(
        a,
        &exp.name,
        "has one system and no d to choose",
        |prof| exp.cells(prof),
        |prof| Ok(exp.profile(prof)?.arms.clone()),
    )?;
    p.announce(&exp.name);
    let prefix = |c: &TpsCell| format!("{}-{}-s{}", c.target, c.arm, c.seed);
    let run = |c: &TpsCell, dir: &PathBuf, bar: &indicatif::ProgressBar| {
        let mut on_step = |step: usize, total: usize, loss: f64| {
            bar.set_length(total as u64);
            bar.set_position(step as u64);
            bar.set_message(format!("loss={loss:.3e}"));
        };
        run_tps_cell(c, &p.device, dir, &mut on_step).map(|m| m.message)
    };
    let out = p.run(a.force, &prefix, &run);
    p.conclude(a, &exp.name, out)?;
    report(&exp, &p.profile, &a.results, &a.reports)
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
