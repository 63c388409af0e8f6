//! The PINN kind (`defs/pinn-table.toml`, [`crate::pinn`]): targets × PINN methods × seeds,
//! reported beside the talk's table by `socbench_reports::pinn_table`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use socbench_harness::backend::Device;
use socbench_methods::pinn::PinnMethod;
use socbench_methods::record::git_commit;
use socbench_reports::output;
use socbench_reports::pinn_table::{pinn_report, PinnRow};

use crate::builtin::{load_of, names_of, parse_of, Definition};
use crate::family::{Cell, Kind, Progress, Ran};
use crate::pinn::{finished, load_manifests, PinnCell, PinnExperiment};

pub const KIND: Kind = Kind {
    name: PinnExperiment::KIND,
    about: "PINN losses: targets × methods × seeds (the companion talk's table)",
    builtins: names_of::<PinnExperiment>,
    load: load_of::<PinnExperiment>,
    parse: parse_of::<PinnExperiment>,
};

impl Definition for PinnExperiment {
    const KIND: &'static str = "pinn";
    const BUILTINS: &'static [(&'static str, &'static str)] =
        &[("pinn-table", include_str!("../defs/pinn-table.toml"))];
    type Cell = PinnCell;
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
    fn cells(&self, profile: &str) -> Result<Vec<PinnCell>, String> {
        PinnExperiment::cells(self, profile)
    }
    fn no_dims(&self) -> Option<&str> {
        Some("has one dimension per target")
    }
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String> {
        report(self, profile, results, reports)
    }
}

impl Cell for PinnCell {
    /// The final evaluation of the manifest (ESS, both |ΔlogZ|, Sinkhorn and its floor, |Δstd|,
    /// the model's log Z), as the PINN table reports it.
    fn final_metrics(&self, dir: &Path) -> Result<Vec<(String, f64)>, String> {
        let Some(e) = crate::pinn::read_manifest(dir)?.and_then(|m| m.outcome.metrics) else {
            return Ok(Vec::new());
        };
        let mut out = vec![
            ("final_ess".to_string(), e.ess),
            ("final_log_z_hat".to_string(), e.log_z_hat),
            ("final_model_log_z".to_string(), e.model_log_z),
        ];
        for (k, v) in [
            ("final_abs_dlogz_is", e.abs_dlogz),
            ("final_abs_dlogz", e.abs_dlogz_elbo),
            ("final_abs_dstd", e.abs_dstd),
            ("final_sinkhorn", e.sinkhorn),
            ("final_sinkhorn_floor", e.sinkhorn_floor),
        ] {
            out.extend(v.map(|v| (k.to_string(), v)));
        }
        Ok(out)
    }
    fn arm(&self) -> &str {
        &self.method
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn dim(&self) -> Option<usize> {
        Some(self.target.d)
    }
    fn target(&self) -> Option<String> {
        Some(self.target.name.clone())
    }
    fn key(&self) -> String {
        format!("{}-{}-s{}", self.target.name, self.method, self.seed)
    }
    fn dir(&self, results: &Path) -> PathBuf {
        PinnCell::dir(self, results)
    }
    fn config_hash(&self) -> String {
        self.hash()
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        finished(dir, self)
    }
    /// Steps × batch × a per-point cost linear in d, scaled by the network's multiplies against
    /// the `cpu` profile's 3 × 32; fitted to the s/it of reports/pinn-table.md (2 cores: about
    /// 4e-5 s per point at d = 2, 8e-4 at d = 50), plus the evaluation.
    fn estimate_s(&self) -> Option<f64> {
        let c = &self.config;
        let net = (c.width * c.width * c.depth) as f64 / (32.0 * 32.0 * 3.0);
        let per_point = (2.5e-5 + 1.5e-5 * self.target.d as f64) * net;
        Some(c.steps as f64 * c.batch as f64 * per_point + 5.0)
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
        let m = self.run_into(device, dir, &mut on_step)?;
        Ok(Ran {
            status: m.status,
            message: m.message,
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Writes `reports/<experiment>[-<profile>].md` from the finished cells.
pub fn report(
    exp: &PinnExperiment,
    profile: &str,
    results: &Path,
    reports: &Path,
) -> Result<(), String> {
    let prof = exp.profile(profile)?;
    let ms = load_manifests(results, &exp.name, profile)?;
    let dir = results.join(&exp.name).join(profile);
    let (paper, stem) = output::setup(&exp.name, profile, &dir, ms.is_empty())?;
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
        output::hardware(),
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
    let rec = output::record(
        &exp.name,
        profile,
        ms.iter().map(|m| (m.git_commit.as_str(), m.wall_s)),
    );
    output::write_files(reports, &stem, &md, Vec::new(), &rec)
}
