//! The markdown report of one experiment and profile: one table per metric (rows: methods,
//! columns: d), ours as mean ± std over seeds of the best smoothed value, the paper's number beside
//! it where published, target evaluations, and an SVG plot in the layout of the paper's figure.

use std::collections::BTreeMap;
use std::fmt::Write;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::aggregate::{summarise, Key, Summary};
use crate::load::Run;
use crate::paper::{lookup, PaperValue};
use crate::sections;
use crate::svg::{panels, Line};

/// Ground-truth samples (row-major n × d) of a target at dimension d, for scatter plots.
pub type GroundTruth<'a> = &'a dyn Fn(&str, usize, usize) -> Option<Vec<f64>>;

/// What the report says about how it was produced.
pub struct Context<'a> {
    /// How `cargo xtask report` names the experiment: its name, or `--def <file>`.
    pub experiment: &'a str,
    pub title: &'a str,
    pub profile: &'a str,
    pub paper_table: &'a str,
    pub metrics: &'a [String],
    pub deviations: &'a [String],
    pub hardware: String,
    pub commit: String,
    /// Stem of the SVG files written next to the report (`<stem>.svg`, `<stem>-<plot>.svg`).
    pub svg_stem: String,
    /// Report sections (`vs_dim`, `convergence`, `scatter`, `step_ess`).
    pub plots: &'a [String],
    /// Legend label of a method or variant name.
    pub labels: &'a dyn Fn(&str) -> String,
    /// Whether legends name ε (the sweep has more than one).
    pub show_epsilon: bool,
    /// Where the runs were read from.
    pub results_dir: String,
    pub ground_truth: GroundTruth<'a>,
    /// The paper's claims that the experiment states, judged in the report.
    pub claims: &'a [crate::verdicts::Claim],
    /// The claims judged on a budget ladder (`[[ladder]]`, `crate::ladder`).
    pub ladder: &'a [crate::ladder::LadderClaim],
    /// How a published table names the experiment's targets and methods (`lv_table`).
    pub paper_names: Option<&'a crate::lv_table::PaperNames>,
}

/// A context for the report crate's unit tests: upper-case labels, no ground truth, `claims`.
#[cfg(test)]
pub(crate) fn test_context(claims: &[crate::verdicts::Claim]) -> Context<'_> {
    fn upper(m: &str) -> String {
        m.to_uppercase()
    }
    fn no_truth(_: &str, _: usize, _: usize) -> Option<Vec<f64>> {
        None
    }
    Context {
        experiment: "t",
        title: "t",
        profile: "t",
        paper_table: "",
        metrics: &[],
        deviations: &[],
        hardware: String::new(),
        commit: String::new(),
        svg_stem: "t".into(),
        plots: &[],
        labels: &upper,
        show_epsilon: false,
        results_dir: String::new(),
        ground_truth: &no_truth,
        claims,
        ladder: &[],
        paper_names: None,
    }
}

/// A written figure: file name and SVG text.
pub type Figure = (String, String);

/// "m ± s" (or "m" for one seed); for TVD also in the paper's eq. 63 convention (twice ours).
fn mean_pm(v: (f64, f64), n: usize, metric: &str) -> String {
    let f = |scale: f64| {
        if n > 1 {
            format!("{:.3} ± {:.3}", scale * v.0, scale * v.1)
        } else {
            format!("{:.3}", scale * v.0)
        }
    };
    if metric == "tvd" {
        format!("{} (eq. 63: {})", f(1.0), f(2.0))
    } else {
        f(1.0)
    }
}

/// A table cell: best of run or last value (`last`), with the diverged count and the flags.
fn fmt_value(s: &Summary, metric: &str, last: bool) -> String {
    let ok = s.seeds - s.diverged;
    if ok == 0 {
        return "diverged".into();
    }
    let v = if last { s.last } else { s.value };
    let Some(v) = v else { return "–".into() };
    let mut c = mean_pm(v, ok, metric);
    let low = if last { s.low_ess_last } else { s.low_ess_best };
    if metric == "abs_dlogz" && low > 0 {
        let _ = write!(c, " †{low}/{ok}");
    }
    if !last && s.best_at_first > 0 {
        let _ = write!(c, " ⚑{}/{ok}", s.best_at_first);
    }
    if s.diverged > 0 {
        let _ = write!(c, " ({}/{} diverged)", s.diverged, s.seeds);
    }
    c
}

