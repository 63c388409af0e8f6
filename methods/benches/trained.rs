//! One trust-region refresh at a *trained* state against the same refresh at the start of the
//! run (issue 38): GMM40 (d = 2), TR-LV, the `cpu` profile (buffer 2000, 50 steps on
//! minibatches of 500). Kernels timed on a freshly initialised network cannot see what training
//! does to the numbers: a trained network has hidden units deep in GELU's negative tail whose
//! outputs and gradients are subnormal, and x86 cores take a slow path on every operation that
//! touches one (`docs/subnormals.md`). With flush-to-zero set (harness/src/fpenv.rs) the refresh
//! after 30 refreshes must cost within 1.2× the refresh after 1; the bench prints the ratio.
//!
//! Setup trains the run once to refresh 30 (about 1.5 min on 2 cores), keeping the checkpoints
//! after refresh 1 and after refresh 30; each iteration resumes one of them and runs exactly one
//! refresh (buffer, dual, 50 gradient steps; no evaluation falls on it).
//!
//! `cargo bench -p socbench-methods --bench trained`; with SOCBENCH_KEEP_SUBNORMALS=1 the default
//! floating-point environment is kept, to measure the slowdown itself.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use socbench_harness::backend::{self, Device};
use socbench_harness::benchmark::Benchmark;
use socbench_harness::rng::StreamKey;
use socbench_methods::checkpoint::Checkpointing;
use socbench_methods::config::TrainConfig;
use socbench_methods::profile::Profile;
use socbench_methods::train::train_checkpointed;
use socbench_methods::{Method, Status};

/// The refresh states compared: after 1 refresh and after 30.
const EARLY: usize = 1;
const LATE: usize = 30;

struct Setup {
    problem: Box<dyn Benchmark>,
    method: Method,
    cfg: TrainConfig,
    key: StreamKey,
    device: Device,
    dir: PathBuf,
}

impl Setup {
    fn new() -> Self {
        socbench_harness::fpenv::ensure();
        let mut cfg = Profile::Cpu.config();
        // More refreshes than are run, and one evaluation (at refresh 0): no evaluation and no
        // "last refresh" falls on the timed refreshes.
        cfg.tr.refreshes = LATE + 10;
        cfg.evals = 1;
        let problem = socbench_targets::problems::build("gmm40", 2, cfg.time_steps)
            .expect("gmm40 builds at d = 2");
        let dir =
            std::env::temp_dir().join(format!("socbench-bench-trained-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let s = Self {
            problem,
            method: "tr-lv".parse().expect("tr-lv is registered"),
            cfg,
            key: StreamKey::new("bench", "tr-lv", 2, 0).with_target("gmm40"),
            device: backend::flex(),
            dir,
        };
        let clock = Instant::now();
        s.run_until(&s.ckpt("run"), EARLY - 1);
        std::fs::copy(s.ckpt("run"), s.ckpt("early")).expect("copy checkpoint");
        s.run_until(&s.ckpt("run"), LATE - 1);
        std::fs::copy(s.ckpt("run"), s.ckpt("late")).expect("copy checkpoint");
        eprintln!(
            "trained to refresh {LATE} in {:.1} s (flush-to-zero: {})",
            clock.elapsed().as_secs_f64(),
            socbench_harness::fpenv::flushing()
        );
        s
    }

    fn ckpt(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.mpk"))
    }

    /// Resumes from `path` (or starts) and stops after refresh index `last`.
    fn run_until(&self, path: &Path, last: usize) {
        let ckpt = Checkpointing {
            stop_after: Some(last),
            ..Checkpointing::at(path)
        };
        let h = train_checkpointed(
            self.problem.as_ref(),
            self.method,
            self.method.build_loss(&self.cfg),
            &self.cfg,
            &self.key,
            &backend::autodiff(&self.device),
            &mut |_| {},
            Some(&ckpt),
        )
        .expect("training runs");
        assert!(
            matches!(h.status, Status::Interrupted { .. }),
            "the run stopped at refresh {last}: {:?}",
            h.status
        );
    }

    /// One refresh from the state saved after `done` refreshes.
    fn one_refresh(&self, from: &str, done: usize) -> Duration {
        let work = self.ckpt("work");
        std::fs::copy(self.ckpt(from), &work).expect("copy checkpoint");
        let clock = Instant::now();
        self.run_until(&work, done);
        clock.elapsed()
    }
}

fn trained(c: &mut Criterion) {
    let s = Setup::new();
    let mut g = c.benchmark_group("trained");
    g.sample_size(10).measurement_time(Duration::from_secs(40));
    let mut means = Vec::new();
    for (name, from, done) in [("refresh_1", "early", EARLY), ("refresh_30", "late", LATE)] {
        let mut total = Duration::ZERO;
        let mut n = 0u32;
        g.bench_function(format!("gmm40_tr_lv_{name}"), |b| {
            b.iter_custom(|iters| {
                let t: Duration = (0..iters).map(|_| s.one_refresh(from, done)).sum();
                total += t;
                n += iters as u32;
                t
            })
        });
        means.push(total.as_secs_f64() / n.max(1) as f64);
    }
    g.finish();
    eprintln!(
        "refresh 30 / refresh 1 = {:.2} ({:.2} s / {:.2} s; target ≤ 1.2)",
        means[1] / means[0],
        means[1],
        means[0]
    );
    let _ = std::fs::remove_dir_all(&s.dir);
}

criterion_group!(benches, trained);
criterion_main!(benches);
