//! The Riccati ground truth of the quadratic OU problems (App. G.2, eq. 66–67), checked against
//! the scalar closed form, per-entry closed forms for diagonal data, and, for a non-diagonal
//! (non-normal) A, Monte Carlo estimates of the value function V(x, 0) = −log E[e^{−W} | X_0 = x]
//! (Thm. D.1, item 2) from a fine f64 Euler–Maruyama simulation written here independently.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use socbench::targets::riccati::{scalar_closed_form, Lqr};

fn scalar(a: f64, p: f64, q: f64, sigma: f64) -> Lqr {
    let m = |v: f64| DMatrix::from_element(1, 1, v);
    Lqr {
        a: m(a),
        p: m(p),
        q: m(q),
        sigma: m(sigma),
        horizon: 1.0,
    }
}

#[test]
fn scalar_riccati_matches_the_closed_form() {
    // Easy, hard, and a case with σ ≠ 1 and a stable drift.
    for (a, p, q, s) in [
        (0.2, 0.2, 0.1, 1.0),
        (1.0, 1.0, 0.5, 1.0),
        (-0.7, 0.4, 2.0, 0.6),
    ] {
        let sol = scalar(a, p, q, s).solve(400);
        for t in [0.0, 0.0371, 0.25, 0.5, 0.777, 1.0] {
            let exact = scalar_closed_form(a, p, q, s, 1.0, t);
            let got = sol.f(t)[(0, 0)];
            assert!(
                (got - exact).abs() < 1e-9 * exact.abs().max(1.0),
                "a={a} t={t}: F = {got} vs closed form {exact}"
            );
        }
        // c(t) = ∫_t^T σ² F ds against composite Simpson on the closed form.
        for t in [0.0, 0.3] {
            let n = 2000;
            let h = (1.0 - t) / n as f64;
            let fx = |i: usize| s * s * scalar_closed_form(a, p, q, s, 1.0, t + i as f64 * h);
            let simpson: f64 = (0..n)
                .step_by(2)
                .map(|i| h / 3.0 * (fx(i) + 4.0 * fx(i + 1) + fx(i + 2)))
                .sum();
            assert!(
                (sol.c(t) - simpson).abs() < 1e-9,
                "a={a} t={t}: c = {} vs {simpson}",
                sol.c(t)
            );
        }
    }
}

#[test]
fn diagonal_riccati_solves_each_entry() {
    let a = [0.2, -0.5, 1.0];
    let p = [0.2, 1.0, 0.3];
    let q = [0.1, 0.5, 2.0];
    let lqr = Lqr {
        a: DMatrix::from_diagonal(&DVector::from_row_slice(&a)),
        p: DMatrix::from_diagonal(&DVector::from_row_slice(&p)),
        q: DMatrix::from_diagonal(&DVector::from_row_slice(&q)),
        sigma: DMatrix::identity(3, 3),
        horizon: 1.0,
    };
    let sol = lqr.solve(500);
    for t in [0.0, 0.42, 0.9] {
        let f = sol.f(t);
        for i in 0..3 {
            for j in 0..3 {
                let exact = if i == j {
                    scalar_closed_form(a[i], p[i], q[i], 1.0, 1.0, t)
                } else {
                    0.0
                };
                assert!((f[(i, j)] - exact).abs() < 1e-9, "F[{i},{j}]({t})");
            }
        }
    }
}

/// A 2-d problem with non-normal A and non-diagonal P, Q: AᵀF + FA ≠ AF + FAᵀ here, so a
/// transposition slip in eq. 67 changes V by far more than the Monte Carlo tolerance.
fn non_diagonal() -> Lqr {
    Lqr {
        a: DMatrix::from_row_slice(2, 2, &[0.3, 1.2, -0.4, 0.1]),
        p: DMatrix::from_row_slice(2, 2, &[0.5, 0.2, 0.2, 0.3]),
        q: DMatrix::from_row_slice(2, 2, &[0.4, -0.1, -0.1, 0.6]),
        sigma: DMatrix::identity(2, 2),
        horizon: 1.0,
    }
}

