//! Conformance: every registered method (the paper's, the worked example `lv-logz`, and any
//! loss added later: the list is the registry's) trains on GMM d = 2 with the smoke budget, ends
//! with a control L2 error at most half that of the untrained control u = 0, and writes a
//! well-formed run: history.csv and manifest.json as the sweep writes them, and refreshes.csv
//! with λ and β for the trust-region methods.

use std::path::Path;

use socbench::methods::profile::Profile;
use socbench::methods::record::config_hash;
use socbench::methods::Method;
use socbench_experiments::{run_cell, CellSpec};
use socbench_reports::load::load_runs;

/// The stated bound: the last evaluation's control L2 error at most this fraction of u = 0's
/// (step 0: 0.82 on GMM d = 2 with the smoke profile's 25 time steps).
const L2_FRACTION: f64 = 0.5;

fn check(method: Method, root: &Path) -> Result<(), String> {
    let spec = CellSpec {
        experiment: "conformance".into(),
        target: "gmm".into(),
        dim: 2,
        method,
        arm: method.name().into(),
        seed: 0,
        profile: "smoke".into(),
        config: Profile::Smoke.config(),
    };
    let dir = root.join(method.name());
    let dev = socbench_harness::backend::flex();
    let (history, manifest) =
        run_cell(&spec, &dev, &dir, &mut |_| {}).map_err(|e| format!("run_cell: {e}"))?;
    if manifest.status != "finished" {
        return Err(format!(
            "status {} ({:?})",
            manifest.status, manifest.message
        ));
    }
    // The run as the reports read it back from disk.
    let runs = load_runs(root).map_err(|e| format!("load_runs: {e}"))?;
    let run = runs
        .iter()
        .find(|r| r.manifest.method == method.name())
        .ok_or("run not found by the report loader")?;
    if run.manifest.config_hash != config_hash(&spec.config) {
        return Err("manifest config hash differs from the config's".into());
    }
    let steps = run.series("step");
    let l2 = run.series("control_l2");
    let evals = run.series("target_evals");
    if steps.len() != history.rows.len() || steps.len() != manifest.evaluations || steps.len() < 3 {
        return Err(format!(
            "{} history rows, {} in memory, manifest says {}",
            steps.len(),
            history.rows.len(),
            manifest.evaluations
        ));
    }
    if steps[0] != 0.0 || steps.windows(2).any(|w| w[1] <= w[0]) {
        return Err(format!("steps not 0 then increasing: {steps:?}"));
    }
    if evals.windows(2).any(|w| w[1] < w[0]) || manifest.target_evals == 0 {
        return Err(format!("target evaluations not counted: {evals:?}"));
    }
    if l2.iter().any(|v| !v.is_finite()) {
        return Err(format!("non-finite control L2: {l2:?}"));
    }
    let (start, last) = (l2[0], *l2.last().unwrap());
    if last > L2_FRACTION * start {
        return Err(format!(
            "control L2 {last:.3} above {L2_FRACTION} × u = 0's {start:.3}"
        ));
    }
    if method.is_trust_region() {
        let (lambda, beta) = (run.refresh_series("lambda"), run.refresh_series("beta"));
        let ok = !lambda.is_empty()
            && lambda.iter().all(|l| l.is_finite() && *l >= 0.0)
            && beta.windows(2).all(|w| w[1] >= w[0])
            && beta.iter().all(|b| *b > 0.0 && *b <= 1.0);
        if !ok || run.epsilon() != Some(spec.config.tr.epsilon) {
            return Err(format!("refreshes: λ {lambda:?}, β {beta:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_registered_method_trains_and_writes_a_well_formed_run() {
    let root = std::env::temp_dir().join(format!("socbench-conformance-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let failures: Vec<String> = Method::all()
        .into_iter()
        .filter_map(|m| check(m, &root).err().map(|e| format!("{m}: {e}")))
        .collect();
    let _ = std::fs::remove_dir_all(&root);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
