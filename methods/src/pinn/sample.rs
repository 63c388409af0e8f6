//! Evaluation of a trained PINN model: samples X_T and their log importance weights
//! log w = log ρ(X_T) − log p_model(X_T) (up to the discretisation named below), so that
//! (1/N) Σ w estimates Z.
//!
//! - ODE forms: RK4 on the augmented system dX = μ dt, d log p = −div μ dt with the exact
//!   divergence (the jet's full Jacobian trace, never Hutchinson): log p_model(X_T) is the
//!   prior's log density at X_0 minus the integrated divergence, accurate to RK4's O(h⁴).
//! - SDE forms: Euler–Maruyama paths of dX = μ dt + σ dW, weighted against the backward chain
//!   of the learned reverse process, X_k ~ N(X_{k+1} − h(μ − σ²∇V)(X_{k+1}, t_{k+1}), σ²h),
//!   started at ρ/Z: both are Gaussian Markov chains, so the weights are exact for the
//!   discretised processes (E[w] = Z whatever the networks).

use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use socbench_harness::backend::Device;
use socbench_harness::tensor_util::to_f64;
use socbench_targets::Target;

use super::jet::Directions;
use super::model::{PinnModel, Setting, TargetTerms};
use socbench_harness::backend::B;

/// Samples X_T (row-major [n, d]) and log w.
pub struct Evaluated {
    pub xs: Vec<f64>,
    pub log_w: Vec<f64>,
}

fn prior_log_density(x: &[f64], s: f64) -> f64 {
    let d = x.len() as f64;
    -x.iter().map(|v| v * v).sum::<f64>() / (2.0 * s * s)
        - 0.5 * d * (2.0 * std::f64::consts::PI * s * s).ln()
}

/// (μ, ∇V) at points `xs`, time t, as f64 (the SDE forms).
fn eval_fields(
    model: &PinnModel<B>,
    s: Setting,
    target: &dyn Target,
    xs: &[f64],
    t: f64,
    device: &Device,
) -> Result<(Vec<f64>, Vec<f64>), String> {
    let n = xs.len() / s.d;
    let terms = TargetTerms::at(target, xs)?;
    let f = model.fields(s, xs, &vec![t; n], &terms, &Directions::Exact, device);
    Ok((to_f64(f.mu), to_f64(f.v_grad)))
}

/// (μ, div μ) at points `xs`, time t, as f64 (the ODE forms: μ does not read V).
fn eval_drift(
    model: &PinnModel<B>,
    s: Setting,
    xs: &[f64],
    t: f64,
    device: &Device,
) -> (Vec<f64>, Vec<f64>) {
    let n = xs.len() / s.d;
    let (mu, div) = model.drift_only(s, xs, &vec![t; n], device);
    (to_f64(mu), to_f64(div))
}

/// `n` samples of the trained model and their log weights; noise from `rng` (shared by the
/// methods at a seed).
pub fn evaluate(
    model: &PinnModel<B>,
    s: Setting,
    target: &dyn Target,
    n: usize,
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> Result<Evaluated, String> {
    let (d, cfg) = (s.d, s.cfg);
    let sp = cfg.prior_std;
    let x0: Vec<f64> = (0..n * d)
        .map(|_| sp * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let mut log_w: Vec<f64> = x0
        .chunks_exact(d)
        .map(|x| -prior_log_density(x, sp))
        .collect();
    let k = cfg.eval_steps;
    let h = cfg.horizon / k as f64;
    let mut x = x0;
    if s.method.stochastic() {
        let sig = cfg.sigma;
        let sig2 = sig * sig;
        let (mut mu, _) = eval_fields(model, s, target, &x, 0.0, device)?;
        for step in 0..k {
            let xi: Vec<f64> = (0..n * d)
                .map(|_| rng.sample::<f64, _>(StandardNormal))
                .collect();
            let next: Vec<f64> = (0..n * d)
                .map(|i| x[i] + h * mu[i] + sig * h.sqrt() * xi[i])
                .collect();
            let (mu_n, gv_n) = eval_fields(model, s, target, &next, (step + 1) as f64 * h, device)?;
            for (r, lw) in log_w.iter_mut().enumerate() {
                let (mut fwd, mut bwd) = (0.0, 0.0);
                for i in r * d..(r + 1) * d {
                    fwd += xi[i] * xi[i];
                    let mean = next[i] - h * (mu_n[i] - sig2 * gv_n[i]);
                    bwd += (x[i] - mean).powi(2);
                }
                *lw += 0.5 * fwd - bwd / (2.0 * sig2 * h);
            }
            x = next;
            mu = mu_n;
        }
    } else {
        // RK4 on (x, log p).
        let mut logp_change = vec![0.0; n];
        for step in 0..k {
            let t = step as f64 * h;
            let (k1, d1) = eval_drift(model, s, &x, t, device);
            let x2: Vec<f64> = (0..n * d).map(|i| x[i] + 0.5 * h * k1[i]).collect();
            let (k2, d2) = eval_drift(model, s, &x2, t + 0.5 * h, device);
            let x3: Vec<f64> = (0..n * d).map(|i| x[i] + 0.5 * h * k2[i]).collect();
            let (k3, d3) = eval_drift(model, s, &x3, t + 0.5 * h, device);
            let x4: Vec<f64> = (0..n * d).map(|i| x[i] + h * k3[i]).collect();
            let (k4, d4) = eval_drift(model, s, &x4, t + h, device);
            for i in 0..n * d {
                x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
            for r in 0..n {
                logp_change[r] -= h / 6.0 * (d1[r] + 2.0 * d2[r] + 2.0 * d3[r] + d4[r]);
            }
        }
        for r in 0..n {
            log_w[r] -= logp_change[r];
        }
    }
    let terms = TargetTerms::at(target, &x)?;
    for (w, l) in log_w.iter_mut().zip(&terms.logp) {
        *w += l;
    }
    Ok(Evaluated { xs: x, log_w })
}
