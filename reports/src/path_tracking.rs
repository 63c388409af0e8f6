//! The budget ladder's yardstick (issue 38): how far each trust-region refresh's u_i is from the
//! annealing path p_{β_i} in mode weights (`refreshes.csv`: `path_tvd`, `mode_tvd`, from
//! `tr.track_samples` fresh samples), the held-out loss beside the training loss (`tr.holdout`),
//! and a verdict per line against the targets.

use std::fmt::Write;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::load::Run;
use crate::markdown::{label, Context, Figure};
use crate::plot::curves;
use crate::protocol::mean_std;
use crate::rules;
use crate::sections::{by_panel_and_line, panel_name};
use crate::svg::Line;
use crate::trust_region::{add_panels, per_refresh, per_refresh_by};

/// u_i has left the path once its mode weights are this far (TVD ½Σ|·|) from p_{β_i}'s.
pub const LEAVES: f64 = 0.1;
/// The target for the final mode TVD (last evaluation, against the target's π).
pub const FINAL_TVD: f64 = 0.15;

fn pm(v: &[f64]) -> String {
    match (mean_std(v), v.len()) {
        (None, _) => "–".into(),
        (Some((m, _)), 1) => format!("{m:.3} (1 seed)"),
        (Some((m, s)), _) => format!("{m:.3} ± {s:.3}"),
    }
}

/// The first refresh index whose path TVD exceeds [`LEAVES`], if any.
fn leaves_at(r: &Run) -> Option<usize> {
    r.refresh_series("path_tvd")
        .iter()
        .position(|v| *v > LEAVES)
}

