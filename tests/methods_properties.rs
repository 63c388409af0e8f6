//! Properties of the method losses that hold without training: the zero-variance property of LV
//! at u*, the sign and scale of the adjoint-matching regression target, and config validation.

mod common;

use std::sync::Arc;

use common::{device, problem};
use socbench::harness::rng::StreamKey;
use socbench::harness::simulate::{simulate, SimOptions};
use socbench::harness::tensor_util::to_f64;
use socbench::methods::paths::PathBatch;
use socbench::methods::{losses, Method, TrainConfig};
use socbench::targets::gmm::GaussianMixture;
use socbench::targets::sampling::OptimalGmmControl;

fn ustar_paths(
    p: &socbench::targets::sampling::SamplingProblem,
    n: usize,
    label: &str,
) -> PathBatch {
    let ustar = OptimalGmmControl::new(p).unwrap();
    let key = StreamKey::new("tests", label, p.target.dim(), 0);
    let traj = simulate(
        p,
        &ustar,
        n,
        &mut key.stream("sim"),
        &device(),
        SimOptions {
            track_grad: false,
            store_path: true,
            tracked_controls: false,
        },
    );
    let lw = to_f64(traj.log_weights());
    PathBatch::from_trajectories(traj, lw)
}

#[test]
fn log_variance_is_near_zero_at_the_optimal_control() {
    // The per-path log-RND of LV with reference v = u = u*: log w of u*-paths. Its variance is
    // zero in continuous time; in the discrete scheme it shrinks with the step size.
    let mut vars = Vec::new();
    for steps in [50usize, 1000] {
        let p = problem(Arc::new(GaussianMixture::paper_gmm(2)), steps);
        let ustar = OptimalGmmControl::new(&p).unwrap();
        let batch = ustar_paths(&p, 2000, &format!("lv-zero-{steps}"));
        let loss = losses::log_variance(&batch, &p, &ustar, 1.0);
        vars.push(f64::from(loss.into_scalar()));
    }
    eprintln!(
        "Var(log RND) at u*: 50 steps {}, 1000 steps {}",
        vars[0], vars[1]
    );
    assert!(vars[1] < 1e-2, "variance at 1000 steps {}", vars[1]);
    assert!(vars[1] < vars[0]);
}

#[test]
fn adjoint_matching_target_regresses_onto_the_optimal_control() {
    // Gaussian target N(m, s²I): the lean-adjoint target −(s_k/h_k) a_{k+1} evaluated on paths of
    // u* has conditional mean u*(X_k): the residual (target − u*) has mean zero and is
    // uncorrelated with X_k (both within 5 standard errors plus an O(Δt) allowance).
    let d = 2;
    let p = problem(
        Arc::new(GaussianMixture::gaussian(d, 1.5, 0.6, 1.0, 0.0)),
        200,
    );
    let n = 4000;
    let mut batch = ustar_paths(&p, n, "am-sign");
    batch.compute_adjoints(&p, 1.0);
    for k in [0usize, 100, 180, 199] {
        let t = to_f64(batch.adjoint_target(&p, k));
        let u = to_f64(batch.controls[k].clone());
        let x = to_f64(batch.states[k].clone());
        for j in 0..d {
            let r: Vec<f64> = (0..n).map(|i| t[i * d + j] - u[i * d + j]).collect();
            let scale = (0..n).map(|i| u[i * d + j].abs()).sum::<f64>() / n as f64;
            let mean = r.iter().sum::<f64>() / n as f64;
            let sd = (r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            assert!(
                mean.abs() < 5.0 * sd / (n as f64).sqrt() + 0.05 * scale,
                "k={k} j={j}: mean residual {mean} (sd {sd}, |u*| {scale})"
            );
            let xm = (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64;
            let cov: Vec<f64> = (0..n).map(|i| r[i] * (x[i * d + j] - xm)).collect();
            let cm = cov.iter().sum::<f64>() / n as f64;
            let csd = (cov.iter().map(|v| (v - cm).powi(2)).sum::<f64>() / n as f64).sqrt();
            assert!(
                cm.abs() < 5.0 * csd / (n as f64).sqrt() + 0.05 * scale,
                "k={k} j={j}: residual correlated with X: {cm}"
            );
        }
    }
    // A sign error in the target (+(s/h)a) would make the residual ≈ −2u*: check that the
    // correct sign is the one that matches.
    let t = to_f64(batch.adjoint_target(&p, 100));
    let u = to_f64(batch.controls[100].clone());
    let dot: f64 = t.iter().zip(&u).map(|(a, b)| a * b).sum();
    assert!(dot > 0.0, "target and u* must point the same way");
}

#[test]
fn invalid_configs_are_rejected_with_the_field_named() {
    let mut cfg = TrainConfig::default();
    cfg.tr.epsilon = 0.0;
    let e = cfg.validate(Method::named("tr-lv")).unwrap_err();
    assert_eq!(e.field, "tr.epsilon");
    assert!(
        e.to_string().contains("`tr.epsilon` = 0") && e.to_string().contains("> 0"),
        "{e}"
    );
    assert!(
        cfg.validate(Method::named("lv")).is_ok(),
        "ε is not used by LV"
    );
    let mut cfg = TrainConfig::default();
    cfg.tr.buffer = 100;
    cfg.tr.minibatch = 200;
    let e = cfg.validate(Method::named("tr-socm")).unwrap_err();
    assert_eq!(e.field, "tr.buffer");
    assert!(e.to_string().contains(">= tr.minibatch (200)"), "{e}");
    let e = "tr-foo".parse::<Method>().unwrap_err();
    assert_eq!(e.field, "method");
    assert!(
        e.to_string().contains("tr-lv") && e.to_string().contains("`method` = tr-foo"),
        "{e}"
    );
    for m in Method::all() {
        assert_eq!(m.name().parse::<Method>().unwrap(), m);
    }
    assert_eq!("TR_LV".parse::<Method>().unwrap(), Method::named("tr-lv"));
}
