//! Checkpoints of the TPS loop (methods/src/tps), the fine-tuning loop (methods/src/finetune)
//! and the PINN collocation loop (methods/src/pinn):
//! a run stopped part-way and resumed from its saved state gives the same rows and the same
//! final result as an uninterrupted run, bit for bit but for the wall-clock column. TPS is
//! stopped both in the middle of a rollout (the rollout's frozen control, λ and loss sum are
//! restored) and at the end of one, on-policy (LV-logZ, with its learned log Z) and under the
//! trust region; its replay buffer travels in the checkpoint. The TPS checkpoint must carry the
//! training stream's position: resumed with it reset, the run differs. Fine-tuning stops
//! between rollout batches (AM) and between buffers (TR-SOCM, annealed β), and the observer's
//! own records travel with the run's state. PINN stops after a gradient step, with Hutchinson
//! probes drawn from the collocation stream, whose position the checkpoint must carry too.

use socbench::harness::backend;
use socbench::harness::rng::StreamKey;
use socbench::methods::checkpoint::{Checkpointing, Snapshot};
use socbench::methods::finetune::{
    train_finetune_with, BetaSchedule, FineTuneConfig, FtStatus, Spacing,
};
use socbench::methods::pinn::{
    train_pinn_checkpointed, PinnMethod, PinnOutcome, PinnRun, PinnState,
};
use socbench::methods::tps::resume::TpsState;
use socbench::methods::tps::train_tps;
use socbench::methods::{Method, Status};
use socbench::targets::registry::{build, TargetSpec};
use socbench::targets::tps;

mod common;
use common::finetune::{nets, problem};
use common::small::{pinn_cfg, tps_cfg, tps_rows, Log};

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("socbench-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("checkpoint.mpk")
}

