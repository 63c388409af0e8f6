//! The verdict rules of every report (issue 40): a claim is judged "holds", "holds partly" (k of
//! n points), "does not hold", "inconclusive" or "cannot be judged here", always with its reason.
//!
//! - A point is judged on the seeds' values of one line (the last smoothed value); a diverged
//!   seed is `None` and counts as a failure of the claim, never dropped.
//! - Fewer than [`MIN_SEEDS`] finished seeds give at most "inconclusive".
//! - A threshold claim holds when the one-sided 95 % interval of the seeds' mean lies on the
//!   claim's side of the goal, and does not hold when it lies on the other side.
//! - A comparative claim ("X better than Y") needs an absolute anchor, X better than u = 0 (the
//!   step-0 evaluation of every run), and a difference beyond the seeds' noise: Welch's
//!   one-sided t-test at [`LEVEL`]. Without the anchor it does not hold ("X does not improve on
//!   u = 0"), within the noise it is inconclusive.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Seeds a verdict other than "inconclusive" needs.
pub const MIN_SEEDS: usize = 3;
/// One-sided significance level of the tests.
pub const LEVEL: f64 = 0.05;

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Holds,
    /// `held` of `of` points hold.
    Partly {
        held: usize,
        of: usize,
    },
    DoesNotHold,
    Inconclusive,
    CannotJudge,
}

impl Verdict {
    pub fn label(&self) -> String {
        match self {
            Verdict::Holds => "**holds**".into(),
            Verdict::Partly { held, of } => format!("**holds partly** ({held} of {of} points)"),
            Verdict::DoesNotHold => "**does not hold**".into(),
            Verdict::Inconclusive => "**inconclusive**".into(),
            Verdict::CannotJudge => "cannot be judged here".into(),
        }
    }
}

/// A verdict and its reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    pub verdict: Verdict,
    pub reason: String,
}

impl Judged {
    fn new(verdict: Verdict, reason: impl Into<String>) -> Self {
        Judged {
            verdict,
            reason: reason.into(),
        }
    }
    /// "verdict: reason".
    pub fn text(&self) -> String {
        format!("{}: {}", self.verdict.label(), self.reason)
    }
}

/// Mean and sample standard deviation (0 for one value).
fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 {
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, var.sqrt())
}

/// "m ± s" over seeds, "v (1 seed)" for one, "–" for none: never "± 0.000" for one seed.
pub fn mean_pm(v: &[f64]) -> String {
    match v.len() {
        0 => "–".into(),
        1 => format!("{:.3} (1 seed)", v[0]),
        _ => {
            let (m, s) = mean_sd(v);
            format!("{m:.3} ± {s:.3}")
        }
    }
}

/// The one-sided p-value of Welch's test that `a`'s mean is below `b`'s (the smaller, the
/// stronger the evidence); `None` with fewer than two values on a side. Equal means with no
/// spread give 0.5 (a tie), different means with no spread 0 or 1.
pub fn welch_below(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let ((ma, sa), (mb, sb)) = (mean_sd(a), mean_sd(b));
    let (va, vb) = (sa * sa / a.len() as f64, sb * sb / b.len() as f64);
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some(if ma < mb {
            0.0
        } else if ma > mb {
            1.0
        } else {
            0.5
        });
    }
    let df = (va + vb).powi(2)
        / (va * va / (a.len() as f64 - 1.0) + vb * vb / (b.len() as f64 - 1.0)).max(1e-300);
    let t = (ma - mb) / se;
    let dist = StudentsT::new(0.0, 1.0, df.max(1.0)).ok()?;
    Some(dist.cdf(t))
}

