//! A method is a loss plus a trainer. The [`Loss`] trait is what a new method implements; the
//! trainers ([`crate::train`]) are the on-policy loop and Algorithm 2's trust region, which wraps
//! any loss that is valid on stored paths (`LossSpec::buffer`). `docs/extending.md` walks
//! through adding one.

use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use socbench_harness::backend::B;
use socbench_harness::control::Control;
use socbench_harness::problem::PathProblem;
use socbench_harness::simulate::Trajectories;

use crate::config::TrainConfig;
use crate::paths::PathBatch;

/// The gradients of one backward pass (burn's autodiff).
pub type Gradients = <B as AutodiffBackend>::Gradients;

/// How the on-policy trainer simulates the paths a loss is computed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simulation {
    /// Differentiable through the SDE: the states keep the autodiff graph of u (RE, eq. 46).
    /// The loss gets [`Batch::Differentiable`]. Such a loss cannot be wrapped by the trust
    /// region (its paths cannot be stored and reweighted).
    Differentiable,
    /// Detached states with u_k = u(X_k, t_k) tracked: the loss gets [`Batch::Paths`] (a
    /// [`PathBatch`] with log w, noise and controls). Under the trust region the same loss gets
    /// minibatches of the stored buffer instead.
    Detached,
}

/// What a loss needs from its trainer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    pub simulation: Simulation,
    /// Lean adjoints a_{k+1} (eq. 18) on every batch, scaled by [`Tilt::beta`] (AM, SOCM). The
    /// default [`Loss::prepare`] computes them.
    pub adjoints: bool,
    /// The fast host network pass (`socbench_harness::host_net`) may serve the loss's
    /// evaluations of u. Set it to false for a loss that needs something the host pass does not
    /// implement; the trainer then uses burn's graph for every pass (same values, slower).
    /// Evaluations on states that require grad take burn's graph anyway.
    pub host_network: bool,
}

impl Needs {
    /// Detached paths, no adjoints, host network allowed: what LV and CE need.
    pub const PATHS: Needs = Needs {
        simulation: Simulation::Detached,
        adjoints: false,
        host_network: true,
    };
}

/// The tilt of a batch's importance weights. Under the trust region τ = 1/(1+λ_i) (eq. 12: the
/// weights w^τ target P^{u*_{β_{i+1}}}) and β = β_{i+1} (Algorithm 2's annealing); on-policy
/// τ = β = 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tilt {
    pub tau: f64,
    pub beta: f64,
}

impl Tilt {
    pub const ON_POLICY: Tilt = Tilt {
        tau: 1.0,
        beta: 1.0,
    };
}

/// The paths a loss is computed on (see [`Simulation`]).
pub enum Batch<'a> {
    Differentiable(&'a Trajectories),
    Paths(&'a PathBatch),
}

impl<'a> Batch<'a> {
    /// The stored paths, or the error of loss `name` given the other kind.
    pub fn paths(self, name: &str) -> Result<&'a PathBatch, String> {
        match self {
            Batch::Paths(b) => Ok(b),
            Batch::Differentiable(_) => Err(wrong_batch(name, Simulation::Detached)),
        }
    }
    /// The differentiable simulation, or the error of loss `name` given the other kind.
    pub fn differentiable(self, name: &str) -> Result<&'a Trajectories, String> {
        match self {
            Batch::Differentiable(t) => Ok(t),
            Batch::Paths(_) => Err(wrong_batch(name, Simulation::Differentiable)),
        }
    }
}

/// Which trainer runs a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trainer {
    /// A fresh batch of u's own paths per gradient step.
    OnPolicy,
    /// Algorithm 2: a buffer per refresh, the dual for λ_i, minibatch steps on the tilted weights.
    TrustRegion,
}

/// A training objective for the control u. One value per run: it may keep state between steps
/// (a running normaliser, trainable parameters of its own).
pub trait Loss {
    fn needs(&self) -> Needs;

