//! Diffusion-based sampling as SOC (App. E, eq. 48–51): the DDS problem for a target ρ.
//!
//! Reference process dX = −ζ(t)X dt + σ(t) dW with σ(t) = η√(2ζ(t)), X_0 ~ N(0, η²I), discretised
//! by [`ExponentialOu`] so that P_t = N(0, η²I) exactly at every grid time. Running cost f = 0 and
//! terminal cost g(x) = log N(x; 0, η²I) − log ρ(x) (Cor. 3.1), so that
//! E_P[e^{−g(X_T)}] = ∫ρ = Z exactly for the discrete process.

use std::sync::Arc;

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};

use crate::gmm::GaussianMixture;
use crate::{Target, LN_2PI};
use socbench_harness::control::Control;
use socbench_harness::counter::EvalCounter;
use socbench_harness::integrator::{ExponentialOu, Integrator, StepGrid};
use socbench_harness::network::NetParam;
use socbench_harness::problem::{PathProblem, SocProblem};
use socbench_harness::rng::normals_f32;
use socbench_harness::schedule::{CosineSchedule, LinearSchedule, Schedule};
use socbench_harness::tensor_util::tensor2_from_f32;

/// Errors in building a sampling problem; each names the field and its range.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ProblemError {
    #[error("invalid `{field}` = {value}: allowed range is {range}")]
    OutOfRange {
        field: &'static str,
        value: String,
        range: &'static str,
    },
}

/// The DDS sampling problem for one target (and DIS's, [`SamplingProblem::dis`]).
pub struct SamplingProblem {
    pub target: Arc<dyn Target>,
    pub eta: f64,
    pub schedule: Schedule,
    /// X_0 is drawn from N(0, η²I) truncated to the box |x_i| ≤ `truncate` η (DIS), if set.
    pub truncate: Option<f64>,
    /// The network parametrisation of the method that introduced this process (`native`).
    pub native: NetParam,
    integrator: ExponentialOu,
    counter: EvalCounter,
}

impl SamplingProblem {
    /// The paper's discretisation: `steps` exponential-integrator steps (50 in the paper) on the
    /// default schedule, prior std η from the target.
    pub fn new(target: Arc<dyn Target>, steps: usize) -> Result<Self, ProblemError> {
        let eta = target.prior_std();
        Self::with(target, steps, eta, CosineSchedule::default())
    }

    pub fn with(
        target: Arc<dyn Target>,
        steps: usize,
        eta: f64,
        schedule: impl Into<Schedule>,
    ) -> Result<Self, ProblemError> {
        let schedule = schedule.into();
        if steps < 1 {
            return Err(ProblemError::OutOfRange {
                field: "steps",
                value: steps.to_string(),
                range: ">= 1",
            });
        }
        if !(eta > 0.0 && eta.is_finite()) {
            return Err(ProblemError::OutOfRange {
                field: "eta",
                value: eta.to_string(),
                range: "> 0 (finite)",
            });
        }
        if !schedule.is_valid() {
            return Err(ProblemError::OutOfRange {
                field: "schedule",
                value: format!("{schedule:?}"),
                range: "ζ > 0 on [0, T], T > 0 (cosine: 0 < c_min <= c_max)",
            });
        }
        Ok(Self {
            integrator: ExponentialOu::new(schedule, eta, steps),
            target,
            eta,
            schedule,
            truncate: None,
            native: NetParam::Base,
            counter: EvalCounter::default(),
        })
    }

