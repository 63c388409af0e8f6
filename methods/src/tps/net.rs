//! The bias network of tps-dps (`BiasForce`, its "force" form): an MLP with ReLU on the
//! Kabsch-aligned configuration and each atom's distance to the target, whose output (one vector
//! per atom in the aligned frame) is rotated back to the lab frame. Here its output is the control
//! u in noise units (TPS-1), so the bias force it stands for is a fixed multiple of it.

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::relu;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::control::Control;
use socbench_harness::tensor_util::tensor2_from_f32;
use socbench_targets::tps::TpsSystem;

/// The MLP.
#[derive(Module, Debug)]
pub struct BiasNet<B: Backend> {
    pub layers: Vec<Linear<B>>,
}

fn uniform(rng: &mut ChaCha20Rng, n: usize, k: f64) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-k..k) as f32).collect()
}

impl BiasNet<B> {
    /// PyTorch's default initialisation U(−1/√fan_in, 1/√fan_in) drawn from `rng` (so the same
    /// seed gives the same network in every method and on every device), except the output
    /// layer, which starts at zero: the first rollout is the unbiased dynamics.
    pub fn seeded(dims: &[usize], device: &Device, rng: &mut ChaCha20Rng) -> Self {
        let n = dims.len() - 1;
        let layers = (0..n)
            .map(|i| {
                let (din, dout) = (dims[i], dims[i + 1]);
                let k = 1.0 / (din as f64).sqrt();
                let (w, b) = if i + 1 == n {
                    (vec![0.0; din * dout], vec![0.0; dout])
                } else {
                    (uniform(rng, din * dout, k), uniform(rng, dout, k))
                };
                Linear {
                    weight: Param::from_tensor(tensor2_from_f32(w, din, dout, device)),
                    bias: Some(Param::from_tensor(Tensor::from_data(
                        TensorData::new(b, [dout]),
                        device,
                    ))),
                }
            })
            .collect();
        Self { layers }
    }

    pub fn forward(&self, mut h: Tensor<B, 2>) -> Tensor<B, 2> {
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            h = l.forward(h);
            if i + 1 < n {
                h = relu(h);
            }
        }
        h
    }
}

/// u(x) of a [`BiasNet`] on a system: features and rotations on the host, the network in burn.
pub struct BiasControl<'a> {
    pub net: BiasNet<B>,
    pub sys: &'a dyn TpsSystem,
}

impl BiasControl<'_> {
    /// u for `frames` configurations ([frames, dim] row-major, f64) as a tensor [frames, dim].
    pub fn on_frames(&self, x: &[f64], frames: usize, device: &Device) -> Tensor<B, 2> {
        let dim = self.sys.dim();
        let fdim = self.sys.feature_dim();
        let mut feats = Vec::with_capacity(frames * fdim);
        let mut rots: Vec<f32> = Vec::new();
        for f in 0..frames {
            if let Some(r) = self.sys.features(&x[f * dim..(f + 1) * dim], &mut feats) {
                // Row vectors: lab_row = y_row · rotᵀ; store rotᵀ row-major.
                for i in 0..3 {
                    for j in 0..3 {
                        rots.push(r[(j, i)] as f32);
                    }
                }
            }
        }
        let out = self
            .net
            .forward(tensor2_from_f32(feats, frames, fdim, device));
        if rots.is_empty() {
            return out;
        }
        let rot = Tensor::<B, 3>::from_data(TensorData::new(rots, [frames, 3, 3]), device);
        out.reshape([frames, dim / 3, 3])
            .matmul(rot)
            .reshape([frames, dim])
    }

    /// u at the positions of n paths ([n, dim] f64), on the host: the simulator's control.
    pub fn host(&self, x: &[f64], device: &Device) -> Vec<f64> {
        let frames = x.len() / self.sys.dim();
        let t = self.on_frames(x, frames, device);
        t.into_data()
            .convert::<f64>()
            .into_vec()
            .expect("f64 controls")
    }
}

impl Control for BiasControl<'_> {
    /// x [B, L·dim]: L frames per row (a whole path in `tps::paths`); u of every frame, same
    /// shape. Time does not enter (tps-dps's bias is time-independent).
    fn eval(&self, x: Tensor<B, 2>, _t: f64) -> Tensor<B, 2> {
        let [rows, cols] = x.dims();
        let device = x.device();
        let frames = rows * cols / self.sys.dim();
        let host: Vec<f64> = x
            .into_data()
            .convert::<f64>()
            .into_vec()
            .expect("f64 states");
        self.on_frames(&host, frames, &device).reshape([rows, cols])
    }
}
