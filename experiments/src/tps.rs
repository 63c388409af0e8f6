//! Transition path sampling experiments (Table 1): a definition format of their own (one target,
//! arms that are registry methods or classical baselines, profiles of [`TpsConfig`] overrides),
//! their cells, and one cell run into a run directory (`manifest.json`, `history.csv`,
//! `final.csv`, `paths.csv`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use socbench_harness::backend::{self, Device};
use socbench_harness::rng::StreamKey;
use socbench_methods::checkpoint::Checkpointing;
use socbench_methods::record::{claim_dir, git_commit, hash_json, put_file, Provenance};
use socbench_methods::tps::{train_tps, TpsConfig, TpsHistory};
use socbench_methods::{Method, Status};
use socbench_targets::tps::baselines::{smd, umd};
use socbench_targets::tps::{self, PathMetrics};

use crate::cell::{interrupted, CHECKPOINT};
use crate::overlay::merge;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TpsExperiment {
    /// `tps`: read by `family::load_file` to pick this format (a built-in file may omit it).
    #[serde(default)]
    pub kind: Option<String>,
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub paper_table: String,
    /// The TPS system (`socbench_targets::tps::TPS_SYSTEMS`); a profile may override it.
    pub target: String,
    pub arms: BTreeMap<String, Arm>,
    pub profiles: BTreeMap<String, TpsProfile>,
}

/// A method of the registry (trained), or a baseline (simulated once per seed).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub label: String,
    /// The paper's row (`paper_tables.csv` method) this arm is compared with.
    #[serde(default)]
    pub paper: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    /// `umd` or `smd`.
    #[serde(default)]
    pub baseline: Option<String>,
    /// UMD's temperature (K).
    #[serde(default)]
    pub temperature: Option<f64>,
    /// SMD's force constant.
    #[serde(default)]
    pub k: Option<f64>,
    /// [`TpsConfig`] fields overriding the profile's for this arm.
    #[serde(default)]
    pub config: toml::Table,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TpsProfile {
    pub seeds: u64,
    #[serde(default)]
    pub target: Option<String>,
    /// The report's title where the profile runs another system than the experiment's title
    /// names.
    #[serde(default)]
    pub title: Option<String>,
    /// The catalogue ids' prefix of this profile's claims (`experiments/reference/claims.toml`;
    /// default `<experiment>-`).
    #[serde(default)]
    pub claim_prefix: Option<String>,
    pub arms: Vec<String>,
    #[serde(default)]
    pub deviations: Vec<String>,
    #[serde(default)]
    pub config: toml::Table,
}

/// One cell: an arm at one seed, with its resolved config.
#[derive(Clone, Debug)]
pub struct TpsCell {
    pub experiment: String,
    pub profile: String,
    pub target: String,
    pub arm: String,
    pub spec: Arm,
    pub seed: u64,
    pub config: TpsConfig,
}

