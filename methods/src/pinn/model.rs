//! The networks of a PINN method and its residuals (the dynamical-systems talk, "Attempt I:
//! PDE perspective", and its PINN slide):
//!   R_logFP = ∂_tV + div μ + ∇V·μ − ½σ²‖∇V‖² − ½σ²ΔV,   R_logCE = ∂_tV + div μ + ∇V·μ,
//!   R_HJB = ∂_tΦ + ½‖∇Φ‖² (+ ½σ²ΔΦ for the Schrödinger bridge),
//! with V(·, t) = τ log ρ − L(τ) + (1 − τ) log p_prior + τ(1 − τ) φ(·, t), τ = t/T, where
//! L(τ) = τ log z(t) is learned as a polynomial Σ_{j≥1} c_j τ^j (so L(1) = log Z at the optimum).

use burn::module::{Module, Param};
use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::tensor_util::{tensor1_from_f64, tensor2_from_f64};
use socbench_targets::Target;

use super::config::PinnConfig;
use super::jet::{Directions, Jet, JetMlp};
use super::spec::{Density, Drift, Dynamics, PinnMethod};

/// The trainable parts: μ (Drift::Net), φ (Density::Learned), Φ (Drift::Potential) and L's
/// coefficients.
#[derive(Module, Debug)]
pub struct PinnModel<B: Backend> {
    pub mu: Option<JetMlp<B>>,
    pub phi: Option<JetMlp<B>>,
    pub pot: Option<JetMlp<B>>,
    pub logz: Param<Tensor<B, 1>>,
}

/// The fixed context of a residual: the method and the constants of the problem.
#[derive(Clone, Copy)]
pub struct Setting<'a> {
    pub method: PinnMethod,
    pub cfg: &'a PinnConfig,
    pub d: usize,
}

/// log ρ, ∇ log ρ and Δ log ρ of the target at `n` points (f64, closed form).
pub struct TargetTerms {
    pub logp: Vec<f64>,
    pub grad: Vec<f64>,
    pub lap: Vec<f64>,
}

impl TargetTerms {
    pub fn at(target: &dyn Target, xs: &[f64]) -> Result<Self, String> {
        let d = target.dim();
        let n = xs.len() / d;
        let (mut logp, mut grad, mut lap) = (Vec::with_capacity(n), Vec::new(), Vec::new());
        for x in xs.chunks_exact(d) {
            let (l, g, a) = target.log_density_jet(x).ok_or_else(|| {
                format!(
                    "target `{}` has no closed-form Laplacian of log ρ (Target::log_density_jet), \
                     which the PINN residuals need",
                    target.name()
                )
            })?;
            logp.push(l);
            grad.extend(g);
            lap.push(a);
        }
        Ok(Self { logp, grad, lap })
    }
}

/// Everything a residual or a sampler needs of V and μ at a batch of points.
pub struct Fields {
    pub v_dt: Tensor<B, 1>,
    pub v_grad: Tensor<B, 2>,
    pub v_lap: Tensor<B, 1>,
    pub mu: Tensor<B, 2>,
    pub div_mu: Tensor<B, 1>,
    /// R_HJB for Drift::Potential.
    pub hjb: Option<Tensor<B, 1>>,
}

impl PinnModel<B> {
    /// Fresh networks for `method` on dimension `d`, drawn from `rng` in a fixed order (μ, φ, Φ):
    /// the same seed gives every method that has a network the same one.
    pub fn new(s: Setting, device: &Device, rng: &mut ChaCha20Rng) -> Self {
        let spec = s.method.spec();
        let mut dims = vec![s.d + 1];
        dims.extend(std::iter::repeat_n(s.cfg.width, s.cfg.depth));
        let net = |out: usize, last: f64, rng: &mut ChaCha20Rng| {
            let mut dm = dims.clone();
            dm.push(out);
            JetMlp::seeded(&dm, last, device, rng)
        };
        let mu = net(s.d, 0.1, rng);
        let phi = net(1, 0.1, rng);
        let pot = net(1, 0.1, rng);
        Self {
            mu: (spec.drift == Drift::Net).then_some(mu),
            phi: (spec.density == Density::Learned).then_some(phi),
            pot: (spec.drift == Drift::Potential).then_some(pot),
            logz: Param::from_tensor(Tensor::zeros([s.cfg.logz_degree], device)),
        }
    }

