//! The quadratic OU problems (App. G) on the tensor side: the lean adjoint with ∇b and ∇f (eq. 18)
//! against finite differences of β·W along a stored path, the simulated cost of u* against the
//! Riccati value, the exact discrete importance weights with f ≠ 0, and the initial laws.

mod common;

use common::device;
use nalgebra::DMatrix;
use socbench::harness::control::{Control, ZeroControl};
use socbench::harness::metrics::{control_l2, LogWeightStats};
use socbench::harness::problem::SocProblem;
use socbench::harness::rng::StreamKey;
use socbench::harness::simulate::{simulate, SimOptions};
use socbench::harness::tensor_util::to_f64;
use socbench::methods::paths::PathBatch;
use socbench::targets::problems;
use socbench::targets::quadratic::{InitLaw, QuadraticOu, RiccatiControl};
use socbench::targets::riccati::Lqr;

/// d = 3, non-normal A, non-diagonal P and Q, σ0 = 0.8.
fn non_diagonal(steps: usize) -> QuadraticOu {
    let lqr = Lqr {
        a: DMatrix::from_row_slice(3, 3, &[0.3, 1.2, 0.0, -0.4, 0.1, 0.5, 0.2, 0.0, -0.6]),
        p: DMatrix::from_row_slice(3, 3, &[0.5, 0.2, 0.0, 0.2, 0.3, 0.1, 0.0, 0.1, 0.4]),
        q: DMatrix::from_row_slice(3, 3, &[0.4, -0.1, 0.0, -0.1, 0.6, 0.2, 0.0, 0.2, 0.5]),
        sigma: DMatrix::identity(3, 3) * 0.8,
        horizon: 1.0,
    };
    QuadraticOu::new("test", lqr, steps, InitLaw::PerPath { std: 0.5 })
}

fn mat_vec(m: &DMatrix<f64>, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| (0..x.len()).map(|j| m[(i, j)] * x[j]).sum())
        .collect()
}

fn quad(m: &DMatrix<f64>, x: &[f64]) -> f64 {
    mat_vec(m, x).iter().zip(x).map(|(a, b)| a * b).sum()
}

#[test]
fn lean_adjoint_matches_finite_differences_of_the_work() {
    let (steps, d, n, beta) = (20, 3, 4, 0.7);
    let p = non_diagonal(steps);
    let key = StreamKey::new("tests", "ou-adjoint", d, 0);
    let traj = simulate(
        &p,
        &RiccatiControl { problem: &p },
        n,
        &mut key.stream("sim"),
        &device(),
        SimOptions {
            store_path: true,
            tracked_controls: false,
            ..Default::default()
        },
    );
    let lw = to_f64(traj.log_weights());
    let mut batch = PathBatch::from_trajectories(traj, lw);
    batch.compute_adjoints(&p, beta);
    let adj = batch.adjoints.as_ref().unwrap();
    let row = |t: &burn::prelude::Tensor<socbench::harness::backend::B, 2>, i: usize| {
        to_f64(t.clone())[i * d..(i + 1) * d].to_vec()
    };
    let dt = 1.0 / steps as f64;
    let (s, h) = (0.8 * dt.sqrt(), dt.sqrt());
    let (a, pm, qm) = (&p.lqr.a, &p.lqr.p, &p.lqr.q);
    for path in [0, 3] {
        // β·W_k(x) = β(Σ_{j≥k} f(X_j)Δt + g(X_N)) with X_k = x, re-propagated in f64 with the
        // stored noise ξ_j and controls v_j held fixed (the "lean" adjoint ignores ∂v/∂X).
        let work_from = |k: usize, x: &[f64]| {
            let mut x = x.to_vec();
            let mut w = 0.0;
            for j in k..steps {
                w += quad(pm, &x) * dt;
                let (v, xi) = (row(&batch.controls[j], path), row(&batch.noise[j], path));
                let ax = mat_vec(a, &x);
                x = (0..d)
                    .map(|i| x[i] + ax[i] * dt + s * (h * v[i] + xi[i]))
                    .collect();
            }
            beta * (w + quad(qm, &x))
        };
        for k in [1, 7, 19, 20] {
            let xk = row(&batch.states[k], path);
            let got = row(&adj[k - 1], path);
            for i in 0..d {
                // W is quadratic in X_k: central differences are exact up to rounding.
                let delta = 1e-3;
                let (mut up, mut down) = (xk.clone(), xk.clone());
                up[i] += delta;
                down[i] -= delta;
                let fd = (work_from(k, &up) - work_from(k, &down)) / (2.0 * delta);
                assert!(
                    (got[i] - fd).abs() < 1e-4 * (1.0 + fd.abs()),
                    "path {path} k={k} i={i}: adjoint {} vs finite difference {fd}",
                    got[i]
                );
            }
        }
    }
}

#[test]
fn drift_vjp_is_the_transpose_of_the_drift() {
    let p = non_diagonal(10);
    let mut rng = StreamKey::new("tests", "ou-vjp", 3, 0).stream("x");
    let x = p.sample_initial(5, &mut rng, &device());
    let v = p.sample_initial(5, &mut rng, &device());
    // ⟨(∇b)ᵀa, v⟩ = ⟨a, (∇b)v⟩ row by row.
    let lhs = to_f64((p.drift_vjp(x.clone(), 0.0, x.clone()) * v.clone()).sum_dim(1));
    let rhs = to_f64((x.clone() * p.drift_jvp(x.clone(), 0.0, v)).sum_dim(1));
    for (l, r) in lhs.iter().zip(&rhs) {
        assert!((l - r).abs() < 1e-5 * (1.0 + r.abs()), "{l} vs {r}");
    }
    // The drift is Ax for the rows of x.
    let ax = to_f64(p.drift(x.clone(), 0.3));
    let xs = to_f64(x);
    for r in 0..5 {
        let want = mat_vec(&p.lqr.a, &xs[r * 3..r * 3 + 3]);
        for i in 0..3 {
            assert!((ax[r * 3 + i] - want[i]).abs() < 1e-5);
        }
    }
}

