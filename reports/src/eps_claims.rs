//! Fig. 10's claims (App. E of the trust-region paper), judged by [`crate::rules`] on the ε
//! lines of each panel (every seed's last smoothed value; a diverged seed fails):
//! 1. "smaller trust-region bounds significantly improve performance": per d, the smallest ε's
//!    final control L2 below the largest ε's (Welch) and below u = 0 (the step-0 evaluation);
//! 2. "the observed step ESS aligns well with its approximation 1/(1 + 2ε)": per d and ε, each
//!    seed's mean measured step ESS over refreshes within ±0.1 of it (two one-sided tests).

use std::fmt::Write as _;

use crate::load::Run;
use crate::markdown::{Context, Figure};
use crate::protocol::{mean_std, summarise_run};
use crate::record;
use crate::rules::{self, Judged};
use crate::sections::{by_panel_and_line, panel_name};

const METRIC: &str = "control_l2";
/// How far the measured step ESS may be from 1/(1 + 2ε) and still "align".
const ESS_TOLERANCE: f64 = 0.1;

fn finals(rs: &[&Run]) -> Vec<Option<f64>> {
    rs.iter()
        .map(|r| {
            (!r.diverged())
                .then(|| summarise_run(r.series("step"), r.series(METRIC), METRIC))
                .flatten()
                .map(|s| s.last)
        })
        .collect()
}

fn initial(rs: &[&Run]) -> Vec<f64> {
    rs.iter().filter_map(|r| r.initial(METRIC)).collect()
}

/// Each seed's measured step ESS minus 1/(1 + 2ε) (its mean over refreshes); None: diverged.
fn ess_gaps(rs: &[&Run], eps: f64) -> Vec<Option<f64>> {
    rs.iter()
        .map(|r| {
            let v: Vec<f64> = r
                .refresh_series("measured_step_ess")
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            (!r.diverged())
                .then(|| mean_std(&v).map(|m| m.0 - 1.0 / (1.0 + 2.0 * eps)))
                .flatten()
        })
        .collect()
}

/// The section: criteria, one line per point, and the two claims' verdicts.
pub fn section(_ctx: &Context, runs: &[Run]) -> (String, Vec<Figure>) {
    let mut md = String::from(
        "## the paper's claims on ε (App. E, Fig. 10), checked\n\nCriteria (the rules of every \
         report: Welch and one-sided 95 % bounds at 5 %, at least 3 seeds, a diverged seed \
         fails): (1) per d, the smallest ε's final control L2 below the largest ε's and below \
         u = 0's; (2) per d and ε, each seed's measured step ESS (mean over refreshes) within \
         ±0.1 of 1/(1 + 2ε).\n\n",
    );
    let (mut c1, mut c2) = (Vec::new(), Vec::new());
    for ((target, dim), lines) in by_panel_and_line(runs) {
        let panel = panel_name(runs, &target, dim);
        let mut by_eps: Vec<(f64, &Vec<&Run>)> = lines
            .iter()
            .filter_map(|((_, e), rs)| Some((e.parse::<f64>().ok()?, rs)))
            .collect();
        by_eps.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let (Some((lo, small)), Some((hi, large))) = (by_eps.first(), by_eps.last()) {
            if lo < hi {
                let j = rules::better(
                    &finals(small),
                    &finals(large),
                    &initial(small),
                    false,
                    (&format!("ε = {lo}"), &format!("ε = {hi}")),
                );
                c1.push((panel.clone(), j));
            }
        }
        for (eps, rs) in &by_eps {
            // A line whose runs measured no step (stopped at their first refresh) says nothing.
            let gaps = ess_gaps(rs, *eps);
            if rs
                .iter()
                .zip(&gaps)
                .all(|(r, g)| g.is_none() && !r.diverged())
            {
                continue;
            }
            let what = format!("measured step ESS − 1/(1 + 2ε) at ε = {eps}");
            let j = rules::within(&gaps, -ESS_TOLERANCE, ESS_TOLERANCE, &what);
            c2.push((format!("{panel}, ε = {eps}"), j));
        }
    }
    for (n, (claim, points)) in [
        ("smaller ε improves the control error", c1),
        ("the measured step ESS aligns with 1/(1 + 2ε)", c2),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("fig10-{}", n + 1);
        if points.is_empty() {
            let j = Judged::new(rules::Verdict::CannotJudge, "no runs of two ε here");
            md.push_str(&record::claim_line(&id, "", "–", &j));
            let _ = writeln!(md, "{}. {claim}: {}\n", n + 1, j.text());
            continue;
        }
        md.push_str(&record::claim_block(n + 1, &id, claim, &points));
    }
    (md, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three seeds of TR-LV at `eps` on gmm d = 10: control L2 from u = 0's 10 to `end`, and
    /// the measured step ESS `ess` at every refresh.
    fn line(eps: f64, end: f64, ess: f64) -> Vec<Run> {
        (0..3)
            .map(|s| {
                let l2 = [
                    10.0,
                    end + 0.1 * s as f64,
                    end,
                    end,
                    end,
                    end + 0.01 * s as f64,
                ];
                let steps: Vec<f64> = (0..l2.len()).map(|i| i as f64).collect();
                let mut r = Run::in_memory(
                    "gmm",
                    10,
                    "tr-lv",
                    "finished",
                    &[("step", &steps), (METRIC, &l2)],
                );
                r.manifest.seed = s;
                r.manifest.config.tr.epsilon = eps;
                r.refreshes
                    .insert("measured_step_ess".into(), vec![ess + 0.01 * s as f64; 4]);
                r
            })
            .collect()
    }

    fn judge(runs: &[Run]) -> String {
        let ctx = crate::markdown::test_context(&[]);
        section(&ctx, runs).0
    }

    fn claim(md: &str, n: usize) -> &str {
        md.lines()
            .find(|l| l.starts_with(&format!("{n}. ")))
            .unwrap_or_else(|| panic!("{md}"))
    }

    #[test]
    fn both_claims_pass_fail_and_tie() {
        let approx = |e: f64| 1.0 / (1.0 + 2.0 * e);
        // The paper's picture: ε = 0.01 ends lowest, both ESS on the approximation.
        let mut runs = line(0.01, 2.0, approx(0.01));
        runs.extend(line(1.0, 20.0, approx(1.0)));
        let md = judge(&runs);
        assert!(claim(&md, 1).contains("**holds**"), "{md}");
        assert!(claim(&md, 2).contains("**holds**"), "{md}");
        // Fails: the large ε ends lower; its ESS is 0.3 off.
        let mut runs = line(0.01, 20.0, approx(0.01));
        runs.extend(line(1.0, 2.0, approx(1.0) + 0.3));
        let md = judge(&runs);
        assert!(claim(&md, 1).contains("**does not hold**"), "{md}");
        assert!(
            claim(&md, 2).contains("**holds partly** (1 of 2 points)"),
            "{md}"
        );
        // A tie: the same final error at both ε.
        let mut runs = line(0.01, 5.0, approx(0.01));
        runs.extend(line(1.0, 5.0, approx(1.0)));
        assert!(claim(&judge(&runs), 1).contains("**inconclusive**"));
    }
}
