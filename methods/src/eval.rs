//! Evaluation of a control during training (App. E.2 protocol), not counted as training cost.
//!
//! Every method at the same (experiment, target, d, seed) is evaluated on common random numbers:
//! the k-th evaluation of a run draws its paths (initial states and noise) from the common stream
//! `eval-k`, and the Sinkhorn reference samples come from the common stream `eval-target`, so two
//! methods holding the same control get the same metrics.

use rand::Rng;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::Device;
use socbench_harness::benchmark::Benchmark;
use socbench_harness::control::Control;
use socbench_harness::metrics::{
    control_l2, mode_tvd, sinkhorn_divergence, LogWeightStats, PlainSinkhorn, SinkhornConfig,
};
use socbench_harness::rng::StreamKey;
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_harness::tensor_util::to_f64;

use crate::config::TrainConfig;
use crate::history::EvalRow;

/// Bootstrap resamples of the evaluation paths for the log Z interval.
pub const BOOTSTRAP_RESAMPLES: usize = 200;

/// The evaluations of one run: the k-th call of [`Evaluator::evaluate`] uses the common stream
/// `eval-k` of the key, whatever the method.
pub struct Evaluator {
    key: StreamKey,
    index: usize,
    samples: usize,
    target_samples: Option<Vec<f64>>,
    /// The log-variance paper's metrics (`TrainConfig::lv_metrics`), with sde_sampler's
    /// Sinkhorn between two exact samples of the evaluation's size (its floor).
    lv: Option<LvMetrics>,
}

/// What the log-variance paper's metrics need besides the paths.
#[derive(Clone, Debug)]
pub struct LvMetrics {
    pub marginal_std: Option<Vec<f64>>,
    pub sinkhorn_floor: Option<f64>,
}

impl Evaluator {
    /// `cfg.eval_samples` paths per evaluation; reference samples for Sinkhorn if `cfg.sinkhorn`.
    pub fn new(problem: &dyn Benchmark, cfg: &TrainConfig, key: &StreamKey) -> Self {
        let target_samples = cfg
            .sinkhorn
            .then(|| {
                let m = match cfg.sinkhorn_samples {
                    0 => cfg.eval_samples,
                    k => k.min(cfg.eval_samples),
                };
                problem.target_samples(m, &mut key.common("eval-target"))
            })
            .flatten();
        let lv = cfg.lv_metrics.then(|| LvMetrics {
            marginal_std: problem.marginal_std(),
            sinkhorn_floor: target_samples.as_ref().and_then(|ys| {
                let d = problem.dim();
                let m = ys.len() / d;
                let other = problem.target_samples(m, &mut key.common("eval-target-floor"))?;
                Some(PlainSinkhorn::default().distance(&other, m, ys, m, d))
            }),
        });
        Self {
            key: key.clone(),
            index: 0,
            samples: cfg.eval_samples,
            target_samples,
            lv,
        }
    }

    /// How many evaluations have been made (a checkpoint's position in the evaluation streams).
    pub fn index(&self) -> usize {
        self.index
    }
    pub fn set_index(&mut self, index: usize) {
        self.index = index;
    }

    /// The next evaluation of `u` (frozen), on the common paths of this evaluation index.
    pub fn evaluate(
        &mut self,
        problem: &dyn Benchmark,
        u: &dyn Control,
        device: &Device,
    ) -> EvalRow {
        let mut rng = self.key.common(&format!("eval-{}", self.index));
        let mut boot = self.key.common(&format!("eval-{}-bootstrap", self.index));
        self.index += 1;
        let (mut row, xs) = evaluate(
            problem,
            u,
            self.samples,
            self.target_samples.as_deref(),
            &mut rng,
            &mut boot,
            device,
        );
        if let Some(lv) = &self.lv {
            let ys = self.target_samples.as_deref();
            row.loss_metrics = lv_metrics(&row, &xs, lv, ys, problem.dim());
        }
        row
    }
}

/// The 2.5% and 97.5% quantiles of log Ẑ over `BOOTSTRAP_RESAMPLES` resamples (with
/// replacement) of the paths' log weights: the spread of the estimator that the evaluation's
/// finite number of paths leaves.
pub fn bootstrap_log_z(lw: &[f64], rng: &mut ChaCha20Rng) -> (f64, f64) {
    let n = lw.len();
    let mut est: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let r: Vec<f64> = (0..n).map(|_| lw[rng.random_range(0..n)]).collect();
            LogWeightStats::from_log_weights(&r).log_z
        })
        .collect();
    est.sort_by(f64::total_cmp);
    let q = |p: f64| est[((p * (est.len() - 1) as f64).round() as usize).min(est.len() - 1)];
    (q(0.025), q(0.975))
}

