//! The claims of App. G.3 (Fig. 11), judged by the rules of [`crate::rules`] on the control L2
//! error e of every seed: "initial" is the evaluation of u_0 = 0 at step 0 (`eval_at_start`),
//! "final" the smoothed value at the last evaluation, r = final/initial. Best of run (the
//! paper's protocol) is shown beside it, never judged: it can fall below the exact optimum.
//!
//! 1. d ≤ 10, "both perform comparably, TR-SOCM significantly better sample efficiency":
//!    TR-SOCM improves on u = 0; the final means within a factor 2 of each other (or both below
//!    5 % of the initial error); TR-SOCM reaches 1.5 × the larger final mean in fewer target
//!    evaluations (Welch; a seed that never reaches it fails).
//! 2. d ≥ 50, "SOCM deteriorates markedly while TR-SOCM continues to achieve low error":
//!    TR-SOCM's final error below SOCM's (anchored on u = 0), and SOCM's r at least twice its
//!    mean r at the smallest d of the problem (one-sided 95 % bound).
//! 3. Hard problem, "SOCM fails to meaningfully improve upon its initialisation, TR-SOCM
//!    demonstrates consistent error reduction": SOCM's r ≥ 0.5 and TR-SOCM's r ≤ 0.5 (one-sided
//!    95 % bounds).

use std::collections::BTreeMap;
use std::fmt::Write;

use tabled::builder::Builder;
use tabled::settings::Style;

use crate::load::Run;
use crate::markdown::{Context, Figure};
use crate::protocol::{running_mean, summarise_run};
use crate::record;
use crate::rules::{self, mean_pm, Judged, Verdict};
use crate::sections::by_panel_and_line;

const METRIC: &str = "control_l2";

/// One seed of one line: its initial and final error, best of run and target evaluations
/// until the smoothed error first reaches a threshold (set once both lines are known).
#[derive(Clone, Debug)]
struct Seed {
    initial: Option<f64>,
    last: f64,
    best: f64,
    run: usize,
}

/// The seeds of one line at one (target, d); `None` for a diverged seed.
struct Line<'a> {
    runs: Vec<&'a Run>,
    seeds: Vec<Option<Seed>>,
}

impl<'a> Line<'a> {
    fn new(runs: &[&'a Run]) -> Self {
        let seeds = runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if r.diverged() {
                    return None;
                }
                let s = summarise_run(r.series("step"), r.series(METRIC), METRIC)?;
                Some(Seed {
                    initial: r.initial(METRIC),
                    last: s.last,
                    best: s.best,
                    run: i,
                })
            })
            .collect();
        Line {
            runs: runs.to_vec(),
            seeds,
        }
    }
    fn last(&self) -> Vec<Option<f64>> {
        self.seeds
            .iter()
            .map(|s| s.as_ref().map(|s| s.last))
            .collect()
    }
    fn ratio(&self) -> Vec<Option<f64>> {
        self.seeds
            .iter()
            .map(|s| s.as_ref().and_then(|s| Some(s.last / s.initial?)))
            .collect()
    }
    fn initial(&self) -> Vec<f64> {
        self.seeds
            .iter()
            .flatten()
            .filter_map(|s| s.initial)
            .collect()
    }
    fn best(&self) -> Vec<f64> {
        self.seeds.iter().flatten().map(|s| s.best).collect()
    }
    fn mean_last(&self) -> Option<f64> {
        mean_of(&self.last())
    }
    /// Target evaluations until the smoothed error first falls to `threshold`, per seed
    /// (`None`: diverged or never reached).
    fn evals_below(&self, threshold: f64) -> Vec<Option<f64>> {
        self.seeds
            .iter()
            .map(|s| {
                let r = self.runs[s.as_ref()?.run];
                let sm = running_mean(r.series(METRIC), 5);
                let i = sm.iter().position(|v| *v <= threshold)?;
                r.series("target_evals").get(i).copied()
            })
            .collect()
    }
}

