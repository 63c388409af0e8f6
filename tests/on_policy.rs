//! On-policy batches (`PathBatch::on_policy`) reuse the simulation's network pass in the loss.
//! The loss value and its gradient must be those of the two-pass form (simulate detached, then
//! evaluate u again on the stored states), for every method that takes on-policy batches.

mod common;

use std::sync::Arc;

use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::prelude::*;
use common::{max_diff, problem};
use socbench::harness::network::{ControlNet, NetworkControl};
use socbench::harness::rng::{normals_f32, StreamKey};
use socbench::harness::tensor_util::{tensor2_from_f32, to_f64};
use socbench::methods::losses;
use socbench::methods::paths::PathBatch;
use socbench::methods::profile::small_net;
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::sampling::SamplingProblem;
use socbench_harness::backend::{self, Device, B};

const D: usize = 3;
const N: usize = 64;

/// Paths of `net` from the same seed: detached by a frozen copy (two-pass form) or on-policy by
/// `u` itself (tracked u_k).
fn batch(
    p: &SamplingProblem,
    net: &ControlNet<B>,
    u: &NetworkControl,
    ad: &Device,
    on_policy: bool,
) -> PathBatch {
    let frozen = NetworkControl::new(net.clone().no_grad(), small_net(), p);
    let mut rng = StreamKey::new("tests", "on-policy", D, 0).stream("sim");
    let sim = if on_policy { u } else { &frozen };
    PathBatch::simulate(p, sim, N, &mut rng, ad, on_policy)
}

/// The loss of `method` on a batch of `net`'s paths, and the network after one SGD step on it
/// evaluated at fixed points (which differs between the two forms iff the gradients do). With
/// `taped` the control runs on the host as in training, else through burn's graph.
fn loss_and_step(
    p: &SamplingProblem,
    net: &ControlNet<B>,
    ad: &Device,
    method: &str,
    on_policy: bool,
    taped: bool,
) -> (f64, Vec<f64>) {
    let u = if taped {
        NetworkControl::taped(net.clone(), small_net(), p)
    } else {
        NetworkControl::new(net.clone(), small_net(), p)
    };
    let mut b = batch(p, net, &u, ad, on_policy);
    let loss = match method {
        "lv" => losses::log_variance(&b, p, &u, 1.0),
        "ce" => losses::cross_entropy(&b, p, &u, 1.0),
        _ => {
            b.compute_adjoints(p, 1.0);
            losses::adjoint_matching(&b, p, &u, None)
        }
    };
    let value = f64::from(loss.clone().into_scalar());
    let grads = u.gradients(loss.backward());
    let mut sgd = SgdConfig::new().init::<B, ControlNet<B>>();
    let stepped = sgd.step(0.1, net.clone(), grads);
    (value, probe(&stepped, ad))
}

/// The network's output at fixed points.
fn probe(net: &ControlNet<B>, ad: &Device) -> Vec<f64> {
    let mut rng = StreamKey::new("tests", "on-policy", D, 0).stream("probe");
    let x = tensor2_from_f32(normals_f32(&mut rng, 16 * D), 16, D, ad);
    let out = net.forward(x.clone(), 0.3, small_net().fourier, x);
    to_f64(out.flatten::<1>(0, 1))
}

#[test]
fn on_policy_batches_give_the_two_pass_loss_and_gradient() {
    let ad = backend::autodiff(&backend::flex());
    let p = problem(Arc::new(GaussianMixture::paper_gmm(D)), 10);
    // A network away from its zero initialisation (the last layer starts at zero), so that
    // every layer's gradient is non-trivial.
    let mut net = ControlNet::new(D, &small_net(), &ad);
    let mut sgd = SgdConfig::new().init::<B, ControlNet<B>>();
    for _ in 0..3 {
        let u = NetworkControl::new(net.clone(), small_net(), &p);
        let b = batch(&p, &net, &u, &ad, false);
        let g = losses::log_variance(&b, &p, &u, 1.0).backward();
        let grads = GradientsParams::from_grads(g, &net);
        net = sgd.step(0.05, net, grads);
    }
    // Taped (host) as training runs, and through burn's graph. In the second form the frozen
    // copy simulates on the host and the tracked network runs through burn, so v − u is
    // rounding instead of exactly zero: the CE loss (zero at v = u) is then a few 1e-9.
    for taped in [true, false] {
        for method in ["lv", "ce", "am"] {
            let (l2, out2) = loss_and_step(&p, &net, &ad, method, false, taped);
            let (l1, out1) = loss_and_step(&p, &net, &ad, method, true, taped);
            let (before, _) = loss_and_step(&p, &net, &ad, method, false, taped);
            assert_eq!(l2, before, "{method}: the two-pass loss is deterministic");
            assert!(
                (l1 - l2).abs() <= 1e-6 * l2.abs().max(0.1),
                "{method} (taped: {taped}): loss {l1} on-policy, {l2} two-pass"
            );
            // The step moved the network, so the comparison below sees the gradient.
            let moved = max_diff(&out2, &probe(&net, &ad));
            let diff = max_diff(&out1, &out2);
            assert!(
                diff <= 1e-4 * moved,
                "{method} (taped: {taped}): after one SGD step the networks differ by {diff} \
                 (the step moved {moved})"
            );
            eprintln!(
                "{method} (taped: {taped}): loss {l1} vs {l2}; outputs after a step differ by \
                 {diff:e}, moved {moved:e}"
            );
        }
    }
}
