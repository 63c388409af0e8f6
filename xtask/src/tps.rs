//! `cargo xtask replicate table1` and `cargo xtask report table1`: the TPS experiments
//! (`experiments/defs/table1.toml`), run cell by cell (resumable, in parallel with `--jobs`),
//! then reported beside the paper's Table 1.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use socbench_experiments::sweep::move_aside;
use socbench_experiments::tps::{finished, run_tps_cell, TpsExperiment};
use socbench_harness::backend;
use socbench_methods::record::git_commit;
use socbench_reports::paper;
use socbench_reports::tps::{load_tps_runs, tps_report, TpsContext};

use crate::replicate::ReplicateArgs;

pub fn replicate(a: &ReplicateArgs, exp: TpsExperiment) -> Result<(), String> {
    let device = backend::by_name(&a.device).map_err(|e| e.to_string())?;
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs < 1 {
        return Err(format!("invalid `--jobs` = {jobs}: allowed >= 1"));
    }
    if !a.dims.is_empty() {
        return Err(format!(
            "invalid `--dims`: {} has one system and no d to choose",
            exp.name
        ));
    }
    let profile = a
        .profile
        .clone()
        .unwrap_or_else(|| crate::replicate::default_profile(&a.device).into());
    let every = exp.cells(&profile)?;
    if let Some(bad) = a
        .methods
        .iter()
        .find(|m| !every.iter().any(|c| &c.arm == *m))
    {
        return Err(format!(
            "invalid `--methods` entry `{bad}`: allowed the arms of {} (profile `{profile}`): {}",
            exp.name,
            exp.profile(&profile)?.arms.join(", ")
        ));
    }
    let cells: Vec<_> = every
        .into_iter()
        .filter(|c| a.methods.is_empty() || a.methods.contains(&c.arm))
        .filter(|c| a.seeds.is_none_or(|n| c.seed < n))
        .collect();
    let mut todo = Vec::new();
    let mut done = 0;
    for c in &cells {
        let dir = c.dir(&a.results);
        if !a.force && finished(&dir, c)? {
            done += 1;
            continue;
        }
        if let Some(old) = move_aside(&dir).map_err(|e| e.to_string())? {
            eprintln!("moved {} aside to {}", dir.display(), old.display());
        }
        todo.push((c.clone(), dir));
    }
    eprintln!(
        "replicate {}: profile `{profile}`, device {}, {} cells ({done} done, {} to run), {jobs} jobs",
        exp.name,
        backend::name(&device),
        cells.len(),
        todo.len()
    );
    let multi = MultiProgress::new();
    let overall = multi.add(ProgressBar::new(cells.len() as u64));
    overall.set_style(
        ProgressStyle::with_template("{elapsed_precise} cells [{wide_bar}] {pos}/{len} ETA {eta}")
            .expect("template"),
    );
    overall.set_position(done as u64);
    overall.reset_eta();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let clock = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(todo.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((c, dir)) = todo.get(i) else { break };
                let bar = multi.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template(
                        "  {prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}",
                    )
                    .expect("template"),
                );
                bar.set_prefix(format!("{}-{}-s{}", c.target, c.arm, c.seed));
                bar.enable_steady_tick(Duration::from_millis(500));
                let mut on_step = |step: usize, total: usize, loss: f64| {
                    bar.set_length(total as u64);
                    bar.set_position(step as u64);
                    bar.set_message(format!("loss={loss:.3e}"));
                };
                match run_tps_cell(c, &device, dir, &mut on_step) {
                    Ok(m) => {
                        if let Some(msg) = m.message {
                            multi.suspend(|| eprintln!("diverged: {msg}"));
                        }
                    }
                    Err(e) => failures
                        .lock()
                        .unwrap()
                        .push(format!("{}: {e}", dir.display())),
                }
                bar.finish_and_clear();
                multi.remove(&bar);
                overall.inc(1);
            });
        }
    });
    overall.finish();
    eprintln!(
        "ran {} cells in {:.1} min",
        todo.len(),
        clock.elapsed().as_secs_f64() / 60.0
    );
    let failures = failures.into_inner().unwrap();
    if !failures.is_empty() {
        return Err(failures.join("\n"));
    }
    report(&exp, &profile, &a.results, &a.reports)
}

/// Writes `reports/<experiment>[-<profile>].md` and its SVGs from the finished runs.
pub fn report(
    exp: &TpsExperiment,
    profile: &str,
    results: &Path,
    reports: &Path,
) -> Result<(), String> {
    let prof = exp.profile(profile)?;
    let target = prof.target.clone().unwrap_or_else(|| exp.target.clone());
    let sys = socbench_targets::tps::build(&target).map_err(|e| e.to_string())?;
    let dir = results.join(&exp.name).join(profile);
    let runs = load_tps_runs(&dir)?;
    if runs.is_empty() {
        return Err(format!(
            "no finished runs under `{}`: run `cargo xtask replicate {} --profile {profile}` first",
            dir.display(),
            exp.name
        ));
    }
    let paper_values = paper::load(Path::new("experiments/reference/paper_tables.csv"))?;
    let stem = if profile == "cpu" {
        exp.name.clone()
    } else {
        format!("{}-{profile}", exp.name)
    };
    let units = sys.units();
    let (target_cv, radius) = sys.target_cvs();
    let ctx = TpsContext {
        experiment: &exp.name,
        title: &exp.title,
        profile,
        target: &target,
        paper_table: &exp.paper_table,
        arms: prof
            .arms
            .iter()
            .map(|a| {
                (
                    a.clone(),
                    exp.arms[a].label.clone(),
                    exp.arms[a].paper.clone(),
                )
            })
            .collect(),
        deviations: &prof.deviations,
        hardware: crate::report::hardware(),
        commit: git_commit(),
        svg_stem: stem.clone(),
        results_dir: format!("{}/", dir.display()),
        energy_unit: units.energy,
        rmsd_unit: units.rmsd,
        cv_names: units.cvs,
        cv_range: units.cv_range,
        start_cv: sys.cvs(sys.start()),
        target_cv,
        hit_radius_cv: radius,
    };
    let (md, figures) = tps_report(&ctx, &runs, &paper_values);
    std::fs::create_dir_all(reports).map_err(|e| e.to_string())?;
    let md_path = reports.join(format!("{stem}.md"));
    std::fs::write(&md_path, md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    for (name, svg) in figures {
        let p = reports.join(name);
        std::fs::write(&p, svg).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    eprintln!("wrote {}", md_path.display());
    Ok(())
}
