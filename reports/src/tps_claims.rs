//! Table 1's claims (Sec. 3.2 of the trust-region paper), judged on the TPS runs.

use std::fmt::Write as _;

use crate::record;
use crate::rules;
use crate::tps::TpsRun;

/// The paper's numbers the claims quote for one system (Table 1's rows of TR-LV and TPS-DPS),
/// and the catalogue ids' prefix (`table1-` for alanine dipeptide, `table1-chignolin-`).
pub struct PaperRows {
    pub id_prefix: String,
    /// THP (%) and RMSD (Å) as (mean, std), TR-LV's then TPS-DPS's; None if not in the table.
    pub thp: Option<[(f64, f64); 2]>,
    pub rmsd: Option<[(f64, f64); 2]>,
}

impl PaperRows {
    fn thp_text(&self) -> String {
        match self.thp {
            Some([a, b]) => format!(
                "THP {:.2} ± {:.2} % against {:.2} ± {:.2} %",
                a.0, a.1, b.0, b.1
            ),
            None => "THP not in the paper's table".into(),
        }
    }
    fn rmsd_text(&self) -> String {
        match self.rmsd {
            Some([a, b]) => {
                format!(
                    "RMSD {:.2} ± {:.2} Å against {:.2} ± {:.2} Å",
                    a.0, a.1, b.0, b.1
                )
            }
            None => "RMSD not in the paper's table".into(),
        }
    }
    fn spread_text(&self) -> String {
        match self.thp {
            Some([a, b]) => format!("THP std {:.2} against {:.2} points", a.1, b.1),
            None => "THP std not in the paper's table".into(),
        }
    }
}

