//! Debiased Sinkhorn divergence with squared-Euclidean cost, log-domain, f64:
//!   S_ε(x, y) = OT_ε(x, y) − ½ OT_ε(x, x) − ½ OT_ε(y, y),
//! uniform weights, OT_ε evaluated by its dual ⟨a, f⟩ + ⟨b, g⟩ at the Sinkhorn fixed point.
//! Potentials are updated in the log domain (f_i = −ε LSE_j((g_j − C_ij)/ε) + ε log m), with
//! ε-scaling (ε_k = max(ε, max C · 2^{−k}), warm-started) so that small ε converges in few
//! iterations; symmetric problems use the averaged update f ← ½(f + T(f)).
//! For the same cloud shifted by a vector m, S_ε = |m|² exactly (the cross terms of
//! |x + m − y|² separate into potentials), which the tests use.

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::lse::max_and_shifted_sum;

/// Sinkhorn settings. Defaults (measured, see docs/metrics.md): ε = 1e-2 × the target cloud's
/// mean squared pairwise distance, stop at an L1 row-marginal error of 1e-3 (ott-jax's
/// threshold) or after 1000 iterations at the final ε. An unconverged dual value is a lower
/// bound; on GMM d = 50 the value after 1000 iterations was 0.6% below the converged one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SinkhornConfig {
    /// Entropic regularisation relative to the scale of the reference cloud y:
    /// ε = `epsilon_rel` · mean_{i,j} |y_i − y_j|². The reference is the exact target sample, so ε
    /// is fixed per (target, d) and identical for every method compared on it.
    pub epsilon_rel: f64,
    /// Stop when the L1 error of the row marginal is below this.
    pub tol: f64,
    /// Iterations allowed at the final ε.
    pub max_iters: usize,
}

impl Default for SinkhornConfig {
    fn default() -> Self {
        Self {
            epsilon_rel: 1e-2,
            tol: 1e-3,
            max_iters: 1000,
        }
    }
}

/// Result of one regularised OT problem.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OtResult {
    pub value: f64,
    pub iterations: usize,
    pub converged: bool,
}

/// Result of the debiased divergence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SinkhornResult {
    /// The absolute ε used.
    pub epsilon: f64,
    pub divergence: f64,
    pub converged: bool,
    pub iterations: usize,
}

/// Row-major squared-distance matrix between rows of x ([n, d]) and y ([m, d]).
fn sq_dists(x: &[f64], n: usize, y: &[f64], m: usize, d: usize) -> Vec<f64> {
    let xm = DMatrix::from_row_slice(n, d, x);
    let ym = DMatrix::from_row_slice(m, d, y);
    let cross = &xm * ym.transpose(); // n×m, column-major
    let nx: Vec<f64> = xm.row_iter().map(|r| r.norm_squared()).collect();
    let ny: Vec<f64> = ym.row_iter().map(|r| r.norm_squared()).collect();
    let mut c = vec![0.0; n * m];
    c.par_chunks_mut(m).enumerate().for_each(|(i, row)| {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (nx[i] + ny[j] - 2.0 * cross[(i, j)]).max(0.0);
        }
    });
    c
}

pub(super) fn transpose(c: &[f64], n: usize, m: usize) -> Vec<f64> {
    let mut t = vec![0.0; n * m];
    t.par_chunks_mut(n).enumerate().for_each(|(j, col)| {
        for (i, v) in col.iter_mut().enumerate() {
            *v = c[i * m + j];
        }
    });
    t
}

/// out_i = −ε LSE_j((g_j − C_ij)/ε) + ε log m, for row-major C [n, m], one row per rayon task
/// (the log-sum-exp of a row in `lse`: per-lane maxima and sums, a vectorised exp).
fn c_transform(c: &[f64], m: usize, g: &[f64], eps: f64, out: &mut [f64]) {
    let log_m = (m as f64).ln();
    let inv = 1.0 / eps;
    out.par_iter_mut().enumerate().for_each(|(i, o)| {
        let (mx, s) = max_and_shifted_sum(&c[i * m..(i + 1) * m], g, inv);
        *o = -eps * (mx + s.ln()) + eps * log_m;
    });
}

/// L1 error of the row marginal implied by potentials (f, g): Σ_i |exp((f_i − T(g)_i)/ε) − 1| / n.
fn marginal_error(f: &[f64], tf: &[f64], eps: f64) -> f64 {
    f.iter()
        .zip(tf)
        .map(|(a, b)| ((a - b) / eps).exp_m1().abs())
        .sum::<f64>()
        / f.len() as f64
}

