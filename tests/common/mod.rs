//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use socbench::harness::control::Control;
use socbench::harness::metrics::LogWeightStats;
use socbench::harness::rng::StreamKey;
use socbench::harness::simulate::{simulate, SimOptions};
use socbench::harness::tensor_util::to_f64;
use socbench::targets::sampling::SamplingProblem;
use socbench::targets::Target;
use socbench_harness::backend::Device;

/// The largest |a_i|.
pub fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// The largest |a_i − b_i|.
pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

pub fn device() -> Device {
    socbench_harness::backend::flex()
}

pub fn problem(target: Arc<dyn Target>, steps: usize) -> SamplingProblem {
    SamplingProblem::new(target, steps).expect("valid problem")
}

/// Simulates `n` paths and returns the statistics of their log weights.
pub fn weight_stats(
    p: &dyn socbench::harness::problem::SocProblem,
    u: &dyn Control,
    n: usize,
    purpose: &str,
) -> (LogWeightStats, Vec<f64>) {
    let key = StreamKey::new("tests", purpose, p.dim(), 0);
    let traj = simulate(
        p,
        u,
        n,
        &mut key.stream("sim"),
        &device(),
        SimOptions::default(),
    );
    let lw = to_f64(traj.log_weights());
    (LogWeightStats::from_log_weights(&lw), lw)
}

/// A small trust-region run with `tr`: the `cpu` network at lr 3e-3, `time_steps` steps, one
/// evaluation of 200 paths at the end and none at step 0, no Sinkhorn.
pub fn small_tr_config(
    time_steps: usize,
    tr: socbench::methods::TrConfig,
) -> socbench::methods::TrainConfig {
    socbench::methods::TrainConfig {
        lr: 3e-3,
        time_steps,
        net: socbench::methods::profile::small_net(),
        evals: 1,
        eval_samples: 200,
        sinkhorn: false,
        eval_at_start: false,
        tr,
        ..socbench::methods::TrainConfig::default()
    }
}

/// Small random networks for the reward fine-tuning problem.
pub mod finetune {
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use socbench::harness::backend::{self, B};
    use socbench::harness::tensor_util::to_f64;
    use socbench::targets::finetune::denoiser::Denoiser;
    use socbench::targets::finetune::mlp::Mlp;
    use socbench::targets::finetune::reward::RewardConfig;
    use socbench::targets::finetune::sampler::SamplerConfig;
    use socbench::targets::finetune::schedule::VpSchedule;
    use socbench::targets::finetune::FineTuneProblem;

    pub fn nets(device: &backend::Device) -> (Denoiser<B>, Mlp<B>) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let den = Denoiser::new(Mlp::seeded(
            &[Denoiser::input_dim(), 32, 64],
            device,
            &mut rng,
        ));
        let clf = Mlp::seeded(&[64, 24, 10], device, &mut rng);
        (den, clf)
    }

    pub fn problem<'a>(
        den: &'a Denoiser<B>,
        clf: &'a Mlp<B>,
        multiplier: f64,
    ) -> FineTuneProblem<'a> {
        FineTuneProblem::new(
            den,
            clf,
            RewardConfig::default(),
            VpSchedule::default(),
            SamplerConfig {
                steps: 8,
                guidance: 0.5,
            },
            multiplier,
            (0..10).collect(),
        )
    }

    pub fn params(d: &Denoiser<B>) -> Vec<f64> {
        d.net
            .layers
            .iter()
            .flat_map(|l| {
                let mut v = to_f64(l.weight.val().flatten::<1>(0, 1));
                v.extend(to_f64(l.bias.as_ref().unwrap().val()));
                v
            })
            .collect()
    }
}
