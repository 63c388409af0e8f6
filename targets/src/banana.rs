//! The banana, the worked example target of `docs/extending.md` (not one of the paper's): a
//! Gaussian twisted along a parabola (Haario et al. 1999),
//!
//!   x₁ ~ N(0, a²),  x₂ | x₁ ~ N(b (x₁² − a²), 1),  x₃…x_d ~ N(0, 1),
//!
//! with a = 2, b = 0.5. The twist x₂ ↦ x₂ − b(x₁² − a²) has unit Jacobian, so the density is
//! normalised (log Z = 0) and exact samples are the twist of Gaussian ones. It has no mode
//! structure and no analytic optimal control: its reports show |ΔlogZ|, ESS and the Sinkhorn
//! distance, and leave control L2 and TVD empty. It implements only the log-density: the gradient
//! is burn's autodiff (the default of [`Target::grad_log_density`]).

use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;

use crate::{Target, LN_2PI};
use socbench_harness::backend::B;

pub struct Banana {
    d: usize,
    /// Standard deviation of x₁.
    a: f64,
    /// Curvature of the twist.
    b: f64,
}

impl Banana {
    pub fn new(d: usize) -> Self {
        Self { d, a: 2.0, b: 0.5 }
    }
}

impl Target for Banana {
    fn name(&self) -> &str {
        "banana"
    }
    fn dim(&self) -> usize {
        self.d
    }
    fn prior_std(&self) -> f64 {
        2.0
    }
    fn log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let [n, d] = x.dims();
        let x1 = x.clone().narrow(1, 0, 1);
        let x2 = x.clone().narrow(1, 1, 1);
        // Untwisted coordinates: y₁ = x₁/a, y₂ = x₂ − b(x₁² − a²), y_{3:d} = x_{3:d}.
        let y1 = x1.clone().div_scalar(self.a);
        let y2 = x2 - (x1.square().sub_scalar(self.a * self.a)).mul_scalar(self.b);
        let mut sq = y1.square() + y2.square();
        if d > 2 {
            sq = sq + x.narrow(1, 2, d - 2).square().sum_dim(1);
        }
        // −½|y|² − (d/2) log 2π − log a.
        sq.mul_scalar(-0.5)
            .sub_scalar(0.5 * d as f64 * LN_2PI + self.a.ln())
            .reshape([n])
    }
    fn log_z(&self) -> Option<f64> {
        Some(0.0)
    }
    fn sample(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(n * self.d);
        for _ in 0..n {
            let x1 = self.a * rng.sample::<f64, _>(StandardNormal);
            out.push(x1);
            out.push(rng.sample::<f64, _>(StandardNormal) + self.b * (x1 * x1 - self.a * self.a));
            for _ in 2..self.d {
                out.push(rng.sample(StandardNormal));
            }
        }
        Some(out)
    }
}