fn average_into(a: &mut [f64], b: &[f64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = 0.5 * (*x + y);
    }
}

/// OT_ε between uniform measures on the rows and columns of C. `c_t` is Cᵀ row-major, or `None`
/// for a symmetric problem (C = Cᵀ, identical point clouds). Both use the symmetrised
/// (averaged) Sinkhorn update f ← ½(f + T(g)), g ← ½(g + T(f)) with ε-scaling (one pass per
/// halving of ε from max C), then iterate at the final ε until the row-marginal error is below
/// `tol`; a last plain update makes (f, g) an exact c-transform pair before the dual is read.
fn ot_eps(
    c: &[f64],
    c_t: Option<&[f64]>,
    n: usize,
    m: usize,
    epsilon: f64,
    cfg: &SinkhornConfig,
) -> OtResult {
    let cmax = c.iter().cloned().fold(0.0, f64::max).max(epsilon);
    let mut f = vec![0.0; n];
    let mut g = vec![0.0; m];
    let mut tf = vec![0.0; n];
    let mut tg = vec![0.0; m];
    let mut iterations = 0;
    let mut eps = cmax;
    let mut converged = false;
    loop {
        eps = (eps * 0.5).max(epsilon);
        let last = eps <= epsilon;
        let budget = if last { cfg.max_iters } else { 1 };
        for _ in 0..budget {
            iterations += 1;
            match c_t {
                Some(ct) => {
                    c_transform(c, m, &g, eps, &mut tf);
                    c_transform(ct, n, &f, eps, &mut tg);
                    let err = marginal_error(&f, &tf, eps);
                    average_into(&mut f, &tf);
                    average_into(&mut g, &tg);
                    if last && err < cfg.tol {
                        converged = true;
                        break;
                    }
                }
                None => {
                    c_transform(c, m, &f, eps, &mut tf);
                    let err = marginal_error(&f, &tf, eps);
                    average_into(&mut f, &tf);
                    if last && err < cfg.tol {
                        converged = true;
                        break;
                    }
                }
            }
        }
        if last {
            let value = match c_t {
                Some(ct) => {
                    c_transform(ct, n, &f, eps, &mut g);
                    c_transform(c, m, &g, eps, &mut f);
                    mean(&f) + mean(&g)
                }
                None => {
                    c_transform(c, m, &f, eps, &mut tf);
                    mean(&f) + mean(&tf)
                }
            };
            return OtResult {
                value,
                iterations,
                converged,
            };
        }
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Regularised OT_ε(x, y) between the rows of x ([n, d]) and y ([m, d]), absolute ε.
pub fn ot_regularized(
    x: &[f64],
    n: usize,
    y: &[f64],
    m: usize,
    d: usize,
    epsilon: f64,
    cfg: &SinkhornConfig,
) -> OtResult {
    let c = sq_dists(x, n, y, m, d);
    let ct = transpose(&c, n, m);
    ot_eps(&c, Some(&ct), n, m, epsilon, cfg)
}

/// OT_ε(x, x) and the mean squared pairwise distance of x.
fn ot_self(
    x: &[f64],
    n: usize,
    d: usize,
    epsilon: Option<f64>,
    cfg: &SinkhornConfig,
) -> (OtResult, f64) {
    let c = sq_dists(x, n, x, n, d);
    let scale = mean(&c);
    let eps = epsilon.unwrap_or(cfg.epsilon_rel * scale);
    (ot_eps(&c, None, n, n, eps, cfg), scale)
}

/// The debiased Sinkhorn divergence S_ε(x, y), with ε = `epsilon_rel` times the mean squared
/// pairwise distance of the reference cloud `y`.
pub fn sinkhorn_divergence(
    x: &[f64],
    n: usize,
    y: &[f64],
    m: usize,
    d: usize,
    cfg: &SinkhornConfig,
) -> SinkhornResult {
    let (yy, scale) = ot_self(y, m, d, None, cfg);
    let epsilon = (cfg.epsilon_rel * scale).max(f64::MIN_POSITIVE);
    let xy = ot_regularized(x, n, y, m, d, epsilon, cfg);
    let (xx, _) = ot_self(x, n, d, Some(epsilon), cfg);
    SinkhornResult {
        epsilon,
        divergence: xy.value - 0.5 * (xx.value + yy.value),
        converged: xy.converged && xx.converged && yy.converged,
        iterations: xy.iterations + xx.iterations + yy.iterations,
    }
}
