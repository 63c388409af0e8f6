//! The paper's published numbers (`experiments/reference/paper_tables.csv`).

use std::path::Path;

#[derive(Clone, Debug)]
pub struct PaperValue {
    pub table: String,
    pub target: String,
    pub dim: usize,
    pub method: String,
    pub metric: String,
    pub value: Option<f64>,
    pub std: Option<f64>,
    /// e.g. `diverged` where the paper reports no number.
    pub note: String,
}

impl PaperValue {
    /// `value ± std`, or the note (`diverged`), or `–`.
    pub fn display(&self) -> String {
        match (self.value, self.std) {
            (Some(v), Some(s)) => format!("{v:.3} ± {s:.3}"),
            (Some(v), None) => format!("{v:.3}"),
            _ if !self.note.is_empty() => self.note.clone(),
            _ => "–".into(),
        }
    }
}

pub fn load(path: &Path) -> Result<Vec<PaperValue>, String> {
    let mut rdr = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let r = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        out.push(PaperValue {
            table: r[1].to_string(),
            target: r[2].to_string(),
            dim: r[3].parse().unwrap_or(0),
            method: r[4].to_string(),
            metric: r[5].to_string(),
            value: r[6].parse().ok(),
            std: r[7].parse().ok(),
            note: r.get(8).unwrap_or("").to_string(),
        });
    }
    Ok(out)
}

/// The paper's value for (table, target, d, method label, metric), if published.
pub fn lookup<'a>(
    values: &'a [PaperValue],
    table: &str,
    target: &str,
    dim: usize,
    method_label: &str,
    metric: &str,
) -> Option<&'a PaperValue> {
    values.iter().find(|v| {
        v.table == table
            && v.target == target
            && v.dim == dim
            && v.method.eq_ignore_ascii_case(method_label)
            && v.metric == metric
    })
}
