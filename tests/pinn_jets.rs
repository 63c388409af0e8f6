//! The PINN family (`methods::pinn`): the forward jets against central differences of an
//! independent f64 forward pass, the targets' closed-form Laplacians against differences of
//! log ρ, the residuals on an analytic Gaussian-to-Gaussian transport, a trained ODE-logCE
//! model on a 1-D two-mode target, and the collocation box's errors.

use rand::Rng;
use socbench_harness::backend::{self, B};
use socbench_harness::rng::StreamKey;
use socbench_harness::tensor_util::{tensor1_from_f64, tensor2_from_f64, to_f64};
use socbench_methods::pinn::jet::{Directions, JetMlp};
use socbench_methods::pinn::model::{residual, Fields, Setting};
use socbench_methods::pinn::{train_pinn, CollocationBox, PinnConfig, PinnMethod};
use socbench_targets::gmm::GaussianMixture;

/// The network in plain f64 from its weights: [x, t/T] → output.
fn host_forward(
    ws: &[(Vec<f64>, Vec<f64>, usize, usize)],
    x: &[f64],
    t: f64,
    horizon: f64,
) -> Vec<f64> {
    let mut h: Vec<f64> = x.to_vec();
    h.push(t / horizon);
    for (l, (w, b, din, dout)) in ws.iter().enumerate() {
        let mut z = b.clone();
        for j in 0..*dout {
            for i in 0..*din {
                z[j] += h[i] * w[i * dout + j];
            }
        }
        if l + 1 < ws.len() {
            z.iter_mut().for_each(|v| *v = v.tanh());
        }
        h = z;
    }
    h
}

fn weights(net: &JetMlp<B>) -> Vec<(Vec<f64>, Vec<f64>, usize, usize)> {
    net.weights
        .iter()
        .zip(&net.biases)
        .map(|(w, b)| {
            let [din, dout] = w.dims();
            (to_f64(w.val()), to_f64(b.val()), din, dout)
        })
        .collect()
}

#[test]
fn jets_match_central_differences_in_f64() {
    let device = backend::flex();
    let (d, horizon, npts) = (3, 2.0, 4);
    let mut rng = StreamKey::new("tests", "pinn-jets", d, 0).stream("init");
    for out in [1, d] {
        let net = JetMlp::seeded(&[d + 1, 16, 16, out], 1.0, &device, &mut rng);
        let ws = weights(&net);
        let xs: Vec<f64> = (0..npts * d).map(|_| rng.random_range(-1.5..1.5)).collect();
        let ts: Vec<f64> = (0..npts).map(|_| rng.random_range(0.0..horizon)).collect();
        let x = tensor2_from_f64(&xs, npts, d, &device);
        let t = tensor2_from_f64(&ts, npts, 1, &device);
        let jet = net.jet(x, t, horizon, &Directions::Exact);
        let val = to_f64(jet.val.clone());
        let dt = to_f64(jet.dt.clone());
        let dv = to_f64(jet.dv.clone().unwrap()); // [N, d, out]
        let d2 = to_f64(jet.d2.clone().unwrap()); // [N, out]
        let div = if out == d {
            Some(to_f64(jet.div_sum(&Directions::Exact)))
        } else {
            None
        };
        let h = 1e-4;
        for p in 0..npts {
            let x0 = &xs[p * d..(p + 1) * d];
            let f = |x: &[f64], t: f64| host_forward(&ws, x, t, horizon);
            let f0 = f(x0, ts[p]);
            let fp = f(x0, ts[p] + h);
            let fm = f(x0, ts[p] - h);
            let mut lap = vec![0.0; out];
            let mut divergence = 0.0;
            for o in 0..out {
                let close = |a: f64, b: f64, what: &str| {
                    assert!(
                        (a - b).abs() < 2e-3 * (1.0 + b.abs()),
                        "{what}: jet {a} vs f64 difference {b} (out {out}, point {p})"
                    );
                };
                close(val[p * out + o], f0[o], "value");
                close(dt[p * out + o], (fp[o] - fm[o]) / (2.0 * h), "∂_t");
                for k in 0..d {
                    let mut xp = x0.to_vec();
                    let mut xm = x0.to_vec();
                    xp[k] += h;
                    xm[k] -= h;
                    let (a, b) = (f(&xp, ts[p]), f(&xm, ts[p]));
                    let g = (a[o] - b[o]) / (2.0 * h);
                    close(dv[(p * d + k) * out + o], g, "∂_x");
                    let h2 = 1e-3;
                    let mut xp2 = x0.to_vec();
                    let mut xm2 = x0.to_vec();
                    xp2[k] += h2;
                    xm2[k] -= h2;
                    lap[o] += (f(&xp2, ts[p])[o] - 2.0 * f0[o] + f(&xm2, ts[p])[o]) / (h2 * h2);
                    if out == d && o == k {
                        divergence += g;
                    }
                }
                close(d2[p * out + o], lap[o], "Laplacian");
            }
            if let Some(div) = &div {
                assert!(
                    (div[p] - divergence).abs() < 2e-3 * (1.0 + divergence.abs()),
                    "div μ {} vs {divergence}",
                    div[p]
                );
            }
        }
        if out == d {
            // Probes equal to the basis reproduce the exact divergence; Rademacher probes
            // estimate it without bias (mean over 4000 probes within 5 %).
            let basis: Vec<f64> = (0..npts)
                .flat_map(|_| (0..d * d).map(|i| if i / d == i % d { 1.0 } else { 0.0 }))
                .collect();
            let v = tensor2_from_f64(&basis, npts * d, d, &device).reshape([npts, d, d]);
            let probes = Directions::Probes(v);
            let x = tensor2_from_f64(&xs, npts, d, &device);
            let t = tensor2_from_f64(&ts, npts, 1, &device);
            let by_basis = to_f64(
                net.jet(x.clone(), t.clone(), horizon, &probes)
                    .div_sum(&probes),
            );
            let exact = div.unwrap();
            for p in 0..npts {
                assert!((by_basis[p] - exact[p]).abs() < 1e-4 * (1.0 + exact[p].abs()));
            }
            let k = 4000;
            let r: Vec<f64> = (0..npts * k * d)
                .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
                .collect();
            let probes = Directions::Probes(
                tensor2_from_f64(&r, npts * k, d, &device).reshape([npts, k, d]),
            );
            let est = to_f64(net.jet(x, t, horizon, &probes).div_sum(&probes));
            for p in 0..npts {
                let e = est[p] / k as f64;
                assert!(
                    (e - exact[p]).abs() < 0.05 * exact[p].abs().max(0.2),
                    "Hutchinson {e} vs exact {}",
                    exact[p]
                );
            }
        }
    }
}

