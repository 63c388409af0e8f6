//! The trust-region dual (paper eq. 13–14, footnote 3, App. J.2).
//!
//! Buffer paths of the frozen control u_i carry W_i^{(k)} = −log w^{(k)} (eq. 12: dQ/dP^{u_i} ∝
//! e^{−W_i}). With τ = 1/(1+λ), the self-normalised tilted weights are
//!   ŵ_λ,k = e^{−τ W_k} / Σ_j e^{−τ W_j}     (dP^{u_{i+1}}/dP^{u_i}, eq. 12),
//! and the dual (with the X0-independent normaliser of footnote 3) is
//!   L(λ) = −(1+λ) log((1/K) Σ_k e^{−τ W_k}) − λε.
//! Differentiating, L'(λ) = KL(ŵ_λ ‖ uniform) − ε, and KL(ŵ_λ ‖ uniform) = Σ ŵ log(K ŵ) falls
//! monotonically to 0 as λ → ∞, so L is concave and:
//!   * if KL(ŵ_0 ‖ uniform) ≤ ε, the maximiser is λ = 0 (the target is inside the trust region);
//!   * otherwise λ* is the unique root of KL(ŵ_λ) = ε, found here by bracketing (doubling) and
//!     bisection on λ, everything in the log domain.

use socbench_harness::tensor_util::logsumexp;

/// log ŵ_λ (self-normalised), from W (not −W).
pub fn tilted_log_weights(w: &[f64], lambda: f64) -> Vec<f64> {
    let tau = 1.0 / (1.0 + lambda);
    let a: Vec<f64> = w.iter().map(|x| -tau * x).collect();
    let lse = logsumexp(&a);
    a.into_iter().map(|x| x - lse).collect()
}

/// KL(ŵ_λ ‖ uniform) = Σ_k ŵ_k log(K ŵ_k) ≥ 0.
pub fn tilted_kl(w: &[f64], lambda: f64) -> f64 {
    let lk = (w.len() as f64).ln();
    tilted_log_weights(w, lambda)
        .iter()
        .map(|&l| l.exp() * (l + lk))
        .sum::<f64>()
        .max(0.0)
}

/// Normalised ESS of the tilted weights, (Σŵ)²/(K Σŵ²).
pub fn tilted_ess(w: &[f64], lambda: f64) -> f64 {
    let lw = tilted_log_weights(w, lambda);
    let s2: f64 = lw.iter().map(|l| (2.0 * l).exp()).sum();
    1.0 / (w.len() as f64 * s2)
}

/// The dual objective L(λ).
pub fn dual_objective(w: &[f64], lambda: f64, epsilon: f64) -> f64 {
    let tau = 1.0 / (1.0 + lambda);
    let a: Vec<f64> = w.iter().map(|x| -tau * x).collect();
    -(1.0 + lambda) * (logsumexp(&a) - (w.len() as f64).ln()) - lambda * epsilon
}

/// Solution of the dual.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DualSolution {
    pub lambda: f64,
    /// KL(ŵ_λ ‖ uniform): the predicted step KL(P^{u_{i+1}} ‖ P^{u_i}).
    pub kl: f64,
    /// ESS of the tilted weights (≈ 1/(1+2ε) for small ε, App. J.3).
    pub ess: f64,
    pub iterations: usize,
}

impl DualSolution {
    /// The tilted weights' KL and ESS at a given λ (the fixed-λ ablation: no dual solve).
    pub fn at(w: &[f64], lambda: f64) -> Self {
        Self {
            lambda,
            kl: tilted_kl(w, lambda),
            ess: tilted_ess(w, lambda),
            iterations: 0,
        }
    }
}

