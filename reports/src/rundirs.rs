//! Reading a sweep's run directories: each cell's `manifest.json` and its CSV files.

use std::path::{Path, PathBuf};

/// (directory, manifest) of every cell under `dir` that has a manifest, in name order; none if
/// `dir` does not exist.
pub fn manifests(dir: &Path) -> Result<Vec<(PathBuf, serde_json::Value)>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut dirs: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    let mut out = Vec::new();
    for d in dirs {
        let Ok(text) = std::fs::read_to_string(d.join("manifest.json")) else {
            continue;
        };
        let m = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", d.display()))?;
        out.push((d, m));
    }
    Ok(out)
}

/// A CSV file as (header, rows of numbers; a field that is not a number reads as NaN).
pub fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<f64>>), String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let head: Vec<String> = r
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(String::from)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        rows.push(rec.iter().map(|v| v.parse().unwrap_or(f64::NAN)).collect());
    }
    Ok((head, rows))
}
