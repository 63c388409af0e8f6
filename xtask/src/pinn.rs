//! `cargo xtask replicate pinn-table` and `cargo xtask report pinn-table`: the PINN methods
//! (`experiments/defs/pinn-table.toml`), run cell by cell (resumable), then reported beside the
//! talk's table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use socbench_experiments::any_cell::AnyCell;
use socbench_experiments::pinn::{
    finished, load_manifests, run_pinn_cell, PinnCell, PinnExperiment,
};
use socbench_methods::pinn::PinnMethod;
use socbench_methods::record::git_commit;
use socbench_reports::pinn_table::{pinn_report, PinnRow};

use crate::arm_sweep::{prepare, selected, ArmCell};
use crate::replicate::ReplicateArgs;

impl ArmCell for PinnCell {
    fn arm(&self) -> &str {
        &self.method
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn dir(&self, results: &Path) -> PathBuf {
        PinnCell::dir(self, results)
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        finished(dir, self)
    }
}

pub fn replicate(a: &ReplicateArgs, exp: PinnExperiment) -> Result<(), String> {
    if a.slurm.slurm {
        let (profile, cells) = selected(a, |p| exp.cells(p))?;
        let cells = cells.into_iter().map(AnyCell::Pinn).collect();
        let report = || report(&exp, &profile, &a.results, &a.reports);
        let s =
            crate::slurm::SlurmSweep::named(&exp.name, profile.clone(), cells, Box::new(report));
        return crate::slurm::submit(a, &s);
    }
    let p = prepare(
        a,
        &exp.name,
        "has one dimension per target",
        |prof| exp.cells(prof),
        |_| Ok(exp.methods.clone()),
    )?;
    p.announce(&exp.name);
    let prefix = |c: &PinnCell| format!("{}-{}-s{}", c.target.name, c.method, c.seed);
    let run = |c: &PinnCell, dir: &PathBuf, bar: &indicatif::ProgressBar| {
        let mut on_step = |step: usize, total: usize, loss: f64| {
            bar.set_length(total as u64);
            bar.set_position(step as u64);
            bar.set_message(format!("loss={loss:.3e}"));
        };
        run_pinn_cell(c, &p.device, dir, &mut on_step).map(|m| m.message)
    };
    let out = p.run(a.force, &prefix, &run);
    p.conclude(a, &exp.name, out)?;
    report(&exp, &p.profile, &a.results, &a.reports)
}

/// Writes `reports/pinn-table[-<profile>].md` from the finished cells.
pub fn report(
    exp: &PinnExperiment,
    profile: &str,
    results: &Path,
    reports: &Path,
) -> Result<(), String> {
    let prof = exp.profile(profile)?;
    let ms = load_manifests(results, &exp.name, profile)?;
    let dir = results.join(&exp.name).join(profile);
    let (paper, stem) = crate::report::setup(&exp.name, profile, &dir, ms.is_empty())?;
    let rows: Vec<PinnRow> = ms
        .iter()
        .map(|m| {
            let mut metrics = BTreeMap::new();
            let o = &m.outcome;
            metrics.insert("sec_per_it".to_string(), o.sec_per_it);
            if let Some(e) = &o.metrics {
                metrics.insert("ess".to_string(), e.ess);
                let mut put = |k: &str, v: Option<f64>| {
                    if let Some(v) = v {
                        metrics.insert(k.to_string(), v);
                    }
                };
                put("abs_dlogz_is", e.abs_dlogz);
                put("abs_dlogz", e.abs_dlogz_elbo);
                put("sinkhorn_floor", e.sinkhorn_floor);
                put("abs_dstd", e.abs_dstd);
                put("sinkhorn_w2_gamma", e.sinkhorn);
            }
            PinnRow {
                target: m.target.clone(),
                paper_target: m.paper_target.clone(),
                d: m.d,
                label: m.label.clone(),
                seed: m.seed,
                diverged: m.status != "ok",
                metrics,
                model_log_z: o.metrics.as_ref().map(|e| e.model_log_z),
                pis_lv_sec_per_it: m.pis_lv_sec_per_it,
                commit: m.git_commit.clone(),
            }
        })
        .collect();
    let mut commits: Vec<&str> = rows.iter().map(|r| r.commit.as_str()).collect();
    commits.sort();
    commits.dedup();
    let labels: Vec<String> = exp
        .methods
        .iter()
        .filter_map(|m| m.parse::<PinnMethod>().ok())
        .map(|m| m.spec().label.to_string())
        .collect();
    let mut h = format!(
        "# {}\n\nProfile `{profile}`: {} finished cells",
        exp.title,
        rows.len()
    );
    let _ = write!(
        h,
        " from `{}` (commit{} {}), on {}. The report is written by commit {}.\n\n",
        dir.display(),
        if commits.len() > 1 { "s" } else { "" },
        commits.join(", "),
        crate::report::hardware(),
        git_commit()
    );
    h.push_str(
        "Every setting is ours (the talk gives none): see docs/pinn.md. Deviations of this \
         profile:\n\n",
    );
    for d in &prof.deviations {
        let _ = writeln!(h, "- {d}");
    }
    let md = pinn_report(&h, &rows, &labels, &paper, &exp.paper_table);
    crate::report::write_files(reports, &stem, &md, Vec::new())
}
