//! The base processes of the log-variance paper (arXiv 2307.01198), PIS and DIS
//! (targets/src/pis.rs, `SamplingProblem::dis`), on its GMM9 target:
//! - under the analytic optimal control the weights are nearly constant at a fine
//!   discretisation (ESS ≈ 1, log Ẑ ≈ log Z = 0), and far from it under no control;
//! - the simulator's path weights equal an independent f64 computation from the stored states
//!   alone: the log-density of the target path measure (ρ at the end and the transition
//!   densities of the reference chain, reversed for DIS) minus that of the simulated chain;
//! - the registry's `pis:` and `dis:` names build them, and bad names are one-line errors.
#![allow(clippy::needless_range_loop)]

mod common;

use std::sync::Arc;

use common::{device, weight_stats};
use socbench::harness::control::{Control, ZeroControl};
use socbench::harness::problem::SocProblem;
use socbench::harness::rng::StreamKey;
use socbench::harness::simulate::{simulate, SimOptions};
use socbench::harness::tensor_util::{logsumexp, to_f64};
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::pis::{OptimalPisGmmControl, PisProblem};
use socbench::targets::problems::build;
use socbench::targets::sampling::{OptimalGmmControl, SamplingProblem};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn gmm9() -> Arc<GaussianMixture> {
    Arc::new(GaussianMixture::gmm9())
}

/// log ρ of GMM9 in f64: nine N(μ, 0.3 I) at {−5, 0, 5}², weights 1/9 (log Z = 0).
fn log_rho(x: &[f64]) -> f64 {
    let g = [-5.0, 0.0, 5.0];
    let terms: Vec<f64> = g
        .iter()
        .flat_map(|&a| g.iter().map(move |&b| (a, b)))
        .map(|(a, b)| {
            let q = (x[0] - a).powi(2) + (x[1] - b).powi(2);
            (1.0f64 / 9.0).ln() - q / (2.0 * 0.3) - (LN_2PI + 0.3f64.ln())
        })
        .collect();
    logsumexp(&terms)
}

/// log N(y; m, v I) in f64.
fn log_normal(y: &[f64], m: &[f64], v: f64) -> f64 {
    let q: f64 = y.iter().zip(m).map(|(a, b)| (a - b).powi(2)).sum();
    -0.5 * q / v - 0.5 * y.len() as f64 * (LN_2PI + v.ln())
}

#[test]
fn gmm9_optimal_controls_give_constant_weights() {
    let pis = PisProblem::new(gmm9(), 1000);
    let u = OptimalPisGmmControl::new(&pis).unwrap();
    let (s, _) = weight_stats(&pis, &u, 4000, "pis-opt");
    eprintln!(
        "PIS, u*: log Ẑ {:.4} ELBO {:.4} ESS {:.4}",
        s.log_z, s.elbo, s.ess
    );
    assert!(s.ess > 0.97 && s.log_z.abs() < 0.02, "{s:?}");
    let (z, _) = weight_stats(&pis, &ZeroControl, 4000, "pis-zero");
    eprintln!("PIS, u = 0: ESS {:.4}", z.ess);
    assert!(z.ess < 0.5, "{z:?}");

    let dis = SamplingProblem::dis(gmm9(), 1000, 1e-4).unwrap();
    let u = OptimalGmmControl::new(&dis).unwrap();
    let (s, _) = weight_stats(&dis, &u, 4000, "dis-opt");
    eprintln!(
        "DIS, u*: log Ẑ {:.4} ELBO {:.4} ESS {:.4}",
        s.log_z, s.elbo, s.ess
    );
    assert!(s.ess > 0.97 && s.log_z.abs() < 0.02, "{s:?}");
}

/// Stored paths of `u` on `p`: states [N + 1][n·d], controls [N][n·d] and log w [n].
fn paths(
    p: &dyn SocProblem,
    u: &dyn Control,
    n: usize,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>) {
    let key = StreamKey::new("tests", "lv-processes", p.dim(), 0);
    let opts = SimOptions {
        store_path: true,
        ..SimOptions::default()
    };
    let t = simulate(p, u, n, &mut key.stream("paths"), &device(), opts);
    let states = t.states.iter().map(|x| to_f64(x.clone())).collect();
    let controls = t.controls.iter().map(|x| to_f64(x.clone())).collect();
    (states, controls, to_f64(t.log_weights()))
}

/// log w = log dQ/dP^u from the states and controls alone, for PIS: Q starts at 0 and steps
/// by N(x, σ²Δt I), conditioned by ρ/N(0, σ²T I) at the end, P^u steps by N(x + σuΔt, σ²Δt I).
#[test]
fn pis_weights_match_an_independent_f64_computation() {
    let p = PisProblem::new(gmm9(), 20);
    // A control that is not optimal and depends on x: the optimal one of another horizon.
    let other = PisProblem::with(gmm9(), 20, 0.6, 6.0);
    let u = OptimalPisGmmControl::new(&other).unwrap();
    let n = 6;
    let (xs, us, lw) = paths(&p, &u, n);
    let integ = p.integrator();
    let (sigma, v_t) = (p.sigma, p.sigma * p.sigma * p.horizon);
    for i in 0..n {
        let at = |k: usize| xs[k][2 * i..2 * i + 2].to_vec();
        let mut log_q = log_rho(&at(20)) - log_normal(&at(20), &[0.0, 0.0], v_t);
        let mut log_p = 0.0;
        for k in 0..20 {
            let dt = integ.coeffs(k).dt;
            let (x, y) = (at(k), at(k + 1));
            let uk = &us[k][2 * i..2 * i + 2];
            let mean: Vec<f64> = x.iter().zip(uk).map(|(a, b)| a + sigma * b * dt).collect();
            log_q += log_normal(&y, &x, sigma * sigma * dt);
            log_p += log_normal(&y, &mean, sigma * sigma * dt);
        }
        let ours = lw[i];
        let indep = log_q - log_p;
        assert!(
            (ours - indep).abs() < 1e-3 * (1.0 + indep.abs()),
            "path {i}: ours {ours} vs f64 {indep}"
        );
    }
}

