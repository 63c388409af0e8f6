//! The Table 1 report (transition path sampling): the paper's rows beside ours, per-seed rows,
//! the claims, a Ramachandran (φ, ψ) plot of sampled paths per arm, and THP against rollouts per
//! seed (the paper's Fig. 4). Reads the run directories written by `socbench_experiments::tps`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::paper::{lookup, PaperValue};
use crate::plot::curves;
use crate::protocol::mean_std;
use crate::rundirs::{manifests, read_csv};
use crate::svg::{esc, Line, COLORS};

/// One finished TPS run.
#[derive(Default)]
pub struct TpsRun {
    pub arm: String,
    pub label: String,
    pub paper: Option<String>,
    pub seed: u64,
    pub status: String,
    pub message: Option<String>,
    pub commit: String,
    pub wall_s: f64,
    pub energy_evals: u64,
    /// Per path: rmsd, hit, max energy, rmsd_last, hit_last.
    pub rmsd: Vec<f64>,
    pub hit: Vec<bool>,
    pub max_energy: Vec<f64>,
    pub hit_last: Vec<bool>,
    /// history.csv columns.
    pub history: BTreeMap<String, Vec<f64>>,
    /// paths.csv: per path, its (cv1, cv2) points.
    pub paths: Vec<Vec<(f64, f64)>>,
}

impl TpsRun {
    pub fn thp(&self) -> f64 {
        percent(&self.hit)
    }
    pub fn thp_last(&self) -> f64 {
        percent(&self.hit_last)
    }
    pub fn rmsd_mean(&self) -> f64 {
        mean_std(&self.rmsd).map_or(f64::NAN, |m| m.0)
    }
    /// Mean max energy over hitting paths (NaN if none hits).
    pub fn ets(&self) -> f64 {
        let e: Vec<f64> = self
            .hit
            .iter()
            .zip(&self.max_energy)
            .filter(|(h, _)| **h)
            .map(|(_, e)| *e)
            .collect();
        mean_std(&e).map_or(f64::NAN, |m| m.0)
    }
}

impl TpsRun {
    /// Adds the per-path metrics of the final paths (`final.csv` in the run's directory, if any).
    fn read_final(&mut self, dir: &Path) -> Result<(), String> {
        let path = dir.join("final.csv");
        if path.exists() {
            let (_, rows) = read_csv(&path)?;
            for r in rows {
                self.rmsd.push(r[1]);
                self.hit.push(r[2] > 0.5);
                self.max_energy.push(r[3]);
                self.hit_last.push(r[5] > 0.5);
            }
        }
        Ok(())
    }
}

/// The final paths' THP (%), mean RMSD and ETS (ETS only where a path hits) of the run in
/// `dir`, as Table 1 reports them; empty without final paths.
pub fn final_metrics(dir: &Path) -> Result<Vec<(String, f64)>, String> {
    let mut run = TpsRun::default();
    run.read_final(dir)?;
    if run.rmsd.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = vec![
        ("final_thp".to_string(), run.thp()),
        ("final_rmsd".to_string(), run.rmsd_mean()),
    ];
    let ets = run.ets();
    if ets.is_finite() {
        out.push(("final_ets".to_string(), ets));
    }
    Ok(out)
}

/// % of true entries.
fn percent(hits: &[bool]) -> f64 {
    100.0 * hits.iter().filter(|&&h| h).count() as f64 / hits.len().max(1) as f64
}

/// Every finished run under `dir` (one directory per cell, with a `manifest.json`).
pub fn load_tps_runs(dir: &Path) -> Result<Vec<TpsRun>, String> {
    let mut out = Vec::new();
    for (d, m) in manifests(dir)? {
        let s = |k: &str| m[k].as_str().unwrap_or("").to_string();
        let mut run = TpsRun {
            arm: s("arm"),
            label: s("label"),
            paper: None,
            seed: m["seed"].as_u64().unwrap_or(0),
            status: s("status"),
            message: m["message"].as_str().map(String::from),
            commit: s("git_commit"),
            wall_s: m["wall_s"].as_f64().unwrap_or(f64::NAN),
            energy_evals: m["energy_evals"].as_u64().unwrap_or(0),
            rmsd: Vec::new(),
            hit: Vec::new(),
            max_energy: Vec::new(),
            hit_last: Vec::new(),
            history: BTreeMap::new(),
            paths: Vec::new(),
        };
        run.read_final(&d)?;
        if d.join("history.csv").exists() {
            let (head, rows) = read_csv(&d.join("history.csv"))?;
            for (j, h) in head.iter().enumerate() {
                run.history
                    .insert(h.clone(), rows.iter().map(|r| r[j]).collect());
            }
        }
        if d.join("paths.csv").exists() {
            let (_, rows) = read_csv(&d.join("paths.csv"))?;
            for r in rows {
                let i = r[0] as usize;
                if run.paths.len() <= i {
                    run.paths.resize(i + 1, Vec::new());
                }
                run.paths[i].push((r[2], r[3]));
            }
        }
        out.push(run);
    }
    Ok(out)
}

