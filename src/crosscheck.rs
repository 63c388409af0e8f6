//! Cross-device agreement: the same small problems run on a device under test (CUDA on a GPU
//! machine; ndarray in the CPU tests) and on a reference device (flex), with identical random
//! streams, must agree within float32 tolerance.
//!
//! Every random number is drawn on the host from rand_chacha (initial states, noise ξ_k, network
//! initialisation on the CPU, see `ControlNet::new`), so the two runs differ only by the order of
//! floating-point operations in the kernels. The checks:
//! - `u*`: the analytic GMM optimal control (eq. 51, 55) at d = 2 on a fixed batch of points;
//! - log weights: 2000 paths under u* (50 steps), the discrete path log-densities (eq. 61);
//! - log Z and ESS estimated from them;
//! - the dual (λ of eq. 17 at ε = 0.1) solved on each device's log weights;
//! - one short TR-LV run (Algorithm 2, fixed seeds): λ, predicted KL, loss, control L2, log Z.

use std::sync::Arc;

use burn::prelude::*;
use burn::tensor::TensorData;
use rand::Rng;
use socbench_harness::backend::{self, Device, B};
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::metrics::LogWeightStats;
use socbench_harness::rng::StreamKey;
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_harness::tensor_util::to_f64;
use socbench_methods::dual::solve_dual;
use socbench_methods::profile::small_net;
use socbench_methods::{train, Method, Status, TrConfig, TrainConfig};
use socbench_targets::gmm::GaussianMixture;
use socbench_targets::sampling::OptimalGmmControl;
use socbench_targets::sampling::SamplingProblem;

/// One compared quantity: `error` = max |a − b| / (scale + max |b|) over its entries.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Check {
    pub name: String,
    pub entries: usize,
    pub error: f64,
    pub tolerance: f64,
    pub pass: bool,
}

impl Check {
    /// Compares `a` (device under test) with `b` (reference): the largest absolute difference
    /// relative to `scale + max |b|`. Different lengths or a NaN fail.
    pub fn compare(name: &str, a: &[f64], b: &[f64], scale: f64, tolerance: f64) -> Self {
        let size = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let diff = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f64, |m, v| {
                if v.is_nan() || m.is_nan() {
                    f64::NAN
                } else {
                    m.max(v)
                }
            });
        let error = if a.len() == b.len() {
            diff / (scale + size)
        } else {
            f64::INFINITY
        };
        Self {
            name: name.to_string(),
            entries: b.len(),
            error,
            tolerance,
            pass: error <= tolerance,
        }
    }
}

const D: usize = 2;
const STEPS: usize = 50;
const PATHS: usize = 2000;
const EPSILON: f64 = 0.1;

fn gmm_problem() -> SamplingProblem {
    SamplingProblem::new(Arc::new(GaussianMixture::paper_gmm(D)), STEPS).expect("GMM d = 2")
}

/// u* at 2000 host-drawn points for t ∈ {0, T/2, T − Δt}, flattened.
fn optimal_control_values(device: &Device) -> Vec<f64> {
    let p = &gmm_problem();
    let ustar = OptimalGmmControl::new(p).expect("the GMM has an analytic form");
    let mut rng = StreamKey::new("crosscheck", "points", D, 0).stream("x");
    let pts: Vec<f32> = (0..PATHS * D)
        .map(|_| rng.random_range(-12.0f32..12.0))
        .collect();
    let t_end = p.horizon();
    let mut out = Vec::new();
    for t in [0.0, 0.5 * t_end, t_end * (1.0 - 1.0 / STEPS as f64)] {
        let x = Tensor::<B, 2>::from_data(TensorData::new(pts.clone(), [PATHS, D]), device);
        out.extend(to_f64(ustar.eval(x, t).reshape([PATHS * D])));
    }
    out
}

/// The discrete path log weights of 2000 paths under u* (same noise on every device).
fn log_weights(device: &Device) -> Vec<f64> {
    let p = &gmm_problem();
    let ustar = OptimalGmmControl::new(p).expect("the GMM has an analytic form");
    let mut rng = StreamKey::new("crosscheck", "u-star", D, 0).stream("sim");
    let traj = simulate(p, &ustar, PATHS, &mut rng, device, SimOptions::default());
    to_f64(traj.log_weights())
}

