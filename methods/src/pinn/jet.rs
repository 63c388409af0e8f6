//! Exact derivatives of a smooth MLP in x and t by forward jets.
//!
//! burn 0.21 differentiates in reverse mode to first order only (burn issue #1942), and a PDE
//! residual needs ∂_t V, ∇V, ΔV and div μ *inside* the loss whose parameter gradient trains the
//! networks. So the derivatives in (x, t) are pushed forward through the network as ordinary
//! tensors (a jet per layer: the value, ∂_t, the K directional derivatives along the probe
//! directions v_1…v_K and the sum of the K second directional derivatives), and burn's reverse
//! mode differentiates the result with respect to the parameters.
//!
//! Per layer, for z ↦ a = zW + b: a, ∂_t a = (∂_t z)W, ∂_v a = (∂_v z)W, Σ∂²_v a = (Σ∂²_v z)W;
//! for a ↦ h = tanh(a), with s₁ = 1 − h² and s₂ = −2h·s₁:
//!   ∂_t h = s₁ ∂_t a,  ∂_v h = s₁ ∂_v a,  Σ_k ∂²_{v_k} h = s₁ Σ_k ∂²_{v_k} a + s₂ Σ_k (∂_{v_k} a)².
//! With v_k = e_k (k = 1…d) the directional derivatives are the Jacobian in x and the sum of
//! second derivatives is the Laplacian, exactly. With K Rademacher probes (Hutchinson) the
//! same jet gives unbiased estimates of traces: Σ_k v_kᵀ J v_k / K for div μ.

use burn::module::{Module, Param};
use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::tensor_util::tensor2_from_f32;

/// A tanh MLP on the input [x, t/T] (the time scaled to [0, 1]).
#[derive(Module, Debug)]
pub struct JetMlp<B: Backend> {
    /// Weights [n_in, n_out] per layer.
    pub weights: Vec<Param<Tensor<B, 2>>>,
    pub biases: Vec<Param<Tensor<B, 1>>>,
}

/// The probe directions of a jet in x.
#[derive(Clone, Debug)]
pub enum Directions {
    /// v_k = e_k, k = 1…d: exact Jacobians and Laplacians.
    Exact,
    /// K probes per point, [N, K, d] (Hutchinson: Rademacher entries).
    Probes(Tensor<B, 3>),
    /// No x-derivatives (value and ∂_t only).
    None,
}

/// The jet of a network's output [N, o] at N points.
#[derive(Clone, Debug)]
pub struct Jet {
    pub val: Tensor<B, 2>,
    /// ∂_t (in the network's own time, t ∈ [0, T]).
    pub dt: Tensor<B, 2>,
    /// ∂_{v_k}: [N, K, o]; `None` without directions.
    pub dv: Option<Tensor<B, 3>>,
    /// Σ_k ∂²_{v_k}: [N, o]; `None` without directions.
    pub d2: Option<Tensor<B, 2>>,
}

impl JetMlp<B> {
    /// Layer sizes `dims` = [d + 1, hidden…, o], U(±1/√fan_in) weights drawn from `rng`; the last
    /// layer is scaled by `last_scale` (0: the network starts at zero).
    pub fn seeded(dims: &[usize], last_scale: f64, device: &Device, rng: &mut ChaCha20Rng) -> Self {
        let n = dims.len() - 1;
        let mut weights = Vec::new();
        let mut biases = Vec::new();
        for (i, w) in dims.windows(2).enumerate() {
            let (din, dout) = (w[0], w[1]);
            let k = 1.0 / (din as f64).sqrt();
            let s = if i + 1 == n { last_scale } else { 1.0 };
            let mut u = |m: usize| -> Vec<f32> {
                (0..m)
                    .map(|_| (s * rng.random_range(-k..k)) as f32)
                    .collect()
            };
            let (wv, bv) = (u(din * dout), u(dout));
            weights.push(Param::from_tensor(tensor2_from_f32(wv, din, dout, device)));
            biases.push(Param::from_tensor(Tensor::from_data(
                TensorData::new(bv, [dout]),
                device,
            )));
        }
        Self { weights, biases }
    }

    /// The input dimension d (the network reads [x, t/T]).
    pub fn dim(&self) -> usize {
        self.weights[0].dims()[0] - 1
    }

    /// The value only, at points x [N, d] and times t [N, 1] (t ∈ [0, T]).
    pub fn forward(&self, x: Tensor<B, 2>, t: Tensor<B, 2>, horizon: f64) -> Tensor<B, 2> {
        let mut h = Tensor::cat(vec![x, t.div_scalar(horizon)], 1);
        let n = self.weights.len();
        for i in 0..n {
            h = h.matmul(self.weights[i].val()) + self.biases[i].val().unsqueeze_dim(0);
            if i + 1 < n {
                h = h.tanh();
            }
        }
        h
    }

