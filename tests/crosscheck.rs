//! The cross-device checks that `socbench crosscheck --device cuda` runs on a GPU machine, run
//! here between the two CPU backends (ndarray under test, flex as reference): they use different
//! kernels (matrix products, reductions), so agreement exercises the same plumbing — host-drawn
//! noise and network initialisation moved to the device, device-agnostic losses and dual.

use socbench::crosscheck::{self, Check};
use socbench_harness::backend;

#[test]
fn ndarray_agrees_with_flex_on_every_check() {
    let checks = crosscheck::run(&backend::ndarray(), &backend::flex()).expect("runs");
    eprint!(
        "{}",
        crosscheck::table(&checks, &backend::ndarray(), &backend::flex())
    );
    assert_eq!(checks.len(), 9);
    for c in &checks {
        assert!(c.entries > 0, "{}: nothing compared", c.name);
        assert!(
            c.pass,
            "{}: relative error {:e} > {:e}",
            c.name, c.error, c.tolerance
        );
    }
}

#[test]
fn a_perturbation_above_tolerance_fails_the_check() {
    let b = vec![1.0, -2.0, 3.0];
    let ok = Check::compare("same", &b, &b, 1.0, 1e-6);
    assert!(ok.pass && ok.error == 0.0);
    let a = vec![1.0, -2.0, 3.0 + 1e-3];
    let bad = Check::compare("perturbed", &a, &b, 1.0, 1e-4);
    assert!(!bad.pass, "error {:e}", bad.error);
    assert!((bad.error - 1e-3 / 4.0).abs() < 1e-12);
    let nan = Check::compare("nan", &[1.0, f64::NAN, 3.0], &b, 1.0, 1.0);
    assert!(!nan.pass);
    let short = Check::compare("short", &b[..2], &b, 1.0, 1.0);
    assert!(!short.pass);
}
