//! The Sinkhorn distance of the log-variance paper's tables (arXiv 2307.01198; sde_sampler's
//! `eval/sinkhorn.py`, after scalable-pytorch-sinkhorn): the transport cost ⟨P, M⟩ of the
//! entropic plan between uniform point clouds, with the *unsquared* Euclidean cost
//! M_ij = |x_i − y_j|, absolute ε = 1e-3, plain log-domain Sinkhorn iterations from
//! (u, v) = (0, ε log b) for at most 100 iterations (stop when both potentials move by less
//! than 1e-5), and no debiasing. With ε this small and 100 iterations the plan is not converged,
//! so the value is a convention rather than a distance: it is only comparable at the same
//! sample sizes, and the value between two exact samples (the floor) is reported beside it.
//! Our own debiased divergence is in [`super::sinkhorn`].

use super::sinkhorn::transpose;
use crate::tensor_util::logsumexp as lse_row;

/// sde_sampler's settings.
#[derive(Clone, Copy, Debug)]
pub struct PlainSinkhorn {
    pub epsilon: f64,
    pub max_iters: usize,
    pub stop: f64,
}

impl Default for PlainSinkhorn {
    fn default() -> Self {
        Self {
            epsilon: 1e-3,
            max_iters: 100,
            stop: 1e-5,
        }
    }
}

impl PlainSinkhorn {
    /// ⟨P, M⟩ between the rows of x ([n, d]) and y ([m, d]), f64 row-major.
    pub fn distance(&self, x: &[f64], n: usize, y: &[f64], m: usize, d: usize) -> f64 {
        let eps = self.epsilon;
        let mut c = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                let s: f64 = (0..d).map(|k| (x[i * d + k] - y[j * d + k]).powi(2)).sum();
                c[i * m + j] = s.sqrt();
            }
        }
        let ct = transpose(&c, n, m);
        let (log_a, log_b) = (-(n as f64).ln(), -(m as f64).ln());
        let mut u = vec![0.0; n];
        let mut v = vec![eps * log_b; m];
        for _ in 0..self.max_iters {
            let du = half_step(&c, m, &v, log_a, eps, &mut u);
            let dv = half_step(&ct, n, &u, log_b, eps, &mut v);
            if du < self.stop && dv < self.stop {
                break;
            }
        }
        let mut total = 0.0;
        for i in 0..n {
            for j in 0..m {
                let cij = c[i * m + j];
                total += ((u[i] + v[j] - cij) / eps).exp() * cij;
            }
        }
        total
    }
}

/// One side of a Sinkhorn iteration: out_i ← ε (log_w − LSE_j((other_j − C_ij)/ε)) for
/// row-major C with `cols` columns, in order; returns the largest change of out.
fn half_step(c: &[f64], cols: usize, other: &[f64], log_w: f64, eps: f64, out: &mut [f64]) -> f64 {
    let mut row = vec![0.0; cols];
    let mut change: f64 = 0.0;
    for (i, o) in out.iter_mut().enumerate() {
        for (j, r) in row.iter_mut().enumerate() {
            *r = (other[j] - c[i * cols + j]) / eps;
        }
        let new = eps * (log_w - lse_row(&row));
        change = change.max((new - *o).abs());
        *o = new;
    }
    change
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two single points: the plan is the point mass, the cost their distance. Identical clouds
    /// of well separated points: the plan is the identity, the cost 0.
    #[test]
    fn point_masses_and_identical_clouds() {
        let s = PlainSinkhorn::default();
        let d = s.distance(&[0.0, 0.0], 1, &[3.0, 4.0], 1, 2);
        assert!((d - 5.0).abs() < 1e-9, "{d}");
        let x = [0.0, 0.0, 10.0, 0.0, 0.0, 10.0];
        let d = s.distance(&x, 3, &x, 3, 2);
        assert!(d.abs() < 1e-9, "{d}");
        // A shift by (1, 0) of a separated cloud costs 1.
        let y: Vec<f64> = x.chunks(2).flat_map(|p| [p[0] + 1.0, p[1]]).collect();
        let d = s.distance(&x, 3, &y, 3, 2);
        assert!((d - 1.0).abs() < 1e-6, "{d}");
    }
}
