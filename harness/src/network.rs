//! The control network of App. E.1: Fourier time features, a fully connected GELU network f1(x, t)
//! and a time-only network f2(t), combined as (eq. 52)
//!   u(x, t) = f1(x, t) + f2(t) · x/η²,
//! or, with Langevin preconditioning (eq. 53),
//!   u(x, t) = f1(x, t) + f2(t) · (x/η² + ∇log ρ(x)).
//! The last layers of f1 and f2 are zero-initialised so that u ≡ 0 at the start (u_0 = 0).
//!
//! The parametrisations of sde_sampler (arXiv 2307.01198; `NetConfig::param`) replace the base
//! term: `score` (PIS) u = f1 + f2(t)·clip(∇log ρ), f2 starting at 0.01; `lerp` (DIS)
//! u = f1 + σ(t) f2(t)·clip((1 − t/T)∇log p_prior + (t/T)∇log ρ) + σ(t)x/η², f2 starting at 1.
//! The last term changes the reference from sde_sampler's generative drift +ζx to the stationary
//! OU reference −ζx of our DIS problem (`socbench_targets::process`), so that the initial
//! control is the same process as sde_sampler's.

use crate::backend::{self, Device, B};
use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::module::linear;
use burn::tensor::TensorData;

use crate::activation::gelu;
use crate::benchmark::Benchmark;
use crate::control::Control;
use crate::host_net::tape::{self, Tape};
use crate::host_net::HostNet;
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use std::cell::OnceCell;

/// Shape of the control network. `depth` counts the Linear layers of f1 (the paper's
/// "6-layer, 256 units": 6 layers, 5 GELU hidden activations of width 256).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetConfig {
    pub width: usize,
    pub depth: usize,
    /// Number of Fourier frequencies F (features are sin and cos of each: 2F inputs).
    pub fourier: usize,
    /// Width of the hidden layer of f2.
    pub time_width: usize,
    /// Use the Langevin-preconditioned form (eq. 53).
    pub langevin: bool,
    /// The base term's form: `base` (eq. 52/53, the default), sde_sampler's `score` or `lerp`,
    /// or `native`: the one of the paper that introduced the problem's base process (PIS:
    /// score, DIS: lerp, DDS: base).
    #[serde(skip_serializing_if = "NetParam::is_base")]
    pub param: NetParam,
    /// Element-wise clip of the score term (sde_sampler's `clip_score`: 10 for PIS and DIS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clip_score: Option<f64>,
}

/// What f2(t) multiplies (module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetParam {
    #[default]
    Base,
    Score,
    Lerp,
    Native,
}

impl NetParam {
    pub fn is_base(&self) -> bool {
        *self == NetParam::Base
    }
    /// The initial value of f2 (the bias of its zero-initialised last layer): sde_sampler's
    /// `last_bias_init` of the score model.
    pub fn f2_init(&self) -> f64 {
        match self {
            NetParam::Score => 0.01,
            NetParam::Lerp => 1.0,
            NetParam::Base | NetParam::Native => 0.0,
        }
    }
}

impl NetConfig {
    /// This config with `native` replaced by the problem's parametrisation.
    pub fn for_problem(&self, problem: &dyn Benchmark) -> NetConfig {
        let mut c = self.clone();
        if c.param == NetParam::Native {
            c.param = problem.native_param();
        }
        c
    }
}

impl Default for NetConfig {
    /// The paper's network (App. E.1).
    fn default() -> Self {
        Self {
            width: 256,
            depth: 6,
            fourier: 64,
            time_width: 64,
            langevin: false,
            param: NetParam::Base,
            clip_score: None,
        }
    }
}

#[derive(Module, Debug)]
pub struct ControlNet<B: Backend> {
    f1: Vec<Linear<B>>,
    f2: Vec<Linear<B>>,
}

/// Fourier time features [sin(ω_i t), cos(ω_i t)], ω = linspace(0.1, 100, F) (as in the peer
/// codebases' PISGRADNet/FourierMLP), computed on the host for the scalar t: [1, 2F].
pub fn time_features(t: f64, f: usize, device: &Device) -> Tensor<B, 2> {
    let v = time_features_host(t, f);
    Tensor::from_data(TensorData::new(v, [1, 2 * f]), device)
}

/// The time features [sin(ω_i t), cos(ω_i t)] as a host vector [2F].
pub fn time_features_host(t: f64, f: usize) -> Vec<f32> {
    let omega = |i: usize| {
        if f > 1 {
            0.1 + (100.0 - 0.1) * i as f64 / (f - 1) as f64
        } else {
            1.0
        }
    };
    let sin = (0..f).map(|i| (omega(i) * t).sin() as f32);
    let cos = (0..f).map(|i| (omega(i) * t).cos() as f32);
    sin.chain(cos).collect()
}