/// What the table cells' marks mean.
fn footnotes(metric: &str) -> String {
    let mut f = String::from(
        "best = the protocol's best smoothed value of the run (App. E.1); last = the smoothed \
         value at the last evaluation; both mean ± std over seeds. The first row is the \
         step-0 evaluation of u = 0 (every method starts there). ⚑k/n: in k of n seeds the \
         best of run is the first evaluation of the trained control, i.e. training never \
         improved on it.",
    );
    if metric == "abs_dlogz" {
        let _ = write!(
            f,
            " †k/n: in k of n seeds the evaluation ESS at that point is below {} — the log Z \
             estimate rests on a handful of paths and is unreliable (best of run then picks the \
             luckiest of the noisy evaluations).",
            crate::aggregate::LOW_ESS
        );
    }
    if metric == "tvd" {
        f.push_str(
            " TVD = ½ Σ_k |π_k − π̂_k| ∈ [0, 1]; in brackets the paper's eq. 63, which omits the \
             ½ (twice the value).",
        );
    }
    f
}

/// Legend label of a (method or variant, ε) line.
pub fn label(ctx: &Context, method: &str, eps: &str) -> String {
    let l = (ctx.labels)(method);
    if eps.is_empty() || !ctx.show_epsilon {
        l
    } else {
        format!("{l} (ε={eps})")
    }
}

/// A report section an experiment asks for by name in `plots`.
pub type SectionFn = fn(&Context, &[Run], &[PaperValue]) -> (String, Vec<Figure>);

/// Every section `plots` can name, the one list the definitions are checked against
/// (`vs_dim` and `convergence` are drawn by the report itself).
pub const SECTIONS: &[(&str, SectionFn)] = &[
    ("vs_dim", |_, _, _| (String::new(), Vec::new())),
    ("convergence", |_, _, _| (String::new(), Vec::new())),
    ("scatter", |c, r, _| sections::scatter(c, r)),
    ("step_ess", |c, r, _| sections::step_ess(c, r)),
    ("lqr_claims", |c, r, _| crate::claims::lqr_claims(c, r)),
    ("lv_table", crate::lv_table::section),
    ("eps_claims", |c, r, _| crate::eps_claims::section(c, r)),
];

