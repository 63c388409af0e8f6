//! The results of an experiment as one tidy long table (issue 40, point 4): one row per (cell,
//! evaluation, metric), beside every report as `reports/<experiment>[-<profile>].csv`, so that
//! a reader reuses the numbers without parsing markdown or rerunning. Read from each finished
//! cell's `history.csv` (`losses.csv` for the PINN kind) and `manifest.json`, through the
//! experiment registry, so every kind exports alike.

use std::collections::BTreeMap;
use std::path::Path;

use crate::family::{Cell, Experiment};

/// The table's columns, in order.
pub const COLUMNS: [&str; 13] = [
    "experiment",
    "profile",
    "target",
    "d",
    "method",
    "epsilon",
    "seed",
    "step",
    "target_evals",
    "metric",
    "value",
    "commit",
    "machine",
];

/// Columns of a history that are the evaluation's coordinates, not metrics.
const STEP: [&str; 2] = ["step", "update"];
const EVALS: [&str; 3] = ["target_evals", "rollouts", "energy_evals"];
/// Columns that are the clock, not a result (they differ between identical runs).
const CLOCK: [&str; 2] = ["wall_s", "sec_per_it"];

/// One row of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub experiment: String,
    pub profile: String,
    pub target: String,
    pub d: Option<usize>,
    pub method: String,
    pub epsilon: Option<f64>,
    pub seed: u64,
    pub step: f64,
    pub target_evals: Option<f64>,
    pub metric: String,
    pub value: f64,
    pub commit: String,
    pub machine: String,
}

/// A history CSV's columns; `None` for an empty cell (a metric the problem does not have), NaN
/// for a written NaN (a diverged evaluation, kept).
type Columns = (Vec<String>, Vec<Vec<Option<f64>>>);

fn read_columns(path: &Path) -> Result<Option<Columns>, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let mut lines = text.lines();
    let Some(head) = lines.next() else {
        return Ok(None);
    };
    let names: Vec<String> = head.split(',').map(String::from).collect();
    let mut cols = vec![Vec::new(); names.len()];
    for (i, l) in lines.enumerate() {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() != names.len() {
            return Err(format!(
                "{}:{}: {} fields, the header has {}",
                path.display(),
                i + 2,
                f.len(),
                names.len()
            ));
        }
        for (c, v) in cols.iter_mut().zip(f) {
            let v = v.trim();
            c.push((!v.is_empty()).then(|| v.parse().unwrap_or(f64::NAN)));
        }
    }
    Ok(Some((names, cols)))
}

/// Every row of one finished cell in `dir`.
pub fn cell_rows(
    exp: &dyn Experiment,
    profile: &str,
    cell: &dyn Cell,
    dir: &Path,
) -> Result<Vec<Row>, String> {
    let m: serde_json::Value = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let commit = m["git_commit"].as_str().unwrap_or("").to_string();
    let machine = m["provenance"]["machine"]
        .as_str()
        .map(String::from)
        .unwrap_or_else(|| format!("unrecorded ({})", m["backend"].as_str().unwrap_or("?")));
    let mut table = None;
    for f in ["history.csv", "losses.csv"] {
        if let Some(t) = read_columns(&dir.join(f))? {
            table = Some(t);
            break;
        }
    }
    let (names, cols) = table.unwrap_or_default();
    let find = |set: &[&str]| names.iter().position(|n| set.contains(&n.as_str()));
    let step = find(&STEP);
    let evals = find(&EVALS);
    let row = |s: f64, t: Option<f64>, metric: &str, value: f64| Row {
        experiment: exp.data_name().to_string(),
        profile: profile.to_string(),
        target: cell.target().unwrap_or_default(),
        d: cell.dim(),
        method: cell.arm().to_string(),
        epsilon: cell.epsilon(),
        seed: cell.seed(),
        step: s,
        target_evals: t,
        metric: metric.to_string(),
        value,
        commit: commit.clone(),
        machine: machine.clone(),
    };
    let mut rows = Vec::new();
    // The final model's metrics, at the last step of the history.
    let last = step.and_then(|s| {
        let i = cols[s].iter().rposition(Option::is_some)?;
        Some((cols[s][i]?, evals.and_then(|e| cols[e][i])))
    });
    let finals: Vec<Row> = cell
        .final_metrics(dir)?
        .into_iter()
        .map(|(m, v)| {
            let (s, t) = last.unwrap_or((0.0, None));
            row(s, t, &m, v)
        })
        .collect();
    let Some(step) = step else {
        return Ok(finals);
    };
    for (i, s) in cols[step].iter().enumerate() {
        let Some(s) = *s else { continue };
        for (j, name) in names.iter().enumerate() {
            let Some(v) = cols[j][i] else { continue };
            if j == step || Some(j) == evals || CLOCK.contains(&name.as_str()) {
                continue;
            }
            rows.push(row(s, evals.and_then(|e| cols[e][i]), name, v));
        }
    }
    rows.extend(finals);
    Ok(rows)
}