/// The section; empty when no run tracked the path.
pub fn section(ctx: &Context, runs: &[Run]) -> (String, Vec<Figure>) {
    let tracked = |r: &Run| r.refresh_series("path_tvd").iter().any(|v| v.is_finite());
    if !runs.iter().any(tracked) {
        return (String::new(), vec![]);
    }
    let mut b = Builder::default();
    b.push_record([
        "panel",
        "line",
        "seeds",
        "path TVD at refresh 0 (floor)",
        "first refresh with path TVD > 0.1, per seed",
        "max path TVD",
        "path TVD, last refresh",
        "final mode TVD (last evaluation)",
        "held-out − training loss, last refresh",
        "wall time per cell [s]",
    ]);
    let mut verdicts: Vec<String> = Vec::new();
    let quantities = [
        ("path_tvd", "mode TVD of u_i to p_{β_i}"),
        ("mode_tvd", "mode TVD of u_i to the target"),
        ("heldout_gap", "held-out − training loss"),
    ];
    let mut panels: Vec<Vec<(String, Vec<Line>)>> =
        (0..quantities.len()).map(|_| Vec::new()).collect();
    for ((target, dim), lines) in by_panel_and_line(runs) {
        let panel = panel_name(runs, &target, dim);
        let mut qlines: Vec<Vec<Line>> = (0..quantities.len()).map(|_| Vec::new()).collect();
        for ((m, e), rs) in &lines {
            let rs: Vec<&Run> = rs.iter().copied().filter(|r| tracked(r)).collect();
            if rs.is_empty() {
                continue;
            }
            let line = label(ctx, m, e);
            let first: Vec<f64> = rs
                .iter()
                .filter_map(|r| r.refresh_series("path_tvd").first().copied())
                .collect();
            let max: Vec<f64> = rs
                .iter()
                .map(|r| {
                    r.refresh_series("path_tvd")
                        .iter()
                        .copied()
                        .filter(|v| v.is_finite())
                        .fold(0.0, f64::max)
                })
                .collect();
            let last: Vec<f64> = rs
                .iter()
                .filter_map(|r| r.refresh_series("path_tvd").last().copied())
                .collect();
            let fin: Vec<f64> = rs
                .iter()
                .filter_map(|r| r.series("tvd").last().copied())
                .filter(|v| v.is_finite())
                .collect();
            let gap: Vec<f64> = rs
                .iter()
                .filter_map(|r| {
                    let h = r.refresh_series("heldout_loss").last()?;
                    let t = r.refresh_series("train_loss").last()?;
                    Some(h - t).filter(|v| v.is_finite())
                })
                .collect();
            let wall: Vec<f64> = rs.iter().map(|r| r.manifest.wall_s).collect();
            let leave: Vec<String> = rs
                .iter()
                .map(|r| leaves_at(r).map_or("never".into(), |i| i.to_string()))
                .collect();
            b.push_record([
                panel.clone(),
                line.clone(),
                rs.len().to_string(),
                pm(&first),
                leave.join(", "),
                pm(&max),
                pm(&last),
                pm(&fin),
                pm(&gap),
                pm(&wall),
            ]);
            verdicts.push(verdict(&panel, &line, &rs, &max, &fin));
            for (q, (col, _)) in quantities.iter().enumerate() {
                let (points, band) = if *col == "heldout_gap" {
                    per_refresh_by(&rs, |r, i| {
                        let h = r.refresh_series("heldout_loss").get(i)?;
                        Some(h - r.refresh_series("train_loss").get(i)?)
                    })
                } else {
                    per_refresh(&rs, col)
                };
                if !points.is_empty() {
                    qlines[q].push(Line {
                        label: line.clone(),
                        points,
                        band,
                    });
                }
            }
        }
        add_panels(&mut panels, qlines, |q| quantities[q].1, &panel);
    }
    let mut md = String::from(
        "## distance to the annealing path, per refresh\n\nRefresh i starts from u_i, which an \
         exact update would have made u*_{β_i}, whose terminal law is p_{β_i} ∝ \
         p_prior^{1−β_i} ρ^{β_i} (Prop. 2.2). Path TVD = ½Σ_k |w_k(u_i) − w_k(p_{β_i})| between \
         the mode weights of fresh terminal samples of u_i (`tr.track_samples`, the same noise \
         for every arm at a seed) and those of p_{β_i} by quadrature \
         (`targets/src/annealed_modes.rs`). At refresh 0 (u_0 = 0, β_0 = 0) it measures the \
         floor: sampling noise plus the gap between the discretised process's terminal law and \
         the prior. The final mode TVD is the last evaluation's (1000 samples: its own floor is \
         about 0.08 for 40 equal modes). Held-out − training loss: the tilted loss after the \
         refresh's updates on the held-out tenth of the buffer minus that on as many training \
         paths; a positive gap is overfitting of the buffer. Mean ± std over seeds.\n\n",
    );
    let _ = writeln!(md, "{}\n", b.build().with(Style::markdown()));
    let _ = writeln!(
        md,
        "### Verdicts against the issue's targets\n\nA line holds if, in every seed, the path \
         TVD stays ≤ {LEAVES} at every refresh and the final mode TVD is ≤ {FINAL_TVD}; it does \
         not hold if a seed misses either (a diverged seed misses); fewer than 3 seeds are at \
         most inconclusive.\n"
    );
    for v in &verdicts {
        let _ = writeln!(md, "- {v}");
    }
    md.push('\n');
    let mut figures = Vec::new();
    for (q, (col, title)) in quantities.iter().enumerate() {
        if panels[q].is_empty() {
            continue;
        }
        let name = format!("{}-path-{col}.svg", ctx.svg_stem);
        let _ = writeln!(md, "![{title} per refresh]({name})\n");
        figures.push((name, curves(&panels[q], "refresh", false, false)));
    }
    (md, figures)
}