/// The finished values, or the reason the point fails or cannot be judged: no runs, diverged
/// seeds (failures), or too few seeds (inconclusive).
fn finished(vals: &[Option<f64>], what: &str) -> Result<Vec<f64>, Judged> {
    if vals.is_empty() {
        return Err(Judged::new(
            Verdict::CannotJudge,
            format!("no runs of {what}"),
        ));
    }
    let done: Vec<f64> = vals.iter().flatten().copied().collect();
    let diverged = vals.len() - done.len();
    if diverged > 0 {
        return Err(Judged::new(
            Verdict::DoesNotHold,
            format!("{diverged} of {} seeds of {what} diverged", vals.len()),
        ));
    }
    if done.len() < MIN_SEEDS {
        return Err(Judged::new(
            Verdict::Inconclusive,
            format!(
                "{} seed(s) of {what} ({}); {MIN_SEEDS} are needed",
                done.len(),
                mean_pm(&done)
            ),
        ));
    }
    Ok(done)
}

/// "value ≤ goal" (≥ with `higher`) over the seeds of one line.
pub fn threshold(vals: &[Option<f64>], goal: f64, higher: bool, what: &str) -> Judged {
    let v = match finished(vals, what) {
        Ok(v) => v,
        Err(j) => return j,
    };
    let (m, s) = mean_sd(&v);
    let n = v.len() as f64;
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .map(|d| d.inverse_cdf(1.0 - LEVEL))
        .unwrap_or(f64::INFINITY);
    let half = t * s / n.sqrt();
    let (lo, hi) = (m - half, m + half);
    let (cmp, ok, bad) = if higher {
        ("≥", lo >= goal, hi < goal)
    } else {
        ("≤", hi <= goal, lo > goal)
    };
    let stats = format!(
        "{what} {} (one-sided 95 % bound {:.3})",
        mean_pm(&v),
        if higher { lo } else { hi }
    );
    if ok {
        Judged::new(Verdict::Holds, format!("{stats} {cmp} {goal}"))
    } else if bad {
        Judged::new(
            Verdict::DoesNotHold,
            format!("{stats}: misses {cmp} {goal}"),
        )
    } else {
        Judged::new(
            Verdict::Inconclusive,
            format!("{stats}: {goal} is within the seeds' noise"),
        )
    }
}

/// "X better than Y" (lower is better unless `higher`), anchored on u = 0: `x` and `y` are the
/// lines' seeds (None: diverged), `anchor` the u = 0 values (the step-0 evaluations).
pub fn better(
    x: &[Option<f64>],
    y: &[Option<f64>],
    anchor: &[f64],
    higher: bool,
    (xn, yn): (&str, &str),
) -> Judged {
    let xv = match finished(x, xn) {
        Ok(v) => v,
        Err(j) => return j,
    };
    if y.is_empty() {
        return Judged::new(Verdict::CannotJudge, format!("no runs of {yn}"));
    }
    // Lower is better from here on.
    let flip = |v: &[f64]| -> Vec<f64> { v.iter().map(|x| if higher { -x } else { *x }).collect() };
    let (xs, anchor_s) = (flip(&xv), flip(anchor));
    match welch_below(&xs, &anchor_s) {
        None => {
            return Judged::new(
                Verdict::Inconclusive,
                format!(
                    "u = 0 has {} value(s): no anchor to test against",
                    anchor.len()
                ),
            )
        }
        Some(p) if p >= LEVEL => {
            let worse = mean_sd(&xs).0 >= mean_sd(&anchor_s).0;
            let why = format!(
                "{xn} {} against u = 0's {} (p = {p:.2})",
                mean_pm(&xv),
                mean_pm(anchor)
            );
            return if worse {
                Judged::new(
                    Verdict::DoesNotHold,
                    format!("{why}: {xn} does not improve on u = 0"),
                )
            } else {
                Judged::new(
                    Verdict::Inconclusive,
                    format!("{why}: the gain on u = 0 is within the seeds' noise"),
                )
            };
        }
        Some(_) => {}
    }
    let yv: Vec<f64> = y.iter().flatten().copied().collect();
    let y_div = y.len() - yv.len();
    if yv.is_empty() {
        return Judged::new(
            Verdict::Holds,
            format!(
                "{xn} {} improves on u = 0 ({}) and every seed of {yn} diverged",
                mean_pm(&xv),
                mean_pm(anchor)
            ),
        );
    }
    let div = if y_div > 0 {
        format!(" ({y_div} seed(s) of {yn} diverged)")
    } else {
        String::new()
    };
    let stats = format!("{xn} {} against {yn} {}{div}", mean_pm(&xv), mean_pm(&yv));
    let ys = flip(&yv);
    match (welch_below(&xs, &ys), welch_below(&ys, &xs)) {
        (Some(p), _) if p < LEVEL => Judged::new(
            Verdict::Holds,
            format!("{stats}, Welch p = {p:.3}; u = 0 {}", mean_pm(anchor)),
        ),
        (_, Some(q)) if q < LEVEL && y_div == 0 => Judged::new(
            Verdict::DoesNotHold,
            format!("{stats}: {yn} is better, Welch p = {q:.3}"),
        ),
        (Some(p), _) => Judged::new(
            Verdict::Inconclusive,
            format!("{stats}: within the seeds' noise (Welch p = {p:.2})"),
        ),
        (None, _) => Judged::new(
            Verdict::Inconclusive,
            format!("{stats}: {yn} has too few seeds to test"),
        ),
    }
}

