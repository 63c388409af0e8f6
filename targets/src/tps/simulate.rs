//! Batched simulation of controlled paths, with what the losses and metrics need stored.

use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;

use super::TpsSystem;

/// `n` simulated paths of N steps of a system with `dim` coordinates, in f64.
#[derive(Clone, Debug, Default)]
pub struct PathSet {
    pub n: usize,
    pub steps: usize,
    pub dim: usize,
    /// x_0..x_N per path: [n, N + 1, dim] row-major.
    pub positions: Vec<f64>,
    /// The reference innovations ξ'_0..ξ'_{N−1} (TPS-1): [n, N, dim].
    pub xi_ref: Vec<f64>,
    /// log r per path (TPS-2): the best frame's log indicator; W = −log r.
    pub log_r: Vec<f64>,
    /// The best frame per path (tps-dps's truncation point).
    pub best: Vec<usize>,
    /// log dP^v/dP of the simulating control v (TPS-1), accumulated in f64.
    pub log_rnd: Vec<f64>,
    /// Potential energy per frame: [n, N + 1].
    pub energies: Vec<f64>,
    /// Potential-energy evaluations spent (one per path per step, plus the start).
    pub energy_evals: u64,
}

impl PathSet {
    /// Frame k of path i.
    pub fn frame(&self, i: usize, k: usize) -> &[f64] {
        let o = (i * (self.steps + 1) + k) * self.dim;
        &self.positions[o..o + self.dim]
    }
    /// Each path's collective variables ([`TpsSystem::cvs`]) from x_0 to its best frame, at
    /// about `frames` evenly spaced frames plus the best one: the paths of the reports' plots.
    pub fn cv_paths(&self, sys: &dyn TpsSystem, frames: usize) -> Vec<Vec<[f64; 2]>> {
        let stride = (self.steps / frames).max(1);
        (0..self.n)
            .map(|i| {
                (0..=self.best[i])
                    .step_by(stride)
                    .chain(std::iter::once(self.best[i]))
                    .map(|k| sys.cvs(self.frame(i, k)))
                    .collect()
            })
            .collect()
    }
    /// The work W = −log r per path.
    pub fn work(&self) -> Vec<f64> {
        self.log_r.iter().map(|l| -l).collect()
    }
    /// Appends the paths of `other` (same system).
    pub fn extend(&mut self, other: &PathSet) {
        if self.n == 0 {
            *self = other.clone();
            return;
        }
        assert_eq!((self.steps, self.dim), (other.steps, other.dim));
        self.n += other.n;
        self.positions.extend_from_slice(&other.positions);
        self.xi_ref.extend_from_slice(&other.xi_ref);
        self.log_r.extend_from_slice(&other.log_r);
        self.best.extend_from_slice(&other.best);
        self.log_rnd.extend_from_slice(&other.log_rnd);
        self.energies.extend_from_slice(&other.energies);
        self.energy_evals += other.energy_evals;
    }
}

/// Simulates `n` paths at sampling temperature `temp` under the control `u`, which maps the
/// positions of all paths at step k ([n, dim] row-major) to u_k ([n, dim], noise units). Draws
/// from `rng`: the initial velocities of every path, then ξ_k for all paths, step by step.
pub fn simulate(
    sys: &dyn TpsSystem,
    n: usize,
    temp: f64,
    u: &mut dyn FnMut(&[f64], usize) -> Vec<f64>,
    rng: &mut ChaCha20Rng,
) -> PathSet {
    let (dim, steps) = (sys.dim(), sys.steps());
    let dynamics = sys.dynamics();
    let h = dynamics.h();
    let mut states: Vec<_> = (0..n)
        .map(|_| dynamics.initial(sys.potential(), sys.start(), rng))
        .collect();
    let mut out = PathSet {
        n,
        steps,
        dim,
        positions: vec![0.0; n * (steps + 1) * dim],
        xi_ref: vec![0.0; n * steps * dim],
        log_r: vec![f64::NEG_INFINITY; n],
        best: vec![0; n],
        log_rnd: vec![0.0; n],
        energies: vec![0.0; n * (steps + 1)],
        energy_evals: n as u64 * (steps as u64 + 1),
    };
    let mut x = vec![0.0; n * dim];
    let mut xi = vec![0.0; dim];
    let mut xr = vec![0.0; dim];
    for k in 0..=steps {
        for (i, s) in states.iter().enumerate() {
            x[i * dim..(i + 1) * dim].copy_from_slice(&s.x);
            let o = (i * (steps + 1) + k) * dim;
            out.positions[o..o + dim].copy_from_slice(&s.x);
            out.energies[i * (steps + 1) + k] = s.energy;
            let lr = sys.log_indicator(&s.x);
            if lr > out.log_r[i] {
                out.log_r[i] = lr;
                out.best[i] = k;
            }
        }
        if k == steps {
            break;
        }
        let uk = u(&x, k);
        assert_eq!(uk.len(), n * dim, "the control returns [n, dim]");
        for (i, s) in states.iter_mut().enumerate() {
            for v in xi.iter_mut() {
                *v = rng.sample(StandardNormal);
            }
            let ui = &uk[i * dim..(i + 1) * dim];
            dynamics.step(sys.potential(), s, ui, &xi, temp, &mut xr);
            // (TPS-1) for the simulating control.
            let mut acc = 0.0;
            for (a, b) in ui.iter().zip(&xr) {
                acc += h * a * b - 0.5 * h * h * a * a;
            }
            out.log_rnd[i] += acc;
            let o = (i * steps + k) * dim;
            out.xi_ref[o..o + dim].copy_from_slice(&xr);
        }
    }
    out
}
