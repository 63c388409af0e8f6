//! The hot kernels of a sweep at the paper's sizes (App. E.1: 6 × 256 GELU network, batch 2000,
//! 50 time steps, buffer 50 000), on the default CPU backend (flex), plus this machine's f32
//! matrix-multiply rate through the same backend as the roofline. `cargo xtask bench` runs this
//! and writes `reports/performance.md` from criterion's estimates.
//!
//! Environment: SOCBENCH_BENCH_K (buffer size of the refresh kernel, default 50000),
//! SOCBENCH_BENCH_D (dimension of the training kernels, default 50).

use std::cell::OnceCell;
use std::sync::Arc;

use burn::optim::{AdamConfig, Optimizer};
use burn::prelude::*;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::seq::index::sample;
use socbench_harness::backend::{self, Device, B};
use socbench_harness::metrics::{sinkhorn_divergence, SinkhornConfig};
use socbench_harness::network::{ControlNet, NetConfig, NetworkControl};
use socbench_harness::rng::{normals_f32, StreamKey};
use socbench_harness::tensor_util::tensor2_from_f32;
use socbench_methods::dual::solve_dual;
use socbench_methods::losses;
use socbench_methods::paths::PathBatch;
use socbench_targets::gmm::GaussianMixture;
use socbench_targets::sampling::SamplingProblem;
use socbench_targets::Target;

const BATCH: usize = 2000;
const STEPS: usize = 50;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn problem(d: usize) -> SamplingProblem {
    SamplingProblem::new(Arc::new(GaussianMixture::paper_gmm(d)), STEPS).unwrap()
}

/// Simulates and stores `n` paths of `net` with a frozen copy, as training fills a buffer.
fn collect(p: &SamplingProblem, net: &ControlNet<B>, n: usize, device: &Device) -> PathBatch {
    let u = NetworkControl::new(net.clone().no_grad(), NetConfig::default(), p);
    simulate_with(p, &u, n, device, false)
}

fn simulate_with(
    p: &SamplingProblem,
    u: &NetworkControl,
    n: usize,
    device: &Device,
    on_policy: bool,
) -> PathBatch {
    let mut rng = StreamKey::new("bench", "collect", p.target.dim(), 0).stream("sim");
    PathBatch::simulate(p, u, n, &mut rng, device, on_policy)
}

/// One gradient step per iteration, as `train` takes it: simulate 2000 paths keeping each u_k
/// with its gradient (states detached), the loss on them (no second network pass), backward,
/// Adam.
fn grad_steps(
    bn: &mut criterion::Bencher,
    p: &SamplingProblem,
    ad: &Device,
    loss: &dyn Fn(&NetworkControl, &mut PathBatch) -> Tensor<B, 1>,
) {
    let cfg = NetConfig::default();
    let mut net = ControlNet::new(p.target.dim(), &cfg, ad);
    let mut optim = AdamConfig::new().init::<B, ControlNet<B>>();
    bn.iter(|| {
        let u = NetworkControl::taped(net.clone(), cfg.clone(), p);
        let mut batch = simulate_with(p, &u, BATCH, ad, true);
        let l = loss(&u, &mut batch);
        let grads = u.gradients(l.backward());
        net = optim.step(5e-4, net.clone(), grads);
    });
}