fn mean_of(v: &[Option<f64>]) -> Option<f64> {
    let v: Vec<f64> = v.iter().flatten().copied().collect();
    (!v.is_empty()).then(|| rules::mean_sd(&v).0)
}

/// Claim 1 at one d ≤ 10.
fn comparable_and_faster(s: &Line, t: &Line) -> Judged {
    let init: Vec<Option<f64>> = s.initial().into_iter().map(Some).collect();
    let anchor = rules::compare(&t.last(), &init, false, ("TR-SOCM", "u = 0"));
    let (Some(a), Some(b)) = (s.mean_last(), t.mean_last()) else {
        return Judged::new(Verdict::CannotJudge, "no finished seeds of one method");
    };
    let i0 = mean_of(&init).unwrap_or(f64::INFINITY);
    let (hi, lo) = (a.max(b), a.min(b));
    let comparable = if hi <= 2.0 * lo || hi <= 0.05 * i0 {
        Judged::new(
            Verdict::Holds,
            format!("final means {a:.4} (SOCM) and {b:.4} (TR-SOCM) are comparable"),
        )
    } else {
        Judged::new(
            Verdict::DoesNotHold,
            format!(
                "final means {a:.4} (SOCM) and {b:.4} (TR-SOCM) differ by {:.1}×",
                hi / lo
            ),
        )
    };
    let th = 1.5 * hi;
    let faster = rules::compare(
        &t.evals_below(th),
        &s.evals_below(th),
        false,
        (
            "TR-SOCM's target evaluations to 1.5 × the larger final",
            "SOCM's",
        ),
    );
    rules::all_of(&[anchor, comparable, faster])
}

/// Claim 2 at one d ≥ 50: `r0` is SOCM's mean r at the smallest d.
fn socm_deteriorates(s: &Line, t: &Line, r0: Option<f64>) -> Judged {
    let keeps = rules::better(
        &t.last(),
        &s.last(),
        &s.initial(),
        false,
        ("TR-SOCM", "SOCM"),
    );
    let det = match r0 {
        Some(r0) => rules::threshold(
            &s.ratio(),
            2.0 * r0,
            true,
            &format!("SOCM's r (its r at the smallest d: {r0:.4})"),
        ),
        None => Judged::new(Verdict::CannotJudge, "no SOCM runs at a smaller d"),
    };
    rules::all_of(&[keeps, det])
}

/// Claim 3 at one d of the hard problem.
fn hard(s: &Line, t: &Line) -> Judged {
    rules::all_of(&[
        rules::threshold(&s.ratio(), 0.5, true, "SOCM's r"),
        rules::threshold(&t.ratio(), 0.5, false, "TR-SOCM's r"),
    ])
}

