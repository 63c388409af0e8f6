//! socbench: a benchmark harness and paper-replication suite for stochastic optimal control and
//! diffusion-based sampling in path space. This root package ties the workspace crates together;
//! its integration tests live in `tests/`.

pub use socbench_harness as harness;
pub use socbench_methods as methods;
pub use socbench_targets as targets;

pub mod crosscheck;
