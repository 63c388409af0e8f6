//! Evaluation of a control during training (App. E.2 protocol), not counted as training cost.

use rand_chacha::ChaCha20Rng;
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::metrics::{
    control_l2, mode_tvd, sinkhorn_divergence, LogWeightStats, SinkhornConfig,
};
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_targets::backend::Device;
use socbench_targets::tensor_util::to_f64;

use crate::history::EvalRow;

/// Fills the metric fields of an [`EvalRow`] from `n` fresh paths of `u`: the metrics whose
/// ground truth the problem has (u* → control L2, target samples → Sinkhorn, modes → TVD,
/// optimal value → cost functional).
pub fn evaluate(
    problem: &dyn Benchmark,
    u: &dyn Control,
    n: usize,
    target_samples: Option<&[f64]>,
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> EvalRow {
    let traj = simulate(problem, u, n, rng, device, SimOptions::default());
    let stats = LogWeightStats::from_log_weights(&to_f64(traj.log_weights()));
    let d = problem.dim();
    let xs = to_f64(traj.final_state());
    let mut row = EvalRow {
        abs_dlogz: stats.abs_dlogz(problem.reference_log_z()),
        log_z: stats.log_z,
        elbo: stats.elbo,
        ess: stats.ess,
        ..Default::default()
    };
    if let Some(opt) = problem.optimal_cost() {
        // J(u) = E[Σ f Δt + g + Σ ½h²|u|²] (eq. 1, discrete) on the same paths.
        let j = to_f64(traj.work() + traj.control_cost.clone());
        row.cost = Some(j.iter().sum::<f64>() / j.len() as f64);
        row.optimal_cost = Some(opt);
    }
    if let Some(us) = problem.optimal_control() {
        row.control_l2 = Some(control_l2(problem, us.as_ref(), u, n, rng, device));
    }
    if let Some(ys) = target_samples {
        // As many model samples as target samples (`sinkhorn_samples` may be below n).
        let m = ys.len() / d;
        let k = m.min(n);
        let cfg = SinkhornConfig::default();
        row.sinkhorn = Some(sinkhorn_divergence(&xs[..k * d], k, ys, m, d, &cfg).divergence);
    }
    if let Some(modes) = problem.modes() {
        row.tvd = Some(mode_tvd(modes, &xs, n));
    }
    row
}
