//! A table cell of the tables that put our mean ± std over seeds beside a published value
//! (lv-table, pinn-table): the number format, and when the published value lies outside our
//! spread (the ⚠ rule).

/// Four decimals, or two-digit scientific notation for very small or large values.
pub fn sig(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e4) {
        format!("{v:.2e}")
    } else {
        format!("{v:.4}")
    }
}

/// "mean ± std" over `n` seeds (the mean alone for one seed), "–" for no value.
pub fn mean_std_cell(v: Option<(f64, f64)>, n: usize) -> String {
    match v {
        Some((m, s)) if n > 1 => format!("{} ± {}", sig(m), sig(s)),
        Some((m, _)) => sig(m),
        None => "–".into(),
    }
}

/// Whether `published` lies outside our mean ± 2 std over `n` seeds (± 10 % of the mean for
/// one seed).
pub fn outside_spread(published: f64, mean: f64, std: f64, n: usize) -> bool {
    let spread = if n > 1 { 2.0 * std } else { 0.1 * mean.abs() };
    (published - mean).abs() > spread
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_two_std_or_ten_percent() {
        assert!(!outside_spread(1.19, 1.0, 0.1, 2));
        assert!(outside_spread(1.21, 1.0, 0.1, 2));
        assert!(!outside_spread(1.09, 1.0, 0.0, 1));
        assert!(outside_spread(1.11, 1.0, 0.0, 1));
        assert_eq!(mean_std_cell(Some((0.5, 0.01)), 2), "0.5000 ± 0.0100");
        assert_eq!(mean_std_cell(Some((2e-4, 0.0)), 1), "2.00e-4");
        assert_eq!(mean_std_cell(None, 0), "–");
    }
}
