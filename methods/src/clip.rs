//! Gradient clipping by the global norm over all parameters (App. E.1: "gradient clipping with
//! norm 1", as `torch.nn.utils.clip_grad_norm_` does in the peer codebases). burn's own
//! `GradientClipping::Norm` clips each parameter tensor separately, which is a different rule.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use socbench_harness::backend::B;
use socbench_harness::tensor_util::to_f64;

struct SquaredNorm<'a> {
    grads: &'a GradientsParams,
    sum: f64,
}

impl ModuleVisitor<B> for SquaredNorm<'_> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.get::<B, D>(p.id) {
            self.sum += to_f64(g.square().sum())[0];
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f64,
}

impl ModuleVisitor<B> for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<B, D>>) {
        if let Some(g) = self.grads.remove::<B, D>(p.id) {
            self.grads.register(p.id, g.mul_scalar(self.factor));
        }
    }
}

/// The global gradient norm ‖(∇θ_1, …, ∇θ_P)‖₂ over every float parameter of `module`.
pub fn global_norm<M: Module<B>>(module: &M, grads: &GradientsParams) -> f64 {
    let mut v = SquaredNorm { grads, sum: 0.0 };
    module.visit(&mut v);
    v.sum.sqrt()
}

/// Rescales all gradients by min(1, max_norm/‖∇θ‖) and returns the norm before clipping.
pub fn clip_global_norm<M: Module<B>>(
    module: &M,
    grads: &mut GradientsParams,
    max_norm: f64,
) -> f64 {
    let norm = global_norm(module, grads);
    if norm.is_finite() && norm > max_norm {
        let mut s = Scale {
            grads,
            factor: max_norm / (norm + 1e-6),
        };
        module.visit(&mut s);
    }
    norm
}
