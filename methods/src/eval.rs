//! Evaluation of a control during training (App. E.2 protocol), not counted as training cost.

use rand_chacha::ChaCha20Rng;
use socbench_harness::control::{Control, OptimalGmmControl};
use socbench_harness::metrics::{
    control_l2, mode_tvd, sinkhorn_divergence, LogWeightStats, SinkhornConfig,
};
use socbench_harness::sampling::SamplingProblem;
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_targets::backend::Device;
use socbench_targets::tensor_util::to_f64;

use crate::history::EvalRow;

/// Fills the metric fields of an [`EvalRow`] from `n` fresh paths of `u`.
pub fn evaluate(
    problem: &SamplingProblem,
    u: &dyn Control,
    n: usize,
    target_samples: Option<&[f64]>,
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> EvalRow {
    let traj = simulate(problem, u, n, rng, device, SimOptions::default());
    let stats = LogWeightStats::from_log_weights(&to_f64(traj.log_weights()));
    let d = problem.target.dim();
    let xs = to_f64(traj.final_state());
    let mut row = EvalRow {
        abs_dlogz: stats.abs_dlogz(problem.target.log_z()),
        log_z: stats.log_z,
        elbo: stats.elbo,
        ess: stats.ess,
        ..Default::default()
    };
    if let Some(us) = OptimalGmmControl::new(problem) {
        row.control_l2 = Some(control_l2(problem, &us, u, n, rng, device));
    }
    if let Some(ys) = target_samples {
        // As many model samples as target samples (`sinkhorn_samples` may be below n).
        let m = ys.len() / d;
        let k = m.min(n);
        let cfg = SinkhornConfig::default();
        row.sinkhorn = Some(sinkhorn_divergence(&xs[..k * d], k, ys, m, d, &cfg).divergence);
    }
    if let Some(modes) = problem.target.modes() {
        row.tvd = Some(mode_tvd(modes, &xs, n));
    }
    row
}
