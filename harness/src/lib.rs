//! The SOC core of socbench (paper eq. 1, 3, 24–29; App. E).
//!
//! The foundation every other crate stands on: the tensor [`backend`], seeded random streams
//! ([`seed`], [`rng`]), input errors ([`error`]) and host/tensor conversions ([`tensor_util`]).
//!
//! On it, the SOC machinery. A controlled SDE dX = (b + σu)(X, s) ds + σ(s) dW on [0, T],
//! X_0 ~ p0, with running cost f and terminal cost g, is a [`problem::SocProblem`]; with its
//! ground truth it is a [`benchmark::Benchmark`] (the problems themselves live in
//! `socbench-targets`). An [`integrator::Integrator`] discretises it so that every step reads
//! X' = m(X, t) + s·(h·u(X, t) + ξ), ξ ~ N(0, I): all likelihood ratios between path measures
//! are then exact ratios of the discrete Gaussian transition densities (see [`simulate`]).
//! [`network`] holds the control network of App. E.1 and [`metrics`] the evaluation criteria of
//! App. E.2.

pub mod activation;
pub mod atomic;
pub mod backend;
pub mod benchmark;
pub mod control;
pub mod counter;
pub mod error;
pub mod fpenv;
pub mod host_net;
pub mod integrator;
pub mod machine;
pub mod malloc;
pub mod metrics;
pub mod network;
pub mod noise;
pub mod problem;
pub mod rng;
pub mod schedule;
pub mod seed;
pub mod simulate;
pub mod tensor_util;

/// Threads of the pool that runs the host kernels, Sinkhorn and burn-flex's parallel ops.
pub fn compute_threads() -> usize {
    rayon::current_num_threads()
}