/// The same for DIS: Q is the VP noising chain started at ρ, run backwards (its step from
/// x_{k+1} to x_k is the exact OU transition N(a_k x_{k+1}, (1 − a_k²) I)), P^u starts at
/// N(0, I) and steps by N(a_k x_k + s_k h_k u_k, s_k² I). The truncation of the prior is left
/// out of both (it only moves paths' starts, not their densities inside the box).
#[test]
fn dis_weights_match_an_independent_f64_computation() {
    let p = SamplingProblem::dis(gmm9(), 20, 1e-4).unwrap();
    let other = SamplingProblem::dis(gmm9(), 7, 0.0).unwrap();
    let u = OptimalGmmControl::new(&other).unwrap();
    let n = 6;
    let (xs, us, lw) = paths(&p, &u, n);
    let integ = p.integrator();
    let a: Vec<f64> = (0..20)
        .map(|k| {
            let c = integ.coeffs(k);
            (-p.schedule.integral(c.t, c.t + c.dt)).exp()
        })
        .collect();
    for i in 0..n {
        let at = |k: usize| xs[k][2 * i..2 * i + 2].to_vec();
        let mut log_q = log_rho(&at(20));
        let mut log_p = log_normal(&at(0), &[0.0, 0.0], 1.0);
        for k in 0..20 {
            let c = integ.coeffs(k);
            let (x, y) = (at(k), at(k + 1));
            let back: Vec<f64> = y.iter().map(|v| a[k] * v).collect();
            log_q += log_normal(&x, &back, 1.0 - a[k] * a[k]);
            let uk = &us[k][2 * i..2 * i + 2];
            let mean: Vec<f64> = x
                .iter()
                .zip(uk)
                .map(|(v, w)| a[k] * v + c.s * c.h * w)
                .collect();
            log_p += log_normal(&y, &mean, c.s * c.s);
        }
        let ours = lw[i];
        let indep = log_q - log_p;
        assert!(
            (ours - indep).abs() < 1e-3 * (1.0 + indep.abs()),
            "path {i}: ours {ours} vs f64 {indep}"
        );
    }
}

#[test]
fn process_names_build_and_bad_ones_are_one_line_errors() {
    let p = build("pis:gmm9", 2, 200).unwrap();
    assert_eq!(p.horizon(), 5.0);
    assert!(p.optimal_control().is_some());
    let d = build("dis:manywell-delta2", 50, 200).unwrap();
    assert_eq!(d.dim(), 50);
    assert!((d.sigma(0.0) - 10f64.sqrt()).abs() < 1e-12);
    let e = build("pis:gmm9", 3, 200).err().unwrap().to_string();
    assert!(e.contains("dim") && e.contains("2..=2"), "{e}");
    let e = build("xyz:gmm9", 2, 200).err().unwrap().to_string();
    assert!(e.contains("process") && e.contains("pis"), "{e}");
    let e = build("pis:nope", 2, 200).err().unwrap().to_string();
    assert!(
        e.contains("nope") && e.contains("<process>:<target>"),
        "{e}"
    );
}

/// The targets' reference log Z against sde_sampler's values (read from its code and the
/// issue: ManyWell-5 −0.541056, ManyWell-50 42.817243, GMM9 0) and their marginal standard
/// deviations against those of 200 000 exact samples (a second estimator).
#[test]
fn targets_log_z_and_marginal_stds() {
    use socbench::targets::{build as target, TargetSpec};
    let mw5 = target(&TargetSpec::new("manywell", 5)).unwrap();
    let mw50 = target(&TargetSpec::new("manywell-delta2", 50)).unwrap();
    assert!(
        (mw5.log_z().unwrap() - (-0.541056)).abs() < 1e-5,
        "{:?}",
        mw5.log_z()
    );
    assert!(
        (mw50.log_z().unwrap() - 42.817243).abs() < 1e-5,
        "{:?}",
        mw50.log_z()
    );
    let g9 = target(&TargetSpec::new("gmm9", 2)).unwrap();
    assert_eq!(g9.log_z(), Some(0.0));
    for t in [&g9, &mw5, &mw50] {
        let d = t.dim();
        let n = 200_000;
        let key = StreamKey::new("tests", "marginal-std", d, 0);
        let xs = t.sample(n, &mut key.stream("x")).unwrap();
        let std = t.marginal_std().unwrap();
        for (i, s) in std.iter().enumerate().take(6) {
            let m = (0..n).map(|r| xs[r * d + i]).sum::<f64>() / n as f64;
            let v = (0..n).map(|r| (xs[r * d + i] - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            assert!(
                (v.sqrt() - s).abs() < 0.01 * s,
                "{} coordinate {i}: sample std {} vs {s}",
                t.name(),
                v.sqrt()
            );
        }
    }
}
