//! Per-cell summaries over seeds: (target, d, method, ε) → mean ± std of the best smoothed value.

use std::collections::BTreeMap;

use crate::load::Run;
use crate::protocol::{mean_std, summarise_run};

/// Evaluation ESS below which an |ΔlogZ| estimate rests on a handful of paths.
pub const LOW_ESS: f64 = 0.01;

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
    /// mean ± std over the non-diverged seeds of the smoothed value at the last evaluation.
    pub last: Option<(f64, f64)>,
    /// mean ± std over seeds of the step-0 evaluation (u_0 = 0), where runs have one.
    pub initial: Option<(f64, f64)>,
    /// Seeds whose best smoothed value is their first evaluation of the trained control.
    pub best_at_first: usize,
    /// Seeds whose evaluation ESS is below [`LOW_ESS`] at the row where the best value is taken.
    pub low_ess_best: usize,
    /// The same at the last evaluation.
    pub low_ess_last: usize,
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
            let per_run: Vec<(&Run, _)> = rs
                .iter()
                .filter(|r| !r.diverged())
                .filter_map(|r| {
                    Some((
                        *r,
                        summarise_run(r.series("step"), r.series(metric), metric)?,
                    ))
                })
                .collect();
            let best: Vec<f64> = per_run.iter().map(|(_, s)| s.best).collect();
            let last: Vec<f64> = per_run.iter().map(|(_, s)| s.last).collect();
            // The evaluation ESS at a row, if the run records ESS.
            let low_ess =
                |r: &Run, row: usize| r.series("ess").get(row).is_some_and(|e| *e < LOW_ESS);
            let initial: Vec<f64> = rs.iter().filter_map(|r| r.initial(metric)).collect();
            let n = rs.len() as f64;
            let s = Summary {
                value: mean_std(&best),
                last: mean_std(&last),
                initial: mean_std(&initial),
                best_at_first: per_run.iter().filter(|(_, s)| s.best_at_first).count(),
                low_ess_best: per_run
                    .iter()
                    .filter(|(r, s)| low_ess(r, s.best_row))
                    .count(),
                low_ess_last: per_run
                    .iter()
                    .filter(|(r, s)| low_ess(r, s.last_row))
                    .count(),
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
