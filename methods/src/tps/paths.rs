//! TPS paths in the form the registered losses take ([`PathBatch`] on a [`SocProblem`]).
//!
//! A path's frames x_0..x_{N−1} (where the control acts) are laid out as one row of N·dim
//! coordinates, its reference innovations ξ'_0..ξ'_{N−1} likewise, and the problem has a single
//! "step" with the constant h = √Δt. The losses' per-step sum Σ_k h(v_k − u_k)·ξ_k +
//! ½h²|v_k − u_k|² over that one step is then exactly (TPS-1) summed over the path's N steps, and
//! the network sees every frame of every path of a minibatch in one pass.
//!
//! A stored path is expressed against a base control v: ξ_k = ξ'_k − h v_k and log w = −W −
//! log dP^v/dP. With v = 0 (the reference dynamics) this needs no network pass and is exact for
//! every loss whose value does not depend on v at τ = 1 (LV, LV-logZ). The trust region's tilt
//! τ < 1 targets P^{u_i}^{1−τ} Q^τ, so there v = u_i, the frozen control of the current rollout:
//! paths of older rollouts in the replay buffer are re-based on it.

use socbench_harness::backend::Device;
use socbench_harness::control::Control;
use socbench_harness::counter::EvalCounter;
use socbench_harness::integrator::{StepCoeffs, StepGrid};
use socbench_harness::problem::{PathProblem, SocProblem};
use socbench_harness::tensor_util::{tensor2_from_f32, to_f64};
use socbench_targets::tps::{PathSet, TpsSystem};

use crate::paths::PathBatch;

/// One step of length N·Δt with control scale h = √Δt.
struct OneStep(StepCoeffs);

impl StepGrid for OneStep {
    fn num_steps(&self) -> usize {
        1
    }
    fn coeffs(&self, _k: usize) -> StepCoeffs {
        self.0
    }
}

/// The whole-path problem the losses see.
pub struct PathSpace {
    dim: usize,
    integ: OneStep,
    evals: EvalCounter,
}

impl PathSpace {
    pub fn new(sys: &dyn TpsSystem) -> Self {
        let n = sys.steps();
        let dt = sys.dynamics().dt();
        Self {
            dim: n * sys.dim(),
            integ: OneStep(StepCoeffs {
                t: 0.0,
                dt: n as f64 * dt,
                s: 1.0,
                h: sys.dynamics().h(),
            }),
            evals: EvalCounter::default(),
        }
    }
}

/// The losses' part of a problem only: TPS paths are second-order dynamics laid out as one row
/// per path, with no drift, costs or initial law the losses could simulate or differentiate
/// (`tps::train` accepts only losses on stored paths without adjoints, before any work).
impl PathProblem for PathSpace {
    fn dim(&self) -> usize {
        self.dim
    }
    fn sigma(&self, _t: f64) -> f64 {
        1.0
    }
    fn steps(&self) -> &dyn StepGrid {
        &self.integ
    }
    fn evals(&self) -> &EvalCounter {
        &self.evals
    }
    fn dynamics(&self) -> Option<&dyn SocProblem> {
        None
    }
}

/// One stored path: frames x_0..x_{N−1} and innovations ξ'_0..ξ'_{N−1}, each N·dim, and W.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StoredPath {
    pub x: Vec<f32>,
    pub xi: Vec<f32>,
    pub work: f64,
}

/// tps-dps's replay buffer: a FIFO ring of the last `capacity` paths (serialisable: a checkpoint
/// keeps it).
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct ReplayBuffer {
    pub capacity: usize,
    paths: Vec<StoredPath>,
    next: usize,
}

impl ReplayBuffer {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            paths: Vec::new(),
            next: 0,
        }
    }
    pub fn len(&self) -> usize {
        self.paths.len()
    }
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn add(&mut self, set: &PathSet) {
        let (n, dim) = (set.steps, set.dim);
        for i in 0..set.n {
            let o = i * (n + 1) * dim;
            let p = StoredPath {
                x: set.positions[o..o + n * dim]
                    .iter()
                    .map(|&v| v as f32)
                    .collect(),
                xi: set.xi_ref[i * n * dim..(i + 1) * n * dim]
                    .iter()
                    .map(|&v| v as f32)
                    .collect(),
                work: -set.log_r[i],
            };
            if self.paths.len() < self.capacity {
                self.paths.push(p);
            } else {
                self.paths[self.next] = p;
            }
            self.next = (self.next + 1) % self.capacity;
        }
    }

    /// The minibatch of paths `idx` against base control `base` (None: v = 0), as the losses
    /// take it.
    pub fn batch(
        &self,
        idx: &[usize],
        problem: &PathSpace,
        base: Option<&dyn Control>,
        device: &Device,
    ) -> PathBatch {
        let cols = problem.dim;
        let rows = idx.len();
        let gather = |f: fn(&StoredPath) -> &Vec<f32>| {
            let mut v = Vec::with_capacity(rows * cols);
            for &i in idx {
                v.extend_from_slice(f(&self.paths[i]));
            }
            tensor2_from_f32(v, rows, cols, device)
        };
        let x = gather(|p| &p.x);
        let xi_ref = gather(|p| &p.xi);
        let work: Vec<f64> = idx.iter().map(|&i| self.paths[i].work).collect();
        let h = problem.integ.0.h;
        let (noise, controls, log_w) = match base {
            None => (
                xi_ref.clone(),
                xi_ref.zeros_like(),
                work.iter().map(|w| -w).collect(),
            ),
            Some(v) => {
                let vk = v.eval_detached(x.clone(), 0.0).detach();
                // log dP^v/dP = Σ h v·ξ' − ½h²|v|² (TPS-1).
                let log_rnd = to_f64(
                    (vk.clone() * xi_ref.clone())
                        .sum_dim(1)
                        .mul_scalar(h)
                        .sub(vk.clone().square().sum_dim(1).mul_scalar(0.5 * h * h))
                        .reshape([rows]),
                );
                let noise = xi_ref - vk.clone().mul_scalar(h);
                let lw = work.iter().zip(&log_rnd).map(|(w, l)| -w - l).collect();
                (noise, vk, lw)
            }
        };
        PathBatch {
            states: vec![x],
            noise: vec![noise],
            controls: vec![controls],
            log_w,
            work: Some(work),
            adjoints: None,
            tracked_u: None,
        }
    }
}
