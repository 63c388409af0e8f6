//! Per-cell summaries over seeds: (target, d, method, ε) → mean ± std of the best smoothed value.

use std::collections::BTreeMap;

use crate::load::Run;
use crate::protocol::{best_smoothed, mean_std};

/// Key of a line in a table/plot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub target: String,
    pub dim: usize,
    /// Method or variant name.
    pub method: String,
    /// ε formatted ("" for non-TR methods).
    pub epsilon: String,
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// mean ± std over the non-diverged seeds of the best smoothed value.
    pub value: Option<(f64, f64)>,
    pub seeds: usize,
    pub diverged: usize,
    /// Mean target evaluations spent per run.
    pub target_evals: f64,
    pub wall_s: f64,
}

pub fn key(run: &Run) -> Key {
    Key {
        target: run.manifest.target.clone(),
        dim: run.manifest.dim,
        method: run.arm().to_string(),
        epsilon: run.epsilon().map(|e| e.to_string()).unwrap_or_default(),
    }
}

/// Summaries of `metric` for every key present in `runs`.
pub fn summarise(runs: &[Run], metric: &str) -> BTreeMap<Key, Summary> {
    let mut groups: BTreeMap<Key, Vec<&Run>> = BTreeMap::new();
    for r in runs {
        groups.entry(key(r)).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(k, rs)| {
            let best: Vec<f64> = rs
                .iter()
                .filter(|r| !r.diverged())
                .filter_map(|r| best_smoothed(r.series(metric), metric))
                .collect();
            let n = rs.len() as f64;
            let s = Summary {
                value: mean_std(&best),
                seeds: rs.len(),
                diverged: rs.iter().filter(|r| r.diverged()).count(),
                target_evals: rs
                    .iter()
                    .map(|r| r.manifest.target_evals as f64)
                    .sum::<f64>()
                    / n,
                wall_s: rs.iter().map(|r| r.manifest.wall_s).sum::<f64>() / n,
            };
            (k, s)
        })
        .collect()
}
