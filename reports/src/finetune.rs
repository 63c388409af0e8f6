//! The reward fine-tuning report (Fig. 5–6): each metric against cumulative rollouts and against
//! model updates at η = 0 and 1 (mean and min–max band over seeds), the final values, the
//! paper's two claims judged per seed, λ/β of the trust-region arms, and a sample grid of the
//! base and fine-tuned models on the same prompts and noise.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::plot::curves;
use crate::protocol::mean_std;
use crate::record;
use crate::rules;
use crate::rundirs::{manifests, read_csv};
use crate::svg::{esc, Line, COLORS};
use crate::tps::pm;

/// One finished cell.
pub struct FtRun {
    pub arm: String,
    pub label: String,
    pub seed: u64,
    pub status: String,
    pub message: Option<String>,
    pub commit: String,
    pub wall_s: f64,
    /// history.csv: column → values (one row per checkpoint and η).
    pub history: BTreeMap<String, Vec<f64>>,
    /// samples.csv: (update, η, class, 64 pixels).
    pub samples: Vec<(f64, f64, usize, Vec<f64>)>,
}

impl FtRun {
    fn col(&self, c: &str) -> &[f64] {
        self.history.get(c).map_or(&[], |v| v.as_slice())
    }
    /// (rollouts, updates, value) of `metric` at noise level η, by checkpoint.
    pub fn series(&self, metric: &str, eta: f64) -> Vec<(f64, f64, f64)> {
        let (e, r, u, v) = (
            self.col("eta"),
            self.col("rollouts"),
            self.col("update"),
            self.col(metric),
        );
        (0..e.len())
            .filter(|&i| e[i] == eta)
            .map(|i| (r[i], u[i], v[i]))
            .collect()
    }
    fn last(&self, metric: &str, eta: f64) -> f64 {
        self.series(metric, eta).last().map_or(f64::NAN, |p| p.2)
    }
}

/// Every finished run under `dir`.
pub fn load_ft_runs(dir: &Path) -> Result<Vec<FtRun>, String> {
    let mut out = Vec::new();
    for (d, m) in manifests(dir)? {
        let s = |k: &str| m[k].as_str().unwrap_or("").to_string();
        let mut run = FtRun {
            arm: s("arm"),
            label: s("label"),
            seed: m["seed"].as_u64().unwrap_or(0),
            status: s("status"),
            message: m["message"].as_str().map(String::from),
            commit: s("git_commit"),
            wall_s: m["wall_s"].as_f64().unwrap_or(f64::NAN),
            history: BTreeMap::new(),
            samples: Vec::new(),
        };
        let (head, rows) = read_csv(&d.join("history.csv"))?;
        for (j, h) in head.iter().enumerate() {
            run.history
                .insert(h.clone(), rows.iter().map(|r| r[j]).collect());
        }
        if d.join("samples.csv").exists() {
            let (_, rows) = read_csv(&d.join("samples.csv"))?;
            for r in rows {
                run.samples
                    .push((r[0], r[1], r[3] as usize, r[4..].to_vec()));
            }
        }
        out.push(run);
    }
    Ok(out)
}

pub struct FtContext<'a> {
    pub experiment: &'a str,
    pub title: &'a str,
    pub profile: &'a str,
    /// (arm, label) in the profile's order; the first is the baseline (AM).
    pub arms: Vec<(String, String)>,
    pub deviations: &'a [String],
    pub hardware: String,
    pub commit: String,
    pub svg_stem: String,
    pub results_dir: String,
    pub setup_json: String,
    /// The base model's quality (`cargo xtask pretrain`'s output), if cached.
    pub base_quality: Option<String>,
}

/// (column, name, higher is better).
pub const METRICS: [(&str, &str, bool); 4] = [
    ("reward", "reward (ImageReward analog)", true),
    ("alignment", "alignment (CLIPScore analog)", true),
    ("fd_class", "per-class Fréchet distance (HPS analog)", false),
    ("diversity", "diversity (DreamSim analog)", true),
];

