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

mod stats;
#[cfg(test)]
mod tests;

use statrs::distribution::{ContinuousCDF, StudentsT};
pub use stats::{mean_pm, mean_sd, variance_below, welch_below};

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
    pub fn new(verdict: Verdict, reason: impl Into<String>) -> Self {
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

/// "lo ≤ value ≤ hi" (equivalence, two one-sided tests): holds when both one-sided 95 % bounds
/// lie inside, does not hold when one lies wholly outside, inconclusive otherwise.
pub fn within(vals: &[Option<f64>], lo: f64, hi: f64, what: &str) -> Judged {
    if let Err(j) = finished(vals, what) {
        return j;
    }
    let (a, b) = (
        threshold(vals, lo, true, what),
        threshold(vals, hi, false, what),
    );
    let j = all_of(&[a, b]);
    if j.verdict == Verdict::Holds {
        let v: Vec<f64> = vals.iter().flatten().copied().collect();
        return Judged::new(
            Verdict::Holds,
            format!("{what} {} within [{lo}, {hi}]", mean_pm(&v)),
        );
    }
    j
}

/// "X better than Y" (lower is better unless `higher`), anchored on u = 0: `x` and `y` are the
/// lines' seeds (None: diverged), `anchor` the u = 0 values (the step-0 evaluations).
pub fn better(
    x: &[Option<f64>],
    y: &[Option<f64>],
    anchor: &[f64],
    higher: bool,
    names: (&str, &str),
) -> Judged {
    better_than_anchor(x, y, (anchor, "u = 0"), higher, names)
}

/// [`better`] with a named anchor (`"the initial model"`, `"u = 0"`): X must first improve on
/// the anchor beyond the seeds' noise (Welch), then on Y.
pub fn better_than_anchor(
    x: &[Option<f64>],
    y: &[Option<f64>],
    (anchor, an): (&[f64], &str),
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
    let (xs, anchor_s) = (flip(&xv, higher), flip(anchor, higher));
    match welch_below(&xs, &anchor_s) {
        None => {
            return Judged::new(
                Verdict::Inconclusive,
                format!(
                    "{an} has {} value(s): no anchor to test against",
                    anchor.len()
                ),
            )
        }
        Some(p) if p >= LEVEL => {
            let worse = mean_sd(&xs).0 >= mean_sd(&anchor_s).0;
            let why = format!(
                "{xn} {} against {an}'s {} (p = {p:.2})",
                mean_pm(&xv),
                mean_pm(anchor)
            );
            return if worse {
                Judged::new(
                    Verdict::DoesNotHold,
                    format!("{why}: {xn} does not improve on {an}"),
                )
            } else {
                Judged::new(
                    Verdict::Inconclusive,
                    format!("{why}: the gain on {an} is within the seeds' noise"),
                )
            };
        }
        Some(_) => {}
    }
    let mut j = compare_finished(&xv, y, higher, (xn, yn));
    if j.verdict == Verdict::Holds {
        j.reason = format!("{}; {an} {}", j.reason, mean_pm(anchor));
    }
    j
}

/// Lower is better after this: values negated when higher is better.
fn flip(v: &[f64], higher: bool) -> Vec<f64> {
    v.iter().map(|x| if higher { -x } else { *x }).collect()
}

/// "X better than Y" beyond the seeds' noise (Welch, one-sided, [`LEVEL`]) with no anchor: for
/// a caller that anchors X itself (the claim's other half) or for a quantity with no u = 0
/// value (target evaluations, seconds per iteration).
pub fn compare(
    x: &[Option<f64>],
    y: &[Option<f64>],
    higher: bool,
    (xn, yn): (&str, &str),
) -> Judged {
    match finished(x, xn) {
        Ok(xv) if !y.is_empty() => compare_finished(&xv, y, higher, (xn, yn)),
        Ok(_) => Judged::new(Verdict::CannotJudge, format!("no runs of {yn}")),
        Err(j) => j,
    }
}

fn compare_finished(xv: &[f64], y: &[Option<f64>], higher: bool, (xn, yn): (&str, &str)) -> Judged {
    let yv: Vec<f64> = y.iter().flatten().copied().collect();
    let y_div = y.len() - yv.len();
    if yv.is_empty() {
        return Judged::new(
            Verdict::Holds,
            format!("{xn} {}; every seed of {yn} diverged", mean_pm(xv)),
        );
    }
    let div = if y_div > 0 {
        format!(" ({y_div} seed(s) of {yn} diverged)")
    } else {
        String::new()
    };
    let stats = format!("{xn} {} against {yn} {}{div}", mean_pm(xv), mean_pm(&yv));
    let (xs, ys) = (flip(xv, higher), flip(&yv, higher));
    match (welch_below(&xs, &ys), welch_below(&ys, &xs)) {
        (Some(p), _) if p < LEVEL => {
            Judged::new(Verdict::Holds, format!("{stats}, Welch p = {p:.3}"))
        }
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

/// "X varies less across seeds than Y": the F-test of the two variances at [`LEVEL`], on at
/// least [`MIN_SEEDS`] finished seeds of each (a diverged seed of X fails the claim).
pub fn less_spread(x: &[Option<f64>], y: &[Option<f64>], (xn, yn): (&str, &str)) -> Judged {
    let (xv, yv) = match (finished(x, xn), finished(y, yn)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(j), _) => return j,
        (_, Err(j)) if j.verdict == Verdict::DoesNotHold => {
            return Judged::new(
                Verdict::Holds,
                format!("{xn} finished every seed; {}", j.reason),
            )
        }
        (_, Err(j)) => return j,
    };
    let (sx, sy) = (mean_sd(&xv).1, mean_sd(&yv).1);
    let stats = format!("std over seeds {xn} {sx:.3} against {yn} {sy:.3}");
    match (variance_below(&xv, &yv), variance_below(&yv, &xv)) {
        (Some(p), _) if p < LEVEL => {
            Judged::new(Verdict::Holds, format!("{stats}, F-test p = {p:.3}"))
        }
        (_, Some(q)) if q < LEVEL => Judged::new(
            Verdict::DoesNotHold,
            format!("{stats}: {yn} is more consistent, F-test p = {q:.3}"),
        ),
        (Some(p), _) => Judged::new(
            Verdict::Inconclusive,
            format!(
                "{stats}: within what {} seeds can tell (F-test p = {p:.2})",
                xv.len().min(yv.len())
            ),
        ),
        (None, _) => Judged::new(
            Verdict::Inconclusive,
            format!("{stats}: no spread in either"),
        ),
    }
}

/// A claim that needs every part ("comparable *and* more sample-efficient"): does not hold if a
/// part does not, holds if every part holds, otherwise inconclusive (or cannot be judged).
pub fn all_of(parts: &[Judged]) -> Judged {
    let join = |v: &Verdict| -> String {
        parts
            .iter()
            .filter(|p| p.verdict == *v)
            .map(|p| p.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let any = |v: &Verdict| parts.iter().any(|p| p.verdict == *v);
    if parts.is_empty() {
        Judged::new(Verdict::CannotJudge, "nothing to judge")
    } else if any(&Verdict::DoesNotHold) {
        Judged::new(Verdict::DoesNotHold, join(&Verdict::DoesNotHold))
    } else if parts.iter().all(|p| p.verdict == Verdict::Holds) {
        Judged::new(Verdict::Holds, join(&Verdict::Holds))
    } else if any(&Verdict::CannotJudge) {
        Judged::new(Verdict::CannotJudge, join(&Verdict::CannotJudge))
    } else {
        Judged::new(Verdict::Inconclusive, join(&Verdict::Inconclusive))
    }
}

/// "Every seed meets the claim" (the ladder's per-arm rule): `met` per seed, `None` for a
/// diverged seed (which does not meet it); at least [`MIN_SEEDS`] seeds.
pub fn every_seed(met: &[Option<bool>], what: &str) -> Judged {
    let n = met.len();
    let k = met.iter().filter(|m| **m == Some(true)).count();
    let div = met.iter().filter(|m| m.is_none()).count();
    let div = if div > 0 {
        format!(", {div} diverged")
    } else {
        String::new()
    };
    if n == 0 {
        Judged::new(Verdict::CannotJudge, format!("no runs of {what}"))
    } else if k < n {
        let v = if n >= MIN_SEEDS {
            Verdict::DoesNotHold
        } else {
            Verdict::Inconclusive
        };
        Judged::new(v, format!("{what}: {k} of {n} seeds meet it{div}"))
    } else if n < MIN_SEEDS {
        Judged::new(
            Verdict::Inconclusive,
            format!("{what}: {k} of {n} seeds meet it; {MIN_SEEDS} are needed"),
        )
    } else {
        Judged::new(Verdict::Holds, format!("{what}: {k} of {n} seeds meet it"))
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
    // A point that does not hold (else the first), so that the reason says why.
    let example = judged
        .iter()
        .find(|p| p.verdict != Verdict::Holds)
        .or(judged.first())
        .map_or(String::new(), |p| format!("; for example: {}", p.reason));
    let reason = format!(
        "{held} of {n} points hold, {failed} do not, {} inconclusive{note}{example}",
        n - held - failed
    );
    Judged::new(verdict, reason)
}
