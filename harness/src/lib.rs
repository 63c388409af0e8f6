//! The SOC core of socbench (paper eq. 1, 3, 24–29; App. E).
//!
//! A controlled SDE dX = (b + σu)(X, s) ds + σ(s) dW on [0, T], X_0 ~ p0, with running cost f and
//! terminal cost g, is a [`problem::SocProblem`]. An [`integrator::Integrator`] discretises it so
//! that every step reads X' = m(X, t) + s·(h·u(X, t) + ξ), ξ ~ N(0, I): all likelihood ratios
//! between path measures are then exact ratios of the discrete Gaussian transition densities
//! (see [`simulate`]). [`network`] holds the control network of App. E.1, [`metrics`] the
//! evaluation criteria of App. E.2, and [`oracle`] the discretisation floor of each target.

pub mod activation;
pub mod annealed;
pub mod benchmark;
pub mod control;
pub mod counter;
pub mod discrete_riccati;
pub mod host_net;
pub mod integrator;
pub mod malloc;
pub mod metrics;
pub mod network;
pub mod noise;
pub mod oracle;
pub mod problem;
pub mod quadratic;
pub mod riccati;
pub mod rng;
pub mod sampling;
pub mod schedule;
pub mod simulate;

pub use socbench_targets as targets;

/// Threads of the pool that runs the host kernels, Sinkhorn and burn-flex's parallel ops.
pub fn compute_threads() -> usize {
    rayon::current_num_threads()
}
