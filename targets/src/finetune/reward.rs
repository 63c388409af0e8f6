//! The reward (the ImageReward analog): r(x, c) = log p(c | x) + γ·ink(x), with p the reward
//! classifier and ink(x) the mean pixel intensity in [0, 1] ((x + 1)/2 averaged over the 64
//! pixels), a stroke-thickness term the base model does not maximise.

use burn::prelude::*;
use socbench_harness::backend::B;

use super::classifier::log_prob_of;
use super::mlp::Mlp;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardConfig {
    /// γ, the weight of the ink term.
    pub ink_weight: f64,
}

impl Default for RewardConfig {
    fn default() -> Self {
        Self { ink_weight: 4.0 }
    }
}

/// Mean pixel intensity in [0, 1] per row of images [n, 64] (model space [−1, 1]).
pub fn ink(x: Tensor<B, 2>) -> Tensor<B, 1> {
    let n = x.dims()[0];
    (x.mean_dim(1).reshape([n]) + 1.0).mul_scalar(0.5)
}

/// (r, log p(c|x), ink) per row for images [n, 64] and classes [n, 1].
pub fn reward_parts(
    clf: &Mlp<B>,
    cfg: &RewardConfig,
    x: Tensor<B, 2>,
    labels: Tensor<B, 2>,
) -> (Tensor<B, 1>, Tensor<B, 1>, Tensor<B, 1>) {
    let lp = log_prob_of(clf.forward(x.clone()), labels);
    let k = ink(x);
    (lp.clone() + k.clone().mul_scalar(cfg.ink_weight), lp, k)
}
