//! Metrics against cases with known answers: Sinkhorn divergence, TVD of mode weights, ESS.

use rand::Rng;
use rand_distr::StandardNormal;
use socbench::harness::metrics::{mode_tvd, sinkhorn_divergence, LogWeightStats, SinkhornConfig};
use socbench::harness::problem::ModeStructure;
use socbench::harness::seed::stream;
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::manywell::ManyWell;
use socbench::targets::Target;

fn gaussian_cloud(n: usize, d: usize, label: &str) -> Vec<f64> {
    let mut rng = stream(&["tests", label]);
    (0..n * d).map(|_| rng.sample(StandardNormal)).collect()
}

#[test]
fn sinkhorn_of_identical_clouds_is_zero() {
    let (n, d) = (400, 3);
    let x = gaussian_cloud(n, d, "sk-id");
    let r = sinkhorn_divergence(&x, n, &x, n, d, &SinkhornConfig::default());
    assert!(r.converged);
    assert!(r.divergence.abs() < 1e-6, "S(x, x) = {}", r.divergence);
}

#[test]
fn sinkhorn_of_a_shifted_cloud_is_the_squared_shift() {
    // For squared-Euclidean cost, S_ε(x + m, x) = |m|² exactly (the cross terms separate into
    // the potentials); only the stopping tolerance (row-marginal L1 error 1e-3) limits it, which
    // perturbs the dual value by O(tol · cost scale) — 1% of |m|² is a generous bound.
    let (n, d) = (400, 3);
    let x = gaussian_cloud(n, d, "sk-shift");
    for m in [[0.5, 0.0, 0.0], [1.0, -2.0, 0.5], [3.0, 3.0, 3.0]] {
        let y: Vec<f64> = x.iter().enumerate().map(|(i, v)| v + m[i % d]).collect();
        let want: f64 = m.iter().map(|v| v * v).sum();
        let r = sinkhorn_divergence(&y, n, &x, n, d, &SinkhornConfig::default());
        assert!(
            (r.divergence - want).abs() < 0.01 * want,
            "shift {m:?}: S = {} vs |m|² = {want}",
            r.divergence
        );
    }
    // independent samples of two Gaussians shifted by m: ≈ |m|² up to sampling error
    let z = gaussian_cloud(n, d, "sk-shift-2");
    let y: Vec<f64> = z
        .iter()
        .enumerate()
        .map(|(i, v)| v + [1.0, -2.0, 0.5][i % d])
        .collect();
    let r = sinkhorn_divergence(&y, n, &x, n, d, &SinkhornConfig::default());
    assert!(
        (r.divergence - 5.25).abs() < 0.5,
        "independent clouds: {}",
        r.divergence
    );
}

#[test]
fn tvd_of_exact_samples_is_small_and_of_a_collapsed_sample_is_known() {
    // At d = 2 the ten components overlap, so the argmax partition of eq. 56 misassigns exact
    // samples (a floor of ≈ 0.06 that the oracle reports); at d = 10 they are well separated.
    let gmm = GaussianMixture::paper_gmm(10);
    let n = 20_000;
    let xs = gmm.sample(n, &mut stream(&["tests", "tvd"])).unwrap();
    let tvd = mode_tvd(&gmm, &xs, n);
    assert!(tvd < 0.02, "TVD of exact samples {tvd}");
    // all mass on component 3 (placed at its mean): TVD = 1 − π_3
    let mu = gmm.mean(3).to_vec();
    let collapsed: Vec<f64> = (0..100).flat_map(|_| mu.clone()).collect();
    let tvd = mode_tvd(&gmm, &collapsed, 100);
    assert!(
        (tvd - (1.0 - gmm.weights()[3])).abs() < 1e-12,
        "collapsed TVD {tvd}"
    );
    // ManyWell: mode = sign pattern of the wells
    let mw = ManyWell::paper(5);
    let xs = mw
        .sample(20_000, &mut stream(&["tests", "tvd-mw"]))
        .unwrap();
    assert!(mode_tvd(&mw, &xs, 20_000) < 0.06);
    assert_eq!(mw.weights().len(), 32);
}

#[test]
fn ess_and_log_z_from_log_weights() {
    // equal weights: ESS 1, log Ẑ = the common value; one dominant weight: ESS → 1/N
    let s = LogWeightStats::from_log_weights(&[0.7; 10]);
    assert!(
        (s.ess - 1.0).abs() < 1e-12
            && (s.log_z - 0.7).abs() < 1e-12
            && (s.elbo - 0.7).abs() < 1e-12
    );
    let mut lw = vec![-1000.0; 10];
    lw[4] = 5.0;
    let s = LogWeightStats::from_log_weights(&lw);
    assert!((s.ess - 0.1).abs() < 1e-12);
    assert!((s.log_z - (5.0 - 10f64.ln())).abs() < 1e-12);
}