    /// The jet at x [N, d], t [N, 1] along `dirs`.
    pub fn jet(&self, x: Tensor<B, 2>, t: Tensor<B, 2>, horizon: f64, dirs: &Directions) -> Jet {
        let [npts, d] = x.dims();
        let w0 = self.weights[0].val();
        let wx = w0.clone().narrow(0, 0, d);
        let wt = w0.narrow(0, d, 1);
        let width = wx.dims()[1];
        // The first layer: a = x W_x + (t/T) w_t + b.
        let val = x.clone().matmul(wx.clone())
            + t.matmul(wt.clone()).div_scalar(horizon)
            + self.biases[0].val().unsqueeze_dim(0);
        let dt = wt.div_scalar(horizon).expand([npts, width]);
        let dv = match dirs {
            Directions::Exact => Some(wx.unsqueeze_dim::<3>(0).expand([npts, d, width])),
            Directions::Probes(v) => {
                let [_, k, _] = v.dims();
                Some(
                    v.clone()
                        .reshape([npts * k, d])
                        .matmul(wx)
                        .reshape([npts, k, width]),
                )
            }
            Directions::None => None,
        };
        let d2 = dv.as_ref().map(|_| val.zeros_like());
        let mut jet = Jet { val, dt, dv, d2 };
        for i in 1..self.weights.len() {
            jet = jet
                .tanh()
                .linear(self.weights[i].val(), self.biases[i].val());
        }
        jet
    }
}

impl Jet {
    /// h = tanh(a) on the jet (module docs).
    fn tanh(self) -> Jet {
        let h = self.val.tanh();
        let s1 = h.clone().square().neg().add_scalar(1.0);
        let s2 = h.clone().mul(s1.clone()).mul_scalar(-2.0);
        let d2 = match (&self.d2, &self.dv) {
            (Some(d2), Some(dv)) => {
                let sq = dv.clone().square().sum_dim(1).squeeze_dim::<2>(1);
                Some(s1.clone() * d2.clone() + s2 * sq)
            }
            _ => None,
        };
        let dv = self.dv.map(|dv| dv * s1.clone().unsqueeze_dim::<3>(1));
        Jet {
            dt: self.dt * s1,
            val: h,
            dv,
            d2,
        }
    }

    /// a = zW + b on the jet.
    fn linear(self, w: Tensor<B, 2>, b: Tensor<B, 1>) -> Jet {
        let dv = self.dv.map(|dv| {
            let [n, k, m] = dv.dims();
            let o = w.dims()[1];
            dv.reshape([n * k, m]).matmul(w.clone()).reshape([n, k, o])
        });
        Jet {
            val: self.val.matmul(w.clone()) + b.unsqueeze_dim(0),
            dt: self.dt.matmul(w.clone()),
            d2: self.d2.map(|d2| d2.matmul(w)),
            dv,
        }
    }

    /// For a scalar network (o = 1) with exact directions: the gradient in x, [N, d].
    pub fn grad(&self) -> Tensor<B, 2> {
        let dv = self.dv.clone().expect("the jet has no x-directions");
        let [n, k, _] = dv.dims();
        dv.reshape([n, k])
    }

    /// For a scalar network: Σ_k ∂²_{v_k} (the Laplacian with exact directions), [N].
    pub fn second(&self) -> Tensor<B, 1> {
        let d2 = self.d2.clone().expect("the jet has no x-directions");
        let n = d2.dims()[0];
        d2.reshape([n])
    }

    /// For a vector field (o = d): Σ_k v_kᵀ ∂_{v_k} μ, the divergence with exact directions
    /// (the Jacobian's diagonal) or K times the Hutchinson estimate with probes `v` [N, K, d].
    pub fn div_sum(&self, dirs: &Directions) -> Tensor<B, 1> {
        let dv = self.dv.clone().expect("the jet has no x-directions");
        let [n, k, _] = dv.dims();
        match dirs {
            Directions::Exact => {
                let eye: Tensor<B, 2> = Tensor::eye(k, &dv.device());
                (dv * eye.unsqueeze_dim::<3>(0))
                    .sum_dim(2)
                    .sum_dim(1)
                    .reshape([n])
            }
            Directions::Probes(v) => (dv * v.clone()).sum_dim(2).sum_dim(1).reshape([n]),
            Directions::None => panic!("div_sum needs directions"),
        }
    }
}
