//! `cargo xtask bench`: runs the criterion kernels of `methods/benches/kernels.rs` and writes
//! `reports/performance.md`: time per call, throughput, FLOPs per call from the count stated below,
//! achieved GFLOP/s and the fraction of this machine's f32 matrix-multiply rate, measured in the
//! same run (a 2048³ sgemm through the same backend).
//!
//! FLOP count of the control network (App. E.1: depth L = 6 Linear layers of width W = 256, input
//! [x, φ(t)] of d + 2F with F = 64 Fourier frequencies) on a batch of B, as computed: the first
//! layer multiplies φ(t) once per call, not once per row (`first_layer` in
//! harness/src/network.rs), so fwd(d, B) = 2B[dW + (L − 2)W² + Wd] + 2·2F·W (multiply–adds of the
//! matrix products; the time network f2 also runs on one row and is left out). The concatenated
//! first layer of the paper's code and the peers does 2B·2F·W more. Backward is counted as
//! 2 × forward. Elementwise work (GELU, the SDE update, losses) is not counted.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Buffer size K of the refresh kernel (paper: 50 000).
    #[arg(long, default_value_t = 50_000)]
    pub k: usize,
    /// Only write the report from the estimates of the last run (no benchmarking).
    #[arg(long)]
    pub report_only: bool,
    /// Skip the JAX and PyTorch peers (`benchmarks/peers/`, installed from PyPI on first use).
    #[arg(long, conflicts_with = "peers_only")]
    pub no_peers: bool,
    /// Only run the peers, then write the report with the criterion estimates of the last run.
    #[arg(long, conflicts_with = "report_only")]
    pub peers_only: bool,
    /// The results of a whole `cargo xtask replicate fig2 --profile cpu` run, for the whole-run
    /// wall time (its `sweeps.csv` and the cells' manifests).
    #[arg(long, default_value = "results/fig2/cpu")]
    pub whole_run: PathBuf,
}

const D: usize = 50;
const BATCH: f64 = 2000.0;
const STEPS: f64 = 50.0;

/// fwd(d, B) in FLOPs.
fn fwd(d: usize, b: f64) -> f64 {
    let (w, l, f) = (256.0, 6.0, 64.0);
    let d = d as f64;
    2.0 * b * (d * w + (l - 2.0) * w * w + w * d) + 2.0 * 2.0 * f * w
}

/// (criterion id, what it is, FLOPs per call, throughput unit and count per call).
fn kernels(k: usize) -> Vec<(String, String, Option<f64>, Option<(&'static str, f64)>)> {
    let mut v = vec![(
        "peak/sgemm_2048".to_string(),
        "f32 matrix multiply 2048 × 2048 × 2048 (the roofline)".to_string(),
        Some(2.0 * 2048f64.powi(3)),
        None,
    )];
    for d in [2, 50, 200] {
        v.push((
            format!("forward/b2000_d{d}"),
            format!("control network forward, batch 2000, d = {d}"),
            Some(fwd(d, BATCH)),
            Some(("rows/s", BATCH)),
        ));
    }
    let ps = BATCH * STEPS;
    v.extend([
        (
            format!("train/simulate_b2000_s50_d{D}"),
            "simulate 2000 paths × 50 steps (stored, GMM target)".into(),
            Some(STEPS * fwd(D, BATCH)),
            Some(("path-steps/s", ps)),
        ),
        (
            format!("train/lv_step_b2000_s50_d{D}"),
            "LV gradient step: simulate keeping the graph (on-policy), loss, backward, Adam".into(),
            Some(3.0 * STEPS * fwd(D, BATCH)),
            Some(("steps/s", 1.0)),
        ),
        (
            format!("train/am_step_b2000_s50_d{D}"),
            "AM gradient step: simulate (on-policy), lean adjoint, regression, backward, Adam"
                .into(),
            Some(3.0 * STEPS * fwd(D, BATCH)),
            Some(("steps/s", 1.0)),
        ),
        (
            format!("train/tr_lv_inner_step_mb2000_s50_d{D}"),
            "TR-LV inner step: minibatch of 2000 from the buffer, tilted LV, backward, Adam".into(),
            Some(3.0 * STEPS * fwd(D, BATCH)),
            Some(("steps/s", 1.0)),
        ),
        (
            format!("trust_region/buffer_refresh_k{k}_s50_d{D}"),
            format!("TR buffer refresh: simulate and store K = {k} paths × 50 steps"),
            Some(STEPS * fwd(D, k as f64)),
            Some(("path-steps/s", k as f64 * STEPS)),
        ),
        (
            format!("trust_region/dual_solve_k{k}"),
            format!("dual solve for λ (eq. 14) on K = {k} weights"),
            None,
            None,
        ),
        (
            format!("pinn/logce_step_b256_d{D}_exact"),
            "ODE-logCE step, 256 collocation points, exact div μ (d directions through μ)".into(),
            None,
            Some(("steps/s", 1.0)),
        ),
        (
            format!("pinn/logce_step_b256_d{D}_hutchinson4"),
            "ODE-logCE step, 256 collocation points, Hutchinson div μ (K = 4 probes)".into(),
            None,
            Some(("steps/s", 1.0)),
        ),
        (
            format!("metrics/sinkhorn_2000x2000_d{D}"),
            "Sinkhorn divergence, 2000 vs 2000 points (f64)".into(),
            None,
            None,
        ),
        (
            "molecule/chignolin_gbn2_forces".into(),
            "chignolin energy and forces, 138 atoms, ff14SBonlysc + GBn2 (f64, one thread)".into(),
            None,
            Some(("evals/s", 1.0)),
        ),
        (
            "molecule/alanine_vacuum_forces".into(),
            "alanine dipeptide energy and forces, 22 atoms in vacuum (f64, one thread)".into(),
            None,
            Some(("evals/s", 1.0)),
        ),
    ]);
    v
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from)
}

