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

/// Trains `method` with `cfg` on the registered target `target` at `d` (seed 0, streams keyed by
/// `experiment`) and checks that the run finished.
pub fn train_finished(
    experiment: &str,
    target: &str,
    d: usize,
    method: socbench::methods::Method,
    cfg: &socbench::methods::TrainConfig,
) -> socbench::methods::History {
    let p = socbench::targets::problems::build(target, d, cfg.time_steps).expect(target);
    let key = StreamKey::new(experiment, method.name(), d, 0).with_target(target);
    let h =
        socbench::methods::train(p.as_ref(), method, cfg, &key, &device(), &mut |_| {}).unwrap();
    assert_eq!(
        h.status,
        socbench::methods::Status::Finished,
        "{method} on {target}"
    );
    h
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

/// Small configurations of the loop-based families, shared by the checkpoint and determinism
/// tests.
pub mod small {
    use socbench::methods::finetune::{FineTuneControl, FtObserver, TrainPoint};
    use socbench::methods::pinn::PinnConfig;
    use socbench::methods::tps::TpsConfig;

    /// TPS on the 2-D double well: 6 rollouts of 16 paths, 10 training steps each.
    pub fn tps_cfg() -> TpsConfig {
        TpsConfig {
            rollouts: 6,
            paths_per_rollout: 16,
            trains_per_rollout: 10,
            batch: 16,
            buffer: 40,
            lr: 1e-3,
            start_temperature: 2400.0,
            end_temperature: 1200.0,
            hidden: vec![16],
            epsilon: 1.0,
            evals: 3,
            eval_paths: 16,
            final_paths: 32,
            ..TpsConfig::default()
        }
    }

    /// Every row but its wall clock, and the final metrics, as text (f64 Debug is exact).
    pub fn tps_rows(h: &socbench::methods::tps::TpsHistory) -> Vec<String> {
        let mut v: Vec<String> = h
            .rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.wall_s = 0.0;
                format!("{r:?}")
            })
            .collect();
        v.push(format!("{:?}", h.final_metrics));
        v
    }

    /// A PINN run on GMM9 (d = 2): 40 steps of 32 collocation points, Hutchinson probes.
    pub fn pinn_cfg() -> PinnConfig {
        PinnConfig {
            steps: 40,
            batch: 32,
            lr: 5e-3,
            lr_final: 5e-4,
            clip: 10.0,
            width: 16,
            depth: 2,
            logz_degree: 3,
            sigma: 1.0,
            horizon: 1.0,
            prior_std: 4.0,
            box_half_width: 7.0,
            hutchinson: 2,
            eval_samples: 64,
            eval_steps: 10,
            log_every: 40,
        }
    }

    /// Records every mark of a fine-tuning run (update, rollouts, loss, KL, λ, β and the
    /// parameters' sum) and keeps them in the run's saved state.
    #[derive(Default)]
    pub struct Log(pub Vec<String>);

    impl<'a> FtObserver<'a> for Log {
        fn at_mark(&mut self, c: &FineTuneControl<'a>, p: &TrainPoint) {
            let sum: f64 = super::finetune::params(&c.net).iter().sum();
            self.0.push(format!(
                "{} {} {:?} {:?} {:?} {:?} {sum:?}",
                p.update, p.rollouts, p.loss, p.kl, p.lambda, p.beta
            ));
        }
        fn save_state(&self) -> Result<Vec<u8>, String> {
            serde_json::to_vec(&self.0).map_err(|e| e.to_string())
        }
        fn load_state(&mut self, s: &[u8]) -> Result<(), String> {
            self.0 = serde_json::from_slice(s).map_err(|e| e.to_string())?;
            Ok(())
        }
    }
}

/// A report without its wall times (the cost section) and the line naming where it was made.
pub fn report_body(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("## cost per run"))
        .filter(|l| !l.starts_with("Generated by"))
        .map(String::from)
        .collect()
}

/// Velocity Verlet (NVE) of a molecule from `x` with velocities drawn at 300 K from the stream
/// `seed`: `steps` steps of `dt` ps. Returns (E0, final kinetic energy, max |E − E0|, drift),
/// the drift being the mean total energy over the last fifth minus that over the first fifth
/// (kJ/mol). Printed for the test log.
pub fn nve_run(
    ff: &socbench::targets::molecule::ForceField,
    x: Vec<f64>,
    seed: &[&str],
    steps: usize,
    dt: f64,
) -> (f64, f64, f64, f64) {
    use socbench::targets::molecule::dynamics::{
        coordinate_masses, thermal_velocities, verlet_step, State,
    };
    let m = coordinate_masses(ff);
    let v = thermal_velocities(&m, 300.0, &mut socbench::harness::seed::stream(seed));
    let mut s = State::new(ff, x, v);
    let e0 = s.energy + s.kinetic(&m);
    let mut total = Vec::with_capacity(steps);
    for _ in 0..steps {
        verlet_step(ff, &mut s, &m, dt);
        total.push(s.energy + s.kinetic(&m));
    }
    let dev = total.iter().fold(0.0f64, |a, e| a.max((e - e0).abs()));
    let mean = |w: &[f64]| w.iter().sum::<f64>() / w.len() as f64;
    let fifth = steps / 5;
    let drift = mean(&total[steps - fifth..]) - mean(&total[..fifth]);
    let kinetic = s.kinetic(&m);
    eprintln!("E0 {e0:.3} kJ/mol, kinetic {kinetic:.1}, max |E − E0| {dev:.4}, drift {drift:.5}");
    (e0, kinetic, dev, drift)
}
