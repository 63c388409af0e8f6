//! The host network pass (`harness/src/host_net`) against burn's graph: a frozen network's
//! values, and the parameter gradients of every loss a taped control is differentiated for
//! (LV, CE and AM on stored paths, on-policy batches, a tilted minibatch, and RE, whose
//! evaluations mix the two paths).

mod common;

use std::sync::Arc;

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::prelude::*;
use common::{max_abs, max_diff, problem};
use socbench::harness::host_net::tape;
use socbench::harness::network::{ControlNet, NetworkControl};
use socbench::harness::rng::{normals_f32, StreamKey};
use socbench::harness::simulate::{simulate, SimOptions};
use socbench::harness::tensor_util::{tensor2_from_f32, to_f64};
use socbench::methods::losses;
use socbench::methods::paths::PathBatch;
use socbench::methods::profile::small_net;
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::sampling::SamplingProblem;
use socbench_harness::backend::{self, Device, B};

const D: usize = 3;
const N: usize = 64;

/// A network away from its zero initialisation (its last layer starts at zero), trained with
/// burn's graph only.
fn trained(p: &SamplingProblem, ad: &Device) -> ControlNet<B> {
    let mut net = ControlNet::new(D, &small_net(), ad);
    let mut sgd = SgdConfig::new().init::<B, ControlNet<B>>();
    for _ in 0..3 {
        let b = paths(
            p,
            &NetworkControl::new(net.clone().no_grad(), small_net(), p),
            false,
        );
        let u = NetworkControl::new(net.clone(), small_net(), p);
        let g = losses::log_variance(&b, p, &u, 1.0).backward();
        let grads = GradientsParams::from_grads(g, &net);
        net = sgd.step(0.05, net, grads);
    }
    net
}

fn paths(p: &SamplingProblem, u: &NetworkControl, on_policy: bool) -> PathBatch {
    let ad = backend::autodiff(&backend::flex());
    let mut rng = StreamKey::new("tests", "host-net", D, 0).stream("sim");
    PathBatch::simulate(p, u, N, &mut rng, &ad, on_policy)
}

/// Every parameter's gradient, flattened, in the module's order (empty where none).
fn flat(net: &ControlNet<B>, grads: &GradientsParams) -> Vec<Vec<f64>> {
    struct Collect<'a>(&'a GradientsParams, Vec<Vec<f64>>);
    impl ModuleVisitor<B> for Collect<'_> {
        fn visit_float<const K: usize>(&mut self, p: &Param<Tensor<B, K>>) {
            let g = self.0.get::<B, K>(p.id);
            self.1
                .push(g.map_or(vec![], |g| to_f64(g.flatten::<1>(0, K - 1))));
        }
    }
    let mut c = Collect(grads, vec![]);
    net.visit(&mut c);
    c.1
}

/// The gradients agree parameter by parameter within 1e-4 of the parameter's largest entry,
/// and every parameter gets a gradient.
fn assert_close(what: &str, host: &[Vec<f64>], burn: &[Vec<f64>]) {
    assert_eq!(host.len(), burn.len());
    for (i, (h, b)) in host.iter().zip(burn).enumerate() {
        assert_eq!(
            h.len(),
            b.len(),
            "{what}: parameter {i} has no gradient on one side"
        );
        assert!(!b.is_empty(), "{what}: parameter {i} has no gradient");
        let (scale, diff) = (max_abs(b), max_diff(h, b));
        assert!(scale > 0.0, "{what}: parameter {i}'s gradient is zero");
        assert!(
            diff <= 1e-4 * scale,
            "{what}: parameter {i} differs by {diff:e} (largest entry {scale:e})"
        );
    }
}

