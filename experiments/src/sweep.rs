//! The cells of a sweep and their state on disk under `results/<experiment>/<profile>/`.

use std::path::{Path, PathBuf};

use socbench_methods::record::{config_hash, Manifest};

use crate::cell::CellSpec;
use crate::definition::{Experiment, Resolved};

/// Every (target, d, method, ε, seed) cell of a resolved profile, in a fixed order.
pub fn cells(exp: &Experiment, r: &Resolved) -> Vec<CellSpec> {
    let mut out = Vec::new();
    for target in &exp.targets {
        for dim in exp.dims_of(target, r) {
            for arm in r.arms.iter().filter(|a| a.runs_on(target)) {
                // ε applies to the trust-region methods only: one cell with the arm's own config
                // (`None`) for the others.
                let eps: Vec<Option<f64>> = if arm.method.is_trust_region() {
                    exp.epsilons.iter().copied().map(Some).collect()
                } else {
                    vec![None]
                };
                for &e in &eps {
                    for seed in 0..r.seeds {
                        let mut config = arm.config.clone();
                        if let Some(e) = e {
                            config.tr.epsilon = e;
                        }
                        out.push(CellSpec {
                            experiment: exp.name.clone(),
                            target: target.clone(),
                            dim,
                            method: arm.method,
                            arm: arm.name.clone(),
                            seed,
                            profile: r.profile.clone(),
                            config,
                        });
                    }
                }
            }
        }
    }
    out
}

/// `results/<experiment>/<profile>/<target>-d<d>-<method or variant>[-eps<ε>]-s<seed>`.
pub fn cell_dir(root: &Path, c: &CellSpec) -> PathBuf {
    let eps = if c.method.is_trust_region() {
        format!("-eps{}", c.config.tr.epsilon)
    } else {
        String::new()
    };
    root.join(&c.experiment).join(&c.profile).join(format!(
        "{}-d{}-{}{eps}-s{}",
        c.target, c.dim, c.arm, c.seed
    ))
}

/// What is on disk for a cell.
#[derive(Debug)]
pub enum CellState {
    /// Nothing, or an interrupted run without a manifest.
    Todo,
    /// Finished or diverged with the same configuration.
    Done(Box<Manifest>),
    /// A manifest whose configuration hash differs from the current one.
    Stale(Box<Manifest>),
    /// A manifest whose CSVs no longer hold the rows it recorded (the message says which).
    Damaged(String),
}

pub fn state(dir: &Path, c: &CellSpec) -> CellState {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return CellState::Todo;
    };
    match serde_json::from_str::<Manifest>(&text) {
        Ok(m) if m.config_hash == config_hash(&c.config) => {
            match socbench_methods::record::check_rows(dir, &m.recorded_rows()) {
                Ok(()) => CellState::Done(Box::new(m)),
                Err(e) => CellState::Damaged(e),
            }
        }
        Ok(m) => CellState::Stale(Box::new(m)),
        Err(_) => CellState::Todo,
    }
}

/// Whether `dir` holds the finished run of `c` (`Ok(false)`: absent or interrupted; `Err`: a run
/// of another configuration, or a damaged one, is there).
pub fn finished(dir: &Path, c: &CellSpec) -> Result<bool, String> {
    match state(dir, c) {
        CellState::Done(_) => Ok(true),
        CellState::Todo => Ok(false),
        CellState::Damaged(e) => Err(e),
        CellState::Stale(m) => Err(format!(
            "`{}` holds a run with a different configuration (hash {}); rerun with --force (the \
             old run is moved aside, not deleted)",
            dir.display(),
            m.config_hash
        )),
    }
}

/// Moves an old run aside to `<dir>.old-<n>` (never deleted): used by `--force` and for
/// interrupted runs.
pub fn move_aside(dir: &Path) -> std::io::Result<Option<PathBuf>> {
    if !dir.exists() {
        return Ok(None);
    }
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let dest = (1..)
        .map(|n| dir.with_file_name(format!("{name}.old-{n}")))
        .find(|p| !p.exists())
        .expect("unbounded");
    std::fs::rename(dir, &dest)?;
    Ok(Some(dest))
}
