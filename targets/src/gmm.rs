//! Gaussian mixture targets p(x) = Σ_k π_k N(x | μ_k, Σ_k) (eq. 54), with the analytic marginals
//! of the DDS target path measure (eq. 55): for the OU reference with α(t) = exp(−∫_t^T ζ) and
//! prior N(0, η²I),
//!   Q_t(x) = Σ_k π_k N(x | α μ_k, α² Σ_k + η²(1 − α²) I).
//! Covariances are stored as Σ_k = V_k diag(λ_k) V_kᵀ with orthogonal V_k, so every Q_t is
//! evaluated without a factorisation: only λ changes with t.
//!
//! Parameters of the paper's GMM (App. E.1) not stated in the paper are chosen here and
//! documented in [`GaussianMixture::paper_gmm`].

use std::sync::Mutex;

use burn::prelude::*;
use burn::tensor::activation::softmax;
use burn::tensor::TensorData;
use nalgebra::DMatrix;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use socbench_harness::backend::{Device, B};

use crate::{Target, LN_2PI};
use socbench_harness::problem::ModeStructure;
use socbench_harness::seed;
use socbench_harness::tensor_util::{logsumexp, logsumexp_dim};

/// A Gaussian mixture with per-component eigendecomposed covariance.
pub struct GaussianMixture {
    name: String,
    d: usize,
    weights: Vec<f64>,
    /// [K*d] row-major means.
    means: Vec<f64>,
    /// [K*d*d]; V_k row-major, columns are eigenvectors.
    rotations: Vec<f64>,
    /// [K*d] eigenvalues of Σ_k.
    eigvals: Vec<f64>,
    eta: f64,
    /// ρ = Z · p: log Z of the unnormalised density returned by `log_density`.
    log_z: f64,
    cache: Mutex<Option<(Device, DeviceParams)>>,
    /// The quadrature grid of p_β's mode weights (d = 2), built on first use.
    annealed_grid: std::sync::OnceLock<crate::annealed_modes::Grid>,
}

#[derive(Clone)]
struct DeviceParams {
    means: Tensor<B, 2>,   // [K, d]
    rot: Tensor<B, 3>,     // [K, d, d]
    rot_t: Tensor<B, 3>,   // [K, d, d]
    eigvals: Tensor<B, 2>, // [K, d]
}

impl GaussianMixture {
    /// Builds a mixture from explicit parts. `rotations` are orthogonal [K, d, d] (row-major),
    /// `eigvals` > 0.
    pub fn new(
        name: &str,
        d: usize,
        weights: Vec<f64>,
        means: Vec<f64>,
        rotations: Vec<f64>,
        eigvals: Vec<f64>,
        eta: f64,
        log_z: f64,
    ) -> Self {
        let k = weights.len();
        assert_eq!(means.len(), k * d);
        assert_eq!(rotations.len(), k * d * d);
        assert_eq!(eigvals.len(), k * d);
        let s: f64 = weights.iter().sum();
        let weights = weights.into_iter().map(|w| w / s).collect();
        Self {
            name: name.to_string(),
            d,
            weights,
            means,
            rotations,
            eigvals,
            eta,
            log_z,
            cache: Mutex::new(None),
            annealed_grid: std::sync::OnceLock::new(),
        }
    }

    /// The paper's GMM (App. E.1): K = 10 components, prior η = 2.5, mixing weights with
    /// max/min ratio exactly 3 (v_k ~ U(0,1), π̃_k = 1 + 2(v_k − min v)/(max v − min v), π = π̃/Σπ̃).
    /// Not stated in the paper, chosen here: means μ_k ~ U[−5, 5]^d (per-coordinate variance
    /// 8.3, comparable to the prior's η² = 6.25), covariances Σ_k = V_k diag(λ_k) V_kᵀ with V_k a
    /// Haar-random rotation (QR of a Gaussian matrix, signs fixed) and λ ~ U[0.5, 2]. All drawn
    /// from the stream keyed ("target", "gmm", d), so each d has one fixed GMM.
    pub fn paper_gmm(d: usize) -> Self {
        let k = 10;
        let mut rng = seed::stream(&["target", "gmm", &d.to_string()]);
        let v: Vec<f64> = (0..k).map(|_| rng.random::<f64>()).collect();
        let (lo, hi) = v
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let weights: Vec<f64> = v.iter().map(|x| 1.0 + 2.0 * (x - lo) / (hi - lo)).collect();
        let means: Vec<f64> = (0..k * d).map(|_| rng.random_range(-5.0..5.0)).collect();
        let mut rotations = Vec::with_capacity(k * d * d);
        let mut eigvals = Vec::with_capacity(k * d);
        for _ in 0..k {
            rotations.extend(random_rotation(d, &mut rng));
            eigvals.extend((0..d).map(|_| rng.random_range(0.5..2.0)));
        }
        Self::new("gmm", d, weights, means, rotations, eigvals, 2.5, 0.0)
    }