    /// dL/dτ at τ [N] (V's time derivative reads only the slope of L).
    fn log_norm_slope(&self, tau: Tensor<B, 1>) -> Tensor<B, 1> {
        let c = self.logz.val();
        let j = c.dims()[0];
        let n = tau.dims()[0];
        let mut dl = tau.zeros_like();
        let mut pow = tau.ones_like(); // τ^{k−1}
        for k in 1..=j {
            let ck = c.clone().narrow(0, k - 1, 1).expand([n]);
            dl = dl + pow.clone().mul(ck).mul_scalar(k as f64);
            pow = pow.mul(tau.clone());
        }
        dl
    }

    /// The model's own log Z estimate L(1).
    pub fn log_z(&self) -> f64 {
        self.logz.val().sum().into_scalar().elem::<f64>()
    }

    /// V's derivatives and μ (with div μ) at points `x` [N, d] (f64, row-major), times `t` [N].
    pub fn fields(
        &self,
        s: Setting,
        xs: &[f64],
        ts: &[f64],
        terms: &TargetTerms,
        dirs: &Directions,
        device: &Device,
    ) -> Fields {
        let (d, cfg) = (s.d, s.cfg);
        let n = ts.len();
        let horizon = cfg.horizon;
        let s2 = cfg.prior_std * cfg.prior_std;
        let x = tensor2_from_f64(xs, n, d, device);
        let t = tensor2_from_f64(ts, n, 1, device);
        let tau = tensor1_from_f64(ts, device).div_scalar(horizon);
        let one_m = tau.clone().neg().add_scalar(1.0);
        let lr = tensor1_from_f64(&terms.logp, device);
        let glr = tensor2_from_f64(&terms.grad, n, d, device);
        let llr = tensor1_from_f64(&terms.lap, device);
        // The prior N(0, s²I): log p, ∇ log p = −x/s², Δ log p = −d/s².
        let lp0 = x
            .clone()
            .square()
            .sum_dim(1)
            .reshape([n])
            .div_scalar(-2.0 * s2)
            .sub_scalar(0.5 * d as f64 * (2.0 * std::f64::consts::PI * s2).ln());
        let glp0 = x.clone().div_scalar(-s2);
        let col = |a: &Tensor<B, 1>| a.clone().unsqueeze_dim::<2>(1);
        let dl = self.log_norm_slope(tau.clone());
        let mut v_dt = (lr - lp0 - dl).div_scalar(horizon);
        let mut v_grad = glr * col(&tau) + glp0 * col(&one_m);
        let mut v_lap = llr * tau.clone() + one_m.clone().mul_scalar(-(d as f64) / s2);
        if let Some(phi) = &self.phi {
            let j = phi.jet(x.clone(), t.clone(), horizon, &Directions::Exact);
            let b = tau.clone() * one_m.clone(); // τ(1 − τ)
            let db = tau
                .clone()
                .mul_scalar(-2.0)
                .add_scalar(1.0)
                .div_scalar(horizon);
            let val = j.val.clone().reshape([n]);
            let dt = j.dt.clone().reshape([n]);
            v_dt = v_dt + val * db + dt * b.clone();
            v_grad = v_grad + j.grad() * col(&b);
            v_lap = v_lap + j.second() * b;
        }
        let (mu, div_mu, hjb) = self.drift(s, x, t, Some((&v_grad, &v_lap)), dirs);
        Fields {
            v_dt,
            v_grad,
            v_lap,
            mu,
            div_mu,
            hjb,
        }
    }

