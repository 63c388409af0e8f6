//! The annealed optimal controls u*_β of the quadratic OU problems: the optimal control of the
//! cost βW (running cost βf, terminal cost βg), for β ∈ [0, 1].
//!
//! Algorithm 2's refresh i solves the trust-region problem exactly when the previous update was
//! exact; its solution is then the path measure ∝ e^{−β_{i+1}W} dP with β_{i+1} from the dual
//! (Prop. 2.2). u*_β is therefore what every update *should* reach, and comparing the trained u_i
//! with u*_{β_i} separates the two ways a trust-region method can leave its region: the update
//! not tracking the schedule, or the schedule's own steps being larger than ε (issue 20, point 7;
//! docs/tr-socm.md).
//!
//! u*_β is the exact optimum of the simulated Euler–Maruyama chain, from the discrete Riccati
//! recursion ([`crate::discrete_riccati`]) with P and Q scaled by β, so KL estimates against it
//! use the same discrete path densities as every other likelihood ratio.

use burn::prelude::*;
use burn::tensor::TensorData;
use nalgebra::DMatrix;
use socbench_harness::backend::B;

use crate::quadratic::{row_major_f32, QuadraticOu};
use crate::riccati::Lqr;
use socbench_harness::control::Control;

/// A linear feedback u_k = K_k X_k on a uniform grid of step Δt, evaluated at t = kΔt.
pub struct GainControl {
    d: usize,
    dt: f64,
    /// K_kᵀ per step, row-major f32 (rows of x times K_kᵀ give (K_k x)ᵀ).
    gains_t: Vec<Vec<f32>>,
}

impl GainControl {
    pub fn new(gains: &[DMatrix<f64>], dt: f64) -> Self {
        let d = gains.first().map_or(0, DMatrix::nrows);
        let gains_t = gains
            .iter()
            .map(|k| row_major_f32(&k.transpose()))
            .collect();
        Self { d, dt, gains_t }
    }

    fn step_of(&self, t: f64) -> usize {
        ((t / self.dt).round() as usize).min(self.gains_t.len() - 1)
    }
}

impl Control for GainControl {
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        let k = self.step_of(t);
        let m = Tensor::<B, 2>::from_data(
            TensorData::new(self.gains_t[k].clone(), [self.d, self.d]),
            &x.device(),
        );
        x.matmul(m)
    }
}

impl QuadraticOu {
    /// u*_β: the exact optimal control of the simulated chain for the cost βW.
    pub fn annealed_optimal(&self, beta: f64) -> GainControl {
        let lqr = Lqr {
            a: self.lqr.a.clone(),
            p: &self.lqr.p * beta,
            q: &self.lqr.q * beta,
            sigma: self.lqr.sigma.clone(),
            horizon: self.lqr.horizon,
        };
        let steps = socbench_harness::problem::SocProblem::integrator(self).num_steps();
        let sol = lqr.solve_discrete(steps);
        GainControl::new(&sol.gains, self.lqr.horizon / steps as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socbench_harness::backend::Device;
    use socbench_harness::benchmark::Benchmark;
    use socbench_harness::control::ZeroControl;
    use socbench_harness::tensor_util::{tensor2_from_f64, to_f64};

    fn max_abs_diff(a: &dyn Control, b: &dyn Control, d: usize, t: f64) -> f64 {
        let dev = Device::default();
        let x: Vec<f64> = (0..3 * d).map(|i| (i as f64 * 0.37).sin()).collect();
        let x = tensor2_from_f64(&x, 3, d, &dev);
        let (ua, ub) = (to_f64(a.eval(x.clone(), t)), to_f64(b.eval(x, t)));
        ua.iter()
            .zip(&ub)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max)
    }

    /// β = 0 is the uncontrolled problem (u* = 0); for β > 0, u*_β is within O(Δt) of the
    /// continuous Riccati control (RK4, an independent solver) of the problem with βP and βQ.
    #[test]
    fn matches_the_continuous_riccati_control_of_the_scaled_problem() {
        let p = QuadraticOu::named("ou-hard", 3, 200).unwrap();
        assert!(max_abs_diff(&p.annealed_optimal(0.0), &ZeroControl, 3, 0.5) < 1e-7);
        for beta in [0.3, 1.0] {
            let lqr = Lqr {
                p: &p.lqr.p * beta,
                q: &p.lqr.q * beta,
                ..p.lqr.clone()
            };
            let scaled = QuadraticOu::new("scaled", lqr, 200, p.init.clone());
            let exact = scaled.optimal_control().unwrap();
            let u = p.annealed_optimal(beta);
            let scale = max_abs_diff(exact.as_ref(), &ZeroControl, 3, 0.0);
            for t in [0.0, 0.5, 0.9] {
                let diff = max_abs_diff(&u, exact.as_ref(), 3, t);
                assert!(
                    diff < 0.02 * scale,
                    "β = {beta}, t = {t}: |u*_β − u*| = {diff}"
                );
            }
        }
    }
}
