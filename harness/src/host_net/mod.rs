//! The control network of App. E.1 evaluated and differentiated on the CPU in socbench's own
//! kernels instead of burn's tensor graph.
//!
//! Why: on burn-flex each layer of a tracked pass is a dozen tensor operations, several of them
//! copies on one thread (the matrix product's output is allocated and copied once more for
//! alignment; the GELU's input is read out of the graph through three copies; binary ops run on
//! one thread), and the cores idle 24% of a gradient step (`docs/performance-notes.md`). Here a
//! layer is one matrix multiply and one fused, multi-threaded pass: bias + GELU + GELU' forward,
//! GELU' product + bias gradient backward. The parameter gradients of all of a step's
//! evaluations accumulate in place in the multiply (dst += Aᵀ·G).
//!
//! The maths is that of [`crate::network::ControlNet`] (eq. 52): u = f1(x, t) + f2(t)·base,
//! with the first layer of f1 split as [x, φ(t)] W + b = x W_x + (φ(t) W_t + b). Gradients with
//! respect to x are not computed: the host pass is used only where x is a constant
//! (detached states), see [`tape`].

mod kernels;
pub mod tape;

use crate::backend::B;
use burn::prelude::*;

use crate::network::ControlNet;
use kernels::{add_bias, add_scaled, bias_gelu, colsum, matmul, matmul_new, mul_colsum, Mat};

/// One Linear layer on the host: y = x W + b, W row-major [n_in, n_out] (burn's layout).
#[derive(Clone, Debug)]
pub struct HostLinear {
    pub w: Vec<f32>,
    pub b: Vec<f32>,
    pub n_in: usize,
    pub n_out: usize,
}

/// The parameters of a [`ControlNet`] copied to the host, in burn's layout.
#[derive(Clone, Debug)]
pub struct HostNet {
    pub f1: Vec<HostLinear>,
    pub f2: Vec<HostLinear>,
}

/// Gradients with respect to every parameter of a [`HostNet`] (same shapes), accumulated over
/// the evaluations of one step.
#[derive(Clone, Debug)]
pub struct HostGrads {
    pub f1: Vec<HostLinear>,
    pub f2: Vec<HostLinear>,
}

/// What the backward pass of one evaluation needs: the input, each hidden layer's output and
/// its GELU derivative, for f1 and for f2.
pub struct Activations {
    rows: usize,
    x: Vec<f32>,
    tf: Vec<f32>,
    f1: Hidden,
    f2: Hidden,
}

#[derive(Default)]
struct Hidden {
    y: Vec<Vec<f32>>,
    dy: Vec<Vec<f32>>,
}

fn host_vec<const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .into_vec()
        .expect("f32 parameters")
}

impl HostLinear {
    fn zeros_like(&self) -> Self {
        Self {
            w: vec![0.0; self.w.len()],
            b: vec![0.0; self.b.len()],
            ..*self
        }
    }
}

impl HostNet {
    /// Copies the parameters of `net` (about 0.3 M floats for the paper's network).
    pub fn from_net(net: &ControlNet<B>) -> Self {
        let layers = |ls: &[burn::nn::Linear<B>]| {
            ls.iter()
                .map(|l| {
                    let [n_in, n_out] = l.weight.val().dims();
                    HostLinear {
                        w: host_vec(l.weight.val()),
                        b: l.bias
                            .as_ref()
                            .map(|b| host_vec(b.val()))
                            .unwrap_or_else(|| vec![0.0; n_out]),
                        n_in,
                        n_out,
                    }
                })
                .collect()
        };
        Self {
            f1: layers(net.f1_layers()),
            f2: layers(net.f2_layers()),
        }
    }

    pub fn zero_grads(&self) -> HostGrads {
        HostGrads {
            f1: self.f1.iter().map(HostLinear::zeros_like).collect(),
            f2: self.f2.iter().map(HostLinear::zeros_like).collect(),
        }
    }

    /// (f1(x, t) [rows, d] row-major, f2(t)) for x [rows, d] and the time features φ(t) [2F];
    /// with `keep`, also what [`HostNet::backward`] needs.
    pub fn forward(
        &self,
        x: Vec<f32>,
        rows: usize,
        tf: Vec<f32>,
        keep: bool,
    ) -> (Vec<f32>, f32, Option<Activations>) {
        let first = &self.f1[0];
        let d = first.n_in - tf.len();
        assert_eq!(x.len(), rows * d, "x is not [rows, d]");
        // φ(t) W_t + b: the time features' share of the first layer, one row for all paths.
        let mut row = first.b.clone();
        for (i, &f) in tf.iter().enumerate() {
            add_scaled(
                &mut row,
                f,
                &first.w[(d + i) * first.n_out..(d + i + 1) * first.n_out],
            );
        }
        let w_x = &first.w[..d * first.n_out];
        let (f1, h1) = mlp_forward(w_x, &row, &self.f1[1..], &x, rows, d, keep);
        let (f2, h2) = mlp_forward(
            &self.f2[0].w,
            &self.f2[0].b,
            &self.f2[1..],
            &tf,
            1,
            tf.len(),
            keep,
        );
        let acts = keep.then_some(Activations {
            rows,
            x,
            tf,
            f1: h1,
            f2: h2,
        });
        (f1, f2[0], acts)
    }

