//! `cargo xtask replicate --slurm` against a real Slurm (scripts/slurm-local.sh starts a
//! one-node cluster). Ignored by default; `.ci/run` runs it with `SOCBENCH_SLURM_TEST=1`:
//! `SOCBENCH_SLURM_TEST=1 cargo test --release --test slurm -- --ignored --test-threads 1` (the
//! tests share the one-node cluster, so they run one at a time).
//!
//! 1. fig2's smoke sweep as an array job writes the same report as a local run (bit for bit,
//!    but for the line naming the results folder and the wall times).
//! 2. An array task cancelled with `scancel` while it runs leaves its cell unfinished; a second
//!    `replicate --slurm` submits that cell alone, and afterwards every cell is finished, the
//!    report is again the local one, and the interrupted run was resumed from its checkpoint
//!    (scancel sends SIGTERM) or moved aside, never deleted.
//! 3. pinn-table's smoke sweep (21 PINN cells) as an array job: every cell's losses and metrics
//!    equal the local run's (the report differs only in timings).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn xtask(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .arg("xtask")
        .args(args)
        .output()
        .expect("cargo xtask");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "cargo xtask {args:?} failed:\n{text}");
    text
}

/// The report without the line naming the results folder and the wall-time table.
fn report(reports: &Path) -> Vec<String> {
    common::report_body(&reports.join("fig2-smoke.md"))
}

fn same_report(got: &[String], want: &[String], what: &str) {
    let diff: Vec<String> = got
        .iter()
        .zip(want)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("- {b}\n+ {a}"))
        .collect();
    assert!(
        diff.is_empty() && got.len() == want.len(),
        "{what}: the report differs from the local run's ({} lines against {}):\n{}",
        got.len(),
        want.len(),
        diff.join("\n")
    );
}

/// Whether the Slurm tests are asked for (`SOCBENCH_SLURM_TEST=1`); says why they skip if not.
fn enabled() -> bool {
    let on = std::env::var("SOCBENCH_SLURM_TEST").as_deref() == Ok("1");
    if !on {
        eprintln!("skipped: set SOCBENCH_SLURM_TEST=1 with Slurm running");
    }
    on
}

/// Runs `exp`'s smoke profile here, into `root`/results and `root`/reports.
fn run_local(exp: &str, root: &Path) {
    let r = root.join("results");
    let p = root.join("reports");
    xtask(&[
        "replicate",
        exp,
        "--profile",
        "smoke",
        "--results",
        r.to_str().unwrap(),
        "--reports",
        p.to_str().unwrap(),
    ]);
}

fn status(exp: &str, root: &Path) -> String {
    let r = root.join("results");
    let p = root.join("reports");
    xtask(&[
        "slurm",
        "status",
        exp,
        "--profile",
        "smoke",
        "--results",
        r.to_str().unwrap(),
        "--reports",
        p.to_str().unwrap(),
    ])
}

