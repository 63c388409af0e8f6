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
}
