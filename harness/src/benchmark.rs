//! A problem the methods can be trained and evaluated on: an [`SocProblem`] plus what the control
//! network and the evaluation protocol need from it (ground truth where known, `None` where not).
//! The problems themselves live in `socbench-targets` (`problems::build` makes one by name): DDS
//! sampling of a target (`SamplingProblem`, App. E) and the classical LQR problems
//! (`QuadraticOu`, App. G).

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;

use crate::backend::B;
use crate::control::Control;
use crate::problem::{ModeStructure, SocProblem};

pub trait Benchmark: SocProblem {
    /// Registry name (`gmm`, `ou-hard`, …).
    fn name(&self) -> &str;
    /// Horizon T (the network sees t/T).
    fn horizon(&self) -> f64;
    /// The factor c of the network's base term f2(t)·c·x (eq. 52: c = 1/η² for DDS, 1 otherwise).
    fn base_scale(&self) -> f64;
    /// The network parametrisation of the paper that introduced this problem's base process
    /// (`NetConfig::param = native`). Default: eq. 52/53.
    fn native_param(&self) -> crate::network::NetParam {
        crate::network::NetParam::Base
    }
    /// ∇log ρ for the Langevin-preconditioned network (eq. 53); `None` without a target density.
    fn score(&self, x: Tensor<B, 2>) -> Option<Tensor<B, 2>>;
    /// Whether [`Benchmark::score`] is available.
    fn has_score(&self) -> bool;
    /// The exact optimal control u*, if known (GMM family, LQR).
    fn optimal_control(&self) -> Option<Box<dyn Control + '_>>;
    /// Reference log Z = log E_P[e^{−W}] (f64), if known (|ΔlogZ|; left empty otherwise).
    fn reference_log_z(&self) -> Option<f64>;
    /// The target's true per-coordinate standard deviations, if known (|Δstd|).
    fn marginal_std(&self) -> Option<Vec<f64>> {
        None
    }
    /// `n` exact samples of the target (row-major n × d), for the Sinkhorn distance.
    fn target_samples(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>>;
    /// Mode structure for the TVD metric.
    fn modes(&self) -> Option<&dyn ModeStructure>;
    /// The optimal value of the cost functional (eq. 1) over the initial law, if known.
    fn optimal_cost(&self) -> Option<f64>;
    /// The optimal value of the simulated (discretised) chain's cost, if known: no control of the
    /// chain can cost less in expectation, whereas `optimal_cost` can be beaten by O(Δt).
    fn discrete_optimal_cost(&self) -> Option<f64> {
        None
    }
    /// The exact optimal control u*_β of the cost βW, if known for every β ∈ [0, 1] (LQR): the
    /// control that refresh i of Algorithm 2 reaches at β_{i+1} when every update is exact
    /// (Prop. 2.2), used to tell a trust-region update that does not track its schedule from a
    /// schedule whose steps exceed ε (`socbench_targets::annealed`).
    fn annealed_optimal_control(&self, _beta: f64) -> Option<Box<dyn Control + '_>> {
        None
    }
}