/// Mean time per call in seconds from criterion's `new/estimates.json`.
/// Criterion's mean time (seconds) of kernel `id` under `root` (a target directory).
fn estimate(root: &Path, id: &str) -> Option<f64> {
    let p = root.join("criterion").join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(p).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(v["mean"]["point_estimate"].as_f64()? * 1e-9)
}

pub(crate) fn fmt_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

/// `cargo` arguments naming the criterion kernels (`methods/benches/kernels.rs`).
pub(crate) const KERNELS_BENCH: [&str; 5] =
    ["bench", "-p", "socbench-methods", "--bench", "kernels"];

/// Runs our criterion kernels matching `filter` (a regex over the kernel ids).
fn ours(k: usize, filter: &str) -> Result<(), String> {
    let status = Command::new(env!("CARGO"))
        .args(KERNELS_BENCH)
        .args(["--", filter])
        .env("SOCBENCH_BENCH_K", k.to_string())
        .env("SOCBENCH_BENCH_D", D.to_string())
        .status()
        .map_err(|e| format!("cannot run cargo bench: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo bench -- {filter} failed ({status})"))
    }
}

/// Our kernels without a peer counterpart, run after the interleaved groups.
const OURS_ONLY: &str = "^train/am_step|^trust_region/dual_solve|^pinn/|^metrics/|^molecule/";

pub fn run(a: BenchArgs) -> Result<(), String> {
    use crate::peers;
    if a.peers_only {
        peers::run_all(a.k, D);
    } else if !a.report_only {
        // The roofline first, then each kernel group with one peer right before ours and the
        // other right after (see `peers::order`), then the kernels no peer runs.
        ours(a.k, "^peak/")?;
        if a.no_peers {
            peers::mark_interleaved(false);
        } else {
            peers::reset();
            peers::mark_interleaved(true);
        }
        for (i, (group, filter)) in peers::GROUPS.iter().enumerate() {
            let [first, second] = peers::order(i);
            if !a.no_peers {
                peers::run(first, group, a.k, D);
            }
            ours(a.k, filter)?;
            if !a.no_peers {
                peers::run(second, group, a.k, D);
            }
        }
        ours(a.k, OURS_ONLY)?;
    }
    render(
        a.k,
        &target_dir(),
        &Setting {
            source: "`cargo xtask bench`",
            backend: "flex (burn 0.21, the CPU default), f32",
            hardware: &socbench_reports::output::hardware(),
            commit: &socbench_methods::record::git_commit(),
        },
        Path::new("reports/performance.md"),
    )?;
    let section = whole_run(&a.whole_run);
    let out = Path::new("reports/performance.md");
    let md = std::fs::read_to_string(out).map_err(|e| format!("{}: {e}", out.display()))?;
    std::fs::write(out, md + &section).map_err(|e| format!("{}: {e}", out.display()))
}

/// Sum of the 21 cells' wall times of `cargo xtask replicate fig2 --profile cpu` before the
/// performance work: the table of reports/fig2.md at commit 3455470 (run with `--jobs 2`).
const FIG2_CPU_BEFORE_MIN: f64 = 86.6;

