//! A small training run on GMM d = 2 with a reduced network, printing the history:
//! `cargo run --release -p socbench-methods --example quick_train -- tr-lv`
use std::sync::Arc;

use socbench_harness::rng::StreamKey;
use socbench_methods::profile::Profile;
use socbench_methods::{train, Method, TrainConfig};
use socbench_targets::gmm::GaussianMixture;
use socbench_targets::sampling::SamplingProblem;

fn main() {
    socbench_harness::malloc::tune();
    let method: Method = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tr-lv".into())
        .parse()
        .unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(2)
        });
    let problem = SamplingProblem::new(Arc::new(GaussianMixture::paper_gmm(2)), 50).unwrap();
    // The `cpu` profile, with 10 evaluations.
    let cfg = TrainConfig {
        evals: 10,
        ..Profile::Cpu.config()
    };
    let key = StreamKey::new("quick", method.name(), 2, 0);
    let h = train(
        &problem,
        method,
        &cfg,
        &key,
        &socbench_harness::backend::flex(),
        &mut |_| {},
    )
    .unwrap();
    print!("{}", h.to_csv());
    eprintln!("status: {}", h.status.as_str());
}
