//! `cargo xtask gpu`: a GPU run in one command on each side of the `device` tool.
//!
//! - `cargo xtask gpu stage JOB...` builds the release binaries with `--features cuda` here
//!   (the GPU machine has no cargo and no network), strips and compresses them into `.gpu/bin/`, copies the
//!   finished cells of earlier GPU runs into `.gpu/results/` (sweeps resume), checks that what
//!   travels fits the 64 MiB limit, and prints the `run` call: command `bash scripts/gpu-job.sh
//!   JOB...`, carry `[".gpu"]`.
//! - `scripts/gpu-job.sh` runs there and writes its outputs to `$OUT`.
//! - `cargo xtask gpu collect FOLDER` (the folder the files came back to) puts them in place:
//!   new cells into `results/` (never over an existing one), the cross-device checks and the
//!   card's description into `reports/gpu/`, the GPU kernel timings into
//!   `reports/performance-cuda.md`, and regenerates the reports of the sweeps that got cells.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, Subcommand};

#[derive(Args, Debug)]
pub struct GpuArgs {
    #[command(subcommand)]
    pub command: GpuCommand,
}

#[derive(Subcommand, Debug)]
pub enum GpuCommand {
    /// Build with `--features cuda`, stage `.gpu/` and print the device `run` call.
    Stage {
        /// Jobs: crosscheck, fig2, manywell, bench (default: all four, in that order).
        jobs: Vec<String>,
        /// Skip the build (use the binaries already in `.gpu/bin`).
        #[arg(long)]
        no_build: bool,
    },
    /// Put the files a GPU run brought back in place and regenerate the reports.
    Collect {
        /// The folder the device tool copied the run's files to.
        dir: PathBuf,
    },
}

const JOBS: [&str; 4] = ["crosscheck", "fig2", "manywell", "bench"];
/// The device tool's limit on what travels (working tree + carried paths).
const CARRY_LIMIT: u64 = 64 << 20;
/// Each sweep a job runs: (job, experiment whose cells it makes, profile on the GPU).
const SWEEPS: [(&str, &str, &str); 2] = [("fig2", "fig2", "paper"), ("manywell", "fig3", "paper")];

pub fn run(a: GpuArgs) -> Result<(), String> {
    match a.command {
        GpuCommand::Stage { jobs, no_build } => stage(jobs, no_build),
        GpuCommand::Collect { dir } => collect(&dir),
    }
}

fn sh(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// The build directory of the CUDA binaries (kept apart from the CPU build's).
fn cuda_target() -> PathBuf {
    crate::bench::target_dir().join("cuda")
}

fn build(bench: bool) -> Result<Vec<PathBuf>, String> {
    let target = cuda_target();
    eprintln!(
        "building with --features cuda into {} (cold: about 15 min on 2 cores)",
        target.display()
    );
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "-p", "socbench", "-p", "xtask"])
        .args(["--features", "socbench/cuda,xtask/cuda"])
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --features cuda failed ({status})"));
    }
    let mut bins = vec![
        target.join("release/socbench"),
        target.join("release/xtask"),
    ];
    if bench {
        // `--no-run` names the criterion executable: "Executable benches/kernels.rs (PATH)".
        let log = sh(Command::new(env!("CARGO"))
            .args(crate::bench::KERNELS_BENCH)
            .arg("--no-run")
            .args(["--features", "cuda"])
            .env("CARGO_TARGET_DIR", &target))?;
        let exe = log
            .lines()
            .filter(|l| l.contains("Executable") && l.contains("kernels"))
            .find_map(|l| {
                l.rsplit_once('(')
                    .map(|(_, p)| p.trim_end_matches(')').to_string())
            })
            .ok_or_else(|| format!("no kernels executable in cargo's output:\n{log}"))?;
        bins.push(PathBuf::from(exe));
    }
    Ok(bins)
}

fn size(p: &Path) -> u64 {
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => std::fs::read_dir(p)
            .map(|r| r.flatten().map(|e| size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for e in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let e = e.map_err(|e| e.to_string())?;
        let dst = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &dst)?;
        } else {
            std::fs::copy(e.path(), &dst).map_err(|err| format!("{}: {err}", dst.display()))?;
        }
    }
    Ok(())
}