fn kernels(c: &mut Criterion) {
    // As the training binaries do (SOCBENCH_MALLOC=default measures glibc's defaults).
    socbench_harness::malloc::tune();
    // SOCBENCH_BENCH_DEVICE=cuda (a build with the `cuda` feature) benchmarks the GPU.
    let device = match std::env::var("SOCBENCH_BENCH_DEVICE") {
        Ok(name) => {
            backend::by_name(&name).unwrap_or_else(|e| panic!("SOCBENCH_BENCH_DEVICE: {e}"))
        }
        Err(_) => backend::flex(),
    };
    let ad = backend::autodiff(&device);
    let cfg = NetConfig::default();
    let d = env("SOCBENCH_BENCH_D", 50);
    let k = env("SOCBENCH_BENCH_K", 50_000);

    let mut g = c.benchmark_group("peak");
    g.sample_size(10);
    let n = 2048;
    let mut rng = StreamKey::new("bench", "sgemm", n, 0).stream("x");
    let a = tensor2_from_f32(normals_f32(&mut rng, n * n), n, n, &device);
    let b = tensor2_from_f32(normals_f32(&mut rng, n * n), n, n, &device);
    g.bench_function("sgemm_2048", |bn| {
        bn.iter(|| a.clone().matmul(b.clone()).into_data())
    });
    g.finish();

    let mut g = c.benchmark_group("forward");
    g.sample_size(10);
    for dim in [2, 50, 200] {
        let net = ControlNet::new(dim, &cfg, &device);
        let mut rng = StreamKey::new("bench", "forward", dim, 0).stream("x");
        let x = tensor2_from_f32(normals_f32(&mut rng, BATCH * dim), BATCH, dim, &device);
        g.bench_function(format!("b2000_d{dim}"), |bn| {
            bn.iter(|| {
                net.forward(x.clone(), 0.5, cfg.fourier, x.clone())
                    .into_data()
            })
        });
    }
    g.finish();

    // Detached simulations run as in training: a frozen copy of the network on the autodiff
    // device (targets keep their tensors on the device of first use, so one device throughout).
    let p = problem(d);
    let mut g = c.benchmark_group("train");
    g.sample_size(10);
    let net0 = ControlNet::new(d, &cfg, &ad);
    g.bench_function(format!("simulate_b2000_s50_d{d}"), |bn| {
        bn.iter(|| collect(&p, &net0, BATCH, &ad).log_w.len())
    });
    g.bench_function(format!("lv_step_b2000_s50_d{d}"), |bn| {
        grad_steps(bn, &p, &ad, &|u, b| losses::log_variance(b, &p, u, 1.0))
    });
    g.bench_function(format!("am_step_b2000_s50_d{d}"), |bn| {
        grad_steps(bn, &p, &ad, &|u, b| {
            b.compute_adjoints(&p, 1.0);
            losses::adjoint_matching(b, &p, u, None)
        })
    });
    // A trust-region inner step: a minibatch of 2000 from a stored buffer (10 000 paths here;
    // the gather cost does not depend on K), tilted LV loss, backward, Adam. Set up on first
    // use, so that a filtered run (or a profile of one kernel) pays only for what it measures.
    let buffer = OnceCell::new();
    let mut net = ControlNet::new(d, &cfg, &ad);
    let mut optim = AdamConfig::new().init::<B, ControlNet<B>>();
    let mut rng = StreamKey::new("bench", "minibatch", d, 0).stream("idx");
    g.bench_function(format!("tr_lv_inner_step_mb2000_s50_d{d}"), |bn| {
        let buffer =
            buffer.get_or_init(|| collect(&p, &ControlNet::new(d, &cfg, &ad), 10_000, &ad));
        bn.iter(|| {
            let idx = sample(&mut rng, buffer.len(), BATCH).into_vec();
            let mb = buffer.select(&idx);
            let u = NetworkControl::taped(net.clone(), cfg.clone(), &p);
            let l = losses::log_variance(&mb, &p, &u, 1.0 / 1.5);
            let grads = u.gradients(l.backward());
            net = optim.step(5e-4, net.clone(), grads);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("trust_region");
    g.sample_size(10);
    g.bench_function(format!("buffer_refresh_k{k}_s50_d{d}"), |bn| {
        bn.iter(|| collect(&p, &net0, k, &ad).log_w.len())
    });
    let w = OnceCell::new();
    g.bench_function(format!("dual_solve_k{k}"), |bn| {
        let w: &Vec<f64> = w.get_or_init(|| {
            let b = collect(&p, &net0, 5000, &ad);
            (0..k).map(|i| -b.log_w[i % b.len()]).collect()
        });
        bn.iter(|| solve_dual(w, 0.1, 1e-10).lambda)
    });
    g.finish();

    pinn_steps(c, &ad, d);

    let mut g = c.benchmark_group("metrics");
    g.sample_size(10);
    let target = GaussianMixture::paper_gmm(d);
    g.bench_function(format!("sinkhorn_2000x2000_d{d}"), |bn| {
        let mut rng = StreamKey::new("bench", "sinkhorn", d, 0).stream("y");
        let x = target.sample(2000, &mut rng).expect("GMM samples");
        let y = target.sample(2000, &mut rng).expect("GMM samples");
        bn.iter(|| {
            sinkhorn_divergence(&x, 2000, &y, 2000, d, &SinkhornConfig::default()).divergence
        })
    });
    g.finish();
}

/// One ODE-logCE training step at d (256 collocation points, 3 × 64 tanh networks): the jets of
/// φ and μ, the residual, backward, Adam; with the exact divergence (d directions through μ) and
/// with Hutchinson's K = 4 probes.
fn pinn_steps(c: &mut Criterion, ad: &Device, d: usize) {
    use socbench_methods::pinn::jet::Directions;
    use socbench_methods::pinn::model::{PinnModel, Setting};
    use socbench_methods::pinn::train::collocation;
    use socbench_methods::pinn::{PinnConfig, PinnMethod};
    let target = socbench_targets::manywell::ManyWell::new(d, d.min(5), 2.0, 1.0);
    let mut g = c.benchmark_group("pinn");
    g.sample_size(10);
    for k in [0, 4] {
        let cfg = PinnConfig {
            steps: 1,
            batch: 256,
            lr: 1e-3,
            lr_final: 1e-3,
            clip: 10.0,
            width: 64,
            depth: 3,
            logz_degree: 6,
            sigma: 1.0,
            horizon: 1.0,
            prior_std: 1.5,
            box_half_width: 3.5,
            hutchinson: k,
            eval_samples: 2,
            eval_steps: 1,
            log_every: 1,
        };
        let method: PinnMethod = "ode-logce".parse().expect("registered");
        let s = Setting {
            method,
            cfg: &cfg,
            d,
        };
        let mut rng = StreamKey::new("bench", "pinn", d, 0).stream("x");
        let mut model = PinnModel::new(s, ad, &mut rng);
        let mut optim = AdamConfig::new().init::<B, PinnModel<B>>();
        let name = if k == 0 {
            "exact".to_string()
        } else {
            format!("hutchinson{k}")
        };
        g.bench_function(format!("logce_step_b256_d{d}_{name}"), |bn| {
            bn.iter(|| {
                let (xs, ts, terms) = collocation(&target, &cfg, &mut rng).expect("closed form");
                let dirs = if k == 0 {
                    Directions::Exact
                } else {
                    let v: Vec<f32> = (0..256 * k * d)
                        .map(|i| {
                            if (i * 2_654_435_761) % 7 < 3 {
                                1.0
                            } else {
                                -1.0
                            }
                        })
                        .collect();
                    Directions::Probes(tensor2_from_f32(v, 256 * k, d, ad).reshape([256, k, d]))
                };
                let f = model.fields(s, &xs, &ts, &terms, &dirs, ad);
                let l = model.loss(s, &f);
                let grads = burn::optim::GradientsParams::from_grads(l.backward(), &model);
                model = optim.step(1e-3, model.clone(), grads);
            })
        });
    }
    g.finish();
}

/// One energy-and-force evaluation of each molecule's force field (f64, all pairs): the inner
/// loop of a TPS path step (chignolin: 138 atoms under ff14SBonlysc + GBn2, at the folded
/// state; alanine dipeptide: 22 atoms in vacuum).
fn molecules(c: &mut Criterion) {
    use socbench_targets::molecule::{
        alanine_dipeptide_files, chignolin_files, parse_pdb, ForceField,
    };
    let mut g = c.benchmark_group("molecule");
    for (name, (json, start, _)) in [
        ("chignolin_gbn2_forces", chignolin_files()),
        ("alanine_vacuum_forces", alanine_dipeptide_files()),
    ] {
        let ff = ForceField::from_json(json).expect("shipped force field");
        let x = ff
            .positions_of(&parse_pdb(start).expect("shipped PDB"))
            .expect("matching PDB");
        let mut f = vec![0.0; x.len()];
        g.bench_function(name, |bn| bn.iter(|| ff.energy_forces(&x, &mut f)));
    }
    g.finish();
}

criterion_group!(benches, kernels, molecules);
criterion_main!(benches);
