//! Classical SOC: the quadratic Ornstein–Uhlenbeck problems of App. G.2 (eq. 65), an LQR problem
//!   b(x, t) = Ax,  f(x, t) = xᵀPx,  g(x) = xᵀQx,  σ(t) = σ0 I,  λ = 1,  T = 1,
//! discretised by Euler–Maruyama (eq. 64), with the exact optimal control u* = −2σ0ᵀF(t)x from the
//! Riccati equation (eq. 66–67, [`crate::riccati`]).
//!
//! Easy: A = 0.2I, P = 0.2I, Q = 0.1I; hard: A = I, P = I, Q = 0.5I; σ0 = I in both.
//!
//! Initial states: the paper writes x_init ~ 0.5 N(0, I), read here as a fresh draw for every path
//! ([`InitLaw::PerPath`], the default: `ou-easy`, `ou-hard`). The SOC-matching code instead draws
//! x0 once (x0 = (0.4, 0.6) for d = 2) and starts every path there ([`InitLaw::Shared`]:
//! `ou-easy-shared`, `ou-hard-shared`).
//!
//! A "target evaluation" here is one evaluation of a path's cost W = Σ f Δt + g(X_N) (or of its
//! gradient, for the adjoint): one per simulated path, as for the sampling problems.

use burn::prelude::*;
use burn::tensor::TensorData;
use nalgebra::DMatrix;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::tensor_util::tensor2_from_f32;

use crate::riccati::{Lqr, RiccatiSolution};
use socbench_harness::control::Control;
use socbench_harness::counter::EvalCounter;
use socbench_harness::integrator::{EulerMaruyama, Integrator, StepGrid};
use socbench_harness::problem::{PathProblem, SocProblem};
use socbench_harness::rng::{normals_f32, stream};

/// Problem names accepted by [`QuadraticOu::named`].
pub const NAMES: [&str; 4] = ["ou-easy", "ou-hard", "ou-easy-shared", "ou-hard-shared"];

/// RK4 nodes per unit time for the Riccati solution (F is smooth; 4000 nodes put the error of F
/// far below f32 resolution).
const RICCATI_NODES: usize = 4000;

/// How X_0 is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum InitLaw {
    /// X_0 ~ N(0, std² I) for every path (the paper's "x_init ~ 0.5 N(0, I)").
    PerPath { std: f64 },
    /// Every path starts at the same x0 (the SOC-matching code's convention).
    Shared { x0: Vec<f64> },
}

/// An LQR problem with isotropic noise σ0 I.
pub struct QuadraticOu {
    pub(crate) name: String,
    d: usize,
    pub lqr: Lqr,
    pub riccati: RiccatiSolution,
    pub init: InitLaw,
    sigma0: f64,
    /// Aᵀ, P + Pᵀ and Q + Qᵀ as row-major f32, for x ↦ xAᵀ etc. on a batch of rows.
    a_t: Vec<f32>,
    a: Vec<f32>,
    p: Vec<f32>,
    p_sym: Vec<f32>,
    q: Vec<f32>,
    q_sym: Vec<f32>,
    integrator: EulerMaruyama,
    counter: EvalCounter,
    /// [`QuadraticOu::discrete_optimal_cost`], computed on first use.
    discrete_optimum: std::sync::OnceLock<f64>,
}

/// A matrix as row-major f32.
pub(crate) fn row_major_f32(m: &DMatrix<f64>) -> Vec<f32> {
    let (r, c) = m.shape();
    (0..r)
        .flat_map(|i| (0..c).map(move |j| (i, j)))
        .map(|(i, j)| m[(i, j)] as f32)
        .collect()
}

impl QuadraticOu {
    /// Jacobian-vector product (∇_x b) v of the linear drift b = A x (the adjointness tests
    /// check [`SocProblem::drift_vjp`] against it).
    pub fn drift_jvp(&self, _x: Tensor<B, 2>, t: f64, v: Tensor<B, 2>) -> Tensor<B, 2> {
        SocProblem::drift(self, v, t)
    }

