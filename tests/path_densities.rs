//! Exact discrete path densities: importance weights, stationarity of the exponential
//! integrator, the Girsanov identity of the control L2 error, and determinism.

mod common;

use std::sync::Arc;

use common::{device, problem, weight_stats};
use socbench::harness::control::{Control, ZeroControl};
use socbench::harness::metrics::control_l2;
use socbench::harness::rng::StreamKey;
use socbench::harness::simulate::{simulate, SimOptions};
use socbench::harness::tensor_util::to_f64;
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::sampling::OptimalGmmControl;

#[test]
fn prior_terminal_law_as_target_gives_unit_weights() {
    // ρ = Z · N(0, η²I) = Z · P_T: with u = 0 every weight e^{−g(X_T)} equals Z exactly.
    let (eta, log_z) = (1.7, 2.3);
    for d in [1usize, 5, 50] {
        let p = problem(
            Arc::new(GaussianMixture::gaussian(d, 0.0, eta, eta, log_z)),
            50,
        );
        let (stats, lw) = weight_stats(&p, &ZeroControl, 500, "unit-weights");
        for (i, w) in lw.iter().enumerate() {
            assert!(
                (w - log_z).abs() < 1e-4 * (1.0 + d as f64).sqrt(),
                "d={d} path {i}: log w = {w}"
            );
        }
        assert!((stats.ess - 1.0).abs() < 1e-6);
        assert!(stats.abs_dlogz(log_z) < 1e-4);
    }
}

#[test]
fn exponential_integrator_keeps_the_prior_stationary() {
    let (d, n, eta) = (4usize, 20_000usize, 2.5);
    let p = problem(
        Arc::new(GaussianMixture::gaussian(d, 0.0, 1.0, eta, 0.0)),
        50,
    );
    let key = StreamKey::new("tests", "stationary", d, 0);
    let traj = simulate(
        &p,
        &ZeroControl,
        n,
        &mut key.stream("sim"),
        &device(),
        SimOptions {
            store_path: true,
            tracked_controls: false,
            ..Default::default()
        },
    );
    for (k, x) in traj
        .states
        .iter()
        .enumerate()
        .filter(|(k, _)| k % 10 == 0 || *k == 50)
    {
        let v = to_f64(x.clone());
        for j in 0..d {
            let col: Vec<f64> = (0..n).map(|i| v[i * d + j]).collect();
            let mean = col.iter().sum::<f64>() / n as f64;
            let var = col.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
            // se(mean) = η/√n; se(var) = η²√(2/n)
            assert!(
                mean.abs() < 5.0 * eta / (n as f64).sqrt(),
                "step {k} coord {j}: mean {mean}"
            );
            assert!(
                (var - eta * eta).abs() < 5.0 * eta * eta * (2.0 / n as f64).sqrt(),
                "step {k} coord {j}: var {var}"
            );
        }
    }
}

#[test]
fn control_l2_is_the_discrete_kl_second_estimator() {
    // Eq. 57–59: ½Σh²|u*−u|² along u*-paths equals E[log dP^{u*}/dP^u]; estimate the latter
    // from the exact log-RND of each path, Σ h(u*−u)·ξ + ½h²|u*−u|², with u = 0:
    // log dP^{u*}/dP^0 = control cost + stochastic integral recorded by the simulator.
    let d = 2;
    let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 50);
    let ustar = OptimalGmmControl::new(&p).unwrap();
    let n = 4000;
    let l2 = control_l2(
        &p,
        &ustar,
        &ZeroControl,
        n,
        &mut StreamKey::new("tests", "l2", d, 0).stream("a"),
        &device(),
    );
    let traj = simulate(
        &p,
        &ustar,
        n,
        &mut StreamKey::new("tests", "l2", d, 0).stream("b"),
        &device(),
        SimOptions::default(),
    );
    let rnd = to_f64(traj.log_rnd_reference());
    let mean = rnd.iter().sum::<f64>() / n as f64;
    let sd = (rnd.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
    assert!(
        (l2 - mean).abs() < 5.0 * sd / (n as f64).sqrt() + 0.02 * l2,
        "L2 {l2} vs KL {mean} ± {}",
        sd / (n as f64).sqrt()
    );
    // u* against itself is exactly zero
    let zero = control_l2(
        &p,
        &ustar,
        &ustar,
        100,
        &mut StreamKey::new("tests", "l2", d, 0).stream("c"),
        &device(),
    );
    assert_eq!(zero, 0.0);
}

#[test]
fn same_seed_gives_bit_identical_trajectories() {
    let d = 10;
    let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 20);
    let ustar = OptimalGmmControl::new(&p).unwrap();
    let run = |seed: u64| {
        let key = StreamKey::new("tests", "determinism", d, seed);
        let t = simulate(
            &p,
            &ustar as &dyn Control,
            300,
            &mut key.stream("sim"),
            &device(),
            SimOptions {
                store_path: true,
                tracked_controls: false,
                ..Default::default()
            },
        );
        let mut bits: Vec<u64> = Vec::new();
        for x in &t.states {
            bits.extend(to_f64(x.clone()).iter().map(|v| v.to_bits()));
        }
        bits.extend(to_f64(t.log_weights()).iter().map(|v| v.to_bits()));
        bits
    };
    let a = run(7);
    assert_eq!(a, run(7), "same seed must reproduce bit for bit");
    assert_ne!(a, run(8), "a different seed must give different paths");
}
