//! The reward fine-tuning kind (`defs/fig5.toml`, [`crate::finetune`]): arms × seeds
//! fine-tuning one cached base model (pretrained once per profile configuration, before the
//! cells), reported beside the paper's claims by `socbench_reports::finetune`.

use std::path::{Path, PathBuf};

use socbench_harness::backend::{self, Device};
use socbench_methods::record::git_commit;
use socbench_reports::finetune::{ft_report, load_ft_runs, FtContext};
use socbench_reports::output;
use socbench_targets::finetune::quality::{all_classes, prompts, sample_quality, Quality};
use socbench_targets::finetune::BaseModel;

use crate::builtin::{load_of, names_of, parse_of, Definition};
use crate::family::{Cell, Kind, Progress, Ran};
use crate::finetune::{
    cache_root, finished, pretrain_profile, run_ft_cell, FineTuneSetup, FtCell, FtExperiment, ETAS,
};

pub const KIND: Kind = Kind {
    name: FtExperiment::KIND,
    about: "reward fine-tuning of a pretrained diffusion model: arms × seeds (Fig. 5)",
    builtins: names_of::<FtExperiment>,
    load: load_of::<FtExperiment>,
    parse: parse_of::<FtExperiment>,
};

impl Definition for FtExperiment {
    const KIND: &'static str = "finetune";
    const BUILTINS: &'static [(&'static str, &'static str)] =
        &[("fig5", include_str!("../defs/fig5.toml"))];
    type Cell = FtCell;
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
    fn cells(&self, profile: &str) -> Result<Vec<FtCell>, String> {
        FtExperiment::cells(self, profile)
    }
    fn no_dims(&self) -> Option<&str> {
        Some("fine-tunes 8×8 images and has no d to choose")
    }
    /// The tasks load the base model from the cache: train it here, once.
    fn before_cells(&self, profile: &str, device: &Device) -> Result<(), String> {
        ensure_base(&self.setup(profile)?, device)
    }
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String> {
        report(self, profile, results, reports)
    }
}