    /// μ and div μ at points `xs`, times `ts`, for the drifts that do not read V (a network,
    /// ∇Φ): what the ODE sampler needs, without V's terms.
    pub fn drift_only(
        &self,
        s: Setting,
        xs: &[f64],
        ts: &[f64],
        device: &Device,
    ) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let n = ts.len();
        let x = tensor2_from_f64(xs, n, s.d, device);
        let t = tensor2_from_f64(ts, n, 1, device);
        let (mu, div, _) = self.drift(s, x, t, None, &Directions::Exact);
        (mu, div)
    }

    /// μ, div μ and R_HJB (∇Φ drifts) at x [N, d], t [N, 1]; `v` = (∇V, ΔV), which only the
    /// score drift reads.
    fn drift(
        &self,
        s: Setting,
        x: Tensor<B, 2>,
        t: Tensor<B, 2>,
        v: Option<(&Tensor<B, 2>, &Tensor<B, 1>)>,
        dirs: &Directions,
    ) -> (Tensor<B, 2>, Tensor<B, 1>, Option<Tensor<B, 1>>) {
        let (d, cfg) = (s.d, s.cfg);
        let n = x.dims()[0];
        let horizon = cfg.horizon;
        let s2 = cfg.prior_std * cfg.prior_std;
        let sig2 = cfg.sigma * cfg.sigma;
        match s.method.spec().drift {
            Drift::Net => {
                let j = self
                    .mu
                    .as_ref()
                    .expect("μ network")
                    .jet(x, t, horizon, dirs);
                let div = match dirs {
                    Directions::Probes(v) => j.div_sum(dirs).div_scalar(v.dims()[1] as f64),
                    _ => j.div_sum(dirs),
                };
                (j.val, div, None)
            }
            Drift::Score => {
                let (v_grad, v_lap) = v.expect("the score drift reads V's gradient and Laplacian");
                let mu = v_grad.clone().mul_scalar(sig2) + x.mul_scalar(sig2 / (2.0 * s2));
                let div = v_lap
                    .clone()
                    .mul_scalar(sig2)
                    .add_scalar(sig2 * d as f64 / (2.0 * s2));
                (mu, div, None)
            }
            Drift::Potential => {
                let j: Jet =
                    self.pot
                        .as_ref()
                        .expect("Φ network")
                        .jet(x, t, horizon, &Directions::Exact);
                let g = j.grad();
                let lap = j.second();
                let mut hjb =
                    j.dt.reshape([n]) + g.clone().square().sum_dim(1).reshape([n]).mul_scalar(0.5);
                if s.method.spec().dynamics == Dynamics::Sde {
                    hjb = hjb + lap.clone().mul_scalar(0.5 * sig2);
                }
                (g, lap, Some(hjb))
            }
        }
    }

    /// The PINN loss mean(R²) (+ mean(R_HJB²)) at collocation points.
    pub fn loss(&self, s: Setting, f: &Fields) -> Tensor<B, 1> {
        let mut loss = residual(s, f).square().mean();
        if let Some(h) = &f.hjb {
            loss = loss + h.clone().square().mean();
        }
        loss
    }
}

/// R_logFP (SDE forms) or R_logCE (ODE forms) of the fields, per point [N].
pub fn residual(s: Setting, f: &Fields) -> Tensor<B, 1> {
    let n = f.div_mu.dims()[0];
    let transport = (f.v_grad.clone() * f.mu.clone()).sum_dim(1).reshape([n]);
    let mut r = f.v_dt.clone() + f.div_mu.clone() + transport;
    if s.method.stochastic() {
        let sig2 = s.cfg.sigma * s.cfg.sigma;
        let sq = f.v_grad.clone().square().sum_dim(1).reshape([n]);
        r = r - sq.mul_scalar(0.5 * sig2) - f.v_lap.clone().mul_scalar(0.5 * sig2);
    }
    r
}
