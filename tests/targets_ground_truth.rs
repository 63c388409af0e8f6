//! Ground truth of the targets: ManyWell log Z by quadrature, exact samples, gradients against
//! finite differences, and input validation.

mod common;

use common::device;
use rand::Rng;
use socbench::harness::error::TargetError;
use socbench::harness::seed::stream;
use socbench::harness::tensor_util::{tensor2_from_f64, to_f64};
use socbench::targets::manywell::{log_z_double_well, ManyWell};
use socbench::targets::{build, Target, TargetSpec};

#[test]
fn manywell_log_z_matches_reference_quadrature() {
    // Reference values: independent Simpson integration (shared/reference/anchors.md), δ = 4, m = 5.
    for (d, want) in [
        (50usize, 40.811178),
        (200, 178.651958),
        (10, 4.053637),
        (5, -0.541056),
    ] {
        let got = ManyWell::paper(d).log_z().unwrap();
        assert!((got - want).abs() < 2e-6, "d={d}: {got} vs {want}");
    }
    // m = min(5, d): the d = 2 problem has 2 wells (4 modes)
    assert!((ManyWell::paper(2).log_z().unwrap() - (-0.216422)).abs() < 2e-6);
    // δ = 2 (the UnderdampedDiffusionBridges variant): log Z_1 = 0.29300174
    assert!((log_z_double_well(2.0) - 0.29300174).abs() < 1e-7);
}

#[test]
fn manywell_samples_have_the_right_moments() {
    // E[x²] of the double-well factor by quadrature vs the rejection sampler.
    let delta = 4.0;
    let (l, n) = (8.0, 100_000usize);
    let h = 2.0 * l / n as f64;
    let (mut z, mut m2) = (0.0, 0.0);
    for i in 0..=n {
        let x = -l + i as f64 * h;
        let w = (-(x * x - delta).powi(2)).exp();
        z += w;
        m2 += w * x * x;
    }
    let want = m2 / z;
    let mw = ManyWell::paper(6);
    let ns = 40_000;
    let s = mw
        .sample(ns, &mut stream(&["tests", "mw-samples"]))
        .unwrap();
    let x2: Vec<f64> = (0..ns).map(|i| s[i * 6].powi(2)).collect();
    let mean = x2.iter().sum::<f64>() / ns as f64;
    let sd = (x2.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / ns as f64).sqrt();
    assert!(
        (mean - want).abs() < 5.0 * sd / (ns as f64).sqrt(),
        "E[x1²] {mean} vs {want}"
    );
    let pos = (0..ns).filter(|i| s[i * 6] > 0.0).count() as f64 / ns as f64;
    assert!((pos - 0.5).abs() < 0.02, "sign balance {pos}");
    let g: Vec<f64> = (0..ns).map(|i| s[i * 6 + 5]).collect();
    let gv = g.iter().map(|v| v * v).sum::<f64>() / ns as f64;
    assert!((gv - 1.0).abs() < 0.05, "Gaussian coordinate variance {gv}");
}

#[test]
fn gradients_match_finite_differences() {
    for (name, d) in [
        ("gmm", 3usize),
        ("manywell", 7),
        ("funnel", 4),
        ("gmm40", 2),
        ("gaussian", 3),
    ] {
        let t = build(&TargetSpec::new(name, d)).unwrap();
        let mut rng = stream(&["tests", "grad", name]);
        let n = 6;
        let pts: Vec<f64> = (0..n * d).map(|_| rng.random_range(-2.0..2.0)).collect();
        let g = to_f64(t.grad_log_density(tensor2_from_f64(&pts, n, d, &device())));
        for i in 0..n {
            for j in 0..d {
                let eps = 1e-2;
                let mut p = pts[i * d..(i + 1) * d].to_vec();
                let mut q = p.clone();
                p[j] += eps;
                q[j] -= eps;
                let x = tensor2_from_f64(&[p, q].concat(), 2, d, &device());
                let lp = to_f64(t.log_density(x));
                let fd = (lp[0] - lp[1]) / (2.0 * eps);
                let got = g[i * d + j];
                assert!(
                    (got - fd).abs() < 2e-2 * (1.0 + fd.abs()),
                    "{name} d={d} i={i} j={j}: {got} vs {fd}"
                );
            }
        }
    }
}