    /// DIS (arXiv 2307.01198; sde_sampler's `solver/dis.yaml`): the time reversal of the
    /// variance-preserving noising process dY = −½β Y dt + √β dB, β from 0.1 to 10 on [0, 1]
    /// (`LinearSchedule::vp_10`), generating from its stationary law N(0, I) truncated per
    /// coordinate at quantiles q/2 and 1 − q/2 (sde_sampler: q = 1e-4).
    ///
    /// The reference is the reversal of the noising process started at N(0, I). Each step of
    /// the exponential integrator is the exact OU transition, which is reversible with respect
    /// to N(0, I), so the reversal of the discrete noising chain is the same chain run forward
    /// and the weights of the DDS construction are exact for it: the noising process's path
    /// density, sde_sampler's running divergence ∫ div f and the initial log p_0(X_0) all cancel
    /// against the reference's, leaving g = log N(x; 0, I) − log ρ. What the truncation leaves
    /// is a factor Q(X_0 ∈ box)/(1 − q)^d on E[w] (Q the target path measure); it is 1 up to
    /// how far the noised target at t = 0 is from N(0, I) on the box's tails (see
    /// docs/metrics.md). sde_sampler simulates Euler–Maruyama steps instead and uses the
    /// continuous-time weights.
    pub fn dis(target: Arc<dyn Target>, steps: usize, q: f64) -> Result<Self, ProblemError> {
        if !(0.0..1.0).contains(&q) {
            return Err(ProblemError::OutOfRange {
                field: "truncate",
                value: q.to_string(),
                range: "[0, 1)",
            });
        }
        let mut p = Self::with(target, steps, 1.0, LinearSchedule::vp_10())?;
        if q > 0.0 {
            p.truncate = Some(normal_quantile(1.0 - q / 2.0));
        }
        p.native = NetParam::Lerp;
        Ok(p)
    }

    /// log N(x; 0, η²I) for x [B, d].
    pub fn log_prior(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let [b, d] = x.dims();
        let e2 = self.eta * self.eta;
        x.square()
            .sum_dim(1)
            .mul_scalar(-0.5 / e2)
            .sub_scalar(0.5 * d as f64 * (LN_2PI + e2.ln()))
            .reshape([b])
    }

    /// ∇ log ρ through the evaluation counter (used by the Langevin-preconditioned network).
    pub fn target_score(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.counter.add_gradient(x.dims()[0]);
        self.target.grad_log_density(x)
    }
}

impl PathProblem for SamplingProblem {
    fn dim(&self) -> usize {
        self.target.dim()
    }
    fn sigma(&self, t: f64) -> f64 {
        self.eta * (2.0 * self.schedule.zeta(t)).sqrt()
    }
    fn evals(&self) -> &EvalCounter {
        &self.counter
    }
    fn steps(&self) -> &dyn StepGrid {
        SocProblem::integrator(self)
    }
    fn dynamics(&self) -> Option<&dyn SocProblem> {
        Some(self)
    }
}

impl SocProblem for SamplingProblem {
    fn drift(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        x.mul_scalar(-self.schedule.zeta(t))
    }
    fn drift_vjp(&self, _x: Tensor<B, 2>, t: f64, a: Tensor<B, 2>) -> Tensor<B, 2> {
        a.mul_scalar(-self.schedule.zeta(t))
    }
    fn running_cost(&self, _x: Tensor<B, 2>, _t: f64) -> Option<Tensor<B, 1>> {
        None
    }
    fn running_cost_grad(&self, _x: Tensor<B, 2>, _t: f64) -> Option<Tensor<B, 2>> {
        None
    }
    fn terminal_cost(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        self.counter.add_density(x.dims()[0]);
        self.log_prior(x.clone()) - self.target.log_density(x)
    }
    fn terminal_cost_grad(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.counter.add_gradient(x.dims()[0]);
        x.clone().mul_scalar(-1.0 / (self.eta * self.eta)) - self.target.grad_log_density(x)
    }
    fn sample_initial(&self, n: usize, rng: &mut ChaCha20Rng, device: &Device) -> Tensor<B, 2> {
        let d = self.dim();
        let mut z = normals_f32(rng, n * d);
        if let Some(b) = self.truncate {
            // Rejection per coordinate: redraw (from the same stream, in order) until inside.
            for v in z.iter_mut() {
                while f64::from(v.abs()) > b {
                    *v = normals_f32(rng, 1)[0];
                }
            }
        }
        tensor2_from_f32(z, n, d, device).mul_scalar(self.eta)
    }
    fn integrator(&self) -> &dyn Integrator {
        &self.integrator
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

/// Φ^{-1}(p) for the standard normal (statrs, f64; only at set-up).
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(0.0, 1.0).expect("valid").inverse_cdf(p)
}
