//! The control network of App. E.1: zero at initialisation (u_0 = 0), trainable, and the
//! Langevin-preconditioned variant's target gradients go through the evaluation counter.

mod common;

use std::sync::Arc;

use burn::prelude::*;
use common::{device, problem};
use socbench::harness::control::Control;
use socbench::harness::network::{ControlNet, NetConfig, NetworkControl};
use socbench::harness::problem::PathProblem;
use socbench::harness::rng::{normals_f32, StreamKey};
use socbench::harness::tensor_util::{tensor2_from_f32, to_f64};
use socbench::targets::gmm::GaussianMixture;
use socbench_harness::backend::B;

#[test]
fn network_starts_at_zero_and_counts_langevin_evaluations() {
    let d = 5;
    let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 10);
    let mut rng = StreamKey::new("tests", "net", d, 0).stream("x");
    let x = tensor2_from_f32(normals_f32(&mut rng, 64 * d), 64, d, &device());
    for langevin in [false, true] {
        let cfg = NetConfig {
            width: 32,
            depth: 3,
            fourier: 8,
            time_width: 16,
            langevin,
            ..NetConfig::default()
        };
        let u = NetworkControl::new(ControlNet::new(d, &cfg, &device()), cfg, &p);
        let before = p.evals().gradient();
        let out = u.eval(x.clone(), 0.3);
        assert_eq!(out.dims(), [64, d]);
        assert!(
            to_f64(out).iter().all(|v| *v == 0.0),
            "u_0 must be exactly 0"
        );
        let counted = p.evals().gradient() - before;
        assert_eq!(counted, if langevin { 64 } else { 0 });
    }
}

/// A small network (3 + 2 layers) for the gradient tests.
fn tiny_net() -> NetConfig {
    NetConfig {
        width: 16,
        depth: 3,
        fourier: 4,
        time_width: 8,
        langevin: false,
        ..NetConfig::default()
    }
}

#[test]
fn gradients_reach_every_layer() {
    let d = 3;
    let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 10);
    let ad = socbench_harness::backend::autodiff(&device());
    let cfg = tiny_net();
    let u = NetworkControl::new(ControlNet::new(d, &cfg, &ad), cfg, &p);
    let mut rng = StreamKey::new("tests", "net-grad", d, 0).stream("x");
    let x = tensor2_from_f32(normals_f32(&mut rng, 32 * d), 32, d, &ad);
    let loss = (u.eval(x.clone(), 0.5) - x).square().mean();
    let grads = loss.backward();
    let mut n_params = 0;
    let mut nonzero = 0;
    use burn::module::{Module, ModuleVisitor, Param};
    struct V<'a> {
        grads: &'a <B as burn::tensor::backend::AutodiffBackend>::Gradients,
        n: &'a mut usize,
        nz: &'a mut usize,
    }
    impl ModuleVisitor<B> for V<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
            *self.n += 1;
            if let Some(g) = p.val().grad(self.grads) {
                if to_f64(g.abs().sum()).iter().any(|v| *v > 0.0) {
                    *self.nz += 1;
                }
            }
        }
    }
    u.net().visit(&mut V {
        grads: &grads,
        n: &mut n_params,
        nz: &mut nonzero,
    });
    // f1: 3 layers, f2: 2 layers, weight + bias each. With zero-initialised last layers, only the
    // last layers' own parameters receive gradient at step 0 (the earlier ones are multiplied by
    // the zero weights): that is the expected start of training.
    assert_eq!(n_params, 10);
    assert!(
        nonzero >= 4,
        "last-layer weights and biases of f1 and f2 must get gradient ({nonzero})"
    );
}

#[test]
fn a_frozen_network_is_the_same_function_and_still_differentiable_in_a_leaf_x() {
    use burn::module::Module;
    use burn::optim::{GradientsParams, Optimizer, SgdConfig};
    let d = 3;
    let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 10);
    let ad = socbench_harness::backend::autodiff(&device());
    let cfg = tiny_net();
    let mut rng = StreamKey::new("tests", "net-frozen", d, 0).stream("x");
    let x = tensor2_from_f32(normals_f32(&mut rng, 32 * d), 32, d, &ad);
    // Two SGD steps so that every layer is non-zero (u ≡ 0 at initialisation).
    let mut net = ControlNet::new(d, &cfg, &ad);
    let mut optim = SgdConfig::new().init::<B, ControlNet<B>>();
    for _ in 0..2 {
        let u = NetworkControl::new(net.clone(), cfg.clone(), &p);
        let loss = (u.eval(x.clone(), 0.5) - x.clone().mul_scalar(3.0))
            .square()
            .mean();
        let g = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(0.5, net, g);
    }
    let frozen = net.clone().no_grad();
    assert!(net.tracked() && !frozen.tracked());
    let eval = |net: &ControlNet<B>, x: Tensor<B, 2>| {
        NetworkControl::new(net.clone(), cfg.clone(), &p).eval(x, 0.5)
    };
    let (a, b) = (
        to_f64(eval(&net, x.clone())),
        to_f64(eval(&frozen, x.clone())),
    );
    assert!(
        a.iter().any(|v| v.abs() > 1e-3),
        "the network must be non-zero"
    );
    // The frozen network runs on the host (harness/src/host_net), the tracked one through
    // burn's graph: the same function up to the rounding of a different summation order.
    let diff = common::max_diff(&a, &b);
    assert!(
        diff <= 1e-6,
        "frozen and tracked networks must give the same values (differ by {diff:e})"
    );
    // ∇_x Σ u(x)² for a leaf x: the same through the frozen and the tracked network.
    let grad_x = |net: &ControlNet<B>| {
        let xl = x.clone().detach().require_grad();
        let g = eval(net, xl.clone()).square().sum().backward();
        to_f64(xl.grad(&g).expect("x is a leaf that requires grad"))
    };
    let (ga, gb) = (grad_x(&net), grad_x(&frozen));
    assert!(ga.iter().any(|v| v.abs() > 1e-6));
    assert_eq!(ga, gb);
}
