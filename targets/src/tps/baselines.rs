//! The classical baselines of Table 1, on the same systems, integrators and metrics:
//!
//! - **UMD**: unbiased dynamics at an elevated temperature (3600 K for alanine dipeptide in the
//!   paper), u = 0;
//! - **SMD**: steered MD, a harmonic restraint ½k|cv(x) − c(t)|² on the two steering coordinates
//!   whose centre moves linearly from the start's values to the target's over the path, at the
//!   reference temperature. The restraint force F acts through the O-step, as the velocity kick
//!   F Δt/m ([`ControlledDynamics::force_to_control`]). The centre moves along the straight line
//!   in (φ, ψ) (for alanine dipeptide: φ from −147° up through 0° to 60°, ψ from 159° down to
//!   −41°); the restraint's deviation is wrapped to (−π, π].
//!
//! tps-dps ships no code for either; the settings are ours and stated where they are chosen.

use rand_chacha::ChaCha20Rng;
use socbench_harness::error::TargetError;

use super::{simulate, ControlledDynamics, PathSet, TpsSystem};

/// `n` paths of unbiased dynamics at `temperature`.
pub fn umd(sys: &dyn TpsSystem, n: usize, temperature: f64, rng: &mut ChaCha20Rng) -> PathSet {
    simulate(sys, n, temperature, &mut |x, _k| vec![0.0; x.len()], rng)
}

/// `n` paths of steered MD with force constant `k` (energy unit per CV unit²) at the reference
/// temperature.
pub fn smd(
    sys: &dyn TpsSystem,
    n: usize,
    k: f64,
    rng: &mut ChaCha20Rng,
) -> Result<PathSet, TargetError> {
    let dim = sys.dim();
    let mut grads = vec![0.0; 2 * dim];
    let no_cvs = || TargetError::range("method", "smd", "a system with steering coordinates");
    let c0 = sys
        .steering_cvs(sys.start(), &mut grads)
        .ok_or_else(no_cvs)?;
    let c1 = sys
        .steering_cvs(sys.target(), &mut grads)
        .ok_or_else(no_cvs)?;
    let periodic = sys.steering_cvs_periodic();
    let steps = sys.steps() as f64;
    let dynamics: &dyn ControlledDynamics = sys.dynamics();
    let t_ref = dynamics.reference_temperature();
    let mut force = vec![0.0; dim];
    let mut u_one = vec![0.0; dim];
    let mut control = |x: &[f64], step: usize| -> Vec<f64> {
        let s = (step as f64 + 1.0) / steps;
        let mut out = Vec::with_capacity(x.len());
        for frame in x.chunks(dim) {
            let cv = sys.steering_cvs(frame, &mut grads).expect("checked above");
            force.iter_mut().for_each(|f| *f = 0.0);
            for j in 0..2 {
                let centre = c0[j] + (c1[j] - c0[j]) * s;
                let mut dev = cv[j] - centre;
                if periodic {
                    dev = (dev + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU)
                        - std::f64::consts::PI;
                }
                for (f, g) in force.iter_mut().zip(&grads[j * dim..(j + 1) * dim]) {
                    *f -= k * dev * g;
                }
            }
            dynamics.force_to_control(&force, &mut u_one);
            out.extend_from_slice(&u_one);
        }
        out
    };
    Ok(simulate(sys, n, t_ref, &mut control, rng))
}
