//! SOC-matching's normaliser of the importance weights (the `ema` form of [`SocmWeights`]): the
//! loss weights w_k / N with N an exponential moving average of the batch mean weight, kept in the
//! log domain (the weights e^{log w} over- and underflow at d ≥ 10).
//!
//! [`SocmWeights`]: crate::config::SocmWeights

use socbench_harness::tensor_util::logsumexp;

/// EMA coefficient per step (SOC-matching's `EMA_weight_mean_coeff`).
pub const EMA_COEFF: f64 = 0.002;

/// log N, the log of the running mean weight.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EmaNormaliser {
    log_n: Option<f64>,
}

impl EmaNormaliser {
    /// The weights w_k / N for this batch (N before the batch is folded in; the first batch
    /// starts N at its own mean), then N ← (1 − c) N + c · mean(w).
    pub fn weights(&mut self, log_w: &[f64]) -> Vec<f64> {
        let log_mean = logsumexp(log_w) - (log_w.len() as f64).ln();
        let log_n = *self.log_n.get_or_insert(log_mean);
        let out = log_w.iter().map(|l| (l - log_n).exp()).collect();
        let a = (1.0 - EMA_COEFF).ln() + log_n;
        let b = EMA_COEFF.ln() + log_mean;
        self.log_n = Some(logsumexp(&[a, b]));
        out
    }

    /// log N after the batches seen so far.
    pub fn log_n(&self) -> Option<f64> {
        self.log_n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_batch_is_normalised_by_its_mean_and_later_ones_by_the_running_mean() {
        let mut n = EmaNormaliser::default();
        // Weights 1 and 3 (mean 2): divided by 2.
        let w = n.weights(&[0.0, 3f64.ln()]);
        assert!((w[0] - 0.5).abs() < 1e-12 && (w[1] - 1.5).abs() < 1e-12);
        // N stays 2 after folding in a batch of mean 2.
        assert!((n.log_n().unwrap() - 2f64.ln()).abs() < 1e-12);
        // A batch of weights 1000× larger: divided by the old N = 2, not by its own mean, so its
        // weights are not renormalised to mean 1 (unlike self-normalisation).
        let big = n.weights(&[(2000f64).ln(), (2000f64).ln()]);
        assert!((big[0] - 1000.0).abs() < 1e-9);
        let expect = (1.0 - EMA_COEFF) * 2.0 + EMA_COEFF * 2000.0;
        assert!((n.log_n().unwrap() - expect.ln()).abs() < 1e-12);
        // Far outside f64's range in the linear domain the running mean stays finite (the
        // weights of such a batch against the old N overflow: the loss then diverges, and the
        // run is recorded as diverged).
        n.weights(&[900.0, 901.0]);
        assert!(n.log_n().unwrap().is_finite() && n.log_n().unwrap() > 890.0);
    }
}