fn tps_check(method: &str, stop_after: usize) {
    let sys = tps::build("double-well-2d").unwrap();
    let dev = backend::flex();
    let cfg = tps_cfg();
    let key = StreamKey::new("ckpt-test", method, 2, 0).with_target(sys.name());
    let path = scratch(&format!("tps-{method}"));
    let run = |ck: Option<&Checkpointing>| {
        train_tps(
            sys.as_ref(),
            Method::named(method),
            &cfg,
            &key,
            &dev,
            &mut |_, _, _| {},
            ck,
        )
        .unwrap()
    };
    let whole = run(None);
    assert_eq!(whole.status, Status::Finished);
    let mut ck = Checkpointing::at(&path);
    ck.stop_after = Some(stop_after);
    let first = run(Some(&ck));
    assert_eq!(first.status, Status::Interrupted { step: stop_after });
    let mut saved = Snapshot::<TpsState>::load(&path, &hash_of(&path))
        .unwrap()
        .unwrap();
    ck.stop_after = None;
    let resumed = run(Some(&ck));
    assert_eq!(resumed.status, Status::Finished);
    assert_eq!(tps_rows(&resumed), tps_rows(&whole), "{method}: resumed");
    assert_eq!(resumed.final_cvs, whole.final_cvs);
    // The same checkpoint with the training stream's position reset to its start.
    saved.rng_train = "0".into();
    Snapshot::save(&saved, &hash_of(&path), &path).unwrap();
    let reset = run(Some(&ck));
    assert_ne!(
        tps_rows(&reset),
        tps_rows(&whole),
        "{method}: the stream position did not matter"
    );
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

/// The configuration hash a checkpoint was written with (read back from the file itself).
fn hash_of(path: &std::path::Path) -> String {
    let s: Snapshot<serde::de::IgnoredAny> =
        socbench::methods::checkpoint::read_msgpack(path).unwrap();
    s.config_hash
}

#[test]
fn tps_resumes_bit_identically_mid_rollout() {
    // Step 23: the fourth step of rollout 3 (10 steps each).
    tps_check("lv-logz", 23);
}

#[test]
fn tps_trust_region_resumes_bit_identically_after_a_rollout() {
    // Step 30: the end of rollout 3, before rollout 4 simulates its paths.
    tps_check("tr-lv-logz", 30);
}

fn ft_check(method: &str, beta: BetaSchedule, stop_after: usize, stopped_at: usize) {
    let device = backend::autodiff(&backend::flex());
    let (den, clf) = nets(&device);
    let p = problem(&den, &clf, 3.0);
    let cfg = FineTuneConfig {
        updates: 12,
        batch: 5,
        buffer: 10,
        passes: 2,
        beta,
        lr: 1e-2,
        checkpoints: 6,
        checkpoint_spacing: Spacing::Linear,
        ..Default::default()
    };
    let key = StreamKey::new("ckpt-test", method, 64, 0);
    let path = scratch(&format!("ft-{method}-{beta:?}"));
    let run = |ck: Option<&Checkpointing>| {
        let mut log = Log::default();
        let status = train_finetune_with(
            &p,
            Method::named(method),
            &cfg,
            &key,
            &device,
            &mut log,
            &mut |_, _| {},
            ck,
        )
        .unwrap();
        (status, log.0)
    };
    let (status, whole) = run(None);
    assert_eq!(status, FtStatus::Finished);
    let mut ck = Checkpointing::at(&path);
    ck.stop_after = Some(stop_after);
    let (status, _) = run(Some(&ck));
    assert_eq!(status, FtStatus::Interrupted(stopped_at));
    ck.stop_after = None;
    let (status, resumed) = run(Some(&ck));
    assert_eq!(status, FtStatus::Finished);
    assert_eq!(whole.len(), 7, "{whole:?}");
    assert_eq!(resumed, whole, "{method} ({beta:?}): resumed");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}

#[test]
fn fine_tuning_resumes_bit_identically() {
    // AM stops after any update; TR-SOCM after its buffer's 2 passes of 2 minibatches.
    ft_check("am", BetaSchedule::One, 5, 5);
    ft_check("tr-socm", BetaSchedule::Annealed, 5, 8);
}

fn pinn_outcome(o: &PinnOutcome) -> (String, String) {
    (format!("{:?}", o.losses), format!("{:?}", o.metrics))
}

#[test]
fn pinn_resumes_bit_identically() {
    let target = build(&TargetSpec::new("gmm9", 2)).unwrap();
    let dev = backend::flex();
    let cfg = pinn_cfg();
    let method: PinnMethod = "sde-logfp".parse().unwrap();
    let key = StreamKey::new("ckpt-test", "sde-logfp", 2, 0).with_target("gmm9");
    let path = scratch("pinn");
    let run = |ck: Option<&Checkpointing>| {
        train_pinn_checkpointed(
            method,
            target.as_ref(),
            &cfg,
            &key,
            &dev,
            &mut |_, _| {},
            ck,
        )
        .unwrap()
    };
    let finished = |r: PinnRun| match r {
        PinnRun::Finished(o) => pinn_outcome(&o),
        PinnRun::Interrupted { step } => panic!("interrupted after step {step}"),
    };
    let whole = finished(run(None));
    let mut ck = Checkpointing::at(&path);
    (ck.every_steps, ck.stop_after) = (10, Some(17));
    assert!(matches!(run(Some(&ck)), PinnRun::Interrupted { step: 17 }));
    let mut saved = Snapshot::<PinnState>::load(&path, &hash_of(&path))
        .unwrap()
        .unwrap();
    assert_eq!(saved.step, 17);
    ck.stop_after = None;
    assert_eq!(finished(run(Some(&ck))), whole, "resumed");
    // The same checkpoint with the collocation stream's position reset to its start.
    saved.rng = "0".into();
    Snapshot::save(&saved, &hash_of(&path), &path).unwrap();
    let reset = finished(run(Some(&ck)));
    assert_ne!(reset.0, whole.0, "the stream position did not matter");
    std::fs::remove_dir_all(path.parent().unwrap()).ok();
}