#[test]
fn a_frozen_network_on_the_host_gives_burns_values() {
    let ad = backend::autodiff(&backend::flex());
    assert!(tape::enabled(&ad) && tape::enabled(&backend::flex()));
    assert!(!tape::enabled(&backend::ndarray()));
    let p = problem(Arc::new(GaussianMixture::paper_gmm(D)), 10);
    let frozen = trained(&p, &ad).no_grad();
    let mut rng = StreamKey::new("tests", "host-net", D, 0).stream("x");
    let x = tensor2_from_f32(normals_f32(&mut rng, 200 * D), 200, D, &ad);
    let base = x.clone().mul_scalar(0.7);
    let fourier = small_net().fourier;
    for t in [0.0, 0.37, 1.0] {
        let host = to_f64(frozen.forward(x.clone(), t, fourier, base.clone()));
        let burn = to_f64(frozen.forward_burn(x.clone(), t, fourier, base.clone()));
        let (scale, diff) = (max_abs(&burn), max_diff(&host, &burn));
        assert!(scale > 1e-3, "the network must be non-zero");
        assert!(
            diff <= 1e-5 * scale,
            "t = {t}: host and burn differ by {diff:e}"
        );
    }
}

#[test]
fn taped_gradients_are_burns_for_every_loss() {
    let ad = backend::autodiff(&backend::flex());
    let p = problem(Arc::new(GaussianMixture::paper_gmm(D)), 10);
    let net = trained(&p, &ad);
    let frozen = NetworkControl::new(net.clone().no_grad(), small_net(), &p);
    let stored = paths(&p, &frozen, false);
    for method in [
        "lv",
        "ce",
        "am",
        "tr-lv",
        "lv on-policy",
        "am on-policy",
        "re",
    ] {
        let grads = |u: &NetworkControl| {
            let mut b = match method {
                "lv on-policy" | "am on-policy" => paths(&p, u, true),
                "tr-lv" => stored.select(&[5, 0, 17, 17, 40, 63, 2, 31]),
                _ => paths(&p, &frozen, false),
            };
            let loss = match method {
                "lv" | "lv on-policy" => losses::log_variance(&b, &p, u, 1.0),
                "tr-lv" => losses::log_variance(&b, &p, u, 1.0 / 1.7),
                "ce" => losses::cross_entropy(&b, &p, u, 1.0),
                "re" => {
                    let mut rng = StreamKey::new("tests", "host-net", D, 0).stream("re");
                    let opts = SimOptions {
                        track_grad: true,
                        store_path: false,
                        tracked_controls: false,
                    };
                    losses::relative_entropy(&simulate(&p, u, N, &mut rng, &ad, opts))
                }
                _ => {
                    b.compute_adjoints(&p, 1.0);
                    losses::adjoint_matching(&b, &p, u, None)
                }
            };
            flat(&net, &u.gradients(loss.backward()))
        };
        let burn = grads(&NetworkControl::new(net.clone(), small_net(), &p));
        let host = grads(&NetworkControl::taped(net.clone(), small_net(), &p));
        assert_close(method, &host, &burn);
    }
}

/// Same seed, same build → the same history, with the host kernels' threaded multiplies and row
/// passes (a 256-wide network and 512-path batches are above the multiply's threading
/// threshold). The wall-clock column is left out.
#[test]
fn host_training_is_reproducible() {
    use socbench::methods::{train, Method, TrConfig, TrainConfig};
    let cfg = TrainConfig {
        steps: 4,
        batch: 512,
        time_steps: 20,
        net: socbench::harness::network::NetConfig {
            width: 256,
            ..small_net()
        },
        evals: 2,
        eval_samples: 256,
        sinkhorn: false,
        tr: TrConfig {
            buffer: 1024,
            refreshes: 2,
            inner_steps: 3,
            minibatch: 512,
            ..TrConfig::default()
        },
        ..TrainConfig::default()
    };
    for method in [Method::named("lv"), Method::named("tr-lv")] {
        let run = || {
            // A fresh problem: its evaluation counter starts at zero.
            let p = problem(Arc::new(GaussianMixture::paper_gmm(D)), 20);
            let key = StreamKey::new("tests", "host-repro", D, 0);
            let h = train(&p, method, &cfg, &key, &common::device(), &mut |_| {}).unwrap();
            let csv = h.to_csv();
            let rows: Vec<String> = csv
                .lines()
                .map(|l| {
                    let mut c: Vec<&str> = l.split(',').collect();
                    c.remove(2); // wall_s
                    c.join(",")
                })
                .collect();
            rows.join("\n")
        };
        let first = run();
        assert!(first.lines().count() >= 2, "{method}: no rows");
        assert_eq!(
            first,
            run(),
            "{method}: the same seed must give the same history"
        );
    }
}

