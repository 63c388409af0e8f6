//! The TPS experiment definitions and cells (experiments/src/tps.rs): table1 resolves, bad
//! definitions are one-line errors naming what is wrong, and a finished cell is recognised (and a
//! changed configuration refused) on rerun.

use socbench::harness::backend;
use socbench_experiments::builtin::{load_def, parse_def};
use socbench_experiments::tps::{finished, run_tps_cell, TpsExperiment};

fn load(name: &str) -> Option<Result<TpsExperiment, String>> {
    load_def(name)
}

fn parse(text: &str, origin: &str) -> Result<TpsExperiment, String> {
    parse_def(text, origin)
}

#[test]
fn table1_resolves() {
    let exp = load("table1").expect("built in").unwrap();
    let cpu = exp.cells("cpu").unwrap();
    assert_eq!(cpu.len(), 18);
    assert!(cpu.iter().all(|c| c.target == "alanine-dipeptide"));
    let smoke = exp.cells("smoke").unwrap();
    assert!(smoke.iter().all(|c| c.target == "double-well-2d"));
    // Arm overrides land on top of the profile's.
    let tr = cpu.iter().find(|c| c.arm == "tr-lv-mean").unwrap();
    assert!(tr.config.dual_scale < 1e-4 && tr.config.rollouts == 100);
    assert!(load("fig2").is_none());
    let e = exp.cells("gpu").unwrap_err();
    assert!(
        e.contains("unknown profile `gpu`") && e.contains("cpu"),
        "{e}"
    );
}

const BASE: &str = r#"
name = "t"
title = "t"
target = "double-well-2d"
[arms.a]
label = "A"
method = "lv-logz"
[arms.u]
label = "U"
baseline = "umd"
temperature = 2400.0
[profiles.smoke]
seeds = 1
arms = ["a", "u"]
config = { rollouts = 1, paths_per_rollout = 4, trains_per_rollout = 1, batch = 4, buffer = 8, hidden = [8], evals = 1, eval_paths = 2, final_paths = 4 }
"#;

#[test]
fn bad_definitions_are_one_line_errors() {
    parse(BASE, "t.toml").unwrap();
    for (from, to, want) in [
        (r#"method = "lv-logz""#, r#"method = "lv-nope""#, "lv-nope"),
        (r#"temperature = 2400.0"#, "", "temperature"),
        (
            r#"arms = ["a", "u"]"#,
            r#"arms = ["a", "x"]"#,
            "unknown arm `x`",
        ),
        (
            r#"target = "double-well-2d""#,
            r#"target = "villin""#,
            "unknown target `villin`",
        ),
        ("rollouts = 1,", "rollouts = 0,", "rollouts"),
        ("hidden = [8]", "hiden = [8]", "hiden"),
    ] {
        let text = BASE.replace(from, to);
        let e = parse(&text, "t.toml").unwrap_err();
        assert!(
            e.starts_with("t.toml") && e.contains(want) && !e.contains('\n'),
            "{want}: {e}"
        );
    }
}

#[test]
fn finished_cells_are_kept_and_changed_ones_refused() {
    let exp = parse(BASE, "t.toml").unwrap();
    let root = std::env::temp_dir().join(format!("socbench-tps-cells-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let device = backend::flex();
    for c in exp.cells("smoke").unwrap() {
        let dir = c.dir(&root);
        assert!(!finished(&dir, &c).unwrap());
        let m = run_tps_cell(&c, &device, &dir, &mut |_, _, _| {}).unwrap();
        assert_eq!(m.status, "finished");
        assert!(finished(&dir, &c).unwrap());
        assert!(dir.join("final.csv").exists() && dir.join("paths.csv").exists());
        // A second run into the same directory is refused, and a changed config is named.
        assert!(run_tps_cell(&c, &device, &dir, &mut |_, _, _| {}).is_err());
        let mut changed = c.clone();
        changed.config.final_paths += 1;
        let e = finished(&dir, &changed).unwrap_err();
        assert!(
            e.contains("different configuration") && e.contains("--force"),
            "{e}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
