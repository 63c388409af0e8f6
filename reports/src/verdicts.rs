//! The paper's claims of an experiment (its `[[claims]]` entries), each judged on this profile's
//! runs by the rules of [`crate::rules`]: the metric's smoothed value at the last evaluation of
//! every seed (the best of run is printed beside it, since it can hide a rising error), with u = 0
//! (every run's step-0 evaluation) as the anchor of a comparison.

use std::fmt::Write;

use serde::Deserialize;
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::load::Run;
use crate::markdown::{Context, Figure};
use crate::protocol::{higher_is_better, mean_std, summarise_run};
use crate::record;
use crate::rules::{self, Judged, Verdict};

/// One claim of the paper, as an experiment definition states it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claim's id in `experiments/reference/claims.toml` (default `<experiment>-<n>`).
    #[serde(default)]
    pub id: Option<String>,
    /// The paper's claim, in one line.
    pub claim: String,
    /// The `history.csv` column it is judged on.
    pub metric: String,
    /// The dimensions it is judged at.
    pub dims: Vec<usize>,
    /// The methods (or variants) it is about.
    pub methods: Vec<String>,
    /// Criterion: the value is at most this (at least, for a higher-is-better metric).
    #[serde(default)]
    pub at_most: Option<f64>,
    /// Criterion: the value is better than that of every method in `others` (default: every
    /// method of the sweep not in `methods`).
    #[serde(default)]
    pub better_than_others: bool,
    #[serde(default)]
    pub others: Vec<String>,
}

/// (last, best) of each seed of one line at one d; `None` entries are diverged.
fn values(runs: &[Run], method: &str, dim: usize, metric: &str) -> Vec<Option<(f64, f64)>> {
    runs.iter()
        .filter(|r| r.arm() == method && r.manifest.dim == dim)
        .map(|r| {
            if r.diverged() {
                return None;
            }
            summarise_run(r.series("step"), r.series(metric), metric).map(|s| (s.last, s.best))
        })
        .collect()
}

fn mean(v: &[f64]) -> Option<f64> {
    mean_std(v).map(|x| x.0)
}

/// The u = 0 anchor of one line at one d: each seed's step-0 evaluation (of u_0 = 0).
fn start(runs: &[Run], method: &str, dim: usize, metric: &str) -> Vec<f64> {
    runs.iter()
        .filter(|r| r.arm() == method && r.manifest.dim == dim)
        .filter_map(|r| r.initial(metric))
        .collect()
}