/// Final metrics against each trust-region arm's fitting budget per refresh (paths fitted:
/// `tr.inner_steps × tr.minibatch`, log scale), one line per (method, learning rate), with u = 0
/// (the step-0 evaluation) and the on-policy runs' final values as horizontal reference lines.
/// Empty unless some run tracked the path.
pub fn budget_section(ctx: &Context, runs: &[Run]) -> (String, Vec<Figure>) {
    let tracked = |r: &Run| r.refresh_series("path_tvd").iter().any(|v| v.is_finite());
    if !runs.iter().any(tracked) {
        return (String::new(), vec![]);
    }
    let mut panels: Vec<(String, Vec<Line>)> = Vec::new();
    let mut rows = Builder::default();
    rows.push_record([
        "panel",
        "line",
        "paths fitted per refresh",
        "buffer",
        "metric",
        "final (last evaluation)",
    ]);
    // One panel per (target, d) and metric: arms of different targets never share a line.
    let mut by_panel: std::collections::BTreeMap<(String, usize), Vec<&Run>> = Default::default();
    for r in runs {
        by_panel
            .entry((r.manifest.target.clone(), r.manifest.dim))
            .or_default()
            .push(r);
    }
    let all = runs;
    for ((target, dim), runs) in &by_panel {
        let panel = panel_name(all, target, *dim);
        for metric in ctx.metrics {
            let final_of = |r: &Run| r.series(metric).last().copied().filter(|v| v.is_finite());
            let start: Vec<f64> = runs
                .iter()
                .filter_map(|r| r.series(metric).first().copied())
                .filter(|v| v.is_finite())
                .collect();
            let mut groups: std::collections::BTreeMap<
                String,
                std::collections::BTreeMap<u64, Vec<f64>>,
            > = Default::default();
            let mut on_policy: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
            for r in runs.iter().copied() {
                let Some(v) = final_of(r) else { continue };
                let cfg = &r.manifest.config;
                let name = (ctx.labels)(&r.manifest.method);
                if r.refreshes.is_empty() {
                    on_policy
                        .entry(label(ctx, r.arm(), ""))
                        .or_default()
                        .push(v);
                    continue;
                }
                let x = (cfg.tr.inner_steps * cfg.tr.minibatch) as u64;
                groups
                    .entry(format!("{name}, lr {:e}", cfg.lr))
                    .or_default()
                    .entry(x)
                    .or_default()
                    .push(v);
                rows.push_record([
                    panel.clone(),
                    label(ctx, r.arm(), ""),
                    x.to_string(),
                    cfg.tr.buffer.to_string(),
                    metric.clone(),
                    format!("{v:.3} (seed {})", r.manifest.seed),
                ]);
            }
            let xs: Vec<f64> = groups
                .values()
                .flat_map(|g| g.keys().map(|x| *x as f64))
                .collect();
            let (lo, hi) = xs
                .iter()
                .fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(*x), b.max(*x)));
            let mut lines: Vec<Line> = groups
                .into_iter()
                .map(|(name, g)| {
                    let mut points = Vec::new();
                    let mut band = Vec::new();
                    for (x, v) in g {
                        if let Some((m, _)) = mean_std(&v) {
                            let (a, b) = v
                                .iter()
                                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
                                    (a.min(*y), b.max(*y))
                                });
                            points.push((x as f64, m));
                            band.push((x as f64, a, b));
                        }
                    }
                    Line {
                        label: name,
                        points,
                        band,
                    }
                })
                .collect();
            if lo.is_finite() {
                let flat = |label: String, v: &[f64]| {
                    mean_std(v).map(|(m, _)| Line::new(label, vec![(lo, m), (hi.max(lo * 2.0), m)]))
                };
                lines.extend(flat("u = 0 (step 0)".into(), &start));
                for (name, v) in &on_policy {
                    lines.extend(flat(format!("{name} (on-policy, final)"), v));
                }
            }
            if !lines.is_empty() {
                panels.push((format!("{panel}: final {metric}"), lines));
            }
        }
    }
    let name = format!("{}-budget.svg", ctx.svg_stem);
    let mut md = String::from(
        "## final metrics against the fitting budget\n\nx = paths fitted per refresh \
         (inner steps × minibatch, log scale); one line per method and learning rate, mean over \
         seeds with a min–max band; horizontal lines: u = 0 (the step-0 evaluation) and the \
         on-policy runs' final values. The paper gives no GMM40 number to draw (Fig. 8 shows \
         samples and a control-L2 curve).\n\n",
    );
    let _ = writeln!(md, "![final metrics against the fitting budget]({name})\n");
    let _ = writeln!(
        md,
        "<details><summary>every run</summary>\n\n{}\n\n</details>\n",
        rows.build().with(Style::markdown())
    );
    (
        md,
        vec![(
            name,
            curves(&panels, "paths fitted per refresh", true, false),
        )],
    )
}