/// Every row of every finished cell of `exp` at `profile` under `results`, cell by cell.
pub fn rows(exp: &dyn Experiment, profile: &str, results: &Path) -> Result<Vec<Row>, String> {
    let mut out = Vec::new();
    for c in exp.cells(profile)? {
        let dir = c.dir(results);
        if c.finished(&dir)? {
            out.extend(cell_rows(exp, profile, c.as_ref(), &dir)?);
        }
    }
    Ok(out)
}

/// A field of the CSV: quoted when it holds a comma or a quote.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The table as CSV text. Numbers print in Rust's shortest round-trip form, so reading them
/// back gives the same f64.
pub fn to_csv(rows: &[Row]) -> String {
    let mut s = COLUMNS.join(",");
    s.push('\n');
    let opt = |v: Option<String>| v.unwrap_or_default();
    for r in rows {
        let f = [
            field(&r.experiment),
            field(&r.profile),
            field(&r.target),
            opt(r.d.map(|d| d.to_string())),
            field(&r.method),
            opt(r.epsilon.map(|e| e.to_string())),
            r.seed.to_string(),
            r.step.to_string(),
            opt(r.target_evals.map(|e| e.to_string())),
            field(&r.metric),
            r.value.to_string(),
            field(&r.commit),
            field(&r.machine),
        ];
        s.push_str(&f.join(","));
        s.push('\n');
    }
    s
}

/// Each (method, target, d, ε, seed) line's series of one metric from the table: (steps,
/// values), as the report's protocol takes them.
pub fn series(rows: &[Row], metric: &str) -> BTreeMap<String, (Vec<f64>, Vec<f64>)> {
    let mut out: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.metric == metric) {
        let key = format!(
            "{}|{}|{:?}|{:?}|{}",
            r.method, r.target, r.d, r.epsilon, r.seed
        );
        let e = out.entry(key).or_default();
        e.0.push(r.step);
        e.1.push(r.value);
    }
    out
}

/// Splits one CSV line into fields (quoted fields may hold commas and doubled quotes).
fn split(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Reads back what [`to_csv`] wrote.
pub fn from_csv(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text.lines();
    if lines.next() != Some(COLUMNS.join(",").as_str()) {
        return Err(format!(
            "not a socbench results table (header {})",
            COLUMNS.join(",")
        ));
    }
    let num = |s: &str, what: &str, i: usize| -> Result<f64, String> {
        s.parse()
            .map_err(|e| format!("line {}: `{what}` = {s:?}: {e}", i + 2))
    };
    let mut out = Vec::new();
    for (i, l) in lines.enumerate() {
        let f = split(l);
        if f.len() != COLUMNS.len() {
            return Err(format!(
                "line {}: {} fields, expected {}",
                i + 2,
                f.len(),
                COLUMNS.len()
            ));
        }
        let opt = |s: &str, what: &str| -> Result<Option<f64>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                num(s, what, i).map(Some)
            }
        };
        out.push(Row {
            experiment: f[0].clone(),
            profile: f[1].clone(),
            target: f[2].clone(),
            d: opt(&f[3], "d")?.map(|d| d as usize),
            method: f[4].clone(),
            epsilon: opt(&f[5], "epsilon")?,
            seed: num(&f[6], "seed", i)? as u64,
            step: num(&f[7], "step", i)?,
            target_evals: opt(&f[8], "target_evals")?,
            metric: f[9].clone(),
            value: num(&f[10], "value", i)?,
            commit: f[11].clone(),
            machine: f[12].clone(),
        });
    }
    Ok(out)
}

