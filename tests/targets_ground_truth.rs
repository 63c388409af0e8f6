//! Ground truth of the targets: ManyWell log Z by quadrature, exact samples, gradients against
//! finite differences, and input validation.

mod common;

use common::device;
use rand::Rng;
use socbench::targets::manywell::{log_z_double_well, ManyWell};
use socbench::targets::seed::stream;
use socbench::targets::tensor_util::{tensor2_from_f64, to_f64};
use socbench::targets::{build, Target, TargetError, TargetSpec};

#[test]
fn manywell_log_z_matches_reference_quadrature() {
    // Reference values: independent Simpson integration (shared/reference/anchors.md), δ = 4, m = 5.
    for (d, want) in [
        (50usize, 40.811178),
        (200, 178.651958),
        (10, 4.053637),
        (5, -0.541056),
    ] {
        let got = ManyWell::paper(d).log_z();
        assert!((got - want).abs() < 2e-6, "d={d}: {got} vs {want}");
    }
    // m = min(5, d): the d = 2 problem has 2 wells (4 modes)
    assert!((ManyWell::paper(2).log_z() - (-0.216422)).abs() < 2e-6);
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
    let s = mw.sample(ns, &mut stream(&["tests", "mw-samples"]));
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
    let e = build(&TargetSpec::new("banana", 2)).err().unwrap();
    assert!(
        e.to_string().contains("unknown target `banana`") && e.to_string().contains("manywell"),
        "{e}"
    );
}