    /// sde_sampler's "grid" GMM (conf/target/gmm.yaml, the LV paper's GMM9): d = 2, nine
    /// equally weighted components at {−5, 0, 5}², each N(μ, 0.3 I); log Z = 0. η = 1 is the DIS
    /// prior's scale (unused by PIS).
    pub fn gmm9() -> Self {
        let grid = [-5.0, 0.0, 5.0];
        let means: Vec<f64> = grid
            .iter()
            .flat_map(|&a| grid.iter().flat_map(move |&b| [a, b]))
            .collect();
        Self::new(
            "gmm9",
            2,
            vec![1.0; 9],
            means,
            identity_rotations(9, 2),
            vec![0.3; 18],
            1.0,
            0.0,
        )
    }

    /// GMM40 (App. E.3): 40 equally weighted unit-variance components with means uniform in
    /// [−40, 40]^d, prior η = 30.
    pub fn gmm40(d: usize) -> Self {
        let k = 40;
        let mut rng = seed::stream(&["target", "gmm40", &d.to_string()]);
        let means: Vec<f64> = (0..k * d).map(|_| rng.random_range(-40.0..40.0)).collect();
        Self::new(
            "gmm40",
            d,
            vec![1.0; k],
            means,
            identity_rotations(k, d),
            vec![1.0; k * d],
            30.0,
            0.0,
        )
    }

    /// An isotropic Gaussian ρ = Z · N(μ, s² I): the test target whose optimal control is known
    /// in closed form (a one-component mixture). With μ = 0 and s = η, P_T equals the target.
    pub fn gaussian(d: usize, mean: f64, std: f64, eta: f64, log_z: f64) -> Self {
        Self::new(
            "gaussian",
            d,
            vec![1.0],
            vec![mean; d],
            identity_rotations(1, d),
            vec![std * std; d],
            eta,
            log_z,
        )
    }

    pub fn num_components(&self) -> usize {
        self.weights.len()
    }
    pub fn mixture_weights(&self) -> &[f64] {
        &self.weights
    }
    pub fn mean(&self, k: usize) -> &[f64] {
        &self.means[k * self.d..(k + 1) * self.d]
    }
    /// Σ_k = V_k diag(λ_k) V_kᵀ as a dense row-major d×d matrix.
    /// The eigenvalues λ of every Σ_k, [K·d].
    pub fn covariance_eigenvalues(&self) -> &[f64] {
        &self.eigvals
    }
    pub fn covariance(&self, k: usize) -> Vec<f64> {
        let d = self.d;
        let rot = &self.rotations[k * d * d..(k + 1) * d * d];
        let lam = &self.eigvals[k * d..(k + 1) * d];
        let mut out = vec![0.0; d * d];
        for i in 0..d {
            for j in i..d {
                let v: f64 = (0..d)
                    .map(|l| rot[i * d + l] * lam[l] * rot[j * d + l])
                    .sum();
                out[i * d + j] = v;
                out[j * d + i] = v;
            }
        }
        out
    }

    fn device_params(&self, device: &Device) -> DeviceParams {
        let mut guard = self.cache.lock().expect("gmm cache");
        // `DispatchDevice` equality ignores the autodiff decorator, whose tensors do not mix
        // with the plain device's: compare both.
        let autodiff = |d: &Device| matches!(d, Device::Autodiff(_));
        if let Some((dev, p)) = guard.as_ref() {
            if dev == device && autodiff(dev) == autodiff(device) {
                return p.clone();
            }
        }
        let (k, d) = (self.weights.len(), self.d);
        let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let rot = Tensor::<B, 3>::from_data(TensorData::new(f(&self.rotations), [k, d, d]), device);
        let p = DeviceParams {
            means: Tensor::from_data(TensorData::new(f(&self.means), [k, d]), device),
            rot_t: rot.clone().swap_dims(1, 2),
            rot,
            eigvals: Tensor::from_data(TensorData::new(f(&self.eigvals), [k, d]), device),
        };
        *guard = Some((device.clone(), p.clone()));
        p
    }

