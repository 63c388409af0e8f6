//! How far one evaluation's log Ẑ can be trusted: per run, the estimate at the last evaluation
//! with its 95% bootstrap interval over the evaluation's paths and the evaluation ESS. Where the
//! ESS is tiny the estimate rests on one or two paths and moves between machines and seeds.

use std::fmt::Write;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::aggregate::LOW_ESS;
use crate::load::Run;
use crate::markdown::{label, Context};
use crate::sections::by_panel_and_line;

/// The section; empty unless the experiment reports |ΔlogZ| and the runs record the interval.
pub fn section(ctx: &Context, runs: &[Run]) -> String {
    if !ctx.metrics.iter().any(|m| m == "abs_dlogz")
        || runs.iter().all(|r| r.series("log_z_lo").is_empty())
    {
        return String::new();
    }
    let mut b = Builder::default();
    b.push_record([
        "panel",
        "line",
        "seed",
        "log Ẑ − log Z (last evaluation)",
        "95% bootstrap interval",
        "evaluation ESS",
    ]);
    for ((target, dim), lines) in by_panel_and_line(runs) {
        for ((m, e), rs) in &lines {
            for r in rs.iter().filter(|r| !r.diverged()) {
                let i = r.series("log_z").len().saturating_sub(1);
                let at = |c: &str| r.series(c).get(i).copied().unwrap_or(f64::NAN);
                let (lz, lo, hi, ess) = (at("log_z"), at("log_z_lo"), at("log_z_hi"), at("ess"));
                let r0 = at("log_z_ref");
                if !r0.is_finite() {
                    continue;
                }
                let dz = lz - r0;
                b.push_record([
                    format!("{target}, d = {dim}"),
                    label(ctx, m, e),
                    r.manifest.seed.to_string(),
                    format!("{dz:+.3}"),
                    if lo.is_finite() {
                        format!("[{:+.3}, {:+.3}]", lo - r0, hi - r0)
                    } else {
                        "–".into()
                    },
                    format!("{ess:.4}{}", if ess < LOW_ESS { " †" } else { "" }),
                ]);
            }
        }
    }
    let mut md = String::from(
        "## log Z: the last evaluation's estimate and its bootstrap interval\n\nlog Ẑ at the \
         last evaluation of each run, minus the reference log Z, with the 2.5–97.5% quantiles of \
         log Ẑ over 200 bootstrap resamples of that evaluation's paths. † marks an ESS below ",
    );
    let _ = write!(
        md,
        "{LOW_ESS}: the estimate then rests on a few paths, and the interval understates how \
         much it moves between seeds and machines.\n\n{}\n\n",
        b.build().with(Style::markdown())
    );
    md
}
