//! Backend choice benchmark (docs/backends.md): the real kernel of socbench on each CPU backend
//! that builds here — the control network (App. E.1, 6 layers × 256, GELU) at batch 2000, d = 50:
//!   * forward: one evaluation u(x, t);
//!   * forward+backward through 50 time steps: simulate 2000 paths of the DDS problem (GMM target)
//!     with the network as control, gradient tracked, and backpropagate the mean log weight.
//! Set SOCBENCH_BENCH_BACKENDS=flex,ndarray to choose backends.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use socbench_harness::backend::Device;
use socbench_harness::network::{ControlNet, NetConfig, NetworkControl};
use socbench_harness::rng::StreamKey;
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_harness::tensor_util::tensor2_from_f32;
use socbench_targets::gmm::GaussianMixture;
use socbench_targets::sampling::SamplingProblem;

const BATCH: usize = 2000;
const DIM: usize = 50;

fn backends() -> Vec<(&'static str, Device)> {
    let wanted = std::env::var("SOCBENCH_BENCH_BACKENDS").unwrap_or_else(|_| "flex,ndarray".into());
    let mut out = Vec::new();
    for name in wanted.split(',') {
        match name.trim() {
            "flex" => out.push(("flex", socbench_harness::backend::flex())),
            "ndarray" => out.push((
                if cfg!(feature = "blas") {
                    "ndarray+openblas"
                } else {
                    "ndarray"
                },
                socbench_harness::backend::ndarray(),
            )),
            other => eprintln!("unknown backend {other}"),
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let problem = SamplingProblem::new(Arc::new(GaussianMixture::paper_gmm(DIM)), 50).unwrap();
    let cfg = NetConfig::default();
    let mut group = c.benchmark_group("control_net");
    group.sample_size(10);
    for (name, device) in backends() {
        let net = ControlNet::new(DIM, &cfg, &device);
        let mut rng = StreamKey::new("bench", "backends", DIM, 0).stream("x");
        let x = tensor2_from_f32(
            socbench_harness::rng::normals_f32(&mut rng, BATCH * DIM),
            BATCH,
            DIM,
            &device,
        );
        group.bench_function(format!("forward_b2000_d50/{name}"), |b| {
            b.iter(|| {
                // burn's graph on every backend (`forward` would take the host pass on flex).
                let u = net.forward_burn(x.clone(), 0.5, cfg.fourier, x.clone());
                u.into_data()
            })
        });
        let ad = socbench_harness::backend::autodiff(&device);
        let control = NetworkControl::new(ControlNet::new(DIM, &cfg, &ad), cfg.clone(), &problem);
        group.bench_function(format!("fwd_bwd_50_steps_b2000_d50/{name}"), |b| {
            b.iter(|| {
                let mut rng = StreamKey::new("bench", "backends", DIM, 1).stream("sim");
                let traj = simulate(
                    &problem,
                    &control,
                    BATCH,
                    &mut rng,
                    &ad,
                    SimOptions {
                        track_grad: true,
                        store_path: false,
                        tracked_controls: false,
                    },
                );
                let loss = traj.log_weights().neg().mean();
                loss.backward()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
