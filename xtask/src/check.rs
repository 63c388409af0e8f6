//! `cargo xtask check`: the metric regression check of CI. Runs the `smoke` profile of a fixed
//! set of cells into a fresh directory and compares each metric (best smoothed value of the run)
//! with `experiments/baselines/check.csv` under per-metric tolerances; `--bless` rewrites the
//! baseline and prints the diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use socbench_experiments::family;
use socbench_harness::backend;
use socbench_reports::load::read_history;
use socbench_reports::protocol::summarise_run;

const BASELINE: &str = "experiments/baselines/check.csv";
/// The experiments whose smoke cells are checked, each with the cell directory names to run
/// (empty: all of its smoke cells).
const EXPERIMENTS: [(&str, &[&str]); 2] = [
    ("fig2", &[]),
    // Classical SOC (App. G): f ≠ 0, state-dependent drift, Riccati ground truth.
    ("fig11", &["ou-hard-d2-tr-socm-eps0.1-s0"]),
];

/// (metric, absolute tolerance, relative tolerance): |ours − baseline| ≤ abs + rel·|baseline|.
/// Wide enough for run-to-run differences across CPUs (a different SIMD path changes the last
/// bits and, through training, the trajectory), narrow enough for a sign error or a broken weight,
/// which move these metrics by whole units (see the replicate issue's note).
const TOLERANCES: [(&str, f64, f64); 3] = [
    ("control_l2", 0.05, 0.5),
    ("abs_dlogz", 0.05, 0.5),
    ("ess", 0.15, 0.0),
];

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Rewrite the baseline with this run's values and print the differences.
    #[arg(long)]
    pub bless: bool,
}

fn measure() -> Result<BTreeMap<(String, String), f64>, String> {
    let root: PathBuf = std::env::temp_dir().join(format!("socbench-check-{}", std::process::id()));
    let device = backend::flex();
    let mut out = BTreeMap::new();
    for (name, only) in EXPERIMENTS {
        for c in family::load(name)?.cells("smoke")? {
            let dir = c.dir(&root);
            let label = dir.file_name().unwrap().to_string_lossy().to_string();
            if !only.is_empty() && !only.contains(&label.as_str()) {
                continue;
            }
            eprintln!("check: running {name}/{label}");
            let m = c.run(&device, &dir, &mut |_| {})?;
            let cols = read_history(&dir.join("history.csv"))?;
            for (metric, _, _) in TOLERANCES {
                let v = if m.status == "diverged" {
                    f64::NAN
                } else {
                    // The protocol's best of run (the step-0 row of u = 0 is not part of it).
                    let steps = cols.get("step").map_or(&[][..], Vec::as_slice);
                    cols.get(metric)
                        .and_then(|s| summarise_run(steps, s, metric))
                        .map_or(f64::NAN, |s| s.best)
                };
                out.insert((format!("{name}/{label}"), metric.to_string()), v);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(out)
}

fn read_baseline(path: &Path) -> Result<BTreeMap<(String, String), f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read baseline `{}`: {e} (create it with --bless)",
            path.display()
        )
    })?;
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 3 {
            return Err(format!(
                "{}:{}: expected cell,metric,value",
                path.display(),
                i + 1
            ));
        }
        let v = f[2]
            .parse()
            .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        out.insert((f[0].to_string(), f[1].to_string()), v);
    }
    Ok(out)
}

pub fn run(a: CheckArgs) -> Result<(), String> {
    let ours = measure()?;
    let path = Path::new(BASELINE);
    if a.bless {
        let old = read_baseline(path).unwrap_or_default();
        let mut csv = String::from("cell,metric,value\n");
        for ((cell, metric), v) in &ours {
            csv.push_str(&format!("{cell},{metric},{v}\n"));
            match old.get(&(cell.clone(), metric.clone())) {
                Some(o) if o == v => {}
                Some(o) => eprintln!("bless: {cell} {metric}: {o} -> {v}"),
                None => eprintln!("bless: {cell} {metric}: (new) {v}"),
            }
        }
        std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
        std::fs::write(path, csv).map_err(|e| e.to_string())?;
        eprintln!("wrote {BASELINE}");
        return Ok(());
    }
    let base = read_baseline(path)?;
    let mut bad = Vec::new();
    println!(
        "{:<40} {:<11} {:>10} {:>10} {:>10}",
        "cell", "metric", "baseline", "ours", "allowed"
    );
    for ((cell, metric), b) in &base {
        let (_, abs, rel) = TOLERANCES
            .iter()
            .find(|t| t.0 == metric)
            .copied()
            .unwrap_or((metric.as_str(), 0.0, 0.0));
        let allowed = abs + rel * b.abs();
        let v = ours.get(&(cell.clone(), metric.clone())).copied();
        let ok = v.is_some_and(|v| (v - b).abs() <= allowed);
        let vs = v.map_or("missing".to_string(), |v| format!("{v:.4}"));
        println!(
            "{cell:<40} {metric:<11} {b:>10.4} {vs:>10} {:>10}",
            format!("±{allowed:.4}")
        );
        if !ok {
            bad.push(format!(
                "{cell} {metric}: {vs} vs baseline {b:.4} (allowed ±{allowed:.4})"
            ));
        }
    }
    if bad.is_empty() {
        println!("check: {} metrics within tolerance", base.len());
        Ok(())
    } else {
        Err(format!("metric regression:\n{}", bad.join("\n")))
    }
}
