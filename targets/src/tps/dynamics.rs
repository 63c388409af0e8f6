//! The controlled integrators of transition path sampling. Both put the control where the noise
//! is, so that (TPS-1) in `tps/mod.rs` is the exact log-likelihood ratio of the discrete chain.

use rand_chacha::ChaCha20Rng;

use crate::molecule::dynamics::{thermal_velocities, verlet_step, Potential, State};

/// One controlled step of a dynamics whose only randomness is an additive Gaussian term.
pub trait ControlledDynamics: Send + Sync {
    /// Δt.
    fn dt(&self) -> f64;
    /// The control scale h = √Δt of (TPS-1).
    fn h(&self) -> f64 {
        self.dt().sqrt()
    }
    /// The temperature of the target path measure (K).
    fn reference_temperature(&self) -> f64;
    /// The dynamical state at the start configuration (velocities drawn at the reference
    /// temperature where the dynamics has them; tps-dps resets them so for every rollout).
    fn initial(&self, p: &dyn Potential, x0: &[f64], rng: &mut ChaCha20Rng) -> State;
    /// The control (noise units) whose O-step (or Euler) shift equals that of a force `f` acting
    /// for one step: F Δt/m = c_ref h u (underdamped), F Δt = s_ref h u (overdamped).
    fn force_to_control(&self, f: &[f64], u: &mut [f64]);
    /// One step at sampling temperature `temp` with control `u` and noise `xi` (both per
    /// coordinate); writes the reference innovation ξ' = h u + (s_T/s_ref) ξ into `xi_ref`.
    fn step(
        &self,
        p: &dyn Potential,
        s: &mut State,
        u: &[f64],
        xi: &[f64],
        temp: f64,
        xi_ref: &mut [f64],
    );
}

/// Underdamped Langevin dynamics in the OVRVO (VVVR) splitting of Sivak, Chodera & Crooks (2014),
/// with consecutive thermostat half-steps merged into one full O-step at the start of each step:
///
///   O: v ← a v + c_T ξ + c_ref h u,   a = e^{−γΔt}, c_T = √((1 − a²) k_B T/m)
///   V: v ← v + (Δt/2) F(x)/m;   R: x ← x + Δt v;   V: v ← v + (Δt/2) F(x)/m.
///
/// Over a path this is O(VRVO)…(VRV), i.e. OVRVO with the last half O-step left out and the first
/// one a full step; inside the path the chain is exactly OVRVO's. The velocity update of O is the
/// only random term, so a path is a one-to-one function of (v_0, ξ_0, …, ξ_{N−1}) and the control
/// u(x_k) shifts the mean of the O-step by c_ref h u_k: a bias force F_b = γ m c_ref h u/(1 − a) in
/// the limit γΔt → 0. Units: nm, ps, amu, kJ/mol, K.
#[derive(Clone, Debug)]
pub struct Underdamped {
    pub dt: f64,
    /// Friction γ (1/ps).
    pub gamma: f64,
    pub temperature: f64,
    /// Mass per coordinate.
    pub masses: Vec<f64>,
    /// k_B in the potential's energy unit per K.
    pub k_b: f64,
}

impl Underdamped {
    fn a(&self) -> f64 {
        (-self.gamma * self.dt).exp()
    }
    /// c_ref of coordinate i: the O-step's noise scale at the reference temperature.
    fn c_ref(&self, a: f64, i: usize) -> f64 {
        ((1.0 - a * a) * self.k_b * self.temperature / self.masses[i]).sqrt()
    }
}

impl ControlledDynamics for Underdamped {
    fn dt(&self) -> f64 {
        self.dt
    }
    fn force_to_control(&self, f: &[f64], u: &mut [f64]) {
        let a = self.a();
        for i in 0..f.len() {
            u[i] = f[i] * self.dt / (self.masses[i] * self.c_ref(a, i) * self.h());
        }
    }
    fn reference_temperature(&self) -> f64 {
        self.temperature
    }
    fn initial(&self, p: &dyn Potential, x0: &[f64], rng: &mut ChaCha20Rng) -> State {
        let v = thermal_velocities(&self.masses, self.temperature, rng);
        State::new(p, x0.to_vec(), v)
    }
    fn step(
        &self,
        p: &dyn Potential,
        s: &mut State,
        u: &[f64],
        xi: &[f64],
        temp: f64,
        xi_ref: &mut [f64],
    ) {
        let (a, h) = (self.a(), self.h());
        let ratio = (temp / self.temperature).sqrt();
        for i in 0..s.v.len() {
            xi_ref[i] = h * u[i] + ratio * xi[i];
            s.v[i] = a * s.v[i] + self.c_ref(a, i) * xi_ref[i];
        }
        verlet_step(p, s, &self.masses, self.dt);
    }
}

/// Overdamped Langevin dynamics, Euler–Maruyama with unit friction as in tps-dps's 2-D example:
///   x ← x + F(x) Δt + s_T ξ + s_ref h u,   s_T = √(2 k_B T Δt).
#[derive(Clone, Debug)]
pub struct Overdamped {
    pub dt: f64,
    pub temperature: f64,
    /// k_B in the potential's energy unit per K.
    pub k_b: f64,
}

impl Overdamped {
    /// s_ref = √(2 k_B T_ref Δt).
    fn s_ref(&self) -> f64 {
        (2.0 * self.k_b * self.temperature * self.dt).sqrt()
    }
}

impl ControlledDynamics for Overdamped {
    fn dt(&self) -> f64 {
        self.dt
    }
    fn force_to_control(&self, f: &[f64], u: &mut [f64]) {
        let s_ref = self.s_ref();
        for (u, f) in u.iter_mut().zip(f) {
            *u = f * self.dt / (s_ref * self.h());
        }
    }
    fn reference_temperature(&self) -> f64 {
        self.temperature
    }
    fn initial(&self, p: &dyn Potential, x0: &[f64], _rng: &mut ChaCha20Rng) -> State {
        State::new(p, x0.to_vec(), Vec::new())
    }
    fn step(
        &self,
        p: &dyn Potential,
        s: &mut State,
        u: &[f64],
        xi: &[f64],
        temp: f64,
        xi_ref: &mut [f64],
    ) {
        let s_ref = self.s_ref();
        let ratio = (temp / self.temperature).sqrt();
        for i in 0..s.x.len() {
            xi_ref[i] = self.h() * u[i] + ratio * xi[i];
            s.x[i] += s.f[i] * self.dt + s_ref * xi_ref[i];
        }
        s.energy = p.energy_forces(&s.x, &mut s.f);
    }
}