/// A loss that asks for burn's graph (`Needs::host_network = false`), otherwise the same.
struct BurnOnly(Box<dyn socbench::methods::Loss>);

impl socbench::methods::Loss for BurnOnly {
    fn needs(&self) -> socbench::methods::loss::Needs {
        socbench::methods::loss::Needs {
            host_network: false,
            ..self.0.needs()
        }
    }
    fn prepare(
        &mut self,
        batch: &mut PathBatch,
        problem: &dyn socbench::harness::problem::PathProblem,
        tilt: &mut socbench::methods::loss::Tilt,
    ) {
        self.0.prepare(batch, problem, tilt)
    }
    fn loss(
        &mut self,
        batch: socbench::methods::loss::Batch<'_>,
        problem: &dyn socbench::harness::problem::PathProblem,
        u: &dyn socbench::harness::control::Control,
        tilt: socbench::methods::loss::Tilt,
    ) -> Result<Tensor<B, 1>, String> {
        self.0.loss(batch, problem, u, tilt)
    }
    fn step_own_params(&mut self, grads: &mut socbench::methods::loss::Gradients, lr: f64) {
        self.0.step_own_params(grads, lr)
    }
}

/// The trainer takes the host network for a loss that allows it and burn's graph for one that
/// does not, with no other change: the example loss `lv-logz` (a parameter of its own) and its
/// trust-region form train to the same history both ways, up to float32 rounding.
#[test]
fn a_loss_that_asks_for_burns_graph_trains_like_the_host_pass() {
    use socbench::methods::profile::Profile;
    use socbench::methods::{train, train_with, Method};
    let cfg = socbench::methods::TrainConfig {
        steps: 40,
        evals: 2,
        tr: socbench::methods::TrConfig {
            refreshes: 3,
            inner_steps: 10,
            ..Profile::Smoke.config().tr
        },
        ..Profile::Smoke.config()
    };
    for name in ["lv-logz", "tr-lv-logz"] {
        let m = Method::named(name);
        let run = |burn_only: bool| {
            let p = problem(Arc::new(GaussianMixture::paper_gmm(D)), cfg.time_steps);
            let key = StreamKey::new("tests", "host-fallback", D, 0);
            let h = if burn_only {
                let loss = Box::new(BurnOnly(m.build_loss(&cfg)));
                train_with(&p, m, loss, &cfg, &key, &common::device(), &mut |_| {})
            } else {
                train(&p, m, &cfg, &key, &common::device(), &mut |_| {})
            };
            let h = h.unwrap();
            let l2: Vec<f64> = h.rows.iter().map(|r| r.control_l2.unwrap()).collect();
            let loss: Vec<f64> = h.rows.iter().skip(1).map(|r| r.loss).collect();
            (l2, loss)
        };
        let (host_l2, host_loss) = run(false);
        let (burn_l2, burn_loss) = run(true);
        assert!(host_l2.len() >= 3, "{name}: {host_l2:?}");
        // Training moved the control (the comparison is not between two untrained nets).
        assert!(host_l2.last().unwrap() < &host_l2[0], "{name}: {host_l2:?}");
        let rel = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs() / a.abs().max(1e-3))
                .fold(0.0, f64::max)
        };
        assert!(
            rel(&host_l2, &burn_l2) < 1e-3,
            "{name}: {host_l2:?} vs {burn_l2:?}"
        );
        assert!(
            rel(&host_loss, &burn_loss) < 1e-2,
            "{name}: {host_loss:?} vs {burn_loss:?}"
        );
    }
}
