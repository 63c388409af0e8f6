//! Molecular dynamics in f64 on a potential with forces: velocity Verlet (NVE) and the OVRVO
//! splitting of Langevin dynamics (Sivak, Chodera & Crooks 2014, "VVVR"):
//!
//!   O: v ← a v + √((1 − a²) k_B T / m) ξ,   a = e^{−γ Δt/2}
//!   V: v ← v + (Δt/2) F(x)/m
//!   R: x ← x + Δt v
//!   V, O as above,
//!
//! which samples the Boltzmann distribution e^{−E/k_B T} up to O(Δt²) in the configuration. The
//! noise enters only in the O half-steps, as a Gaussian update of the velocities: the controlled
//! version for transition path sampling adds the learned bias there, so that the likelihood ratio
//! of two controls is the exact ratio of those Gaussian densities. Units: nm, ps, amu, kJ/mol, K.

use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;

use super::ForceField;

/// Boltzmann's constant in kJ/mol/K (OpenMM's value).
pub const K_B: f64 = 0.008_314_462_618_153_24;

/// A potential energy with forces, per coordinate (3 per atom for a molecule).
pub trait Potential {
    /// E(x), with −∇E written into `f`.
    fn energy_forces(&self, x: &[f64], f: &mut [f64]) -> f64;
}

impl Potential for ForceField {
    fn energy_forces(&self, x: &[f64], f: &mut [f64]) -> f64 {
        ForceField::energy_forces(self, x, f)
    }
}

/// Masses per coordinate (each atom's mass three times).
pub fn coordinate_masses(ff: &ForceField) -> Vec<f64> {
    ff.atoms.iter().flat_map(|a| [a.mass; 3]).collect()
}

/// Positions, velocities and the forces at the positions.
#[derive(Clone, Debug)]
pub struct State {
    pub x: Vec<f64>,
    pub v: Vec<f64>,
    pub f: Vec<f64>,
    /// Potential energy at x.
    pub energy: f64,
}

impl State {
    pub fn new(p: &dyn Potential, x: Vec<f64>, v: Vec<f64>) -> Self {
        let mut f = vec![0.0; x.len()];
        let energy = p.energy_forces(&x, &mut f);
        Self { x, v, f, energy }
    }

    /// Kinetic energy ½ Σ m v².
    pub fn kinetic(&self, m: &[f64]) -> f64 {
        0.5 * self.v.iter().zip(m).map(|(v, m)| m * v * v).sum::<f64>()
    }
}

/// Maxwell–Boltzmann velocities at temperature `t` (K).
pub fn thermal_velocities(m: &[f64], t: f64, rng: &mut ChaCha20Rng) -> Vec<f64> {
    m.iter()
        .map(|m| (K_B * t / m).sqrt() * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

fn half_kick(s: &mut State, m: &[f64], dt: f64) {
    for ((v, f), m) in s.v.iter_mut().zip(&s.f).zip(m) {
        *v += 0.5 * dt * f / m;
    }
}

fn drift(p: &dyn Potential, s: &mut State, dt: f64) {
    for (x, v) in s.x.iter_mut().zip(&s.v) {
        *x += dt * v;
    }
    s.energy = p.energy_forces(&s.x, &mut s.f);
}

/// One velocity Verlet step (V R V).
pub fn verlet_step(p: &dyn Potential, s: &mut State, m: &[f64], dt: f64) {
    half_kick(s, m, dt);
    drift(p, s, dt);
    half_kick(s, m, dt);
}

/// Langevin dynamics at temperature `t` (K) with friction `gamma` (1/ps).
#[derive(Clone, Debug)]
pub struct Langevin {
    pub dt: f64,
    pub gamma: f64,
    pub temperature: f64,
}

impl Langevin {
    /// The O half-step: v ← a v + √((1 − a²) k_B T/m) ξ.
    fn thermostat(&self, s: &mut State, m: &[f64], rng: &mut ChaCha20Rng) {
        let a = (-0.5 * self.gamma * self.dt).exp();
        let kt = K_B * self.temperature;
        for (v, m) in s.v.iter_mut().zip(m) {
            let sd = ((1.0 - a * a) * kt / m).sqrt();
            *v = a * *v + sd * rng.sample::<f64, _>(StandardNormal);
        }
    }

    /// One OVRVO step.
    pub fn step(&self, p: &dyn Potential, s: &mut State, m: &[f64], rng: &mut ChaCha20Rng) {
        self.thermostat(s, m, rng);
        verlet_step(p, s, m, self.dt);
        self.thermostat(s, m, rng);
    }
}