    /// Once per on-policy batch, or once per trust-region buffer refresh, before the loss: may
    /// add per-path quantities to the batch or change the tilt. The default computes the lean
    /// adjoints at β when [`Needs::adjoints`].
    /// Problems of stored paths only ([`PathProblem::dynamics`] `None`) have no adjoints: their
    /// trainers accept only losses that need none (`tps::train` checks before any work).
    fn prepare(&mut self, batch: &mut PathBatch, problem: &dyn PathProblem, tilt: &mut Tilt) {
        if let (true, Some(dynamics)) = (self.needs().adjoints, problem.dynamics()) {
            batch.compute_adjoints(dynamics, tilt.beta);
        }
    }

    /// The scalar loss whose gradient with respect to u's parameters trains u. `Err` names what
    /// is wrong with the input (a batch of the kind the loss did not ask for).
    fn loss(
        &mut self,
        batch: Batch<'_>,
        problem: &dyn PathProblem,
        u: &dyn Control,
        tilt: Tilt,
    ) -> Result<Tensor<B, 1>, String>;

    /// Steps the loss's own trainable parameters (a learned log Z, …) from the backward pass of
    /// the last loss, before the control's parameters take theirs. Take the gradients of your
    /// parameters out of `grads` (`GradientsParams::from_module`). Default: none.
    fn step_own_params(&mut self, _grads: &mut Gradients, _lr: f64) {}

    /// Metrics of the loss's own, recorded at every evaluation as extra `history.csv` columns
    /// (lv-logz: its learned log Z). The standard metrics apply to every method; each is left
    /// empty where the problem lacks its ground truth. Default: none.
    fn metrics(&self) -> Vec<(&'static str, f64)> {
        Vec::new()
    }

    /// The loss's own state between steps (a running normaliser, learned parameters and their
    /// optimiser), for checkpoints (`crate::checkpoint`). Default: none.
    fn save_state(&self) -> Result<Vec<u8>, String> {
        Ok(Vec::new())
    }

    /// Restores what [`Loss::save_state`] saved.
    fn load_state(
        &mut self,
        _state: &[u8],
        _device: &socbench_harness::backend::Device,
    ) -> Result<(), String> {
        Ok(())
    }
}

/// A registered loss: its name, what it is, whether the trust region may wrap it, and how to
/// build it for a run.
pub struct LossSpec {
    /// The method name of the on-policy form; the trust-region form is `tr-<name>`.
    pub name: &'static str,
    /// One line for `socbench methods` and the guide.
    pub summary: &'static str,
    /// Valid on stored paths of an earlier control, reweighted by w^τ: the trust region wraps it
    /// as `tr-<name>` (Algorithm 2).
    pub buffer: bool,
    /// At τ = 1 the loss depends on a stored path only through log w + log dP^v/dP^u =
    /// −W − log dP^u/dP, not on which control v (or temperature) sampled it: LV and LV-logZ.
    /// Such a loss trains on a replay buffer of mixed samplers without importance weights, which
    /// tps-dps's loop (`crate::tps`) requires; a weighted loss (CE, SOCM) would need every
    /// buffered path's sampling density.
    pub sampler_free: bool,
    /// Config fields this loss reads beyond the common ones (e.g. `tr.socm_weights`): any other
    /// method given a non-default value of such a field is rejected.
    pub reads: &'static [&'static str],
    pub build: fn(&TrainConfig, Trainer) -> Box<dyn Loss>,
}

/// A loss without state of its own on stored paths, given as a function of (batch, problem, u,
/// tilt): LV, CE and AM are one line each with it.
pub struct PathLossFn {
    pub name: &'static str,
    pub needs: Needs,
    pub f: fn(&PathBatch, &dyn PathProblem, &dyn Control, Tilt) -> Tensor<B, 1>,
}

impl Loss for PathLossFn {
    fn needs(&self) -> Needs {
        self.needs
    }
    fn loss(
        &mut self,
        batch: Batch<'_>,
        problem: &dyn PathProblem,
        u: &dyn Control,
        tilt: Tilt,
    ) -> Result<Tensor<B, 1>, String> {
        Ok((self.f)(batch.paths(self.name)?, problem, u, tilt))
    }
}

/// The error of a loss given a batch of the other kind.
fn wrong_batch(loss: &str, wanted: Simulation) -> String {
    format!("loss `{loss}` asked for {wanted:?} paths and got the other kind (check its needs())")
}
