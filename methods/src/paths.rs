//! Stored paths of a frozen control v and the per-path quantities the losses need.
//!
//! A stored step k holds X_k, ξ_k and v_k = v(X_k, t_k), taken as X_{k+1} = m + s(h v_k + ξ_k).
//! For a trainable control u, the exact discrete log-RND on these paths is
//!   log dP^v/dP^u (X^v) = Σ_k h_k (v_k − u_k)·ξ_k + ½ h_k² |v_k − u_k|²   (eq. 15, discrete),
//! and log w = −(R + G + C + S) of the v-paths gives dQ/dP^v ∝ w (eq. 12 with W_i = −log w).

use burn::prelude::*;
use burn::tensor::{Int, TensorData};
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::control::Control;
use socbench_harness::problem::{PathProblem, SocProblem};
use socbench_harness::simulate::{simulate, SimOptions, Trajectories};
use socbench_harness::tensor_util::to_f64;

/// A batch (or buffer) of stored paths.
pub struct PathBatch {
    /// X_0..X_N, each [K, d].
    pub states: Vec<Tensor<B, 2>>,
    pub noise: Vec<Tensor<B, 2>>,
    pub controls: Vec<Tensor<B, 2>>,
    /// log w per path, f64 on the host.
    pub log_w: Vec<f64>,
    /// W(X, 0) per path, f64 on the host (eq. 3), for stored (off-policy) batches only: an
    /// on-policy batch serves one gradient step and is never reweighted.
    pub work: Option<Vec<f64>>,
    /// Lean adjoints a_{k+1} for k = 0..N−1 (scaled by β), if computed.
    pub adjoints: Option<Vec<Tensor<B, 2>>>,
    /// u_k = u(X_k, t_k) with the autodiff graph of the control that simulated these paths,
    /// when the batch is on-policy (`PathBatch::on_policy`): the losses take u_k from here
    /// instead of running the network again on the same states. Valid for that control only,
    /// i.e. for the one gradient step the batch was simulated for.
    pub tracked_u: Option<Vec<Tensor<B, 2>>>,
}

impl PathBatch {
    /// Simulates and stores `n` paths of `u` with detached states, with their log weights. For a
    /// buffer (`on_policy = false`) `u` should be a frozen copy, so that no graph is kept. For
    /// `u`'s own gradient step (`on_policy = true`) each u_k keeps its autodiff graph and the
    /// losses reuse it (`PathBatch::on_policy`).
    pub fn simulate(
        problem: &dyn SocProblem,
        u: &dyn Control,
        n: usize,
        rng: &mut ChaCha20Rng,
        device: &Device,
        on_policy: bool,
    ) -> Self {
        let opts = SimOptions {
            track_grad: false,
            store_path: true,
            tracked_controls: on_policy,
        };
        let t = simulate(problem, u, n, rng, device, opts);
        let lw = to_f64(t.log_weights());
        if on_policy {
            Self::on_policy(t, lw)
        } else {
            let work = to_f64(t.work());
            Self {
                work: Some(work),
                ..Self::from_trajectories(t, lw)
            }
        }
    }

    pub fn from_trajectories(t: Trajectories, log_w: Vec<f64>) -> Self {
        Self {
            work: None,
            states: t.states,
            noise: t.noise,
            controls: t.controls,
            log_w,
            adjoints: None,
            tracked_u: None,
        }
    }

    /// An on-policy batch: paths simulated with `SimOptions::tracked_controls` by the control
    /// that the losses will then be given. Their u_k are reused, so a loss on this batch costs
    /// no second forward pass; value and gradient are those of evaluating u again.
    pub fn on_policy(mut t: Trajectories, log_w: Vec<f64>) -> Self {
        let tracked = std::mem::take(&mut t.tracked_controls);
        assert_eq!(
            tracked.len(),
            t.controls.len(),
            "on_policy needs paths simulated with stored paths and tracked_controls"
        );
        let mut b = Self::from_trajectories(t, log_w);
        b.tracked_u = Some(tracked);
        b
    }

    /// u(X_k, t_k): the simulation's tracked value on an on-policy batch, else `u` evaluated.
    fn u_at(&self, u: &dyn Control, k: usize, t: f64) -> Tensor<B, 2> {
        match &self.tracked_u {
            Some(v) => v[k].clone(),
            // Stored states are detached.
            None => u.eval_detached(self.states[k].clone(), t),
        }
    }

    pub fn len(&self) -> usize {
        self.log_w.len()
    }
    pub fn is_empty(&self) -> bool {
        self.log_w.is_empty()
    }

