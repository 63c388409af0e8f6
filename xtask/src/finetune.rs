//! `cargo xtask pretrain` and `cargo xtask replicate fig5` / `report fig5`: the reward
//! fine-tuning experiments (`experiments/defs/fig5.toml`). The base model is pretrained once per
//! profile configuration and cached; cells then run (resumable, in parallel with `--jobs`) and
//! the report is written beside the paper's claims.

use std::path::{Path, PathBuf};

use clap::Args;
use socbench_experiments::finetune::{
    finished, pretrain_profile, run_ft_cell, FineTuneSetup, FtCell, FtExperiment, ETAS,
};
use socbench_harness::backend;
use socbench_methods::record::git_commit;
use socbench_reports::finetune::{ft_report, load_ft_runs, FtContext};
use socbench_targets::finetune::quality::{all_classes, prompts, sample_quality, Quality};
use socbench_targets::finetune::BaseModel;

use crate::arm_sweep::{prepare, selected, ArmCell};
use crate::replicate::ReplicateArgs;
use socbench_experiments::any_cell::AnyCell;

#[derive(Args, Debug)]
pub struct PretrainArgs {
    /// The fine-tuning experiment whose base model to train.
    #[arg(default_value = "fig5")]
    pub experiment: String,
    /// Its profile (cpu, smoke, paper). Default: cpu.
    #[arg(long, default_value = "cpu")]
    pub profile: String,
    /// Train again even if the cache has this model (the old files are replaced).
    #[arg(long)]
    pub force: bool,
    #[arg(long, default_value = "flex")]
    pub device: String,
}

fn load(name: &str) -> Result<FtExperiment, String> {
    socbench_experiments::finetune::load(name).unwrap_or_else(|| {
        Err(format!(
            "unknown fine-tuning experiment `{name}`: allowed {}",
            socbench_experiments::finetune::names().join(", ")
        ))
    })
}

/// The bar of a pretraining job (hidden when stderr is not a terminal).
fn pretrain_bar() -> impl FnMut(&str, usize, usize) {
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

/// `cargo xtask pretrain`: trains (or loads) the base model and prints its sample quality.
pub fn pretrain(a: PretrainArgs) -> Result<(), String> {
    let exp = load(&a.experiment)?;
    let setup = exp.setup(&a.profile)?;
    let device = backend::by_name(&a.device).map_err(|e| e.to_string())?;
    let dir = setup
        .pretrain
        .cache_dir(&socbench_experiments::finetune::cache_root());
    if a.force && dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let clock = std::time::Instant::now();
    let (base, trained, dir) = pretrain_profile(&setup, &device, &mut pretrain_bar())?;
    eprintln!(
        "{} base model in {} ({:.0} s)",
        if trained { "trained" } else { "loaded cached" },
        dir.display(),
        clock.elapsed().as_secs_f64()
    );
    print!("{}", write_quality(&setup, &base, &dir, &device)?);
    Ok(())
}

/// The profile's base model in the cache (trained there first if missing, with its quality.txt),
/// before any cell loads it.
fn ensure_base(setup: &FineTuneSetup, device: &backend::Device) -> Result<(), String> {
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
fn write_quality(
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

impl ArmCell for FtCell {
    fn arm(&self) -> &str {
        &self.arm
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn dir(&self, results: &Path) -> PathBuf {
        FtCell::dir(self, results)
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        finished(dir, self)
    }
}

pub fn replicate(a: &ReplicateArgs, exp: FtExperiment) -> Result<(), String> {
    if a.slurm.slurm {
        let (profile, cells) = selected(a, |p| exp.cells(p))?;
        if !a.slurm.dry_run {
            // The tasks load the base model from the cache: train it here, once.
            let device =
                socbench_harness::backend::by_name(&a.device).map_err(|e| e.to_string())?;
            ensure_base(&exp.setup(&profile)?, &device)?;
        }
        let cells = cells.into_iter().map(AnyCell::Finetune).collect();
        let report = || report(&exp, &profile, &a.results, &a.reports);
        let s =
            crate::slurm::SlurmSweep::named(&exp.name, profile.clone(), cells, Box::new(report));
        return crate::slurm::submit(a, &s);
    }
    let p = prepare(
        a,
        &exp.name,
        "fine-tunes 8×8 images and has no d to choose",
        |prof| exp.cells(prof),
        |prof| Ok(exp.profile(prof)?.arms.clone()),
    )?;
    if !p.todo.is_empty() {
        // Once, before the cells (which run in parallel) load it.
        ensure_base(&exp.setup(&p.profile)?, &p.device)?;
    }
    p.announce(&exp.name);
    let prefix = |c: &FtCell| format!("{}-s{}", c.arm, c.seed);
    let run = |c: &FtCell, dir: &PathBuf, bar: &indicatif::ProgressBar| {
        let mut on_step = |step: usize, total: usize| {
            bar.set_length(total as u64);
            bar.set_position(step as u64);
        };
        run_ft_cell(c, &p.device, dir, &mut on_step).map(|m| m.message)
    };
    let out = p.run(a.force, &prefix, &run);
    p.conclude(a, &exp.name, out)?;
    report(&exp, &p.profile, &a.results, &a.reports)
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
    let (_, stem) = crate::report::setup(&exp.name, profile, &dir, runs.is_empty())?;
    let setup = exp.setup(profile)?;
    let quality = std::fs::read_to_string(
        setup
            .pretrain
            .cache_dir(&socbench_experiments::finetune::cache_root())
            .join("quality.txt"),
    )
    .ok();
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
        hardware: crate::report::hardware(),
        commit: git_commit(),
        svg_stem: stem.clone(),
        results_dir: format!("{}/", dir.display()),
        setup_json: serde_json::to_string_pretty(&setup).expect("setup serialises"),
        base_quality: quality,
    };
    let (md, figures) = ft_report(&ctx, &runs);
    crate::report::write_files(reports, &stem, &md, figures)
}