    /// Per-component log densities log π_k + log N(x | α μ_k, α² Σ_k + c I) of the normalised
    /// mixture, [B, K], and the whitened residuals (y ⊙ inv) [K, B, d] used by the gradient.
    fn component_terms(
        &self,
        x: Tensor<B, 2>,
        alpha: f64,
        c: f64,
    ) -> (Tensor<B, 2>, Tensor<B, 3>, Tensor<B, 3>) {
        let device = x.device();
        let p = self.device_params(&device);
        let [b, d] = x.dims();
        let k = self.weights.len();
        let var = p.eigvals.mul_scalar(alpha * alpha).add_scalar(c); // [K, d]
        let inv = var.clone().recip().unsqueeze_dim::<3>(1); // [K, 1, d]
        let diff = x.unsqueeze_dim::<3>(0) - p.means.mul_scalar(alpha).unsqueeze_dim::<3>(1); // [K,B,d]
        let y = diff.matmul(p.rot.clone()); // [K, B, d]
        let yi = y.clone() * inv;
        let quad = (y * yi.clone()).sum_dim(2).reshape([k, b]); // [K, B]
        let logdet = var.log().sum_dim(1).reshape([k, 1]); // [K, 1]
        let logw: Vec<f32> = self
            .weights
            .iter()
            .map(|w| (w.ln() - 0.5 * d as f64 * LN_2PI) as f32)
            .collect();
        let logw = Tensor::<B, 1>::from_data(TensorData::new(logw, [k]), &device).reshape([k, 1]);
        let logp = (logw - logdet.mul_scalar(0.5) - quad.mul_scalar(0.5)).swap_dims(0, 1); // [B,K]
        (logp, yi, p.rot_t)
    }

    /// log Σ_k π_k N(x | α μ_k, α² Σ_k + c I) for x [B, d] → [B] (normalised; eq. 55 with
    /// α = e^{−∫_t^T ζ}, c = η²(1 − α²)).
    pub fn log_marginal(&self, x: Tensor<B, 2>, alpha: f64, c: f64) -> Tensor<B, 1> {
        let (logp, _, _) = self.component_terms(x, alpha, c);
        let b = logp.dims()[0];
        logsumexp_dim(logp, 1).reshape([b])
    }

    /// ∇_x of [`log_marginal`](Self::log_marginal): Σ_k r_k(x) · (−(α²Σ_k + cI)^{-1}(x − α μ_k)),
    /// with responsibilities r = softmax_k(log π_k N_k).
    pub fn grad_log_marginal(&self, x: Tensor<B, 2>, alpha: f64, c: f64) -> Tensor<B, 2> {
        let (logp, yi, rot_t) = self.component_terms(x, alpha, c);
        let r = softmax(logp, 1).swap_dims(0, 1).unsqueeze_dim::<3>(2); // [K, B, 1]
        let g = yi.matmul(rot_t).neg(); // [K, B, d]
        let [_, b, d] = g.dims();
        (g * r).sum_dim(0).reshape([b, d])
    }

    /// Host f64 log density of the normalised mixture at one point (reference computations).
    pub fn log_marginal_f64(&self, x: &[f64], alpha: f64, c: f64) -> f64 {
        let d = self.d;
        let terms: Vec<f64> = (0..self.weights.len())
            .map(|k| {
                let mu = self.mean(k);
                let rot = &self.rotations[k * d * d..(k + 1) * d * d];
                let mut quad = 0.0;
                let mut logdet = 0.0;
                for j in 0..d {
                    let var = alpha * alpha * self.eigvals[k * d + j] + c;
                    let y: f64 = (0..d)
                        .map(|i| (x[i] - alpha * mu[i]) * rot[i * d + j])
                        .sum();
                    quad += y * y / var;
                    logdet += var.ln();
                }
                self.weights[k].ln() - 0.5 * (d as f64 * LN_2PI + logdet + quad)
            })
            .collect();
        logsumexp(&terms)
    }