#[test]
fn closed_form_target_laplacians_match_differences_of_log_rho() {
    let device = backend::flex();
    for (name, d) in [
        ("gmm9", 2),
        ("manywell", 5),
        ("manywell-delta2", 50),
        ("gmm", 4),
    ] {
        let target = socbench_targets::registry::build(
            &socbench_targets::registry::TargetSpec::new(name, d),
        )
        .unwrap();
        let mut rng = StreamKey::new("tests", "pinn-targets", d, 0).stream("x");
        for _ in 0..3 {
            let x: Vec<f64> = (0..d).map(|_| rng.random_range(-2.0..2.0)).collect();
            let (v, g, lap) = target.log_density_jet(&x).expect("closed form");
            let f = |x: &[f64]| -> f64 {
                // The f32 tensor log density, as an independent value check at x.
                to_f64(target.log_density(tensor2_from_f64(x, 1, d, &device)))[0]
            };
            assert!(
                (v - f(&x)).abs() < 1e-3 * (1.0 + v.abs()),
                "{name}: log ρ {v} vs {}",
                f(&x)
            );
            let f64_jet = |x: &[f64]| target.log_density_jet(x).unwrap().0;
            let h = 1e-4;
            let mut l = 0.0;
            for k in 0..d {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[k] += h;
                xm[k] -= h;
                let gk = (f64_jet(&xp) - f64_jet(&xm)) / (2.0 * h);
                assert!(
                    (g[k] - gk).abs() < 1e-5 * (1.0 + gk.abs()),
                    "{name}: ∂_{k} {} vs {gk}",
                    g[k]
                );
                l += (f64_jet(&xp) - 2.0 * v + f64_jet(&xm)) / (h * h);
            }
            assert!(
                (lap - l).abs() < 1e-3 * (1.0 + l.abs()),
                "{name}: Δ {lap} vs {l}"
            );
        }
    }
}