/// Writes the report; returns the markdown and the figures it links.
pub fn report(ctx: &Context, runs: &[Run], paper: &[PaperValue]) -> (String, Vec<Figure>) {
    let mut md = String::new();
    let _ = writeln!(md, "# {} — `{}` profile\n", ctx.title, ctx.profile);
    let _ = writeln!(
        md,
        "Generated by `cargo xtask report {} --profile {}` from {} runs under `{}`.\n",
        ctx.experiment,
        ctx.profile,
        runs.len(),
        ctx.results_dir,
    );
    let _ = writeln!(
        md,
        "- hardware: {}\n- report written at commit `{}`\n{}- protocol (App. E.1): running mean \
         over 5 evaluations, best of run, mean ± std over seeds; \"diverged\" as in the paper's \
         tables; {}",
        ctx.hardware,
        ctx.commit,
        crate::provenance::lines(runs),
        if runs.iter().all(|r| r.manifest.provenance.is_some()) {
            "methods at the same seed share initial parameters, evaluation paths and reference \
             samples (common random numbers)"
        } else {
            "**some runs predate common random numbers**: their methods were initialised and \
             evaluated on streams of their own"
        }
    );
    if !ctx.deviations.is_empty() {
        let _ = writeln!(
            md,
            "\n**Deviations from the paper's setup in this profile:**\n"
        );
        for d in ctx.deviations {
            let _ = writeln!(md, "- {d}");
        }
        md.push('\n');
    }
    let mut figures = Vec::new();
    let mut svg_panels = Vec::new();
    for metric in ctx.metrics {
        let sums = summarise(runs, metric);
        let dims: Vec<usize> = {
            let mut d: Vec<usize> = sums.keys().map(|k| k.dim).collect();
            d.sort();
            d.dedup();
            d
        };
        // One row per (target, method or variant, ε); the target is named when there are several.
        let targets: std::collections::BTreeSet<&str> =
            sums.keys().map(|k| k.target.as_str()).collect();
        let mut rows: BTreeMap<(String, String, String), BTreeMap<usize, (&Key, &Summary)>> =
            BTreeMap::new();
        for (k, s) in &sums {
            rows.entry((k.target.clone(), k.method.clone(), k.epsilon.clone()))
                .or_default()
                .insert(k.dim, (k, s));
        }
        let _ = writeln!(md, "## {metric}\n");
        let mut b = Builder::default();
        let mut head = vec!["method".to_string()];
        for d in &dims {
            head.push(format!("d = {d}: best"));
            head.push(format!("d = {d}: last"));
        }
        b.push_record(head);
        // The u = 0 rows: the step-0 evaluations, equal for every method at a seed (common
        // random numbers); the first line's runs of each target stand for all.
        for target in &targets {
            let mut zero = vec![if targets.len() > 1 {
                format!("u = 0 (step 0) ({target})")
            } else {
                "u = 0 (step 0)".to_string()
            }];
            let mut any = false;
            for d in &dims {
                let init = sums
                    .iter()
                    .filter(|(k, _)| k.dim == *d && k.target == *target)
                    .find_map(|(_, s)| s.initial.map(|v| (v, s.seeds)));
                any |= init.is_some();
                zero.push(init.map_or("–".into(), |(v, n)| mean_pm(v, n, metric)));
                zero.push(String::new());
            }
            if any {
                b.push_record(zero);
            }
        }
        let mut lines = Vec::new();
        for ((target, method, eps), by_dim) in &rows {
            let line = if targets.len() > 1 {
                format!("{} ({target})", label(ctx, method, eps))
            } else {
                label(ctx, method, eps)
            };
            let mut rec = vec![line.clone()];
            let mut pts = Vec::new();
            let mut band = Vec::new();
            for d in &dims {
                match by_dim.get(d) {
                    Some((k, s)) => {
                        let mut c = fmt_value(s, metric, false);
                        if let Some(p) =
                            lookup(paper, ctx.paper_table, &k.target, *d, method, metric)
                        {
                            let _ = write!(c, " (paper {})", p.display());
                        }
                        if let Some((m, sd)) = s.value {
                            pts.push((*d as f64, m));
                            band.push((*d as f64, m - sd, m + sd));
                        }
                        rec.push(c);
                        rec.push(fmt_value(s, metric, true));
                    }
                    None => rec.extend([String::new(), String::new()]),
                }
            }
            b.push_record(rec);
            lines.push(Line {
                label: line,
                points: pts,
                band,
            });
        }
        let _ = writeln!(md, "{}\n", b.build().with(Style::markdown()));
        let one_seed = !sums.is_empty() && sums.values().all(|s| s.seeds - s.diverged <= 1);
        let _ = writeln!(
            md,
            "{}{}\n",
            footnotes(metric),
            if one_seed {
                " Every cell here is one seed (1 seed): no spread is shown, and no verdict on \
                 these values can be more than inconclusive."
            } else {
                ""
            }
        );
        svg_panels.push((metric.clone(), lines));
    }
    if ctx.plots.iter().any(|p| p == "vs_dim") {
        let name = format!("{}.svg", ctx.svg_stem);
        let _ = writeln!(
            md,
            "## plot: metrics against d\n\n![{}]({name})\n",
            ctx.title
        );
        figures.push((name, panels(&svg_panels, "d")));
    }
    md.push_str(&crate::logz::section(ctx, runs));
    // Whole curves in every report (the tables' best of run can hide a rising error).
    let curves = sections::convergence(ctx, runs);
    md.push_str(&curves.0);
    figures.extend(curves.1);
    for section in [
        crate::trust_region::section(ctx, runs),
        crate::path_tracking::section(ctx, runs),
        crate::path_tracking::budget_section(ctx, runs),
        crate::ladder::section(ctx, runs, ctx.ladder),
        crate::verdicts::section(ctx, runs),
    ] {
        md.push_str(&section.0);
        figures.extend(section.1);
    }
    for plot in ctx.plots {
        let Some((_, f)) = SECTIONS.iter().find(|(n, _)| n == plot) else {
            continue;
        };
        let section = f(ctx, runs, paper);
        md.push_str(&section.0);
        figures.extend(section.1);
    }
    // Cost table: target evaluations and wall time per run.
    let sums = summarise(runs, "abs_dlogz");
    let _ = writeln!(md, "## cost per run\n");
    let mut b = Builder::default();
    b.push_record([
        "target",
        "d",
        "method",
        "runs",
        "target evaluations",
        "wall time [s]",
    ]);
    for (k, s) in &sums {
        b.push_record([
            k.target.clone(),
            k.dim.to_string(),
            label(ctx, &k.method, &k.epsilon),
            s.seeds.to_string(),
            format!("{:.0}", s.target_evals),
            format!("{:.0}", s.wall_s),
        ]);
    }
    let _ = writeln!(md, "{}", b.build().with(Style::markdown()));
    (md, figures)
}