    /// log π_k N(x | μ_k, Σ_k) for all rows of x ([n, d] f64) and components: [n][K].
    pub(crate) fn component_log_densities_f64(&self, x: &[f64], n: usize) -> Vec<Vec<f64>> {
        let d = self.d;
        let xm = DMatrix::from_row_slice(n, d, x);
        let mut out = vec![vec![0.0; self.weights.len()]; n];
        for k in 0..self.weights.len() {
            let mu = self.mean(k);
            let mut diff = xm.clone();
            for mut row in diff.row_iter_mut() {
                for j in 0..d {
                    row[j] -= mu[j];
                }
            }
            let rot = DMatrix::from_row_slice(d, d, &self.rotations[k * d * d..(k + 1) * d * d]);
            let y = diff * rot;
            let lam = &self.eigvals[k * d..(k + 1) * d];
            let logdet: f64 = lam.iter().map(|l| l.ln()).sum();
            for (i, row) in out.iter_mut().enumerate() {
                let quad: f64 = (0..d).map(|j| y[(i, j)] * y[(i, j)] / lam[j]).sum();
                row[k] = self.weights[k].ln() - 0.5 * (d as f64 * LN_2PI + logdet + quad);
            }
        }
        out
    }
}

/// The index of the largest value (the first on ties; 0 for an empty slice).
pub(crate) fn argmax(v: &[f64]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &x)| {
            if x > bv {
                (i, x)
            } else {
                (bi, bv)
            }
        })
        .0
}

/// A Haar-distributed d×d rotation, row-major (QR of a Gaussian matrix with the sign fix).
fn random_rotation(d: usize, rng: &mut ChaCha20Rng) -> Vec<f64> {
    let g = DMatrix::<f64>::from_fn(d, d, |_, _| rng.sample(StandardNormal));
    let qr = g.qr();
    let (mut q, r) = (qr.q(), qr.r());
    for j in 0..d {
        if r[(j, j)] < 0.0 {
            q.column_mut(j).neg_mut();
        }
    }
    let mut out = Vec::with_capacity(d * d);
    for i in 0..d {
        for j in 0..d {
            out.push(q[(i, j)]);
        }
    }
    out
}

fn identity_rotations(k: usize, d: usize) -> Vec<f64> {
    let mut out = vec![0.0; k * d * d];
    for c in 0..k {
        for i in 0..d {
            out[c * d * d + i * d + i] = 1.0;
        }
    }
    out
}