/// The claims table and verdicts.
pub fn lqr_claims(_ctx: &Context, runs: &[Run]) -> (String, Vec<Figure>) {
    let groups = by_panel_and_line(runs);
    let mut md = String::from(
        "## the paper's claims (App. G.3), checked\n\nControl L2 error per seed: initial = u₀ = 0 \
         at step 0, final = smoothed value (running mean of 5) at the last evaluation, r = \
         final/initial; judged on the final values, mean ± std over seeds, by the rules of every \
         report (Welch and one-sided 95 % bounds at 5 %, at least 3 seeds, a diverged seed \
         fails). Best of run (the paper's protocol) is shown, not judged. Criteria: (1) d ≤ 10: \
         TR-SOCM below u = 0, final means within a factor 2 (or both below 5 % of the initial \
         error), and TR-SOCM reaches 1.5 × the larger final mean in fewer target evaluations \
         (Welch); (2) d ≥ 50: TR-SOCM's final below SOCM's beyond the noise (anchored on u = 0) \
         and SOCM's r at least twice its mean r at the smallest d; (3) hard problem: SOCM's r ≥ \
         0.5 and TR-SOCM's r ≤ 0.5.\n\n",
    );
    let mut b = Builder::default();
    b.push_record([
        "problem",
        "d",
        "u = 0",
        "SOCM final (r)",
        "TR-SOCM final (r)",
        "best of run: SOCM / TR-SOCM",
        "verdict at this d",
    ]);
    let fmt = |l: &Line| {
        let r: Vec<f64> = l.ratio().into_iter().flatten().collect();
        let last: Vec<f64> = l.last().into_iter().flatten().collect();
        let div = l.seeds.iter().filter(|s| s.is_none()).count();
        let div = if div > 0 {
            format!(", {div} diverged")
        } else {
            String::new()
        };
        match r.is_empty() {
            true => format!("{}{div}", mean_pm(&last)),
            false => format!("{} (r {}){div}", mean_pm(&last), mean_pm(&r)),
        }
    };
    let (mut c1, mut c2, mut c3) = (vec![], vec![], vec![]);
    // SOCM's mean r at the smallest d of each problem.
    let mut r0: BTreeMap<String, f64> = BTreeMap::new();
    for ((target, dim), lines) in &groups {
        let find = |m: &str| {
            lines
                .iter()
                .find(|((a, _), _)| a == m)
                .map(|(_, rs)| Line::new(rs))
        };
        let (Some(s), Some(t)) = (find("socm"), find("tr-socm")) else {
            continue;
        };
        let first_r = r0.get(target).copied();
        if first_r.is_none() {
            if let Some(r) = mean_of(&s.ratio()) {
                r0.insert(target.clone(), r);
            }
        }
        let at = format!("{target} d = {dim}");
        let mut here = Vec::new();
        if *dim <= 10 {
            let j = comparable_and_faster(&s, &t);
            here.push(format!("(1) {}", j.verdict.label()));
            c1.push((at.clone(), j));
        }
        if *dim >= 50 {
            let j = socm_deteriorates(&s, &t, first_r);
            here.push(format!("(2) {}", j.verdict.label()));
            c2.push((at.clone(), j));
        }
        if target.starts_with("ou-hard") {
            let j = hard(&s, &t);
            here.push(format!("(3) {}", j.verdict.label()));
            c3.push((at.clone(), j));
        }
        b.push_record([
            target.clone(),
            dim.to_string(),
            mean_pm(&s.initial()),
            fmt(&s),
            fmt(&t),
            format!("{} / {}", mean_pm(&s.best()), mean_pm(&t.best())),
            here.join(", "),
        ]);
    }
    let _ = writeln!(md, "{}\n", b.build().with(Style::markdown()));
    let claims = [
        ("d ≤ 10, comparable and TR-SOCM more sample-efficient", c1),
        ("d ≥ 50, SOCM deteriorates while TR-SOCM keeps a low error", c2),
        (
            "hard problem, SOCM fails to improve on its initialisation while TR-SOCM reduces the error",
            c3,
        ),
    ];
    for (i, (claim, points)) in claims.into_iter().enumerate() {
        if points.is_empty() {
            let none = Judged::new(Verdict::CannotJudge, "no runs of both methods at these d");
            md.push_str(&record::claim_line(
                &format!("fig11-{}", i + 1),
                "",
                "–",
                &none,
            ));
            let _ = writeln!(
                md,
                "{}. {claim}: cannot be judged here: no runs of both methods at these d\n",
                i + 1
            );
            continue;
        }
        md.push_str(&record::claim_block(
            i + 1,
            &format!("fig11-{}", i + 1),
            claim,
            &points,
        ));
    }
    (md, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Run as TestRun;

    fn ctx_report(runs: &[Run]) -> String {
        let ctx = crate::markdown::test_context(&[]);
        lqr_claims(&ctx, runs).0
    }

    /// A run whose control L2 error is `l2` at steps 0, 1, … (10 target evaluations per step).
    fn run(target: &str, dim: usize, method: &str, l2: &[f64]) -> Run {
        let steps: Vec<f64> = (0..l2.len()).map(|i| i as f64).collect();
        let evals: Vec<f64> = steps.iter().map(|s| s * 10.0).collect();
        TestRun::in_memory(
            target,
            dim,
            method,
            "finished",
            &[
                ("step", &steps),
                ("control_l2", l2),
                ("target_evals", &evals),
            ],
        )
    }

    /// Three seeds of one line: `l2` scaled by 1, 1.02 and 0.97.
    fn seeds(target: &str, dim: usize, method: &str, l2: &[f64]) -> Vec<Run> {
        [1.0, 1.02, 0.97]
            .iter()
            .map(|k| {
                let v: Vec<f64> = l2.iter().map(|x| x * k).collect();
                run(target, dim, method, &v)
            })
            .collect()
    }

    fn claim_line(md: &str, n: usize) -> &str {
        md.lines()
            .find(|l| l.starts_with(&format!("{n}. ")))
            .unwrap_or_else(|| panic!("no claim {n} in {md}"))
    }

    /// Three seeds each of SOCM and TR-SOCM on ou-hard d = 100, from u = 0's 50 to a plateau.
    fn at_d100(socm: f64, tr_socm: f64) -> Vec<Run> {
        let curve = |v: f64| [50.0, v, v, v, v, v, v, v];
        let mut r = seeds("ou-hard", 100, "socm", &curve(socm));
        r.extend(seeds("ou-hard", 100, "tr-socm", &curve(tr_socm)));
        r
    }

    const FLAT: [f64; 12] = [1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
    const SLOW: [f64; 12] = [1.0, 0.9, 0.8, 0.6, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];

    #[test]
    fn the_papers_picture_holds_and_each_criterion_can_fail() {
        // d = 2: TR-SOCM converges at once, SOCM later, to the same error; d = 100: SOCM stalls
        // near its initial error (r 0.8 against 0.1 at d = 2), TR-SOCM does not.
        let mut runs = seeds("ou-hard", 2, "socm", &SLOW);
        runs.extend(seeds("ou-hard", 2, "tr-socm", &FLAT));
        runs.extend(at_d100(40.0, 2.0));
        let md = ctx_report(&runs);
        assert!(claim_line(&md, 1).contains("**holds**"), "{md}");
        assert!(claim_line(&md, 2).contains("**holds**"), "{md}");
        // Claim 3 holds at d = 100, not at d = 2 (SOCM halves its error there).
        assert!(
            claim_line(&md, 3).contains("**holds partly** (1 of 2 points)"),
            "{md}"
        );

        // Fails: SOCM is the faster one at d = 2.
        let mut swapped = seeds("ou-hard", 2, "socm", &FLAT);
        swapped.extend(seeds("ou-hard", 2, "tr-socm", &SLOW));
        let md = ctx_report(&swapped);
        assert!(claim_line(&md, 1).contains("**does not hold**"), "{md}");

        // Fails: SOCM's relative error at d = 100 is its d = 2 one (no deterioration), although
        // TR-SOCM is better there.
        let mut same = seeds("ou-hard", 2, "socm", &FLAT);
        same.extend(seeds("ou-hard", 2, "tr-socm", &FLAT));
        same.extend(at_d100(5.0, 2.0));
        let md = ctx_report(&same);
        assert!(claim_line(&md, 2).contains("**does not hold**"), "{md}");

        // A tie: identical curves at d = 2 are comparable, but neither is faster.
        let mut tie = seeds("ou-hard", 2, "socm", &SLOW);
        tie.extend(seeds("ou-hard", 2, "tr-socm", &SLOW));
        let md = ctx_report(&tie);
        assert!(claim_line(&md, 1).contains("**inconclusive**"), "{md}");

        // One seed: at most inconclusive, and no "± 0.000".
        let one = vec![
            run(
                "ou-hard",
                100,
                "socm",
                &[50.0, 45.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0],
            ),
            run(
                "ou-hard",
                100,
                "tr-socm",
                &[50.0, 5.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
            ),
        ];
        let md = ctx_report(&one);
        assert!(claim_line(&md, 3).contains("**inconclusive**"), "{md}");
        assert!(!md.contains("± 0.000"), "{md}");

        // Without SOCM runs nothing can be judged.
        let md = ctx_report(&runs[3..6]);
        assert!(claim_line(&md, 1).contains("cannot be judged"), "{md}");
    }
}