/// λ_i = argmax_{λ ≥ 0} L(λ), to absolute tolerance `tol` on λ (relative for large λ).
pub fn solve_dual(w: &[f64], epsilon: f64, tol: f64) -> DualSolution {
    assert!(epsilon > 0.0 && !w.is_empty());
    let done = |lambda: f64, iterations| DualSolution {
        iterations,
        ..DualSolution::at(w, lambda)
    };
    if tilted_kl(w, 0.0) <= epsilon {
        return done(0.0, 1);
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut it = 1;
    while tilted_kl(w, hi) > epsilon {
        lo = hi;
        hi *= 2.0;
        it += 1;
        if hi > 1e15 {
            return done(hi, it);
        }
    }
    while hi - lo > tol * (1.0 + lo) {
        let mid = 0.5 * (lo + hi);
        if tilted_kl(w, mid) > epsilon {
            lo = mid;
        } else {
            hi = mid;
        }
        it += 1;
    }
    done(0.5 * (lo + hi), it)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two paths with W = (0, c): ŵ = (p, 1−p) with p = 1/(1 + e^{−τc}), KL = log 2 − H(p).
    /// The root of KL = ε is found independently by inverting the binary entropy, then
    /// λ* = c / logit(p*) − 1.
    #[test]
    fn two_point_weights_known_answer() {
        for &(c, eps) in &[(3.0, 0.1), (10.0, 0.01), (1.5, 0.05), (40.0, 0.5)] {
            let h = |p: f64| -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
            let (mut lo, mut hi) = (0.5f64, 1.0f64 - 1e-300);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if (2f64).ln() - h(mid) < eps {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let p = 0.5 * (lo + hi);
            let want = c / (p / (1.0 - p)).ln() - 1.0;
            let got = solve_dual(&[0.0, c], eps, 1e-12);
            assert!(
                (got.lambda - want).abs() < 1e-6,
                "c={c} ε={eps}: λ {} vs {want}",
                got.lambda
            );
            assert!((got.kl - eps).abs() < 1e-9);
        }
    }

    /// Gaussian log-weights W ~ N(0, s²): the tilted law is N(−τs², s²), so KL(λ) = s²/(2(1+λ)²)
    /// and λ* = s/√(2ε) − 1. Deterministic quantile samples approximate the population.
    #[test]
    fn gaussian_log_weights_match_closed_form() {
        let k = 200_001;
        let normal_quantile = |p: f64| probit(p);
        for &(s, eps) in &[(2.0f64, 0.1f64), (1.0, 0.05)] {
            let w: Vec<f64> = (0..k)
                .map(|i| s * normal_quantile((i as f64 + 0.5) / k as f64))
                .collect();
            let want = s / (2.0 * eps).sqrt() - 1.0;
            let got = solve_dual(&w, eps, 1e-10);
            assert!(
                (got.lambda - want).abs() < 1e-2 * (1.0 + want),
                "s={s} ε={eps}: {} vs {want}",
                got.lambda
            );
            // the dual is maximised there: L'(λ) = KL − ε = 0
            let d = 1e-4;
            let slope = (dual_objective(&w, got.lambda + d, eps)
                - dual_objective(&w, got.lambda - d, eps))
                / (2.0 * d);
            assert!(slope.abs() < 1e-6, "slope {slope}");
        }
    }

    #[test]
    fn lambda_is_zero_inside_the_trust_region() {
        let w = [0.1, -0.05, 0.02, 0.0];
        assert!(tilted_kl(&w, 0.0) <= 0.1);
        assert_eq!(solve_dual(&w, 0.1, 1e-12).lambda, 0.0);
        let same = [3.0; 8];
        assert_eq!(solve_dual(&same, 1e-6, 1e-12).lambda, 0.0);
    }

    #[test]
    fn kl_falls_and_ess_approaches_one_over_one_plus_two_eps() {
        // For small ε, KL ≈ ½ Var(ŵ K) ⇒ ESS ≈ 1/(1+2ε) (App. J.3).
        let k = 100_001;
        let w: Vec<f64> = (0..k)
            .map(|i| 3.0 * probit((i as f64 + 0.5) / k as f64))
            .collect();
        let mut prev = f64::INFINITY;
        for lam in [0.0, 0.5, 1.0, 4.0, 20.0] {
            let kl = tilted_kl(&w, lam);
            assert!(kl < prev);
            prev = kl;
        }
        let sol = solve_dual(&w, 0.01, 1e-12);
        assert!((sol.ess - 1.0 / 1.02).abs() < 2e-3, "ESS {}", sol.ess);
    }

    fn probit(p: f64) -> f64 {
        use statrs::distribution::{ContinuousCDF, Normal};
        Normal::standard().inverse_cdf(p)
    }
}
