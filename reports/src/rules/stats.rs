//! The statistics behind the verdict rules: mean and spread over seeds, Welch's t-test and the
//! F-test of two variances.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean and sample standard deviation (0 for one value, NaN mean for none).
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    crate::protocol::mean_std(v).unwrap_or((f64::NAN, 0.0))
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

/// The one-sided p-value of the F-test that `a`'s variance is below `b`'s: P(F ≥ s_b²/s_a²)
/// with (n_b − 1, n_a − 1) degrees of freedom. `None` with fewer than two values on a side or
/// no spread on either.
pub fn variance_below(a: &[f64], b: &[f64]) -> Option<f64> {
    use statrs::distribution::FisherSnedecor;
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    let (va, vb) = (mean_sd(a).1.powi(2), mean_sd(b).1.powi(2));
    match (va > 0.0, vb > 0.0) {
        (false, false) => None,
        (false, true) => Some(0.0),
        (true, false) => Some(1.0),
        (true, true) => {
            let f = FisherSnedecor::new(b.len() as f64 - 1.0, a.len() as f64 - 1.0).ok()?;
            Some(1.0 - f.cdf(vb / va))
        }
    }
}
