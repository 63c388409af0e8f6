//! The sweep kind (`defs/*.toml` in the sweep format, `definition.rs`): targets × d × methods
//! × ε × seeds, each cell one training run of a registered method ([`crate::cell`]), reported
//! by `socbench_reports::markdown` beside the paper's tables.

use std::path::{Path, PathBuf};

use socbench_harness::backend::Device;
use socbench_harness::seed::stream;
use socbench_methods::record::{config_hash, git_commit};
use socbench_reports::markdown::{report, Context};
use socbench_reports::{load, output};
use socbench_targets::{build, TargetSpec};

use crate::definition::{self, Resolved};
use crate::family::{Cell, Experiment, Kind, Progress, Ran};
use crate::sweep::{cell_dir, cells, finished};
use crate::{run_cell, CellSpec};

pub const KIND: Kind = Kind {
    name: "sweep",
    about: "targets × d × methods × ε × seeds, one training run per cell",
    builtins: definition::names,
    load: |name| {
        definition::names()
            .contains(&name)
            .then(|| definition::load(name).and_then(|e| boxed(e, None)))
    },
    parse: |text, origin| {
        let e = definition::parse(text, &origin.display().to_string())?;
        boxed(e, Some(origin.to_path_buf()))
    },
};

fn boxed(
    exp: definition::Experiment,
    origin: Option<PathBuf>,
) -> Result<Box<dyn Experiment>, String> {
    Ok(Box::new(Sweep::new(exp, origin)?))
}

/// A sweep experiment and the experiment whose runs it reads (its `source`, or itself).
pub struct Sweep {
    pub exp: definition::Experiment,
    pub data: definition::Experiment,
    origin: Option<PathBuf>,
}

impl Sweep {
    pub fn new(exp: definition::Experiment, origin: Option<PathBuf>) -> Result<Self, String> {
        let data = exp.data()?;
        Ok(Sweep { exp, data, origin })
    }

    pub fn resolve(&self, profile: &str) -> Result<Resolved, String> {
        self.data.resolve(profile)
    }
}

impl Experiment for Sweep {
    fn name(&self) -> &str {
        &self.exp.name
    }
    fn kind(&self) -> &str {
        KIND.name
    }
    fn title(&self) -> &str {
        &self.exp.title
    }
    fn data_name(&self) -> &str {
        &self.data.name
    }
    fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }
    fn profiles(&self) -> Vec<String> {
        self.data
            .profile_names()
            .into_iter()
            .map(String::from)
            .collect()
    }
    fn cells(&self, profile: &str) -> Result<Vec<Box<dyn Cell>>, String> {
        let r = self.resolve(profile)?;
        Ok(cells(&self.data, &r)
            .into_iter()
            .map(|c| Box::new(SweepCell(c)) as Box<dyn Cell>)
            .collect())
    }
    fn check_cells(&self, cells: &[Box<dyn Cell>]) -> Result<(), String> {
        let specs: Vec<CellSpec> = cells
            .iter()
            .filter_map(|c| c.as_any().downcast_ref::<SweepCell>())
            .map(|c| c.0.clone())
            .collect();
        crate::cell::check_cells(&specs)
    }
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String> {
        write_report(self, &self.resolve(profile)?, results, reports)
    }
}

/// One training run.
#[derive(Clone, Debug)]
pub struct SweepCell(pub CellSpec);

