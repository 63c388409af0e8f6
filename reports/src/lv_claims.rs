//! The log-variance paper's three claims, judged by [`crate::rules`] on the final evaluation of
//! every seed (a diverged seed fails), per base process and target:
//! 1. ESS (GMM9, ManyWell-5): LV's at least 5 × KL's (Welch on LV against 5 × KL's seeds) and
//!    above the initial model's (step 0, the shared initialisation);
//! 2. abs ΔlogZ (ELBO), every target but Funnel: LV's below KL's and below the initial model's;
//! 3. cost: LV is not more expensive per iteration than KL: LV's s/it at most 1.1 × KL's mean
//!    (one-sided 95 % bound; no anchor, a cost is not a learning claim).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::lv_table::Line;
use crate::record;
use crate::rules::{self, mean_pm, Judged};

/// The per-seed final values of `col` (None for a diverged seed) and the initial model's.
fn seeds(line: &Line, col: &str, scale: f64) -> (Vec<Option<f64>>, Vec<f64>) {
    let mut v: Vec<Option<f64>> = line
        .values
        .get(col)
        .map_or(Vec::new(), |v| v.iter().map(|x| Some(scale * x)).collect());
    if !v.is_empty() {
        v.extend(std::iter::repeat_n(None, line.diverged));
    }
    (v, line.initial.get(col).cloned().unwrap_or_default())
}

const CRITERIA: &str = "Judged by the rules of every report on each seed's final evaluation \
    (Welch's test and one-sided 95 % bounds at 5 %, at least 3 seeds, a diverged seed fails), \
    with the initial model (step 0, shared by both losses) as the anchor. Criteria: (1) on GMM9 \
    and ManyWell-5, LV's ESS above 5 × KL's and above the initial model's; (2) LV's abs ΔlogZ \
    (ELBO) below KL's and below the initial model's (Funnel excluded, no published value); (3) \
    LV's s/it at most 1.1 × KL's mean (the paper: LV is not more expensive).";

/// The three claims, as the table and the verdict lines name them.
const CLAIMS: [&str; 3] = [
    "LV's ESS ≥ 5 × KL's",
    "LV's abs ΔlogZ (ELBO) < KL's",
    "LV's s/it ≤ 1.1 × KL's",
];