/// The paper's three claims (Sec. 3.2), judged by [`crate::rules`] on every seed's final
/// model, with u = 0 (plain MD at the reference temperature) as the absolute anchor:
/// 1. THP: TR-LV above TPS-DPS (Welch), and above u = 0;
/// 2. RMSD: TR-LV below TPS-DPS (Welch), and below u = 0;
/// 3. consistency: TR-LV's THP varies less over seeds than TPS-DPS's (F-test; RMSD where
///    neither THP varies), and TR-LV's RMSD is below u = 0's.
pub fn claims(
    arms: &[(String, String, Option<String>)],
    rmsd_unit: &str,
    runs: &[TpsRun],
    paper: &PaperRows,
) -> String {
    let arms_of = |row: &str| -> Vec<(String, String)> {
        arms.iter()
            .filter(|(_, _, p)| p.as_deref() == Some(row))
            .map(|(a, l, _)| (a.clone(), l.clone()))
            .collect()
    };
    let mut md = String::from(
        "\n## The paper's claims\n\nJudged by the rules of every report on each seed's final \
         model (Welch's test and the F-test at 5 %, at least 3 seeds, a diverged seed fails), \
         with u = 0 (plain MD at the reference temperature) as the absolute anchor. Criteria: \
         (1) TR-LV's THP above TPS-DPS's and above u = 0's; (2) TR-LV's RMSD below TPS-DPS's and \
         below u = 0's; (3) TR-LV's THP varies less over seeds than TPS-DPS's (F-test of the \
         variances; RMSD where neither THP varies) and its RMSD is below u = 0's.\n\n",
    );
    let (dps, trs) = (arms_of("TPS-DPS"), arms_of("TR-LV"));
    let (Some((dps, dps_label)), false) = (dps.first().cloned(), trs.is_empty()) else {
        md.push_str("This profile runs no TPS-DPS/TR-LV pair: the claims cannot be judged here.\n");
        return md;
    };
    // Per seed: the value of a finished run, None for a diverged one.
    let vals = |arm: &str, f: &dyn Fn(&TpsRun) -> f64| -> Vec<Option<f64>> {
        let mut rs: Vec<&TpsRun> = runs.iter().filter(|r| r.arm == arm).collect();
        rs.sort_by_key(|r| r.seed);
        rs.iter()
            .map(|r| (r.status == "finished").then(|| f(r)))
            .collect()
    };
    let anchor_arm = arms
        .iter()
        .find(|(_, l, _)| l.starts_with("u = 0"))
        .map(|(a, _, _)| a.clone());
    let anchor = |f: &dyn Fn(&TpsRun) -> f64| -> Vec<f64> {
        anchor_arm
            .as_ref()
            .map(|a| vals(a, f).into_iter().flatten().collect())
            .unwrap_or_default()
    };
    let thp = |r: &TpsRun| r.thp();
    let rmsd = |r: &TpsRun| r.rmsd_mean();
    let unit = if rmsd_unit.is_empty() {
        String::new()
    } else {
        format!(" (RMSD in {})", rmsd_unit)
    };
    for (tr, tr_label) in trs {
        let names = (tr_label.as_str(), dps_label.as_str());
        let c1 = rules::better(
            &vals(&tr, &thp),
            &vals(&dps, &thp),
            &anchor(&thp),
            true,
            names,
        );
        let c2 = rules::better(
            &vals(&tr, &rmsd),
            &vals(&dps, &rmsd),
            &anchor(&rmsd),
            false,
            names,
        );
        let spread = |v: &[Option<f64>]| {
            let f: Vec<f64> = v.iter().flatten().copied().collect();
            rules::mean_sd(&f).1
        };
        let (t_tr, t_dps) = (vals(&tr, &thp), vals(&dps, &thp));
        let on_thp = spread(&t_tr) > 0.0 || spread(&t_dps) > 0.0;
        let (x, y) = if on_thp {
            (t_tr, t_dps)
        } else {
            (vals(&tr, &rmsd), vals(&dps, &rmsd))
        };
        let u0: Vec<Option<f64>> = anchor(&rmsd).into_iter().map(Some).collect();
        let c3 = rules::all_of(&[
            rules::compare(
                &vals(&tr, &rmsd),
                &u0,
                false,
                (&format!("{tr_label}'s RMSD"), "u = 0's"),
            ),
            rules::less_spread(&x, &y, names),
        ]);
        let ours = |f: &dyn Fn(&TpsRun) -> f64| -> String {
            let v: Vec<f64> = vals(&tr, f).into_iter().flatten().collect();
            rules::mean_pm(&v)
        };
        for (n, (j, what)) in [
            (&c1, format!("THP {} %", ours(&thp))),
            (&c2, format!("RMSD {}", ours(&rmsd))),
            (&c3, String::new()),
        ]
        .into_iter()
        .enumerate()
        {
            md.push_str(&record::claim_line(
                &format!("{}{}", paper.id_prefix, n + 1),
                &tr_label,
                &what,
                j,
            ));
        }
        let _ = writeln!(
            md,
            "**{tr_label} against {dps_label}**{unit}:\n\n\
             1. TR-LV hits the target more often (paper: {}): {}\n\
             2. TR-LV ends closer to the target (paper: {}): {}\n\
             3. TR-LV is more consistent across seeds (paper: {}), judged on {}: {}\n",
            paper.thp_text(),
            c1.text(),
            paper.rmsd_text(),
            c2.text(),
            paper.spread_text(),
            if on_thp {
                "THP"
            } else {
                "RMSD, THP not varying in either"
            },
            c3.text()
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arms() -> Vec<(String, String, Option<String>)> {
        [
            ("md", "u = 0 (MD, 300 K)", None),
            ("tps-dps", "TPS-DPS", Some("TPS-DPS")),
            ("tr-lv", "TR-LV", Some("TR-LV")),
        ]
        .iter()
        .map(|(a, l, p)| (a.to_string(), l.to_string(), p.map(str::to_string)))
        .collect()
    }

    /// A finished run of `arm` whose paths hit the target `hits` times out of 100 and end at
    /// `rmsd` from it.
    fn run(arm: &str, seed: u64, hits: usize, rmsd: f64) -> TpsRun {
        TpsRun {
            arm: arm.into(),
            label: arm.into(),
            paper: None,
            seed,
            status: "finished".into(),
            message: None,
            commit: String::new(),
            wall_s: 0.0,
            energy_evals: 0,
            rmsd: vec![rmsd; 100],
            hit: (0..100).map(|i| i < hits).collect(),
            max_energy: vec![0.0; 100],
            hit_last: vec![false; 100],
            history: Default::default(),
            paths: Vec::new(),
        }
    }

    /// Three seeds per arm: (hits, rmsd) per seed.
    fn runs(md: [(usize, f64); 3], dps: [(usize, f64); 3], tr: [(usize, f64); 3]) -> Vec<TpsRun> {
        let mut v = Vec::new();
        for (arm, seeds) in [("md", md), ("tps-dps", dps), ("tr-lv", tr)] {
            for (s, (h, r)) in seeds.iter().enumerate() {
                v.push(run(arm, s as u64, *h, *r));
            }
        }
        v
    }

    fn claim(md: &str, n: usize) -> &str {
        md.lines()
            .find(|l| l.starts_with(&format!("{n}. ")))
            .unwrap_or_else(|| panic!("no claim {n} in {md}"))
    }

    fn alanine() -> PaperRows {
        PaperRows {
            id_prefix: "table1-".into(),
            thp: Some([(61.25, 4.05), (39.58, 28.13)]),
            rmsd: Some([(0.29, 0.03), (0.47, 0.18)]),
        }
    }

    const MD: [(usize, f64); 3] = [(0, 1.6), (0, 1.7), (0, 1.65)];

    #[test]
    fn the_papers_table_holds() {
        // TR-LV clearly ahead of TPS-DPS on THP and RMSD: claims 1 and 2 hold.
        let md = claims(
            &arms(),
            "Å",
            &runs(
                MD,
                [(30, 0.5), (40, 0.45), (35, 0.55)],
                [(60, 0.29), (65, 0.28), (58, 0.30)],
            ),
            &alanine(),
        );
        assert!(claim(&md, 1).contains("**holds**"), "{md}");
        assert!(claim(&md, 2).contains("**holds**"), "{md}");
        // The paper's spreads (TPS-DPS's THP std 28 points): its own mean gap on THP is within
        // 3 seeds' noise, but the spreads differ beyond the F-test's 5 % point.
        let md = claims(
            &arms(),
            "Å",
            &runs(
                MD,
                [(10, 0.8), (70, 0.3), (40, 0.5)],
                [(60, 0.29), (61, 0.28), (62, 0.30)],
            ),
            &alanine(),
        );
        assert!(claim(&md, 1).contains("**inconclusive**"), "{md}");
        assert!(claim(&md, 3).contains("**holds**"), "{md}");
    }

    #[test]
    fn each_claim_can_fail_and_tie() {
        // TPS-DPS clearly better: claims 1 and 2 fail.
        let md = claims(
            &arms(),
            "Å",
            &runs(
                MD,
                [(60, 0.29), (65, 0.28), (58, 0.30)],
                [(10, 0.9), (12, 0.8), (11, 0.85)],
            ),
            &alanine(),
        );
        assert!(claim(&md, 1).contains("**does not hold**"), "{md}");
        assert!(claim(&md, 2).contains("**does not hold**"), "{md}");
        // Nobody hits the target (THP 0 everywhere, as u = 0): claim 1 does not hold; consistency
        // is judged on RMSD, and a 0.001 win (TPS-DPS against itself) is a tie, not a pass.
        let same = [(0, 1.0), (0, 1.2), (0, 1.4)];
        let md = claims(
            &arms(),
            "Å",
            &runs(MD, same, [(0, 1.0), (0, 1.2), (0, 1.399)]),
            &alanine(),
        );
        assert!(claim(&md, 1).contains("**does not hold**"), "{md}");
        assert!(claim(&md, 2).contains("**inconclusive**"), "{md}");
        assert!(
            claim(&md, 3).contains("RMSD") && claim(&md, 3).contains("**inconclusive**"),
            "{md}"
        );
        // One seed: inconclusive, never "± 0.000".
        let one: Vec<TpsRun> = runs(MD, [(10, 0.8); 3], [(60, 0.29); 3])
            .into_iter()
            .filter(|r| r.seed == 0)
            .collect();
        let md = claims(&arms(), "Å", &one, &alanine());
        assert!(claim(&md, 2).contains("**inconclusive**"), "{md}");
        assert!(!md.contains("± 0.000"), "{md}");
    }
}
