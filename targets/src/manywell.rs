//! ManyWell (App. E.1): ρ(x) = exp(−Σ_{i≤m}(x_i² − δ)² − ½ Σ_{i>m} x_i²), 2^m modes.
//! The density factorises, so log Z = m · log Z_1 + (d − m)/2 · log 2π with
//! Z_1 = ∫ exp(−(x² − δ)²) dx by composite Simpson quadrature in f64, and exact samples come from
//! rejection sampling on the 1-D double-well factor.

use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use socbench_harness::backend::B;

use crate::{Target, LN_2PI};
use socbench_harness::problem::ModeStructure;

pub struct ManyWell {
    name: &'static str,
    d: usize,
    m: usize,
    delta: f64,
    eta: f64,
    log_z1: f64,
    sampler: DoubleWellSampler,
    weights: Vec<f64>,
}

/// log ∫ exp(−(x² − δ)²) dx by composite Simpson's rule on [−(√δ + 6), √δ + 6] with 200 000
/// panels (the integrand is below e^{−1000} outside; Simpson's error is O(h⁴) ≈ 1e−14 here).
pub fn log_z_double_well(delta: f64) -> f64 {
    simpson_double_well(delta, |_| 1.0).ln()
}

/// ∫ g(x) exp(−(x² − δ)²) dx by the rule of [`log_z_double_well`].
fn simpson_double_well(delta: f64, g: impl Fn(f64) -> f64) -> f64 {
    let l = delta.max(0.0).sqrt() + 6.0;
    let n = 200_000usize;
    let h = 2.0 * l / n as f64;
    let f = |x: f64| g(x) * (-(x * x - delta).powi(2)).exp();
    let mut s = f(-l) + f(l);
    for i in 1..n {
        let x = -l + i as f64 * h;
        s += if i % 2 == 1 { 4.0 * f(x) } else { 2.0 * f(x) };
    }
    s * h / 3.0
}

/// Rejection sampler for p(x) ∝ exp(−(x² − δ)²) with a two-component Gaussian proposal at ±√δ.
struct DoubleWellSampler {
    delta: f64,
    center: f64,
    std: f64,
    log_m: f64,
}

impl DoubleWellSampler {
    fn new(delta: f64) -> Self {
        let center = delta.max(0.0).sqrt();
        // Mode curvature 8δ ⇒ std 1/√(8δ); widen it and floor it for small δ.
        let std = (1.5 / (8.0 * delta.max(1e-3)).sqrt()).max(0.5);
        let mut s = Self {
            delta,
            center,
            std,
            log_m: 0.0,
        };
        // log sup ρ/q on a fine grid; the ratio is smooth and decays like e^{−x⁴} in the tails,
        // so a 5% margin over the grid maximum bounds it.
        let l = center + 12.0 * std + 4.0;
        let log_m = (0..=40_000)
            .map(|i| -l + 2.0 * l * i as f64 / 40_000.0)
            .map(|x| s.log_target(x) - s.log_proposal(x))
            .fold(f64::NEG_INFINITY, f64::max);
        s.log_m = log_m + 0.05f64.ln_1p();
        s
    }
    fn log_target(&self, x: f64) -> f64 {
        -(x * x - self.delta).powi(2)
    }
    fn log_proposal(&self, x: f64) -> f64 {
        let g = |m: f64| -0.5 * ((x - m) / self.std).powi(2);
        let (a, b) = (g(self.center), g(-self.center));
        let mx = a.max(b);
        mx + ((a - mx).exp() + (b - mx).exp()).ln() - (2.0f64).ln() - self.std.ln() - 0.5 * LN_2PI
    }
    fn sample(&self, rng: &mut ChaCha20Rng) -> f64 {
        loop {
            let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
            let x = sign * self.center + self.std * rng.sample::<f64, _>(StandardNormal);
            let u: f64 = rng.random();
            if u.ln() < self.log_target(x) - self.log_proposal(x) - self.log_m {
                return x;
            }
        }
    }
}

impl ManyWell {
    /// The paper's ManyWell: m = min(5, d) double wells, δ = 4, prior η = 1.
    pub fn paper(d: usize) -> Self {
        Self::new(d, d.min(5), 4.0, 1.0)
    }

