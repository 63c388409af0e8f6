//! Reward fine-tuning experiments (Fig. 5–6): a definition format of its own (arms are registry
//! methods with [`FineTuneSetup`] overrides; profiles set the pretraining, sampler, reward and
//! trainer), its cells, and one cell run into a run directory (`manifest.json`, `history.csv`
//! with every metric at every checkpoint at η = 0 and 1, `samples.csv` for the sample grid).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use socbench_harness::backend::{self, Device};
use socbench_harness::rng::StreamKey;
use socbench_methods::checkpoint::Checkpointing;
use socbench_methods::finetune::train::check_method;
use socbench_methods::finetune::{
    train_finetune_with, FineTuneConfig, FineTuneControl, FtObserver, FtStatus, TrainPoint,
};
use socbench_methods::record::{claim_dir, git_commit, hash_json, put_file, Provenance};
use socbench_methods::Method;
use socbench_targets::finetune::quality::{
    all_classes, check_classes, prompts, sample_quality, Quality,
};
use socbench_targets::finetune::reward::RewardConfig;
use socbench_targets::finetune::sampler::SamplerConfig;
use socbench_targets::finetune::{BaseModel, FineTuneProblem, PretrainConfig};

use crate::cell::{interrupted, CHECKPOINT};
use crate::overlay::merge;

/// The noise levels every checkpoint is evaluated at: 0 (ODE, DDIM) and 1 (SDE, DDPM).
pub const ETAS: [f64; 2] = [0.0, 1.0];
/// Prompts per class kept in `samples.csv` for the sample grid.
pub const GRID_PER_CLASS: usize = 2;

