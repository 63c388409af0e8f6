//! Controls u(x, t): anything that maps a batch of states and a time to a batch of controls.

use burn::prelude::*;
use socbench_targets::backend::B;

use crate::problem::SocProblem;
use crate::sampling::SamplingProblem;
use socbench_targets::gmm::GaussianMixture;

pub trait Control {
    /// u(x, t) for x [B, d].
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2>;

    /// u(x, t) for states that are constants to autodiff (detached simulations, stored paths):
    /// the gradient flows to the control's parameters only. A network control then runs on the
    /// host where it can ([`crate::network::NetworkControl::taped`]). burn cannot tell a
    /// detached tensor from one inside a graph (`is_require_grad` is true for leaves only), so
    /// the caller says so by calling this instead of [`Control::eval`].
    fn eval_detached(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        self.eval(x, t)
    }
}

/// u ≡ 0: the uncontrolled reference process.
pub struct ZeroControl;

impl Control for ZeroControl {
    fn eval(&self, x: Tensor<B, 2>, _t: f64) -> Tensor<B, 2> {
        x.zeros_like()
    }
}

/// The analytic optimal control of the DDS problem for a Gaussian-mixture target (eq. 51, 55):
///   u*(x, t) = σ(t) ∇_x log(Q_t / P_t)(x) = σ(t) (∇ log Q_t(x) + x/η²),
/// with Q_t(x) = Σ_k π_k N(x | α μ_k, α² Σ_k + η²(1 − α²) I), α = exp(−∫_t^T ζ).
/// It reads the mixture's parameters only, not ρ, so it costs no target evaluations.
pub struct OptimalGmmControl<'a> {
    pub problem: &'a SamplingProblem,
    pub gmm: &'a GaussianMixture,
}

impl<'a> OptimalGmmControl<'a> {
    /// `None` if the problem's target has no analytic mixture form.
    pub fn new(problem: &'a SamplingProblem) -> Option<Self> {
        problem.target.analytic().map(|gmm| Self { problem, gmm })
    }

    /// ∇ log(Q_t/P_t)(x).
    pub fn log_ratio_grad(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        let eta2 = self.problem.eta * self.problem.eta;
        let alpha = self.problem.schedule.alpha(t);
        let c = eta2 * (1.0 - alpha * alpha);
        self.gmm.grad_log_marginal(x.clone(), alpha, c) + x.mul_scalar(1.0 / eta2)
    }
}

impl Control for OptimalGmmControl<'_> {
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        self.log_ratio_grad(x, t).mul_scalar(self.problem.sigma(t))
    }
}
