//! The log-variance paper's Prop. (Nüsken & Richter's): at v = u, the gradient of the
//! log-variance loss on paths of v equals twice the gradient of the reverse KL (RE,
//! differentiated through the SDE), in expectation. Checked on DIS with a Gaussian target and a
//! two-parameter family of controls u_θ = (1 + θ₁) u* + θ₂ c (u* the analytic optimal control, c
//! a constant vector), both gradients taken at θ = (−0.2, 0) on the same noise: the registry's `re`
//! and `lv` loss terms (methods/src/losses/terms.rs) by burn's autodiff, averaged over five
//! batches of 20 000 paths (measured: relative difference 0.036). The test can fail: a factor 1
//! instead of 2 is refused.
//!
//! On GMM9 the same check is swamped by the reparametrised KL gradient's spread between
//! batches (its sign changed from one batch of 20 000 to the next), while LV's stayed within
//! 5 %: the pathwise derivative through the mixture's score is heavy-tailed.
#![allow(clippy::single_range_in_vec_init)] // burn's `slice([a..b])` takes one range per axis

use std::sync::Arc;

use burn::prelude::*;
use socbench::harness::backend::{self, B};
use socbench::harness::control::Control;
use socbench::harness::rng::StreamKey;
use socbench::harness::simulate::{simulate, SimOptions};
use socbench::harness::tensor_util::to_f64;
use socbench::methods::losses::{log_variance, relative_entropy};
use socbench::methods::paths::PathBatch;
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::sampling::{OptimalGmmControl, SamplingProblem};

struct Family<'a> {
    base: &'a dyn Control,
    theta: Tensor<B, 1>,
}

impl Control for Family<'_> {
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        let device = x.device();
        let u0 = self.base.eval(x, t);
        let scale = self
            .theta
            .clone()
            .slice([0..1])
            .add_scalar(1.0)
            .unsqueeze::<2>();
        let c = Tensor::<B, 2>::from_data(TensorData::new(vec![1.0f32, -0.5], [1, 2]), &device);
        let shift = self.theta.clone().slice([1..2]).unsqueeze::<2>() * c;
        u0 * scale + shift
    }
}

#[test]
fn lv_gradient_at_v_equal_u_is_twice_the_kl_gradient() {
    let ad = backend::autodiff(&backend::flex());
    // A Gaussian target N(1, 0.5²I), where u* is affine in x and both estimators are tame.
    let target = Arc::new(GaussianMixture::gaussian(2, 1.0, 0.5, 1.0, 0.0));
    let p = SamplingProblem::dis(target, 20, 0.0).unwrap();
    // Near the optimum, where the weights are not degenerate (far from it the variance of both
    // estimators swamps a check at any batch size that runs in a test): u_θ = 0.8 u* + θ₂ c at
    // θ = (−0.2, 0).
    let u0 = OptimalGmmControl::new(&p).unwrap();
    // Five batches of 20 000 paths, their gradients averaged (one batch's KL gradient moves by
    // about 20 % between batches).
    let (n, batches) = (20_000, 5);
    let key = StreamKey::new("tests", "lv-gradient", 2, 0);
    let grad = |lv: bool, batch: usize| -> Vec<f64> {
        let theta =
            Tensor::<B, 1>::from_data(TensorData::new(vec![0.0f32, 0.0], [2]), &ad).require_grad();
        let u = Family {
            base: &u0,
            theta: theta.clone(),
        };
        let mut rng = key.stream(&format!("paths-{batch}"));
        let loss = if lv {
            let b = PathBatch::simulate(&p, &u, n, &mut rng, &ad, false);
            log_variance(&b, &p, &u, 1.0)
        } else {
            let opts = SimOptions {
                track_grad: true,
                ..SimOptions::default()
            };
            relative_entropy(&simulate(&p, &u, n, &mut rng, &ad, opts))
        };
        let g = loss.backward();
        to_f64(Tensor::<B, 1>::from_inner(theta.grad(&g).unwrap()))
    };
    let mean = |lv: bool| -> Vec<f64> {
        let mut acc = vec![0.0; 2];
        for b in 0..batches {
            for (a, g) in acc.iter_mut().zip(grad(lv, b)) {
                *a += g / batches as f64;
            }
        }
        acc
    };
    let (kl, lv) = (mean(false), mean(true));
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let rel = |f: f64| {
        let diff: Vec<f64> = lv.iter().zip(&kl).map(|(a, b)| a - f * b).collect();
        norm(&diff) / norm(&kl.iter().map(|b| 2.0 * b).collect::<Vec<_>>())
    };
    eprintln!(
        "∇KL {kl:?}, ∇LV {lv:?}: |∇LV − 2∇KL|/|2∇KL| = {:.3}",
        rel(2.0)
    );
    assert!(norm(&kl) > 1e-3, "the KL gradient vanishes: {kl:?}");
    assert!(rel(2.0) < 0.1, "∇LV {lv:?} is not 2∇KL {kl:?}");
    assert!(rel(1.0) > 0.3, "the test cannot tell 2 from 1");
}
