//! The fixed-λ ablation (Fig. 3 right) and saved samples (Fig. 8/9): a fixed λ is used at every
//! refresh instead of the dual's, never stops the loop early (λ = 0 would, for the dual), and
//! `save_samples` returns that many samples of the final control.

mod common;

use std::sync::Arc;

use common::{device, problem};
use socbench::harness::rng::StreamKey;
use socbench::methods::profile::small_net;
use socbench::methods::{train, Method, TrConfig, TrainConfig};
use socbench::targets::gmm::GaussianMixture;

fn tiny(fixed_lambda: Option<f64>) -> TrainConfig {
    TrainConfig {
        time_steps: 10,
        net: small_net(),
        evals: 4,
        eval_samples: 100,
        sinkhorn: false,
        save_samples: 64,
        // One row per refresh, without the step-0 row of u_0.
        eval_at_start: false,
        tr: TrConfig {
            epsilon: 0.1,
            buffer: 100,
            refreshes: 4,
            inner_steps: 2,
            minibatch: 50,
            delta: 1e-6,
            fixed_lambda,
            ..TrConfig::default()
        },
        ..TrainConfig::default()
    }
}

#[test]
fn fixed_lambda_replaces_the_dual_and_runs_every_refresh() {
    let p = problem(Arc::new(GaussianMixture::paper_gmm(2)), 10);
    let key = StreamKey::new("tests-ablation", "tr-lv", 2, 0);
    for fixed in [0.0, 3.0] {
        let h = train(
            &p,
            Method::named("tr-lv"),
            &tiny(Some(fixed)),
            &key,
            &device(),
            &mut |_| {},
        )
        .unwrap();
        // One evaluation per refresh, all four refreshes run, each at the fixed λ.
        assert_eq!(h.rows.len(), 4, "λ = {fixed}");
        for (i, r) in h.rows.iter().enumerate() {
            assert_eq!(r.lambda, Some(fixed));
            // β_{i+1} = 1 − (λ/(1+λ))^{i+1}.
            let beta = 1.0 - (fixed / (1.0 + fixed)).powi(i as i32 + 1);
            assert!(
                (r.beta.unwrap() - beta).abs() < 1e-12,
                "{:?} vs {beta}",
                r.beta
            );
        }
        assert_eq!(h.samples.len(), 64 * 2);
        assert!(h.samples.iter().all(|v| v.is_finite()));
    }
    // The dual's λ differs from a fixed one: the weights of a fresh network are not uniform.
    let h = train(
        &p,
        Method::named("tr-lv"),
        &tiny(None),
        &key,
        &device(),
        &mut |_| {},
    )
    .unwrap();
    assert!(h.rows[0].lambda.unwrap() > 0.0);
    assert!(h.rows[0].lambda != Some(3.0));
}

#[test]
fn negative_fixed_lambda_is_rejected_with_the_field_named() {
    let err = tiny(Some(-1.0))
        .validate(Method::named("tr-lv"))
        .unwrap_err();
    assert_eq!(err.field, "tr.fixed_lambda");
}

#[test]
fn run_all_refreshes_keeps_training_after_the_dual_reaches_zero() {
    // On ou-easy-shared at d = 2, KL(Q | P^{u_0}) is far below ε = 0.5: λ_0 = 0, so Algorithm 2
    // returns after the first refresh, unless told to spend the budget (Fig. 11).
    let p = socbench::targets::quadratic::QuadraticOu::named("ou-easy-shared", 2, 10).unwrap();
    let key = StreamKey::new("tests-ablation", "tr-socm", 2, 0);
    let mut cfg = tiny(None);
    cfg.tr.epsilon = 0.5;
    cfg.save_samples = 0;
    cfg.eval_at_start = true;
    let run = |cfg: &TrainConfig| {
        train(
            &p,
            Method::named("tr-socm"),
            cfg,
            &key,
            &device(),
            &mut |_| {},
        )
        .unwrap()
    };
    let h = run(&cfg);
    // The start row (step 0, no target evaluations), then one refresh with λ = 0.
    assert_eq!(h.rows.len(), 2, "{:?}", h.rows);
    assert_eq!((h.rows[0].step, h.rows[0].target_evals), (0, 0));
    assert_eq!(h.rows[1].lambda, Some(0.0));
    cfg.tr.run_all_refreshes = true;
    let h = run(&cfg);
    assert_eq!(h.rows.len(), 1 + cfg.tr.refreshes, "{:?}", h.rows);
    assert!(h.rows[1..].iter().all(|r| r.beta == Some(1.0)));
    assert_eq!(
        h.last().unwrap().step,
        cfg.tr.refreshes * cfg.tr.inner_steps
    );
}