/// The criterion in words.
fn criterion(c: &Claim) -> String {
    let (cmp, better) = if higher_is_better(&c.metric) {
        ("≥", "above")
    } else {
        ("≤", "below")
    };
    let mut parts = Vec::new();
    if let Some(v) = c.at_most {
        parts.push(format!(
            "{cmp} {v} (the one-sided 95 % bound of the seeds' mean on that side)"
        ));
    }
    if c.better_than_others {
        let who = if c.others.is_empty() {
            "the best other method's".to_string()
        } else {
            format!(
                "the best of {}",
                c.others
                    .iter()
                    .map(|o| o.to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        parts.push(format!(
            "{better} {who} and u = 0's (the step-0 evaluation), each by Welch's one-sided test \
             at {}",
            rules::LEVEL
        ));
    }
    let dims: Vec<String> = c.dims.iter().map(|d| d.to_string()).collect();
    format!(
        "{} of {} {} at d ∈ {{{}}}, on the smoothed value at the last evaluation of every seed; \
         a diverged seed fails the point, fewer than {} seeds are inconclusive",
        c.metric,
        c.methods
            .iter()
            .map(|m| m.to_uppercase())
            .collect::<Vec<_>>()
            .join(" and "),
        parts.join(" and "),
        dims.join(", "),
        rules::MIN_SEEDS
    )
}

/// The section; empty when the experiment states no claims.
pub fn section(ctx: &Context, runs: &[Run]) -> (String, Vec<Figure>) {
    if ctx.claims.is_empty() {
        return (String::new(), vec![]);
    }
    let mut md = String::from("## the paper's claims, checked on this profile\n\n");
    for (i, c) in ctx.claims.iter().enumerate() {
        let hib = higher_is_better(&c.metric);
        let all_arms: Vec<String> = {
            let mut a: Vec<String> = runs.iter().map(|r| r.arm().to_string()).collect();
            a.sort();
            a.dedup();
            a
        };
        let others: Vec<String> = if c.others.is_empty() {
            all_arms
                .iter()
                .filter(|a| !c.methods.contains(a))
                .cloned()
                .collect()
        } else {
            c.others.clone()
        };
        let mut b = Builder::default();
        b.push_record([
            "d",
            "method",
            "last (mean ± std)",
            "best of run",
            "u = 0 (step 0)",
            "best other (last)",
            "verdict",
        ]);
        let lasts = |m: &str, d: usize| -> Vec<Option<f64>> {
            values(runs, m, d, &c.metric)
                .into_iter()
                .map(|v| v.map(|x| x.0))
                .collect()
        };
        let finite = |v: &[Option<f64>]| -> Vec<f64> { v.iter().flatten().copied().collect() };
        let mut points = Vec::new();
        let mut ours = Vec::new();
        for &d in &c.dims {
            // The best other line by its mean over finished seeds.
            let best_other: Option<(String, Vec<Option<f64>>)> = others
                .iter()
                .map(|o| (o.clone(), lasts(o, d)))
                .filter(|(_, v)| !finite(v).is_empty())
                .reduce(|a, b| {
                    let (ma, mb) = (
                        mean(&finite(&a.1)).unwrap_or(f64::NAN),
                        mean(&finite(&b.1)).unwrap_or(f64::NAN),
                    );
                    let b_better = if hib { mb > ma } else { mb < ma };
                    if b_better {
                        b
                    } else {
                        a
                    }
                });
            for m in &c.methods {
                let vals = values(runs, m, d, &c.metric);
                let last: Vec<Option<f64>> = vals.iter().map(|v| v.map(|x| x.0)).collect();
                ours.push(format!(
                    "{} d = {d}: {}",
                    m.to_uppercase(),
                    rules::mean_pm(&finite(&last))
                ));
                let best: Vec<f64> = vals.iter().flatten().map(|x| x.1).collect();
                let anchor = start(runs, m, d, &c.metric);
                let name = m.to_uppercase();
                let thr = c.at_most.map(|g| rules::threshold(&last, g, hib, &name));
                let cmp = c.better_than_others.then(|| match &best_other {
                    None => Judged {
                        verdict: Verdict::CannotJudge,
                        reason: "no other method ran here".into(),
                    },
                    Some((o, y)) => {
                        rules::better(&last, y, &anchor, hib, (&name, &o.to_uppercase()))
                    }
                });
                let point = if vals.is_empty() {
                    Judged {
                        verdict: Verdict::CannotJudge,
                        reason: format!("no runs of {name} at d = {d}"),
                    }
                } else {
                    rules::all_of(&[thr, cmp].into_iter().flatten().collect::<Vec<_>>())
                };
                let diverged = vals.iter().filter(|v| v.is_none()).count();
                b.push_record([
                    d.to_string(),
                    name,
                    format!(
                        "{}{}",
                        rules::mean_pm(&finite(&last)),
                        match diverged {
                            0 => String::new(),
                            k => format!(" ({k} of {} diverged)", vals.len()),
                        }
                    ),
                    rules::mean_pm(&best),
                    rules::mean_pm(&anchor),
                    best_other.as_ref().map_or("–".into(), |(o, v)| {
                        format!("{} {}", o.to_uppercase(), rules::mean_pm(&finite(v)))
                    }),
                    point.text(),
                ]);
                points.push(point);
            }
        }
        let overall = rules::combine(&points);
        let id =
            c.id.clone()
                .unwrap_or_else(|| format!("{}-{}", ctx.experiment, i + 1));
        md.push_str(&record::claim_line(&id, "", &ours.join("; "), &overall));
        let _ = writeln!(
            md,
            "{}. *{}*\n   - criterion: {}\n   - verdict on this profile: {} ({})\n",
            i + 1,
            c.claim,
            criterion(c),
            overall.verdict.label(),
            overall.reason
        );
        let _ = writeln!(md, "{}\n", b.build().with(Style::markdown()));
    }
    (md, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Run as TestRun;

    fn run(method: &str, seed: u64, l2: &[f64]) -> Run {
        let steps: Vec<f64> = (0..l2.len()).map(|i| i as f64).collect();
        let mut r = TestRun::in_memory(
            "gmm",
            50,
            method,
            "finished",
            &[("step", &steps), ("tvd", l2)],
        );
        r.manifest.seed = seed;
        r
    }

    fn judge(runs: &[Run], claim: Claim) -> String {
        let claims = [claim];
        let ctx = crate::markdown::test_context(&claims);
        section(&ctx, runs).0
    }

    fn claim(at_most: Option<f64>, better: bool) -> Claim {
        Claim {
            id: None,
            claim: "TR keeps the modes".into(),
            metric: "tvd".into(),
            dims: vec![50],
            methods: vec!["tr-lv".into()],
            at_most,
            better_than_others: better,
            others: vec![],
        }
    }

    /// Three seeds of a line whose first evaluation (u = 0) is `u0` and which then reads `vals`
    /// (one value per seed added to each, so the seeds spread).
    fn seeds(method: &str, u0: f64, vals: &[f64]) -> Vec<Run> {
        (0..3)
            .map(|s| {
                let mut v = vec![u0];
                v.extend(vals.iter().map(|x| x + 0.01 * s as f64));
                run(method, s, &v)
            })
            .collect()
    }

    #[test]
    fn judged_on_the_last_value_not_the_best_of_run() {
        // TR-LV's first trained evaluation is 0.1, but it rises to 0.5: by the last value it is
        // not below 0.15, although its best of run is.
        let mut runs = seeds("tr-lv", 0.9, &[0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
        runs.extend(seeds("lv", 0.9, &[0.8; 8]));
        let md = judge(&runs, claim(Some(0.15), false));
        assert!(
            md.contains("verdict on this profile: **does not hold**"),
            "{md}"
        );
        // Below the other method (0.5 against 0.8) and below u = 0 (0.9), beyond the seeds'
        // spread: holds.
        let md = judge(&runs, claim(None, true));
        assert!(md.contains("verdict on this profile: **holds**"), "{md}");
        // Without the other method the comparison cannot be made.
        let md = judge(&runs[..3], claim(None, true));
        assert!(md.contains("cannot be judged here"), "{md}");
        // A claim at a d without runs cannot be judged there, whatever holds elsewhere.
        let mut c = claim(None, true);
        c.dims = vec![50, 200];
        let md = judge(&runs, c);
        assert!(md.contains("1 point(s) cannot be judged here"), "{md}");
        assert!(md.contains("verdict on this profile: **holds**"), "{md}");
    }

    #[test]
    fn better_than_the_others_but_worse_than_u0_does_not_hold() {
        // fig2 cpu-long: TR-LV 0.71 against the others' 0.87, but u = 0 scores 0.35.
        let mut runs = seeds("tr-lv", 0.35, &[0.71; 8]);
        runs.extend(seeds("lv", 0.35, &[0.87; 8]));
        let md = judge(&runs, claim(None, true));
        assert!(md.contains("does not improve on u = 0"), "{md}");
        assert!(
            md.contains("verdict on this profile: **does not hold**"),
            "{md}"
        );
        // A tie with the other line (0.867 against 0.867): inconclusive, never holds.
        let mut runs = seeds("tr-lv", 0.9, &[0.867; 8]);
        runs.extend(seeds("lv", 0.9, &[0.867; 8]));
        let md = judge(&runs, claim(None, true));
        assert!(
            md.contains("verdict on this profile: **inconclusive**"),
            "{md}"
        );
        // One seed: inconclusive, and no "± 0.000".
        let runs = vec![
            run("tr-lv", 0, &[0.9, 0.1, 0.1, 0.1, 0.1, 0.1]),
            run("lv", 0, &[0.9, 0.8, 0.8, 0.8, 0.8, 0.8]),
        ];
        let md = judge(&runs, claim(Some(0.15), true));
        assert!(
            md.contains("**inconclusive**") && md.contains("(1 seed)"),
            "{md}"
        );
        assert!(!md.contains("± 0.000"), "{md}");
    }
}