fn stage(jobs: Vec<String>, no_build: bool) -> Result<(), String> {
    let jobs: Vec<String> = if jobs.is_empty() {
        JOBS.iter().map(|s| s.to_string()).collect()
    } else {
        jobs
    };
    if let Some(bad) = jobs.iter().find(|j| !JOBS.contains(&j.as_str())) {
        return Err(format!("unknown job `{bad}`: allowed {}", JOBS.join(", ")));
    }
    let bench = jobs.iter().any(|j| j == "bench");
    let bin = Path::new(".gpu/bin");
    if !no_build {
        let _ = std::fs::remove_dir_all(".gpu");
        std::fs::create_dir_all(bin).map_err(|e| e.to_string())?;
        for b in build(bench)? {
            let name = b.file_name().and_then(|n| n.to_str()).unwrap_or("bin");
            let name = if name.starts_with("kernels-") {
                "kernels"
            } else {
                name
            };
            let dst = bin.join(name);
            std::fs::copy(&b, &dst).map_err(|e| format!("{}: {e}", b.display()))?;
            // Stripped CUDA builds are about 80 MB each (burn-cuda's kernels are generic code):
            // xz brings each to about 12 MB; gpu-job.sh unpacks them there.
            sh(Command::new("strip").arg(&dst))?;
            eprintln!("compressing {}", dst.display());
            sh(Command::new("xz").args(["-T2", "-6", "-f"]).arg(&dst))?;
        }
    }
    for need in ["socbench", "xtask"]
        .into_iter()
        .chain(bench.then_some("kernels"))
    {
        let packed = bin.join(format!("{need}.xz"));
        if !packed.exists() {
            return Err(format!(
                "{} missing: run without --no-build",
                packed.display()
            ));
        }
    }
    if !no_build {
        // The commit the binaries were built from, for the reports made from their timings.
        std::fs::write(".gpu/commit.txt", socbench_methods::record::git_commit())
            .map_err(|e| format!(".gpu/commit.txt: {e}"))?;
    }
    // Earlier GPU cells travel back so that the sweep resumes instead of starting over.
    let _ = std::fs::remove_dir_all(".gpu/results");
    for (job, exp, profile) in SWEEPS {
        let src = Path::new("results").join(exp).join(profile);
        if jobs.iter().any(|j| j == job) && src.is_dir() {
            copy_tree(&src, &Path::new(".gpu/results").join(exp).join(profile))?;
        }
    }
    let tree = sh(Command::new("git").args(["ls-files", "-co", "--exclude-standard"]))?;
    let tree_bytes: u64 = tree.lines().map(|f| size(Path::new(f))).sum();
    let total = tree_bytes + size(Path::new(".gpu"));
    eprintln!(
        "staged .gpu/: {:.1} MiB; with the working tree {:.1} MiB of the 64 MiB that may travel",
        size(Path::new(".gpu")) as f64 / 1048576.0,
        total as f64 / 1048576.0
    );
    if total > CARRY_LIMIT {
        return Err("too large to travel: stage fewer jobs or move old results aside".into());
    }
    let call = serde_json::json!({
        "command": format!("bash scripts/gpu-job.sh {}", jobs.join(" ")),
        "carry": [".gpu"],
        "timeout_s": 600,
    });
    println!("{call}");
    eprintln!("then: cargo xtask gpu collect <files_at of the reply>");
    Ok(())
}

/// Extracts the gzipped tarball `archive` into `into`.
fn untar(archive: &Path, into: &Path) -> Result<(), String> {
    sh(Command::new("tar")
        .arg("xzf")
        .arg(archive)
        .arg("-C")
        .arg(into))
    .map(|_| ())
}

/// Moves each cell directory (one holding `manifest.json`) under `from` to the same place under
/// `to` unless that exists; returns (moved, existing cells that differ from the GPU's copy).
/// A cell that travelled out and back unchanged (staged for resuming) is neither.
fn merge_cells(from: &Path, to: &Path) -> Result<(usize, Vec<String>), String> {
    if from.join("manifest.json").exists() {
        if to.exists() {
            let manifest = |d: &Path| std::fs::read(d.join("manifest.json")).ok();
            if manifest(from) == manifest(to) {
                return Ok((0, Vec::new()));
            }
            return Ok((0, vec![to.display().to_string()]));
        }
        copy_tree(from, to)?;
        return Ok((1, Vec::new()));
    }
    let (mut moved, mut kept) = (0, Vec::new());
    if let Ok(rd) = std::fs::read_dir(from) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                let (m, k) = merge_cells(&e.path(), &to.join(e.file_name()))?;
                moved += m;
                kept.extend(k);
            }
        }
    }
    Ok((moved, kept))
}

