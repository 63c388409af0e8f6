//! Host network passes inside burn's autodiff.
//!
//! A tracked evaluation u = f1(x, t) + f2(t)·base on detached states runs on the host
//! ([`HostNet::forward`], activations kept), and hands burn two leaves that require grad: F1
//! (the value of f1) and F2 (of f2), returning F1 + base·F2. After `loss.backward()`,
//! [`Tape::gradients`] reads ∂L/∂F1 and ∂L/∂F2 of every recorded evaluation, runs
//! [`HostNet::backward`] on each and adds the parameter gradients to those burn found (none,
//! unless some evaluation took burn's path, e.g. on tracked states). The result is the gradient
//! of the same loss; `tests/host_network.rs` checks it against burn's own graph.
//!
//! A tape belongs to one parameter version: every taped loss must be differentiated with
//! [`Tape::gradients`] (which empties the tape) before the network's parameters change.

use std::cell::RefCell;
use std::sync::OnceLock;

use crate::backend::{self, Device, B};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::TensorData;

use super::{host_vec, Activations, HostGrads, HostNet};
use crate::network::{time_features_host, ControlNet};

/// The environment variable that sends every network pass through burn's graph
/// (`SOCBENCH_NET=burn`), for A/B measurements and cross-checks.
pub const ENV: &str = "SOCBENCH_NET";

/// Whether network passes on `device` may run on the host: burn-flex, with or without autodiff
/// (the ndarray device keeps burn's path, so the backend benchmark compares backends), unless
/// `SOCBENCH_NET=burn` (read once per process: this is asked at every evaluation).
pub fn enabled(device: &Device) -> bool {
    static HOST: OnceLock<bool> = OnceLock::new();
    let allowed = *HOST.get_or_init(|| std::env::var(ENV).map_or(true, |v| v != "burn"));
    allowed && matches!(backend::without_autodiff(device), Device::Flex(_))
}

struct Record {
    acts: Activations,
    f1: Tensor<B, 2>,
    f2: Tensor<B, 2>,
}

#[derive(Default)]
struct State {
    net: Option<HostNet>,
    records: Vec<Record>,
}

/// The host evaluations of one loss, for its backward pass.
#[derive(Default)]
pub struct Tape {
    state: RefCell<State>,
}

impl Tape {
    /// u = f1(x, t) + f2(t)·base with x and base constants to autodiff and `net` tracked.
    pub fn eval(
        &self,
        net: &ControlNet<B>,
        x: Tensor<B, 2>,
        t_unit: f64,
        fourier: usize,
        base: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let mut state = self.state.borrow_mut();
        let host = state.net.get_or_insert_with(|| HostNet::from_net(net));
        let [rows, d] = x.dims();
        let device = x.device();
        let tf = time_features_host(t_unit, fourier);
        let (f1, f2, acts) = host.forward(host_vec(x), rows, tf, true);
        let f1 = Tensor::<B, 2>::from_data(TensorData::new(f1, [rows, d]), &device).require_grad();
        let f2 =
            Tensor::<B, 2>::from_data(TensorData::new(vec![f2], [1, 1]), &device).require_grad();
        state.records.push(Record {
            acts: acts.expect("kept"),
            f1: f1.clone(),
            f2: f2.clone(),
        });
        f1 + base * f2
    }

    /// The gradients of `net`'s parameters from the backward pass `grads` of a loss whose
    /// evaluations of `net` this tape recorded (and any that took burn's path). Empties the tape.
    pub fn gradients(
        &self,
        net: &ControlNet<B>,
        grads: <B as AutodiffBackend>::Gradients,
    ) -> GradientsParams {
        let state = std::mem::take(&mut *self.state.borrow_mut());
        let host = state.net.map(|host| {
            let mut acc = host.zero_grads();
            for r in state.records {
                let (Some(g1), g2) = (r.f1.grad(&grads), r.f2.grad(&grads)) else {
                    continue;
                };
                let g2 = g2.map_or(0.0, |g| host_vec(g)[0]);
                host.backward(&r.acts, host_vec(g1), g2, &mut acc);
            }
            acc
        });
        let mut params = GradientsParams::from_grads(grads, net);
        if let Some(acc) = host {
            add_host_grads(net, acc, &mut params);
        }
        params
    }

    /// Forgets the recorded evaluations (for a loss that will not be differentiated).
    pub fn clear(&self) {
        *self.state.borrow_mut() = State::default();
    }
}

/// params[θ] += acc[θ] for every parameter (registering it where burn found none).
fn add_host_grads(net: &ControlNet<B>, acc: HostGrads, params: &mut GradientsParams) {
    let device = net.f1_layers()[0].weight.val().device();
    let pairs = net
        .f1_layers()
        .iter()
        .zip(acc.f1)
        .chain(net.f2_layers().iter().zip(acc.f2));
    for (layer, g) in pairs {
        let w = Tensor::<B, 2>::from_data(TensorData::new(g.w, [g.n_in, g.n_out]), &device).inner();
        add(params, layer.weight.id, w);
        if let Some(bias) = &layer.bias {
            let b = Tensor::<B, 1>::from_data(TensorData::new(g.b, [g.n_out]), &device).inner();
            add(params, bias.id, b);
        }
    }
}

fn add<const D: usize>(params: &mut GradientsParams, id: burn::module::ParamId, g: Tensor<B, D>) {
    let total = match params.remove::<B, D>(id) {
        Some(burn) => burn + g,
        None => g,
    };
    params.register(id, total);
}
