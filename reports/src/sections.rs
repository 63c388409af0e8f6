//! Report sections beyond the per-metric tables: convergence against target evaluations
//! (Fig. 3 middle/right, Fig. 7, Fig. 10 middle), sample scatter plots (Fig. 8, Fig. 9) and the
//! trust region's step ESS against its Taylor approximation 1/(1 + 2ε) (Fig. 10 right, App. J.3).

use std::collections::BTreeMap;
use std::fmt::Write;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::aggregate::key;
use crate::load::Run;
use crate::markdown::{label, Context, Figure};
use crate::plot::{curves, scatter as scatter_svg, Cloud};
use crate::protocol::{mean_min_max, mean_std, running_mean};
use crate::svg::Line;

type Section = (String, Vec<Figure>);

/// Runs grouped by (target, d), then by line (method or variant, ε).
pub(crate) type Groups<'a> = BTreeMap<(String, usize), BTreeMap<(String, String), Vec<&'a Run>>>;

pub(crate) fn by_panel_and_line(runs: &[Run]) -> Groups<'_> {
    let mut out: Groups = BTreeMap::new();
    for r in runs {
        let k = key(r);
        out.entry((k.target, k.dim))
            .or_default()
            .entry((k.method, k.epsilon))
            .or_default()
            .push(r);
    }
    out
}

/// "d = 10", or "ou-hard, d = 10" when the runs span more than one target.
pub(crate) fn panel_name(runs: &[Run], target: &str, dim: usize) -> String {
    let first = runs.first().map(|r| r.manifest.target.as_str());
    if runs
        .iter()
        .all(|r| Some(r.manifest.target.as_str()) == first)
    {
        format!("d = {dim}")
    } else {
        format!("{target}, d = {dim}")
    }
}

/// At each evaluation index: the mean over non-diverged runs of (target evaluations, running mean
/// of `metric`), and the band (x, min, max) of the running means over those runs.
pub(crate) type Curve = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

pub(crate) fn mean_curve(runs: &[&Run], metric: &str) -> Curve {
    let series: Vec<(Vec<f64>, Vec<f64>)> = runs
        .iter()
        .filter(|r| !r.diverged())
        .map(|r| {
            (
                r.series("target_evals").to_vec(),
                running_mean(r.series(metric), 5),
            )
        })
        .collect();
    let n = series.iter().map(|s| s.1.len()).min().unwrap_or(0);
    let (mut mean, mut band) = (Vec::new(), Vec::new());
    for i in 0..n {
        let Some((x, _)) = mean_std(&series.iter().map(|s| s.0[i]).collect::<Vec<_>>()) else {
            continue;
        };
        let ys: Vec<f64> = series.iter().map(|s| s.1[i]).collect();
        let Some((y, lo, hi)) = mean_min_max(&ys) else {
            continue;
        };
        if !(x.is_finite() && y.is_finite()) {
            continue;
        }
        mean.push((x, y));
        band.push((x, lo, hi));
    }
    (mean, band)
}

/// Metrics whose curves are drawn (the optimal cost is a constant, shown in the tables).
fn curve_metrics<'a>(ctx: &'a Context) -> impl Iterator<Item = &'a str> {
    ctx.metrics
        .iter()
        .map(String::as_str)
        .filter(|m| !m.ends_with("optimal_cost"))
}

/// Every reported metric against target evaluations (log x), one figure per metric, one panel per
/// d, one line per method: the mean over seeds of the running mean with a min–max band. Whole
/// curves, so that a rising error or a best-of-run taken at the first evaluation shows.
pub fn convergence(ctx: &Context, runs: &[Run]) -> Section {
    let mut md = String::from(
        "## plots: whole training curves\n\nMean over seeds of the running mean (window 5) at \
         each evaluation, shaded from the lowest to the highest seed; x = target evaluations spent \
         on training (log scale, so the step-0 evaluation of u = 0 is not drawn).\n\n",
    );
    let mut figures = Vec::new();
    for metric in curve_metrics(ctx) {
        let mut panels = Vec::new();
        let mut positive = true;
        for ((target, dim), lines) in by_panel_and_line(runs) {
            let lines: Vec<Line> = lines
                .iter()
                .map(|((m, e), rs)| {
                    let (points, band) = mean_curve(rs, metric);
                    positive &= points.iter().all(|p| p.1 > 0.0);
                    Line {
                        label: label(ctx, m, e),
                        points,
                        band,
                    }
                })
                .collect();
            panels.push((
                format!("{metric}, {}", panel_name(runs, &target, dim)),
                lines,
            ));
        }
        let name = format!("{}-curves-{metric}.svg", ctx.svg_stem);
        let _ = writeln!(md, "![{metric} against target evaluations]({name})\n");
        figures.push((name, curves(&panels, "target evaluations", true, positive)));
    }
    (md, figures)
}

