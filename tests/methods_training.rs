//! Every method trains on GMM d = 2 (reduced network and budget) to a control L2 error below 0.5
//! and |ΔlogZ| below 0.1 (both against the analytic optimal control and the exact log Z), and
//! TR-LV gets there with fewer target evaluations than LV. (TR-CE, an extra beyond the paper's
//! seven, does not reach the bounds on this budget; see the methods issue's note.)

mod common;

use std::sync::Arc;

use common::{device, problem};
use socbench::harness::rng::StreamKey;
use socbench::methods::profile::small_net;
use socbench::methods::{train, History, Method, Status, TrConfig, TrainConfig};
use socbench::targets::gmm::GaussianMixture;

const L2_MAX: f64 = 0.5;
const DLOGZ_MAX: f64 = 0.1;

fn config() -> TrainConfig {
    TrainConfig {
        steps: 200,
        batch: 250,
        lr: 5e-3,
        time_steps: 50,
        net: small_net(),
        // Every 5 steps / every refresh: fine enough to compare evaluation counts.
        evals: 40,
        eval_samples: 1000,
        sinkhorn: false,
        tr: TrConfig {
            epsilon: 0.1,
            buffer: 1000,
            refreshes: 12,
            inner_steps: 50,
            minibatch: 250,
            delta: 1e-6,
            fixed_lambda: None,
            run_all_refreshes: false,
            socm_weights: Default::default(),
            ..TrConfig::default()
        },
        ..TrainConfig::default()
    }
}

fn run(method: Method) -> History {
    let p = problem(Arc::new(GaussianMixture::paper_gmm(2)), config().time_steps);
    let key = StreamKey::new("tests-training", method.name(), 2, 0);
    let h = train(&p, method, &config(), &key, &device(), &mut |_| {}).expect("valid config");
    assert_eq!(h.status, Status::Finished, "{method}");
    let r = h.last().unwrap();
    eprintln!(
        "{}: final control_l2 {:.4} |ΔlogZ| {:.4} ESS {:.3} after {} target evaluations; \
         first within the bounds at {:?}",
        method.label(),
        r.control_l2.unwrap(),
        r.abs_dlogz.unwrap(),
        r.ess,
        r.target_evals,
        evals_to_reach(&h)
    );
    h
}

/// Target evaluations at the first evaluation with control L2 < 0.5 and |ΔlogZ| < 0.1.
fn evals_to_reach(h: &History) -> Option<u64> {
    h.rows
        .iter()
        .find(|r| r.control_l2.unwrap() < L2_MAX && r.abs_dlogz.unwrap() < DLOGZ_MAX)
        .map(|r| r.target_evals)
}

fn assert_converged(method: Method, h: &History) {
    let r = h.last().unwrap();
    let l2 = r.control_l2.unwrap();
    assert!(l2 < L2_MAX, "{method}: control L2 {l2}");
    let dlogz = r.abs_dlogz.unwrap();
    assert!(dlogz < DLOGZ_MAX, "{method}: |ΔlogZ| {dlogz}");
}

macro_rules! method_test {
    ($name:ident, $method:expr) => {
        #[test]
        fn $name() {
            let h = run($method);
            assert_converged($method, &h);
        }
    };
}

method_test!(re_converges, Method::named("re"));
method_test!(ce_converges, Method::named("ce"));
method_test!(am_converges, Method::named("am"));
method_test!(socm_converges, Method::named("socm"));
method_test!(tr_socm_converges, Method::named("tr-socm"));

#[test]
fn lv_and_tr_lv_converge_and_tr_lv_needs_fewer_target_evaluations() {
    let lv = run(Method::named("lv"));
    let tr = run(Method::named("tr-lv"));
    assert_converged(Method::named("lv"), &lv);
    assert_converged(Method::named("tr-lv"), &tr);
    let (e_lv, e_tr) = (evals_to_reach(&lv).unwrap(), evals_to_reach(&tr).unwrap());
    assert!(e_tr < e_lv, "TR-LV {e_tr} vs LV {e_lv} target evaluations");
}
