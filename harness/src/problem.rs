//! The SOC problem (paper eq. 1): minimise E[∫_0^T (½|u|² + f)(X_s, s) ds + g(X_T)] subject to
//! dX = (b + σu)(X, s) ds + σ(s) dW, X_0 ~ p0. σ(s) is isotropic (a scalar times I), which covers
//! the DDS sampling problems and the quadratic OU problems with σ0 = I.

use crate::backend::{Device, B};
use burn::prelude::*;
use rand_chacha::ChaCha20Rng;

use crate::counter::EvalCounter;
use crate::integrator::{Integrator, StepGrid};

/// What a loss on stored paths needs of a problem: the dimension, σ, the step coefficients of
/// the discretisation that made the paths, and the evaluation counter. Problems whose paths
/// are not a Markov simulation the losses could redo (transition path sampling's whole-path
/// rows) implement this part only.
pub trait PathProblem: Send + Sync {
    /// State dimension d.
    fn dim(&self) -> usize;
    /// σ(t).
    fn sigma(&self, t: f64) -> f64;
    /// The time grid and per-step coefficients (s_k, h_k) of the paths' discretisation.
    fn steps(&self) -> &dyn StepGrid;
    /// The counter every target evaluation goes through.
    fn evals(&self) -> &EvalCounter;
    /// How many trailing coordinates of the state are a condition (a prompt, a class label)
    /// rather than a state: drawn by `sample_initial` and then constant. The simulator zeroes
    /// the noise there (so the log-likelihood ratios, Σ h u·ξ, see none of it); the problem's
    /// drift and the controls must be zero there. Default 0.
    fn condition_dims(&self) -> usize {
        0
    }
    /// The dynamics, where the problem has them (simulation, lean adjoints); `None` for a
    /// problem of stored paths only.
    fn dynamics(&self) -> Option<&dyn SocProblem>;
}

/// The dynamics of eq. 1: drift, costs, the initial law and the integrator, with the
/// derivatives that simulation and adjoints need.
pub trait SocProblem: PathProblem {
    /// Uncontrolled drift b(x, t), x [B, d].
    fn drift(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2>;
    /// Transposed product (∇_x b)ᵀ a (the adjoint's drift term, eq. 18).
    fn drift_vjp(&self, x: Tensor<B, 2>, t: f64, a: Tensor<B, 2>) -> Tensor<B, 2>;
    /// Running cost f(x, t) → [B]; `None` when f ≡ 0.
    fn running_cost(&self, x: Tensor<B, 2>, t: f64) -> Option<Tensor<B, 1>>;
    /// ∇_x f(x, t); `None` when f ≡ 0.
    fn running_cost_grad(&self, x: Tensor<B, 2>, t: f64) -> Option<Tensor<B, 2>>;
    /// Terminal cost g(x) → [B].
    fn terminal_cost(&self, x: Tensor<B, 2>) -> Tensor<B, 1>;
    /// ∇_x g(x).
    fn terminal_cost_grad(&self, x: Tensor<B, 2>) -> Tensor<B, 2>;
    /// `n` draws from the initial law p0.
    fn sample_initial(&self, n: usize, rng: &mut ChaCha20Rng, device: &Device) -> Tensor<B, 2>;
    /// The discretisation used for this problem.
    fn integrator(&self) -> &dyn Integrator;
}

/// A partition of state space into modes with known weights (eq. 56 of the paper).
pub trait ModeStructure: Send + Sync {
    /// The true mode weights π_k (sum to one).
    fn weights(&self) -> &[f64];
    /// Index of the mode each row of `x` ([n, d], f64 row-major) falls into.
    fn assign(&self, x: &[f64], n: usize) -> Vec<usize>;
    /// The mode weights of the annealing path's terminal law p_β ∝ p_prior^{1−β} ρ^β (what
    /// refresh i of Algorithm 2 should reach at β = β_i; issue 38), where the target can compute
    /// them.
    fn annealed_weights(&self, _beta: f64) -> Option<Vec<f64>> {
        None
    }
}
