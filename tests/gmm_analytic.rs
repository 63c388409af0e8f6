//! The GMM's analytic marginals (eq. 55) and optimal control (eq. 51), checked against
//! independent computations: statrs' multivariate normal, Monte Carlo convolution, finite
//! differences, and the log Z / ESS of simulated paths.

mod common;

use std::sync::Arc;

use common::{device, problem, weight_stats};
use nalgebra::DVector;
use rand::Rng;
use socbench::harness::control::Control;
use socbench::harness::problem::PathProblem;
use socbench::harness::seed::stream;
use socbench::harness::tensor_util::{logsumexp, tensor2_from_f64, to_f64};
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::sampling::OptimalGmmControl;
use socbench::targets::Target;
use statrs::distribution::{Continuous, MultivariateNormal};

fn random_points(n: usize, d: usize, scale: f64, label: &str) -> Vec<f64> {
    let mut rng = stream(&["tests", label]);
    (0..n * d)
        .map(|_| rng.random_range(-scale..scale))
        .collect()
}

#[test]
fn q_at_terminal_time_is_the_target_density_statrs() {
    for d in [2usize, 10] {
        let gmm = GaussianMixture::paper_gmm(d);
        let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 50);
        let alpha = p.schedule.alpha(p.schedule.horizon());
        assert_eq!(alpha, 1.0);
        let comps: Vec<MultivariateNormal<nalgebra::Dyn>> = (0..gmm.num_components())
            .map(|k| MultivariateNormal::new(gmm.mean(k).to_vec(), gmm.covariance(k)).unwrap())
            .collect();
        let n = 64;
        // points near the component means so densities are not all underflowing
        let mut pts = random_points(n, d, 1.0, "qT");
        for i in 0..n {
            let mu = gmm.mean(i % gmm.num_components());
            for j in 0..d {
                pts[i * d + j] += mu[j];
            }
        }
        let x = tensor2_from_f64(&pts, n, d, &device());
        let ours = to_f64(gmm.log_marginal(x.clone(), alpha, 0.0));
        let target = to_f64(gmm.log_density(x));
        for i in 0..n {
            let xi = DVector::from_row_slice(&pts[i * d..(i + 1) * d]);
            let terms: Vec<f64> = comps
                .iter()
                .zip(gmm.mixture_weights())
                .map(|(c, w)| w.ln() + c.ln_pdf(&xi))
                .collect();
            let reference = logsumexp(&terms);
            let tol = 1e-4 * (1.0 + reference.abs());
            assert!(
                (ours[i] - reference).abs() < tol,
                "d={d} i={i}: Q_T {} vs statrs {}",
                ours[i],
                reference
            );
            assert!(
                (target[i] - reference).abs() < tol,
                "d={d} i={i}: log ρ {} vs statrs {}",
                target[i],
                reference
            );
            let f64_path = gmm.log_marginal_f64(&pts[i * d..(i + 1) * d], 1.0, 0.0);
            assert!((f64_path - reference).abs() < 1e-9 * (1.0 + reference.abs()));
        }
    }
}

#[test]
fn q_t_matches_monte_carlo_convolution_of_the_target() {
    // Q_t(x) = E_{y~ρ}[N(x; α y, η²(1−α²) I)] (the noising OU run from the target).
    let d = 2;
    let gmm = GaussianMixture::paper_gmm(d);
    let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 50);
    let mut rng = stream(&["tests", "qt-mc"]);
    let m = 200_000;
    let ys = gmm.sample(m, &mut rng).expect("GMM samples");
    let eta2 = p.eta * p.eta;
    for &t in &[0.9, 0.97] {
        let alpha = p.schedule.alpha(t);
        let c = eta2 * (1.0 - alpha * alpha);
        for i in 0..4 {
            let mu = gmm.mean(i);
            let x = [alpha * mu[0] + 0.3, alpha * mu[1] - 0.2];
            let vals: Vec<f64> = (0..m)
                .map(|j| {
                    let dx = x[0] - alpha * ys[2 * j];
                    let dy = x[1] - alpha * ys[2 * j + 1];
                    (-(dx * dx + dy * dy) / (2.0 * c)).exp() / (2.0 * std::f64::consts::PI * c)
                })
                .collect();
            let mean = vals.iter().sum::<f64>() / m as f64;
            let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m as f64 - 1.0);
            let se = (var / m as f64).sqrt();
            let q = gmm.log_marginal_f64(&x, alpha, c).exp();
            assert!(
                (q - mean).abs() < 5.0 * se + 1e-12,
                "t={t} i={i}: Q_t {q} vs MC {mean} ± {se}"
            );
        }
    }
}

