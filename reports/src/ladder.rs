//! The budget ladder's verdicts (issue 38): one line per claim of the paper, each judged on the
//! trust-region arms of one (target, d) panel, which differ only in their per-refresh recipe.
//!
//! A line reads "holds with recipe X" (an arm meets the target in every one of ≥ 3 seeds), "fails
//! with the paper's own recipe" (the paper's arm was run and no seed meets it), or "fails with
//! every recipe run here"; then the trend of the final value against the fitting budget (a least-
//! squares line in log10 of the paths fitted per refresh over every seed of every arm), and where
//! it would reach the target if it goes on, with the range its slope's ±2 standard errors give.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Deserialize;

use crate::load::Run;
use crate::markdown::{label, Context, Figure};
use crate::path_tracking::LEAVES;
use crate::plot::curves;
use crate::protocol::{mean_std, summarise_run};
use crate::record;
use crate::rules::{self, Verdict};
use crate::svg::Line;

/// One claim judged on the ladder (`[[ladder]]` in an experiment definition).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderClaim {
    /// The claim's id in `experiments/reference/claims.toml` (default `<experiment>-<n>`).
    #[serde(default)]
    pub id: Option<String>,
    /// The paper's claim, in one line.
    pub claim: String,
    pub target: String,
    pub dim: usize,
    /// The method whose arms are judged (its variants included).
    pub method: String,
    /// The `history.csv` column, judged on the smoothed value at the last evaluation.
    pub metric: String,
    /// The target value: a seed meets the claim when its final value is at most this.
    pub at_most: f64,
    /// Also require the path TVD to stay ≤ [`LEAVES`] at every refresh.
    #[serde(default)]
    pub path: bool,
    /// The arm that runs the paper's own per-refresh recipe, if any.
    #[serde(default)]
    pub paper_arm: Option<String>,
    /// The paper's value, as published (or why there is none).
    pub paper: String,
    /// The paper's number, where it has one, drawn as a reference line.
    #[serde(default)]
    pub paper_value: Option<f64>,
}

/// One arm's seeds: (final value, met), with `None` for a diverged seed.
struct ArmResult {
    name: String,
    budget: f64,
    /// Learning rate, network and refreshes: the trend is fitted within each such group (the
    /// final values of runs given other refreshes belong to other β).
    group: String,
    seeds: Vec<Option<(f64, bool)>>,
    /// β after the last refresh, per seed.
    betas: Vec<f64>,
    /// The refreshes its runs were given (`tr.refreshes`).
    refreshes: usize,
}

impl ArmResult {
    fn finals(&self) -> Vec<f64> {
        self.seeds.iter().flatten().map(|s| s.0).collect()
    }
    fn met(&self) -> usize {
        self.seeds.iter().flatten().filter(|s| s.1).count()
    }
    fn pm(&self) -> String {
        let f = self.finals();
        match mean_std(&f) {
            None => "diverged".into(),
            Some((m, _)) if f.len() == 1 => format!("{m:.3} (1 seed)"),
            Some((m, s)) => format!("{m:.3} ± {s:.3}"),
        }
    }
}