    /// A general problem with `steps` Euler–Maruyama steps. `lqr.sigma` must be σ0·I (the
    /// integrators take a scalar noise scale).
    pub fn new(name: &str, lqr: Lqr, steps: usize, init: InitLaw) -> Self {
        let d = lqr.a.nrows();
        let sigma0 = lqr.sigma[(0, 0)];
        assert!(
            lqr.sigma == DMatrix::identity(d, d) * sigma0,
            "σ0 must be a multiple of the identity"
        );
        let horizon = lqr.horizon;
        let nodes = ((RICCATI_NODES as f64 * horizon).ceil() as usize).max(steps);
        let riccati = lqr.solve(nodes);
        Self {
            name: name.to_string(),
            d,
            a_t: row_major_f32(&lqr.a.transpose()),
            a: row_major_f32(&lqr.a),
            p: row_major_f32(&lqr.p),
            p_sym: row_major_f32(&(&lqr.p + lqr.p.transpose())),
            q: row_major_f32(&lqr.q),
            q_sym: row_major_f32(&(&lqr.q + lqr.q.transpose())),
            integrator: EulerMaruyama::new(horizon, steps, |_| sigma0),
            riccati,
            lqr,
            init,
            sigma0,
            counter: EvalCounter::default(),
            discrete_optimum: std::sync::OnceLock::new(),
        }
    }

    /// The paper's problems by name ([`NAMES`]), with `steps` Euler–Maruyama steps on [0, 1].
    /// `None` for an unknown name.
    pub fn named(name: &str, d: usize, steps: usize) -> Option<Self> {
        let (a, p, q) = match name.trim_end_matches("-shared") {
            "ou-easy" => (0.2, 0.2, 0.1),
            "ou-hard" => (1.0, 1.0, 0.5),
            _ => return None,
        };
        if !NAMES.contains(&name) {
            return None;
        }
        let init = if name.ends_with("-shared") {
            InitLaw::Shared { x0: shared_x0(d) }
        } else {
            InitLaw::PerPath { std: 0.5 }
        };
        let id = DMatrix::<f64>::identity(d, d);
        let lqr = Lqr {
            a: &id * a,
            p: &id * p,
            q: &id * q,
            sigma: id.clone(),
            horizon: 1.0,
        };
        Some(Self::new(name, lqr, steps, init))
    }

    /// A d × d host matrix as a tensor on `device`.
    fn mat(&self, m: &[f32], device: &Device) -> Tensor<B, 2> {
        Tensor::from_data(TensorData::new(m.to_vec(), [self.d, self.d]), device)
    }

    /// xᵀMx per row of x.
    fn quad(&self, x: Tensor<B, 2>, m: &[f32]) -> Tensor<B, 1> {
        let n = x.dims()[0];
        // Σ_j (xM)_j x_j = Σ_ij x_i M_ij x_j.
        (x.clone().matmul(self.mat(m, &x.device())) * x)
            .sum_dim(1)
            .reshape([n])
    }

    /// The exact optimal value E[V(X_0, 0)] over the initial law (Thm. D.1; λ = 1).
    pub fn optimal_cost(&self) -> f64 {
        match &self.init {
            InitLaw::PerPath { std } => self.riccati.mean_value_gaussian(*std),
            InitLaw::Shared { x0 } => self.riccati.value(x0, 0.0),
        }
    }

    /// The exact optimal value of the simulated Euler–Maruyama chain over the initial law (discrete
    /// Riccati recursion, [`crate::discrete_riccati`]): the floor of every estimated J(u).
    pub fn discrete_optimal_cost(&self) -> f64 {
        *self.discrete_optimum.get_or_init(|| {
            let sol = self.lqr.solve_discrete(self.integrator.num_steps());
            match &self.init {
                InitLaw::PerPath { std } => sol.mean_value_gaussian(*std),
                InitLaw::Shared { x0 } => sol.value(x0),
            }
        })
    }

