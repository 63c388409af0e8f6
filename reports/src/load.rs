//! Reading the run directories of a sweep: `manifest.json` and `history.csv`.

use std::collections::BTreeMap;
use std::path::Path;

use socbench_methods::record::Manifest;

/// One run: its manifest and its history, column name → series (NaN where a cell is empty).
#[derive(Clone, Debug)]
pub struct Run {
    pub manifest: Manifest,
    pub columns: BTreeMap<String, Vec<f64>>,
    /// `samples.csv` of the final control (row-major n × d), if the run saved one.
    pub samples: Option<Vec<f64>>,
    /// `refreshes.csv` (trust-region bookkeeping per refresh), column → series; empty if none.
    pub refreshes: BTreeMap<String, Vec<f64>>,
}

impl Run {
    /// The method's name, or the variant's.
    pub fn arm(&self) -> &str {
        self.manifest
            .variant
            .as_deref()
            .unwrap_or(&self.manifest.method)
    }
    pub fn series(&self, metric: &str) -> &[f64] {
        self.columns.get(metric).map_or(&[], Vec::as_slice)
    }
    /// A column of `refreshes.csv` (empty if the run has none).
    pub fn refresh_series(&self, col: &str) -> &[f64] {
        self.refreshes.get(col).map_or(&[], Vec::as_slice)
    }
    /// The step-0 evaluation of `metric` (of u_0 = 0, or the initial model), if the run made
    /// one and it is finite.
    pub fn initial(&self, metric: &str) -> Option<f64> {
        (self.series("step").first() == Some(&0.0))
            .then(|| self.series(metric).first().copied())
            .flatten()
            .filter(|v| v.is_finite())
    }
    pub fn diverged(&self) -> bool {
        self.manifest.status == "diverged"
    }
    pub fn epsilon(&self) -> Option<f64> {
        // The registry says which methods are trust-region ones (a method this build does not
        // know has no ε).
        let method = self.manifest.method.parse::<socbench_methods::Method>();
        method
            .is_ok_and(|m| m.is_trust_region())
            .then_some(self.manifest.config.tr.epsilon)
    }
}

pub fn read_history(path: &Path) -> Result<BTreeMap<String, Vec<f64>>, String> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(String::from)
        .collect();
    let mut cols: BTreeMap<String, Vec<f64>> =
        header.iter().map(|h| (h.clone(), Vec::new())).collect();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        for (h, v) in header.iter().zip(rec.iter()) {
            cols.get_mut(h)
                .expect("header")
                .push(v.parse().unwrap_or(f64::NAN));
        }
    }
    Ok(cols)
}

/// `samples.csv` (header x0,…; one sample a row) flattened row-major; `None` if absent.
pub fn read_samples(path: &Path) -> Result<Option<Vec<f64>>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        for v in rec.iter() {
            out.push(
                v.parse::<f64>()
                    .map_err(|e| format!("{}: {e}", path.display()))?,
            );
        }
    }
    Ok(Some(out))
}

/// Every complete run (with a manifest) directly under `dir`; interrupted runs and runs moved
/// aside (`*.old-N`) are skipped, and a damaged one (its CSVs no longer hold the rows its manifest
/// recorded) is an error.
pub fn load_runs(dir: &Path) -> Result<Vec<Run>, String> {
    let mut runs = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(runs);
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.to_string_lossy().contains(".old-") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(p.join("manifest.json")) else {
            continue;
        };
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        // A run whose CSVs lost rows is not reported.
        socbench_methods::record::check_rows(&p, &manifest.recorded_rows())?;
        let columns = read_history(&p.join("history.csv"))?;
        let samples = read_samples(&p.join("samples.csv"))?;
        let refreshes = match p.join("refreshes.csv") {
            f if f.exists() => read_history(&f)?,
            _ => BTreeMap::new(),
        };
        runs.push(Run {
            manifest,
            columns,
            samples,
            refreshes,
        });
    }
    Ok(runs)
}

impl Run {
    /// A run from its history columns alone (seed 0, the default configuration, no
    /// provenance): for tests, and for rebuilding a report's tables from an exported table.
    pub fn in_memory(
        target: &str,
        dim: usize,
        method: &str,
        status: &str,
        columns: &[(&str, &[f64])],
    ) -> Run {
        let manifest = Manifest {
            status: status.into(),
            message: None,
            experiment: "t".into(),
            target: target.into(),
            dim,
            method: method.into(),
            variant: None,
            seed: 0,
            profile: "smoke".into(),
            config: socbench_methods::TrainConfig::default(),
            config_hash: String::new(),
            git_commit: String::new(),
            backend: String::new(),
            device: String::new(),
            wall_s: 0.0,
            target_evals: 0,
            evaluations: columns.first().map_or(0, |c| c.1.len()),
            socbench_version: String::new(),
            provenance: None,
            rows: Default::default(),
        };
        Run {
            manifest,
            columns: columns
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_vec()))
                .collect(),
            samples: None,
            refreshes: BTreeMap::new(),
        }
    }
}
