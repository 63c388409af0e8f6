//! `cargo xtask verify <experiment>`: re-runs N sampled cells of a committed report at HEAD and
//! compares their final values with its committed table (`reports/<stem>.csv`, written by
//! `cargo xtask export`): on the machine class the runs were made on every difference is zero
//! (same seed, same CPU build, same CSV); across CPUs a different SIMD path changes the last bits
//! of a reduction and, through training, the trajectory, so the metrics move by the seeds' noise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use socbench_experiments::export::{cell_rows, read_table, Row};
use socbench_reports::output::stem;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The experiment, `--profile`, and `--reports` (where its committed table is).
    #[command(flatten)]
    pub at: crate::report::ReportArgs,
    /// How many cells to re-run, sampled evenly over the finished cells of the table.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub cells: u64,
    /// Largest |difference| that still passes (0: bit for bit).
    #[arg(long, default_value_t = 0.0)]
    pub tolerance: f64,
    #[arg(long, default_value = socbench_harness::backend::default_name())]
    pub device: String,
}

/// (method, target, d, ε, seed): the cell a row belongs to, and the same key of a cell.
fn key(method: &str, target: &str, d: Option<usize>, eps: Option<f64>, seed: u64) -> String {
    format!("{method} {target} d={d:?} eps={eps:?} s{seed}")
}

fn cell_key(r: &Row) -> String {
    key(&r.method, &r.target, r.d, r.epsilon, r.seed)
}

/// The last evaluation's value of each metric of one cell's rows.
fn finals<'a>(rows: impl Iterator<Item = &'a Row>) -> BTreeMap<String, (f64, f64)> {
    let mut out: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for r in rows {
        let e = out
            .entry(r.metric.clone())
            .or_insert((f64::NEG_INFINITY, 0.0));
        if r.step >= e.0 {
            *e = (r.step, r.value);
        }
    }
    out
}

pub fn run(a: VerifyArgs) -> Result<(), String> {
    let at = &a.at;
    let exp = at.which()?.load()?;
    let profile = at.profile();
    // The committed table (`.csv.gz`), or a plain `.csv` written by `export`.
    let base = at.reports.join(stem(exp.name(), &profile));
    let table_path = ["csv.gz", "csv"]
        .iter()
        .map(|x| base.with_extension(x))
        .find(|p| p.exists())
        .ok_or_else(|| {
            format!(
                "{}.csv.gz: no such table (write it with `cargo xtask export {} --profile \
                 {profile} --format csv.gz`)",
                base.display(),
                exp.name()
            )
        })?;
    let table = read_table(&table_path)?;
    let device = socbench_harness::backend::by_name(&a.device).map_err(|e| e.to_string())?;
    // The table's cells, in the experiment's order.
    let cells: Vec<_> = exp
        .cells(&profile)?
        .into_iter()
        .filter(|c| {
            let k = key(
                c.arm(),
                &c.target().unwrap_or_default(),
                c.dim(),
                c.epsilon(),
                c.seed(),
            );
            table.iter().any(|r| cell_key(r) == k)
        })
        .collect();
    if cells.is_empty() {
        return Err(format!(
            "{} has no row of a cell of {}",
            table_path.display(),
            exp.name()
        ));
    }
    let n = (a.cells as usize).min(cells.len());
    let picks: Vec<usize> = (0..n).map(|i| i * cells.len() / n).collect();
    let root: PathBuf =
        std::env::temp_dir().join(format!("socbench-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut out =
        String::from("| cell | metric | committed | HEAD | difference |\n|---|---|---|---|---|\n");
    let mut worst = 0.0f64;
    for &i in &picks {
        let c = cells[i].as_ref();
        let dir = c.dir(&root);
        eprintln!("verify: running {}", c.key());
        c.run(&device, &dir, &mut |_| {})?;
        let fresh = cell_rows(exp.as_ref(), &profile, c, &dir)?;
        let Some(k) = fresh.first().map(cell_key) else {
            return Err(format!("{}: the run wrote no rows", c.key()));
        };
        let old = finals(table.iter().filter(|r| cell_key(r) == k));
        let new = finals(fresh.iter());
        for (m, (_, v_old)) in &old {
            let v_new = new.get(m).map_or(f64::NAN, |x| x.1);
            let d = if v_old.is_nan() && v_new.is_nan() {
                0.0
            } else {
                v_new - v_old
            };
            worst = worst.max(if d.is_nan() { f64::INFINITY } else { d.abs() });
            let _ = writeln!(out, "| {} | {m} | {v_old} | {v_new} | {d:e} |", c.key());
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    print!("{out}");
    if worst > a.tolerance {
        return Err(format!(
            "largest difference {worst:e} exceeds --tolerance {} ({} cells of {} re-run)",
            a.tolerance,
            n,
            cells.len()
        ));
    }
    eprintln!(
        "verify: {n} of {} cells re-run at HEAD, largest difference {worst:e}",
        cells.len()
    );
    Ok(())
}
