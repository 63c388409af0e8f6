//! The trust region's bookkeeping per refresh (`refreshes.csv`): λ_i, β_{i+1}, the step KL the
//! dual predicted and the one the update actually reached on fresh paths, with every refresh whose
//! measured step KL exceeds 3ε flagged.

use std::fmt::Write;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::load::Run;
use crate::markdown::{label, Context, Figure};
use crate::plot::curves;
use crate::protocol::{mean_min_max, mean_std};
use crate::sections::{by_panel_and_line, panel_name, Curve};
use crate::svg::Line;

/// A refresh's measured step KL above this multiple of ε is flagged.
pub const OVERSHOOT: f64 = 3.0;

/// Adds one panel's lines per quantity q (those with any line) to `panels[q]`, titled
/// "<title(q)>, <panel>".
pub(crate) fn add_panels<'t>(
    panels: &mut [Vec<(String, Vec<Line>)>],
    qlines: Vec<Vec<Line>>,
    title: impl Fn(usize) -> &'t str,
    panel: &str,
) {
    for (q, lines) in qlines.into_iter().enumerate() {
        if !lines.is_empty() {
            panels[q].push((format!("{}, {panel}", title(q)), lines));
        }
    }
}

/// Mean over runs, per refresh index, of a `refreshes.csv` column, with a min–max band.
pub(crate) fn per_refresh(runs: &[&Run], col: &str) -> Curve {
    per_refresh_by(runs, |r, i| r.refresh_series(col).get(i).copied())
}

/// Mean over runs, per refresh index i, of `value(run, i)` (finite values only), with a min–max
/// band; x = i + 1.
pub(crate) fn per_refresh_by(runs: &[&Run], value: impl Fn(&Run, usize) -> Option<f64>) -> Curve {
    let n = runs
        .iter()
        .map(|r| r.refresh_series("refresh").len())
        .max()
        .unwrap_or(0);
    let (mut mean, mut band) = (Vec::new(), Vec::new());
    for i in 0..n {
        let v: Vec<f64> = runs
            .iter()
            .filter_map(|r| value(r, i))
            .filter(|v| v.is_finite())
            .collect();
        let Some((m, lo, hi)) = mean_min_max(&v) else {
            continue;
        };
        let x = (i + 1) as f64;
        mean.push((x, m));
        band.push((x, lo, hi));
    }
    (mean, band)
}

fn fmt(v: Option<(f64, f64)>, n: usize) -> String {
    match v {
        Some((m, s)) if n > 1 => format!("{m:.3} ± {s:.3}"),
        Some((m, _)) => format!("{m:.3}"),
        None => "–".into(),
    }
}