    /// Adds to `grads` the parameter gradients of one evaluation, given ∂L/∂f1 [rows, d] and
    /// ∂L/∂f2.
    pub fn backward(&self, acts: &Activations, g1: Vec<f32>, g2: f32, grads: &mut HostGrads) {
        let first = &self.f1[0];
        let d = first.n_in - acts.tf.len();
        let (gf1_first, gf1_rest) = grads.f1.split_at_mut(1);
        let s = mlp_backward(
            &self.f1[1..],
            &acts.f1,
            &acts.x,
            acts.rows,
            d,
            g1,
            &mut gf1_first[0].w[..d * first.n_out],
            gf1_rest,
        );
        // The time features' rows of W and the bias: ∂/∂W_t = φ(t) ⊗ s, ∂/∂b = s.
        let gw = &mut gf1_first[0].w;
        for (i, &f) in acts.tf.iter().enumerate() {
            add_scaled(
                &mut gw[(d + i) * first.n_out..(d + i + 1) * first.n_out],
                f,
                &s,
            );
        }
        add_scaled(&mut gf1_first[0].b, 1.0, &s);
        let (gf2_first, gf2_rest) = grads.f2.split_at_mut(1);
        let s2 = mlp_backward(
            &self.f2[1..],
            &acts.f2,
            &acts.tf,
            1,
            acts.tf.len(),
            vec![g2],
            &mut gf2_first[0].w,
            gf2_rest,
        );
        add_scaled(&mut gf2_first[0].b, 1.0, &s2);
    }
}

/// An MLP pass: z_0 = input · w0 + b0, then for each layer of `rest` GELU and Linear
/// (no activation after the last). Returns the output [rows, n_out] and, with `keep`, the
/// hidden outputs and GELU derivatives.
fn mlp_forward(
    w0: &[f32],
    b0: &[f32],
    rest: &[HostLinear],
    input: &[f32],
    rows: usize,
    n_in: usize,
    keep: bool,
) -> (Vec<f32>, Hidden) {
    let mut hidden = Hidden::default();
    let n1 = b0.len();
    let mut z = matmul_new(rows, n1, n_in, Mat::rows(input, n_in), Mat::rows(w0, n1));
    let mut bias = b0;
    for l in rest {
        // GELU of the layer before (with its bias), then this layer's product.
        let dz = bias_gelu(&mut z, bias, keep);
        let next = matmul_new(
            rows,
            l.n_out,
            l.n_in,
            Mat::rows(&z, l.n_in),
            Mat::rows(&l.w, l.n_out),
        );
        if let Some(dz) = dz {
            hidden.y.push(std::mem::replace(&mut z, next));
            hidden.dy.push(dz);
        } else {
            z = next;
        }
        bias = &l.b;
    }
    add_bias(&mut z, bias);
    (z, hidden)
}

/// ∂L/∂(a layer's output) → ∂L/∂(its product before bias), through the GELU′ `dy` that followed
/// the layer (none after the last); returns the column sums, the layer's bias gradient.
fn through_gelu(g: &mut [f32], dy: Option<&Vec<f32>>, n: usize) -> Vec<f32> {
    match dy {
        Some(dy) => mul_colsum(g, dy, n),
        None => colsum(g, n),
    }
}

/// Backward through [`mlp_forward`] from ∂L/∂output `g`: adds the gradients of `rest` to
/// `grads_rest` and input-part gradient of the first weight to `gw0`; returns the first layer's
/// bias gradient (the column sums of ∂L/∂z_0), which the caller adds where it belongs.
#[allow(clippy::too_many_arguments)]
fn mlp_backward(
    rest: &[HostLinear],
    hidden: &Hidden,
    input: &[f32],
    rows: usize,
    n_in: usize,
    mut g: Vec<f32>,
    gw0: &mut [f32],
    grads_rest: &mut [HostLinear],
) -> Vec<f32> {
    assert_eq!(hidden.y.len(), rest.len(), "activations were not kept");
    for (j, l) in rest.iter().enumerate().rev() {
        let gl = &mut grads_rest[j];
        // No GELU follows the last layer: hidden.dy[j + 1] exists for the others only.
        let s = through_gelu(&mut g, hidden.dy.get(j + 1), l.n_out);
        add_scaled(&mut gl.b, 1.0, &s);
        let y = &hidden.y[j];
        matmul(
            l.n_in,
            l.n_out,
            rows,
            Mat::transposed(y, l.n_in),
            Mat::rows(&g, l.n_out),
            &mut gl.w,
            true,
        );
        g = matmul_new(
            rows,
            l.n_in,
            l.n_out,
            Mat::rows(&g, l.n_out),
            Mat::transposed(&l.w, l.n_out),
        );
    }
    let n1 = gw0.len() / n_in;
    let s = through_gelu(&mut g, hidden.dy.first(), n1);
    matmul(
        n_in,
        n1,
        rows,
        Mat::transposed(input, n_in),
        Mat::rows(&g, n1),
        gw0,
        true,
    );
    s
}