impl Cell for SweepCell {
    fn arm(&self) -> &str {
        &self.0.arm
    }
    fn seed(&self) -> u64 {
        self.0.seed
    }
    fn dim(&self) -> Option<usize> {
        Some(self.0.dim)
    }
    fn target(&self) -> Option<String> {
        Some(self.0.target.clone())
    }
    fn epsilon(&self) -> Option<f64> {
        self.0
            .method
            .is_trust_region()
            .then_some(self.0.config.tr.epsilon)
    }
    fn key(&self) -> String {
        let c = &self.0;
        format!("{}-d{}-{}-s{}", c.target, c.dim, c.arm, c.seed)
    }
    fn dir(&self, results: &Path) -> PathBuf {
        cell_dir(results, &self.0)
    }
    fn config_hash(&self) -> String {
        config_hash(&self.0.config)
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        finished(dir, &self.0)
    }
    fn estimate_s(&self) -> Option<f64> {
        Some(guess_seconds(&self.0))
    }
    fn run(
        &self,
        device: &Device,
        dir: &Path,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Ran, String> {
        let mut on_step = |p: &socbench_methods::Progress| {
            let l = p.lambda.map(|l| format!(" λ={l:.3}")).unwrap_or_default();
            progress(&Progress {
                step: p.step,
                total: p.total,
                message: format!("loss={:.3e}{l}", p.loss),
            });
        };
        let (_, m) = run_cell(&self.0, device, dir, &mut on_step).map_err(|e| e.to_string())?;
        Ok(Ran {
            status: m.status,
            message: m.message,
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A cell's wall time on one core pair of the development machine (2 cores, flex), from a cost
/// model of its work: network passes per path and time step, scaled by the network's multiply
/// count relative to the `cpu` profile's 3 × 64 network at d = 50. Per path-step costs measured
/// there (Session 8): an on-policy step (simulate + loss + backward) 3.6 µs, a trust-region
/// inner step on stored paths 2.2 µs, a frozen simulation (buffer, evaluation) 1.0 µs. An upper
/// bound for trust-region runs, which may stop before their last refresh.
fn guess_seconds(c: &CellSpec) -> f64 {
    let cfg = &c.config;
    let n = &cfg.net;
    let macs = |d: usize, w: usize, depth: usize, tw: usize| {
        (w * w * depth.saturating_sub(1) + w * (d + tw) + w * d) as f64
    };
    let scale = macs(c.dim, n.width, n.depth, n.time_width) / macs(50, 64, 3, 32);
    let t = cfg.time_steps as f64;
    let work = if c.method.is_trust_region() {
        let tr = &cfg.tr;
        let r = tr.refreshes as f64;
        r * t * (tr.inner_steps as f64 * tr.minibatch as f64 * 2.2e-6 + tr.buffer as f64 * 1.0e-6)
    } else {
        cfg.steps as f64 * cfg.batch as f64 * t * 3.6e-6
    };
    // Each evaluation simulates its paths twice (metrics, then the control L2 error).
    let evals = (cfg.evals + 1) as f64 * cfg.eval_samples as f64 * t * 2.0e-6;
    scale * (work + evals)
}

/// `n` exact samples of the target (its own seeded stream), for the scatter plots.
fn ground_truth(target: &str, d: usize, n: usize) -> Option<Vec<f64>> {
    let t = build(&TargetSpec::new(target, d)).ok()?;
    t.sample(
        n,
        &mut stream(&["report", "ground-truth", target, &d.to_string()]),
    )
}

/// Writes the sweep's report for the resolved profile `r`.
pub fn write_report(
    sweep: &Sweep,
    r: &Resolved,
    results: &Path,
    reports: &Path,
) -> Result<(), String> {
    let (exp, data) = (&sweep.exp, &sweep.data);
    let profile = r.profile.as_str();
    let dir = results.join(&data.name).join(profile);
    let runs = load::load_runs(&dir)?;
    let (paper_values, stem) = output::setup(&exp.name, profile, &dir, runs.is_empty())?;
    let (md, figures) = render(sweep, r, &runs, &paper_values, &dir, &stem);
    let rec = output::record(
        &exp.name,
        profile,
        runs.iter()
            .map(|r| (r.manifest.git_commit.as_str(), r.manifest.wall_s)),
    );
    output::write_files(reports, &stem, &md, figures, &rec)
}

/// The sweep's report (markdown and figures) from its runs: `dir` is where they were read from
/// (named in the report), `stem` the report's file stem.
pub fn render(
    sweep: &Sweep,
    r: &Resolved,
    runs: &[load::Run],
    paper_values: &[socbench_reports::paper::PaperValue],
    dir: &Path,
    stem: &str,
) -> (String, Vec<(String, String)>) {
    let (exp, data) = (&sweep.exp, &sweep.data);
    let profile = r.profile.as_str();
    // The profile's deviations, then what of each target's definition is ours (the registry's
    // `ours`), so that every report using such a target says so.
    let mut deviations = r.deviations.clone();
    for t in &data.targets {
        if let Some(note) = socbench_targets::registry::ours(t) {
            deviations.push(format!("target `{t}`: {note}"));
        }
    }
    let deviations = &deviations;
    let backend = runs
        .first()
        .map(|r| r.manifest.backend.clone())
        .unwrap_or_default();
    // How the report is regenerated: the built-in name, or `--def <file>`.
    let which = match &sweep.origin {
        None => exp.name.clone(),
        Some(p) => format!("--def {}", p.display()),
    };
    let ctx = Context {
        experiment: &which,
        title: &exp.title,
        profile,
        paper_table: &exp.paper_table,
        metrics: &exp.metrics,
        deviations,
        hardware: format!("{} (backend {backend})", output::hardware()),
        commit: git_commit(),
        svg_stem: stem.to_string(),
        plots: &exp.plots,
        labels: &|name| data.label(name),
        show_epsilon: data.epsilons.len() > 1,
        results_dir: format!("{}/", dir.display()),
        ground_truth: &ground_truth,
        claims: &exp.claims,
        ladder: &exp.ladder,
        paper_names: exp.paper_names.as_ref(),
    };
    report(&ctx, runs, paper_values)
}
