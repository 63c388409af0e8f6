//! Checkpoints inside a run (methods/src/checkpoint.rs): a run stopped part-way (as SIGTERM
//! stops it) and resumed from its checkpoint writes the same history as an uninterrupted run,
//! bit for bit but for the wall-clock column: on-policy (LV), under the trust region (TR-LV),
//! and with a loss that keeps state of its own (LV-logZ's learned log Z and its optimiser).
//! The checkpoint must carry the random streams' positions: resumed from a checkpoint whose
//! position is reset, the run differs.

use socbench::harness::backend;
use socbench::harness::rng::StreamKey;
use socbench::methods::checkpoint::{Checkpointing, TrainState};
use socbench::methods::history::{History, Status};
use socbench::methods::profile::Profile;
use socbench::methods::train::train_checkpointed;
use socbench::methods::Method;
use socbench::targets::problems::build;

fn strip(h: &History) -> (Vec<String>, Vec<String>) {
    let rows = h
        .to_csv()
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(2); // wall_s
            f.join(",")
        })
        .collect();
    (rows, h.refreshes_csv().lines().map(String::from).collect())
}

/// (uninterrupted, stopped then resumed, resumed from a checkpoint with its stream reset).
fn runs(method: &str, stop_after: usize) -> (History, History, History) {
    let m = Method::named(method);
    let mut cfg = Profile::Smoke.config();
    cfg.eval_at_start = true;
    let key = StreamKey::new("checkpoint-test", method, 2, 0).with_target("gmm");
    let dev = backend::flex();
    let fresh = || build("gmm", 2, cfg.time_steps).unwrap();
    let dir = std::env::temp_dir().join(format!("socbench-ckpt-{method}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("checkpoint.mpk");
    let mut ck = Checkpointing::at(&path);
    ck.every_steps = 7;
    // One run on a fresh problem, checkpointing to (and resuming from) `path` if `ck` is given.
    let run = |ck: Option<&Checkpointing>| {
        let p = fresh();
        train_checkpointed(
            p.as_ref(),
            m,
            m.build_loss(&cfg),
            &cfg,
            &key,
            &dev,
            &mut |_| {},
            ck,
        )
        .unwrap()
    };
    let whole = run(None);
    ck.stop_after = Some(stop_after);
    let first = run(Some(&ck));
    assert!(
        matches!(first.status, Status::Interrupted { .. }),
        "{method}: {:?}",
        first.status
    );
    let mut saved = TrainState::read(&path).unwrap();
    ck.stop_after = None;
    let resumed = run(Some(&ck));
    // The same checkpoint with the training stream's position reset to its start.
    saved.rng_train = "0".into();
    saved.save(&path).unwrap();
    let reset = run(Some(&ck));
    std::fs::remove_dir_all(&dir).ok();
    (whole, resumed, reset)
}

fn check(method: &str, stop_after: usize) {
    let (whole, resumed, reset) = runs(method, stop_after);
    assert_eq!(whole.status, Status::Finished);
    assert_eq!(resumed.status, Status::Finished);
    assert_eq!(
        strip(&resumed),
        strip(&whole),
        "{method}: the resumed run differs"
    );
    assert_eq!(resumed.samples, whole.samples);
    assert_ne!(
        strip(&reset).0,
        strip(&whole).0,
        "{method}: the stream position did not matter"
    );
}

#[test]
fn an_on_policy_run_resumes_bit_identically() {
    check("lv", 23);
}

#[test]
fn a_trust_region_run_resumes_bit_identically() {
    check("tr-lv", 3);
}

#[test]
fn a_loss_with_state_resumes_bit_identically() {
    check("lv-logz", 23);
}
