//! The losses of every method, on stored paths (or, for RE, on a tracked simulation).
//! τ = 1/(1+λ) tilts the buffer's weights (eq. 12); τ = 1 gives the plain methods.

use burn::prelude::*;
use socbench_harness::backend::{Device, B};
use socbench_harness::control::Control;
use socbench_harness::problem::PathProblem;
use socbench_harness::simulate::Trajectories;
use socbench_harness::tensor_util::tensor1_from_f64;

use crate::paths::PathBatch;

/// Self-normalised weights softmax(τ log w), detached, as a tensor [K].
pub fn tilted_weights(log_w: &[f64], tau: f64, device: &Device) -> Tensor<B, 1> {
    // log_w = −W, and τ = 1/(1+λ): the dual's tilted weights at λ = 1/τ − 1.
    let w: Vec<f64> = log_w.iter().map(|l| -l).collect();
    let v: Vec<f64> = crate::dual::tilted_log_weights(&w, 1.0 / tau - 1.0)
        .into_iter()
        .map(f64::exp)
        .collect();
    tensor1_from_f64(&v, device)
}

fn variance(x: Tensor<B, 1>) -> Tensor<B, 1> {
    let m = x.clone().mean();
    (x - m).square().mean()
}

/// RE (eq. 46): E[Σ f Δt + g(X_N) + Σ ½h²|u|²] on paths simulated with the autodiff graph kept
/// (the zero-mean stochastic term is left out: its expectation has zero gradient).
pub fn relative_entropy(traj: &Trajectories) -> Tensor<B, 1> {
    (traj.work() + traj.control_cost.clone()).mean()
}

/// LV / TR-LV (eq. 16): Var_k[τ log w_k + log dP^v/dP^u (X_k)] = Var[log dP^{u_{i+1}}/dP^u] up to
/// a constant; with τ = 1 and v = u detached it is the on-policy log-variance loss.
pub fn log_variance(
    batch: &PathBatch,
    problem: &dyn PathProblem,
    u: &dyn Control,
    tau: f64,
) -> Tensor<B, 1> {
    let device = batch.states[0].device();
    let lw: Vec<f64> = batch.log_w.iter().map(|l| tau * l).collect();
    let lw = tensor1_from_f64(&lw, &device);
    variance(lw + batch.log_rnd_v_over_u(problem, u))
}

/// CE / TR-CE (eq. 17): Σ_k ŵ_k log dP^v/dP^u (X_k), ŵ = softmax(τ log w) — the importance-weighted
/// forward KL up to a constant.
pub fn cross_entropy(
    batch: &PathBatch,
    problem: &dyn PathProblem,
    u: &dyn Control,
    tau: f64,
) -> Tensor<B, 1> {
    let w = tilted_weights(&batch.log_w, tau, &batch.states[0].device());
    (w * batch.log_rnd_v_over_u(problem, u)).sum()
}

/// AM (unweighted) or SOCM / TR-SOCM (weighted by softmax(τ log w)): the adjoint-matching
/// regression Σ_k ½h²|u + (s/h)a_{k+1}|² (eq. 18–19). Needs `compute_adjoints`.
pub fn adjoint_matching(
    batch: &PathBatch,
    problem: &dyn PathProblem,
    u: &dyn Control,
    weight_tau: Option<f64>,
) -> Tensor<B, 1> {
    let r = batch.adjoint_residual(problem, u);
    match weight_tau {
        None => r.mean(),
        Some(tau) => (tilted_weights(&batch.log_w, tau, &batch.states[0].device()) * r).sum(),
    }
}

/// SOCM with externally normalised weights (SOC-matching's EMA normaliser,
/// [`crate::normaliser::EmaNormaliser`]): (1/K) Σ_k w_k r_k, with r_k the adjoint-matching residual.
pub fn adjoint_matching_weighted(
    batch: &PathBatch,
    problem: &dyn PathProblem,
    u: &dyn Control,
    weights: &[f64],
) -> Tensor<B, 1> {
    let r = batch.adjoint_residual(problem, u);
    (tensor1_from_f64(weights, &batch.states[0].device()) * r).mean()
}
