//! `socbench methods`: the method registry as a table.

use socbench_methods::{Method, Trainer};

pub fn print() {
    let all = Method::all();
    let width = all.iter().map(|m| m.name().len()).max().unwrap_or(0);
    for m in all {
        let (trainer, what) = match m.trainer() {
            Trainer::OnPolicy => ("on-policy", m.loss().summary.to_string()),
            Trainer::TrustRegion => (
                "trust region",
                format!("Algorithm 2 around `{}`", m.loss().name),
            ),
        };
        println!("{:width$}  {trainer:12}  {what}", m.name());
    }
}