impl Target for GaussianMixture {
    /// Var_i = Σ_k π_k (Σ_k,ii + μ_k,i²) − (Σ_k π_k μ_k,i)².
    fn marginal_std(&self) -> Option<Vec<f64>> {
        let d = self.d;
        let std = (0..d)
            .map(|i| {
                let (mut m1, mut m2) = (0.0, 0.0);
                for (k, w) in self.weights.iter().enumerate() {
                    let mu = self.means[k * d + i];
                    m1 += w * mu;
                    m2 += w * (self.covariance(k)[i * d + i] + mu * mu);
                }
                (m2 - m1 * m1).sqrt()
            })
            .collect();
        Some(std)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn dim(&self) -> usize {
        self.d
    }
    fn prior_std(&self) -> f64 {
        self.eta
    }
    fn log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        self.log_marginal(x, 1.0, 0.0).add_scalar(self.log_z)
    }
    fn grad_log_density(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.grad_log_marginal(x, 1.0, 0.0)
    }
    fn log_z(&self) -> Option<f64> {
        Some(self.log_z)
    }
    /// With r_k the responsibilities and g_k = −Σ_k⁻¹(x − m_k):
    /// ∇ log ρ = Σ r_k g_k and Δ log ρ = Σ r_k (|g_k|² − tr Σ_k⁻¹) − |∇ log ρ|².
    fn log_density_jet(&self, x: &[f64]) -> Option<(f64, Vec<f64>, f64)> {
        let d = self.d;
        let k = self.weights.len();
        let mut logs = Vec::with_capacity(k);
        let mut grads = Vec::with_capacity(k);
        let mut sq_tr = Vec::with_capacity(k);
        for c in 0..k {
            let m = &self.means[c * d..(c + 1) * d];
            let rot = &self.rotations[c * d * d..(c + 1) * d * d];
            let lam = &self.eigvals[c * d..(c + 1) * d];
            // y = Vᵀ(x − m) (V's columns are Σ's eigenvectors), Σ⁻¹(x − m) = V diag(1/λ) y.
            let y: Vec<f64> = (0..d)
                .map(|j| (0..d).map(|i| rot[i * d + j] * (x[i] - m[i])).sum())
                .collect();
            let quad: f64 = y.iter().zip(lam).map(|(y, l)| y * y / l).sum();
            let logdet: f64 = lam.iter().map(|l| l.ln()).sum();
            logs.push(self.weights[c].ln() - 0.5 * (quad + logdet + d as f64 * crate::LN_2PI));
            let g: Vec<f64> = (0..d)
                .map(|i| -(0..d).map(|j| rot[i * d + j] * y[j] / lam[j]).sum::<f64>())
                .collect();
            let tr: f64 = lam.iter().map(|l| 1.0 / l).sum();
            sq_tr.push(g.iter().map(|g| g * g).sum::<f64>() - tr);
            grads.push(g);
        }
        let lse = socbench_harness::tensor_util::logsumexp(&logs);
        let r: Vec<f64> = logs.iter().map(|l| (l - lse).exp()).collect();
        let grad: Vec<f64> = (0..d)
            .map(|i| (0..k).map(|c| r[c] * grads[c][i]).sum())
            .collect();
        let lap =
            (0..k).map(|c| r[c] * sq_tr[c]).sum::<f64>() - grad.iter().map(|g| g * g).sum::<f64>();
        Some((lse + self.log_z, grad, lap))
    }
    fn sample(&self, n: usize, rng: &mut ChaCha20Rng) -> Option<Vec<f64>> {
        let d = self.d;
        let mut out = Vec::with_capacity(n * d);
        let cdf: Vec<f64> = self
            .weights
            .iter()
            .scan(0.0, |acc, w| {
                *acc += w;
                Some(*acc)
            })
            .collect();
        for _ in 0..n {
            let u: f64 = rng.random();
            let k = cdf.iter().position(|&c| u < c).unwrap_or(cdf.len() - 1);
            let z: Vec<f64> = (0..d)
                .map(|j| rng.sample::<f64, _>(StandardNormal) * self.eigvals[k * d + j].sqrt())
                .collect();
            let rot = &self.rotations[k * d * d..(k + 1) * d * d];
            let mu = self.mean(k);
            for i in 0..d {
                out.push(mu[i] + (0..d).map(|j| rot[i * d + j] * z[j]).sum::<f64>());
            }
        }
        Some(out)
    }
    fn modes(&self) -> Option<&dyn ModeStructure> {
        if self.weights.len() > 1 {
            Some(self)
        } else {
            None
        }
    }
    fn analytic(&self) -> Option<&GaussianMixture> {
        Some(self)
    }
}

/// Mode partition of eq. 56: S_k = {x : argmax_j π_j N(x | μ_j, Σ_j) = k}.
impl ModeStructure for GaussianMixture {
    fn weights(&self) -> &[f64] {
        &self.weights
    }
    fn assign(&self, x: &[f64], n: usize) -> Vec<usize> {
        self.component_log_densities_f64(x, n)
            .iter()
            .map(|row| argmax(row))
            .collect()
    }
    /// p_β's mode weights ([`crate::annealed_modes`]): by quadrature at d = 2 (grid step 0.25,
    /// built once), by importance sampling at d > 2 (40 000 draws from a stream fixed by the
    /// target, d and β, so the same β gives the same weights).
    fn annealed_weights(&self, beta: f64) -> Option<Vec<f64>> {
        match self.d {
            2 => Some(
                self.annealed_grid
                    .get_or_init(|| crate::annealed_modes::Grid::new(self, 0.25))
                    .weights(beta),
            ),
            d if d > 2 => {
                let mut rng = seed::stream(&[
                    "annealed_modes",
                    &self.name,
                    &d.to_string(),
                    &beta.to_bits().to_string(),
                ]);
                Some(crate::annealed_modes::importance(self, beta, 40_000, &mut rng).0)
            }
            _ => None,
        }
    }
}
