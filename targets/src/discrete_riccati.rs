//! The exact optimum of the *discretised* linear–quadratic problem, in f64: the Euler–Maruyama
//! chain that the quadratic OU problems simulate (eq. 64),
//!   X_{k+1} = M X_k + B u_k + σ√Δt ξ_k,   M = I + AΔt,  B = σΔt,
//! with cost Σ_k (X_kᵀPX_k + ½|u_k|²) Δt + X_NᵀQX_N — the cost functional J(u) that the evaluation
//! estimates. Dynamic programming gives V_k(x) = xᵀS_k x + c_k with S_N = Q, c_N = 0 and
//!   R_k = ½Δt I + BᵀS_{k+1}B,   K_k = −R_k⁻¹ BᵀS_{k+1}M,
//!   S_k = PΔt + MᵀS_{k+1}M + MᵀS_{k+1}B K_k,   c_k = c_{k+1} + Δt tr(σᵀS_{k+1}σ),
//! and the optimal control of the chain is u_k = K_k X_k. No control of the simulated chain can
//! cost less in expectation, whereas the continuous optimum of [`crate::riccati`] can be beaten
//! by O(Δt) (issue 20: SOCM "beat the optimum" at ou-easy d = 100).

use nalgebra::DMatrix;

use crate::riccati::Lqr;

/// V_k(x) = xᵀS_k x + c_k for k = 0..N, and the optimal gains K_k for k = 0..N−1.
#[derive(Clone, Debug)]
pub struct DiscreteSolution {
    pub s: Vec<DMatrix<f64>>,
    pub c: Vec<f64>,
    pub gains: Vec<DMatrix<f64>>,
}

impl DiscreteSolution {
    /// V_0(x0) = x0ᵀS_0x0 + c_0.
    pub fn value(&self, x0: &[f64]) -> f64 {
        let v = nalgebra::DVector::from_column_slice(x0);
        (v.transpose() * &self.s[0] * &v)[(0, 0)] + self.c[0]
    }

    /// E[V_0(X_0)] for X_0 ~ N(0, std²I): std² tr S_0 + c_0.
    pub fn mean_value_gaussian(&self, std: f64) -> f64 {
        std * std * self.s[0].trace() + self.c[0]
    }
}

fn sym(m: DMatrix<f64>) -> DMatrix<f64> {
    (&m + m.transpose()) * 0.5
}

impl Lqr {
    /// The chain's Δt, M and B for `steps` steps on [0, T].
    fn chain(&self, steps: usize) -> (f64, DMatrix<f64>, DMatrix<f64>) {
        let d = self.a.nrows();
        let dt = self.horizon / steps as f64;
        let m = DMatrix::<f64>::identity(d, d) + &self.a * dt;
        (dt, m, &self.sigma * dt)
    }

    /// E[ξᵀ(σ√Δt)ᵀ S (σ√Δt)ξ] = Δt tr(σᵀSσ): what one step's noise adds to c_k.
    fn noise(&self, dt: f64, s: &DMatrix<f64>) -> f64 {
        dt * (self.sigma.transpose() * s * &self.sigma).trace()
    }

    /// Backward dynamic programming of the Euler–Maruyama chain with `steps` steps (≥ 1).
    pub fn solve_discrete(&self, steps: usize) -> DiscreteSolution {
        let n = steps.max(1);
        let d = self.a.nrows();
        let (dt, m, b) = self.chain(n);
        let mut s = vec![DMatrix::zeros(d, d); n + 1];
        let mut c = vec![0.0; n + 1];
        let mut gains = vec![DMatrix::zeros(d, d); n];
        s[n] = self.q.clone();
        for k in (0..n).rev() {
            let next = s[k + 1].clone();
            let r = DMatrix::<f64>::identity(d, d) * (0.5 * dt) + b.transpose() * &next * &b;
            let rhs = b.transpose() * &next * &m;
            let kk = -r.lu().solve(&rhs).expect("R is positive definite");
            s[k] =
                sym(&self.p * dt + m.transpose() * &next * &m + m.transpose() * &next * &b * &kk);
            c[k] = c[k + 1] + self.noise(dt, &next);
            gains[k] = kk;
        }
        DiscreteSolution { s, c, gains }
    }

    /// The exact expected cost on the chain of the linear feedback u_k = G_k X_k (policy
    /// evaluation, same recursion without the minimisation).
    pub fn evaluate_discrete(&self, gains: &[DMatrix<f64>]) -> DiscreteSolution {
        let n = gains.len().max(1);
        let d = self.a.nrows();
        let (dt, m, b) = self.chain(n);
        let mut s = vec![DMatrix::zeros(d, d); n + 1];
        let mut c = vec![0.0; n + 1];
        s[n] = self.q.clone();
        for k in (0..n).rev() {
            let g = &gains[k];
            let closed = &m + &b * g;
            s[k] = sym(&self.p * dt
                + g.transpose() * g * (0.5 * dt)
                + closed.transpose() * &s[k + 1] * &closed);
            c[k] = c[k + 1] + self.noise(dt, &s[k + 1]);
        }
        DiscreteSolution {
            s,
            c,
            gains: gains.to_vec(),
        }
    }
}
