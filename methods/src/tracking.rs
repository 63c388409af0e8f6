//! The budget ladder's yardstick (issue 38): at every refresh, how far the trained control u_i
//! is from the annealing path that Algorithm 2 is meant to follow.
//!
//! Refresh i starts from u_i, which (were every update exact) would be u*_{β_i}, the control whose
//! terminal law is p_{β_i} ∝ p_prior^{1−β_i} ρ^{β_i} (Prop. 2.2; `socbench_targets::annealed_modes`).
//! On targets with modes, the mode weights of u_i's terminal samples are compared with those of
//! p_{β_i} (TVD ½Σ|·|), and with the target's own π. Fresh paths are simulated for it (the buffer's
//! size differs between arms, and so would the sampling noise); their stream is common to every
//! method at the same seed, so arms compare on the same noise.

use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::Device;
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_harness::tensor_util::to_f64;
use socbench_targets::annealed_modes::{sample_weights, tvd};

/// u_i's terminal mode weights against p_{β_i}'s.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PathTracking {
    /// TVD between u_i's mode weights and p_{β_i}'s: the distance to the path.
    pub path_tvd: f64,
    /// TVD between u_i's mode weights and the target's π.
    pub mode_tvd: f64,
    /// u_i's mode weights (from `n` fresh terminal samples).
    pub modes_u: Vec<f64>,
    /// p_{β_i}'s mode weights.
    pub modes_path: Vec<f64>,
}

/// [`PathTracking`] of `u` at β from `n` fresh paths; `None` where the problem has no modes or
/// cannot compute p_β's weights.
pub fn track(
    problem: &dyn Benchmark,
    u: &dyn Control,
    beta: f64,
    n: usize,
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> Option<PathTracking> {
    let modes = problem.modes()?;
    let modes_path = modes.annealed_weights(beta)?;
    let traj = simulate(
        problem,
        u,
        n,
        rng,
        device,
        SimOptions {
            track_grad: false,
            store_path: false,
            tracked_controls: false,
        },
    );
    let x = to_f64(traj.final_state().flatten::<1>(0, 1));
    let modes_u = sample_weights(&modes.assign(&x, n), modes.weights().len());
    Some(PathTracking {
        path_tvd: tvd(&modes_u, &modes_path),
        mode_tvd: tvd(&modes_u, modes.weights()),
        modes_u,
        modes_path,
    })
}

/// The expected TVD between the mode frequencies of `n` exact samples of `w` and `w` itself: the
/// floor below which a measured distance to the path is sampling noise. Σ_k E|p̂_k − w_k| / 2 with
/// the normal approximation E|p̂_k − w_k| ≈ √(2 w_k(1 − w_k)/(π n)).
pub fn sampling_floor(w: &[f64], n: usize) -> f64 {
    let n = n as f64;
    0.5 * w
        .iter()
        .map(|p| (2.0 * p * (1.0 - p) / (std::f64::consts::PI * n)).sqrt())
        .sum::<f64>()
}

/// Space-separated values (a CSV cell holding a vector).
pub fn join(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.5}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// The floor against a direct simulation of multinomial frequencies (an independent
    /// estimate): 400 draws of n = 2000 from 40 equal modes.
    #[test]
    fn sampling_floor_matches_simulated_multinomials() {
        let w = vec![1.0 / 40.0; 40];
        let n = 2000;
        let mut rng = socbench_harness::rng::StreamKey::new("test", "floor", 1, 0).stream("x");
        let reps = 400;
        let mut mean = 0.0;
        for _ in 0..reps {
            let modes: Vec<usize> = (0..n).map(|_| rng.random_range(0..40)).collect();
            mean += tvd(&sample_weights(&modes, 40), &w) / reps as f64;
        }
        let floor = sampling_floor(&w, n);
        assert!(
            (mean - floor).abs() < 0.05 * floor,
            "simulated {mean}, normal approximation {floor}"
        );
    }
}
