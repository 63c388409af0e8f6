//! Neal's funnel (App. E.3 / Beyond-ELBOs benchmark): x₁ ~ N(0, 3²), x_{2:d} | x₁ ~ N(0, e^{x₁} I).
//! Normalised, so log Z = 0; no mode structure.

use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use socbench_harness::backend::B;

use crate::{Target, LN_2PI};

pub struct Funnel {
    d: usize,
    scale: f64,
}

impl Funnel {
    pub fn new(d: usize) -> Self {
        Self { d, scale: 3.0 }
    }
}

impl Target for Funnel {
    /// std x₁ = 3; Var x_i = E[e^{x₁}] = e^{9/2} for i ≥ 2.
    fn marginal_std(&self) -> Option<Vec<f64>> {
        let rest = (0.5 * self.scale * self.scale).exp().sqrt();
        Some(
            (0..self.d)
                .map(|i| if i == 0 { self.scale } else { rest })
                .collect(),
        )
    }
    fn name(&self) -> &str {
        "funnel"
    }
    fn dim(&self) -> usize {
        self.d
    }
    fn prior_std(&self) -> f64 {
        1.0
    }
    fn log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let [b, d] = x.dims();
        let s2 = self.scale * self.scale;
        let x1 = x.clone().narrow(1, 0, 1); // [B,1]
        let rest = x.narrow(1, 1, d - 1);
        let lp1 = x1
            .clone()
            .square()
            .mul_scalar(-0.5 / s2)
            .sub_scalar(0.5 * (LN_2PI + s2.ln()));
        // Σ_i log N(x_i; 0, e^{x1}) = −½ Σ x_i² e^{−x1} − (d−1)/2 (log 2π + x1)
        let lpr = rest
            .square()
            .sum_dim(1)
            .mul(x1.clone().neg().exp())
            .mul_scalar(-0.5)
            - x1.add_scalar(LN_2PI).mul_scalar(0.5 * (d - 1) as f64);
        (lp1 + lpr).reshape([b])
    }
    fn grad_log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let d = x.dims()[1];
        let s2 = self.scale * self.scale;
        let x1 = x.clone().narrow(1, 0, 1);
        let rest = x.narrow(1, 1, d - 1);
        let e = x1.clone().neg().exp();
        let g1 = x1.mul_scalar(-1.0 / s2).sub_scalar(0.5 * (d - 1) as f64)
            + rest
                .clone()
                .square()
                .sum_dim(1)
                .mul(e.clone())
                .mul_scalar(0.5);
        let gr = rest.mul(e).neg();
        Tensor::cat(vec![g1, gr], 1)
    }
    fn log_z(&self) -> Option<f64> {
        Some(0.0)
    }
    fn sample(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(n * self.d);
        for _ in 0..n {
            let x1 = self.scale * rng.sample::<f64, _>(StandardNormal);
            out.push(x1);
            let s = (0.5 * x1).exp();
            for _ in 1..self.d {
                out.push(s * rng.sample::<f64, _>(StandardNormal));
            }
        }
        Some(out)
    }
}