#[test]
fn invalid_targets_name_the_field_and_range() {
    let e = build(&TargetSpec::new("gmm", 0)).err().unwrap();
    assert!(matches!(e, TargetError::OutOfRange { field: "dim", .. }));
    assert!(
        e.to_string().contains("`dim`") && e.to_string().contains("1..=1000"),
        "{e}"
    );
    let e = build(&TargetSpec::new("funnel", 1)).err().unwrap();
    assert!(e.to_string().contains("2..=1000"), "{e}");
    let e = build(&TargetSpec::new("rosenbrock", 2)).err().unwrap();
    assert!(
        e.to_string().contains("unknown target `rosenbrock`") && e.to_string().contains("manywell"),
        "{e}"
    );
}

/// Every registered target's gradient (hand-written where it exists) equals burn's autodiff of
/// its log-density, the default a new target gets.
#[test]
fn every_target_gradient_equals_the_autodiff_default() {
    let mut rng = stream(&["tests", "autodiff-grad"]);
    for entry in socbench::targets::TARGETS {
        // Targets defined at one dimension only (gmm9) are tried there.
        for d in [entry.min_dim.max(2), 7.min(entry.max_dim)] {
            let t = (entry.build)(d);
            let n = 16;
            let x: Vec<f64> = (0..n * d).map(|_| rng.random_range(-2.0..2.0)).collect();
            let xt = tensor2_from_f64(&x, n, d, &device());
            let got = to_f64(t.grad_log_density(xt.clone()));
            let want = to_f64(socbench::targets::autodiff_grad(|x| t.log_density(x), xt));
            let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            let err = common::max_diff(&got, &want) / scale;
            assert!(err < 1e-4, "{} d={d}: relative error {err}", entry.name);
        }
    }
}

/// The example target `banana`: its gradient (autodiff) against central finite differences in
/// f64 of its log-density, its normalisation (log Z = 0) by grid quadrature in d = 2, and its
/// exact samples against the analytic moments E[x₂] = 0, Var[x₁] = a² = 4.
#[test]
fn banana_gradient_normalisation_and_samples() {
    let t = build(&TargetSpec::new("banana", 2)).unwrap();
    let logp = |x: &[f64]| {
        let n = x.len() / 2;
        to_f64(t.log_density(tensor2_from_f64(x, n, 2, &device())))
    };
    // Finite differences (f32 log-density: step 1e-2, tolerance 1e-2 relative).
    let x0 = [0.7, -0.4];
    let g = to_f64(t.grad_log_density(tensor2_from_f64(&x0, 1, 2, &device())));
    for i in 0..2 {
        let (mut p, mut m) = (x0, x0);
        p[i] += 1e-2;
        m[i] -= 1e-2;
        let fd = (logp(&p)[0] - logp(&m)[0]) / 2e-2;
        assert!(
            (fd - g[i]).abs() < 1e-2 * g[i].abs().max(1.0),
            "∂{i}: {fd} vs {}",
            g[i]
        );
    }
    // ∫ρ = 1 on [−12, 12] × [−12, 36]: x₂'s mean b(x₁² − a²) stays below 30 for |x₁| ≤ 8 = 4a;
    // the mass left out is about 1e-4.
    let h = 0.05;
    let xs: Vec<f64> = (0..480).map(|i| -12.0 + h * (i as f64 + 0.5)).collect();
    let ys: Vec<f64> = (0..960).map(|j| -12.0 + h * (j as f64 + 0.5)).collect();
    let mut mass = 0.0;
    for x in &xs {
        let grid: Vec<f64> = ys.iter().flat_map(|y| [*x, *y]).collect();
        mass += logp(&grid).iter().map(|l| l.exp()).sum::<f64>() * h * h;
    }
    assert!((mass - 1.0).abs() < 1e-3, "∫ρ = {mass}");
    assert_eq!(t.log_z(), Some(0.0));
    let n = 200_000;
    let s = t.sample(n, &mut stream(&["tests", "banana"])).unwrap();
    let mean2 = s.iter().skip(1).step_by(2).sum::<f64>() / n as f64;
    let var1 = s.iter().step_by(2).map(|x| x * x).sum::<f64>() / n as f64;
    // Standard errors: 3/√n = 0.0067 for E[x₂] (Var x₂ = 1 + b²·2a⁴ = 9), √(2a⁴/n) = 0.013 for Var[x₁].
    assert!(mean2.abs() < 0.03, "E[x₂] = {mean2}");
    assert!((var1 - 4.0).abs() < 0.05, "Var[x₁] = {var1}");
}
