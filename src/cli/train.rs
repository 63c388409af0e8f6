//! `socbench train`: one run with a progress bar, written to a new run directory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use socbench_experiments::cell::{prepare, run_prepared};
use socbench_experiments::CellSpec;
use socbench_harness::backend;
use socbench_methods::profile::Profile;
use socbench_methods::record::fresh_dir;
use socbench_methods::{Method, Progress};

use socbench_experiments::overlay as config_file;

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Problem: a sampling target (gmm, manywell, gmm40, funnel, gaussian) or a quadratic OU
    /// problem (ou-easy, ou-hard, ou-easy-shared, ou-hard-shared).
    #[arg(long)]
    target: String,
    /// Dimension d.
    #[arg(long)]
    dim: usize,
    // Help built from the method registry (`socbench methods`).
    #[arg(long, help = format!("Method: {}", Method::names()))]
    method: String,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Base configuration: paper (App. E.1), cpu (reduced), smoke. Default: paper on cuda, cpu otherwise.
    #[arg(long)]
    profile: Option<String>,
    /// TOML file overriding any fields of the profile's configuration.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Trust-region bound ε (shortcut for `[tr] epsilon`).
    #[arg(long, allow_hyphen_values = true)]
    epsilon: Option<f64>,
    /// Run directory (must not hold a run). Default: a fresh `runs/<target>-d<d>-<method>-s<seed>-<n>`.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Device: flex (CPU), ndarray, cuda (with `--features cuda`). Default: cuda when built with
    /// it and a GPU is present, flex otherwise.
    #[arg(long, default_value = backend::default_name())]
    device: String,
    /// Name of the experiment, part of every random stream's key.
    #[arg(long, default_value = "train")]
    experiment: String,
}

pub fn run(a: TrainArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let method: Method = a.method.parse()?;
    let device = backend::by_name(&a.device)?;
    let profile: Profile = match &a.profile {
        Some(p) => p.parse()?,
        None if a.device == "cuda" => Profile::Paper,
        None => Profile::Cpu,
    };
    let mut config = profile.config();
    if let Some(path) = &a.config {
        config = config_file::load(&config, path)?;
    }
    if let Some(eps) = a.epsilon {
        config.tr.epsilon = eps;
    }
    let spec = CellSpec {
        experiment: a.experiment,
        target: a.target,
        dim: a.dim,
        method,
        arm: method.name().to_string(),
        seed: a.seed,
        profile: profile.name().to_string(),
        config,
    };
    let dir = a.out.unwrap_or_else(|| {
        fresh_dir(
            &PathBuf::from("runs"),
            &format!("{}-d{}-{}-s{}", spec.target, spec.dim, method, spec.seed),
        )
    });
    // Everything that can be wrong with the input is checked before any output.
    let problem = prepare(&spec, &dir)?;
    eprintln!(
        "socbench train: {} on {} d={} seed={} profile={} device={} -> {}",
        method.label(),
        spec.target,
        spec.dim,
        spec.seed,
        profile,
        backend::name(&device),
        dir.display()
    );
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] step {pos}/{len} {msg} ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(500));
    let mut on_step = |p: &Progress| {
        bar.set_length(p.total as u64);
        bar.set_position(p.step as u64);
        let lambda = p.lambda.map(|l| format!(" λ={l:.3}")).unwrap_or_default();
        bar.set_message(format!("loss={:.4e}{lambda}", p.loss));
    };
    let (history, manifest) = run_prepared(&spec, problem.as_ref(), &device, &dir, &mut on_step)?;
    bar.finish_and_clear();
    if let Some(msg) = &manifest.message {
        eprintln!("diverged: {msg}");
    }
    if let Some(r) = history.last() {
        let l2 = r
            .control_l2
            .map(|v| format!("{v:.4}"))
            .unwrap_or("-".into());
        let dlogz = r.abs_dlogz.map(|v| format!("{v:.4}")).unwrap_or("-".into());
        eprintln!(
            "{}: step {} target_evals {} control_l2 {l2} |ΔlogZ| {dlogz} ESS {:.3} ({:.1} s)",
            manifest.status, r.step, r.target_evals, r.ess, manifest.wall_s
        );
    }
    println!("{}", dir.display());
    Ok(if manifest.status == "finished" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