/// Ordinary least squares y = a + b·x: (a, b, standard error of b); `None` with fewer than 3
/// points or a single x.
pub fn fit(pts: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = pts.len() as f64;
    if pts.len() < 3 {
        return None;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx <= 1e-12 {
        return None;
    }
    let b = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let a = my - b * mx;
    let rss: f64 = pts.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum();
    Some((a, b, (rss / (n - 2.0) / sxx).sqrt()))
}

/// The trend sentence: where the fitted line reaches `goal`, if it falls significantly.
fn trend(pts: &[(f64, f64)], goal: f64) -> String {
    let Some((a, b, se)) = fit(pts) else {
        return "no trend measurable (fewer than two budgets)".into();
    };
    let slope = format!("slope {b:+.3} ± {se:.3} per decade of paths fitted per refresh");
    if b + 2.0 * se >= 0.0 {
        return format!("no significant downward trend with the budget ({slope})");
    }
    let at = |s: f64| 10f64.powf((goal - a) / s);
    let lo = b - 2.0 * se;
    let hi = b + 2.0 * se;
    format!(
        "the fitted trend reaches {goal} at about {:.1e} paths fitted per refresh (between {:.1e} \
         and {:.1e} for the slope ± 2 standard errors; {slope}), an extrapolation beyond the \
         budgets run",
        at(b),
        at(lo),
        at(hi)
    )
}

/// The section; empty when the experiment states no ladder claims.
pub fn section(ctx: &Context, runs: &[Run], claims: &[LadderClaim]) -> (String, Vec<Figure>) {
    if claims.is_empty() {
        return (String::new(), vec![]);
    }
    let mut md = format!(
        "## Verdicts\n\nOne line per claim, judged on the arms of the claimed method at its target \
         and d. A seed meets a claim when the smoothed value of its metric at the last evaluation \
         (running mean of 5) is at most the target value and, where stated, the path TVD stays ≤ \
         {LEAVES} at every refresh; a diverged seed does not meet it. An arm holds when every one \
         of ≥ 3 seeds meets the claim. The trend is a least-squares line of every seed's final \
         value against log10(paths fitted per refresh), fitted within each group of arms that \
         share the learning rate, the network and the refreshes, drawn below with the target, u = 0 and the \
         paper's value where it has one.\n\n"
    );
    let mut panels = Vec::new();
    for (i, c) in claims.iter().enumerate() {
        let on = |r: &&Run| r.manifest.target == c.target && r.manifest.dim == c.dim;
        // u = 0's value: the step-0 evaluation, the same for every arm at a seed (common random
        // numbers), so one per seed.
        let start: Vec<f64> = runs
            .iter()
            .filter(on)
            .filter_map(|r| Some((r.manifest.seed, r.initial(&c.metric)?)))
            .collect::<BTreeMap<u64, f64>>()
            .into_values()
            .collect();
        let mut arms: BTreeMap<String, ArmResult> = BTreeMap::new();
        for r in runs
            .iter()
            .filter(on)
            .filter(|r| r.manifest.method == c.method)
        {
            let cfg = &r.manifest.config;
            let e = arms
                .entry(r.arm().to_string())
                .or_insert_with(|| ArmResult {
                    name: label(ctx, r.arm(), ""),
                    budget: (cfg.tr.inner_steps * cfg.tr.minibatch) as f64,
                    group: format!(
                        "lr {:e}, {} × {} network, {} refreshes",
                        cfg.lr, cfg.net.depth, cfg.net.width, cfg.tr.refreshes
                    ),
                    seeds: Vec::new(),
                    betas: Vec::new(),
                    refreshes: cfg.tr.refreshes,
                });
            let fin = (!r.diverged())
                .then(|| summarise_run(r.series("step"), r.series(&c.metric), &c.metric))
                .flatten()
                .map(|s| s.last);
            let path_ok = !c.path
                || r.refresh_series("path_tvd")
                    .iter()
                    .all(|v| v.is_finite() && *v <= LEAVES);
            e.seeds.push(fin.map(|v| (v, v <= c.at_most && path_ok)));
            e.betas.extend(r.refresh_series("beta").last().copied());
        }
        let by_budget = {
            let mut v: Vec<&ArmResult> = arms.values().collect();
            v.sort_by(|a, b| a.budget.total_cmp(&b.budget));
            v
        };
        let holds = by_budget.iter().find(|a| {
            let met: Vec<Option<bool>> = a.seeds.iter().map(|s| s.map(|s| s.1)).collect();
            rules::every_seed(&met, &a.name).verdict == Verdict::Holds
        });
        // Final values compare only between arms given the same number of refreshes: the best
        // arm is taken among those with the most; the others are named apart.
        let most = arms.values().map(|a| a.refreshes).max().unwrap_or(0);
        let best = arms
            .values()
            .filter(|a| a.refreshes == most)
            .filter_map(|a| mean_std(&a.finals()).map(|m| (a, m.0)))
            .min_by(|x, y| x.1.total_cmp(&y.1));
        let shorter: Vec<String> = arms
            .values()
            .filter(|a| a.refreshes < most)
            .map(|a| format!("{} ({} refreshes, at {})", a.name, a.refreshes, a.pm()))
            .collect();
        let paper = c.paper_arm.as_ref().and_then(|p| arms.get(p));
        let word = if arms.is_empty() {
            "**not run here**".to_string()
        } else if let Some(a) = holds {
            format!(
                "**holds with recipe {}** ({}, {} of {} seeds)",
                a.name,
                a.pm(),
                a.met(),
                a.seeds.len()
            )
        } else if arms.values().all(|a| a.seeds.len() < rules::MIN_SEEDS) {
            "**inconclusive** (fewer than 3 seeds in every arm)".to_string()
        } else if let Some(p) = paper.filter(|p| p.seeds.len() >= rules::MIN_SEEDS && p.met() == 0)
        {
            format!(
                "**fails with the paper's own recipe** ({}: {}, 0 of {} seeds)",
                p.name,
                p.pm(),
                p.seeds.len()
            )
        } else {
            let mixed: Vec<String> = arms
                .values()
                .filter(|a| a.met() > 0)
                .map(|a| format!("{} in {} of {} seeds", a.name, a.met(), a.seeds.len()))
                .collect();
            if mixed.is_empty() {
                "**fails with every recipe run here**".to_string()
            } else {
                format!(
                    "**does not hold in every seed of any recipe** (met by {})",
                    mixed.join(", ")
                )
            }
        };
        // Per (lr, network) group: every seed's (log10 budget, final value).
        let mut groups: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
        for a in arms.values() {
            let g = groups.entry(&a.group).or_default();
            g.extend(a.finals().into_iter().map(|v| (a.budget.log10(), v)));
        }
        let trends: Vec<String> = groups
            .iter()
            .map(|(g, pts)| format!("{g}: {}", trend(pts, c.at_most)))
            .collect();
        // The machine-readable verdict: the same decision as `word`.
        let verdict = if arms.is_empty() {
            Verdict::CannotJudge
        } else if holds.is_some() {
            Verdict::Holds
        } else if arms.values().all(|a| a.seeds.len() < rules::MIN_SEEDS) {
            Verdict::Inconclusive
        } else {
            Verdict::DoesNotHold
        };
        let id =
            c.id.clone()
                .unwrap_or_else(|| format!("{}-{}", ctx.experiment, i + 1));
        let ours = best.map_or("–".into(), |(a, _)| format!("{} at {}", a.name, a.pm()));
        md.push_str(&record::claim_line(
            &id,
            &format!("{} d = {}, budget ladder", c.target, c.dim),
            &ours,
            &rules::Judged::new(verdict, word.replace("**", "")),
        ));
        let zero = match (mean_std(&start), start.len()) {
            (None, _) => "–".to_string(),
            (Some((m, _)), 1) => format!("{m:.3} (1 seed)"),
            (Some((m, s)), _) => format!("{m:.3} ± {s:.3}"),
        };
        if arms.is_empty() {
            let _ = writeln!(
                md,
                "{}. *{}* ({} at d = {}): {word}; the paper: {}.\n",
                i + 1,
                c.claim,
                c.target,
                c.dim,
                c.paper
            );
            continue;
        }
        // Where the annealing is unfinished, the final value is that of a control aimed at p_β
        // with β < 1, not at the target: say so.
        let beta_max = arms
            .values()
            .flat_map(|a| a.betas.iter().copied())
            .fold(f64::NEG_INFINITY, f64::max);
        let betas = if beta_max.is_finite() && beta_max < 0.99 {
            format!(
                " Final β, mean over seeds: {}; the annealing is unfinished in every arm, so the \
                 final values are those of controls aimed at p_β with β < 1.",
                arms.values()
                    .filter_map(|a| mean_std(&a.betas).map(|m| format!("{} {:.2}", a.name, m.0)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        };
        let _ =
            writeln!(
            md,
            "{}. *{}* ({} at d = {}, {} ≤ {}{}): {word}. Best arm: {}. Trend: {}. Anchors: u = 0 \
             {zero}; the paper: {}.{betas}\n",
            i + 1,
            c.claim,
            c.target,
            c.dim,
            c.metric,
            c.at_most,
            if c.path { ", path TVD ≤ 0.1 at every refresh" } else { "" },
            best.map_or("–".into(), |(a, _)| {
                let mut b = format!("{} at {}", a.name, a.pm());
                if !shorter.is_empty() {
                    let _ = write!(
                        b,
                        " among the arms given {most} refreshes; not compared: {}",
                        shorter.join(", ")
                    );
                }
                b
            }),
            if trends.is_empty() { "–".into() } else { trends.join("; ") },
            c.paper
        );
        let (lo, hi) = by_budget.iter().fold((f64::INFINITY, 0.0f64), |(l, h), a| {
            (l.min(a.budget), h.max(a.budget))
        });
        let mut lines = Vec::new();
        for g in groups.keys() {
            let arms: Vec<&&ArmResult> = by_budget
                .iter()
                .filter(|a| a.group == *g && !a.finals().is_empty())
                .collect();
            let range = |f: &[f64]| {
                f.iter()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                        (l.min(*v), h.max(*v))
                    })
            };
            lines.push(Line {
                label: format!("{g}: mean, min–max over seeds"),
                points: arms
                    .iter()
                    .filter_map(|a| mean_std(&a.finals()).map(|m| (a.budget, m.0)))
                    .collect(),
                band: arms
                    .iter()
                    .map(|a| {
                        let (l, h) = range(&a.finals());
                        (a.budget, l, h)
                    })
                    .collect(),
            });
            if let Some((a, b, _)) = fit(&groups[g]) {
                lines.push(Line::new(
                    format!("trend, {g}"),
                    [lo, hi].iter().map(|x| (*x, a + b * x.log10())).collect(),
                ));
            }
        }
        let hi = hi.max(lo * 2.0);
        lines.push(Line::new(
            format!("target {}", c.at_most),
            vec![(lo, c.at_most), (hi, c.at_most)],
        ));
        if let Some((m, _)) = mean_std(&start) {
            lines.push(Line::new("u = 0".into(), vec![(lo, m), (hi, m)]));
        }
        if let Some(p) = c.paper_value {
            lines.push(Line::new(format!("the paper: {p}"), vec![(lo, p), (hi, p)]));
        }
        panels.push((
            format!("{}, d = {}: final {}", c.target, c.dim, c.metric),
            lines,
        ));
    }
    let name = format!("{}-verdicts.svg", ctx.svg_stem);
    let _ = writeln!(
        md,
        "![the verdicts' final values against the fitting budget]({name})\n"
    );
    let fig = curves(&panels, "paths fitted per refresh", true, false);
    (md, vec![(name, fig)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Run as TestRun;

    /// A run of arm `arm` (budget `steps` × 500) whose tvd ends at `fin`, and whose path TVD
    /// peaks at `path`.
    fn run(arm: &str, steps: usize, seed: u64, fin: f64, path: f64) -> Run {
        let tvd = [0.2, fin, fin, fin, fin, fin];
        let step = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let mut r = TestRun::in_memory(
            "gmm40",
            2,
            "tr-lv",
            "finished",
            &[("step", &step), ("tvd", &tvd)],
        );
        r.manifest.variant = Some(arm.into());
        r.manifest.seed = seed;
        r.manifest.config.tr.inner_steps = steps;
        r.manifest.config.tr.minibatch = 500;
        r.refreshes = [("path_tvd".to_string(), vec![0.02, path])]
            .into_iter()
            .collect();
        r
    }

    fn claim() -> LadderClaim {
        LadderClaim {
            id: None,
            claim: "keeps the modes".into(),
            target: "gmm40".into(),
            dim: 2,
            method: "tr-lv".into(),
            metric: "tvd".into(),
            at_most: 0.15,
            path: true,
            paper_arm: Some("c".into()),
            paper: "none".into(),
            paper_value: None,
        }
    }

    /// The three verdicts, each from the rule the section states: every seed of an arm within
    /// both targets holds; no seed of the paper's arm within them fails; 2 seeds are at most
    /// inconclusive. A final value within target but a path that left it does not count.
    #[test]
    fn verdicts_follow_the_stated_rule() {
        let ctx = crate::markdown::test_context(&[]);
        let judge = |runs: Vec<Run>| section(&ctx, &runs, &[claim()]).0;
        let fails: Vec<Run> = (0..3)
            .flat_map(|s| [run("a", 50, s, 0.6, 0.5), run("c", 400, s, 0.5, 0.4)])
            .collect();
        assert!(judge(fails).contains("**fails with the paper's own recipe**"));
        let holds: Vec<Run> = (0..3)
            .flat_map(|s| [run("a", 50, s, 0.6, 0.5), run("c", 400, s, 0.1, 0.05)])
            .collect();
        assert!(judge(holds).contains("**holds with recipe C**"));
        let off_path: Vec<Run> = (0..3).map(|s| run("c", 400, s, 0.1, 0.3)).collect();
        assert!(judge(off_path).contains("**fails with the paper's own recipe**"));
        let two: Vec<Run> = (0..2)
            .map(|s| run("c", 400, s, 0.1 + 0.01 * s as f64, 0.05))
            .collect();
        assert!(judge(two).contains("**inconclusive**"));
        let one = judge(vec![run("c", 400, 0, 0.1, 0.05)]);
        assert!(
            one.contains("(1 seed)") && !one.contains("± 0.000"),
            "{one}"
        );
    }

    /// The fit recovers a known line and its slope's error is zero on exact points.
    #[test]
    fn least_squares_recovers_a_line() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 2.0 - 0.5 * i as f64)).collect();
        let (a, b, se) = fit(&pts).unwrap();
        assert!((a - 2.0).abs() < 1e-12 && (b + 0.5).abs() < 1e-12 && se < 1e-9);
        assert!(fit(&pts[..2]).is_none());
        assert!(fit(&[(1.0, 0.0), (1.0, 1.0), (1.0, 2.0)]).is_none());
        // A significant fall reaches the goal where the line says; a flat cloud does not.
        assert!(trend(&pts, 0.0).contains("1.0e4"), "{}", trend(&pts, 0.0));
        let flat = [(0.0, 1.0), (1.0, 1.2), (2.0, 0.9), (3.0, 1.1)];
        assert!(trend(&flat, 0.1).starts_with("no significant"));
    }
}
