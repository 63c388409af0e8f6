//! Total variation distance of mode weights (eq. 62–63). We report the standard TVD
//! ½ Σ_k |π_k − π̂_k| ∈ [0, 1]; the paper's eq. 63 omits the ½, so its values are twice ours.

use crate::problem::ModeStructure;

/// ½ Σ_k |π_k − π̂_k| with π̂ the fraction of the `n` samples (rows of x, [n, d]) in each mode.
pub fn mode_tvd(modes: &dyn ModeStructure, x: &[f64], n: usize) -> f64 {
    let w = modes.weights();
    let mut counts = vec![0usize; w.len()];
    for k in modes.assign(x, n) {
        counts[k] += 1;
    }
    0.5 * w
        .iter()
        .zip(&counts)
        .map(|(p, &c)| (p - c as f64 / n as f64).abs())
        .sum::<f64>()
}
