//! The PINN table (`cargo xtask replicate pinn-table`): ours (mean ± std over seeds) beside the
//! published value, and the talk's three claims judged on our numbers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::paper::{lookup, PaperValue};
use crate::protocol::mean_std;
use crate::seed_cell::{mean_std_cell, outside_spread, sig};

/// One finished cell, as the report needs it.
#[derive(Clone, Debug)]
pub struct PinnRow {
    pub target: String,
    pub paper_target: String,
    pub d: usize,
    /// The published row label (ODE-logCE, …).
    pub label: String,
    pub seed: u64,
    pub diverged: bool,
    /// Metric name (the table's: abs_dlogz, sinkhorn_w2_gamma, ess, abs_dstd, sec_per_it) → value.
    pub metrics: BTreeMap<String, f64>,
    pub model_log_z: Option<f64>,
    pub pis_lv_sec_per_it: Option<f64>,
    pub commit: String,
}

const COLUMNS: &[(&str, &str)] = &[
    ("abs_dlogz", "abs ΔlogZ (ELBO)"),
    ("sinkhorn_w2_gamma", "Sinkhorn"),
    ("ess", "ESS"),
    ("abs_dstd", "abs Δstd"),
    ("sec_per_it", "s/it"),
];

/// (target, d, label) → its rows, in the definition's order of targets and methods.
pub(crate) type Groups<'a> = Vec<((String, String, usize, String), Vec<&'a PinnRow>)>;

fn groups<'a>(rows: &'a [PinnRow], order: &[String]) -> Groups<'a> {
    let mut out: Groups = Vec::new();
    for r in rows {
        let k = (
            r.target.clone(),
            r.paper_target.clone(),
            r.d,
            r.label.clone(),
        );
        match out.iter_mut().find(|(g, _)| *g == k) {
            Some((_, v)) => v.push(r),
            None => out.push((k, vec![r])),
        }
    }
    let pos = |l: &str| {
        order
            .iter()
            .position(|o| o.eq_ignore_ascii_case(l))
            .unwrap_or(usize::MAX)
    };
    out.sort_by_key(|g| (g.0 .2, pos(&g.0 .3)));
    out
}

/// [`groups`] in the rows' order, for the claims' unit tests.
#[cfg(test)]
pub(crate) fn groups_for_test(rows: &[PinnRow]) -> Groups<'_> {
    groups(rows, &[])
}

fn stat(rows: &[&PinnRow], metric: &str) -> Option<(f64, f64, usize)> {
    let v: Vec<f64> = rows
        .iter()
        .filter(|r| !r.diverged)
        .filter_map(|r| r.metrics.get(metric).copied())
        .filter(|v| v.is_finite())
        .collect();
    mean_std(&v).map(|(m, s)| (m, s, v.len()))
}

/// The report's markdown: `labels` is the methods' order, `header` what precedes the table.
pub fn pinn_report(
    header: &str,
    rows: &[PinnRow],
    labels: &[String],
    paper: &[PaperValue],
    table: &str,
) -> String {
    let mut md = String::from(header);
    let gs = groups(rows, labels);
    md.push_str(
        "\n## The table: final evaluation, ours beside the published value\n\n\
         Each cell is our mean ± std over seeds, the published value in parentheses. A ⚠ marks a \
         published value outside our mean ± 2 std (± 10 % for one seed); s/it is never flagged \
         (the published one is the authors' GPU, ours this 2-core CPU). abs ΔlogZ (ELBO) = \
         |mean log w − log Z| is the convention lv-table reads the same talk's table in; the \
         importance-sampling |log mean w − log Z| is beside it. Both and ESS come from the \
         evaluation's weights (docs/pinn.md); Sinkhorn is sde_sampler's, with the score of two \
         exact samples (its floor) beside it (docs/metrics.md); learned log Z is the model's \
         own L(1).\n\n",
    );
    md.push_str("| target | d | method | seeds | abs ΔlogZ (ELBO) | Sinkhorn | ESS | abs Δstd | s/it | abs ΔlogZ (IS) | Sinkhorn floor | learned log Z |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    let mut outside = Vec::new();
    for ((target, pt, d, label), rs) in &gs {
        let div = rs.iter().filter(|r| r.diverged).count();
        let seeds = if div > 0 {
            format!("{} ({div} diverged)", rs.len())
        } else {
            rs.len().to_string()
        };
        let _ = write!(md, "| {target} | {d} | {label} | {seeds} |");
        for (metric, name) in COLUMNS {
            let s = stat(rs, metric);
            let mut c = mean_std_cell(s.map(|(m, sd, _)| (m, sd)), s.map_or(0, |x| x.2));
            if let Some(p) = lookup(paper, table, pt, *d, label, metric) {
                let _ = write!(c, " ({})", p.display());
                if let (Some(v), Some((m, sd, n))) = (p.value, s) {
                    if *metric != "sec_per_it" && outside_spread(v, m, sd, n) {
                        c.push_str(" ⚠");
                        outside.push(format!("{target} {label} {name}"));
                    }
                }
            }
            let _ = write!(md, " {c} |");
        }
        for extra in ["abs_dlogz_is", "sinkhorn_floor"] {
            let s = stat(rs, extra);
            let c = mean_std_cell(s.map(|(m, sd, _)| (m, sd)), s.map_or(0, |x| x.2));
            let _ = write!(md, " {c} |");
        }
        let lz: Vec<f64> = rs.iter().filter_map(|r| r.model_log_z).collect();
        let lz = mean_std(&lz).map_or("–".into(), |(m, _)| sig(m));
        let _ = writeln!(md, " {lz} |");
    }
    if !outside.is_empty() {
        let _ = writeln!(
            md,
            "\nPublished values outside our seed spread ({}): {}.",
            outside.len(),
            outside.join("; ")
        );
    }
    md.push_str(&crate::pinn_claims::claims(&gs));
    md
}