    pub fn new(d: usize, m: usize, delta: f64, eta: f64) -> Self {
        assert!(m <= d && m < 31);
        Self {
            name: "manywell",
            d,
            m,
            delta,
            eta,
            log_z1: log_z_double_well(delta),
            sampler: DoubleWellSampler::new(delta),
            weights: vec![1.0 / (1u64 << m) as f64; 1 << m],
        }
    }

    /// The same target under another registry name.
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    pub fn num_wells(&self) -> usize {
        self.m
    }
}

/// The standard deviation of p(x) ∝ exp(−(x² − δ)²) (mean 0 by symmetry): √(∫x²p / ∫p) by
/// the Simpson rule of [`log_z_double_well`].
pub fn std_double_well(delta: f64) -> f64 {
    (simpson_double_well(delta, |x| x * x) / simpson_double_well(delta, |_| 1.0)).sqrt()
}

impl Target for ManyWell {
    fn marginal_std(&self) -> Option<Vec<f64>> {
        let s = std_double_well(self.delta);
        Some(
            (0..self.d)
                .map(|i| if i < self.m { s } else { 1.0 })
                .collect(),
        )
    }
    fn name(&self) -> &str {
        self.name
    }
    fn dim(&self) -> usize {
        self.d
    }
    fn prior_std(&self) -> f64 {
        self.eta
    }
    fn log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let [b, d] = x.dims();
        let wells = x.clone().narrow(1, 0, self.m);
        let mut out = (wells.square().sub_scalar(self.delta))
            .square()
            .sum_dim(1)
            .neg();
        if d > self.m {
            let rest = x.narrow(1, self.m, d - self.m);
            out = out - rest.square().sum_dim(1).mul_scalar(0.5);
        }
        out.reshape([b])
    }
    fn grad_log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let d = x.dims()[1];
        let wells = x.clone().narrow(1, 0, self.m);
        // ∂/∂x [−(x² − δ)²] = −4x(x² − δ)
        let gw = wells
            .clone()
            .square()
            .sub_scalar(self.delta)
            .mul(wells)
            .mul_scalar(-4.0);
        if d > self.m {
            Tensor::cat(vec![gw, x.narrow(1, self.m, d - self.m).neg()], 1)
        } else {
            gw
        }
    }
    /// −Σ_{i≤m}(x_i² − δ)² − ½Σ_{i>m} x_i², its gradient and its Laplacian
    /// −Σ_{i≤m}(12x_i² − 4δ) − (d − m).
    fn log_density_jet(&self, x: &[f64]) -> Option<(f64, Vec<f64>, f64)> {
        let (mut v, mut lap) = (0.0, 0.0);
        let g = x
            .iter()
            .enumerate()
            .map(|(i, &xi)| {
                if i < self.m {
                    v -= (xi * xi - self.delta).powi(2);
                    lap -= 12.0 * xi * xi - 4.0 * self.delta;
                    -4.0 * xi * (xi * xi - self.delta)
                } else {
                    v -= 0.5 * xi * xi;
                    lap -= 1.0;
                    -xi
                }
            })
            .collect();
        Some((v, g, lap))
    }
    fn log_z(&self) -> Option<f64> {
        Some(self.m as f64 * self.log_z1 + 0.5 * (self.d - self.m) as f64 * LN_2PI)
    }
    fn sample(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>> {
        let mut out = Vec::with_capacity(n * self.d);
        for _ in 0..n {
            for i in 0..self.d {
                out.push(if i < self.m {
                    self.sampler.sample(rng)
                } else {
                    rng.sample(StandardNormal)
                });
            }
        }
        Some(out)
    }
    fn modes(&self) -> Option<&dyn ModeStructure> {
        Some(self)
    }
}

/// The 2^m modes are the sign patterns of the first m coordinates; all have weight 2^{−m}.
impl ModeStructure for ManyWell {
    fn weights(&self) -> &[f64] {
        &self.weights
    }
    fn assign(&self, x: &[f64], n: usize) -> Vec<usize> {
        (0..n)
            .map(|i| {
                (0..self.m).fold(0usize, |acc, j| {
                    (acc << 1) | usize::from(x[i * self.d + j] > 0.0)
                })
            })
            .collect()
    }
    /// Exact by symmetry: the prior N(0, η²I) and ρ are both even in every coordinate, so
    /// p_β ∝ p_prior^{1−β} ρ^β is too, and each sign pattern keeps weight 2^{−m} at every β.
    fn annealed_weights(&self, _beta: f64) -> Option<Vec<f64>> {
        Some(self.weights.clone())
    }
}
