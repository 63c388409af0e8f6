//! The paper's claims of an experiment (its `[[claims]]` entries), each judged on this profile's
//! runs by a stated criterion: the metric's smoothed value at the last evaluation, per seed and as
//! the mean over seeds (the best of run is printed beside it, since it can hide a rising error).

use std::fmt::Write;

use serde::Deserialize;
use tabled::builder::Builder;
use tabled::settings::Style;

use crate::load::Run;
use crate::markdown::{Context, Figure};
use crate::protocol::{higher_is_better, mean_std, summarise_run};

/// One claim of the paper, as an experiment definition states it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
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

/// (last, best) of each non-diverged seed of one line at one d; `None` entries are diverged.
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

/// The criterion in words.
fn criterion(c: &Claim) -> String {
    let (cmp, better) = if higher_is_better(&c.metric) {
        ("≥", "above")
    } else {
        ("≤", "below")
    };
    let mut parts = Vec::new();
    if let Some(v) = c.at_most {
        parts.push(format!("{cmp} {v}"));
    }
    if c.better_than_others {
        let who = if c.others.is_empty() {
            "every other method's".to_string()
        } else {
            format!(
                "every one of {}",
                c.others
                    .iter()
                    .map(|o| o.to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        parts.push(format!("{better} {who}"));
    }
    let dims: Vec<String> = c.dims.iter().map(|d| d.to_string()).collect();
    format!(
        "{} of {} {} at d ∈ {{{}}}, each judged on the mean over seeds of the smoothed value at \
         the last evaluation",
        c.metric,
        c.methods
            .iter()
            .map(|m| m.to_uppercase())
            .collect::<Vec<_>>()
            .join(" and "),
        parts.join(" and "),
        dims.join(", ")
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
        let better = |a: f64, b: f64| if hib { a > b } else { a < b };
        let within = |v: f64| c.at_most.is_none_or(|t| if hib { v >= t } else { v <= t });
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
            "best other (last)",
            "seeds meeting it",
            "verdict",
        ]);
        let (mut ok, mut bad, mut untested) = (0, 0, 0);
        for &d in &c.dims {
            let other_last: Vec<(String, f64)> = others
                .iter()
                .filter_map(|o| {
                    let v: Vec<f64> = values(runs, o, d, &c.metric)
                        .into_iter()
                        .flatten()
                        .map(|x| x.0)
                        .collect();
                    Some((o.clone(), mean(&v)?))
                })
                .collect();
            let best_other =
                other_last
                    .iter()
                    .cloned()
                    .reduce(|a, b| if better(b.1, a.1) { b } else { a });
            for m in &c.methods {
                let vals = values(runs, m, d, &c.metric);
                let last: Vec<f64> = vals.iter().flatten().map(|x| x.0).collect();
                let best: Vec<f64> = vals.iter().flatten().map(|x| x.1).collect();
                let meets = |v: f64| {
                    within(v)
                        && (!c.better_than_others
                            || best_other.as_ref().is_none_or(|o| better(v, o.1)))
                };
                let verdict = match mean_std(&last) {
                    None if vals.is_empty() => {
                        untested += 1;
                        "not testable (no runs)".to_string()
                    }
                    None => {
                        bad += 1;
                        "does not hold (diverged)".to_string()
                    }
                    Some(_) if c.better_than_others && best_other.is_none() => {
                        untested += 1;
                        "not testable (no other method)".to_string()
                    }
                    Some((v, _)) if meets(v) => {
                        ok += 1;
                        "**holds**".to_string()
                    }
                    Some(_) => {
                        bad += 1;
                        "**does not hold**".to_string()
                    }
                };
                let n = vals.len();
                let f = |v: Option<(f64, f64)>| {
                    v.map_or("–".into(), |(m, s)| {
                        if n > 1 {
                            format!("{m:.3} ± {s:.3}")
                        } else {
                            format!("{m:.3}")
                        }
                    })
                };
                b.push_record([
                    d.to_string(),
                    m.to_uppercase(),
                    f(mean_std(&last)),
                    f(mean_std(&best)),
                    best_other.as_ref().map_or("–".into(), |(o, v)| {
                        format!("{} {v:.3}", o.to_uppercase())
                    }),
                    format!(
                        "{} of {n}{}",
                        last.iter().filter(|v| meets(**v)).count(),
                        match n - last.len() {
                            0 => String::new(),
                            k => format!(" ({k} diverged)"),
                        }
                    ),
                    verdict,
                ]);
            }
        }
        let overall = match (ok, bad, untested) {
            (0, 0, _) => "**not testable here**".to_string(),
            (_, 0, 0) => "**holds**".to_string(),
            (_, 0, u) => format!("**holds** where tested ({u} point(s) not testable)"),
            (0, _, _) => "**does not hold**".to_string(),
            _ => "**holds partly**".to_string(),
        };
        let _ = writeln!(
            md,
            "{}. *{}*\n   - criterion: {}\n   - verdict on this profile: {overall}\n",
            i + 1,
            c.claim,
            criterion(c)
        );
        let _ = writeln!(md, "{}\n", b.build().with(Style::markdown()));
    }
    (md, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::test_run;

    fn run(method: &str, seed: u64, l2: &[f64]) -> Run {
        let steps: Vec<f64> = (0..l2.len()).map(|i| i as f64).collect();
        let mut r = test_run(
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
            claim: "TR keeps the modes".into(),
            metric: "tvd".into(),
            dims: vec![50],
            methods: vec!["tr-lv".into()],
            at_most,
            better_than_others: better,
            others: vec![],
        }
    }

    #[test]
    fn judged_on_the_last_value_not_the_best_of_run() {
        // TR-LV's first evaluation is 0.1, but it rises to 0.5: by the last value it is not
        // below 0.15, although its best of run is.
        let runs = vec![
            run("tr-lv", 0, &[0.9, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]),
            run("lv", 0, &[0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]),
        ];
        let md = judge(&runs, claim(Some(0.15), false));
        assert!(
            md.contains("verdict on this profile: **does not hold**"),
            "{md}"
        );
        // Below every other method (0.5 < 0.8) holds.
        let md = judge(&runs, claim(None, true));
        assert!(md.contains("verdict on this profile: **holds**"), "{md}");
        // Without the other method the comparison cannot be made.
        let md = judge(&runs[..1], claim(None, true));
        assert!(md.contains("**not testable here**"), "{md}");
        // A claim at a d without runs is not testable there, whatever holds elsewhere.
        let mut c = claim(None, true);
        c.dims = vec![50, 200];
        let md = judge(&runs, c);
        assert!(
            md.contains("**holds** where tested (1 point(s) not testable)"),
            "{md}"
        );
    }
}
