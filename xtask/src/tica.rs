//! `cargo xtask tica`: fits chignolin's hit model (paper App. F: TICA on a long MD run, the
//! first two TICs, hit radius 0.75) on MD that our own code runs. tps-dps's fitted model is not
//! public, so we run Langevin dynamics (OVRVO, `targets/src/molecule/dynamics.rs`) under our
//! ff14SBonlysc + GBn2 force field from both the folded and the unfolded state, at a temperature
//! where chignolin leaves the folded state within the run, take tps-dps's features (backbone
//! torsions as cos/sin) and fit TICA (`targets/src/molecule/tica.rs`). Writes
//! `targets/data/chignolin/tica-<T>K.json` with its provenance (commit, temperature, runs, length,
//! lag, seeds), the model, the TICs of the two end states, and per run the fraction of frames
//! within the hit radius of the folded state.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde::Serialize;
use socbench_harness::seed::stream;
use socbench_targets::molecule::dynamics::{
    coordinate_masses, thermal_velocities, Langevin, State,
};
use socbench_targets::molecule::tica::{backbone_features, backbone_torsions, Tica};
use socbench_targets::molecule::{chignolin_files, parse_pdb, ForceField};
use socbench_targets::tps::chignolin::HIT_RADIUS;

#[derive(Args, Debug)]
pub struct TicaArgs {
    /// Temperature of the MD (K).
    #[arg(long, default_value_t = 600.0)]
    pub temperature: f64,
    /// Runs from each of the two states.
    #[arg(long, default_value_t = 4)]
    pub runs_per_state: usize,
    /// Length of each run (ps).
    #[arg(long, default_value_t = 200.0)]
    pub ps: f64,
    /// Time step (fs), as the paper's paths.
    #[arg(long, default_value_t = 1.0)]
    pub dt_fs: f64,
    /// Friction (1/ps).
    #[arg(long, default_value_t = 1.0)]
    pub gamma: f64,
    /// Frame interval (steps).
    #[arg(long, default_value_t = 100)]
    pub stride: usize,
    /// TICA lag (frames); PyEMMA's default is 10.
    #[arg(long, default_value_t = 10)]
    pub lag: usize,
    /// Where to write the model; default `targets/data/chignolin/tica-<temperature>K.json`.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
struct Provenance {
    commit: String,
    force_field: &'static str,
    temperature_k: f64,
    runs_per_state: usize,
    run_ps: f64,
    dt_fs: f64,
    gamma_per_ps: f64,
    frame_interval_fs: f64,
    lag_frames: usize,
    seeds: Vec<String>,
    features: &'static str,
}

#[derive(Serialize)]
struct Output {
    provenance: Provenance,
    /// Atom quadruples (0-based) of the features' torsions: 9 φ, then 9 ψ.
    torsions: Vec<[usize; 4]>,
    tica: Tica,
    /// Implied timescales of the two TICs (ps).
    timescales_ps: Vec<f64>,
    folded_tics: Vec<f64>,
    unfolded_tics: Vec<f64>,
    /// Per run: its start state, the TICs of its last frame, and the fraction of its frames
    /// within the hit radius (0.75) of the folded state's TICs.
    runs: Vec<(String, Vec<f64>, f64)>,
}

/// Runs the MD (one thread per run, two at a time) and fits the model.
pub fn run(a: TicaArgs) -> Result<(), String> {
    if !(a.temperature > 0.0 && a.ps > 0.0 && a.dt_fs > 0.0 && a.gamma > 0.0) {
        return Err("tica: --temperature, --ps, --dt-fs and --gamma must be > 0".into());
    }
    if a.runs_per_state < 1 || a.stride < 1 {
        return Err("tica: --runs-per-state and --stride must be ≥ 1".into());
    }
    let (json, folded, unfolded) = chignolin_files();
    let ff = ForceField::from_json(json).map_err(|e| e.to_string())?;
    let atoms = parse_pdb(folded).map_err(|e| e.to_string())?;
    let xf = ff.positions_of(&atoms).map_err(|e| e.to_string())?;
    let xu = ff
        .positions_of(&parse_pdb(unfolded).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let residues: Vec<i64> = atoms.iter().map(|a| a.residue_number).collect();
    let names: Vec<&str> = atoms.iter().map(|a| a.name.as_str()).collect();
    let torsions = backbone_torsions(&residues, &names);
    let steps = (a.ps * 1000.0 / a.dt_fs).round() as usize;
    // (start state, its positions, seed), alternating folded and unfolded.
    let jobs: Vec<(&str, &[f64], String)> = (0..2 * a.runs_per_state)
        .map(|k| {
            let (state, x) = if k % 2 == 0 {
                ("folded", xf.as_slice())
            } else {
                ("unfolded", xu.as_slice())
            };
            (state, x, format!("{}", k / 2))
        })
        .collect();
    let langevin = Langevin {
        dt: a.dt_fs * 1e-3,
        gamma: a.gamma,
        temperature: a.temperature,
    };
    let m = coordinate_masses(&ff);
    let clock = Instant::now();
    eprintln!(
        "tica: {} runs of {} ps ({steps} steps) at {} K, two at a time",
        jobs.len(),
        a.ps,
        a.temperature
    );
    // Feature frames per run, in the order of `jobs`.
    let mut trajectories: Vec<Vec<Vec<f64>>> = Vec::new();
    for pair in jobs.chunks(2) {
        let done: Vec<Vec<Vec<f64>>> = std::thread::scope(|s| {
            let handles: Vec<_> = pair
                .iter()
                .map(|&(state, x, ref seed)| {
                    let (ff, m, langevin, torsions) = (&ff, &m, &langevin, &torsions);
                    s.spawn(move || {
                        let mut rng = stream(&["tica", "chignolin", state, seed]);
                        let v = thermal_velocities(m, langevin.temperature, &mut rng);
                        let mut st = State::new(ff, x.to_vec(), v);
                        let mut frames = Vec::with_capacity(steps / a.stride + 1);
                        for k in 1..=steps {
                            langevin.step(ff, &mut st, m, &mut rng);
                            if k % a.stride == 0 {
                                frames.push(backbone_features(torsions, &st.x));
                            }
                        }
                        frames
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("MD thread"))
                .collect()
        });
        trajectories.extend(done);
        eprintln!(
            "tica: {} of {} runs done ({:.0} s)",
            trajectories.len(),
            jobs.len(),
            clock.elapsed().as_secs_f64()
        );
    }
    let tica = Tica::fit(&trajectories, a.lag, 2).map_err(|e| e.to_string())?;
    let frame_ps = a.stride as f64 * a.dt_fs * 1e-3;
    let timescales_ps: Vec<f64> = tica.timescales().iter().map(|t| t * frame_ps).collect();
    let folded_tics = tica.transform(&backbone_features(&torsions, &xf));
    let unfolded_tics = tica.transform(&backbone_features(&torsions, &xu));
    let near_folded = |y: &[f64]| {
        let d2: f64 = y
            .iter()
            .zip(&folded_tics)
            .map(|(a, b)| (a - b).powi(2))
            .sum();
        d2 < HIT_RADIUS * HIT_RADIUS
    };
    let runs: Vec<(String, Vec<f64>, f64)> = jobs
        .iter()
        .zip(&trajectories)
        .map(|(&(s, _, _), t)| {
            let hits = t.iter().filter(|x| near_folded(&tica.transform(x))).count();
            (
                s.to_string(),
                tica.transform(t.last().expect("frames")),
                hits as f64 / t.len() as f64,
            )
        })
        .collect();
    eprintln!(
        "tica: λ = {:.4?}, timescales {:.1?} ps; folded TICs {:.3?}, unfolded {:.3?}",
        tica.eigenvalues, timescales_ps, folded_tics, unfolded_tics
    );
    for (s, y, h) in &runs {
        eprintln!(
            "  run from {s}: last frame at {y:.3?}, {:.1} % of frames within {HIT_RADIUS} of folded",
            100.0 * h
        );
    }
    let out = Output {
        provenance: Provenance {
            commit: socbench_methods::record::git_commit(),
            force_field: "targets/data/chignolin/system.json (ff14SBonlysc + GBn2)",
            temperature_k: a.temperature,
            runs_per_state: a.runs_per_state,
            run_ps: a.ps,
            dt_fs: a.dt_fs,
            gamma_per_ps: a.gamma,
            frame_interval_fs: a.stride as f64 * a.dt_fs,
            lag_frames: a.lag,
            seeds: jobs
                .iter()
                .map(|(s, _, k)| format!("tica/chignolin/{s}/{k}"))
                .collect(),
            features: "backbone torsions (9 phi, 9 psi) as (cos, sin)",
        },
        torsions,
        tica,
        timescales_ps,
        folded_tics,
        unfolded_tics,
        runs,
    };
    let path = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "targets/data/chignolin/tica-{}K.json",
            a.temperature
        ))
    });
    let text = serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?;
    std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("tica: wrote {}", path.display());
    Ok(())
}