/// The section; empty when no run has refreshes.
pub fn section(ctx: &Context, runs: &[Run]) -> (String, Vec<Figure>) {
    if runs.iter().all(|r| r.refreshes.is_empty()) {
        return (String::new(), vec![]);
    }
    let mut b = Builder::default();
    b.push_record([
        "panel",
        "line",
        "refreshes",
        "final β",
        "λ first → last",
        "measured step KL: median / max",
        "refreshes over 3ε",
        "min measured step ESS",
    ]);
    let mut quantities = vec![
        ("lambda", "λ_i", true),
        ("beta", "β_{i+1}", false),
        ("measured_step_kl", "measured step KL", true),
    ];
    // Where the problem knows u*_β (quadratic OU): how far u_i is from u*_{β_i}, and the
    // schedule's own step (methods/src/annealed_kl.rs).
    let annealed = [
        ("tracking_kl", "KL(P^{u_i} | P^{u*_{β_i}})", true),
        ("schedule_kl", "KL(P^{u*_{β_{i+1}}} | P^{u*_{β_i}})", true),
        ("target_kl", "KL(P^{u*_{β_{i+1}}} | P^{u_i})", true),
    ];
    let has = |col: &str| {
        runs.iter()
            .any(|r| r.refresh_series(col).iter().any(|v| v.is_finite()))
    };
    quantities.extend(annealed.into_iter().filter(|(col, _, _)| has(col)));
    let mut panels: Vec<Vec<(String, Vec<Line>)>> =
        (0..quantities.len()).map(|_| Vec::new()).collect();
    let mut flagged_total = 0;
    for ((target, dim), lines) in by_panel_and_line(runs) {
        let panel = panel_name(runs, &target, dim);
        let mut qlines: Vec<Vec<Line>> = (0..quantities.len()).map(|_| Vec::new()).collect();
        for ((m, e), rs) in &lines {
            let rs: Vec<&Run> = rs
                .iter()
                .copied()
                .filter(|r| !r.refreshes.is_empty())
                .collect();
            let Some(first) = rs.first() else { continue };
            let eps = first.manifest.config.tr.epsilon;
            let n = rs.len();
            let last_of = |col: &str| {
                mean_std(
                    &rs.iter()
                        .filter_map(|r| r.refresh_series(col).last().copied())
                        .collect::<Vec<_>>(),
                )
            };
            let first_of = |col: &str| {
                mean_std(
                    &rs.iter()
                        .filter_map(|r| r.refresh_series(col).first().copied())
                        .collect::<Vec<_>>(),
                )
            };
            let mut kl: Vec<f64> = rs
                .iter()
                .flat_map(|r| r.refresh_series("measured_step_kl").iter().copied())
                .filter(|v| v.is_finite())
                .collect();
            kl.sort_by(f64::total_cmp);
            let over = kl.iter().filter(|v| **v > OVERSHOOT * eps).count();
            flagged_total += over;
            let min_ess = rs
                .iter()
                .flat_map(|r| r.refresh_series("measured_step_ess").iter().copied())
                .filter(|v| v.is_finite())
                .fold(f64::INFINITY, f64::min);
            let refreshes = mean_std(
                &rs.iter()
                    .map(|r| r.refresh_series("refresh").len() as f64)
                    .collect::<Vec<_>>(),
            );
            b.push_record([
                panel.clone(),
                label(ctx, m, e),
                refreshes.map_or("–".into(), |r| format!("{:.0}", r.0)),
                fmt(last_of("beta"), n),
                format!(
                    "{} → {}",
                    fmt(first_of("lambda"), n),
                    fmt(last_of("lambda"), n)
                ),
                match kl.len() {
                    0 => "–".into(),
                    k => format!("{:.3} / {:.3}", kl[k / 2], kl[k - 1]),
                },
                if over > 0 {
                    format!("**{over} of {}** ⚠", kl.len())
                } else {
                    format!("0 of {}", kl.len())
                },
                if min_ess.is_finite() {
                    format!("{min_ess:.3}")
                } else {
                    "–".into()
                },
            ]);
            for (q, (col, _, _)) in quantities.iter().enumerate() {
                let (points, band) = per_refresh(&rs, col);
                qlines[q].push(Line {
                    label: label(ctx, m, e),
                    points,
                    band,
                });
            }
        }
        add_panels(&mut panels, qlines, |q| quantities[q].1, &panel);
    }
    let mut md = String::from(
        "## trust region: λ, β and the step KL per refresh\n\nFrom every refresh \
         (`refreshes.csv`), all seeds: β_{i+1} = 1 − Π λ_j/(1+λ_j) (Algorithm 2) reaches 1 only \
         when the annealing is done; the measured step KL is KL(P^{u_i} | P^{u_{i−1}}) reached by \
         the previous refresh's updates, estimated on fresh paths of u_i, against the bound ε \
         that the dual imposes on the buffer's tilted weights; the measured step ESS is that of \
         dP^{u_{i−1}}/dP^{u_i} on the same paths.\n\n",
    );
    let _ = writeln!(md, "{}\n", b.build().with(Style::markdown()));
    if quantities.len() > 3 {
        md.push_str(
            "u*_β is known here (discrete Riccati with βP, βQ), so three more KLs per refresh \
             locate an overshoot: KL(P^{u_i} | P^{u*_{β_i}}) (does the update track the \
             schedule?), KL(P^{u*_{β_{i+1}}} | P^{u*_{β_i}}) (is the schedule's step about ε?) \
             and KL(P^{u*_{β_{i+1}}} | P^{u_i}) (how far the refresh's exact solution is from \
             u_i).\n\n",
        );
    }
    if flagged_total > 0 {
        let _ = writeln!(
            md,
            "⚠ {flagged_total} refresh(es) reached a measured step KL above {OVERSHOOT}ε: the \
             update left the trust region that the dual set on the buffer.\n"
        );
    }
    let mut figures = Vec::new();
    for (q, (col, title, log)) in quantities.iter().enumerate() {
        if panels[q].is_empty() {
            continue;
        }
        let name = format!("{}-tr-{col}.svg", ctx.svg_stem);
        let _ = writeln!(md, "![{title} per refresh]({name})\n");
        figures.push((name, curves(&panels[q], "refresh", false, *log)));
    }
    (md, figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Run as TestRun;

    #[test]
    fn refreshes_whose_measured_step_kl_exceeds_three_epsilon_are_flagged() {
        let mut r = TestRun::in_memory("manywell", 50, "tr-socm", "finished", &[]);
        // ε = 0.1 (the default config): 0.31 > 3ε is flagged, 0.29 is not; the first refresh has
        // no measured KL.
        let cols: [(&str, Vec<f64>); 4] = [
            ("refresh", vec![0.0, 1.0, 2.0, 3.0]),
            ("lambda", vec![30.0, 29.0, 25.0, 20.0]),
            ("beta", vec![0.03, 0.07, 0.1, 0.14]),
            ("measured_step_kl", vec![f64::NAN, 0.05, 0.29, 0.31]),
        ];
        r.refreshes = cols.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let ctx = crate::markdown::test_context(&[]);
        let (md, figures) = section(&ctx, &[r]);
        assert!(md.contains("**1 of 3** ⚠"), "{md}");
        assert!(
            md.contains("⚠ 1 refresh(es) reached a measured step KL above 3ε"),
            "{md}"
        );
        assert!(md.contains("| 4         | 0.140"), "{md}");
        assert_eq!(figures.len(), 3);
        // Without refreshes the section is empty.
        let plain = TestRun::in_memory("gmm", 2, "lv", "finished", &[]);
        assert!(section(&ctx, &[plain]).0.is_empty());
    }
}
