//! The trust region in action (Algorithm 2, App. J.3), GMM d = 2, small network, ε = 0.1: every
//! update moves the path measure by a measured KL within 30% of ε, the tilted weights' ESS is
//! ≈ 1/(1+2ε), β rises monotonically to 1, and the run stops itself with λ = 0.

mod common;

use std::sync::Arc;

use common::{device, problem};
use socbench::harness::rng::StreamKey;
use socbench::methods::profile::small_net;
use socbench::methods::{train, Method, Status, TrConfig, TrainConfig};
use socbench::targets::gmm::GaussianMixture;

/// Trains the named method on the CPU device, without progress output.
fn run(
    p: &dyn socbench::harness::benchmark::Benchmark,
    method: &str,
    cfg: &TrainConfig,
    key: &StreamKey,
) -> socbench::methods::History {
    train(p, Method::named(method), cfg, key, &device(), &mut |_| {}).unwrap()
}

const EPS: f64 = 0.1;

#[test]
fn tr_lv_steps_by_epsilon_and_terminates_with_lambda_zero() {
    let cfg = TrainConfig {
        lr: 1e-2,
        // 100 steps: the discretisation floor (KL of u* to the target) is well below ε, so the
        // control can get within ε of the target and λ can reach 0.
        time_steps: 100,
        net: small_net(),
        evals: 100,
        eval_samples: 1000,
        sinkhorn: false,
        // One row per TR iteration, without the step-0 row of u_0.
        eval_at_start: false,
        tr: TrConfig {
            epsilon: EPS,
            buffer: 2000,
            refreshes: 15,
            inner_steps: 200,
            minibatch: 500,
            delta: 1e-6,
            fixed_lambda: None,
            run_all_refreshes: false,
            socm_weights: Default::default(),
            ..TrConfig::default()
        },
        ..TrainConfig::default()
    };
    let p = problem(Arc::new(GaussianMixture::paper_gmm(2)), cfg.time_steps);
    let key = StreamKey::new("tests-trust-region", "tr-lv", 2, 0);
    let h = run(&p, "tr-lv", &cfg, &key);
    assert_eq!(h.status, Status::Finished);
    for r in &h.rows {
        eprintln!(
            "step {:4} λ {:.4} β {:.6} predicted KL {:.4} measured KL {:?} step ESS {:.3} L2 {:.4}",
            r.step,
            r.lambda.unwrap(),
            r.beta.unwrap(),
            r.step_kl.unwrap(),
            r.measured_step_kl,
            r.step_ess.unwrap(),
            r.control_l2.unwrap()
        );
    }
    // One row per TR iteration (evals ≥ refreshes).
    let n = h.rows.len();
    assert!(n >= 2, "at least two iterations");
    assert!(
        n < cfg.tr.refreshes,
        "stopped by λ ≤ δ before the budget ({n} iterations)"
    );
    let last = h.last().unwrap();
    assert_eq!(last.lambda, Some(0.0), "terminates with λ = 0");
    assert_eq!(last.beta, Some(1.0), "β reaches 1");
    let target_ess = 1.0 / (1.0 + 2.0 * EPS);
    for (i, r) in h.rows.iter().enumerate() {
        if i > 0 {
            assert!(
                r.beta.unwrap() >= h.rows[i - 1].beta.unwrap(),
                "β monotone at iteration {i}"
            );
            // Row i measures the update of iteration i − 1 (which had λ > 0) on fresh paths.
            let kl = r
                .measured_step_kl
                .expect("measured from the second iteration on");
            assert!(
                (kl - EPS).abs() <= 0.3 * EPS,
                "iteration {}: measured step KL {kl} not within 30% of ε = {EPS}",
                i - 1
            );
        }
        if i + 1 < n {
            assert!(r.lambda.unwrap() > 0.0, "λ > 0 before the last iteration");
            let pred = r.step_kl.unwrap();
            assert!((pred - EPS).abs() < 1e-6, "dual reaches ε: {pred}");
            let ess = r.step_ess.unwrap();
            assert!(
                (ess - target_ess).abs() < 0.1,
                "step ESS {ess} vs 1/(1+2ε) = {target_ess}"
            );
        }
    }
}

/// On the LQR problem u*_β is known (discrete Riccati with βP, βQ), which checks the dual
/// against a closed form: u_0 = 0 is u*_0 exactly, so the first refresh's tilted measure is the
/// β_1-annealed one, and the schedule's step KL(P^{u*_{β_1}} | P^{u*_0}) must be about the ε the
/// dual imposed on the empirical weights. The first update of TR-SOCM then lands near u*_{β_1}.
/// A sampling problem has no u*_β: the columns stay empty.
#[test]
fn lqr_schedule_steps_by_epsilon_and_the_first_update_tracks_it() {
    use socbench::targets::quadratic::QuadraticOu;
    let cfg = common::small_tr_config(
        20,
        TrConfig {
            epsilon: EPS,
            buffer: 4000,
            refreshes: 2,
            inner_steps: 50,
            minibatch: 500,
            run_all_refreshes: true,
            ..TrConfig::default()
        },
    );
    let p = QuadraticOu::named("ou-hard", 4, cfg.time_steps).unwrap();
    let key = StreamKey::new("tests-trust-region", "tr-socm", 4, 0);
    let h = run(&p, "tr-socm", &cfg, &key);
    let r = &h.refreshes;
    eprintln!("{:?}", r);
    assert_eq!(r[0].tracking_kl, Some(0.0), "u_0 = 0 = u*_0");
    let schedule = r[0].schedule_kl.unwrap();
    assert!(
        (schedule - EPS).abs() < 0.3 * EPS,
        "schedule step {schedule} vs ε = {EPS}"
    );
    let tracking = r[1].tracking_kl.unwrap();
    assert!(tracking < 0.5 * EPS, "KL(P^u_1 | P^u*_β1) = {tracking}");

    let gmm = problem(Arc::new(GaussianMixture::paper_gmm(2)), cfg.time_steps);
    let key = StreamKey::new("tests-trust-region", "tr-lv", 2, 0);
    let h = run(&gmm, "tr-lv", &cfg, &key);
    assert!(h.refreshes.iter().all(|r| r.tracking_kl.is_none()));
}