/// The claims table.
pub fn claims(lines: &BTreeMap<(String, usize, String), Line>) -> String {
    let mut md = String::from("## claims\n\n");
    let mut b = Builder::default();
    b.push_record(["claim", "process:target", "LV", "KL", "verdict"]);
    let mut targets: Vec<&String> = lines.keys().map(|(t, _, _)| t).collect();
    targets.dedup();
    let mut rows: Vec<(&str, &String, Judged, String, String)> = Vec::new();
    for t in &targets {
        let get = |m: &str| {
            lines
                .iter()
                .find(|((tt, _, mm), _)| tt == *t && mm == m)
                .map(|x| x.1)
        };
        let (Some(lv), Some(kl)) = (get("lv"), get("re")) else {
            continue;
        };
        let shown = |v: &[Option<f64>]| {
            let f: Vec<f64> = v.iter().flatten().copied().collect();
            let k = v.len() - f.len();
            match k {
                0 => mean_pm(&f),
                _ => format!("{} ({k} diverged)", mean_pm(&f)),
            }
        };
        if t.ends_with(":gmm9") || t.ends_with(":manywell") {
            let (x, init) = seeds(lv, "ess", 1.0);
            let (y, _) = seeds(kl, "ess", 5.0);
            if !x.is_empty() && !y.is_empty() {
                let j = rules::better_than_anchor(
                    &x,
                    &y,
                    (&init, "the initial model"),
                    true,
                    ("LV", "5 × KL"),
                );
                rows.push((CLAIMS[0], t, j, shown(&x), shown(&seeds(kl, "ess", 1.0).0)));
            }
        }
        if !t.ends_with(":funnel") {
            let (x, init) = seeds(lv, "abs_dlogz_elbo", 1.0);
            let (y, _) = seeds(kl, "abs_dlogz_elbo", 1.0);
            if !x.is_empty() && !y.is_empty() {
                let j = rules::better_than_anchor(
                    &x,
                    &y,
                    (&init, "the initial model"),
                    false,
                    ("LV", "KL"),
                );
                rows.push((CLAIMS[1], t, j, shown(&x), shown(&y)));
            }
        }
        let (x, _) = seeds(lv, "sec_per_it", 1.0);
        let (y, _) = seeds(kl, "sec_per_it", 1.0);
        let ky: Vec<f64> = y.iter().flatten().copied().collect();
        if !x.is_empty() && !ky.is_empty() {
            let goal = 1.1 * rules::mean_sd(&ky).0;
            let j = rules::threshold(&x, goal, false, "LV's s/it (goal 1.1 × KL's mean)");
            rows.push((CLAIMS[2], t, j, shown(&x), shown(&y)));
        }
    }
    if rows.is_empty() {
        md.push_str("No claim can be judged here: the runs of both losses are missing.\n\n");
        return md;
    }
    for (claim, t, j, lv, kl) in &rows {
        b.push_record([
            claim.to_string(),
            t.to_string(),
            lv.clone(),
            kl.clone(),
            j.text(),
        ]);
    }
    let _ = writeln!(md, "{CRITERIA}\n\n{}\n", b.build().with(Style::markdown()));
    for (n, claim) in CLAIMS.into_iter().enumerate() {
        let pts: Vec<Judged> = rows
            .iter()
            .filter(|r| r.0 == claim)
            .map(|r| r.2.clone())
            .collect();
        if !pts.is_empty() {
            let all = rules::combine(&pts);
            let ours: Vec<String> = rows
                .iter()
                .filter(|r| r.0 == claim)
                .map(|r| format!("{}: LV {}, KL {}", r.1, r.3, r.4))
                .collect();
            md.push_str(&record::claim_line(
                &format!("lv-table-{}", n + 1),
                "",
                &ours.join("; "),
                &all,
            ));
            let _ = writeln!(md, "- {claim}: {} ({})", all.verdict.label(), all.reason);
        }
    }
    md.push('\n');
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(col: &'static str, vals: &[f64], initial: &[f64]) -> Line {
        let mut l = Line {
            seeds: vals.len(),
            ..Default::default()
        };
        l.values.insert(col, vals.to_vec());
        l.initial.insert(col, initial.to_vec());
        l
    }

    fn verdict_of(md: &str, claim: &str) -> String {
        md.lines()
            .find(|l| l.starts_with(&format!("- {claim}")))
            .unwrap_or_else(|| panic!("no {claim} in {md}"))
            .to_string()
    }

    fn table(
        col: &'static str,
        lv: &[f64],
        kl: &[f64],
        init: &[f64],
    ) -> BTreeMap<(String, usize, String), Line> {
        let mut m = BTreeMap::new();
        m.insert(
            ("pis:gmm9".to_string(), 2, "lv".to_string()),
            line(col, lv, init),
        );
        m.insert(
            ("pis:gmm9".to_string(), 2, "re".to_string()),
            line(col, kl, init),
        );
        m
    }

    #[test]
    fn ess_needs_five_times_kl_beyond_the_noise() {
        let init = [0.01, 0.012, 0.011];
        let pass = claims(&table("ess", &[0.9, 0.92, 0.91], &[0.1, 0.11, 0.09], &init));
        assert!(
            verdict_of(&pass, "LV's ESS").contains("**holds**"),
            "{pass}"
        );
        let fail = claims(&table("ess", &[0.3, 0.31, 0.29], &[0.1, 0.11, 0.09], &init));
        assert!(
            verdict_of(&fail, "LV's ESS").contains("**does not hold**"),
            "{fail}"
        );
        let tie = claims(&table("ess", &[0.45, 0.55, 0.5], &[0.1, 0.09, 0.11], &init));
        assert!(
            verdict_of(&tie, "LV's ESS").contains("**inconclusive**"),
            "{tie}"
        );
        // Two seeds (the cpu profile): at most inconclusive.
        let two = claims(&table("ess", &[0.9, 0.92], &[0.1, 0.11], &init));
        assert!(
            verdict_of(&two, "LV's ESS").contains("**inconclusive**"),
            "{two}"
        );
    }

    #[test]
    fn cost_is_read_as_not_more_expensive() {
        // LV at half KL's cost is the paper's point, not a failure.
        let cheaper = claims(&table(
            "sec_per_it",
            &[0.10, 0.11, 0.12],
            &[0.20, 0.21, 0.22],
            &[],
        ));
        assert!(
            verdict_of(&cheaper, "LV's s/it").contains("**holds**"),
            "{cheaper}"
        );
        let dearer = claims(&table(
            "sec_per_it",
            &[0.40, 0.41, 0.42],
            &[0.20, 0.21, 0.22],
            &[],
        ));
        assert!(
            verdict_of(&dearer, "LV's s/it").contains("**does not hold**"),
            "{dearer}"
        );
        let tie = claims(&table(
            "sec_per_it",
            &[0.18, 0.23, 0.28],
            &[0.20, 0.21, 0.22],
            &[],
        ));
        assert!(
            verdict_of(&tie, "LV's s/it").contains("**inconclusive**"),
            "{tie}"
        );
    }

    #[test]
    fn log_z_is_anchored_on_the_initial_model() {
        let init = [1.0, 1.05, 0.95];
        let pass = claims(&table(
            "abs_dlogz_elbo",
            &[0.1, 0.11, 0.12],
            &[0.5, 0.52, 0.51],
            &init,
        ));
        assert!(
            verdict_of(&pass, "LV's abs").contains("**holds**"),
            "{pass}"
        );
        // Both worse than the initial model: no method learns.
        let worse = claims(&table(
            "abs_dlogz_elbo",
            &[2.0, 2.1, 2.2],
            &[3.0, 3.1, 3.2],
            &init,
        ));
        assert!(
            verdict_of(&worse, "LV's abs").contains("**does not hold**"),
            "{worse}"
        );
        let tie = claims(&table(
            "abs_dlogz_elbo",
            &[0.1, 0.2, 0.3],
            &[0.12, 0.19, 0.29],
            &init,
        ));
        assert!(
            verdict_of(&tie, "LV's abs").contains("**inconclusive**"),
            "{tie}"
        );
    }
}
