//! The control of the fine-tuning problem: the fine-tuned network minus the base network.
//! With b_net = ½β X − β ε̂_net/√(1 − ᾱ) and σ = √β (Cor. 3.1: the fine-tuned drift is b + σu),
//!   u(x, s) = (b_ft − b_base)/σ = −√β (ε̂_ft − ε̂_base)/√(1 − ᾱ),
//! zero on the condition coordinate. The fine-tuned network starts as a copy of the base
//! network, so u starts at 0 and the first rollouts are the base model's.

use burn::prelude::*;
use socbench_harness::backend::B;
use socbench_harness::control::Control;
use socbench_targets::finetune::denoiser::Denoiser;
use socbench_targets::finetune::problem::{pad, split_state, FineTuneProblem};

pub struct FineTuneControl<'a> {
    /// The fine-tuned ε-network (trainable).
    pub net: Denoiser<B>,
    pub problem: &'a FineTuneProblem<'a>,
}

impl<'a> FineTuneControl<'a> {
    /// A copy of the problem's base network, trainable: every parameter gets an autodiff node of
    /// its own, shared with nothing else (the base network is untracked).
    pub fn from_base(problem: &'a FineTuneProblem<'a>) -> Self {
        Self {
            net: problem.base.clone().map(&mut Fresh),
            problem,
        }
    }

    /// A copy whose parameters are out of the autodiff graph (for rollouts).
    pub fn frozen(&self) -> FineTuneControl<'a> {
        Self {
            net: self.net.clone().no_grad(),
            problem: self.problem,
        }
    }

    /// The fine-tuned model's guided ε̂ at SOC time s (the sampler's ε-function).
    pub fn eps(&self, img: Tensor<B, 2>, t: f64, labels: Tensor<B, 2>) -> Tensor<B, 2> {
        self.net
            .guided(img, t, labels, self.problem.sampler.guidance)
    }
}

/// Gives every float parameter a fresh autodiff node of its own (same values, same ids):
/// `detach` then `require_grad`.
struct Fresh;

impl burn::module::ModuleMapper<B> for Fresh {
    fn map_float<const D: usize>(
        &mut self,
        param: burn::module::Param<Tensor<B, D>>,
    ) -> burn::module::Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        burn::module::Param::from_mapped_value(id, tensor.detach().require_grad(), mapper)
    }
}

impl Control for FineTuneControl<'_> {
    fn eval(&self, x: Tensor<B, 2>, s: f64) -> Tensor<B, 2> {
        let p = self.problem;
        let (img, lab) = split_state(x);
        let t = p.sched.diffusion_time(s);
        let e_ft = self.eps(img.clone(), t, lab.clone());
        let e_base = p.base_eps(img, s, lab).detach();
        let (_, ce) = p.sched.drift_coeffs(s, 1.0);
        pad((e_ft - e_base).mul_scalar(ce / p.sched.sigma(s, 1.0)))
    }
}
