//! Every problem socbench trains on, in one place ([`problems::build`] makes one by name):
//!
//! - target densities for diffusion-based sampling (App. E of the trust-region paper), each a
//!   [`Target`] with what ground truth it has: the unnormalized log-density log ρ and its gradient
//!   (batched, on a burn device), the reference log Z in f64, exact samples, the mode structure;
//!   [`build`] makes one by name from [`TARGETS`], the target registry; [`sampling`] turns one
//!   into the DDS control problem;
//! - the classical SOC problems of App. G: the quadratic OU problems ([`quadratic`]) with their
//!   Riccati ground truth ([`riccati`], [`discrete_riccati`], [`annealed`]).
//!
//! The traits they implement (`SocProblem`, `Benchmark`, `ModeStructure`) and the foundation
//! (backend, seeds, errors) are in `socbench-harness`.

/// The [`Benchmark`](socbench_harness::benchmark::Benchmark) methods of a sampling problem
/// that hold a `target: Arc<dyn Target>` and a counted `target_score`, whatever its base
/// process (DDS and DIS in `sampling`, PIS in `pis`): name, score, log Z, exact samples,
/// marginal stds and modes come from the target; there is no optimal cost.
#[macro_export]
macro_rules! on_target_benchmark {
    () => {
        fn name(&self) -> &str {
            self.target.name()
        }
        fn score(&self, x: Tensor<B, 2>) -> Option<Tensor<B, 2>> {
            Some(self.target_score(x))
        }
        fn has_score(&self) -> bool {
            true
        }
        fn reference_log_z(&self) -> Option<f64> {
            self.target.log_z()
        }
        fn target_samples(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>> {
            self.target.sample(n, rng)
        }
        fn marginal_std(&self) -> Option<Vec<f64>> {
            self.target.marginal_std()
        }
        fn modes(&self) -> Option<&dyn socbench_harness::problem::ModeStructure> {
            self.target.modes()
        }
        fn optimal_cost(&self) -> Option<f64> {
            None
        }
    };
}

pub mod annealed;
pub mod annealed_modes;
pub mod banana;
pub mod digits;
pub mod discrete_riccati;
pub mod fashion;
pub mod finetune;
pub mod funnel;
pub mod gmm;
pub mod manywell;
pub mod molecule;
pub mod oracle;
pub mod pis;
pub mod problems;
pub mod quadratic;
pub mod registry;
pub mod riccati;
pub mod sampling;
pub mod tps;

pub use registry::{build, names, TargetEntry, TargetSpec, TARGETS};

/// ln 2π, the normalising constant of every Gaussian log-density here.
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{self, B};
use socbench_harness::problem::ModeStructure;

/// An unnormalized target density ρ on R^d, with what ground truth it has. A new target needs
/// only [`Target::log_density`] and its metadata: the gradient defaults to burn's autodiff, and
/// ground truth left unknown (`None`) leaves the metrics that need it out of every report (empty
/// cells), never faked.
pub trait Target: Send + Sync {
    /// Registry name (`gmm`, `manywell`, ...).
    fn name(&self) -> &str;
    /// Dimension d.
    fn dim(&self) -> usize;
    /// Default prior standard deviation η of the DDS reference process for this target (App. E.1).
    fn prior_std(&self) -> f64;
    /// log ρ(x) for a batch `x` of shape [B, d]; returns [B].
    fn log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 1>;
    /// ∇ log ρ(x) for a batch `x` of shape [B, d]; returns [B, d]. Default: burn's autodiff of
    /// [`Target::log_density`] ([`autodiff_grad`]); a hand-written gradient is faster, and
    /// `tests/targets_ground_truth.rs` checks each against this default.
    fn grad_log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        autodiff_grad(|x| self.log_density(x), x)
    }
    /// Reference log Z = log ∫ρ in f64 (closed form or quadrature), if known (|ΔlogZ|).
    fn log_z(&self) -> Option<f64>;
    /// `n` exact samples from ρ/Z, f64 row-major [n, d], if the target can be sampled
    /// (Sinkhorn distance, scatter plots).
    fn sample(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>>;
    /// The true standard deviation of each coordinate under ρ/Z (f64, closed form or 1-D
    /// quadrature), if known: the |Δstd| metric of the log-variance paper.
    fn marginal_std(&self) -> Option<Vec<f64>> {
        None
    }
    /// log ρ, ∇ log ρ and Δ log ρ at one point, in f64 and in closed form, if written (the PINN
    /// residuals need the Laplacian; `methods::pinn`). `tests/pinn_jets.rs` checks each against
    /// central differences of [`Target::log_density`].
    fn log_density_jet(&self, _x: &[f64]) -> Option<(f64, Vec<f64>, f64)> {
        None
    }
    /// Mode structure for the TVD metric, if the target has one.
    fn modes(&self) -> Option<&dyn ModeStructure> {
        None
    }
    /// The analytic optimal control of the DDS problem, if known (GMM family).
    fn analytic(&self) -> Option<&gmm::GaussianMixture> {
        None
    }
}

/// ∇ₓ Σ_rows f(x) by burn's autodiff, on `x`'s device (the default gradient of a target).
pub fn autodiff_grad(f: impl Fn(Tensor<B, 2>) -> Tensor<B, 1>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    let device = x.device();
    let ad = backend::autodiff(backend::without_autodiff(&device));
    let leaf = Tensor::<B, 2>::from_data(x.detach().into_data(), &ad).require_grad();
    let grads = f(leaf.clone()).sum().backward();
    let g = leaf.grad(&grads).expect("x is a leaf that requires grad");
    Tensor::from_data(g.into_data(), &device)
}
