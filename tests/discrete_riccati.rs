//! The exact optimum of the simulated Euler–Maruyama chain (issue 20): checked against a
//! one-step minimisation done numerically, an independent f64 Monte Carlo simulation of the chain
//! under the optimal gains, the continuous Riccati optimum as Δt → 0, and the exact cost of the
//! continuous u* applied on the chain, which it must not exceed.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use socbench::targets::quadratic::QuadraticOu;
use socbench::targets::riccati::Lqr;

fn non_diagonal() -> Lqr {
    Lqr {
        a: DMatrix::from_row_slice(2, 2, &[0.5, 1.0, -0.3, 0.8]),
        p: DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.2, 0.6]),
        q: DMatrix::from_row_slice(2, 2, &[0.7, -0.1, -0.1, 0.4]),
        sigma: DMatrix::identity(2, 2) * 0.8,
        horizon: 1.0,
    }
}

#[test]
fn one_step_value_matches_a_numerical_minimisation() {
    // d = 1, N = 1: V_0(x) = min_u P x² Δt + ½ u² Δt + Q E[(m x + σΔt u + σ√Δt ξ)²].
    let (a, p, q, s, x) = (0.7, 0.3, 1.5, 0.9, 1.3);
    let m1 = |v: f64| DMatrix::from_element(1, 1, v);
    let lqr = Lqr {
        a: m1(a),
        p: m1(p),
        q: m1(q),
        sigma: m1(s),
        horizon: 0.5,
    };
    let dt = 0.5;
    let cost = |u: f64| {
        let mean = (1.0 + a * dt) * x + s * dt * u;
        p * x * x * dt + 0.5 * u * u * dt + q * (mean * mean + s * s * dt)
    };
    // Golden-section search on [−20, 20] (the cost is a convex parabola in u).
    let (mut lo, mut hi) = (-20.0f64, 20.0f64);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let (c, d) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if cost(c) < cost(d) {
            hi = d;
        } else {
            lo = c;
        }
    }
    let u_best = 0.5 * (lo + hi);
    let sol = lqr.solve_discrete(1);
    assert!((sol.value(&[x]) - cost(u_best)).abs() < 1e-9);
    assert!((sol.gains[0][(0, 0)] * x - u_best).abs() < 1e-6);
}

#[test]
fn monte_carlo_of_the_chain_under_the_optimal_gains_matches_the_value() {
    let lqr = non_diagonal();
    let n = 20;
    let sol = lqr.solve_discrete(n);
    let x0 = [0.6, -0.4];
    let dt = lqr.horizon / n as f64;
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let paths = 40_000;
    let mut costs = Vec::with_capacity(paths);
    for _ in 0..paths {
        let mut x = DVector::from_column_slice(&x0);
        let mut j = 0.0;
        for k in 0..n {
            let u = &sol.gains[k] * &x;
            j += (x.transpose() * &lqr.p * &x)[(0, 0)] * dt + 0.5 * u.norm_squared() * dt;
            let xi = DVector::from_fn(2, |_, _| StandardNormal.sample(&mut rng));
            x = &x + (&lqr.a * &x) * dt + &lqr.sigma * (&u * dt + xi * dt.sqrt());
        }
        j += (x.transpose() * &lqr.q * &x)[(0, 0)];
        costs.push(j);
    }
    let mean = costs.iter().sum::<f64>() / paths as f64;
    let var = costs.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (paths - 1) as f64;
    let se = (var / paths as f64).sqrt();
    let v = sol.value(&x0);
    assert!((mean - v).abs() < 4.0 * se, "MC {mean} ± {se} vs {v}");
}

#[test]
fn the_chain_optimum_is_below_the_continuous_control_on_the_chain_and_converges_to_it() {
    let lqr = non_diagonal();
    let cont = lqr.solve(4000);
    let x0 = [0.6, -0.4];
    for n in [10, 50] {
        let disc = lqr.solve_discrete(n);
        // u*(x, t_k) = −2σᵀF(t_k)x of the continuous problem, applied on the chain.
        let dt = lqr.horizon / n as f64;
        let gains: Vec<DMatrix<f64>> = (0..n)
            .map(|k| lqr.sigma.transpose() * cont.f(k as f64 * dt) * (-2.0))
            .collect();
        let applied = lqr.evaluate_discrete(&gains).value(&x0);
        assert!(
            disc.value(&x0) < applied,
            "n = {n}: chain optimum {} vs continuous u* on the chain {applied}",
            disc.value(&x0)
        );
        // Policy evaluation of the optimal gains gives the optimal value back.
        let again = lqr.evaluate_discrete(&disc.gains).value(&x0);
        assert!((again - disc.value(&x0)).abs() < 1e-10);
    }
    let fine = lqr.solve_discrete(4000).value(&x0);
    let v = cont.value(&x0, 0.0);
    assert!((fine - v).abs() < 2e-3 * v.abs(), "{fine} vs {v}");
}

#[test]
fn ou_problems_report_both_optima_and_they_differ_by_order_dt() {
    for name in ["ou-easy", "ou-hard"] {
        let p = QuadraticOu::named(name, 10, 50).unwrap();
        let (c, d) = (p.optimal_cost(), p.discrete_optimal_cost());
        let rel = (c - d).abs() / c.abs();
        assert!(rel > 1e-6 && rel < 0.1, "{name}: {c} vs {d}");
    }
}
