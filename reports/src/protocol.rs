//! The evaluation protocol of App. E.1: each run is evaluated (here `evals` times), the series of a
//! metric is smoothed by a running mean over 5 evaluations, and the best smoothed value of the run
//! is kept; runs are summarised by mean ± std over seeds.

/// Running mean over a trailing window of `w` values (shorter at the start).
pub fn running_mean(x: &[f64], w: usize) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let lo = (i + 1).saturating_sub(w);
            let s = &x[lo..=i];
            s.iter().sum::<f64>() / s.len() as f64
        })
        .collect()
}

/// Whether larger is better for a metric (ESS); all other metrics are errors.
pub fn higher_is_better(metric: &str) -> bool {
    matches!(metric, "ess" | "elbo")
}

/// Best value of the smoothed series (min for errors, max for ESS); `None` if no finite value.
pub fn best_smoothed(x: &[f64], metric: &str) -> Option<f64> {
    let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let s = running_mean(&finite, 5);
    if higher_is_better(metric) {
        s.into_iter().reduce(f64::max)
    } else {
        s.into_iter().reduce(f64::min)
    }
}

/// Where the protocol's summaries of one run's series come from: the evaluations of the trained
/// control (the step-0 row of u_0 = 0, written by `eval_at_start`, is the baseline, not part of
/// the run), each smoothed by the running mean over 5.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSummary {
    /// Best smoothed value (App. E.1).
    pub best: f64,
    /// Row of `history.csv` where the best smoothed value is reached.
    pub best_row: usize,
    /// Whether that row is the first evaluation of the trained control.
    pub best_at_first: bool,
    /// Smoothed value at the last evaluation.
    pub last: f64,
    /// Row of the last evaluation.
    pub last_row: usize,
}

/// Summary of `x` (a `history.csv` column) given its `step` column; `None` without a finite value.
pub fn summarise_run(steps: &[f64], x: &[f64], metric: &str) -> Option<RunSummary> {
    let skip = usize::from(steps.first() == Some(&0.0) && x.len() > 1);
    let rows: Vec<(usize, f64)> = x
        .iter()
        .copied()
        .enumerate()
        .skip(skip)
        .filter(|(_, v)| v.is_finite())
        .collect();
    let vals: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let s = running_mean(&vals, 5);
    let better = |a: f64, b: f64| {
        if higher_is_better(metric) {
            a > b
        } else {
            a < b
        }
    };
    let mut bi = 0;
    for (i, v) in s.iter().enumerate() {
        if better(*v, s[bi]) {
            bi = i;
        }
    }
    let last = s.len().checked_sub(1)?;
    Some(RunSummary {
        best: s[bi],
        best_row: rows[bi].0,
        best_at_first: bi == 0,
        last: s[last],
        last_row: rows[last].0,
    })
}

/// Mean, minimum and maximum of the values (a curve's point and its band over seeds).
pub fn mean_min_max(x: &[f64]) -> Option<(f64, f64, f64)> {
    let (m, _) = mean_std(x)?;
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((m, lo, hi))
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_std(x: &[f64]) -> Option<(f64, f64)> {
    if x.is_empty() {
        return None;
    }
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let var = if x.len() > 1 {
        x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Some((m, var.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_mean_and_best() {
        assert_eq!(running_mean(&[1.0, 3.0, 5.0], 2), vec![1.0, 2.0, 4.0]);
        // Smoothing removes a single lucky evaluation: 0.1 alone would be the raw minimum.
        let x = [5.0, 5.0, 5.0, 5.0, 0.1, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        assert_eq!(best_smoothed(&x, "control_l2"), Some(1.0));
        assert_eq!(best_smoothed(&[0.2, 0.9], "ess"), Some(0.55));
        let (m, s) = mean_std(&[1.0, 3.0]).unwrap();
        assert_eq!((m, s), (2.0, 2f64.sqrt()));
    }

    #[test]
    fn run_summary_skips_the_step_zero_baseline_and_flags_a_first_evaluation_best() {
        let steps = [0.0, 10.0, 20.0, 30.0];
        // u = 0 scores 0.5 at step 0: not part of the run, so the best is 1.0 at the first
        // evaluation of the trained control (row 1), and the error then rises.
        let s = summarise_run(&steps, &[0.5, 1.0, 3.0, 5.0], "control_l2").unwrap();
        assert_eq!((s.best, s.best_row, s.best_at_first), (1.0, 1, true));
        assert_eq!((s.last, s.last_row), (3.0, 3));
        // A falling error: best = last, not at the first evaluation.
        let s = summarise_run(&steps, &[9.0, 4.0, 2.0, 0.0], "control_l2").unwrap();
        assert_eq!((s.best, s.best_row, s.best_at_first), (2.0, 3, false));
        // Without a step-0 row every row counts; NaN rows are skipped.
        let s = summarise_run(&[5.0, 10.0], &[f64::NAN, 0.2], "ess").unwrap();
        assert_eq!((s.best, s.best_row, s.last), (0.2, 1, 0.2));
    }
}