/// Polls `slurm status` until all `n` cells of `exp` are finished.
fn wait_all(exp: &str, n: usize, root: &Path) -> String {
    let t = Instant::now();
    loop {
        let s = status(exp, root);
        if s.contains(&format!(" {n} finished")) {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(600),
            "not finished in 10 min:\n{s}"
        );
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// Submits `exp`'s smoke profile as an array job; returns the job id.
fn submit(exp: &str, root: &Path) -> String {
    let r = root.join("results");
    let p = root.join("reports");
    let out = xtask(&[
        "replicate",
        exp,
        "--profile",
        "smoke",
        "--slurm",
        "--results",
        r.to_str().unwrap(),
        "--reports",
        p.to_str().unwrap(),
    ]);
    let jobs = std::fs::read_to_string(r.join(exp).join("smoke/slurm/jobs.csv")).unwrap();
    let job = jobs
        .lines()
        .last()
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    println!("{out}submitted job {job}");
    job
}

/// squeue's RUNNING array tasks of `job`.
fn running(job: &str) -> Vec<String> {
    let out = Command::new("squeue")
        .args(["-h", "-r", "-j", job, "-t", "RUNNING", "-o", "%i"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn queued(job: &str) -> bool {
    let out = Command::new("squeue")
        .args(["-h", "-j", job])
        .output()
        .unwrap();
    !String::from_utf8_lossy(&out.stdout).trim().is_empty()
}

#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm-local.sh, then SOCBENCH_SLURM_TEST=1"]
fn slurm_array_job_matches_a_local_run_and_survives_a_cancel() {
    if !enabled() {
        return;
    }
    let base = std::env::temp_dir().join(format!("socbench-slurm-{}", std::process::id()));
    let root = |n: &str| -> PathBuf { base.join(n) };
    let local = root("local");
    run_local("fig2", &local);
    let want = report(&local.join("reports"));

    // 1. End to end.
    let sl = root("slurm");
    submit("fig2", &sl);
    println!("{}", wait_all("fig2", 2, &sl));
    same_report(&report(&sl.join("reports")), &want, "array job");

    // 2. Cancel one task while it runs, then resubmit.
    let cx = root("cancel");
    let job = submit("fig2", &cx);
    let t = Instant::now();
    let victim = loop {
        if let Some(v) = running(&job).into_iter().next() {
            break v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "no task of {job} started"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // squeue says RUNNING once the task is allocated, before `socbench cell` has started (and
    // installed its SIGTERM handler): wait for the task's log to say its cell runs.
    let log = cx.join(format!("results/fig2/smoke/slurm/logs/{victim}.out"));
    while !std::fs::read_to_string(&log).is_ok_and(|l| l.contains("running on")) {
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "task {victim} never started its cell"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let ok = Command::new("scancel").arg(&victim).status().unwrap();
    assert!(ok.success());
    while queued(&job) {
        std::thread::sleep(Duration::from_millis(500));
    }
    let after = status("fig2", &cx);
    println!("after scancel {victim}:\n{after}");
    assert!(
        after.contains("1 failed"),
        "the cancelled task's cell should be unfinished:\n{after}"
    );
    submit("fig2", &cx);
    println!("{}", wait_all("fig2", 2, &cx));
    same_report(
        &report(&cx.join("reports")),
        &want,
        "after the resubmission",
    );
    let cells = cx.join("results/fig2/smoke");
    let entries: Vec<String> = std::fs::read_dir(&cells)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    println!("cell directories: {entries:?}");
    // scancel sends SIGTERM: the cell checkpoints and the resubmitted task resumes from it; a
    // task killed before its first checkpoint leaves a run that is moved aside instead.
    let logs: String = std::fs::read_dir(cells.join("slurm/logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    println!("task logs:\n{logs}");
    assert!(
        logs.contains("resuming from its checkpoint")
            || entries.iter().any(|e| e.contains(".old-")),
        "the interrupted run was neither resumed nor moved aside: {entries:?}"
    );
    let manifests = entries
        .iter()
        .filter(|e| cells.join(e).join("manifest.json").exists())
        .count();
    assert_eq!(manifests, 2);
    std::fs::remove_dir_all(&base).ok();
}

#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm-local.sh, then SOCBENCH_SLURM_TEST=1"]
fn pinn_table_array_job_matches_a_local_run() {
    if !enabled() {
        return;
    }
    let base = std::env::temp_dir().join(format!("socbench-slurm-pinn-{}", std::process::id()));
    let (local, sl) = (base.join("local"), base.join("slurm"));
    run_local("pinn-table", &local);
    submit("pinn-table", &sl);
    println!("{}", wait_all("pinn-table", 21, &sl));
    assert!(sl.join("reports/pinn-table-smoke.md").exists());
    let cells = |root: &Path| root.join("results/pinn-table/smoke");
    let mut compared = 0;
    for e in std::fs::read_dir(cells(&local)).unwrap() {
        let name = e.unwrap().file_name();
        if !cells(&local).join(&name).join("manifest.json").exists() {
            continue; // sweeps.csv, the sweep's run log, not a cell
        }
        let read = |root: &Path| -> serde_json::Value {
            let m = cells(root).join(&name).join("manifest.json");
            serde_json::from_str(&std::fs::read_to_string(m).unwrap()).unwrap()
        };
        let (a, b) = (read(&local), read(&sl));
        for k in ["losses", "metrics", "status"] {
            assert_eq!(a["outcome"][k], b["outcome"][k], "{name:?}: {k}");
        }
        compared += 1;
    }
    assert_eq!(compared, 21);
    std::fs::remove_dir_all(&base).ok();
}
