//! The transition-path-sampling kind (`defs/table1.toml`, [`crate::tps`]): arms (registry
//! methods or classical baselines) × seeds on one molecular system, reported beside the paper's
//! Table 1 by `socbench_reports::tps`.

use std::path::{Path, PathBuf};

use socbench_harness::backend::Device;
use socbench_methods::record::git_commit;
use socbench_reports::output;
use socbench_reports::tps::{load_tps_runs, tps_report, TpsContext};

use crate::builtin::{load_of, names_of, parse_of, Definition};
use crate::family::{Cell, Kind, Progress, Ran};
use crate::tps::{finished, run_tps_cell, TpsCell, TpsExperiment};

pub const KIND: Kind = Kind {
    name: TpsExperiment::KIND,
    about: "transition path sampling: arms × seeds on one molecular system (Table 1)",
    builtins: names_of::<TpsExperiment>,
    load: load_of::<TpsExperiment>,
    parse: parse_of::<TpsExperiment>,
};

impl Definition for TpsExperiment {
    const KIND: &'static str = "tps";
    const BUILTINS: &'static [(&'static str, &'static str)] =
        &[("table1", include_str!("../defs/table1.toml"))];
    type Cell = TpsCell;
    fn check(&self) -> Result<(), String> {
        self.validate()
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }
    fn cells(&self, profile: &str) -> Result<Vec<TpsCell>, String> {
        TpsExperiment::cells(self, profile)
    }
    fn no_dims(&self) -> Option<&str> {
        Some("has one system and no d to choose")
    }
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String> {
        report(self, profile, results, reports)
    }
}

impl Cell for TpsCell {
    /// THP (%), mean RMSD and ETS of the final paths (`final.csv`), as Table 1 reports them.
    fn final_metrics(&self, dir: &Path) -> Result<Vec<(String, f64)>, String> {
        socbench_reports::tps::final_metrics(dir)
    }
    fn arm(&self) -> &str {
        &self.arm
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn target(&self) -> Option<String> {
        Some(self.target.clone())
    }
    fn key(&self) -> String {
        format!("{}-{}-s{}", self.target, self.arm, self.seed)
    }
    fn dir(&self, results: &Path) -> PathBuf {
        TpsCell::dir(self, results)
    }
    fn config_hash(&self) -> String {
        self.hash()
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        finished(dir, self)
    }
    /// Frames simulated (rollouts, evaluations and final paths × the system's steps, at its
    /// [`TpsSystem::frame_cost_s`]) plus frames trained on (rollouts × gradient steps × batch ×
    /// steps), the latter scaled by the bias network's multiplies against the `cpu` profile's
    /// 128-128 at about 8e-6 s per frame (fitted to reports/table1.md, 2 cores).
    ///
    /// [`TpsSystem::frame_cost_s`]: socbench_targets::tps::TpsSystem::frame_cost_s
    fn estimate_s(&self) -> Option<f64> {
        let c = &self.config;
        let sys = socbench_targets::tps::build(&self.target).ok()?;
        let steps = sys.steps() as f64;
        let h = &c.hidden;
        let macs: usize =
            h.windows(2).map(|w| w[0] * w[1]).sum::<usize>() + 2 * h.iter().sum::<usize>();
        let net = macs as f64 / (128.0 * 128.0 + 2.0 * 256.0);
        // Paths simulated, and path-frames trained on per step of a path.
        let (simulated, trained) = if self.spec.method.is_some() {
            (
                c.rollouts * c.paths_per_rollout + c.evals * c.eval_paths + c.final_paths,
                (c.rollouts * c.trains_per_rollout * c.batch) as f64 * net,
            )
        } else {
            (c.final_paths, 0.0)
        };
        let simulated = simulated as f64;
        Some(steps * (simulated * sys.frame_cost_s() + trained * 8e-6))
    }
    fn run(
        &self,
        device: &Device,
        dir: &Path,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Ran, String> {
        let mut on_step = |step: usize, total: usize, loss: f64| {
            progress(&Progress {
                step,
                total,
                message: format!("loss={loss:.3e}"),
            })
        };
        let m = run_tps_cell(self, device, dir, &mut on_step)?;
        Ok(Ran {
            status: m.status,
            message: m.message,
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
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
    let (paper_values, stem) = output::setup(&exp.name, profile, &dir, runs.is_empty())?;
    let units = sys.units();
    let (target_cv, radius) = sys.target_cvs();
    let ctx = TpsContext {
        experiment: &exp.name,
        title: prof.title.as_deref().unwrap_or(&exp.title),
        profile,
        target: &target,
        dim: sys.dim(),
        claim_prefix: prof
            .claim_prefix
            .clone()
            .unwrap_or_else(|| format!("{}-", exp.name)),
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
        hardware: output::hardware(),
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
    let rec = output::record(
        &exp.name,
        profile,
        runs.iter().map(|r| (r.commit.as_str(), r.wall_s)),
    );
    output::write_files(reports, &stem, &md, figures, &rec)
}