/// Layers are drawn on the CPU (flex) from its seeded RNG and their values then put on `device`
/// (burn cannot move autodiff tensors between backends), so one seed gives the same network on
/// every device.
fn mlp(dims: &[usize], device: &Device) -> Vec<Linear<B>> {
    let n = dims.len() - 1;
    let on_device = |t: Tensor<B, 2>| Param::from_tensor(Tensor::from_data(t.into_data(), device));
    (0..n)
        .map(|i| {
            let mut c = LinearConfig::new(dims[i], dims[i + 1]);
            if i + 1 == n {
                c = c.with_initializer(Initializer::Zeros);
            }
            let l = c.init(&backend::flex());
            Linear {
                weight: on_device(l.weight.val()),
                bias: l
                    .bias
                    .map(|b| Param::from_tensor(Tensor::from_data(b.val().into_data(), device))),
            }
        })
        .collect()
}

/// Serialises network initialisations, which draw from burn-flex's global RNG.
fn init_lock() -> std::sync::MutexGuard<'static, ()> {
    static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());
    INIT.lock().unwrap_or_else(|e| e.into_inner())
}

/// The layers after the first: GELU on the input (the first layer's output), then Linear, GELU,
/// …, Linear (no activation after the last).
fn run_mlp(layers: &[Linear<B>], mut h: Tensor<B, 2>, tracked: bool) -> Tensor<B, 2> {
    for l in layers {
        h = l.forward(gelu(h, tracked));
    }
    h
}

/// The first layer of f1 on the input [x, φ(t)] (φ(t) the same row for every path), as
///   [x, φ(t)] W + b = x W_x + (φ(t) W_t + b),   W = [W_x; W_t] split by rows,
/// so the time features' product is taken once per call instead of once per row: 2B·2F·W fewer
/// FLOPs (10% of the network's at d = 50) and no [B, d + 2F] concatenation.
fn first_layer(l: &Linear<B>, x: Tensor<B, 2>, tf: Tensor<B, 2>) -> Tensor<B, 2> {
    let [_, d] = x.dims();
    let [_, f2] = tf.dims();
    let w = l.weight.val();
    let w_x = w.clone().narrow(0, 0, d);
    let w_t = w.narrow(0, d, f2);
    let row = linear(tf, w_t, l.bias.as_ref().map(|b| b.val()));
    linear(x, w_x, None) + row
}

impl ControlNet<B> {
    /// Parameters are drawn from the seeded RNG of the CPU device (`backend::seed(&flex(), …)`)
    /// whatever `device` is, then moved there: the same seed gives the same initial network on
    /// flex, ndarray and CUDA.
    pub fn new(d: usize, cfg: &NetConfig, device: &Device) -> Self {
        let _guard = init_lock();
        Self::build(d, cfg, device)
    }

    /// [`ControlNet::new`] with the CPU RNG seeded by `seed` first, as one step: burn-flex keeps
    /// a single process-wide RNG, so without the lock two runs starting together (`replicate
    /// --jobs 2` runs cells on threads) could draw from each other's seeded stream.
    pub fn seeded(d: usize, cfg: &NetConfig, device: &Device, seed: u64) -> Self {
        let _guard = init_lock();
        backend::seed(&backend::flex(), seed);
        Self::build(d, cfg, device)
    }

