//! Discretisations whose every step reads X' = m(X, t_k) + s_k·(h_k·u(X, t_k) + ξ), ξ ~ N(0, I).
//!
//! The controlled transition is N(m + s h u, s² I) and the uncontrolled one N(m, s² I), so for a
//! step taken with control u and noise ξ, the exact log-ratio of transition densities against a
//! second control v is
//!   log p^u(X'|X) / p^v(X'|X) = h (u − v)·ξ + ½ h² |u − v|²,
//! the discrete counterpart of Girsanov (eq. 28/29): h² plays the role of ds and h ξ of dW.

use crate::backend::B;
use burn::prelude::*;

use crate::problem::SocProblem;
use crate::schedule::Schedule;

/// Coefficients of step k on [t_k, t_{k+1}].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepCoeffs {
    pub t: f64,
    pub dt: f64,
    /// Noise scale s_k.
    pub s: f64,
    /// Control scale h_k (≈ √dt).
    pub h: f64,
}

/// The time grid and per-step coefficients of a discretisation: all that the log-likelihood
/// ratios of stored paths (losses on a buffer, importance weights) need.
pub trait StepGrid: Send + Sync {
    fn num_steps(&self) -> usize;
    fn coeffs(&self, k: usize) -> StepCoeffs;
    /// The time grid t_0 = 0 < … < t_N = T.
    fn grid(&self) -> Vec<f64> {
        let n = self.num_steps();
        let mut g: Vec<f64> = (0..n).map(|k| self.coeffs(k).t).collect();
        g.push(self.coeffs(n - 1).t + self.coeffs(n - 1).dt);
        g
    }
}

/// A discretisation of the dynamics: its grid, and the uncontrolled transition mean with its
/// VJP (simulation and adjoints).
pub trait Integrator: StepGrid {
    /// The uncontrolled transition mean m(X, t_k).
    fn mean(&self, problem: &dyn SocProblem, x: Tensor<B, 2>, k: usize) -> Tensor<B, 2>;
    /// (∂m/∂X)ᵀ a at (X_k, t_k): one backward step of the discrete lean adjoint (eq. 18).
    fn mean_vjp(
        &self,
        problem: &dyn SocProblem,
        x: Tensor<B, 2>,
        k: usize,
        a: Tensor<B, 2>,
    ) -> Tensor<B, 2>;
}

/// Euler–Maruyama on a uniform grid: m = X + b(X, t)Δt, s = σ(t)√Δt, h = √Δt (eq. 64).
#[derive(Clone, Debug)]
pub struct EulerMaruyama {
    coeffs: Vec<StepCoeffs>,
}

impl EulerMaruyama {
    pub fn new(horizon: f64, steps: usize, sigma: impl Fn(f64) -> f64) -> Self {
        let dt = horizon / steps as f64;
        let coeffs = (0..steps)
            .map(|k| {
                let t = k as f64 * dt;
                StepCoeffs {
                    t,
                    dt,
                    s: sigma(t) * dt.sqrt(),
                    h: dt.sqrt(),
                }
            })
            .collect();
        Self { coeffs }
    }
}

impl StepGrid for EulerMaruyama {
    fn num_steps(&self) -> usize {
        self.coeffs.len()
    }
    fn coeffs(&self, k: usize) -> StepCoeffs {
        self.coeffs[k]
    }
}

impl Integrator for EulerMaruyama {
    fn mean(&self, problem: &dyn SocProblem, x: Tensor<B, 2>, k: usize) -> Tensor<B, 2> {
        let c = self.coeffs[k];
        x.clone() + problem.drift(x, c.t).mul_scalar(c.dt)
    }
    fn mean_vjp(
        &self,
        problem: &dyn SocProblem,
        x: Tensor<B, 2>,
        k: usize,
        a: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let c = self.coeffs[k];
        a.clone() + problem.drift_vjp(x, c.t, a).mul_scalar(c.dt)
    }
}

/// Exponential integrator for the reference OU process dX = −ζ(t)X dt + η√(2ζ(t)) dW
/// (App. E, eq. 49–51), on a uniform grid. With Λ_k = ∫_{t_k}^{t_{k+1}} ζ and a_k = e^{−Λ_k}:
///   m = a_k X,  s_k = η √(1 − a_k²),  h_k = s_k / σ̄_k with σ̄_k² = 2η² Λ_k/Δt,
/// so the uncontrolled step is the exact OU transition (N(0, η²I) stays exactly stationary) and
/// the control enters as s_k h_k u = (1 − a_k²)Δt/(2Λ_k) · σ̄_k u ≈ σ u Δt, with h_k² → Δt.
#[derive(Clone, Debug)]
pub struct ExponentialOu {
    coeffs: Vec<StepCoeffs>,
    decay: Vec<f64>,
}

impl ExponentialOu {
    pub fn new(schedule: impl Into<Schedule>, eta: f64, steps: usize) -> Self {
        let schedule = schedule.into();
        let dt = schedule.horizon() / steps as f64;
        let mut coeffs = Vec::with_capacity(steps);
        let mut decay = Vec::with_capacity(steps);
        for k in 0..steps {
            let t = k as f64 * dt;
            let lambda = schedule.integral(t, t + dt);
            let a = (-lambda).exp();
            let s = eta * (-(-2.0 * lambda).exp_m1()).sqrt();
            let sigma_bar = eta * (2.0 * lambda / dt).sqrt();
            coeffs.push(StepCoeffs {
                t,
                dt,
                s,
                h: s / sigma_bar,
            });
            decay.push(a);
        }
        Self { coeffs, decay }
    }

    /// a_k = e^{−Λ_k}.
    pub fn decay(&self, k: usize) -> f64 {
        self.decay[k]
    }
}

impl StepGrid for ExponentialOu {
    fn num_steps(&self) -> usize {
        self.coeffs.len()
    }
    fn coeffs(&self, k: usize) -> StepCoeffs {
        self.coeffs[k]
    }
}

impl Integrator for ExponentialOu {
    fn mean(&self, _problem: &dyn SocProblem, x: Tensor<B, 2>, k: usize) -> Tensor<B, 2> {
        x.mul_scalar(self.decay[k])
    }
    fn mean_vjp(
        &self,
        _problem: &dyn SocProblem,
        _x: Tensor<B, 2>,
        k: usize,
        a: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        a.mul_scalar(self.decay[k])
    }
}