/// −log of the Monte Carlo mean of e^{−W} over `paths` uncontrolled Euler–Maruyama paths from x
/// (`steps` steps, f64), with its standard error (delta method).
fn mc_value(lqr: &Lqr, x: &[f64], paths: usize, steps: usize, seed: u64) -> (f64, f64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let dt = lqr.horizon / steps as f64;
    let d = x.len();
    let mut e = Vec::with_capacity(paths);
    for _ in 0..paths {
        let mut xs = DVector::from_column_slice(x);
        let mut w = 0.0;
        for _ in 0..steps {
            w += (xs.transpose() * &lqr.p * &xs)[(0, 0)] * dt;
            let xi = DVector::from_fn(d, |_, _| StandardNormal.sample(&mut rng));
            xs = &xs + &lqr.a * &xs * dt + &lqr.sigma * xi * dt.sqrt();
        }
        w += (xs.transpose() * &lqr.q * &xs)[(0, 0)];
        e.push((-w).exp());
    }
    let n = paths as f64;
    let m = e.iter().sum::<f64>() / n;
    let var = e.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0);
    (-m.ln(), (var / n).sqrt() / m)
}

#[test]
fn value_function_matches_monte_carlo_for_non_diagonal_a() {
    let lqr = non_diagonal();
    let sol = lqr.solve(1000);
    // The value with A transposed (a wrong eq. 67) must be told apart at these points.
    let wrong = Lqr {
        a: lqr.a.transpose(),
        ..lqr.clone()
    }
    .solve(1000);
    let mut separation: f64 = 0.0;
    for (i, x) in [[0.0, 0.0], [1.0, -0.5], [-0.8, 1.1]].iter().enumerate() {
        let (v_mc, se) = mc_value(&lqr, x, 40_000, 400, i as u64);
        let v = sol.value(x, 0.0);
        // 4 standard errors plus the O(Δt) bias of Euler–Maruyama with Δt = 1/400.
        let tol = 4.0 * se + 0.01;
        assert!(
            (v - v_mc).abs() < tol,
            "x={x:?}: Riccati V = {v}, Monte Carlo {v_mc} ± {se}"
        );
        separation = separation.max((wrong.value(x, 0.0) - v_mc).abs() / tol);
    }
    assert!(separation > 3.0, "the test cannot tell Aᵀ from A");
}

#[test]
fn gaussian_initial_law_log_z_matches_quadrature_of_v() {
    // log E[e^{−V(X_0, 0)}] and E[V(X_0, 0)], X_0 ~ N(0, s²I): the closed forms against a
    // midpoint sum on a fine grid (smooth Gaussian integrands: the sum converges fast).
    let sol = non_diagonal().solve(1000);
    let s = 0.5;
    let (n, lim) = (400, 8.0 * s);
    let h = 2.0 * lim / n as f64;
    let (mut acc, mut mean_v) = (0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            let x = [-lim + (i as f64 + 0.5) * h, -lim + (j as f64 + 0.5) * h];
            let dens = (-(x[0] * x[0] + x[1] * x[1]) / (2.0 * s * s)).exp()
                / (2.0 * std::f64::consts::PI * s * s);
            let v = sol.value(&x, 0.0);
            acc += dens * (-v).exp() * h * h;
            mean_v += dens * v * h * h;
        }
    }
    let got = sol.log_z_gaussian(s);
    assert!(
        (got - acc.ln()).abs() < 1e-8,
        "closed form {got} vs quadrature {}",
        acc.ln()
    );
    let got = sol.mean_value_gaussian(s);
    assert!(
        (got - mean_v).abs() < 1e-8,
        "E[V] {got} vs quadrature {mean_v}"
    );
}