/// p_t = N(0, v(t) I) with v = v₀ + (v₁ − v₀) t/T, transported by μ = a(t) x:
/// the continuity equation needs a = v̇/(2v), Fokker–Planck with σ needs a = (v̇ − σ²)/(2v).
#[test]
fn residuals_vanish_on_an_analytic_gaussian_transport() {
    let device = backend::flex();
    let (d, n, horizon, sigma) = (3, 64, 1.0, 0.7);
    let (v0, v1) = (1.0, 4.0);
    let mut rng = StreamKey::new("tests", "pinn-gauss", d, 0).stream("x");
    let xs: Vec<f64> = (0..n * d).map(|_| rng.random_range(-3.0..3.0)).collect();
    let ts: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..horizon)).collect();
    for name in ["ode-logce", "sde-logfp"] {
        let method: PinnMethod = name.parse().unwrap();
        let cfg = PinnConfig {
            sigma,
            horizon,
            ..small_config()
        };
        let s = Setting {
            method,
            cfg: &cfg,
            d,
        };
        let sig2 = if method.stochastic() {
            sigma * sigma
        } else {
            0.0
        };
        let vdot = (v1 - v0) / horizon;
        let (mut v_dt, mut v_grad, mut v_lap, mut mu, mut div) =
            (vec![], vec![], vec![], vec![], vec![]);
        for p in 0..n {
            let v = v0 + vdot * ts[p];
            let x = &xs[p * d..(p + 1) * d];
            let r2: f64 = x.iter().map(|x| x * x).sum();
            let a = (vdot - sig2) / (2.0 * v);
            v_dt.push(r2 * vdot / (2.0 * v * v) - d as f64 * vdot / (2.0 * v));
            v_grad.extend(x.iter().map(|x| -x / v));
            v_lap.push(-(d as f64) / v);
            mu.extend(x.iter().map(|x| a * x));
            div.push(a * d as f64);
        }
        let f = Fields {
            v_dt: tensor1_from_f64(&v_dt, &device),
            v_grad: tensor2_from_f64(&v_grad, n, d, &device),
            v_lap: tensor1_from_f64(&v_lap, &device),
            mu: tensor2_from_f64(&mu, n, d, &device),
            div_mu: tensor1_from_f64(&div, &device),
            hjb: None,
        };
        let r = to_f64(residual(s, &f));
        let worst = r.iter().fold(0.0f64, |m, r| m.max(r.abs()));
        assert!(worst < 1e-4, "{name}: |R| up to {worst}");
        // And a wrong drift (the ODE's a under the SDE residual, or vice versa) does not vanish.
        let a_wrong = |v: f64| (vdot - (sigma * sigma - sig2)) / (2.0 * v);
        let mu_wrong: Vec<f64> = (0..n)
            .flat_map(|p| {
                let v = v0 + vdot * ts[p];
                xs[p * d..(p + 1) * d]
                    .iter()
                    .map(move |x| a_wrong(v) * x)
                    .collect::<Vec<_>>()
            })
            .collect();
        let div_wrong: Vec<f64> = (0..n)
            .map(|p| a_wrong(v0 + vdot * ts[p]) * d as f64)
            .collect();
        let f = Fields {
            mu: tensor2_from_f64(&mu_wrong, n, d, &device),
            div_mu: tensor1_from_f64(&div_wrong, &device),
            ..f
        };
        let r = to_f64(residual(s, &f));
        assert!(
            r.iter().any(|r| r.abs() > 0.1),
            "{name}: the wrong drift also vanished"
        );
    }
}

fn small_config() -> PinnConfig {
    PinnConfig {
        steps: 1500,
        batch: 256,
        lr: 5e-3,
        lr_final: 5e-4,
        clip: 10.0,
        width: 32,
        depth: 2,
        logz_degree: 4,
        sigma: 1.0,
        horizon: 1.0,
        prior_std: 1.5,
        box_half_width: 4.0,
        hutchinson: 0,
        eval_samples: 2000,
        eval_steps: 50,
        log_every: 10,
    }
}

#[test]
fn ode_logce_learns_a_one_dimensional_two_mode_target() {
    let target = GaussianMixture::new(
        "two-mode",
        1,
        vec![0.5, 0.5],
        vec![-1.5, 1.5],
        vec![1.0, 1.0],
        vec![0.16, 0.16],
        1.0,
        0.0,
    );
    let method: PinnMethod = "ode-logce".parse().unwrap();
    let key = StreamKey::new("tests", "ode-logce", 1, 0).with_target("two-mode");
    let out = train_pinn(
        method,
        &target,
        &small_config(),
        &key,
        &backend::flex(),
        &mut |_, _| {},
    )
    .unwrap();
    let m = out.metrics.expect("evaluated");
    eprintln!(
        "two-mode ODE-logCE: ESS {:.4}, |ΔlogZ| {:?}, model log Z {:.4}, {:.4} s/it",
        m.ess, m.abs_dlogz, m.model_log_z, out.sec_per_it
    );
    assert!(m.ess > 0.9, "ESS {}", m.ess);
}

#[test]
fn bad_collocation_boxes_are_named_errors() {
    let empty = CollocationBox {
        lo: vec![],
        hi: vec![],
    };
    let e = empty.check(2).unwrap_err().to_string();
    assert!(
        e.contains("collocation box") && e.contains("0 lower"),
        "{e}"
    );
    let inverted = CollocationBox {
        lo: vec![-1.0, 2.0],
        hi: vec![1.0, -2.0],
    };
    let e = inverted.check(2).unwrap_err().to_string();
    assert!(
        e.contains("collocation box") && e.contains("coordinate 1") && e.contains("lo < hi"),
        "{e}"
    );
    let flat = CollocationBox {
        lo: vec![0.0],
        hi: vec![0.0],
    };
    assert!(flat.check(1).is_err());
    let cfg = PinnConfig {
        box_half_width: -1.0,
        ..small_config()
    };
    let e = cfg.check(2).unwrap_err().to_string();
    assert!(e.contains("collocation box"), "{e}");
    let e = "pinn-x".parse::<PinnMethod>().unwrap_err().to_string();
    assert!(e.contains("ode-logce") && e.contains("method"), "{e}");
}