/// The verdict of a claim over its points: every point holds → holds; none holds and every
/// judged one fails → does not hold; some hold → holds partly (k of n judged points); none
/// holds and some are inconclusive → inconclusive.
pub fn combine(points: &[Judged]) -> Judged {
    let judged: Vec<&Judged> = points
        .iter()
        .filter(|p| p.verdict != Verdict::CannotJudge)
        .collect();
    let count = |v: &Verdict| judged.iter().filter(|p| p.verdict == *v).count();
    let (held, failed, n) = (
        count(&Verdict::Holds),
        count(&Verdict::DoesNotHold),
        judged.len(),
    );
    let skipped = points.len() - n;
    let note = if skipped > 0 {
        format!("; {skipped} point(s) cannot be judged here")
    } else {
        String::new()
    };
    let verdict = if n == 0 {
        Verdict::CannotJudge
    } else if held == n {
        Verdict::Holds
    } else if held > 0 {
        Verdict::Partly { held, of: n }
    } else if failed == n {
        Verdict::DoesNotHold
    } else {
        Verdict::Inconclusive
    };
    let reason = format!(
        "{held} of {n} points hold, {failed} do not, {} inconclusive{note}",
        n - held - failed
    );
    Judged::new(verdict, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[f64]) -> Vec<Option<f64>> {
        v.iter().copied().map(Some).collect()
    }

    #[test]
    fn a_threshold_passes_fails_and_ties() {
        let pass = threshold(&s(&[0.10, 0.11, 0.12]), 0.15, false, "TR-LV");
        assert_eq!(pass.verdict, Verdict::Holds, "{}", pass.text());
        let fail = threshold(&s(&[0.50, 0.55, 0.60]), 0.15, false, "TR-LV");
        assert_eq!(fail.verdict, Verdict::DoesNotHold, "{}", fail.text());
        // A mean on the goal, with spread: inconclusive, not a pass by rounding.
        let tie = threshold(&s(&[0.10, 0.15, 0.20]), 0.15, false, "TR-LV");
        assert_eq!(tie.verdict, Verdict::Inconclusive, "{}", tie.text());
        // Higher is better: the sides swap.
        let ess = threshold(&s(&[0.9, 0.92, 0.95]), 0.5, true, "ESS");
        assert_eq!(ess.verdict, Verdict::Holds);
    }

    #[test]
    fn few_seeds_are_inconclusive_and_diverged_seeds_fail() {
        let one = threshold(&s(&[0.01]), 0.15, false, "TR-LV");
        assert_eq!(one.verdict, Verdict::Inconclusive);
        assert!(one.reason.contains("(1 seed)") && !one.reason.contains("± 0.000"));
        let div = threshold(&[Some(0.01), None, Some(0.02)], 0.15, false, "TR-LV");
        assert_eq!(div.verdict, Verdict::DoesNotHold, "{}", div.text());
        assert!(div.reason.contains("1 of 3 seeds"));
        assert_eq!(
            threshold(&[], 0.1, false, "x").verdict,
            Verdict::CannotJudge
        );
    }

    #[test]
    fn a_comparison_needs_the_u0_anchor_and_a_difference_beyond_noise() {
        let u0 = [0.35, 0.34, 0.36];
        let names = ("TR-LV", "LV");
        // Better than the others and than u = 0, clearly: holds.
        let pass = better(
            &s(&[0.20, 0.21, 0.19]),
            &s(&[0.60, 0.62, 0.61]),
            &u0,
            false,
            names,
        );
        assert_eq!(pass.verdict, Verdict::Holds, "{}", pass.text());
        // Better than the others but worse than u = 0 (fig2 cpu-long): no method learns.
        let worse = better(
            &s(&[0.70, 0.71, 0.72]),
            &s(&[0.86, 0.87, 0.86]),
            &u0,
            false,
            names,
        );
        assert_eq!(worse.verdict, Verdict::DoesNotHold, "{}", worse.text());
        assert!(worse.reason.contains("does not improve on u = 0"));
        // A tie at the one-component value (fig2 cpu's 0.867 against 0.867): inconclusive.
        let tie = better(
            &s(&[0.20, 0.25, 0.30]),
            &s(&[0.21, 0.26, 0.29]),
            &u0,
            false,
            names,
        );
        assert_eq!(tie.verdict, Verdict::Inconclusive, "{}", tie.text());
        // The other line clearly better: does not hold.
        let lose = better(
            &s(&[0.30, 0.31, 0.29]),
            &s(&[0.10, 0.11, 0.12]),
            &u0,
            false,
            names,
        );
        assert_eq!(lose.verdict, Verdict::DoesNotHold, "{}", lose.text());
        // Higher is better (ESS): the sides swap.
        let ess = better(
            &s(&[0.9, 0.91, 0.92]),
            &s(&[0.5, 0.52, 0.51]),
            &[0.1, 0.1, 0.12],
            true,
            names,
        );
        assert_eq!(ess.verdict, Verdict::Holds, "{}", ess.text());
    }

    #[test]
    fn partly_says_how_many_points_hold() {
        let h = Judged::new(Verdict::Holds, "");
        let f = Judged::new(Verdict::DoesNotHold, "");
        let i = Judged::new(Verdict::Inconclusive, "");
        let c = Judged::new(Verdict::CannotJudge, "");
        let one_of_four = combine(&[h.clone(), f.clone(), f.clone(), i.clone()]);
        assert_eq!(one_of_four.verdict, Verdict::Partly { held: 1, of: 4 });
        assert!(one_of_four.verdict.label().contains("1 of 4"));
        assert_eq!(
            combine(&[h.clone(), h.clone(), c.clone()]).verdict,
            Verdict::Holds
        );
        assert_eq!(
            combine(&[f.clone(), i.clone()]).verdict,
            Verdict::Inconclusive
        );
        assert_eq!(combine(&[f.clone(), f]).verdict, Verdict::DoesNotHold);
        assert_eq!(combine(&[c]).verdict, Verdict::CannotJudge);
    }

    #[test]
    fn welch_matches_a_hand_computed_case() {
        // a = {1, 2, 3}, b = {4, 5, 6}: t = −3/√(2/3) = −3.674, df = 4, P(T ≤ t) = 0.0107.
        let p = welch_below(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
        assert!((p - 0.0107).abs() < 5e-4, "{p}");
        assert_eq!(welch_below(&[1.0, 1.0], &[1.0, 1.0]), Some(0.5));
        assert_eq!(welch_below(&[1.0], &[2.0, 3.0]), None);
    }
}
