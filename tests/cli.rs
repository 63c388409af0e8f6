//! The `socbench train` command line: bad input gives one line naming the field, a run writes
//! `history.csv` (protocol columns) and `manifest.json`, and an existing run is never overwritten.

use std::path::Path;
use std::process::{Command, Output};

fn socbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_socbench"))
        .args(args)
        .output()
        .expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

fn train(extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "--target",
        "gmm",
        "--dim",
        "2",
        "--profile",
        "smoke",
    ];
    args.extend_from_slice(extra);
    socbench(&args)
}

/// Asserts a clean one-line error (exit 2, no panic) that contains `field`.
fn assert_names(o: &Output, field: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "exit code, stderr: {e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(e.starts_with("error: "), "{e}");
    assert!(e.contains(field), "`{field}` named in: {e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn invalid_input_is_one_line_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("socbench-cli-bad-{}", std::process::id()));
    let out = dir.to_str().unwrap();
    assert_names(&train(&["--method", "sgd", "--out", out]), "method");
    assert_names(
        &train(&["--method", "tr-lv", "--epsilon", "0", "--out", out]),
        "tr.epsilon",
    );
    assert_names(
        &train(&["--method", "tr-lv", "--epsilon", "-1", "--out", out]),
        "tr.epsilon",
    );
    assert_names(
        &socbench(&[
            "train", "--target", "gmm", "--dim", "0", "--method", "lv", "--out", out,
        ]),
        "dim",
    );
    assert_names(
        &socbench(&[
            "train", "--target", "gmn", "--dim", "2", "--method", "lv", "--out", out,
        ]),
        "target `gmn`",
    );
    let cfg = dir.with_extension("toml");
    std::fs::write(&cfg, "[tr]\nbuffer = 100\nminibatch = 200\n").unwrap();
    let c = cfg.to_str().unwrap();
    assert_names(
        &train(&["--method", "tr-lv", "--config", c, "--out", out]),
        "tr.buffer",
    );
    std::fs::write(&cfg, "[tr]\nepsilon = 0.1\nbufer = 100\n").unwrap();
    assert_names(
        &train(&["--method", "tr-lv", "--config", c, "--out", out]),
        "bufer",
    );
    assert_names(
        &socbench(&[
            "train",
            "--target",
            "gmm",
            "--dim",
            "2",
            "--method",
            "lv",
            "--profile",
            "fast",
            "--out",
            out,
        ]),
        "profile",
    );
    assert!(
        !dir.join("history.csv").exists(),
        "nothing written on error"
    );
    let _ = std::fs::remove_file(&cfg);
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_run_writes_history_and_manifest_and_is_never_overwritten() {
    let dir = std::env::temp_dir().join(format!("socbench-cli-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cfg = dir.with_extension("toml");
    std::fs::write(&cfg, "evals = 2\n[tr]\nrefreshes = 2\ninner_steps = 3\n").unwrap();
    let out = dir.to_str().unwrap();
    let o = train(&[
        "--method",
        "tr-lv",
        "--seed",
        "3",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = read(&dir.join("history.csv"));
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for col in [
        "step",
        "target_evals",
        "control_l2",
        "abs_dlogz",
        "ess",
        "sinkhorn",
        "tvd",
        "lambda",
        "beta",
    ] {
        assert!(header.contains(&col), "column {col} in {header:?}");
    }
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(
        rows.len(),
        3,
        "one row per evaluation, after the step-0 row of u = 0"
    );
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(rows[0][col("step")], "0");
    // Sinkhorn is off in the smoke profile: the cell is empty, not 0.
    assert_eq!(rows[1][col("sinkhorn")], "");
    // u_0 has no λ; the refreshes have.
    assert_eq!(rows[0][col("lambda")], "");
    assert!(rows[1][col("lambda")].parse::<f64>().is_ok());
    let manifest: serde_json::Value =
        serde_json::from_str(&read(&dir.join("manifest.json"))).unwrap();
    assert_eq!(manifest["status"], "finished");
    assert_eq!(manifest["seed"], 3);
    assert_eq!(manifest["method"], "tr-lv");
    assert_eq!(manifest["config"]["tr"]["inner_steps"], 3);
    for key in [
        "git_commit",
        "backend",
        "wall_s",
        "config_hash",
        "target_evals",
    ] {
        assert!(!manifest[key].is_null(), "manifest has {key}");
    }
    // Provenance: the compiler that built the binary and the compute threads.
    let prov = &manifest["provenance"];
    assert!(
        prov["rustc"].as_str().unwrap().starts_with("rustc "),
        "{prov}"
    );
    assert!(prov["threads"].as_u64().unwrap() >= 1, "{prov}");
    // The trust region's bookkeeping: one row per refresh.
    let refreshes = read(&dir.join("refreshes.csv"));
    assert_eq!(refreshes.lines().count(), 3, "{refreshes}");
    assert!(refreshes.starts_with("refresh,step,lambda,beta"));
    // A second run into the same directory is refused and leaves the first run untouched.
    let before = (
        read(&dir.join("history.csv")),
        read(&dir.join("manifest.json")),
    );
    let again = train(&["--method", "lv", "--out", out]);
    assert_names(&again, "already holds a run");
    let after = (
        read(&dir.join("history.csv")),
        read(&dir.join("manifest.json")),
    );
    assert_eq!(before, after);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&cfg);
}

#[test]
fn crosscheck_on_a_device_this_machine_lacks_names_the_field() {
    // Without the `cuda` feature (CI) or without a GPU, asking for CUDA is a one-line error
    // naming the field, not a panic inside burn-cuda.
    if socbench_harness::backend::gpu_present() && cfg!(feature = "cuda") {
        return;
    }
    let o = socbench(&["crosscheck", "--device", "cuda"]);
    assert_names(&o, "device");
    assert!(stderr(&o).contains("flex"), "{}", stderr(&o));
}
