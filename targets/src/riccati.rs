//! The Riccati solution of the linear–quadratic problem (App. G.2, eq. 65–67), in f64.
//!
//! For b = Ax, f = xᵀPx, g = xᵀQx and constant σ0, the value function is (λ = 1)
//!   V(x, t) = xᵀF(t)x + c(t),   c(t) = ∫_t^T tr(σ0σ0ᵀF(s)) ds,
//! with F the solution of (eq. 67)
//!   dF/dt + AᵀF + FA − 2Fσ0σ0ᵀF + P = 0,   F(T) = Q,
//! and the optimal control is u*(x, t) = −σ0ᵀ∇V = −2σ0ᵀF(t)x (eq. 66). The ODE is integrated
//! backward with the classical fourth-order Runge–Kutta scheme on a fine uniform grid (the peer
//! codebase uses first-order Euler); between nodes F is the cubic Hermite interpolant built from F
//! and dF/dt, so F(t) is fourth-order accurate at every t, not only at the nodes.

use nalgebra::DMatrix;

/// The data of an LQR problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Lqr {
    pub a: DMatrix<f64>,
    pub p: DMatrix<f64>,
    pub q: DMatrix<f64>,
    pub sigma: DMatrix<f64>,
    pub horizon: f64,
}

/// F(t) and c(t) on a uniform grid t_j = jT/M, j = 0..M.
#[derive(Clone, Debug)]
pub struct RiccatiSolution {
    pub horizon: f64,
    f: Vec<DMatrix<f64>>,
    df: Vec<DMatrix<f64>>,
    /// c(t_j) = ∫_{t_j}^T tr(σσᵀF) ds.
    c: Vec<f64>,
    /// σσᵀ, kept for c between nodes.
    ss: DMatrix<f64>,
}

impl Lqr {
    /// dF/dt = −AᵀF − FA + 2FσσᵀF − P (eq. 67 solved for dF/dt).
    pub fn rhs(&self, f: &DMatrix<f64>) -> DMatrix<f64> {
        let ss = &self.sigma * self.sigma.transpose();
        -(self.a.transpose() * f) - f * &self.a + (f * ss * f) * 2.0 - &self.p
    }

    /// Integrates eq. 67 backward from F(T) = Q with `nodes` RK4 steps (≥ 1).
    pub fn solve(&self, nodes: usize) -> RiccatiSolution {
        let m = nodes.max(1);
        let h = self.horizon / m as f64;
        let ss = &self.sigma * self.sigma.transpose();
        let mut f = vec![DMatrix::zeros(0, 0); m + 1];
        let mut c = vec![0.0; m + 1];
        f[m] = self.q.clone();
        let trace = |x: &DMatrix<f64>| (&ss * x).trace();
        for j in (0..m).rev() {
            // Backward in t: integrate G(τ) = F(T − τ), dG/dτ = −rhs(G), one step of size h.
            // The four stage states serve both G and dc/dτ = tr(σσᵀG).
            let y1 = f[j + 1].clone();
            let k1 = -self.rhs(&y1);
            let y2 = &y1 + &k1 * (h / 2.0);
            let k2 = -self.rhs(&y2);
            let y3 = &y1 + &k2 * (h / 2.0);
            let k3 = -self.rhs(&y3);
            let y4 = &y1 + &k3 * h;
            let k4 = -self.rhs(&y4);
            f[j] = &y1 + (&k1 + &k2 * 2.0 + &k3 * 2.0 + &k4) * (h / 6.0);
            c[j] = c[j + 1]
                + h / 6.0 * (trace(&y1) + 2.0 * trace(&y2) + 2.0 * trace(&y3) + trace(&y4));
        }
        let df = f.iter().map(|x| self.rhs(x)).collect();
        RiccatiSolution {
            horizon: self.horizon,
            f,
            df,
            c,
            ss,
        }
    }
}

impl RiccatiSolution {
    fn locate(&self, t: f64) -> (usize, f64, f64) {
        let m = self.f.len() - 1;
        let h = self.horizon / m as f64;
        let s = (t / h).clamp(0.0, m as f64);
        let j = (s.floor() as usize).min(m - 1);
        (j, s - j as f64, h)
    }

    /// F(t) for t ∈ [0, T] (cubic Hermite between RK4 nodes).
    pub fn f(&self, t: f64) -> DMatrix<f64> {
        let (j, s, h) = self.locate(t);
        let (s2, s3) = (s * s, s * s * s);
        let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
        let h10 = s3 - 2.0 * s2 + s;
        let h01 = -2.0 * s3 + 3.0 * s2;
        let h11 = s3 - s2;
        &self.f[j] * h00
            + &self.df[j] * (h10 * h)
            + &self.f[j + 1] * h01
            + &self.df[j + 1] * (h11 * h)
    }

    /// c(t) = ∫_t^T tr(σσᵀF) ds (Simpson's rule from the nearest node above t).
    pub fn c(&self, t: f64) -> f64 {
        let (j, s, h) = self.locate(t);
        if s == 0.0 {
            return self.c[j];
        }
        let tj1 = (j + 1) as f64 * h;
        let tr = |u: f64| (&self.ss * self.f(u)).trace();
        let mid = 0.5 * (t + tj1);
        self.c[j + 1] + (tj1 - t) / 6.0 * (tr(t) + 4.0 * tr(mid) + tr(tj1))
    }

    /// V(x, t) = xᵀF(t)x + c(t).
    pub fn value(&self, x: &[f64], t: f64) -> f64 {
        let f = self.f(t);
        let v = nalgebra::DVector::from_column_slice(x);
        (v.transpose() * f * &v)[(0, 0)] + self.c(t)
    }

    /// E[V(X_0, 0)] for X_0 ~ N(0, s²I): s² tr F(0) + c(0).
    pub fn mean_value_gaussian(&self, s: f64) -> f64 {
        s * s * self.f[0].trace() + self.c[0]
    }

    /// log Z = log E[e^{−V(X_0, 0)}] for X_0 ~ N(0, s²I) (Thm. D.1 item 2 with Z(x) = e^{−V(x,0)}):
    ///   −c(0) − ½ log det(I + 2s²F(0)).
    pub fn log_z_gaussian(&self, s: f64) -> f64 {
        let d = self.f[0].nrows();
        let m = DMatrix::<f64>::identity(d, d) + &self.f[0] * (2.0 * s * s);
        -self.c[0] - 0.5 * m.determinant().ln()
    }
}

/// Closed form of the scalar Riccati equation F' = 2σ²F² − 2aF − p, F(T) = q (eq. 67 with d = 1),
/// also the solution of every diagonal entry when A, P, Q and σ are diagonal. With the roots
/// r₁ ≥ r₂ of 2σ²r² − 2ar − p = 0 (real when p ≥ 0), (F − r₁)/(F − r₂) = C e^{2σ²(r₁−r₂)(t−T)}.
pub fn scalar_closed_form(a: f64, p: f64, q: f64, sigma: f64, horizon: f64, t: f64) -> f64 {
    let al = 2.0 * sigma * sigma;
    let disc = (4.0 * a * a + 4.0 * al * p).sqrt();
    let (r1, r2) = ((2.0 * a + disc) / (2.0 * al), (2.0 * a - disc) / (2.0 * al));
    let c = (q - r1) / (q - r2);
    let e = c * (al * (r1 - r2) * (t - horizon)).exp();
    (r1 - r2 * e) / (1.0 - e)
}