    /// The sub-batch of the given path indices (gathered per step; no path is copied whole).
    pub fn select(&self, idx: &[usize]) -> PathBatch {
        let device = self.states[0].device();
        let ids: Vec<i64> = idx.iter().map(|&i| i as i64).collect();
        let t = Tensor::<B, 1, Int>::from_data(TensorData::new(ids, [idx.len()]), &device);
        let pick = |v: &Vec<Tensor<B, 2>>| {
            v.iter()
                .map(|x| x.clone().select(0, t.clone()))
                .collect::<Vec<_>>()
        };
        PathBatch {
            states: pick(&self.states),
            noise: pick(&self.noise),
            controls: pick(&self.controls),
            log_w: idx.iter().map(|&i| self.log_w[i]).collect(),
            work: self
                .work
                .as_ref()
                .map(|w| idx.iter().map(|&i| w[i]).collect()),
            adjoints: self.adjoints.as_ref().map(pick),
            // Minibatches are drawn for later (off-policy) steps: u is evaluated afresh.
            tracked_u: None,
        }
    }

    /// Discrete lean adjoint (eq. 18): a_N = β∇g(X_N), a_k = (∂m/∂X_k)ᵀ a_{k+1} + β Δt_k ∇f(X_k);
    /// stores a_{k+1} for every step k. Evaluates ∇g once per path (counted as target
    /// evaluations by the problem).
    pub fn compute_adjoints(&mut self, problem: &dyn SocProblem, beta: f64) {
        let integ = problem.integrator();
        let n = integ.num_steps();
        let mut a = problem
            .terminal_cost_grad(self.states[n].clone())
            .mul_scalar(beta)
            .detach();
        let mut out = vec![a.clone(); n];
        for k in (0..n).rev() {
            out[k] = a.clone();
            if k == 0 {
                break;
            }
            let c = integ.coeffs(k);
            let x = self.states[k].clone();
            let mut next = integ.mean_vjp(problem, x.clone(), k, a);
            if let Some(gf) = problem.running_cost_grad(x, c.t) {
                next = next + gf.mul_scalar(beta * c.dt);
            }
            a = next.detach();
        }
        self.adjoints = Some(out);
    }

    /// log dP^v/dP^u on these paths, per path [K], tracked through `u`.
    pub fn log_rnd_v_over_u(&self, problem: &dyn PathProblem, u: &dyn Control) -> Tensor<B, 1> {
        let integ = problem.steps();
        let k_paths = self.len();
        let mut acc = Tensor::<B, 1>::zeros([k_paths], &self.states[0].device());
        for k in 0..integ.num_steps() {
            let c = integ.coeffs(k);
            let du = self.controls[k].clone() - self.u_at(u, k, c.t);
            acc = acc
                + (du.clone() * self.noise[k].clone())
                    .sum_dim(1)
                    .reshape([k_paths])
                    .mul_scalar(c.h)
                + du.square()
                    .sum_dim(1)
                    .reshape([k_paths])
                    .mul_scalar(0.5 * c.h * c.h);
        }
        acc
    }

    /// Σ_k ½ h_k² |u_k + (s_k/h_k) a_{k+1}|² per path: the adjoint-matching residual, whose
    /// regression target −(s/h) a_{k+1} is the discrete counterpart of −σᵀã (eq. 18–19).
    pub fn adjoint_residual(&self, problem: &dyn PathProblem, u: &dyn Control) -> Tensor<B, 1> {
        let adj = self.adjoints.as_ref().expect("compute_adjoints first");
        let integ = problem.steps();
        let k_paths = self.len();
        let mut acc = Tensor::<B, 1>::zeros([k_paths], &self.states[0].device());
        for k in 0..integ.num_steps() {
            let c = integ.coeffs(k);
            let r = self.u_at(u, k, c.t) + adj[k].clone().mul_scalar(c.s / c.h);
            acc = acc
                + r.square()
                    .sum_dim(1)
                    .reshape([k_paths])
                    .mul_scalar(0.5 * c.h * c.h);
        }
        acc
    }

    /// The regression target −(s_k/h_k) a_{k+1} of step k.
    pub fn adjoint_target(&self, problem: &dyn PathProblem, k: usize) -> Tensor<B, 2> {
        let c = problem.steps().coeffs(k);
        self.adjoints.as_ref().expect("compute_adjoints first")[k]
            .clone()
            .mul_scalar(-c.s / c.h)
    }
}