impl TpsExperiment {
    /// Every check of the definition (`builtin::Definition::check`).
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (name, arm) in &self.arms {
            match (&arm.method, arm.baseline.as_deref()) {
                (Some(m), None) => {
                    m.parse::<Method>()
                        .map_err(|e| format!("{}: arm `{name}`: {e}", self.name))?;
                }
                (None, Some("umd")) if arm.temperature.is_some_and(|t| t > 0.0) => {}
                (None, Some("smd")) if arm.k.is_some_and(|k| k > 0.0) => {}
                _ => {
                    return Err(format!(
                        "{}: arm `{name}`: give `method` (a registered method), or `baseline = \
                         \"umd\"` with `temperature` > 0, or `baseline = \"smd\"` with `k` > 0",
                        self.name
                    ))
                }
            }
        }
        for (p, prof) in &self.profiles {
            if let Some(bad) = prof.arms.iter().find(|a| !self.arms.contains_key(*a)) {
                return Err(format!(
                    "{}: profile `{p}`: unknown arm `{bad}`: allowed {}",
                    self.name,
                    self.arms.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            let target = prof.target.as_deref().unwrap_or(&self.target);
            if !tps::names().contains(&target) {
                return Err(format!(
                    "{}: profile `{p}`: unknown target `{target}`: allowed {}",
                    self.name,
                    tps::names().join(", ")
                ));
            }
            for cell in self.cells(p)? {
                cell.config.validate().map_err(|e| {
                    format!("{}: profile `{p}`, arm `{}`: {e}", self.name, cell.arm)
                })?;
            }
        }
        Ok(())
    }

    pub fn profile(&self, name: &str) -> Result<&TpsProfile, String> {
        crate::builtin::profile(&self.profiles, &self.name, name)
    }

    /// Every (arm, seed) cell of a profile, arms in the profile's order.
    pub fn cells(&self, profile: &str) -> Result<Vec<TpsCell>, String> {
        let prof = self.profile(profile)?;
        let target = prof.target.clone().unwrap_or_else(|| self.target.clone());
        let mut out = Vec::new();
        for arm in &prof.arms {
            let spec = self.arms[arm].clone();
            let mut v = serde_json::to_value(TpsConfig::default()).expect("config serialises");
            for over in [&prof.config, &spec.config] {
                merge(
                    &mut v,
                    serde_json::to_value(over).map_err(|e| e.to_string())?,
                );
            }
            let config: TpsConfig = serde_json::from_value(v)
                .map_err(|e| format!("{}: profile `{profile}`, arm `{arm}`: {e}", self.name))?;
            for seed in 0..prof.seeds {
                out.push(TpsCell {
                    experiment: self.name.clone(),
                    profile: profile.into(),
                    target: target.clone(),
                    arm: arm.clone(),
                    spec: spec.clone(),
                    seed,
                    config: config.clone(),
                });
            }
        }
        Ok(out)
    }
}

/// What a finished cell records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TpsManifest {
    pub status: String,
    pub message: Option<String>,
    pub experiment: String,
    pub profile: String,
    pub target: String,
    pub arm: String,
    pub label: String,
    pub method: Option<String>,
    pub baseline: Option<String>,
    pub seed: u64,
    pub config: TpsConfig,
    pub config_hash: String,
    pub git_commit: String,
    pub backend: String,
    pub wall_s: f64,
    /// Energy evaluations spent by training rollouts (0 for a baseline).
    pub energy_evals: u64,
    pub socbench_version: String,
    pub provenance: Option<Provenance>,
    /// Data rows of every CSV of the cell when it was written (`record::csv_rows`).
    #[serde(default)]
    pub rows: std::collections::BTreeMap<String, usize>,
}

impl TpsCell {
    pub fn dir(&self, results: &Path) -> PathBuf {
        results
            .join(&self.experiment)
            .join(&self.profile)
            .join(format!("{}-{}-s{}", self.target, self.arm, self.seed))
    }
    pub fn key(&self, dim: usize) -> StreamKey {
        StreamKey::new(&self.experiment, &self.arm, dim, self.seed).with_target(&self.target)
    }
    /// The hash of everything that determines the cell's result.
    pub fn hash(&self) -> String {
        hash_json(&(
            &self.config,
            &self.spec.method,
            &self.spec.baseline,
            self.spec.temperature,
            self.spec.k,
            &self.target,
        ))
    }
}

/// A TPS run checkpoints at most this often (on SIGTERM whenever asked): at the paper's scale
/// its replay buffer makes a checkpoint about half a GB.
pub const CHECKPOINT_INTERVAL_S: f64 = 600.0;

/// Runs a cell into `dir` (which must not hold a run): trains a method, or simulates a baseline,
/// then evaluates `final_paths` paths on the seed's common evaluation stream. A training run
/// stopped by SIGTERM leaves its checkpoint in `dir` and returns the error that says so; run
/// again, it resumes from there.
pub fn run_tps_cell(
    cell: &TpsCell,
    device: &Device,
    dir: &Path,
    progress: &mut dyn FnMut(usize, usize, f64),
) -> Result<TpsManifest, String> {
    let sys = tps::build(&cell.target).map_err(|e| e.to_string())?;
    claim_dir(dir).map_err(|e| e.to_string())?;
    let key = cell.key(sys.dim());
    let clock = crate::cell::CellClock::start(dir);
    let (history, fin) = match (&cell.spec.method, cell.spec.baseline.as_deref()) {
        (Some(m), _) => {
            let method: Method = m.parse().map_err(|e| format!("{e}"))?;
            let mut ckpt = Checkpointing::at(&dir.join(CHECKPOINT));
            ckpt.min_interval_s = CHECKPOINT_INTERVAL_S;
            let h = train_tps(
                sys.as_ref(),
                method,
                &cell.config,
                &key,
                device,
                progress,
                Some(&ckpt),
            )
            .map_err(|e| e.to_string())?;
            if let Status::Interrupted { step } = h.status {
                return Err(interrupted(step, &ckpt.path));
            }
            (Some(h), None)
        }
        (None, Some(b)) => {
            let rng = &mut key.common("final");
            let n = cell.config.final_paths;
            let set = match b {
                "umd" => umd(sys.as_ref(), n, cell.spec.temperature.unwrap_or(0.0), rng),
                _ => smd(sys.as_ref(), n, cell.spec.k.unwrap_or(0.0), rng)
                    .map_err(|e| e.to_string())?,
            };
            (None, Some(set))
        }
        _ => {
            return Err(format!(
                "arm `{}` has neither method nor baseline",
                cell.arm
            ))
        }
    };
    let (status, message) = match history.as_ref().map(|h| &h.status) {
        Some(Status::Diverged { message, .. }) => ("diverged", Some(message.clone())),
        _ => ("finished", None),
    };
    let put = |name: &str, body: String| put_file(dir, name, &body).map_err(|e| e.to_string());
    if let Some(h) = &history {
        put("history.csv", history_csv(h))?;
    }
    let (metrics, cvs) = match (&history, &fin) {
        (Some(h), _) => (h.final_metrics.clone(), h.final_cvs.clone()),
        (None, Some(set)) => (
            Some(PathMetrics::of(sys.as_ref(), set)),
            set.cv_paths(sys.as_ref(), tps::PLOT_FRAMES),
        ),
        _ => (None, Vec::new()),
    };
    if let Some(m) = &metrics {
        put("final.csv", final_csv(m))?;
        put("paths.csv", paths_csv(&cvs))?;
    }
    let manifest = TpsManifest {
        status: status.into(),
        message,
        experiment: cell.experiment.clone(),
        profile: cell.profile.clone(),
        target: cell.target.clone(),
        arm: cell.arm.clone(),
        label: cell.spec.label.clone(),
        method: cell.spec.method.clone(),
        baseline: cell.spec.baseline.clone(),
        seed: cell.seed,
        config: cell.config.clone(),
        config_hash: cell.hash(),
        git_commit: git_commit(),
        backend: backend::name(device),
        wall_s: clock.total_s(),
        energy_evals: history
            .as_ref()
            .and_then(|h| h.rows.last())
            .map_or(0, |r| r.energy_evals),
        socbench_version: env!("CARGO_PKG_VERSION").into(),
        provenance: Some(Provenance::current()),
        rows: socbench_methods::record::csv_rows(dir),
    };
    put(
        "manifest.json",
        serde_json::to_string_pretty(&manifest).expect("manifest serialises"),
    )?;
    // The run is complete: its checkpoint has served.
    let _ = std::fs::remove_file(dir.join(CHECKPOINT));
    Ok(manifest)
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v}"))
}