/// mean_i |std_i(samples) − std_i(ρ)| of `n` samples `xs` (row-major [n, d]), the sample std
/// with n − 1 (torch's default).
pub fn abs_dstd(xs: &[f64], n: usize, d: usize, std: &[f64]) -> f64 {
    let mut err = 0.0;
    for (i, s) in std.iter().enumerate() {
        let mean = (0..n).map(|r| xs[r * d + i]).sum::<f64>() / n as f64;
        let var = (0..n).map(|r| (xs[r * d + i] - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        err += (var.sqrt() - s).abs();
    }
    err / d as f64
}

/// The log-variance paper's metrics of an evaluation whose final states are `xs`:
/// `abs_dlogz_elbo` = |ELBO − log Z|, `abs_dstd` = mean_i |std_i(samples) − std_i(ρ)| (sample
/// std with n − 1, as torch's), `sinkhorn_lv` and `sinkhorn_lv_floor` (sde_sampler's
/// convention, [`PlainSinkhorn`], on as many model samples as reference samples).
fn lv_metrics(
    row: &EvalRow,
    xs: &[f64],
    lv: &LvMetrics,
    target_samples: Option<&[f64]>,
    d: usize,
) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    if let Some(z) = row.log_z_ref {
        out.push(("abs_dlogz_elbo".to_string(), (row.elbo - z).abs()));
    }
    let n = xs.len() / d;
    if let (Some(std), true) = (&lv.marginal_std, n > 1) {
        out.push(("abs_dstd".to_string(), abs_dstd(xs, n, d, std)));
    }
    if let (Some(ys), Some(floor)) = (target_samples, lv.sinkhorn_floor) {
        let m = ys.len() / d;
        let k = m.min(n);
        let s = PlainSinkhorn::default().distance(&xs[..k * d], k, ys, m, d);
        out.push(("sinkhorn_lv".to_string(), s));
        out.push(("sinkhorn_lv_floor".to_string(), floor));
    }
    out
}

/// Fills the metric fields of an [`EvalRow`] from `n` fresh paths of `u`: the metrics whose
/// ground truth the problem has (u* → control L2, target samples → Sinkhorn, modes → TVD,
/// optimal value → cost functional). `boot` draws the bootstrap resamples of log Ẑ. Also
/// returns the paths' final states (row-major n × d).
pub fn evaluate(
    problem: &dyn Benchmark,
    u: &dyn Control,
    n: usize,
    target_samples: Option<&[f64]>,
    rng: &mut ChaCha20Rng,
    boot: &mut ChaCha20Rng,
    device: &Device,
) -> (EvalRow, Vec<f64>) {
    let traj = simulate(problem, u, n, rng, device, SimOptions::default());
    let lw = to_f64(traj.log_weights());
    let stats = LogWeightStats::from_log_weights(&lw);
    let (lo, hi) = bootstrap_log_z(&lw, boot);
    let d = problem.dim();
    let xs = to_f64(traj.final_state());
    let log_z_ref = problem.reference_log_z();
    let mut row = EvalRow {
        abs_dlogz: log_z_ref.map(|z| stats.abs_dlogz(z)),
        log_z: stats.log_z,
        log_z_lo: Some(lo),
        log_z_hi: Some(hi),
        log_z_ref,
        elbo: stats.elbo,
        ess: stats.ess,
        ..Default::default()
    };
    if let Some(opt) = problem.optimal_cost() {
        // J(u) = E[Σ f Δt + g + Σ ½h²|u|²] (eq. 1, discrete) on the same paths.
        let j = to_f64(traj.work() + traj.control_cost.clone());
        row.cost = Some(j.iter().sum::<f64>() / j.len() as f64);
        row.optimal_cost = Some(opt);
        row.discrete_optimal_cost = problem.discrete_optimal_cost();
    }
    if let Some(us) = problem.optimal_control() {
        row.control_l2 = Some(control_l2(problem, us.as_ref(), u, n, rng, device));
    }
    if let Some(ys) = target_samples {
        // As many model samples as target samples (`sinkhorn_samples` may be below n).
        let m = ys.len() / d;
        let k = m.min(n);
        let cfg = SinkhornConfig::default();
        row.sinkhorn = Some(sinkhorn_divergence(&xs[..k * d], k, ys, m, d, &cfg).divergence);
    }
    if let Some(modes) = problem.modes() {
        row.tvd = Some(mode_tvd(modes, &xs, n));
    }
    (row, xs)
}
