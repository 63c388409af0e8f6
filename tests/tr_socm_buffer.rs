//! TR-SOCM's buffer regression against on-policy SOCM on ManyWell d = 2 (issue 38, stage 4): the
//! same loss (eq. 19), network, learning rate and number of regression steps, on paths of the
//! current control (SOCM) or on a stored, tilted buffer (TR-SOCM). Written to pin the finding of
//! docs/tr-socm.md at unit size: on-policy SOCM improves on u = 0, while TR-SOCM's updates leave
//! the trust region. If a change makes TR-SOCM respect ε here, this test fails and should then
//! assert the opposite, as a regression test of the fix.

mod common;

use socbench::methods::{History, Method, TrConfig};

const EPS: f64 = 0.1;

fn run(method: Method) -> History {
    let mut cfg = common::small_tr_config(
        50,
        TrConfig {
            epsilon: EPS,
            buffer: 2000,
            refreshes: 8,
            inner_steps: 50,
            minibatch: 500,
            ..TrConfig::default()
        },
    );
    cfg.steps = 500;
    cfg.batch = 500;
    cfg.eval_samples = 2000;
    cfg.eval_at_start = true;
    common::train_finished("tests-tr-socm-buffer", "manywell", 2, method, &cfg)
}

/// Measured here when written (seed 0): SOCM |ΔlogZ| 0.182 at u = 0 → 0.062 after 500 steps;
/// TR-SOCM's measured step KL per refresh 0.050, 0.003, 0.406, 0.402, 0.307, 0.730, 0.738 against
/// ε = 0.1, while the dual held every buffer's tilted weights at ε.
#[test]
fn on_policy_socm_improves_where_tr_socm_leaves_the_trust_region() {
    let socm = run(Method::named("socm"));
    let dlogz = |h: &History| {
        let v = |r: &socbench::methods::EvalRow| r.abs_dlogz.expect("ManyWell has log Z");
        (v(&h.rows[0]), v(h.rows.last().unwrap()))
    };
    let (zero, fin) = dlogz(&socm);
    eprintln!("SOCM |ΔlogZ|: u = 0 {zero:.3} → {fin:.3}");
    assert!(
        fin < 0.5 * zero,
        "on-policy SOCM no longer improves on u = 0 ({zero:.3} → {fin:.3}): the anchor is gone"
    );
    let tr = run(Method::named("tr-socm"));
    for r in &tr.refreshes {
        assert!((r.step_kl - EPS).abs() < 1e-6, "the dual holds ε: {r:?}");
    }
    let kl: Vec<f64> = tr
        .refreshes
        .iter()
        .filter_map(|r| r.measured_step_kl)
        .collect();
    eprintln!("TR-SOCM measured step KL per refresh {kl:.3?}");
    assert_eq!(kl.len(), 7, "no measured KL at the first refresh");
    let over = kl.iter().filter(|k| **k > 3.0 * EPS).count();
    assert!(
        over >= 2,
        "TR-SOCM now stays within 3ε on ManyWell d = 2 ({kl:?}): the buffer regression's \
         overshoot of docs/tr-socm.md is gone; turn this test into a regression test of the fix"
    );
}