/// What the report needs besides the runs.
pub struct TpsContext<'a> {
    pub experiment: &'a str,
    pub title: &'a str,
    pub profile: &'a str,
    pub target: &'a str,
    /// The system's coordinates (the paper table's `dim`: 66, 414).
    pub dim: usize,
    /// The catalogue ids' prefix of the claims (`table1-`, `table1-chignolin-`).
    pub claim_prefix: String,
    pub paper_table: &'a str,
    /// Arms in the profile's order: (name, label, paper row).
    pub arms: Vec<(String, String, Option<String>)>,
    pub deviations: &'a [String],
    pub hardware: String,
    pub commit: String,
    pub svg_stem: String,
    pub results_dir: String,
    pub energy_unit: &'a str,
    pub rmsd_unit: &'a str,
    pub cv_names: [&'a str; 2],
    pub cv_range: [[f64; 2]; 2],
    /// Start and target (cv1, cv2) and the hit radius in those units.
    pub start_cv: [f64; 2],
    pub target_cv: [f64; 2],
    pub hit_radius_cv: f64,
}

pub(crate) fn pm(v: &[f64], digits: usize) -> String {
    let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    match mean_std(&v) {
        None => "–".into(),
        Some((m, _)) if v.len() == 1 => format!("{m:.digits$} (1 seed)"),
        Some((m, s)) => format!("{m:.digits$} ± {s:.digits$}"),
    }
}

fn paper_cell(values: &[PaperValue], ctx: &TpsContext, row: Option<&str>, metric: &str) -> String {
    row.and_then(|r| lookup(values, ctx.paper_table, ctx.target, ctx.dim, r, metric))
        .map_or("–".into(), |v| v.display())
}

/// The paper's TR-LV and TPS-DPS rows of this system, for the claims.
fn paper_rows(ctx: &TpsContext, values: &[PaperValue]) -> crate::tps_claims::PaperRows {
    let pair = |metric: &str| -> Option<[(f64, f64); 2]> {
        let get = |row: &str| {
            let v = lookup(values, ctx.paper_table, ctx.target, ctx.dim, row, metric)?;
            Some((v.value?, v.std?))
        };
        Some([get("TR-LV")?, get("TPS-DPS")?])
    };
    crate::tps_claims::PaperRows {
        id_prefix: ctx.claim_prefix.clone(),
        thp: pair("thp_percent"),
        rmsd: pair("rmsd_angstrom"),
    }
}

