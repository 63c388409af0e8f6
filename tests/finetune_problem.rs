//! The reward fine-tuning problem (targets/src/finetune, methods/src/finetune) on small random
//! networks: the lean adjoint is the gradient of the terminal cost along the base model's paths
//! (checked against finite differences), a zero reward leaves both AM and TR-SOCM where they
//! started, the condition coordinate carries no noise, and corrupt checkpoints are refused.

use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use socbench::harness::backend::{self, B};
use socbench::harness::control::ZeroControl;
use socbench::harness::problem::SocProblem;
use socbench::harness::rng::StreamKey;
use socbench::harness::tensor_util::to_f64;
use socbench::methods::finetune::{train_finetune, BetaSchedule, FineTuneConfig, FineTuneControl};
use socbench::methods::paths::PathBatch;
use socbench::methods::Method;
use socbench::targets::finetune::mlp::Mlp;

mod common;
use common::finetune::{nets, params, problem};

/// a_k (stored as adjoints[k − 1]) against (g(X_N(x_k + δv)) − g(X_N(x_k − δv)))/2δ, re-running
/// the base model's steps k..N with the same noise.
#[test]
fn lean_adjoint_matches_finite_differences() {
    let device = backend::autodiff(&backend::flex());
    let (den, clf) = nets(&device);
    let p = problem(&den, &clf, 3.0);
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut batch = PathBatch::simulate(&p, &ZeroControl, 3, &mut rng, &device, false);
    batch.compute_adjoints(&p, 1.0);
    let adj = batch.adjoints.clone().unwrap();
    let integ = p.integrator();
    let n = integ.num_steps();
    let g_from = |k: usize, x: Tensor<B, 2>| -> Vec<f64> {
        let mut x = x;
        for j in k..n {
            let c = integ.coeffs(j);
            x = integ.mean(&p, x, j) + batch.noise[j].clone().mul_scalar(c.s);
        }
        to_f64(p.terminal_cost(x))
    };
    let mut vrng = ChaCha20Rng::seed_from_u64(2);
    let mut checked = 0;
    for k in [1usize, 4, 7, 8] {
        let v: Vec<f32> = (0..3 * 65)
            .map(|i| {
                if i % 65 == 64 {
                    0.0
                } else {
                    rand::Rng::random_range(&mut vrng, -1.0..1.0)
                }
            })
            .collect();
        let v = Tensor::<B, 2>::from_data(TensorData::new(v, [3, 65]), &device);
        let delta = 1e-2;
        let x = batch.states[k].clone();
        let gp = g_from(k, x.clone() + v.clone().mul_scalar(delta));
        let gm = g_from(k, x - v.clone().mul_scalar(delta));
        let dot = to_f64((adj[k - 1].clone() * v).sum_dim(1).reshape([3]));
        for i in 0..3 {
            let fd = (gp[i] - gm[i]) / (2.0 * delta);
            assert!(
                (fd - dot[i]).abs() <= 2e-2 * dot[i].abs().max(1.0),
                "step {k} path {i}: adjoint·v = {} but finite difference {fd}",
                dot[i]
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

/// The class coordinate is carried through unchanged (no noise, no drift).
#[test]
fn the_condition_coordinate_stays_fixed() {
    let device = backend::autodiff(&backend::flex());
    let (den, clf) = nets(&device);
    let p = problem(&den, &clf, 1.0);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let b = PathBatch::simulate(&p, &ZeroControl, 20, &mut rng, &device, false);
    let first = to_f64(b.states[0].clone().narrow(1, 64, 1));
    let last = to_f64(b.states.last().unwrap().clone().narrow(1, 64, 1));
    assert_eq!(first, last);
    let mut seen: Vec<usize> = first.iter().map(|&c| c as usize).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen,
        (0..10).collect::<Vec<_>>(),
        "20 rollouts cycle through all classes"
    );
}

/// With λ_r = 0 the terminal cost, the adjoints and the optimal control are zero, and the
/// fine-tuned copy starts at u = 0: AM and TR-SOCM (both β schedules) must not move it.
#[test]
fn zero_reward_leaves_the_model_unchanged() {
    let device = backend::autodiff(&backend::flex());
    let (den, clf) = nets(&device);
    let p = problem(&den, &clf, 0.0);
    let before = params(&den);
    for (method, beta) in [
        ("am", BetaSchedule::One),
        ("tr-socm", BetaSchedule::One),
        ("tr-socm", BetaSchedule::Annealed),
    ] {
        let cfg = FineTuneConfig {
            updates: 6,
            batch: 5,
            buffer: 10,
            passes: 2,
            beta,
            lr: 1e-2,
            checkpoints: 1,
            ..Default::default()
        };
        let mut after = Vec::new();
        let key = StreamKey::new("test", method, 64, 0);
        let status = train_finetune(
            &p,
            Method::named(method),
            &cfg,
            &key,
            &device,
            &mut |c: &FineTuneControl, _| after = params(&c.net),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(status, socbench::methods::finetune::FtStatus::Finished);
        let moved = before
            .iter()
            .zip(&after)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            moved < 1e-7,
            "{method} ({beta:?}) moved a parameter by {moved}"
        );
    }
    // And a non-zero reward does move it (the test can fail).
    let p = problem(&den, &clf, 5.0);
    let mut after = Vec::new();
    let cfg = FineTuneConfig {
        updates: 3,
        batch: 5,
        buffer: 10,
        lr: 1e-2,
        checkpoints: 1,
        ..Default::default()
    };
    train_finetune(
        &p,
        Method::named("am"),
        &cfg,
        &StreamKey::new("test", "am", 64, 0),
        &device,
        &mut |c: &FineTuneControl, _| after = params(&c.net),
        &mut |_, _| {},
    )
    .unwrap();
    let moved = before
        .iter()
        .zip(&after)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(moved > 1e-4, "a non-zero reward moved nothing ({moved})");
}

#[test]
fn methods_that_cannot_fine_tune_are_refused() {
    let device = backend::autodiff(&backend::flex());
    let (den, clf) = nets(&device);
    let p = problem(&den, &clf, 1.0);
    for m in ["lv", "tr-lv", "re"] {
        let e = train_finetune(
            &p,
            Method::named(m),
            &FineTuneConfig::default(),
            &StreamKey::new("test", m, 64, 0),
            &device,
            &mut |_, _| {},
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(
            e.contains(&format!("`{m}` cannot fine-tune")) && !e.contains('\n'),
            "{e}"
        );
    }
    let bad = FineTuneConfig {
        buffer: 25,
        ..Default::default()
    };
    let e = train_finetune(
        &p,
        Method::named("tr-socm"),
        &bad,
        &StreamKey::new("test", "tr-socm", 64, 0),
        &device,
        &mut |_, _| {},
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(e.contains("train.buffer = 25"), "{e}");
}

#[test]
fn corrupt_checkpoints_are_one_line_errors() {
    let device = backend::flex();
    let dir = std::env::temp_dir().join(format!("socbench-ckpt-{}", std::process::id()));
    let path = dir.join("net.bin");
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let net = Mlp::seeded(&[4, 3, 2], &device, &mut rng);
    net.save(&path, "tag-a").unwrap();
    let back = Mlp::load(&path, "tag-a", &device).unwrap();
    let x = Tensor::<B, 2>::ones([2, 4], &device);
    assert_eq!(to_f64(net.forward(x.clone())), to_f64(back.forward(x)));
    let bytes = std::fs::read(&path).unwrap();
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (bytes[..bytes.len() - 5].to_vec(), "tag-a", "checksum"),
        (
            {
                let mut b = bytes.clone();
                b[40] ^= 0x55;
                b
            },
            "tag-a",
            "checksum",
        ),
        (
            b"garbage".to_vec(),
            "tag-a",
            "not a socbench network checkpoint",
        ),
        (bytes.clone(), "tag-b", "another configuration"),
    ];
    for (body, tag, want) in cases {
        std::fs::write(&path, body).unwrap();
        let e = Mlp::load(&path, tag, &device).unwrap_err();
        assert!(
            e.contains(want) && e.contains("net.bin") && !e.contains('\n'),
            "{e}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
