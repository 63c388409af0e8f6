//! A buffer refresh simulates its paths in row blocks (`simulate_in_chunks`). The blocks must give
//! the paths of one whole-batch simulation from the same seed: the same states, noise, controls,
//! costs and log weights, the same number of target evaluations, and the random stream left at
//! the same place.

mod common;

use std::sync::Arc;

use burn::module::Module;
use common::{device, problem};
use rand::Rng;
use socbench::harness::benchmark::Benchmark;
use socbench::harness::network::{ControlNet, NetworkControl};
use socbench::harness::rng::StreamKey;
use socbench::harness::simulate::{
    simulate, simulate_in_chunks, SimOptions, Trajectories, CHUNK_ROWS,
};
use socbench::harness::tensor_util::to_f64;
use socbench::methods::profile::small_net;
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::quadratic::QuadraticOu;

const STORED: SimOptions = SimOptions {
    track_grad: false,
    store_path: true,
    tracked_controls: false,
};

/// Everything a simulation returns, flattened to host f64, plus the counter and the next draw.
struct Outcome {
    tensors: Vec<Vec<f64>>,
    target_evals: u64,
    next_draw: u64,
}

/// Simulates `n` paths of a fresh network control for `p` from a fixed seed, whole (`rows` None)
/// or in blocks of `rows`.
fn outcome(p: &dyn Benchmark, langevin: bool, n: usize, rows: Option<usize>) -> Outcome {
    let d = p.dim();
    let cfg = socbench::harness::network::NetConfig {
        langevin,
        ..small_net()
    };
    let u = NetworkControl::new(ControlNet::new(d, &cfg, &device()).no_grad(), cfg, p);
    let mut rng = StreamKey::new("tests", "chunks", d, 0).stream("sim");
    let before = p.evals().target_evals();
    let t: Trajectories = match rows {
        None => simulate(p, &u, n, &mut rng, &device(), STORED),
        Some(r) => simulate_in_chunks(p, &u, n, &mut rng, &device(), STORED, r),
    };
    let mut tensors: Vec<Vec<f64>> = [&t.states, &t.noise, &t.controls]
        .iter()
        .flat_map(|v| v.iter().map(|x| to_f64(x.clone().flatten::<1>(0, 1))))
        .collect();
    for v in [
        t.running_cost.clone(),
        t.terminal_cost.clone(),
        t.control_cost.clone(),
        t.stochastic_integral.clone(),
        t.log_weights(),
    ] {
        tensors.push(to_f64(v));
    }
    Outcome {
        tensors,
        target_evals: p.evals().target_evals() - before,
        next_draw: rng.random::<u64>(),
    }
}

fn assert_same(a: &Outcome, b: &Outcome, what: &str) {
    assert_eq!(
        a.tensors.len(),
        b.tensors.len(),
        "{what}: number of tensors"
    );
    for (i, (x, y)) in a.tensors.iter().zip(&b.tensors).enumerate() {
        assert_eq!(x.len(), y.len(), "{what}: length of tensor {i}");
        for (j, (p, q)) in x.iter().zip(y).enumerate() {
            assert!(
                p.to_bits() == q.to_bits(),
                "{what}: tensor {i} entry {j}: {p} vs {q}"
            );
        }
    }
    assert_eq!(a.target_evals, b.target_evals, "{what}: target evaluations");
    assert_eq!(a.next_draw, b.next_draw, "{what}: random stream position");
}

#[test]
fn row_blocks_give_the_whole_batch_paths() {
    // 50 paths in blocks of 7 (the last one short); GMM with Langevin preconditioning (the score
    // goes through the counter) and a quadratic OU problem (running cost, per-path X_0).
    let gmm = problem(Arc::new(GaussianMixture::paper_gmm(3)), 12);
    let ou = QuadraticOu::named("ou-hard", 3, 12).unwrap();
    for (p, langevin, name) in [
        (&gmm as &dyn Benchmark, true, "gmm"),
        (&ou as &dyn Benchmark, false, "ou-hard"),
    ] {
        let whole = outcome(p, langevin, 50, None);
        for rows in [1, 7, 50, 64] {
            let blocks = outcome(p, langevin, 50, Some(rows));
            assert_same(&whole, &blocks, &format!("{name}, blocks of {rows}"));
        }
    }
}

#[test]
fn large_stored_simulations_are_split_and_unchanged() {
    // Above CHUNK_ROWS `simulate` splits; one block of all rows is the unsplit computation.
    let gmm = problem(Arc::new(GaussianMixture::paper_gmm(2)), 3);
    let n = CHUNK_ROWS + 37;
    let split = outcome(&gmm, false, n, None);
    let one_block = outcome(&gmm, false, n, Some(n));
    assert_same(&one_block, &split, "simulate above CHUNK_ROWS");
}
