//! A small training run on GMM d = 2 with a reduced network, printing the history:
//! `cargo run --release -p socbench-methods --example quick_train -- tr-lv`
use std::sync::Arc;

use socbench_harness::network::NetConfig;
use socbench_harness::rng::StreamKey;
use socbench_harness::sampling::SamplingProblem;
use socbench_methods::{train, Method, TrConfig, TrainConfig};
use socbench_targets::gmm::GaussianMixture;

fn main() {
    let method: Method = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tr-lv".into())
        .parse()
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
    let problem = SamplingProblem::new(Arc::new(GaussianMixture::paper_gmm(2)), 50).unwrap();
    let cfg = TrainConfig {
        steps: 1500,
        batch: 500,
        lr: 3e-3,
        net: NetConfig {
            width: 64,
            depth: 3,
            fourier: 16,
            time_width: 32,
            langevin: false,
        },
        evals: 10,
        eval_samples: 1000,
        sinkhorn: false,
        tr: TrConfig {
            epsilon: 0.1,
            buffer: 2000,
            refreshes: 60,
            inner_steps: 50,
            minibatch: 500,
            delta: 1e-6,
        },
        ..Default::default()
    };
    let key = StreamKey::new("quick", method.name(), 2, 0);
    let h = train(
        &problem,
        method,
        &cfg,
        &key,
        &socbench_targets::backend::flex(),
        &mut |_| {},
    )
    .unwrap();
    print!("{}", h.to_csv());
    eprintln!("status: {}", h.status.as_str());
}