/// Pairs (x0, x1) of the saved samples of seed 0 at the largest d, one panel per method, over
/// ground-truth samples.
pub fn scatter(ctx: &Context, runs: &[Run]) -> Section {
    let with: Vec<&Run> = runs.iter().filter(|r| r.samples.is_some()).collect();
    let Some(dim) = with.iter().map(|r| r.manifest.dim).max() else {
        return (
            "## plot: samples\n\nNo run saved samples (`save_samples = 0`).\n\n".into(),
            vec![],
        );
    };
    let seed = with
        .iter()
        .filter(|r| r.manifest.dim == dim)
        .map(|r| r.manifest.seed)
        .min()
        .unwrap_or(0);
    let pairs = |v: &[f64]| -> Vec<(f64, f64)> { v.chunks(dim).map(|c| (c[0], c[1])).collect() };
    let mut panels = Vec::new();
    let mut gt_n = 0;
    // Exact samples, drawn once per (target, n): every panel shows the same ones.
    let mut truth: BTreeMap<(String, usize), Option<Vec<f64>>> = BTreeMap::new();
    for r in runs
        .iter()
        .filter(|r| r.manifest.dim == dim && r.manifest.seed == seed)
    {
        let k = key(r);
        let mut clouds = Vec::new();
        let n = r.samples.as_ref().map_or(1000, |s| s.len() / dim);
        let gt = truth
            .entry((k.target.clone(), n))
            .or_insert_with(|| (ctx.ground_truth)(&k.target, dim, n));
        if let Some(gt) = gt {
            gt_n = n;
            clouds.push(Cloud {
                label: "ground truth".into(),
                color: "#999999",
                points: pairs(gt),
            });
        }
        let mut title = label(ctx, &k.method, &k.epsilon);
        match &r.samples {
            Some(s) => clouds.push(Cloud {
                label: "model".into(),
                color: "#1f77b4",
                points: pairs(s),
            }),
            None => title.push_str(if r.diverged() {
                " (diverged)"
            } else {
                " (no samples)"
            }),
        }
        panels.push((title, clouds));
    }
    let name = format!("{}-scatter.svg", ctx.svg_stem);
    let md = format!(
        "## plot: samples\n\nCoordinates (x0, x1) of the final control's samples (blue) over \
         {gt_n} exact samples of the target (grey); d = {dim}, seed {seed}.\n\n\
         ![samples]({name})\n\n"
    );
    (md, vec![(name, scatter_svg(&panels, "x0 (vertical: x1)"))])
}

/// Per line: mean over seeds of the per-run mean of a `refreshes.csv` column (all refreshes), or of
/// the `history.csv` column of the same name for runs made before `refreshes.csv` existed.
fn refresh_mean(rs: &[&Run], col: &str) -> Option<(f64, f64)> {
    let per_run: Vec<f64> = rs
        .iter()
        .filter_map(|r| {
            let src = if r.refreshes.is_empty() {
                r.series(col)
            } else {
                r.refresh_series(col)
            };
            let v: Vec<f64> = src.iter().copied().filter(|v| v.is_finite()).collect();
            mean_std(&v).map(|x| x.0)
        })
        .collect();
    mean_std(&per_run)
}