/// Writes the table to `path`, gzip-compressed when it ends in `.gz` (the committed tables:
/// a tenth of the size, and pandas, R and polars read `.csv.gz` as they read `.csv`).
pub fn write_table(path: &Path, rows: &[Row]) -> Result<(), String> {
    let text = to_csv(rows);
    let bytes = if path.extension().is_some_and(|e| e == "gz") {
        use std::io::Write as _;
        // No file name or time in the header: the same rows give the same bytes.
        let mut z = flate2::GzBuilder::new().write(Vec::new(), flate2::Compression::best());
        z.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        z.finish().map_err(|e| e.to_string())?
    } else {
        text.into_bytes()
    };
    socbench_harness::atomic::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a table [`write_table`] wrote (`.csv` or `.csv.gz`).
pub fn read_table(path: &Path) -> Result<Vec<Row>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = if path.extension().is_some_and(|e| e == "gz") {
        use std::io::Read as _;
        let mut s = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut s)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        s
    } else {
        String::from_utf8(bytes).map_err(|e| format!("{}: {e}", path.display()))?
    };
    from_csv(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The sweep kind's runs rebuilt from the table, one per (method, target, d, ε, seed), with
/// every metric on the union of the line's steps (NaN where a metric has no value at a step),
/// so that the report's tables can be rebuilt from the committed table alone. The method
/// column must name a registered method (variants have no ε here).
pub fn to_runs(rows: &[Row]) -> Vec<socbench_reports::load::Run> {
    type Line<'a> = BTreeMap<&'a str, BTreeMap<u64, f64>>;
    let mut lines: BTreeMap<(String, String, usize, Option<u64>, u64), (Line, Vec<f64>)> =
        BTreeMap::new();
    for r in rows {
        let k = (
            r.method.clone(),
            r.target.clone(),
            r.d.unwrap_or(0),
            r.epsilon.map(f64::to_bits),
            r.seed,
        );
        let e = lines.entry(k).or_default();
        e.0.entry(r.metric.as_str())
            .or_default()
            .insert(r.step.to_bits(), r.value);
        e.1.push(r.step);
        if let Some(t) = r.target_evals {
            e.0.entry("target_evals")
                .or_default()
                .insert(r.step.to_bits(), t);
        }
    }
    lines
        .into_iter()
        .map(|((method, target, d, eps, seed), (metrics, mut steps))| {
            steps.sort_by(f64::total_cmp);
            steps.dedup();
            let cols: Vec<(String, Vec<f64>)> =
                std::iter::once(("step".to_string(), steps.clone()))
                    .chain(metrics.iter().map(|(m, v)| {
                        let s: Vec<f64> = steps
                            .iter()
                            .map(|x| v.get(&x.to_bits()).copied().unwrap_or(f64::NAN))
                            .collect();
                        (m.to_string(), s)
                    }))
                    .collect();
            let refs: Vec<(&str, &[f64])> = cols
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_slice()))
                .collect();
            let mut run =
                socbench_reports::load::Run::in_memory(&target, d, &method, "finished", &refs);
            run.manifest.seed = seed;
            if let Some(e) = eps {
                run.manifest.config.tr.epsilon = f64::from_bits(e);
            }
            run
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use socbench_reports::protocol::summarise_run;

    /// A fig2 smoke cell's history written by hand: the table keeps every evaluation of every
    /// metric (a written NaN too), leaves out the clock and the empty cells, reads back to the
    /// same rows, and the report's protocol (best and last smoothed value) gives the same numbers
    /// from the table as from the history.
    #[test]
    fn the_table_round_trips_and_rebuilds_the_protocol_numbers() {
        let exp = crate::family::load("fig2").unwrap();
        let cells = exp.cells("smoke").unwrap();
        let cell = cells[0].as_ref();
        let dir = std::env::temp_dir().join(format!("socbench-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let l2 = [5.0, 4.0, 3.5, 3.0, 3.2, 2.9, 2.7, 2.8, 2.6];
        let mut h = String::from("step,target_evals,wall_s,loss,control_l2,tvd\n");
        for (i, v) in l2.iter().enumerate() {
            let loss = if i == 0 {
                "NaN".to_string()
            } else {
                format!("{}", 1.0 / i as f64)
            };
            h.push_str(&format!("{i},{},{}.5,{loss},{v},\n", 100 * i, i));
        }
        std::fs::write(dir.join("history.csv"), h).unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            r#"{"git_commit": "abc", "provenance": {"machine": "a CPU, 2 cores"}}"#,
        )
        .unwrap();
        let rows = cell_rows(exp.as_ref(), "smoke", cell, &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(rows.len(), 2 * l2.len(), "loss and control_l2 only");
        assert!(rows
            .iter()
            .all(|r| r.metric != "wall_s" && r.metric != "tvd"));
        assert!(rows.iter().any(|r| r.metric == "loss" && r.value.is_nan()));
        let r = &rows[1];
        assert_eq!(
            (r.experiment.as_str(), r.target.as_str(), r.d, r.seed),
            ("fig2", cell.target().unwrap().as_str(), cell.dim(), 0)
        );
        assert_eq!(
            (r.commit.as_str(), r.machine.as_str()),
            ("abc", "a CPU, 2 cores")
        );
        let back = from_csv(&to_csv(&rows)).unwrap();
        assert_eq!(back.len(), rows.len());
        for (a, b) in back.iter().zip(&rows) {
            assert_eq!(
                (&a.metric, a.step, a.target_evals),
                (&b.metric, b.step, b.target_evals)
            );
            assert!(a.value == b.value || (a.value.is_nan() && b.value.is_nan()));
        }
        let (steps, vals) = series(&back, "control_l2").into_values().next().unwrap();
        let from_table = summarise_run(&steps, &vals, "control_l2").unwrap();
        let steps0: Vec<f64> = (0..l2.len()).map(|i| i as f64).collect();
        let from_history = summarise_run(&steps0, &l2, "control_l2").unwrap();
        assert_eq!(
            (from_table.best, from_table.last),
            (from_history.best, from_history.last)
        );
    }

    /// A TPS baseline leaves no history, only its final paths: the table still has its final
    /// THP, RMSD and ETS, computed as Table 1 computes them (ETS over the hitting paths only).
    #[test]
    fn final_only_cells_export_their_final_metrics() {
        let exp = crate::family::load("table1").unwrap();
        let cells = exp.cells("smoke").unwrap();
        let cell = cells[0].as_ref();
        let dir = std::env::temp_dir().join(format!("socbench-export-tps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("final.csv"),
            "path,rmsd,hit,max_energy,rmsd_last,hit_last\n0,1.0,1,5.0,1.0,1\n1,3.0,0,9.0,3.0,0\n",
        )
        .unwrap();
        std::fs::write(dir.join("manifest.json"), r#"{"git_commit": "abc"}"#).unwrap();
        let rows = cell_rows(exp.as_ref(), "smoke", cell, &dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let get = |m: &str| rows.iter().find(|r| r.metric == m).map(|r| r.value);
        assert_eq!(get("final_thp"), Some(50.0));
        assert_eq!(get("final_rmsd"), Some(2.0));
        assert_eq!(get("final_ets"), Some(5.0));
        assert!(rows.iter().all(|r| r.step == 0.0 && r.commit == "abc"));
    }
}