/// The whole-run section: each `replicate` invocation logged in `dir/sweeps.csv`, and the sum of
/// the finished cells' wall times (comparable with [`FIG2_CPU_BEFORE_MIN`]).
fn whole_run(dir: &Path) -> String {
    let mut md = format!(
        "\n## Whole run: `cargo xtask replicate fig2 --profile cpu`\n\n\
         Before the performance work (commit 3455470): the 21 cells took {FIG2_CPU_BEFORE_MIN} \
         min summed (run with `--jobs 2`, so about half of that on the clock).\n\n"
    );
    let cells: Vec<f64> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| std::fs::read_to_string(e.path().join("manifest.json")).ok())
                .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .filter(|m| m["status"] == "finished")
                .filter_map(|m| m["wall_s"].as_f64())
                .collect()
        })
        .unwrap_or_default();
    let log = std::fs::read_to_string(dir.join("sweeps.csv")).unwrap_or_default();
    if cells.is_empty() {
        md.push_str(&format!(
            "No finished cells under `{}` yet.\n",
            dir.display()
        ));
        return md;
    }
    md.push_str(&format!(
        "Now (`{}`): {} finished cells, {:.1} min summed.\n\n",
        dir.display(),
        cells.len(),
        cells.iter().sum::<f64>() / 60.0
    ));
    if log.lines().count() > 1 {
        md.push_str(
            "| finished (unix s) | commit | device | jobs | cells run | wall time [min] |\n\
                     | --- | --- | --- | --- | --- | --- |\n",
        );
        for l in log.lines().skip(1) {
            md.push_str(&format!(
                "| {} |\n",
                l.split(',').collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    md
}

/// Where the timings of a report came from.
pub struct Setting<'a> {
    /// The command that produced them.
    pub source: &'a str,
    pub backend: &'a str,
    pub hardware: &'a str,
    /// The git commit of the build that was timed.
    pub commit: &'a str,
}

/// Writes the report from the criterion estimates and peer outputs found under `root` (a target
/// directory: `criterion/`, `peers/`), for the backend and hardware named.
pub fn render(k: usize, root: &Path, setting: &Setting, out: &Path) -> Result<(), String> {
    let estimate = |id: &str| estimate(root, id);
    let peak = estimate("peak/sgemm_2048").map(|t| 2.0 * 2048f64.powi(3) / t / 1e9);
    let mut md = String::from("# Performance: socbench kernels at the paper's sizes\n\n");
    md.push_str(&format!(
        "Generated by {} (criterion, `methods/benches/kernels.rs`).\n\n\
         - hardware: {}\n- backend: {}\n- git commit: `{}`\n\
         - measured f32 matrix-multiply rate (2048³ sgemm through the same backend): {}\n\n",
        setting.source,
        setting.hardware,
        setting.backend,
        setting.commit,
        peak.map_or("–".into(), |p| format!("{p:.1} GFLOP/s")),
    ));
    md.push_str(
        "FLOPs per call count the matrix products of the control network only, as computed: \
         fwd(d, B) = 2B[d·256 + 4·256² + 256·d] + 2·128·256 (the time features' product is taken \
         once per call, not once per row; the peers' concatenated first layer does 2B·128·256 \
         more), backward = 2 × forward (see `xtask/src/bench.rs`). \
         A gradient step is 3 × 50 × fwd (the on-policy simulation keeps the network's graph, \
         and its backward), a TR inner step also 3 × 50 × fwd (the loss forward on the stored \
         paths, and its backward).\n\n",
    );
    md.push_str(
        "| kernel | time per call | throughput | GFLOP per call | GFLOP/s | % of sgemm rate |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    let mut missing = Vec::new();
    let kernels = kernels(k);
    for (id, what, flops, unit) in &kernels {
        let Some(t) = estimate(id) else {
            missing.push(id.as_str());
            continue;
        };
        let thr = unit.map_or("–".into(), |(u, n)| format!("{:.3e} {u}", n / t));
        let (gf, rate, frac) = match flops {
            Some(f) => (
                format!("{:.2}", f / 1e9),
                format!("{:.1}", f / t / 1e9),
                peak.map_or("–".into(), |p| format!("{:.0}%", 100.0 * f / t / 1e9 / p)),
            ),
            None => ("–".into(), "–".into(), "–".into()),
        };
        md.push_str(&format!(
            "| {what} (`{id}`) | {} | {thr} | {gf} | {rate} | {frac} |\n",
            fmt_time(t)
        ));
    }
    if !missing.is_empty() {
        md.push_str(&format!(
            "\nNo estimate found for: {} (run without `--report-only`).\n",
            missing.join(", ")
        ));
    }
    let ids: Vec<String> = kernels.into_iter().map(|k| k.0).collect();
    md.push_str(&crate::peers::section(root, &estimate, &ids));
    std::fs::write(out, md).map_err(|e| format!("{}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