/// One verdict line (see the section's text for the criterion).
fn verdict(panel: &str, line: &str, rs: &[&Run], max: &[f64], fin: &[f64]) -> String {
    let ok: Vec<bool> = max
        .iter()
        .zip(fin)
        .map(|(m, f)| *m <= LEAVES && *f <= FINAL_TVD)
        .collect();
    // A seed without a final evaluation (diverged) does not meet the targets.
    let mut met: Vec<Option<bool>> = ok.into_iter().map(Some).collect();
    met.resize(rs.len().max(met.len()), None);
    let what = format!("max path TVD {}, final mode TVD {}", pm(max), pm(fin));
    let word = rules::every_seed(&met, "seeds within both targets").text();
    format!("{panel}, {line}: {word} ({what})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Run as TestRun;

    fn tracked(seed: u64, path: &[f64], final_tvd: f64) -> Run {
        let mut r = TestRun::in_memory(
            "gmm40",
            2,
            "tr-lv",
            "finished",
            &[("tvd", &[0.2, final_tvd])],
        );
        r.manifest.seed = seed;
        let n = path.len();
        r.refreshes = [
            ("refresh", (0..n).map(|i| i as f64).collect()),
            ("path_tvd", path.to_vec()),
            ("mode_tvd", path.to_vec()),
            ("train_loss", vec![1.0; n]),
            ("heldout_loss", vec![1.5; n]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        r
    }

    /// The first refresh beyond 0.1 is found per seed, and the verdict needs every seed within
    /// both targets to hold, none to fail, and 3 seeds to be more than inconclusive.
    #[test]
    fn leaving_the_path_and_the_verdicts() {
        let ctx = crate::markdown::test_context(&[]);
        let on = |s| tracked(s, &[0.03, 0.05, 0.08], 0.1);
        let off = |s| tracked(s, &[0.03, 0.12, 0.3], 0.5);
        let (md, figs) = section(&ctx, &[on(0), on(1), on(2)]);
        assert!(md.contains("never, never, never"), "{md}");
        assert!(
            md.contains("**holds**: seeds within both targets: 3 of 3"),
            "{md}"
        );
        assert!(md.contains("0.500 ± 0.000"), "held-out gap: {md}");
        assert_eq!(figs.len(), 3);
        let (md, _) = section(&ctx, &[off(0), off(1), off(2)]);
        assert!(md.contains("1, 1, 1"), "{md}");
        assert!(
            md.contains("**does not hold**: seeds within both targets: 0 of 3"),
            "{md}"
        );
        let (md, _) = section(&ctx, &[on(0), off(1), on(2)]);
        assert!(
            md.contains("**does not hold**: seeds within both targets: 2 of 3"),
            "{md}"
        );
        let (md, _) = section(&ctx, &[on(0)]);
        assert!(
            md.contains(
                "**inconclusive**: seeds within both targets: 1 of 1 seeds meet it; 3 are needed"
            ),
            "{md}"
        );
        assert!(!md.contains("± 0.000"), "one seed prints no spread: {md}");
        // Without tracking the section is empty.
        let plain = TestRun::in_memory("gmm", 2, "lv", "finished", &[]);
        assert!(section(&ctx, &[plain]).0.is_empty());
    }
}