/// Mean and standard error.
fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[test]
fn optimal_control_attains_the_riccati_value_and_log_z() {
    for name in ["ou-easy", "ou-hard", "ou-hard-shared"] {
        let d = 10;
        let p = QuadraticOu::named(name, d, 1000).unwrap();
        let us = RiccatiControl { problem: &p };
        let key = StreamKey::new("tests", name, d, 0);
        let run = |u: &dyn Control, purpose: &str| {
            simulate(
                &p,
                u,
                10_000,
                &mut key.stream(purpose),
                &device(),
                SimOptions::default(),
            )
        };
        // Cost functional J(u) = E[Σ f Δt + g + Σ ½h²|u|²] (eq. 1).
        let t = run(&us, "opt");
        let (j, se) = mean_se(&to_f64(t.work() + t.control_cost.clone()));
        let v = p.optimal_cost();
        assert!(
            (j - v).abs() < 4.0 * se + 0.01 * v,
            "{name}: J(u*) = {j} ± {se} vs V = {v}"
        );
        // E_{P^{u*}}[w] = Z: the weights of the exact discrete densities give log Z up to the
        // O(Δt) discretisation gap (1000 steps: the gap also adds O(Δt) to the weights' log-variance,
        // 0.02 on the hard problem, inside the tolerance below). Under u* a path's weight is Z(X_0) = e^{−V(X_0, 0)} (eq. 42):
        // constant for a shared start, and for X_0 ~ N(0, s²I) of ESS
        //   E[Z(X_0)]² / E[Z(X_0)²] = e^{2 log Z} / (e^{−2c(0)} det(I + 4s²F(0))^{−1/2}).
        let stats = LogWeightStats::from_log_weights(&to_f64(t.log_weights()));
        assert!(
            stats.abs_dlogz(p.log_z()) < 0.01 * v,
            "{name}: log Z {} vs {}",
            stats.log_z,
            p.log_z()
        );
        let ess = match &p.init {
            InitLaw::Shared { .. } => 1.0,
            InitLaw::PerPath { std } => {
                let m = DMatrix::<f64>::identity(d, d) + p.riccati.f(0.0) * (4.0 * std * std);
                let log_z2 = -2.0 * p.riccati.c(0.0) - 0.5 * m.determinant().ln();
                (2.0 * p.log_z() - log_z2).exp()
            }
        };
        assert!(
            (stats.ess - ess).abs() < 0.04,
            "{name}: ESS {} vs {ess} from the closed form",
            stats.ess
        );
        // u = 0 costs strictly more: the check can fail.
        let t0 = run(&ZeroControl, "zero");
        let (j0, se0) = mean_se(&to_f64(t0.work() + t0.control_cost.clone()));
        assert!(j0 - v > 10.0 * (se0 + se), "{name}: J(0) = {j0} vs V = {v}");
        // The control L2 error of u = 0 is positive, that of u* zero.
        let l2 = |u: &dyn Control| control_l2(&p, &us, u, 2000, &mut key.stream("l2"), &device());
        assert!(l2(&ZeroControl) > 0.1);
        assert!(l2(&us) < 1e-9);
    }
}

#[test]
fn initial_laws_and_names() {
    let shared = QuadraticOu::named("ou-hard-shared", 2, 50).unwrap();
    assert_eq!(shared.init, InitLaw::Shared { x0: vec![0.4, 0.6] });
    let x = to_f64(shared.sample_initial(
        3,
        &mut StreamKey::new("t", "t", 2, 0).stream("x"),
        &device(),
    ));
    assert_eq!(x, vec![0.4f32 as f64, 0.6f32 as f64].repeat(3));
    // log Z = −V(x0, 0) for a shared start.
    assert!((shared.log_z() + shared.riccati.value(&[0.4, 0.6], 0.0)).abs() < 1e-12);
    let per_path = QuadraticOu::named("ou-hard", 5, 50).unwrap();
    assert_eq!(per_path.init, InitLaw::PerPath { std: 0.5 });
    // Shared x0 in d > 2: one draw, the same every time.
    let a = QuadraticOu::named("ou-easy-shared", 7, 50).unwrap();
    let b = QuadraticOu::named("ou-easy-shared", 7, 50).unwrap();
    assert_eq!(a.init, b.init);

    let p = problems::build("ou-easy", 3, 50).unwrap();
    assert_eq!((p.name(), p.dim()), ("ou-easy", 3));
    assert!(p.optimal_control().is_some() && p.optimal_cost().is_some());
    let err = problems::build("ou-medium", 3, 50)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("ou-medium") && err.contains("ou-hard"),
        "{err}"
    );
    let err = problems::build("ou-easy", 0, 50).err().unwrap().to_string();
    assert!(err.contains("`dim`"), "{err}");
    // Langevin preconditioning needs a target density: refused on an LQR problem, by name.
    let mut cfg = socbench::methods::TrainConfig::default();
    cfg.net.langevin = true;
    let lv = socbench::methods::Method::named("lv");
    let err = socbench::methods::validate_for(&cfg, lv, p.as_ref()).unwrap_err();
    assert!(err.to_string().contains("`net.langevin`") && err.to_string().contains("ou-easy"));
    cfg.net.langevin = false;
    assert!(socbench::methods::validate_for(&cfg, lv, p.as_ref()).is_ok());
}
