//! Where the problem knows u*_β for every β (the quadratic OU problems,
//! [`socbench_targets::annealed`]), three KLs per refresh of Algorithm 2 that locate a
//! trust-region update that leaves its region (issue 20, point 7; docs/tr-socm.md):
//!
//! - tracking: KL(P^{u_i} | P^{u*_{β_i}}), on the buffer's paths of u_i: does u_i follow the
//!   schedule?
//! - schedule: KL(P^{u*_{β_{i+1}}} | P^{u*_{β_i}}): is the schedule's own step about ε?
//! - target: KL(P^{u*_{β_{i+1}}} | P^{u_i}): how far the exact solution of this refresh is from u_i;
//!   a loss whose regression target is u*_{β_{i+1}} (TR-SOCM, eq. 19) moves u_i this far whatever ε.
//!
//! Each is the mean of the discrete log-likelihood ratio on paths of the first measure.

use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::Device;
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::tensor_util::to_f64;

use crate::paths::PathBatch;

/// The three KLs of one refresh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnnealedKl {
    pub tracking: f64,
    pub schedule: f64,
    pub target: f64,
}

fn mean(v: Vec<f64>) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The three KLs for refresh i with the current control `u_i`, its stored `buffer` paths, and
/// β_i → β_{i+1}; `None` where the problem does not know u*_β. Simulates `n` paths of
/// u*_{β_{i+1}} from `rng` (the caller accounts for their target evaluations).
pub fn annealed_kl(
    problem: &dyn Benchmark,
    u_i: &dyn Control,
    buffer: &PathBatch,
    betas: (f64, f64),
    n: usize,
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> Option<AnnealedKl> {
    let now = problem.annealed_optimal_control(betas.0)?;
    let next = problem.annealed_optimal_control(betas.1)?;
    let tracking = mean(to_f64(buffer.log_rnd_v_over_u(problem, now.as_ref())));
    let exact = PathBatch::simulate(problem, next.as_ref(), n, rng, device, false);
    let schedule = mean(to_f64(exact.log_rnd_v_over_u(problem, now.as_ref())));
    let target = mean(to_f64(exact.log_rnd_v_over_u(problem, u_i)));
    Some(AnnealedKl {
        tracking,
        schedule,
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use socbench_harness::rng::stream;
    use socbench_targets::quadratic::QuadraticOu;

    /// With u_i = u*_{β_i} exactly, the tracking KL is 0 and the target KL equals the schedule's
    /// step, which is positive and grows with the step in β; with u_i = 0 at β_i = 0 the same
    /// holds, and an off-schedule u_i has a positive tracking KL.
    #[test]
    fn exact_controls_track_and_the_step_grows_with_beta() {
        let dev = Device::default();
        let p = QuadraticOu::named("ou-hard", 4, 50).unwrap();
        let kls = |u: &dyn Control, b0: f64, b1: f64| {
            let mut rng = stream(&["annealed-kl-test", "buffer"]);
            let buf = PathBatch::simulate(&p, u, 4000, &mut rng, &dev, false);
            let mut rng = stream(&["annealed-kl-test", "exact"]);
            annealed_kl(&p, u, &buf, (b0, b1), 4000, &mut rng, &dev).unwrap()
        };
        let u_half = p.annealed_optimal(0.5);
        let small = kls(&u_half, 0.5, 0.6);
        let large = kls(&u_half, 0.5, 0.9);
        assert!(small.tracking.abs() < 1e-6, "{small:?}");
        assert!((small.target - small.schedule).abs() < 1e-6, "{small:?}");
        assert!(small.schedule > 1e-4 && large.schedule > 3.0 * small.schedule);
        // u*_{0.9} is off the schedule at β_i = 0.5: tracking KL > 0, and about the
        // schedule's KL between the two (the same pair of measures, the other direction).
        let off = kls(&p.annealed_optimal(0.9), 0.5, 0.6);
        assert!(off.tracking > 0.5 * large.schedule, "{off:?} vs {large:?}");
    }
}