/// What the trust-region updates achieved against ε (Fig. 10 right, App. J.3): the measured step
/// KL(P^{u_i} | P^{u_{i−1}}) and the measured step ESS of dP^{u_{i−1}}/dP^{u_i} on fresh paths of
/// u_i, beside 1/(1 + 2ε). The dual's tilted weights are printed for reference only: their KL is
/// ε and their ESS ≈ 1/(1 + 2ε) by construction.
pub fn step_ess(ctx: &Context, runs: &[Run]) -> Section {
    let mut b = Builder::default();
    b.push_record([
        "d",
        "line",
        "ε",
        "measured step KL",
        "measured step ESS",
        "1/(1+2ε)",
        "tilted weights (by construction): KL / ESS",
    ]);
    let mut ess_panels = Vec::new();
    let mut kl_panels = Vec::new();
    for ((target, dim), lines) in by_panel_and_line(runs) {
        let panel = panel_name(runs, &target, dim);
        let (mut m_ess, mut m_kl, mut approx, mut eps_line) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for ((m, e), rs) in &lines {
            let Ok(eps) = e.parse::<f64>() else { continue };
            // Mean over seeds of each seed's mean over refreshes; "(1 seed)" for one.
            let seeds = rs.len();
            let f = |v: Option<(f64, f64)>| {
                v.map_or("–".into(), |(m, s)| {
                    if seeds > 1 {
                        format!("{m:.3} ± {s:.3}")
                    } else {
                        format!("{m:.3} (1 seed)")
                    }
                })
            };
            let (kl, ess) = (
                refresh_mean(rs, "measured_step_kl"),
                refresh_mean(rs, "measured_step_ess"),
            );
            let (tkl, tess) = (refresh_mean(rs, "step_kl"), refresh_mean(rs, "step_ess"));
            b.push_record([
                panel.trim_start_matches("d = ").to_string(),
                label(ctx, m, ""),
                e.clone(),
                f(kl),
                f(ess),
                format!("{:.3}", 1.0 / (1.0 + 2.0 * eps)),
                format!("{} / {}", f(tkl), f(tess)),
            ]);
            if let Some((v, _)) = ess {
                m_ess.push((eps, v));
            }
            if let Some((v, _)) = kl {
                m_kl.push((eps, v));
            }
            approx.push((eps, 1.0 / (1.0 + 2.0 * eps)));
            eps_line.push((eps, eps));
        }
        for v in [&mut m_ess, &mut m_kl, &mut approx, &mut eps_line] {
            v.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        ess_panels.push((
            format!("step ESS, {panel}"),
            vec![
                Line::new("measured".into(), m_ess),
                Line::new("1/(1+2ε)".into(), approx),
            ],
        ));
        kl_panels.push((
            format!("step KL, {panel}"),
            vec![
                Line::new("measured".into(), m_kl),
                Line::new("ε".into(), eps_line),
            ],
        ));
    }
    let name = format!("{}-step-ess.svg", ctx.svg_stem);
    let kl_name = format!("{}-step-kl.svg", ctx.svg_stem);
    let mut md = String::from(
        "## trust region: what each update achieved against ε\n\nMean over refreshes and seeds \
         of the measured step KL(P^{u_i} | P^{u_{i−1}}) and of the ESS of dP^{u_{i−1}}/dP^{u_i}, \
         both on fresh paths of the new control u_i: what the trained update actually moved. \
         App. J.3 approximates the step ESS by 1/(1 + 2ε) for small ε. The last column is the \
         dual's tilted buffer weights, whose KL is ε and whose ESS is close to 1/(1 + 2ε) by \
         construction, so they test nothing.\n\n",
    );
    let _ = writeln!(md, "{}\n", b.build().with(Style::markdown()));
    let _ = writeln!(md, "![step ESS]({name})\n\n![step KL]({kl_name})\n");
    (
        md,
        vec![
            (name, curves(&ess_panels, "ε", true, false)),
            (kl_name, curves(&kl_panels, "ε", true, true)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(l2: &[f64], evals: &[f64], status: &str) -> Run {
        crate::load::Run::in_memory(
            "gmm",
            2,
            "lv",
            status,
            &[("control_l2", l2), ("target_evals", evals)],
        )
    }

    #[test]
    fn convergence_curve_is_the_seed_mean_of_running_means_without_diverged_runs() {
        let a = run(&[4.0, 2.0, 0.0], &[10.0, 20.0, 30.0], "finished");
        let b = run(&[2.0, 2.0, 2.0], &[30.0, 40.0, 50.0], "finished");
        let c = run(&[f64::NAN; 3], &[1.0, 2.0, 3.0], "diverged");
        let (curve, band) = mean_curve(&[&a, &b, &c], "control_l2");
        // Running means: a → 4, 3, 2; b → 2, 2, 2.
        assert_eq!(curve, vec![(20.0, 3.0), (30.0, 2.5), (40.0, 2.0)]);
        assert_eq!(
            band,
            vec![(20.0, 2.0, 4.0), (30.0, 2.0, 3.0), (40.0, 2.0, 2.0)]
        );
    }
}
