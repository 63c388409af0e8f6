//! The PINN experiments (`experiments/defs/pinn-table.toml`): the methods of
//! `socbench_methods::pinn` on the talk's targets, one cell per (target, method, seed), each
//! writing `losses.csv`, `result.json` and `manifest.json` (last, so its presence marks a
//! finished cell). A cell stopped by SIGTERM leaves `checkpoint.mpk`, and resumes from it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use socbench_harness::backend::{self, Device};
use socbench_harness::rng::StreamKey;
use socbench_methods::checkpoint::Checkpointing;
use socbench_methods::pinn::{
    train_pinn_checkpointed, PinnConfig, PinnMethod, PinnOutcome, PinnRun,
};
use socbench_methods::record::{claim_dir, git_commit, hash_json, put_file, Provenance};
use socbench_targets::registry::{build, TargetSpec};

use crate::cell::{interrupted, CHECKPOINT};
use crate::overlay::merge;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnExperiment {
    /// `pinn`: read by `family::load_file` to pick this format (a built-in file may omit it).
    #[serde(default)]
    pub kind: Option<String>,
    pub name: String,
    pub title: String,
    pub paper_table: String,
    pub methods: Vec<String>,
    pub targets: Vec<PinnTarget>,
    pub profiles: BTreeMap<String, PinnProfile>,
}

/// A target of the table with the settings we chose for it (the sources give none).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PinnTarget {
    /// Registry name (`socbench_targets::registry`).
    pub name: String,
    pub d: usize,
    /// The published table's name of the target.
    pub paper: String,
    /// PIS-LV's s/it measured on this machine (the lv-table `cpu` run), for the speed claim.
    #[serde(default)]
    pub pis_lv_sec_per_it: Option<f64>,
    /// [`PinnConfig`] fields for this target (box, prior, …), over the profile's.
    #[serde(default)]
    pub config: toml::Table,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnProfile {
    pub seeds: u64,
    #[serde(default)]
    pub deviations: Vec<String>,
    pub config: toml::Table,
    /// Per-target [`PinnConfig`] fields for this profile only (target name → table).
    #[serde(default)]
    pub targets: BTreeMap<String, toml::Table>,
}

/// One cell: a method on a target at one seed.
#[derive(Clone, Debug)]
pub struct PinnCell {
    pub experiment: String,
    pub profile: String,
    pub target: PinnTarget,
    pub method: String,
    pub seed: u64,
    pub config: PinnConfig,
}