    fn build(d: usize, cfg: &NetConfig, device: &Device) -> Self {
        assert!(cfg.depth >= 2, "depth >= 2");
        let mut dims = vec![d + 2 * cfg.fourier];
        dims.extend(std::iter::repeat_n(cfg.width, cfg.depth - 1));
        dims.push(d);
        // f1 first: the layers draw from burn-flex's seeded RNG in this order, and every
        // earlier run's initial parameters depend on it.
        let f1 = mlp(&dims, device);
        let mut f2 = mlp(&[2 * cfg.fourier, cfg.time_width, 1], device);
        let init = cfg.param.f2_init();
        if init != 0.0 {
            let last = f2.last_mut().expect("two layers");
            last.bias = Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(vec![init as f32], [1]),
                device,
            )));
        }
        Self { f1, f2 }
    }

    /// u(x, t) = f1(x, t) + f2(t) · base, with `base` = x/η² (eq. 52) or x/η² + ∇log ρ (eq. 53).
    /// `t_unit` is t/T ∈ [0, 1].
    ///
    /// A frozen network (`no_grad()`) is a constant to autodiff: its GELUs skip the derivative.
    /// Its output is differentiable in x only when x (or `base`) is a leaf that requires grad;
    /// a gradient with respect to x through a frozen network from an intermediate x would be
    /// zero. Nothing in socbench takes one (detached simulations and the previous-control KL
    /// use frozen networks on detached states).
    pub fn forward(
        &self,
        x: Tensor<B, 2>,
        t_unit: f64,
        fourier: usize,
        base: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        if self.runs_on_host(&x, &base) {
            return forward_host(&HostNet::from_net(self), x, t_unit, fourier, base);
        }
        self.forward_burn(x, t_unit, fourier, base)
    }

    /// Whether `forward` takes the host pass: a frozen network on constant inputs, on a device
    /// where [`tape::enabled`].
    fn runs_on_host(&self, x: &Tensor<B, 2>, base: &Tensor<B, 2>) -> bool {
        !self.needs_graph(x, base) && tape::enabled(&x.device())
    }

    /// Whether the output must carry a gradient: tracked parameters, or an input that is a leaf
    /// requiring grad.
    fn needs_graph(&self, x: &Tensor<B, 2>, base: &Tensor<B, 2>) -> bool {
        self.tracked() || x.is_require_grad() || base.is_require_grad()
    }

    /// `forward` through burn's tensor graph, whatever the device (the reference the host pass
    /// is tested against).
    pub fn forward_burn(
        &self,
        x: Tensor<B, 2>,
        t_unit: f64,
        fourier: usize,
        base: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let tracked = self.needs_graph(&x, &base);
        let tf = time_features(t_unit, fourier, &x.device());
        let h = first_layer(&self.f1[0], x, tf.clone());
        let f2 = run_mlp(&self.f2[1..], self.f2[0].forward(tf), tracked);
        run_mlp(&self.f1[1..], h, tracked) + base * f2
    }

    pub(crate) fn f1_layers(&self) -> &[Linear<B>] {
        &self.f1
    }
    pub(crate) fn f2_layers(&self) -> &[Linear<B>] {
        &self.f2
    }

    /// Whether the parameters require gradients (false after `no_grad()`, and on a device
    /// without autodiff).
    pub fn tracked(&self) -> bool {
        self.f1[0].weight.val().is_require_grad()
    }
}

/// `forward` of a frozen network on the host (`crate::host_net`): one matrix multiply and one
/// fused bias + GELU pass per layer.
fn forward_host(
    host: &HostNet,
    x: Tensor<B, 2>,
    t_unit: f64,
    fourier: usize,
    base: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [rows, d] = x.dims();
    let device = x.device();
    let x = x
        .into_data()
        .convert::<f32>()
        .into_vec()
        .expect("f32 states");
    let (f1, f2, _) = host.forward(x, rows, time_features_host(t_unit, fourier), false);
    Tensor::<B, 2>::from_data(TensorData::new(f1, [rows, d]), &device) + base.mul_scalar(f2)
}

/// A network used as the control of a problem (base term x/η² for DDS sampling, x for LQR).
pub struct NetworkControl<'a> {
    net: ControlNet<B>,
    pub cfg: NetConfig,
    pub problem: &'a dyn Benchmark,
    /// With a tape, tracked evaluations on detached states run on the host
    /// ([`crate::host_net::tape`]) and the loss must be differentiated with
    /// [`NetworkControl::gradients`]. Without one, they go through burn's graph.
    tape: Option<Tape>,
    /// The parameters on the host for frozen evaluations, copied at the first one.
    host: OnceCell<HostNet>,
}

impl<'a> NetworkControl<'a> {
    /// A control whose tracked evaluations go through burn's graph (frozen ones run on the host
    /// where [`tape::enabled`]).
    pub fn new(net: ControlNet<B>, cfg: NetConfig, problem: &'a dyn Benchmark) -> Self {
        Self {
            net,
            cfg,
            problem,
            tape: None,
            host: OnceCell::new(),
        }
    }

    pub fn net(&self) -> &ControlNet<B> {
        &self.net
    }

    /// Replaces the network (after an optimiser step): the host copy of the parameters and any
    /// recorded evaluations belong to the old one and are dropped.
    pub fn set_net(&mut self, net: ControlNet<B>) {
        self.net = net;
        self.host = OnceCell::new();
        if let Some(tape) = &self.tape {
            tape.clear();
        }
    }

    /// A control whose tracked evaluations on detached states run on the host where
    /// [`tape::enabled`]; differentiate its losses with [`NetworkControl::gradients`].
    pub fn taped(net: ControlNet<B>, cfg: NetConfig, problem: &'a dyn Benchmark) -> Self {
        Self {
            tape: Some(Tape::default()),
            ..Self::new(net, cfg, problem)
        }
    }

