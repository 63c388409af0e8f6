//! Batched trajectory simulation with the exact discrete path densities.
//!
//! Step k: X_{k+1} = m(X_k, t_k) + s_k (h_k u_k + ξ_k), u_k = u(X_k, t_k). Along a simulated path
//! the simulator accumulates, per path,
//!   running    R = Σ_k f(X_k, t_k) Δt_k,          terminal  G = g(X_N),
//!   control    C = Σ_k ½ h_k² |u_k|²,             stochastic S = Σ_k h_k u_k·ξ_k,
//! so that (discrete eq. 3, 28/29, 61)
//!   W = R + G,   log dP^u/dP (X^u) = S + C,
//!   log w = log (e^{−W} dP/dP^u)(X^u) = −(R + G + C + S),   E_{P^u}[w] = Z exactly.

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_targets::backend::{Device, B};

use crate::control::Control;
use crate::problem::SocProblem;
use crate::rng::normals_f32;
use socbench_targets::tensor_util::tensor2_from_f32;

/// What to keep from a simulation.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimOptions {
    /// Keep the autodiff graph through u (for losses that differentiate through the SDE).
    pub track_grad: bool,
    /// Store every state X_k and noise ξ_k (for buffers and adjoints).
    pub store_path: bool,
    /// Also keep each u_k with its autodiff graph (the states stay detached), so that an
    /// on-policy loss on these paths reuses this forward pass of the network instead of
    /// evaluating u again at the same states (see `Trajectories::tracked_controls`).
    pub tracked_controls: bool,
}

/// A batch of simulated paths.
pub struct Trajectories {
    /// X_0..X_N if stored, else only [X_N].
    pub states: Vec<Tensor<B, 2>>,
    /// ξ_0..ξ_{N−1} if stored.
    pub noise: Vec<Tensor<B, 2>>,
    /// u_0..u_{N−1} (detached) if stored.
    pub controls: Vec<Tensor<B, 2>>,
    /// u_0..u_{N−1} with the autodiff graph of the simulating control, if asked for
    /// (`SimOptions::tracked_controls`); empty otherwise.
    pub tracked_controls: Vec<Tensor<B, 2>>,
    pub running_cost: Tensor<B, 1>,
    pub terminal_cost: Tensor<B, 1>,
    pub control_cost: Tensor<B, 1>,
    pub stochastic_integral: Tensor<B, 1>,
}

impl Trajectories {
    pub fn final_state(&self) -> Tensor<B, 2> {
        self.states.last().expect("at least one state").clone()
    }
    /// W(X, 0) = Σ f Δt + g(X_N) (eq. 3).
    pub fn work(&self) -> Tensor<B, 1> {
        self.running_cost.clone() + self.terminal_cost.clone()
    }
    /// log dP^u/dP along the simulated paths.
    pub fn log_rnd_reference(&self) -> Tensor<B, 1> {
        self.control_cost.clone() + self.stochastic_integral.clone()
    }
    /// log importance weights log(dQ/dP^u · Z) = −(W + log dP^u/dP) (eq. 61).
    pub fn log_weights(&self) -> Tensor<B, 1> {
        (self.work() + self.log_rnd_reference()).neg()
    }
}

/// Simulates `n` paths of the problem under control `u`, with noise and initial states drawn from
/// `rng` (initial states first, then ξ_0, ξ_1, …, each [n, d] row-major).
pub fn simulate(
    problem: &dyn SocProblem,
    u: &dyn Control,
    n: usize,
    rng: &mut ChaCha20Rng,
    device: &Device,
    opts: SimOptions,
) -> Trajectories {
    let d = problem.dim();
    let integ = problem.integrator();
    let mut x = problem.sample_initial(n, rng, device);
    let zeros = || Tensor::<B, 1>::zeros([n], device);
    let (mut running, mut control, mut stoch) = (zeros(), zeros(), zeros());
    let mut states = Vec::new();
    let mut noise = Vec::new();
    let mut controls = Vec::new();
    let mut tracked_controls = Vec::new();
    if opts.store_path {
        states.push(x.clone());
    }
    for k in 0..integ.num_steps() {
        let c = integ.coeffs(k);
        let xi = tensor2_from_f32(normals_f32(rng, n * d), n, d, device);
        if let Some(f) = problem.running_cost(x.clone(), c.t) {
            running = running + f.mul_scalar(c.dt);
        }
        let mut uk = u.eval(x.clone(), c.t);
        if opts.tracked_controls {
            tracked_controls.push(uk.clone());
        }
        if !opts.track_grad {
            uk = uk.detach();
        }
        control = control
            + uk.clone()
                .square()
                .sum_dim(1)
                .reshape([n])
                .mul_scalar(0.5 * c.h * c.h);
        stoch = stoch
            + (uk.clone() * xi.clone())
                .sum_dim(1)
                .reshape([n])
                .mul_scalar(c.h);
        if opts.store_path {
            controls.push(uk.clone().detach());
        }
        let m = integ.mean(problem, x, k);
        x = m + (uk.mul_scalar(c.h) + xi.clone()).mul_scalar(c.s);
        if !opts.track_grad {
            x = x.detach();
        }
        if opts.store_path {
            states.push(x.clone());
            noise.push(xi);
        }
    }
    let terminal = problem.terminal_cost(x.clone());
    if !opts.store_path {
        states.push(x);
    }
    Trajectories {
        states,
        noise,
        controls,
        tracked_controls,
        running_cost: running,
        terminal_cost: terminal,
        control_cost: control,
        stochastic_integral: stoch,
    }
}
