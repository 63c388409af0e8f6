//! Control L2 error (eq. 57): E[∫_0^T ½|u* − u|²(X^{u*}_s, s) ds], estimated on paths simulated
//! with u*. In the discrete scheme ds is h_k², so the estimate equals the exact discrete
//! KL(P^{u*} | P^u) of the two simulated processes (eq. 58–59): the stochastic term has mean 0.

use crate::backend::{Device, B};
use burn::prelude::*;
use rand_chacha::ChaCha20Rng;

use crate::control::Control;
use crate::problem::SocProblem;
use crate::rng::normals_f32;
use crate::tensor_util::{tensor2_from_f32, to_f64};

/// Per-path Σ_k ½ h_k² |u*(X_k) − u(X_k)|² on `n` paths of u*, averaged.
pub fn control_l2(
    problem: &dyn SocProblem,
    u_star: &dyn Control,
    u: &dyn Control,
    n: usize,
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> f64 {
    let d = problem.dim();
    let integ = problem.integrator();
    let mut x = problem.sample_initial(n, rng, device);
    let mut acc = Tensor::<B, 1>::zeros([n], device);
    for k in 0..integ.num_steps() {
        let c = integ.coeffs(k);
        let us = u_star.eval(x.clone(), c.t).detach();
        let ul = u.eval(x.clone(), c.t).detach();
        acc = acc
            + (us.clone() - ul)
                .square()
                .sum_dim(1)
                .reshape([n])
                .mul_scalar(0.5 * c.h * c.h);
        let xi = tensor2_from_f32(normals_f32(rng, n * d), n, d, device);
        x = (integ.mean(problem, x, k) + (us.mul_scalar(c.h) + xi).mul_scalar(c.s)).detach();
    }
    let v = to_f64(acc);
    v.iter().sum::<f64>() / v.len() as f64
}