/// A short TR-LV run (3 iterations of 30 inner steps, small network): its evaluation rows.
fn tr_lv_rows(device: &Device) -> Result<Vec<[f64; 5]>, String> {
    let p = &gmm_problem();
    let cfg = TrainConfig {
        lr: 1e-3,
        time_steps: STEPS,
        net: small_net(),
        evals: 3,
        eval_samples: 1000,
        sinkhorn: false,
        tr: TrConfig {
            epsilon: EPSILON,
            buffer: 1000,
            refreshes: 3,
            inner_steps: 30,
            minibatch: 250,
            delta: 1e-6,
            fixed_lambda: None,
            run_all_refreshes: true,
            socm_weights: Default::default(),
            ..TrConfig::default()
        },
        // One row per refresh (no step-0 row of u_0, which has no λ or loss).
        eval_at_start: false,
        ..TrainConfig::default()
    };
    let key = StreamKey::new("crosscheck", "tr-lv", D, 0);
    let h = train(p, Method::named("tr-lv"), &cfg, &key, device, &mut |_| {})
        .map_err(|e| e.to_string())?;
    if h.status != Status::Finished {
        return Err(format!("TR-LV run ended {}", h.status.as_str()));
    }
    Ok(h.rows
        .iter()
        .map(|r| {
            [
                r.lambda.unwrap_or(f64::NAN),
                r.step_kl.unwrap_or(f64::NAN),
                r.loss,
                r.control_l2.unwrap_or(f64::NAN),
                r.log_z,
            ]
        })
        .collect())
}

/// Runs every check on `device` against `reference`. An error means a run could not be done
/// at all (not a disagreement, which is a failed [`Check`]).
pub fn run(device: &Device, reference: &Device) -> Result<Vec<Check>, String> {
    // A fresh problem for every run: a target keeps its parameter tensors on the device (and
    // autodiff wrapper) of its first use.
    let mut checks = Vec::new();
    let (a, b) = (
        optimal_control_values(device),
        optimal_control_values(reference),
    );
    checks.push(Check::compare("u* (d = 2, 3 times)", &a, &b, 1.0, 1e-5));

    let (wa, wb) = (log_weights(device), log_weights(reference));
    checks.push(Check::compare("log weights under u*", &wa, &wb, 1.0, 1e-4));
    let (sa, sb) = (
        LogWeightStats::from_log_weights(&wa),
        LogWeightStats::from_log_weights(&wb),
    );
    checks.push(Check::compare(
        "log Z, ELBO, ESS under u*",
        &[sa.log_z, sa.elbo, sa.ess],
        &[sb.log_z, sb.elbo, sb.ess],
        1.0,
        1e-4,
    ));
    let (da, db) = (
        solve_dual(&wa, EPSILON, 1e-10),
        solve_dual(&wb, EPSILON, 1e-10),
    );
    checks.push(Check::compare(
        "dual: λ, predicted KL, ESS (ε = 0.1)",
        &[da.lambda, da.kl, da.ess],
        &[db.lambda, db.kl, db.ess],
        1.0,
        1e-4,
    ));

    let (ra, rb) = (tr_lv_rows(device)?, tr_lv_rows(reference)?);
    let names = ["λ", "predicted KL", "loss", "control L2", "log Z"];
    for (j, name) in names.iter().enumerate() {
        let col = |rows: &[[f64; 5]]| rows.iter().map(|r| r[j]).collect::<Vec<_>>();
        checks.push(Check::compare(
            &format!("TR-LV, 3 iterations: {name}"),
            &col(&ra),
            &col(&rb),
            1.0,
            2e-3,
        ));
    }
    Ok(checks)
}

/// A plain-text table of the checks, with the two device names.
pub fn table(checks: &[Check], device: &Device, reference: &Device) -> String {
    let mut s = format!(
        "{:<40} {:>8} {:>11} {:>10}  result ({} vs {})\n",
        "check",
        "entries",
        "rel. error",
        "tolerance",
        backend::name(device),
        backend::name(reference)
    );
    for c in checks {
        s += &format!(
            "{:<40} {:>8} {:>11.3e} {:>10.1e}  {}\n",
            c.name,
            c.entries,
            c.error,
            c.tolerance,
            if c.pass { "ok" } else { "FAIL" }
        );
    }
    s
}