pub const HISTORY_COLUMNS: &str = "rollout,step,energy_evals,loss,rmsd,rmsd_std,thp,ets,ets_std,rmsd_last,thp_last,lambda,beta,temperature,wall_s";

fn history_csv(h: &TpsHistory) -> String {
    let mut s = format!("{HISTORY_COLUMNS}\n");
    for r in &h.rows {
        let m = &r.metrics;
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.rollout,
            r.step,
            r.energy_evals,
            r.loss,
            m.rmsd,
            m.rmsd_std,
            m.thp,
            m.ets,
            m.ets_std,
            m.rmsd_last,
            m.thp_last,
            opt(r.lambda),
            opt(r.beta),
            r.temperature,
            r.wall_s
        );
    }
    s
}

fn final_csv(m: &PathMetrics) -> String {
    let mut s = String::from("path,rmsd,hit,max_energy,rmsd_last,hit_last\n");
    for i in 0..m.rmsd.len() {
        let _ = writeln!(
            s,
            "{i},{},{},{},{},{}",
            m.rmsd[i], m.hit[i] as u8, m.max_energy[i], m.rmsd_last[i], m.hit_last[i] as u8
        );
    }
    s
}

/// The first 16 paths (enough for a readable plot).
fn paths_csv(cvs: &[Vec<[f64; 2]>]) -> String {
    let mut s = String::from("path,frame,cv1,cv2\n");
    for (i, p) in cvs.iter().take(16).enumerate() {
        for (k, c) in p.iter().enumerate() {
            let _ = writeln!(s, "{i},{k},{:.3},{:.3}", c[0], c[1]);
        }
    }
    s
}

/// The state of a cell on disk: finished with this configuration, absent, or a conflict.
pub fn finished(dir: &Path, cell: &TpsCell) -> Result<bool, String> {
    crate::builtin::finished(dir, &cell.hash())
}