impl PinnExperiment {
    /// Every check of the definition (`builtin::Definition::check`).
    pub(crate) fn validate(&self) -> Result<(), String> {
        for m in &self.methods {
            m.parse::<PinnMethod>()
                .map_err(|e| format!("{}: {e}", self.name))?;
        }
        for p in self.profiles.keys() {
            for c in self.cells(p)? {
                c.config.check(c.target.d).map_err(|e| {
                    format!(
                        "{}: profile `{p}`, target `{}`: {e}",
                        self.name, c.target.name
                    )
                })?;
                build(&TargetSpec::new(&c.target.name, c.target.d)).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    pub fn profile(&self, name: &str) -> Result<&PinnProfile, String> {
        crate::builtin::profile(&self.profiles, &self.name, name)
    }

    /// Every cell of profile `p`: targets × methods × seeds.
    pub fn cells(&self, p: &str) -> Result<Vec<PinnCell>, String> {
        let prof = self.profile(p)?;
        let mut out = Vec::new();
        for t in &self.targets {
            let mut v = serde_json::to_value(&prof.config).map_err(|e| e.to_string())?;
            merge(
                &mut v,
                serde_json::to_value(&t.config).map_err(|e| e.to_string())?,
            );
            if let Some(o) = prof.targets.get(&t.name) {
                merge(&mut v, serde_json::to_value(o).map_err(|e| e.to_string())?);
            }
            let config: PinnConfig = serde_json::from_value(v)
                .map_err(|e| format!("{}: profile `{p}`, target `{}`: {e}", self.name, t.name))?;
            for m in &self.methods {
                for seed in 0..prof.seeds {
                    out.push(PinnCell {
                        experiment: self.name.clone(),
                        profile: p.to_string(),
                        target: t.clone(),
                        method: m.clone(),
                        seed,
                        config: config.clone(),
                    });
                }
            }
        }
        Ok(out)
    }
}

impl PinnCell {
    pub fn dir(&self, results: &Path) -> PathBuf {
        results
            .join(&self.experiment)
            .join(&self.profile)
            .join(format!(
                "{}-d{}-{}-s{}",
                self.target.name, self.target.d, self.method, self.seed
            ))
    }
    pub fn hash(&self) -> String {
        hash_json(&(&self.config, &self.method, &self.target.name, self.target.d))
    }
}

/// Finished with this configuration (false: absent or interrupted; Err: another one).
pub fn finished(dir: &Path, cell: &PinnCell) -> Result<bool, String> {
    crate::builtin::finished(dir, &cell.hash())
}

/// What a finished cell leaves: the outcome and where it came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PinnManifest {
    pub status: String,
    pub message: Option<String>,
    pub experiment: String,
    pub profile: String,
    pub target: String,
    pub paper_target: String,
    pub d: usize,
    pub method: String,
    pub label: String,
    pub seed: u64,
    pub config: PinnConfig,
    pub config_hash: String,
    pub git_commit: String,
    pub backend: String,
    pub wall_s: f64,
    pub pis_lv_sec_per_it: Option<f64>,
    pub outcome: PinnOutcome,
    pub provenance: Option<Provenance>,
    /// Data rows of every CSV of the cell when it was written (`record::csv_rows`).
    #[serde(default)]
    pub rows: std::collections::BTreeMap<String, usize>,
}

impl PinnCell {
    /// Runs the cell into `dir` (which must not hold a finished run), reporting (step, total,
    /// loss). A run stopped by SIGTERM leaves its checkpoint in `dir` and returns the error that
    /// says so; run again, it resumes from there.
    pub fn run_into(
        &self,
        device: &Device,
        dir: &Path,
        progress: &mut dyn FnMut(usize, usize, f64),
    ) -> Result<PinnManifest, String> {
        let cell = self;
        let target =
            build(&TargetSpec::new(&cell.target.name, cell.target.d)).map_err(|e| e.to_string())?;
        let method: PinnMethod = cell.method.parse().map_err(|e| format!("{e}"))?;
        claim_dir(dir).map_err(|e| e.to_string())?;
        let key = StreamKey::new(&cell.experiment, &cell.method, cell.target.d, cell.seed)
            .with_target(&cell.target.name);
        let clock = crate::cell::CellClock::start(dir);
        let steps = cell.config.steps;
        let ckpt = Checkpointing::at(&dir.join(CHECKPOINT));
        let outcome = match train_pinn_checkpointed(
            method,
            target.as_ref(),
            &cell.config,
            &key,
            device,
            &mut |s, l| progress(s, steps, l),
            Some(&ckpt),
        )? {
            PinnRun::Finished(o) => o,
            PinnRun::Interrupted { step } => return Err(interrupted(step, &ckpt.path)),
        };
        let mut csv = String::from("step,loss\n");
        for (s, l) in &outcome.losses {
            csv.push_str(&format!("{s},{l}\n"));
        }
        put_file(dir, "losses.csv", &csv).map_err(|e| e.to_string())?;
        let manifest = PinnManifest {
            status: outcome.status.clone(),
            message: outcome.message.clone(),
            experiment: cell.experiment.clone(),
            profile: cell.profile.clone(),
            target: cell.target.name.clone(),
            paper_target: cell.target.paper.clone(),
            d: cell.target.d,
            method: cell.method.clone(),
            label: method.spec().label.into(),
            seed: cell.seed,
            config: cell.config.clone(),
            config_hash: cell.hash(),
            git_commit: git_commit(),
            backend: backend::name(device),
            wall_s: clock.total_s(),
            pis_lv_sec_per_it: cell.target.pis_lv_sec_per_it,
            outcome,
            provenance: Some(Provenance::current()),
            rows: socbench_methods::record::csv_rows(dir),
        };
        let body = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        put_file(dir, "manifest.json", &body).map_err(|e| e.to_string())?;
        // The run is complete: its checkpoint has served.
        let _ = std::fs::remove_file(dir.join(CHECKPOINT));
        Ok(manifest)
    }
}

/// Every finished cell's manifest under `results/<experiment>/<profile>`.
pub fn load_manifests(
    results: &Path,
    experiment: &str,
    profile: &str,
) -> Result<Vec<PinnManifest>, String> {
    let dir = results.join(experiment).join(profile);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(out);
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        out.extend(read_manifest(&p)?);
    }
    Ok(out)
}

/// The manifest of the cell in `dir` (`None`: it has none); an error if it does not parse.
pub fn read_manifest(dir: &Path) -> Result<Option<PinnManifest>, String> {
    let m = dir.join("manifest.json");
    let Ok(text) = std::fs::read_to_string(&m) else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("{}: {e}", m.display()))
}