fn collect(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!(
            "`{}` is not a folder (the reply's files_at)",
            dir.display()
        ));
    }
    let gpu_reports = Path::new("reports/gpu");
    std::fs::create_dir_all(gpu_reports).map_err(|e| e.to_string())?;
    for f in [
        "nvidia-smi.txt",
        "crosscheck.txt",
        "crosscheck.json",
        "job.log",
    ] {
        if dir.join(f).exists() {
            std::fs::copy(dir.join(f), gpu_reports.join(f)).map_err(|e| format!("{f}: {e}"))?;
            eprintln!("copied {f} to {}", gpu_reports.display());
        }
    }
    let card = std::fs::read_to_string(dir.join("nvidia-smi.txt"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.contains("NVIDIA") && !l.contains("SMI"))
                .map(|l| {
                    l.trim_matches(|c: char| c == '|' || c.is_whitespace())
                        .to_string()
                })
        })
        .unwrap_or_else(|| "NVIDIA GPU (nvidia-smi.txt missing)".into());
    let scratch = crate::bench::target_dir().join("gpu-collect");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    if dir.join("results.tar.gz").exists() {
        untar(&dir.join("results.tar.gz"), &scratch)?;
        let (moved, kept) = merge_cells(&scratch.join(".gpu/results"), Path::new("results"))?;
        eprintln!("results: {moved} new cells");
        for k in &kept {
            eprintln!("kept the existing {k} (the GPU copy was not moved over it)");
        }
        // Regenerate the report of every sweep (and profile) the run brought cells of.
        for (_, exp, _) in SWEEPS {
            let Ok(profiles) = std::fs::read_dir(scratch.join(".gpu/results").join(exp)) else {
                continue;
            };
            for profile in profiles.flatten() {
                let profile = profile.file_name().to_string_lossy().into_owned();
                socbench_experiments::family::load(exp)?.report(
                    &profile,
                    Path::new("results"),
                    Path::new("reports"),
                )?;
            }
        }
    }
    if dir.join("bench.tar.gz").exists() {
        untar(&dir.join("bench.tar.gz"), &scratch)?;
        let commit = std::fs::read_to_string(scratch.join(".gpu/commit.txt"))
            .map(|c| c.trim().to_string())
            .unwrap_or_else(|_| "unknown (commit.txt missing)".into());
        crate::bench::render(
            50_000,
            &scratch.join(".gpu/bench"),
            &crate::bench::Setting {
                source: "`scripts/gpu-job.sh bench` on the GPU machine, `cargo xtask gpu collect`",
                backend: "burn-cuda (burn 0.21, CubeCL JIT), f32",
                hardware: &card,
                commit: &commit,
            },
            Path::new("reports/performance-cuda.md"),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn collected_cells_never_replace_existing_ones() {
        let root = std::env::temp_dir().join(format!("socbench-gpu-merge-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (from, to) = (root.join("from"), root.join("to"));
        write(&from.join("fig2/paper/gmm-d50-lv-s0/manifest.json"), "gpu");
        write(&from.join("fig2/paper/gmm-d50-lv-s0/history.csv"), "gpu");
        write(&from.join("fig2/paper/gmm-d50-am-s0/manifest.json"), "gpu");
        write(&to.join("fig2/paper/gmm-d50-lv-s0/manifest.json"), "local");
        // Staged for resuming and back unchanged: not reported.
        write(&from.join("fig2/paper/gmm-d50-re-s0/manifest.json"), "same");
        write(&to.join("fig2/paper/gmm-d50-re-s0/manifest.json"), "same");
        let (moved, kept) = merge_cells(&from, &to).unwrap();
        assert_eq!(moved, 1);
        assert_eq!(kept.len(), 1);
        let read = |p: &str| std::fs::read_to_string(to.join(p)).unwrap();
        assert_eq!(read("fig2/paper/gmm-d50-lv-s0/manifest.json"), "local");
        assert!(!to.join("fig2/paper/gmm-d50-lv-s0/history.csv").exists());
        assert_eq!(read("fig2/paper/gmm-d50-am-s0/manifest.json"), "gpu");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn unknown_job_is_refused_before_any_build() {
        let e = stage(vec!["fig9".into()], true).unwrap_err();
        assert!(
            e.contains("unknown job `fig9`") && e.contains("crosscheck"),
            "{e}"
        );
    }
}
