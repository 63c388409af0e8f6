//! `cargo xtask pretrain`: trains (or loads from the cache) the base model of a fine-tuning
//! experiment (`experiments/defs/fig5.toml`) and prints its sample quality. `replicate fig5`
//! does the same before its cells (`socbench_experiments::finetune_kind`).

use clap::Args;
use socbench_experiments::builtin::{load_def, names_of};
use socbench_experiments::finetune::{pretrain_profile, FtExperiment};
use socbench_experiments::finetune_kind::{pretrain_bar, write_quality};
use socbench_harness::backend;

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
    load_def::<FtExperiment>(name).unwrap_or_else(|| {
        Err(format!(
            "unknown fine-tuning experiment `{name}`: allowed {}",
            names_of::<FtExperiment>().join(", ")
        ))
    })
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