    /// The parameter gradients of a loss on this control's evaluations, from its backward pass.
    pub fn gradients(&self, grads: <B as AutodiffBackend>::Gradients) -> GradientsParams {
        match &self.tape {
            Some(tape) => tape.gradients(&self.net, grads),
            None => GradientsParams::from_grads(grads, &self.net),
        }
    }

    /// The term f2(t) multiplies (module doc), and the fixed term added to the output.
    fn base(&self, x: &Tensor<B, 2>, t: f64) -> (Tensor<B, 2>, Option<Tensor<B, 2>>) {
        let score = || {
            let s = self
                .problem
                .score(x.clone().detach())
                .expect("this parametrisation needs a target density (checked by train)");
            match self.cfg.clip_score {
                Some(c) => s.clamp(-c, c),
                None => s,
            }
        };
        let c = self.problem.base_scale();
        match self.cfg.param {
            NetParam::Base | NetParam::Native => {
                let mut base = x.clone().mul_scalar(c);
                if self.cfg.langevin {
                    base = base + score();
                }
                (base, None)
            }
            NetParam::Score => (score(), None),
            NetParam::Lerp => {
                let a = t / self.problem.horizon();
                let sigma = self.problem.sigma(t);
                // ∇log p_prior = −x/η² for the Gaussian prior N(0, η²I).
                let lerp = x.clone().mul_scalar(-c * (1.0 - a)) + score().mul_scalar(a);
                let lerp = match self.cfg.clip_score {
                    Some(b) => lerp.clamp(-b, b),
                    None => lerp,
                };
                (
                    lerp.mul_scalar(sigma),
                    Some(x.clone().mul_scalar(sigma * c).detach()),
                )
            }
        }
    }
}

impl Control for NetworkControl<'_> {
    fn eval(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        let (base, offset) = self.base(&x, t);
        let t_unit = t / self.problem.horizon();
        let u = if self.net.runs_on_host(&x, &base) {
            let host = self.host.get_or_init(|| HostNet::from_net(&self.net));
            forward_host(host, x, t_unit, self.cfg.fourier, base)
        } else {
            self.net.forward_burn(x, t_unit, self.cfg.fourier, base)
        };
        match offset {
            Some(o) => u + o,
            None => u,
        }
    }

    fn eval_detached(&self, x: Tensor<B, 2>, t: f64) -> Tensor<B, 2> {
        if let Some(tape) = &self.tape {
            if self.net.tracked() && tape::enabled(&x.device()) {
                let (base, offset) = self.base(&x, t);
                let t_unit = t / self.problem.horizon();
                let u = tape.eval(
                    &self.net,
                    x.detach(),
                    t_unit,
                    self.cfg.fourier,
                    base.detach(),
                );
                return match offset {
                    Some(o) => u + o,
                    None => u,
                };
            }
        }
        self.eval(x, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: Tensor<B, 2>) -> Vec<f32> {
        t.into_data().convert::<f32>().into_vec().unwrap()
    }

    fn max_diff(a: Tensor<B, 2>, b: Tensor<B, 2>) -> f32 {
        rows(a)
            .iter()
            .zip(rows(b))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    }

    /// The split first layer equals the Linear layer on the concatenated input [x, φ(t)], in
    /// value and in its parameter gradients.
    #[test]
    fn first_layer_split_equals_the_concatenated_input() {
        let (b, d, f2, w) = (37, 5, 16, 24);
        let ad = backend::autodiff(&backend::flex());
        let l = LinearConfig::new(d + f2, w).init::<B>(&ad);
        let x = Tensor::<B, 2>::random([b, d], burn::tensor::Distribution::Default, &ad);
        let tf = time_features(0.37, f2 / 2, &ad);
        let split = first_layer(&l, x.clone(), tf.clone());
        let whole = l.forward(Tensor::cat(vec![x, tf.expand([b, f2])], 1));
        assert!(max_diff(split.clone(), whole.clone()) < 1e-5);
        let probe = Tensor::<B, 2>::random([b, w], burn::tensor::Distribution::Default, &ad);
        let grad_w = |y: Tensor<B, 2>| {
            let g = (y * probe.clone()).sum().backward();
            let gw = l.weight.grad(&g).unwrap();
            let gb = l.bias.as_ref().unwrap().grad(&g).unwrap();
            (gw, gb)
        };
        let (sw, sb) = grad_w(split);
        let (ww, wb) = grad_w(whole);
        assert!(max_diff(Tensor::from_inner(sw), Tensor::from_inner(ww)) < 1e-4);
        assert!(
            max_diff(
                Tensor::from_inner(sb).unsqueeze(),
                Tensor::from_inner(wb).unsqueeze()
            ) < 1e-4
        );
    }
}