const ETAS: [f64; 2] = [0.0, 1.0];

/// Checkpoints in the trailing running mean that the claims judge rewards by.
pub const PLATEAU: usize = 3;

/// (rollouts, trailing mean of the reward over the last [`PLATEAU`] checkpoints) at η: one
/// checkpoint alone is noisy, and both methods' first Adam steps overshoot (see the report).
fn smoothed(run: &FtRun, eta: f64) -> Vec<(f64, f64)> {
    let s = run.series("reward", eta);
    (0..s.len())
        .map(|i| {
            let w = &s[(i + 1).saturating_sub(PLATEAU)..=i];
            (s[i].0, w.iter().map(|p| p.2).sum::<f64>() / w.len() as f64)
        })
        .collect()
}

/// "reward (update, KL)" at the checkpoint with the largest reward at η.
fn peak(run: &FtRun, eta: f64) -> String {
    let (e, r, u, k) = (
        run.col("eta"),
        run.col("reward"),
        run.col("update"),
        run.col("kl"),
    );
    (0..e.len())
        .filter(|&i| e[i] == eta)
        .max_by(|&a, &b| r[a].total_cmp(&r[b]))
        .map_or("–".into(), |i| {
            format!("{:.3} ({}, {:.2})", r[i], u[i], k[i])
        })
}

/// The final smoothed reward (the mean of the last [`PLATEAU`] checkpoints).
fn plateau(run: &FtRun, eta: f64) -> f64 {
    smoothed(run, eta).last().map_or(f64::NAN, |p| p.1)
}

/// The rollouts at which a run's smoothed reward first reaches `target` at η, or None.
fn reach(run: &FtRun, eta: f64, target: f64) -> Option<f64> {
    smoothed(run, eta)
        .into_iter()
        .find(|p| p.1 >= target)
        .map(|p| p.0)
}

