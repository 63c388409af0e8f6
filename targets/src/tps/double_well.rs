//! tps-dps's 2-D double well (its `double-well.ipynb`), the cheap system for tests and the smoke
//! profile: V(x, y) = [4(1 − x² − y²)² + 2(x² − 2)² + ((x + y)² − 1)² + ((x − y)² − 1)² − 2]/6,
//! minima near (±1.118, 0), saddles at (0, ±1) with V = 1 (a barrier of about 1.08, i.e. 10 k_B T
//! at 1200 K), overdamped dynamics with Δt = 0.01, 1000 steps, k_B in eV/K.

use nalgebra::Matrix3;

use super::{ControlledDynamics, Overdamped, TpsSystem, Units};
use crate::molecule::dynamics::Potential;

/// k_B in eV/K (tps-dps's value).
pub const K_B_EV: f64 = 8.617_330_3e-5;
pub const START: [f64; 2] = [-1.118, 0.0];
pub const TARGET: [f64; 2] = [1.118, 0.0];
pub const HIT_RADIUS: f64 = 0.5;

/// The potential.
#[derive(Clone, Copy, Debug, Default)]
pub struct DoubleWellPotential;

impl Potential for DoubleWellPotential {
    fn energy_forces(&self, p: &[f64], f: &mut [f64]) -> f64 {
        let (x, y) = (p[0], p[1]);
        let r = 1.0 - x * x - y * y;
        let q = x * x - 2.0;
        let (s, d) = (x + y, x - y);
        let (a, b) = (s * s - 1.0, d * d - 1.0);
        let e = (4.0 * r * r + 2.0 * q * q + a * a + b * b - 2.0) / 6.0;
        // ∂V/∂x and ∂V/∂y.
        let gx = (-16.0 * r * x + 8.0 * q * x + 4.0 * a * s + 4.0 * b * d) / 6.0;
        let gy = (-16.0 * r * y + 4.0 * a * s - 4.0 * b * d) / 6.0;
        f[0] = -gx;
        f[1] = -gy;
        e
    }
}

pub struct DoubleWell {
    dynamics: Overdamped,
    /// σ of (TPS-2).
    pub sigma: f64,
    steps: usize,
}

impl DoubleWell {
    /// tps-dps's settings: 1200 K, Δt = 0.01, 1000 steps, and its RBF σ = 3 over the 1000 × 2
    /// terms of its mean-normalised path log-density, i.e. σ = 3/√2000 for exact sums (see
    /// `alanine::MEAN_TERMS`).
    pub fn tps_dps() -> Self {
        Self {
            dynamics: Overdamped {
                dt: 0.01,
                temperature: 1200.0,
                k_b: K_B_EV,
            },
            sigma: 3.0 / 2000f64.sqrt(),
            steps: 1000,
        }
    }
    fn dist(x: &[f64]) -> f64 {
        ((x[0] - TARGET[0]).powi(2) + (x[1] - TARGET[1]).powi(2)).sqrt()
    }
}

impl TpsSystem for DoubleWell {
    fn name(&self) -> &'static str {
        "double-well-2d"
    }
    fn dim(&self) -> usize {
        2
    }
    fn steps(&self) -> usize {
        self.steps
    }
    fn potential(&self) -> &dyn Potential {
        &DoubleWellPotential
    }
    fn dynamics(&self) -> &dyn ControlledDynamics {
        &self.dynamics
    }
    fn start(&self) -> &[f64] {
        &START
    }
    fn target(&self) -> &[f64] {
        &TARGET
    }
    fn log_indicator(&self, x: &[f64]) -> f64 {
        // tps-dps: the mean over the two coordinates of the squared deviation.
        let msd = 0.5 * Self::dist(x).powi(2);
        -msd / (2.0 * self.sigma * self.sigma)
    }
    fn feature_dim(&self) -> usize {
        3
    }
    /// tps-dps's input: (x, y, distance to the target).
    fn features(&self, x: &[f64], out: &mut Vec<f32>) -> Option<Matrix3<f64>> {
        out.extend([x[0] as f32, x[1] as f32, Self::dist(x) as f32]);
        None
    }
    fn rmsd(&self, x: &[f64]) -> f64 {
        Self::dist(x)
    }
    fn hits(&self, x: &[f64]) -> bool {
        Self::dist(x) < HIT_RADIUS
    }
    fn cvs(&self, x: &[f64]) -> [f64; 2] {
        [x[0], x[1]]
    }
    fn target_cvs(&self) -> ([f64; 2], f64) {
        (TARGET, HIT_RADIUS)
    }
    fn steering_cvs(&self, x: &[f64], grads: &mut [f64]) -> Option<[f64; 2]> {
        grads.copy_from_slice(&[1.0, 0.0, 0.0, 1.0]);
        Some([x[0], x[1]])
    }
    fn units(&self) -> Units {
        Units {
            energy: "eV",
            rmsd: "",
            cvs: ["x", "y"],
            cv_range: [[-2.0, 2.0], [-1.6, 1.6]],
        }
    }
}
