//! The peer measurements of `cargo xtask bench`: the same kernels in JAX and PyTorch
//! (`benchmarks/peers/`), each in its own virtual environment under `<target>/peers/`, installed
//! from PyPI on first use. A peer that cannot be installed or run is reported with the reason
//! instead of a number. Never run by CI.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (name in the report, script, pip requirement, module to import).
const PEERS: [(&str, &str, &str, &str); 2] = [
    ("JAX", "peer_jax.py", "jax[cpu]", "jax"),
    ("PyTorch", "peer_torch.py", "torch", "torch"),
];

/// Absolute: the peers run with `benchmarks/peers` as their working directory.
fn dir() -> PathBuf {
    let d = super::bench::target_dir().join("peers");
    std::path::absolute(&d).unwrap_or(d)
}

fn run_cmd(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        Err(format!("{} ({})", last.trim(), out.status))
    }
}

/// Creates the peer's virtual environment and installs it if it does not import yet.
fn install(venv: &Path, pip: &str, module: &str) -> Result<PathBuf, String> {
    let py = venv.join("bin/python");
    if !py.exists() {
        run_cmd(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
    }
    if run_cmd(Command::new(&py).arg("-c").arg(format!("import {module}"))).is_err() {
        eprintln!("installing {pip} into {} (PyPI)", venv.display());
        run_cmd(Command::new(&py).args(["-m", "pip", "install", "-q", pip, "numpy"]))
            .map_err(|e| format!("pip install {pip} failed: {e}"))?;
    }
    Ok(py)
}

/// The kernel groups of `cargo xtask bench`, in the order it runs them: (the peers' `--only`
/// name, criterion's filter for our kernels of the group).
pub const GROUPS: [(&str, &str); 5] = [
    ("forward", "^forward/"),
    ("simulate", "^train/simulate"),
    ("lv", "^train/lv_step"),
    ("tr", "^train/tr_lv_inner"),
    ("refresh", "^trust_region/buffer_refresh"),
];

/// The peers in the order they run around our kernels of group number `i`: one right before
/// ours, the other right after, alternating, so that the machine's drift hits all three alike.
pub fn order(i: usize) -> [usize; 2] {
    if i % 2 == 0 {
        [0, 1]
    } else {
        [1, 0]
    }
}

/// Marks (under `<target>/peers/`) a run interleaved with ours, for the report's wording.
const INTERLEAVED: &str = "interleaved";

/// Records whether the peers' times on file were taken interleaved with ours.
pub fn mark_interleaved(yes: bool) {
    let path = dir().join(INTERLEAVED);
    if yes {
        let _ = std::fs::write(path, "");
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// Forgets the peers' outputs of an earlier run (`<target>/peers/<script>.json` or `.err`).
pub fn reset() {
    let dir = dir();
    let _ = std::fs::create_dir_all(&dir);
    mark_interleaved(false);
    for (_, script, _, _) in PEERS {
        let _ = std::fs::remove_file(dir.join(format!("{script}.json")));
        let _ = std::fs::remove_file(dir.join(format!("{script}.err")));
    }
}

/// Installs (first use) and runs peer number `p` on kernel `group`, and merges its times into
/// `<target>/peers/<script>.json`; a failure is written to `<script>.err` and the peer is not
/// tried again until the next [`reset`].
pub fn run(p: usize, group: &str, k: usize, d: usize) {
    let (name, script, pip, module) = PEERS[p];
    let dir = dir();
    let (json, err) = (
        dir.join(format!("{script}.json")),
        dir.join(format!("{script}.err")),
    );
    if err.exists() {
        return;
    }
    eprintln!("peer {name}: {script} --only {group} (d = {d}, K = {k})");
    let result = install(&dir.join(format!("{module}-venv")), pip, module).and_then(|py| {
        run_cmd(
            Command::new(py)
                .arg(script)
                .args(["--d", &d.to_string(), "--k", &k.to_string()])
                .args(["--only", group])
                .current_dir("benchmarks/peers"),
        )
    });
    let merged = result.and_then(|out| {
        let mut new: serde_json::Value = serde_json::from_str(out.trim())
            .map_err(|e| format!("unreadable output ({e}): {}", out.trim()))?;
        if let Ok(old) = std::fs::read_to_string(&json) {
            let old: serde_json::Value = serde_json::from_str(&old).unwrap_or_default();
            if let (Some(o), Some(n)) = (old["kernels"].as_object(), new["kernels"].as_object_mut())
            {
                for (id, t) in o {
                    n.entry(id.clone()).or_insert_with(|| t.clone());
                }
            }
        }
        Ok(new.to_string())
    });
    match merged {
        Ok(text) => {
            let _ = std::fs::write(&json, text);
        }
        Err(e) => {
            eprintln!("peer {name}: {e}");
            let _ = std::fs::remove_file(&json);
            let _ = std::fs::write(&err, e);
        }
    }
}

/// Every group of every peer, one after the other (`--peers-only`): not interleaved with ours.
pub fn run_all(k: usize, d: usize) {
    reset();
    for p in 0..PEERS.len() {
        for (group, _) in GROUPS {
            run(p, group, k, d);
        }
    }
}

/// A peer's output of the last run under `root` (a target directory), or why there is none.
fn load(root: &Path, script: &str) -> Result<serde_json::Value, String> {
    let dir = root.join("peers");
    match std::fs::read_to_string(dir.join(format!("{script}.json"))) {
        Ok(t) => serde_json::from_str(t.trim()).map_err(|e| format!("unreadable output ({e})")),
        Err(_) => Err(std::fs::read_to_string(dir.join(format!("{script}.err")))
            // The last line says why (a Python traceback ends with the exception).
            .map(|e| e.trim().lines().last().unwrap_or("").to_string())
            .unwrap_or_else(|_| "not run (`cargo xtask bench` without `--no-peers`)".into())),
    }
}

/// The report section: our time per kernel next to each peer's, and the ratio.
pub fn section(root: &Path, ours: &dyn Fn(&str) -> Option<f64>, ids: &[String]) -> String {
    let mut md = String::from(
        "\n## Peers (JAX, PyTorch), same machine, same sizes\n\n`benchmarks/peers/` runs the \
         same kernels (network, batch, 50 steps, float32, threads = cores) in JAX (jit) and \
         PyTorch (eager), median of 3 timed runs after a warm-up (the K-path refresh: one). ",
    );
    md.push_str(if root.join("peers").join(INTERLEAVED).exists() {
        "Interleaved: for each kernel group one peer ran right before our criterion run and the \
         other right after, alternating which goes first, so that the machine's speed drift \
         (10–30% within an hour on this VM) hits all three alike. "
    } else {
        "**Not interleaved**: the peers' times come from a run of their own (`--peers-only`, or \
         ours rerun with `--no-peers`), so drift of the machine's speed between the two runs \
         enters the ratios. "
    });
    md.push_str("Ratio = our time / their time (below 1: we are faster).\n\n");
    let mut cols = Vec::new();
    for (name, script, _, _) in PEERS {
        match load(root, script) {
            Ok(v) => {
                md.push_str(&format!(
                    "- {name} {} ({} threads)\n",
                    v["version"].as_str().unwrap_or("?"),
                    v["threads"]
                ));
                cols.push((name, Some(v["kernels"].clone())));
            }
            Err(why) => {
                md.push_str(&format!("- {name}: not measured: {why}\n"));
                cols.push((name, None));
            }
        }
    }
    md.push_str("\n| kernel | socbench |");
    for (name, _) in &cols {
        md.push_str(&format!(" {name} | socbench / {name} |"));
    }
    md.push_str(&format!("\n|---|---|{}\n", "---|---|".repeat(cols.len())));
    for id in ids {
        let theirs: Vec<Option<f64>> = cols
            .iter()
            .map(|(_, v)| v.as_ref().and_then(|v| v[id.as_str()].as_f64()))
            .collect();
        if theirs.iter().all(Option::is_none) {
            continue;
        }
        let us = ours(id);
        md.push_str(&format!(
            "| `{id}` | {} |",
            us.map_or("–".into(), super::bench::fmt_time)
        ));
        for t in theirs {
            match (us, t) {
                (Some(u), Some(t)) => {
                    md.push_str(&format!(" {} | {:.2} |", super::bench::fmt_time(t), u / t))
                }
                (None, Some(t)) => md.push_str(&format!(" {} | – |", super::bench::fmt_time(t))),
                _ => md.push_str(" – | – |"),
            }
        }
        md.push('\n');
    }
    md
}
