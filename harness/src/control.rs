//! Controls u(x, t): anything that maps a batch of states and a time to a batch of controls.

use crate::backend::B;
use burn::prelude::*;

pub trait Control {
    /// u(x, t) for x [B, d].
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2>;

    /// u(x, t) for states that are constants to autodiff (detached simulations, stored paths):
    /// the gradient flows to the control's parameters only. A network control then runs on the
    /// host where it can ([`crate::network::NetworkControl::taped`]). burn cannot tell a
    /// detached tensor from one inside a graph (`is_require_grad` is true for leaves only), so
    /// the caller says so by calling this instead of [`Control::eval`].
    fn eval_detached(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        self.eval(x, t)
    }
}

/// u ≡ 0: the uncontrolled reference process.
pub struct ZeroControl;

impl Control for ZeroControl {
    fn eval(&self, x: Tensor<B, 2>, _t: f64) -> Tensor<B, 2> {
        x.zeros_like()
    }
}