/// The markdown report and its figures (file name, SVG).
pub fn ft_report(ctx: &FtContext, runs: &[FtRun]) -> (String, Vec<(String, String)>) {
    let mut md = String::new();
    let _ = writeln!(md, "# {} — profile `{}`\n", ctx.title, ctx.profile);
    let _ = writeln!(
        md,
        "Regenerate: `cargo xtask replicate {} --profile {}` (runs under `{}`; the base model \
         is pretrained first if it is not cached). Report written at commit {} on {}.\n",
        ctx.experiment, ctx.profile, ctx.results_dir, ctx.commit, ctx.hardware
    );
    crate::output::runs_and_deviations(
        &mut md,
        runs.iter().map(|r| (r.commit.as_str(), r.wall_s)),
        ctx.deviations,
    );
    if let Some(q) = &ctx.base_quality {
        let _ = writeln!(
            md,
            "\n## Base model\n\nSample quality of the pretrained base model (`cargo xtask \
             pretrain --profile {}`), 10 classes × 20 prompts; the evaluation classifier's \
             held-out accuracy is about 0.98, and held-out data scores Fréchet distance 0 and \
             diversity ≈ 14.0 in its features:\n",
            ctx.profile
        );
        for l in q.lines() {
            let _ = writeln!(md, "- {l}");
        }
    }
    let by_arm = |arm: &str| -> Vec<&FtRun> {
        let mut v: Vec<&FtRun> = runs
            .iter()
            .filter(|r| r.arm == arm && r.status == "finished")
            .collect();
        v.sort_by_key(|r| r.seed);
        v
    };
    for r in runs.iter().filter(|r| r.status != "finished") {
        let _ = writeln!(
            md,
            "\n**{} seed {} {}**: {}",
            r.label,
            r.seed,
            r.status,
            r.message.as_deref().unwrap_or("")
        );
    }

    // Final values.
    let _ = writeln!(
        md,
        "\n## Final checkpoint\n\nMean ± std over seeds at the last update. Reward r = log p(c|x) + \
         γ·ink under the reward classifier; alignment = accuracy of the prompted class under the \
         independent evaluation classifier; FD = per-class Fréchet distance to held-out digits \
         in that classifier's 16 features (lower is better); diversity = mean pairwise feature \
         distance within a class. KL = E[½∫|u|²], the running KL to the base model on the last \
         rollouts.\n"
    );
    let _ = writeln!(
        md,
        "| method | η | rollouts | updates | reward | alignment | FD | diversity | ink | KL | seeds |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let base_row = ctx.arms.first().map(|(a, _)| by_arm(a)).unwrap_or_default();
    for eta in ETAS {
        let col0 = |m: &str| {
            pm(
                &base_row
                    .iter()
                    .filter_map(|r| r.series(m, eta).first().map(|p| p.2))
                    .collect::<Vec<_>>(),
                3,
            )
        };
        let _ = writeln!(
            md,
            "| base model | {eta} | 0 | 0 | {} | {} | {} | {} | {} | 0 | {} |",
            col0("reward"),
            col0("alignment"),
            col0("fd_class"),
            col0("diversity"),
            col0("ink"),
            base_row.len()
        );
        for (arm, label) in &ctx.arms {
            let rs = by_arm(arm);
            let col = |m: &str, d| pm(&rs.iter().map(|r| r.last(m, eta)).collect::<Vec<_>>(), d);
            let _ = writeln!(
                md,
                "| {label} | {eta} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                col("rollouts", 0),
                col("update", 0),
                col("reward", 3),
                col("alignment", 3),
                col("fd_class", 2),
                col("diversity", 2),
                col("ink", 3),
                col("kl", 2),
                rs.len()
            );
        }
    }

    // Claims.
    let _ = writeln!(
        md,
        "\n## Claims\n\nCriteria (the rules of every report, at least 3 seeds, 5 %): claim 1 \
         holds when the one-sided 95 % bound of the per-seed fraction of rollouts is at most \
         1/3 (a seed that never reaches the reward fails); claim 2 when both one-sided 95 % \
         bounds of the per-seed relative diversity difference lie within ±10 % (two one-sided \
         tests).\n"
    );
    let am = base_row;
    let am_label = ctx.arms.first().map_or("AM".into(), |a| a.1.clone());
    let _ = writeln!(
        md,
        "Rewards are judged on their trailing running mean over {PLATEAU} checkpoints, as the \
         paper's protocol smooths its curves: one checkpoint alone is noisy, and the first Adam \
         steps can overshoot (see the peak column of the per-seed table; a trust-region run's \
         KL there is its current buffer's, simulated before the updates it serves). \
         {am_label}'s final reward is then the mean of its last {PLATEAU} checkpoints, and a \
         method *reaches* a reward at the first checkpoint whose running mean is at least that. \
         Each seed is compared with the same seed's {am_label} (same base model, prompts and \
         evaluation noise). The second reading asks how many rollouts each method needs for \
         90 % of {am_label}'s gain over the base model, so that an {am_label} run that plateaus \
         early does not flatter the ratio.\n"
    );
    for (arm, label) in ctx.arms.iter().skip(1) {
        let tr = by_arm(arm);
        for eta in ETAS {
            let am_final: Vec<f64> = am.iter().map(|r| plateau(r, eta)).collect();
            let am_rollouts: Vec<f64> = am.iter().map(|r| r.last("rollouts", eta)).collect();
            let mut ratios = Vec::new();
            let mut lines = Vec::new();
            let mut gain_lines = Vec::new();
            for t in &tr {
                let Some(a) = am.iter().find(|a| a.seed == t.seed) else {
                    continue;
                };
                let (target, total) = (plateau(a, eta), a.last("rollouts", eta));
                match reach(t, eta, target) {
                    Some(r) => {
                        ratios.push(r / total);
                        lines.push(format!(
                            "seed {}: {:.0} of {:.0} ({:.3})",
                            t.seed,
                            r,
                            total,
                            r / total
                        ));
                    }
                    None => {
                        ratios.push(f64::INFINITY);
                        lines.push(format!(
                            "seed {}: never (best running mean {:.3} < {:.3})",
                            t.seed,
                            smoothed(t, eta)
                                .iter()
                                .map(|p| p.1)
                                .fold(f64::NEG_INFINITY, f64::max),
                            target
                        ));
                    }
                }
                let base = a.series("reward", eta).first().map_or(f64::NAN, |p| p.2);
                let level = base + 0.9 * (target - base);
                let fmt = |v: Option<f64>| v.map_or("never".to_string(), |v| format!("{v:.0}"));
                let (ra, rt) = (reach(a, eta, level), reach(t, eta, level));
                gain_lines.push(format!(
                    "seed {}: {} against {}{}",
                    t.seed,
                    fmt(rt),
                    fmt(ra),
                    match (rt, ra) {
                        (Some(x), Some(y)) => format!(" ({:.3})", x / y),
                        _ => String::new(),
                    }
                ));
            }
            // At equal rollouts: the share of AM's gain that the method has at its end, and AM's
            // share at the method's total rollouts.
            let mut shares = Vec::new();
            for t in &tr {
                let Some(a) = am.iter().find(|a| a.seed == t.seed) else {
                    continue;
                };
                let base = a.series("reward", eta).first().map_or(f64::NAN, |p| p.2);
                let gain = plateau(a, eta) - base;
                let n = t.last("rollouts", eta);
                let am_then = smoothed(a, eta)
                    .into_iter()
                    .filter(|p| p.0 <= n)
                    .last()
                    .map_or(f64::NAN, |p| p.1);
                shares.push(format!(
                    "seed {}: {:.0} % after {n:.0} rollouts, {am_label} {:.0} % after as many",
                    t.seed,
                    100.0 * (plateau(t, eta) - base) / gain,
                    100.0 * (am_then - base) / gain
                ));
            }
            // A seed that never reaches it fails the claim.
            let ratios: Vec<Option<f64>> =
                ratios.iter().map(|r| r.is_finite().then_some(*r)).collect();
            let reach_j = rules::threshold(&ratios, 1.0 / 3.0, false, "rollouts' fraction");
            md.push_str(&record::claim_line(
                "fig5-1",
                &format!("{label}, η = {eta}"),
                &lines.join("; "),
                &reach_j,
            ));
            let _ = writeln!(
                md,
                "- **{label} reaches {am_label}'s final reward with at most 1/3 of its rollouts \
                 (η = {eta})**: {}. {am_label}'s final reward {} after {} rollouts; rollouts \
                 {label} needed, and their fraction of {am_label}'s: {}. For 90 % of \
                 {am_label}'s gain, rollouts of {label} against {am_label}'s (ratio): {}. \
                 Share of {am_label}'s final gain over the base model (running means): {}.",
                reach_j.text(),
                pm(&am_final, 3),
                pm(&am_rollouts, 0),
                lines.join("; "),
                gain_lines.join("; "),
                shares.join("; ")
            );
            let div = |rs: &[&FtRun]| -> Vec<f64> {
                rs.iter().map(|r| r.last("diversity", eta)).collect()
            };
            let (d_am, d_tr) = (
                mean_std(&div(&am)).map_or(f64::NAN, |x| x.0),
                mean_std(&div(&tr)).map_or(f64::NAN, |x| x.0),
            );
            let rel = (d_tr - d_am) / d_am;
            // Per seed, against the same seed's AM run.
            let rels: Vec<Option<f64>> = tr
                .iter()
                .map(|t| {
                    let a = am.iter().find(|a| a.seed == t.seed)?;
                    let (x, y) = (t.last("diversity", eta), a.last("diversity", eta));
                    Some((x - y) / y).filter(|v| v.is_finite())
                })
                .collect();
            let div_j = rules::within(&rels, -0.1, 0.1, "relative difference per seed");
            md.push_str(&record::claim_line(
                "fig5-2",
                &format!("{label}, η = {eta}"),
                &format!("{} against {}", pm(&div(&tr), 2), pm(&div(&am), 2)),
                &div_j,
            ));
            let _ = writeln!(
                md,
                "- **{label}'s diversity stays within 10 % of {am_label}'s (η = {eta})**: {}: {} \
                 against {} ({:+.1} %).",
                div_j.text(),
                pm(&div(&tr), 2),
                pm(&div(&am), 2),
                100.0 * rel
            );
        }
    }

    // Figures.
    let mut figures = Vec::new();
    let _ = writeln!(
        md,
        "\n## Fig. 5: metrics against rollouts and against model updates\n\nMean over seeds, \
         band: min–max. Rollouts on a log axis: a curve left of another reached its value with \
         fewer rollouts."
    );
    for (axis, x_label, file) in [
        (0usize, "rollouts", "rollouts"),
        (1, "model updates", "updates"),
    ] {
        for eta in ETAS {
            let mut panels = Vec::new();
            for (m, name, _) in METRICS {
                let mut lines = Vec::new();
                for (arm, label) in &ctx.arms {
                    let rs = by_arm(arm);
                    let Some(first) = rs.first() else { continue };
                    let n = first.series(m, eta).len();
                    let (mut pts, mut band) = (Vec::new(), Vec::new());
                    for i in 0..n {
                        let xs: Vec<(f64, f64)> = rs
                            .iter()
                            .filter_map(|r| {
                                r.series(m, eta)
                                    .get(i)
                                    .map(|p| (if axis == 0 { p.0 } else { p.1 }, p.2))
                            })
                            .collect();
                        // The base model (0 rollouts, 0 updates) sits at 1 on the log axes.
                        let x = xs[0].0.max(1.0);
                        let v: Vec<f64> = xs.iter().map(|p| p.1).collect();
                        let mean = v.iter().sum::<f64>() / v.len() as f64;
                        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        pts.push((x, mean));
                        band.push((x, lo, hi));
                    }
                    lines.push(Line {
                        label: label.clone(),
                        points: pts,
                        band,
                    });
                }
                panels.push((name.to_string(), lines));
            }
            let name = format!("{}-{file}-eta{eta}.svg", ctx.svg_stem);
            figures.push((name.clone(), curves(&panels, x_label, true, false)));
            let _ =
                writeln!(
                md,
                "\n![metrics against {x_label}, η = {eta}]({name})\n\n*η = {eta} ({}), against \
                 {x_label} (the base model at 1).*",
                if eta == 0.0 { "ODE, DDIM-like" } else { "SDE, DDPM-like" }
            );
        }
    }
    if let Some(svg) = sample_grid(ctx, runs) {
        let name = format!("{}-samples.svg", ctx.svg_stem);
        figures.push((name.clone(), svg));
        let _ = writeln!(
            md,
            "\n## Samples (Fig. 6 analog)\n\n![samples]({name})\n\n*Seed 0: the base model and \
             each method's final model on the same prompts (rows: classes 0–9, two prompts \
             each) and the same noise, at η = 0 and η = 1.*"
        );
    }

    // Trust-region diagnostics and per seed.
    let _ = writeln!(
        md,
        "\n## Trust region: λ and β per checkpoint (seed 0)\n\n| method | update | rollouts | λ | β | ESS of the tilted weights |\n|---|---|---|---|---|---|"
    );
    for (arm, label) in ctx.arms.iter().skip(1) {
        if let Some(r) = by_arm(arm).first() {
            let (u, ro, l, b, e, eta) = (
                r.col("update"),
                r.col("rollouts"),
                r.col("lambda"),
                r.col("beta"),
                r.col("ess"),
                r.col("eta"),
            );
            for i in (0..u.len()).filter(|&i| eta[i] == 1.0 && l[i].is_finite()) {
                let _ = writeln!(
                    md,
                    "| {label} | {} | {} | {:.3} | {:.3} | {:.3} |",
                    u[i], ro[i], l[i], b[i], e[i]
                );
            }
        }
    }
    let _ = writeln!(
        md,
        "\n## Per seed (final, η = 1)\n\nThe peak is the largest single-checkpoint reward, with \
         its update and the running KL there.\n\n| method | seed | reward | running mean | alignment | FD | diversity | KL | peak reward (update, KL) | wall (s) |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for (arm, label) in &ctx.arms {
        for r in by_arm(arm) {
            let _ = writeln!(
                md,
                "| {label} | {} | {:.3} | {:.3} | {:.3} | {:.2} | {:.2} | {:.2} | {} | {:.0} |",
                r.seed,
                r.last("reward", 1.0),
                plateau(r, 1.0),
                r.last("alignment", 1.0),
                r.last("fd_class", 1.0),
                r.last("diversity", 1.0),
                r.last("kl", 1.0),
                peak(r, 1.0),
                r.wall_s
            );
        }
    }
    let _ = writeln!(md, "\n## Configuration\n\n```json\n{}\n```", ctx.setup_json);
    (md, figures)
}

/// The sample grid of seed 0: for η = 0 and 1, columns base | each arm, rows classes.
fn sample_grid(ctx: &FtContext, runs: &[FtRun]) -> Option<String> {
    let seed0: Vec<&FtRun> = ctx
        .arms
        .iter()
        .filter_map(|(a, _)| {
            runs.iter()
                .find(|r| &r.arm == a && r.seed == 0 && r.status == "finished")
        })
        .collect();
    let first = seed0.first()?;
    let px = 5.0;
    let img = 8.0 * px;
    let gap = 3.0;
    let per_class = 2;
    let cols = 1 + seed0.len();
    let block_w = cols as f64 * (per_class as f64 * (img + gap) + 10.0);
    let (w, h) = (2.0 * block_w + 40.0, 10.0 * (img + gap) + 40.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="10" shape-rendering="crispEdges"><rect width="{w}" height="{h}" fill="white"/>"#
    );
    for (ei, eta) in ETAS.iter().enumerate() {
        let x0 = 20.0 + ei as f64 * block_w;
        let mut sources: Vec<(String, &FtRun, bool)> = vec![("base".into(), *first, true)];
        for r in &seed0 {
            sources.push((r.label.clone(), r, false));
        }
        for (ci, (name, run, base)) in sources.iter().enumerate() {
            let cx = x0 + ci as f64 * (per_class as f64 * (img + gap) + 10.0);
            let color = if *base {
                "#000"
            } else {
                COLORS[(ci - 1) % COLORS.len()]
            };
            let _ = write!(
                s,
                r#"<text x="{cx}" y="14" fill="{color}">{} η={eta}</text>"#,
                esc(name)
            );
            let upd = if *base {
                0.0
            } else {
                run.samples.iter().map(|x| x.0).fold(0.0, f64::max)
            };
            let mut count = [0usize; 10];
            for (u, e, c, pix) in &run.samples {
                if *u != upd || e != eta || *c >= 10 || count[*c] >= per_class {
                    continue;
                }
                let (ix, iy) = (
                    cx + count[*c] as f64 * (img + gap),
                    24.0 + *c as f64 * (img + gap),
                );
                count[*c] += 1;
                for (p, v) in pix.iter().enumerate() {
                    let g = (((v + 1.0) / 2.0).clamp(0.0, 1.0) * 255.0) as u8;
                    let g = 255 - g;
                    let _ = write!(
                        s,
                        r#"<rect x="{:.1}" y="{:.1}" width="{px}" height="{px}" fill="rgb({g},{g},{g})" stroke="none"/>"#,
                        ix + (p % 8) as f64 * px,
                        iy + (p / 8) as f64 * px
                    );
                }
            }
        }
    }
    s.push_str("</svg>\n");
    Some(s)
}