impl Cell for FtCell {
    fn arm(&self) -> &str {
        &self.arm
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn target(&self) -> Option<String> {
        Some(self.setup.pretrain.dataset.clone())
    }
    fn key(&self) -> String {
        format!("{}-s{}", self.arm, self.seed)
    }
    fn dir(&self, results: &Path) -> PathBuf {
        FtCell::dir(self, results)
    }
    fn config_hash(&self) -> String {
        self.hash()
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        finished(dir, self)
    }
    /// Updates × rollouts per update × sampling steps, scaled by the base model's multiplies
    /// against the `cpu` profile's 256-256-256; fitted to reports/fig5.md (2 cores: 57.5 min for
    /// 9 cells of 2000 × 20 × 40, about 2.4e-4 s per rollout step). The pretraining, once per
    /// profile, is not counted.
    fn estimate_s(&self) -> Option<f64> {
        let s = &self.setup;
        let h = &s.pretrain.hidden;
        let macs: usize = h.windows(2).map(|w| w[0] * w[1]).sum::<usize>() + 64 * h[0];
        let net = macs as f64 / (2.0 * 256.0 * 256.0 + 64.0 * 256.0);
        let work = (s.train.updates * s.train.batch * s.sampler.steps) as f64;
        Some(work * 2.4e-4 * net)
    }
    fn run(
        &self,
        device: &Device,
        dir: &Path,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Ran, String> {
        let mut on_step = |step: usize, total: usize| {
            progress(&Progress {
                step,
                total,
                message: String::new(),
            })
        };
        let m = run_ft_cell(self, device, dir, &mut on_step)?;
        Ok(Ran {
            status: m.status,
            message: m.message,
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The bar of a pretraining job (hidden when stderr is not a terminal).
pub fn pretrain_bar() -> impl FnMut(&str, usize, usize) {
    let bar = indicatif::ProgressBar::new(1);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>18} [{bar:40}] {pos}/{len} {elapsed}")
            .expect("template"),
    );
    move |what: &str, step: usize, total: usize| {
        bar.set_message(what.to_string());
        bar.set_length(total as u64);
        bar.set_position(step as u64);
        if what == "denoiser" && step == total {
            bar.finish();
        }
    }
}

/// The profile's base model in the cache (trained there first if missing, with its quality.txt),
/// before any cell loads it.
pub fn ensure_base(setup: &FineTuneSetup, device: &backend::Device) -> Result<(), String> {
    let clock = std::time::Instant::now();
    let (base, trained, dir) = pretrain_profile(setup, device, &mut pretrain_bar())?;
    if !dir.join("quality.txt").exists() {
        write_quality(setup, &base, &dir, device)?;
    }
    if trained {
        eprintln!(
            "pretrained the base model into {} ({:.0} s)",
            dir.display(),
            clock.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The base model's sample quality at η = 0 and 1 (10 classes × 20 prompts), written to
/// `quality.txt` in its cache directory (the report quotes it).
pub fn write_quality(
    setup: &FineTuneSetup,
    base: &BaseModel,
    dir: &Path,
    device: &backend::Device,
) -> Result<String, String> {
    let ad = backend::autodiff(device);
    let held = base.heldout_features(&ad);
    let labels = prompts(&all_classes(), 20);
    let mut out = String::new();
    for eta in ETAS {
        let mut rng = socbench_harness::rng::StreamKey::new("pretrain", "base", 64, 0)
            .common(&format!("quality-eta{eta}"));
        let eps = |x, t, l| base.denoiser.guided(x, t, l, setup.sampler.guidance);
        let (q, _) = sample_quality(
            base,
            &setup.reward,
            &eps,
            &setup.sampler,
            eta,
            &labels,
            &held,
            &mut rng,
            &ad,
        );
        out.push_str(&quality_line(eta, &q));
    }
    std::fs::write(dir.join("quality.txt"), &out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn quality_line(eta: f64, q: &Quality) -> String {
    let per: Vec<String> = q.per_class.iter().map(|a| format!("{:.2}", a)).collect();
    format!(
        "η = {eta}: eval-classifier accuracy {:.3} (per class {}), Fréchet distance {:.2} (all) / \
         {:.2} (per class), diversity {:.2}, reward {:.3}, ink {:.3}\n",
        q.alignment,
        per.join(" "),
        q.fd_all,
        q.fd_class,
        q.diversity,
        q.reward,
        q.ink
    )
}

/// Writes `reports/<experiment>[-<profile>].md` and its SVGs from the finished runs.
pub fn report(
    exp: &FtExperiment,
    profile: &str,
    results: &Path,
    reports: &Path,
) -> Result<(), String> {
    let prof = exp.profile(profile)?;
    let dir = results.join(&exp.name).join(profile);
    let runs = load_ft_runs(&dir)?;
    let (_, stem) = output::setup(&exp.name, profile, &dir, runs.is_empty())?;
    let setup = exp.setup(profile)?;
    let quality =
        std::fs::read_to_string(setup.pretrain.cache_dir(&cache_root()).join("quality.txt")).ok();
    let ctx = FtContext {
        experiment: &exp.name,
        title: &exp.title,
        profile,
        arms: prof
            .arms
            .iter()
            .map(|a| (a.clone(), exp.arms[a].label.clone()))
            .collect(),
        deviations: &prof.deviations,
        hardware: output::hardware(),
        commit: git_commit(),
        svg_stem: stem.clone(),
        results_dir: format!("{}/", dir.display()),
        setup_json: serde_json::to_string_pretty(&setup).expect("setup serialises"),
        base_quality: quality,
    };
    let (md, figures) = ft_report(&ctx, &runs);
    let rec = output::record(
        &exp.name,
        profile,
        runs.iter().map(|r| (r.commit.as_str(), r.wall_s)),
    );
    output::write_files(reports, &stem, &md, figures, &rec)
}
