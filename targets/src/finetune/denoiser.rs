//! The base model: a class-conditional ε-prediction network ε_θ(x_t, t, c) on 8×8 images, with
//! classifier-free guidance. The class c enters one-hot over 11 slots; slot 10 is the null class
//! ("no prompt") that pretraining drops labels to, so that
//!   ε̂ = ε(x, t, c) + w (ε(x, t, c) − ε(x, t, ∅))            (classifier-free guidance)
//! is available at any guidance weight w.

use burn::prelude::*;
use socbench_harness::backend::{Device, B};
use socbench_harness::network::time_features_host;
use socbench_harness::tensor_util::{tensor2_from_f32, to_f64};

use super::mlp::Mlp;
use crate::digits::{CLASSES, PIXELS};

/// The null class (unconditional branch).
pub const NULL_CLASS: usize = CLASSES;
/// Frequencies of the time features (2 × this many inputs).
pub const TIME_FREQS: usize = 8;

/// [n, 1] class indices (as floats) to [n, CLASSES + 1] one-hot (built on the host: labels are
/// constants, and a comparison's bool tensor would leave the autodiff device).
pub fn one_hot(labels: Tensor<B, 2>) -> Tensor<B, 2> {
    let n = labels.dims()[0];
    let device = labels.device();
    let mut v = vec![0f32; n * (CLASSES + 1)];
    for (i, c) in to_f64(labels).into_iter().enumerate() {
        let c = c.round().clamp(0.0, NULL_CLASS as f64) as usize;
        v[i * (CLASSES + 1) + c] = 1.0;
    }
    tensor2_from_f32(v, n, CLASSES + 1, &device)
}

/// [n, 1] labels from host class indices.
pub fn label_column(classes: &[usize], device: &Device) -> Tensor<B, 2> {
    let v: Vec<f32> = classes.iter().map(|&c| c as f32).collect();
    tensor2_from_f32(v, classes.len(), 1, device)
}

#[derive(Module, Debug)]
pub struct Denoiser<B: Backend> {
    pub net: Mlp<B>,
}

impl Denoiser<B> {
    /// Input width: pixels, time features, one-hot class.
    pub fn input_dim() -> usize {
        PIXELS + 2 * TIME_FREQS + CLASSES + 1
    }

    pub fn new(net: Mlp<B>) -> Self {
        Self { net }
    }

    /// ε_θ(x, t_row, c) with one diffusion time per row (pretraining).
    pub fn eps_rows(&self, x: Tensor<B, 2>, ts: &[f64], onehot: Tensor<B, 2>) -> Tensor<B, 2> {
        let n = ts.len();
        let tf: Vec<f32> = ts
            .iter()
            .flat_map(|&t| time_features_host(t, TIME_FREQS))
            .collect();
        let tf = tensor2_from_f32(tf, n, 2 * TIME_FREQS, &x.device());
        self.net.forward(Tensor::cat(vec![x, tf, onehot], 1))
    }

    /// ε_θ(x, t, c) at one diffusion time t.
    pub fn eps(&self, x: Tensor<B, 2>, t: f64, onehot: Tensor<B, 2>) -> Tensor<B, 2> {
        let n = x.dims()[0];
        let tf = tensor2_from_f32(
            time_features_host(t, TIME_FREQS),
            1,
            2 * TIME_FREQS,
            &x.device(),
        )
        .repeat_dim(0, n);
        self.net.forward(Tensor::cat(vec![x, tf, onehot], 1))
    }

    /// The guided ε̂ for classes `labels` ([n, 1]) at guidance weight `w` (one pass of 2n rows).
    pub fn guided(&self, x: Tensor<B, 2>, t: f64, labels: Tensor<B, 2>, w: f64) -> Tensor<B, 2> {
        let n = x.dims()[0];
        let cond = one_hot(labels);
        if w == 0.0 {
            return self.eps(x, t, cond);
        }
        let null = label_column(&vec![NULL_CLASS; n], &x.device());
        let both = self.eps(
            Tensor::cat(vec![x.clone(), x], 0),
            t,
            Tensor::cat(vec![cond, one_hot(null)], 0),
        );
        let c = both.clone().narrow(0, 0, n);
        let u = both.narrow(0, n, n);
        c.clone() + (c - u).mul_scalar(w)
    }
}