/// The markdown report and its figures (file name, SVG).
pub fn tps_report(
    ctx: &TpsContext,
    runs: &[TpsRun],
    paper: &[PaperValue],
) -> (String, Vec<(String, String)>) {
    let mut md = String::new();
    let _ = writeln!(md, "# {} — profile `{}`\n", ctx.title, ctx.profile);
    let _ = writeln!(
        md,
        "Regenerate: `cargo xtask replicate {} --profile {}` (runs under `{}`). Target `{}`. \
         Report written at commit {} on {}.\n",
        ctx.experiment, ctx.profile, ctx.results_dir, ctx.target, ctx.commit, ctx.hardware
    );
    crate::output::runs_and_deviations(
        &mut md,
        runs.iter().map(|r| (r.commit.as_str(), r.wall_s)),
        ctx.deviations,
    );
    let by_arm = |arm: &str| -> Vec<&TpsRun> {
        let mut v: Vec<&TpsRun> = runs.iter().filter(|r| r.arm == arm).collect();
        v.sort_by_key(|r| r.seed);
        v
    };
    let _ = writeln!(
        md,
        "\n## Table 1\n\nOurs: mean ± std over seeds of each seed's value on its final paths \
         (RMSD: mean over paths; THP: % of paths; ETS: mean over hitting paths). Each path is \
         cut at its best frame, as tps-dps does; \"THP last\" judges the true last frame instead. \
         Energy calls: potential evaluations spent on training rollouts per seed.\n"
    );
    let _ = writeln!(
        md,
        "| method | RMSD{r} | paper | THP (%) | paper | ETS ({e}) | paper | THP last (%) | energy calls | seeds |",
        r = if ctx.rmsd_unit.is_empty() { String::new() } else { format!(" ({})", ctx.rmsd_unit) },
        e = ctx.energy_unit
    );
    let _ = writeln!(md, "|---|---|---|---|---|---|---|---|---|---|");
    for (arm, label, row) in &ctx.arms {
        let rs = by_arm(arm);
        let ok: Vec<&&TpsRun> = rs.iter().filter(|r| r.status == "finished").collect();
        let col =
            |f: &dyn Fn(&TpsRun) -> f64, d| pm(&ok.iter().map(|r| f(r)).collect::<Vec<_>>(), d);
        let evals = ok.first().map_or(0, |r| r.energy_evals);
        let diverged = rs.len() - ok.len();
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {}{} |",
            col(&|r| r.rmsd_mean(), 2),
            paper_cell(paper, ctx, row.as_deref(), "rmsd_angstrom"),
            col(&|r| r.thp(), 2),
            paper_cell(paper, ctx, row.as_deref(), "thp_percent"),
            col(&|r| r.ets(), 2),
            paper_cell(paper, ctx, row.as_deref(), "ets_kj_mol"),
            col(&|r| r.thp_last(), 1),
            evals,
            ok.len(),
            if diverged > 0 {
                format!(" ({diverged} diverged)")
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(md, "\n### Per seed\n\n| method | seed | RMSD | THP (%) | ETS | THP last (%) | status |\n|---|---|---|---|---|---|---|");
    for (arm, label, _) in &ctx.arms {
        for r in by_arm(arm) {
            let _ = writeln!(
                md,
                "| {label} | {} | {:.3} | {:.2} | {:.2} | {:.1} | {}{} |",
                r.seed,
                r.rmsd_mean(),
                r.thp(),
                r.ets(),
                r.thp_last(),
                r.status,
                r.message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            );
        }
    }
    md.push_str(&crate::tps_claims::claims(
        &ctx.arms,
        ctx.rmsd_unit,
        runs,
        &paper_rows(ctx, paper),
    ));
    let mut figures = Vec::new();
    let rama = format!("{}-paths.svg", ctx.svg_stem);
    figures.push((rama.clone(), ramachandran(ctx, runs)));
    let _ = writeln!(
        md,
        "\n## Sampled paths\n\nUp to 16 final paths of seed 0 per method, in ({}, {}), up to \
         their best frame; ○ start, ● target with the hit radius.\n\n![paths]({rama})",
        ctx.cv_names[0], ctx.cv_names[1]
    );
    for (metric, title, what) in [
        ("thp", "THP during training (the paper's Fig. 4)", "THP (%)"),
        ("rmsd", "RMSD during training", "RMSD"),
    ] {
        let file = format!("{}-{metric}.svg", ctx.svg_stem);
        let panels: Vec<(String, Vec<Line>)> = ctx
            .arms
            .iter()
            .filter_map(|(arm, label, _)| {
                let lines: Vec<Line> = by_arm(arm)
                    .iter()
                    .filter(|r| r.history.contains_key("rollout"))
                    .map(|r| {
                        let x = &r.history["rollout"];
                        let y = &r.history[metric];
                        Line::new(
                            format!("seed {}", r.seed),
                            x.iter().copied().zip(y.iter().copied()).collect(),
                        )
                    })
                    .collect();
                (!lines.is_empty()).then(|| (label.clone(), lines))
            })
            .collect();
        if panels.is_empty() {
            continue;
        }
        figures.push((file.clone(), curves(&panels, "rollouts", false, false)));
        let _ = writeln!(
            md,
            "\n## {title}\n\n{what} of fresh paths at the reference temperature against \
             rollouts, one line per seed.\n\n![{metric}]({file})"
        );
    }
    md.push_str(&trust_region(ctx, runs));
    (md, figures)
}

/// λ and β of the trust-region arms, per seed: whether the trust region was active.
fn trust_region(ctx: &TpsContext, runs: &[TpsRun]) -> String {
    let mut md = String::new();
    for (arm, label, _) in &ctx.arms {
        let mut rs: Vec<&TpsRun> = runs
            .iter()
            .filter(|r| {
                &r.arm == arm
                    && r.history
                        .get("lambda")
                        .is_some_and(|l| l.iter().any(|v| v.is_finite()))
            })
            .collect();
        if rs.is_empty() {
            continue;
        }
        rs.sort_by_key(|r| r.seed);
        if md.is_empty() {
            md.push_str(
                "\n## The trust region\n\nλ of the last rollout before each evaluation \
                 (first, median, last) and β at the end, per seed. λ = 0 means the dual did not \
                 bind: that rollout trained like the unconstrained loss.\n\n| method | seed | λ first | λ median | λ last | β last |\n|---|---|---|---|---|---|\n",
            );
        }
        for r in rs {
            let l: Vec<f64> = r.history["lambda"]
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            let mut sorted = l.clone();
            sorted.sort_by(f64::total_cmp);
            let beta = r
                .history
                .get("beta")
                .and_then(|b| b.last().copied())
                .unwrap_or(f64::NAN);
            let _ = writeln!(
                md,
                "| {label} | {} | {:.4} | {:.4} | {:.4} | {:.4} |",
                r.seed,
                l[0],
                sorted[sorted.len() / 2],
                l[l.len() - 1],
                beta
            );
        }
    }
    md
}

/// One panel per arm (seed 0's paths), fixed axes, paths split where an angle wraps.
fn ramachandran(ctx: &TpsContext, runs: &[TpsRun]) -> String {
    const W: f64 = 240.0;
    const M: f64 = 40.0;
    let arms: Vec<&(String, String, Option<String>)> = ctx.arms.iter().collect();
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">"#,
        arms.len() as f64 * (W + M) + M,
        W + 2.0 * M
    );
    let [[x0, x1], [y0, y1]] = ctx.cv_range;
    let wrap = (x1 - x0) / 2.0;
    for (i, (arm, label, _)) in arms.iter().enumerate() {
        let ox = M + i as f64 * (W + M);
        let px = |x: f64| ox + (x - x0) / (x1 - x0) * W;
        let py = |y: f64| M + (y1 - y) / (y1 - y0) * W;
        let _ = write!(
            s,
            r#"<rect x="{ox}" y="{M}" width="{W}" height="{W}" fill="none" stroke="black"/><text x="{}" y="{}" text-anchor="middle">{}</text><text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            ox + W / 2.0,
            M - 8.0,
            esc(label),
            ox + W / 2.0,
            M + W + 25.0,
            esc(ctx.cv_names[0])
        );
        for (v, anchor) in [(x0, "start"), (x1, "end")] {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="{anchor}">{v}</text>"#,
                px(v),
                M + W + 12.0
            );
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{y1}</text><text x="{}" y="{}" text-anchor="end">{y0}</text>"#,
            ox - 3.0,
            M + 10.0,
            ox - 3.0,
            M + W
        );
        let color = COLORS[i % COLORS.len()];
        if let Some(run) = runs.iter().filter(|r| r.arm == *arm).min_by_key(|r| r.seed) {
            for p in &run.paths {
                let mut seg: Vec<String> = Vec::new();
                let flush = |seg: &mut Vec<String>, s: &mut String| {
                    if seg.len() > 1 {
                        let _ = write!(
                            s,
                            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-opacity="0.6" stroke-width="1"/>"#,
                            seg.join(" ")
                        );
                    }
                    seg.clear();
                };
                let mut prev: Option<(f64, f64)> = None;
                for &(a, b) in p {
                    if let Some((pa, pb)) = prev {
                        if (a - pa).abs() > wrap || (b - pb).abs() > wrap {
                            flush(&mut seg, &mut s);
                        }
                    }
                    seg.push(format!("{:.1},{:.1}", px(a), py(b)));
                    prev = Some((a, b));
                }
                flush(&mut seg, &mut s);
            }
        }
        let r = ctx.hit_radius_cv / (x1 - x0) * W;
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="none" stroke="black"/><circle cx="{:.1}" cy="{:.1}" r="4" fill="black"/><circle cx="{:.1}" cy="{:.1}" r="{r:.1}" fill="none" stroke="black" stroke-dasharray="3,2"/>"#,
            px(ctx.start_cv[0]),
            py(ctx.start_cv[1]),
            px(ctx.target_cv[0]),
            py(ctx.target_cv[1]),
            px(ctx.target_cv[0]),
            py(ctx.target_cv[1])
        );
    }
    let _ = write!(
        s,
        r#"<text x="12" y="{}" transform="rotate(-90 12 {})" text-anchor="middle">{}</text></svg>"#,
        M + W / 2.0,
        M + W / 2.0,
        esc(ctx.cv_names[1])
    );
    s.push('\n');
    s
}
