//! Statistics of the log importance weights log w = log(e^{−W} dP/dP^u)(X^u) of a batch of paths
//! (eq. 61), in f64 and in the log domain.

use crate::tensor_util::logsumexp;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogWeightStats {
    /// log Ẑ = log (1/N) Σ w_i (eq. 61).
    pub log_z: f64,
    /// ELBO = (1/N) Σ log w_i ≤ log Z.
    pub elbo: f64,
    /// Normalised effective sample size (Σ w)² / (N Σ w²) ∈ (0, 1].
    pub ess: f64,
}

impl LogWeightStats {
    pub fn from_log_weights(lw: &[f64]) -> Self {
        let n = lw.len() as f64;
        let lse = logsumexp(lw);
        let lw2: Vec<f64> = lw.iter().map(|x| 2.0 * x).collect();
        Self {
            log_z: lse - n.ln(),
            elbo: lw.iter().sum::<f64>() / n,
            ess: (2.0 * lse - logsumexp(&lw2) - n.ln()).exp(),
        }
    }

    /// |log Ẑ − log Z|.
    pub fn abs_dlogz(&self, log_z_ref: f64) -> f64 {
        (self.log_z - log_z_ref).abs()
    }
}