/// Everything that determines a cell (besides arm and seed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FineTuneSetup {
    pub pretrain: PretrainConfig,
    pub sampler: SamplerConfig,
    pub reward: RewardConfig,
    pub train: FineTuneConfig,
    /// Evaluation prompts per class (the same prompts and noise seeds for every method).
    pub eval_per_class: usize,
    /// The prompts: classes fine-tuned and evaluated (default all ten).
    pub classes: Vec<usize>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FtExperiment {
    /// `finetune`: read by `family::load_file` to pick this format (a built-in file may omit it).
    #[serde(default)]
    pub kind: Option<String>,
    pub name: String,
    pub title: String,
    pub arms: BTreeMap<String, FtArm>,
    pub profiles: BTreeMap<String, FtProfile>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FtArm {
    pub label: String,
    /// A registered method (am, tr-socm).
    pub method: String,
    /// [`FineTuneSetup`] fields overriding the profile's.
    #[serde(default)]
    pub config: toml::Table,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FtProfile {
    pub seeds: u64,
    pub arms: Vec<String>,
    /// How this profile departs from the paper (shown in the report).
    #[serde(default)]
    pub deviations: Vec<String>,
    #[serde(default)]
    pub config: toml::Table,
}

/// One cell: an arm at one seed.
#[derive(Clone, Debug)]
pub struct FtCell {
    pub experiment: String,
    pub profile: String,
    pub arm: String,
    pub spec: FtArm,
    pub method: Method,
    pub seed: u64,
    pub setup: FineTuneSetup,
}

fn default_setup() -> FineTuneSetup {
    FineTuneSetup {
        eval_per_class: 20,
        classes: all_classes(),
        ..Default::default()
    }
}

impl FtExperiment {
    /// Every check of the definition (`builtin::Definition::check`).
    pub(crate) fn validate(&self) -> Result<(), String> {
        for (name, arm) in &self.arms {
            let m: Method = arm
                .method
                .parse()
                .map_err(|e| format!("{}: arm `{name}`: {e}", self.name))?;
            check_method(m).map_err(|e| format!("{}: arm `{name}`: {e}", self.name))?;
        }
        for (p, prof) in &self.profiles {
            if let Some(bad) = prof.arms.iter().find(|a| !self.arms.contains_key(*a)) {
                return Err(format!(
                    "{}: profile `{p}`: unknown arm `{bad}`: allowed {}",
                    self.name,
                    self.arms.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            for cell in self.cells(p)? {
                let s = &cell.setup;
                s.pretrain
                    .validate()
                    .and_then(|_| s.train.validate())
                    .and_then(|_| check_classes(&s.classes))
                    .and_then(|_| {
                        (s.eval_per_class >= 2 && s.sampler.steps >= 1)
                            .then_some(())
                            .ok_or("eval_per_class ≥ 2 and sampler.steps ≥ 1 required".into())
                    })
                    .map_err(|e| {
                        format!("{}: profile `{p}`, arm `{}`: {e}", self.name, cell.arm)
                    })?;
            }
        }
        Ok(())
    }

    pub fn profile(&self, name: &str) -> Result<&FtProfile, String> {
        crate::builtin::profile(&self.profiles, &self.name, name)
    }

    /// The profile's setup (before arm overrides): what pretraining uses.
    pub fn setup(&self, profile: &str) -> Result<FineTuneSetup, String> {
        self.resolve(profile, &toml::Table::new())
    }

    fn resolve(&self, profile: &str, arm: &toml::Table) -> Result<FineTuneSetup, String> {
        let prof = self.profile(profile)?;
        let mut v = serde_json::to_value(default_setup()).expect("setup serialises");
        for over in [&prof.config, arm] {
            merge(
                &mut v,
                serde_json::to_value(over).map_err(|e| e.to_string())?,
            );
        }
        serde_json::from_value(v).map_err(|e| format!("{}: profile `{profile}`: {e}", self.name))
    }

    /// Every (arm, seed) cell of a profile, arms in the profile's order.
    pub fn cells(&self, profile: &str) -> Result<Vec<FtCell>, String> {
        let prof = self.profile(profile)?;
        let mut out = Vec::new();
        for arm in &prof.arms {
            let spec = self.arms[arm].clone();
            let setup = self.resolve(profile, &spec.config)?;
            if setup.pretrain != self.setup(profile)?.pretrain {
                return Err(format!(
                    "{}: arm `{arm}` overrides `pretrain`: every arm of a profile fine-tunes \
                     the same base model",
                    self.name
                ));
            }
            let method: Method = spec.method.parse().map_err(|e| format!("{e}"))?;
            for seed in 0..prof.seeds {
                out.push(FtCell {
                    experiment: self.name.clone(),
                    profile: profile.into(),
                    arm: arm.clone(),
                    spec: spec.clone(),
                    method,
                    seed,
                    setup: setup.clone(),
                });
            }
        }
        Ok(out)
    }
}

/// Where pretrained base models are cached: `$SOCBENCH_CACHE/finetune` or
/// `target/socbench-cache/finetune`.
pub fn cache_root() -> PathBuf {
    std::env::var_os("SOCBENCH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/socbench-cache"))
        .join("finetune")
}

/// What a finished cell records.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FtManifest {
    pub status: String,
    pub message: Option<String>,
    pub experiment: String,
    pub profile: String,
    pub arm: String,
    pub label: String,
    pub method: String,
    pub seed: u64,
    pub setup: FineTuneSetup,
    pub config_hash: String,
    pub git_commit: String,
    pub backend: String,
    pub wall_s: f64,
    pub rollouts: usize,
    pub updates: usize,
    pub socbench_version: String,
    pub provenance: Option<Provenance>,
    /// Data rows of every CSV of the cell when it was written (`record::csv_rows`).
    #[serde(default)]
    pub rows: std::collections::BTreeMap<String, usize>,
}

impl FtCell {
    pub fn dir(&self, results: &Path) -> PathBuf {
        results
            .join(&self.experiment)
            .join(&self.profile)
            .join(format!("digits-{}-s{}", self.arm, self.seed))
    }
    pub fn key(&self) -> StreamKey {
        StreamKey::new(&self.experiment, &self.arm, 64, self.seed).with_target("digits")
    }
    pub fn hash(&self) -> String {
        hash_json(&(&self.setup, &self.spec.method))
    }
}

pub const HISTORY_COLUMNS: &str = "update,rollouts,wall_s,loss,kl,lambda,beta,ess,eta,reward,log_prob,ink,alignment,fd_class,fd_all,diversity";

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v}"))
}

fn history_row(s: &mut String, p: &TrainPoint, eta: f64, q: &Quality) {
    let _ = writeln!(
        s,
        "{},{},{:.2},{},{},{},{},{},{eta},{},{},{},{},{},{},{}",
        p.update,
        p.rollouts,
        p.wall_s,
        p.loss,
        p.kl,
        opt(p.lambda),
        opt(p.beta),
        opt(p.ess),
        q.reward,
        q.log_prob,
        q.ink,
        q.alignment,
        q.fd_class,
        q.fd_all,
        q.diversity
    );
}

/// Runs a cell into `dir` (which must not hold a run). The base model must be in the cache
/// (`cargo xtask pretrain`, or `replicate fig5`, which pretrains first).
pub fn run_ft_cell(
    cell: &FtCell,
    device: &Device,
    dir: &Path,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<FtManifest, String> {
    let ad = backend::autodiff(device);
    let s = &cell.setup;
    let base = BaseModel::load(&s.pretrain, &s.pretrain.cache_dir(&cache_root()), &ad)?;
    claim_dir(dir).map_err(|e| e.to_string())?;
    let held = base.heldout_features(&ad);
    let problem = FineTuneProblem::new(
        &base.denoiser,
        &base.reward_classifier,
        s.reward,
        s.pretrain.schedule,
        s.sampler,
        s.train.multiplier,
        s.classes.clone(),
    );
    let key = cell.key();
    let labels = prompts(&s.classes, s.eval_per_class);
    let grid: Vec<usize> = (0..labels.len())
        .filter(|i| i % s.eval_per_class < GRID_PER_CLASS)
        .collect();
    let mut rec = Recorder {
        base: &base,
        setup: s,
        key: &key,
        labels: &labels,
        grid: &grid,
        held: &held,
        device: &ad,
        out: Recorded::default(),
    };
    let ckpt = Checkpointing::at(&dir.join(CHECKPOINT));
    let clock = crate::cell::CellClock::start(dir);
    let status = train_finetune_with(
        &problem,
        cell.method,
        &s.train,
        &key,
        &ad,
        &mut rec,
        progress,
        Some(&ckpt),
    )?;
    let (status, message) = match status {
        FtStatus::Finished => ("finished", None),
        FtStatus::Diverged(m) => ("diverged", Some(m)),
        FtStatus::Interrupted(update) => return Err(interrupted(update, &ckpt.path)),
    };
    let Recorded {
        history,
        samples,
        last,
    } = rec.out;
    let put = |name: &str, body: &str| put_file(dir, name, body).map_err(|e| e.to_string());
    put("history.csv", &history)?;
    put("samples.csv", &samples)?;
    let manifest = FtManifest {
        status: status.into(),
        message,
        experiment: cell.experiment.clone(),
        profile: cell.profile.clone(),
        arm: cell.arm.clone(),
        label: cell.spec.label.clone(),
        method: cell.spec.method.clone(),
        seed: cell.seed,
        setup: s.clone(),
        config_hash: cell.hash(),
        git_commit: git_commit(),
        backend: backend::name(device),
        wall_s: clock.total_s(),
        rollouts: last.rollouts,
        updates: last.update,
        socbench_version: env!("CARGO_PKG_VERSION").into(),
        provenance: Some(Provenance::current()),
        rows: socbench_methods::record::csv_rows(dir),
    };
    put(
        "manifest.json",
        &serde_json::to_string_pretty(&manifest).expect("manifest serialises"),
    )?;
    // The run is complete: its saved state has served.
    let _ = std::fs::remove_file(&ckpt.path);
    Ok(manifest)
}

/// What a cell writes from the evaluation marks: `history.csv`, `samples.csv` and the last mark.
#[derive(Serialize, Deserialize)]
struct Recorded {
    history: String,
    samples: String,
    last: TrainPoint,
}

impl Default for Recorded {
    fn default() -> Self {
        let mut samples = String::from("update,eta,index,class");
        for p in 0..64 {
            let _ = write!(samples, ",p{p}");
        }
        samples.push('\n');
        Self {
            history: format!("{HISTORY_COLUMNS}\n"),
            samples,
            last: TrainPoint::default(),
        }
    }
}

/// Evaluates every metric at both η at each mark; what it recorded travels in the run's saved
/// state, so that a resumed cell writes the same files as an uninterrupted one.
struct Recorder<'r> {
    base: &'r BaseModel,
    setup: &'r FineTuneSetup,
    key: &'r StreamKey,
    labels: &'r [usize],
    grid: &'r [usize],
    held: &'r (Vec<f64>, Vec<usize>),
    device: &'r Device,
    out: Recorded,
}

impl<'a> FtObserver<'a> for Recorder<'_> {
    fn at_mark(&mut self, c: &FineTuneControl<'a>, p: &TrainPoint) {
        let s = self.setup;
        for eta in ETAS {
            // The same prompts and noise at every mark, for every method at this seed.
            let mut rng = self.key.common(&format!("eval-eta{eta}"));
            let eps = |x, t, l| c.eps(x, t, l);
            let (q, x) = sample_quality(
                self.base,
                &s.reward,
                &eps,
                &s.sampler,
                eta,
                self.labels,
                self.held,
                &mut rng,
                self.device,
            );
            history_row(&mut self.out.history, p, eta, &q);
            if p.update == 0 || p.update == s.train.updates {
                for &i in self.grid {
                    let samples = &mut self.out.samples;
                    let _ = write!(samples, "{},{eta},{i},{}", p.update, self.labels[i]);
                    for v in &x[i * 64..(i + 1) * 64] {
                        let _ = write!(samples, ",{v:.3}");
                    }
                    samples.push('\n');
                }
            }
        }
        self.out.last = p.clone();
    }
    fn save_state(&self) -> Result<Vec<u8>, String> {
        rmp_serde::to_vec_named(&self.out).map_err(|e| e.to_string())
    }
    fn load_state(&mut self, state: &[u8]) -> Result<(), String> {
        self.out = rmp_serde::from_slice(state).map_err(|e| format!("checkpoint: {e}"))?;
        Ok(())
    }
}

/// The state of a cell on disk: finished with this configuration, absent, or a conflict.
pub fn finished(dir: &Path, cell: &FtCell) -> Result<bool, String> {
    crate::builtin::finished(dir, &cell.hash())
}

/// Pretrains (or loads) the base model of a profile, with `progress`.
pub fn pretrain_profile(
    setup: &FineTuneSetup,
    device: &Device,
    progress: &mut dyn FnMut(&str, usize, usize),
) -> Result<(BaseModel, bool, PathBuf), String> {
    let dir = setup.pretrain.cache_dir(&cache_root());
    let ad = backend::autodiff(device);
    let (m, trained) = BaseModel::load_or_train(&setup.pretrain, &dir, &ad, progress)?;
    Ok((m, trained, dir))
}