    /// The exact log Z = log E[e^{−W(X, 0)}] of the continuous-time problem over the initial law.
    pub fn log_z(&self) -> f64 {
        match &self.init {
            InitLaw::PerPath { std } => self.riccati.log_z_gaussian(*std),
            InitLaw::Shared { x0 } => -self.riccati.value(x0, 0.0),
        }
    }
}

/// The shared x0 of the SOC-matching convention: (0.4, 0.6) for d = 2, else one draw of
/// 0.5 N(0, I) from a stream keyed only by d (the same for every method and seed).
pub fn shared_x0(d: usize) -> Vec<f64> {
    if d == 2 {
        return vec![0.4, 0.6];
    }
    let mut rng = stream(&["quadratic-ou", "x_init", &d.to_string()]);
    normals_f32(&mut rng, d)
        .into_iter()
        .map(|v| 0.5 * f64::from(v))
        .collect()
}

impl PathProblem for QuadraticOu {
    fn dim(&self) -> usize {
        self.d
    }
    fn sigma(&self, _t: f64) -> f64 {
        self.sigma0
    }
    fn evals(&self) -> &EvalCounter {
        &self.counter
    }
    fn steps(&self) -> &dyn StepGrid {
        SocProblem::integrator(self)
    }
    fn dynamics(&self) -> Option<&dyn SocProblem> {
        Some(self)
    }
}

impl SocProblem for QuadraticOu {
    fn drift(&self, x: Tensor<B, 2>, _t: f64) -> Tensor<B, 2> {
        // Rows: (Ax)ᵀ = xᵀAᵀ.
        let m = self.mat(&self.a_t, &x.device());
        x.matmul(m)
    }
    fn drift_vjp(&self, _x: Tensor<B, 2>, _t: f64, a: Tensor<B, 2>) -> Tensor<B, 2> {
        // Rows: (Aᵀa)ᵀ = aᵀA.
        let m = self.mat(&self.a, &a.device());
        a.matmul(m)
    }
    fn running_cost(&self, x: Tensor<B, 2>, _t: f64) -> Option<Tensor<B, 1>> {
        Some(self.quad(x, &self.p))
    }
    fn running_cost_grad(&self, x: Tensor<B, 2>, _t: f64) -> Option<Tensor<B, 2>> {
        // ∇(xᵀPx) = (P + Pᵀ)x; rows: xᵀ(P + Pᵀ)ᵀ = xᵀ(P + Pᵀ).
        let m = self.mat(&self.p_sym, &x.device());
        Some(x.matmul(m))
    }
    fn terminal_cost(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        self.counter.add_density(x.dims()[0]);
        self.quad(x, &self.q)
    }
    fn terminal_cost_grad(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.counter.add_gradient(x.dims()[0]);
        let m = self.mat(&self.q_sym, &x.device());
        x.matmul(m)
    }
    fn sample_initial(&self, n: usize, rng: &mut ChaCha20Rng, device: &Device) -> Tensor<B, 2> {
        let d = self.d;
        match &self.init {
            InitLaw::PerPath { std } => {
                tensor2_from_f32(normals_f32(rng, n * d), n, d, device).mul_scalar(*std)
            }
            InitLaw::Shared { x0 } => {
                let v: Vec<f32> = (0..n).flat_map(|_| x0.iter().map(|&v| v as f32)).collect();
                tensor2_from_f32(v, n, d, device)
            }
        }
    }
    fn integrator(&self) -> &dyn Integrator {
        &self.integrator
    }
}

/// u*(x, t) = −2σ0ᵀF(t)x (eq. 66), F(t) from the f64 Riccati solution.
pub struct RiccatiControl<'a> {
    pub problem: &'a QuadraticOu,
}

impl Control for RiccatiControl<'_> {
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        let k = self.problem.lqr.sigma.transpose() * self.problem.riccati.f(t) * (-2.0);
        // Rows: (Kx)ᵀ = xᵀKᵀ.
        let kt = row_major_f32(&k.transpose());
        let m = self.problem.mat(&kt, &x.device());
        x.matmul(m)
    }
}
