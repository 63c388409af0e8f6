//! The suite under faults (issue 37): each defect found by the fault-injection pass, as a test that
//! failed before its fix. Every test drives `cargo xtask replicate` on a small experiment file of
//! its own in a scratch folder.
//!
//! 1. Nondeterminism (fine-tuning TR-SOCM differed between runs): tests/determinism.rs.
//! 2. Three sweeps started at once on one results folder: every cell runs exactly once, nothing is
//!    moved aside, no lock, checkpoint or temporary file is left, and the report equals a single
//!    run's (but for the wall times).
//! 3. A definition with NaN ε, d = 0 and an unknown target is refused whole (every error in one
//!    message, naming file and field) before anything runs; so are ε = inf and [0.1, nan].
//! 4. A cell whose history.csv lost rows is damaged, not finished: the error names the file and
//!    `--force`, which moves it aside and reruns it. A corrupt checkpoint names `--force` too.
//! 5. A local sweep stopped by SIGTERM checkpoints its cell; the rerun resumes it, and the
//!    manifest's `wall_s` covers both parts (not only the time since the resume). `--seeds 0`
//!    and an unknown experiment get correct messages; an emptied `sweeps.csv` gets its header
//!    back.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn xtask() -> Command {
    let mut c = Command::new(env!("CARGO"));
    c.args(["xtask", "replicate"]);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("socbench-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// An experiment file `name` in `dir`: GMM d = 2, `methods`, 2 seeds, `steps` on-policy steps
/// (trust region: `steps / 50` refreshes of 5 inner steps).
fn def(dir: &Path, name: &str, methods: &str, seeds: u64, steps: usize) -> PathBuf {
    let p = dir.join(format!("{name}.toml"));
    let text = format!(
        r#"name = "{name}"
title = "faults test"
targets = ["gmm"]
dims = [2]
methods = [{methods}]
epsilons = [0.1]
metrics = ["control_l2", "abs_dlogz"]
plots = ["vs_dim"]
[profiles.smoke]
base = "smoke"
seeds = {seeds}
[profiles.smoke.config]
steps = {steps}
batch = 64
evals = 2
eval_samples = 200
sinkhorn = false
[profiles.smoke.config.tr]
refreshes = {refreshes}
buffer = 256
inner_steps = 5
minibatch = 64
"#,
        refreshes = (steps / 50).max(1)
    );
    std::fs::write(&p, text).unwrap();
    p
}

fn replicate(def: &Path, root: &Path, extra: &[&str]) -> Command {
    let mut c = xtask();
    c.arg("--def")
        .arg(def)
        .args(["--profile", "smoke", "--jobs", "2"])
        .arg("--results")
        .arg(root.join("results"))
        .arg("--reports")
        .arg(root.join("reports"))
        .args(extra);
    c
}

fn run_ok(mut c: Command) -> String {
    let o = c.output().unwrap();
    let t = text(&o);
    assert!(o.status.success(), "replicate failed:\n{t}");
    t
}

fn run_err(mut c: Command) -> String {
    let o = c.output().unwrap();
    let t = text(&o);
    assert!(!o.status.success(), "replicate should have failed:\n{t}");
    t
}

/// Every path under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A CSV without its third column (the wall clock).
fn without_wall(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(2);
            f.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// "ran N cells" from a replicate's output.
fn cells_ran(out: &str) -> usize {
    let line = out
        .lines()
        .find(|l| l.starts_with("ran "))
        .unwrap_or_else(|| panic!("no `ran N cells` line in:\n{out}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn three_sweeps_on_one_folder_run_each_cell_once() {
    let dir = scratch("three");
    let d = def(&dir, "three", r#""lv", "tr-lv", "am""#, 2, 400);
    let single = dir.join("single");
    run_ok(replicate(&d, &single, &[]));
    let shared = dir.join("shared");
    let procs: Vec<Child> = (0..3)
        .map(|_| {
            replicate(&d, &shared, &[])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<String> = procs
        .into_iter()
        .map(|p| {
            let o = p.wait_with_output().unwrap();
            let t = text(&o);
            assert!(o.status.success(), "a concurrent replicate failed:\n{t}");
            t
        })
        .collect();
    let ran: usize = outs.iter().map(|o| cells_ran(o)).sum();
    assert_eq!(ran, 6, "6 cells, each run once:\n{}", outs.join("\n---\n"));
    let cells = shared.join("results/three/smoke");
    let files = tree(&cells);
    for f in &files {
        assert!(
            !f.contains(".old-") && !f.ends_with(".tmp") && !f.ends_with("checkpoint.mpk"),
            "left behind: {f} (in {files:?})"
        );
    }
    assert!(
        std::fs::read_dir(cells.join("slurm/locks"))
            .unwrap()
            .next()
            .is_none(),
        "a lock file was left"
    );
    for cell in std::fs::read_dir(single.join("results/three/smoke")).unwrap() {
        let cell = cell.unwrap().path();
        if cell.join("history.csv").exists() {
            let theirs = cells.join(cell.file_name().unwrap()).join("history.csv");
            assert_eq!(
                without_wall(&theirs),
                without_wall(&cell.join("history.csv"))
            );
        }
    }
    assert_eq!(
        common::report_body(&shared.join("reports/three-smoke.md")),
        common::report_body(&single.join("reports/three-smoke.md"))
    );
    assert!(tree(&shared.join("reports"))
        .iter()
        .all(|f| !f.ends_with(".tmp")));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_definition_is_checked_whole_before_anything_runs() {
    let dir = scratch("checked");
    let good = std::fs::read_to_string(def(&dir, "checked", r#""lv", "tr-lv""#, 1, 50)).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        good.replace("epsilons = [0.1]", "epsilons = [0.1, nan]")
            .replace("dims = [2]", "dims = [0, 2]")
            .replace("targets = [\"gmm\"]", "targets = [\"gmm\", \"nope\"]"),
    )
    .unwrap();
    let err = run_err(replicate(&bad, &dir, &[]));
    for want in [
        "`epsilons` entry NaN",
        "`dims` entry 0",
        "`targets` entry nope",
    ] {
        assert!(
            err.contains(want) && err.contains("bad.toml"),
            "{want}:\n{err}"
        );
    }
    for eps in ["[inf]", "[0.0]", "[-0.1]", "[nan]"] {
        std::fs::write(
            &bad,
            good.replace("epsilons = [0.1]", &format!("epsilons = {eps}")),
        )
        .unwrap();
        let err = run_err(replicate(&bad, &dir, &[]));
        assert!(err.contains("`epsilons` entry"), "ε = {eps}:\n{err}");
    }
    assert!(
        !dir.join("results").exists(),
        "a cell ran: {:?}",
        tree(&dir)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_damaged_cell_is_not_finished_until_force_moves_it_aside() {
    let dir = scratch("damaged");
    let d = def(&dir, "damaged", r#""lv""#, 1, 100);
    run_ok(replicate(&d, &dir, &[]));
    let cell = dir.join("results/damaged/smoke/gmm-d2-lv-s0");
    let history = std::fs::read_to_string(cell.join("history.csv")).unwrap();
    let lines: Vec<&str> = history.lines().collect();
    assert!(lines.len() >= 3, "{history}");
    // Cut at a line boundary: two rows lost.
    std::fs::write(
        cell.join("history.csv"),
        lines[..lines.len() - 2].join("\n") + "\n",
    )
    .unwrap();
    let err = run_err(replicate(&d, &dir, &[]));
    assert!(
        err.contains("damaged") && err.contains("history.csv") && err.contains("--force"),
        "{err}"
    );
    run_ok(replicate(&d, &dir, &["--force"]));
    assert!(cell.with_file_name("gmm-d2-lv-s0.old-1").exists());
    let original = dir.join("original-history.csv");
    std::fs::write(&original, &history).unwrap();
    assert_eq!(
        without_wall(&cell.join("history.csv")),
        without_wall(&original),
        "the rerun wrote every row, as the first run did"
    );
    // A corrupt checkpoint in an unfinished cell: the error says how to get past it.
    std::fs::rename(&cell, dir.join("aside")).unwrap();
    std::fs::create_dir_all(&cell).unwrap();
    std::fs::write(cell.join("checkpoint.mpk"), b"\x93not a checkpoint").unwrap();
    let err = run_err(replicate(&d, &dir, &[]));
    assert!(
        err.contains("checkpoint") && err.contains("--force"),
        "{err}"
    );
    run_ok(replicate(&d, &dir, &["--force"]));
    assert!(cell.join("manifest.json").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn sigterm_checkpoints_a_local_sweep_and_the_rerun_resumes_it() {
    let dir = scratch("sigterm");
    let d = def(&dir, "sigterm", r#""lv""#, 1, 1000);
    // The sweeps.csv of an earlier run that a full disk emptied.
    let cells = dir.join("results/sigterm/smoke");
    std::fs::create_dir_all(&cells).unwrap();
    std::fs::write(cells.join("sweeps.csv"), "").unwrap();
    let mut child = replicate(&d, &dir, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let cell = cells.join("gmm-d2-lv-s0");
    let clock = Instant::now();
    // Its first periodic checkpoint (step 200 of 1000): the cell is surely training.
    while !cell.join("checkpoint.mpk").exists() {
        assert!(
            clock.elapsed() < Duration::from_secs(300),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // `cargo run` replaces itself with the program (exec), so the child's pid is xtask's.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.stdout.take();
    let o = child.wait_with_output().unwrap();
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(t.contains("interrupted after step"), "{t}");
    assert!(cell.join("checkpoint.mpk").exists(), "{t}");
    assert!(!cell.join("manifest.json").exists());
    let out = run_ok(replicate(&d, &dir, &[]));
    assert!(out.contains("resuming from its checkpoint"), "{out}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cell.join("manifest.json")).unwrap())
            .unwrap();
    let wall = manifest["wall_s"].as_f64().unwrap();
    let history = std::fs::read_to_string(cell.join("history.csv")).unwrap();
    let last_row_wall: f64 = history
        .lines()
        .last()
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        wall >= last_row_wall,
        "manifest wall_s {wall} < the history's {last_row_wall}"
    );
    let sweeps = std::fs::read_to_string(cells.join("sweeps.csv")).unwrap();
    assert!(
        sweeps.starts_with("finished_unix_s,commit,device,jobs,cells_run,wall_min\n"),
        "{sweeps}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn argument_errors_name_the_field_and_every_experiment() {
    let mut c = xtask();
    c.args(["fig2", "--seeds", "0"]);
    let err = run_err(c);
    assert!(err.contains("--seeds") && err.contains("1.."), "{err}");
    let mut c = xtask();
    c.arg("fig99");
    let err = run_err(c);
    for name in ["fig2", "lv-table", "table1", "fig5", "pinn-table"] {
        assert!(err.contains(name), "{name} missing: {err}");
    }
}