#[test]
fn optimal_control_equals_finite_difference_gradient() {
    for d in [2usize, 10] {
        let gmm = GaussianMixture::paper_gmm(d);
        let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), 50);
        let ustar = OptimalGmmControl::new(&p).unwrap();
        let eta2 = p.eta * p.eta;
        let n = 8;
        let mut pts = random_points(n, d, 4.0, "fd");
        for i in 0..n {
            let mu = gmm.mean(i);
            for j in 0..d {
                pts[i * d + j] = 0.5 * pts[i * d + j] + 0.6 * mu[j];
            }
        }
        for &t in &[0.0, 0.5, 0.9, 0.98] {
            let alpha = p.schedule.alpha(t);
            let c = eta2 * (1.0 - alpha * alpha);
            let u = to_f64(ustar.eval(tensor2_from_f64(&pts, n, d, &device()), t));
            let sigma = p.sigma(t);
            for i in 0..n {
                let x = &pts[i * d..(i + 1) * d];
                let log_ratio = |z: &[f64]| {
                    gmm.log_marginal_f64(z, alpha, c)
                        + z.iter().map(|v| v * v).sum::<f64>() / (2.0 * eta2)
                };
                for j in 0..d {
                    let h = 1e-5;
                    let mut xp = x.to_vec();
                    let mut xm = x.to_vec();
                    xp[j] += h;
                    xm[j] -= h;
                    let fd = sigma * (log_ratio(&xp) - log_ratio(&xm)) / (2.0 * h);
                    let got = u[i * d + j];
                    assert!(
                        (got - fd).abs() < 2e-3 * (1.0 + fd.abs()),
                        "d={d} t={t} i={i} j={j}: u* {got} vs finite difference {fd}"
                    );
                }
            }
        }
    }
}

#[test]
fn optimal_control_recovers_log_z_at_d2() {
    let p = problem(Arc::new(GaussianMixture::paper_gmm(2)), 50);
    let ustar = OptimalGmmControl::new(&p).unwrap();
    let (stats, _) = weight_stats(&p, &ustar, 4000, "logz-d2");
    let err = stats.abs_dlogz(p.target.log_z().unwrap());
    assert!(err < 0.05, "|Δlog Z| = {err} with u* at d = 2, 50 steps");
    assert!(stats.ess > 0.5, "ESS {}", stats.ess);
    assert!(stats.elbo <= stats.log_z + 1e-9);
}

#[test]
fn discretisation_floor_shrinks_with_more_steps_at_d50() {
    // The continuous-time u* is not optimal for the discrete process: at d = 50 the ESS with 50
    // steps is far below 1 and rises (and the log Z error falls) as the grid is refined.
    let d = 50;
    let mut results = Vec::new();
    for steps in [50usize, 200, 1000] {
        let p = problem(Arc::new(GaussianMixture::paper_gmm(d)), steps);
        let ustar = OptimalGmmControl::new(&p).unwrap();
        let (stats, _) = weight_stats(&p, &ustar, 2000, &format!("floor-{steps}"));
        results.push((
            steps,
            stats.ess,
            stats.abs_dlogz(0.0),
            stats.log_z - stats.elbo,
        ));
    }
    eprintln!("(steps, ESS, |ΔlogZ|, logẐ − ELBO): {results:?}");
    assert!(
        results[0].1 < 0.2,
        "ESS at 50 steps should be far below 1: {results:?}"
    );
    for w in results.windows(2) {
        assert!(w[1].1 > w[0].1, "ESS must rise with steps: {results:?}");
        assert!(
            w[1].3 < w[0].3,
            "the gap log Ẑ − ELBO must fall with steps: {results:?}"
        );
    }
    assert!(
        results[2].2 < results[0].2,
        "|Δlog Z| must fall from 50 to 1000 steps: {results:?}"
    );
    assert!(results[2].1 > 0.5, "ESS at 1000 steps: {results:?}");
}
