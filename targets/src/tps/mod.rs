//! Transition path sampling as an SOC problem (paper Sec. 3.2, App. F): paths of controlled
//! Langevin dynamics from a start state, with the learned bias entering where the noise does, and
//! the relaxed target indicator of tps-dps as terminal cost.
//!
//! Every step k draws ξ_k ~ N(0, I) and applies the control u_k = u(x_k) as
//!   (noise term) = s_T ξ_k + s_ref h u_k,   h = √Δt,
//! where s_T is the noise scale at the sampling temperature T and s_ref the one at the reference
//! temperature of the target path measure (300 K for alanine dipeptide). The reference
//! innovation ξ'_k = (noise term)/s_ref = h u_k + (s_T/s_ref) ξ_k is what the path density at the
//! reference temperature sees, so for any control u (exact for the discretised chain, eq. 28/29
//! in discrete form):
//!   log dP^u/dP (path) = Σ_k h u(x_k)·ξ'_k − ½ h² |u(x_k)|²,                       (TPS-1)
//! whatever temperature and control the path was sampled with (the map from noises to paths is
//! the same triangular one under every control). The target is dQ/dP ∝ r(path) with
//!   log r = max_k −MSD(x_k, target)/(2σ²)                                            (TPS-2)
//! (tps-dps's relaxed indicator: Kabsch-aligned heavy atoms for a molecule, the path truncated at
//! the best frame), so the work is W = −log r and the running cost is zero.

pub mod alanine;
pub mod baselines;
pub mod chignolin;
pub mod double_well;
pub mod dynamics;
pub mod metrics;
pub mod molecule;
pub mod simulate;

pub use double_well::DoubleWell;
pub use dynamics::{ControlledDynamics, Overdamped, Underdamped};
pub use metrics::{PathMetrics, Summary};
pub use molecule::{HitRegion, MoleculeTps};
pub use simulate::{simulate, PathSet};

use nalgebra::Matrix3;
use socbench_harness::error::TargetError;

use crate::molecule::dynamics::Potential;

/// A system for transition path sampling: potential, controlled dynamics, start state, target.
pub trait TpsSystem: Send + Sync {
    /// Registry name (`tps-problems`).
    fn name(&self) -> &'static str;
    /// Coordinates per configuration: the control's dimension (3 per atom for a molecule).
    fn dim(&self) -> usize;
    /// Steps per path N.
    fn steps(&self) -> usize;
    fn potential(&self) -> &dyn Potential;
    fn dynamics(&self) -> &dyn ControlledDynamics;
    /// The start configuration x_0 (every path starts here).
    fn start(&self) -> &[f64];
    /// The target configuration.
    fn target(&self) -> &[f64];
    /// log r(x) ≤ 0 of one configuration (TPS-2 before the maximum over frames).
    fn log_indicator(&self, x: &[f64]) -> f64;
    /// Length of the network input of one configuration.
    fn feature_dim(&self) -> usize;
    /// Appends the network input of `x` to `out` and returns the rotation that maps the
    /// network's output, one 3-vector per atom, back to the lab frame (None: identity).
    fn features(&self, x: &[f64], out: &mut Vec<f32>) -> Option<Matrix3<f64>>;
    /// Distance of `x` to the target in the units of [`TpsSystem::units`] (RMSD in Å for a
    /// molecule).
    fn rmsd(&self, x: &[f64]) -> f64;
    /// Whether `x` lies in the target region (THP's criterion).
    fn hits(&self, x: &[f64]) -> bool;
    /// Two collective variables for plots ((φ, ψ) in degrees for alanine dipeptide).
    fn cvs(&self, x: &[f64]) -> [f64; 2];
    /// The collective variables of the target and the hit radius in them, for plots.
    fn target_cvs(&self) -> ([f64; 2], f64);
    fn units(&self) -> Units;
    /// The steered-MD coordinates: their values at `x` (radians for angles) and their
    /// gradients, written into `grads` ([2, dim]); `None` if the system has none.
    fn steering_cvs(&self, _x: &[f64], _grads: &mut [f64]) -> Option<[f64; 2]> {
        None
    }
    /// Seconds per simulated frame of one path (force, integrator, indicator and the bias's
    /// input, one thread) on the 2-core development machine: the sweep's time estimate.
    fn frame_cost_s(&self) -> f64 {
        8e-6
    }
    /// Whether [`TpsSystem::steering_cvs`] are angles (differences wrapped to (−π, π]).
    fn steering_cvs_periodic(&self) -> bool {
        false
    }
}

/// Names and units for reports.
#[derive(Clone, Copy, Debug)]
pub struct Units {
    pub energy: &'static str,
    /// The unit of RMSD ("" for the dimensionless 2-D systems).
    pub rmsd: &'static str,
    pub cvs: [&'static str; 2],
    /// The range of the plots' axes.
    pub cv_range: [[f64; 2]; 2],
}

/// Frames kept per path for the plots of sampled paths ([`PathSet::cv_paths`]).
pub const PLOT_FRAMES: usize = 100;

/// A registered TPS system: its name and how to build it.
pub struct TpsEntry {
    pub name: &'static str,
    pub summary: &'static str,
    pub build: fn() -> Result<Box<dyn TpsSystem>, TargetError>,
}

/// The TPS systems, by name.
pub const TPS_SYSTEMS: &[TpsEntry] = &[
    TpsEntry {
        name: "alanine-dipeptide",
        summary: "ACE-ALA-NME in vacuum (amber99sbildn), C5 → C7ax, 1000 steps of 1 fs at 300 K",
        build: || Ok(Box::new(alanine::shipped()?)),
    },
    TpsEntry {
        name: "chignolin",
        summary:
            "GYDPETGTWG in GBn2 implicit solvent (ff14SBonlysc), unfolded → folded (TICA hit), \
                  5000 steps of 1 fs at 300 K",
        build: || Ok(Box::new(chignolin::shipped()?)),
    },
    TpsEntry {
        name: "double-well-2d",
        summary: "tps-dps's 2-D double well, overdamped, (−1.118, 0) → (1.118, 0) at 1200 K",
        build: || Ok(Box::new(DoubleWell::tps_dps())),
    },
];

pub fn names() -> Vec<&'static str> {
    TPS_SYSTEMS.iter().map(|e| e.name).collect()
}

/// Builds a TPS system by name.
pub fn build(name: &str) -> Result<Box<dyn TpsSystem>, TargetError> {
    match TPS_SYSTEMS.iter().find(|e| e.name == name) {
        Some(e) => (e.build)(),
        None => Err(TargetError::range(
            "target",
            name,
            format!("one of {}", names().join(", ")),
        )),
    }
}

/// Sampling temperatures per rollout, linear from `start` to `end` inclusive (tps-dps's
/// `torch.linspace`).
pub fn annealing(start: f64, end: f64, rollouts: usize) -> Vec<f64> {
    if rollouts <= 1 {
        return vec![end; rollouts];
    }
    (0..rollouts)
        .map(|r| start + (end - start) * r as f64 / (rollouts - 1) as f64)
        .collect()
}
