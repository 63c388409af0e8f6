//! The paper's TPS metrics (Table 1), as tps-dps computes them: each path is truncated at its
//! best frame (the argmax of the relaxed indicator, TPS-2), and its last frame is then
//!   RMSD: the Kabsch-aligned heavy-atom RMSD to the target (Å),
//!   THP:  whether it lies within the hit radius of the target in (φ, ψ) (%, over paths),
//!   ETS:  the maximum potential energy along the truncated path, over the paths that hit.
//! The same three at the true last frame x_N are kept beside them.

use super::{PathSet, TpsSystem};

/// Per-path metrics of a set of paths.
#[derive(Clone, Debug, Default)]
pub struct PathMetrics {
    pub rmsd: Vec<f64>,
    pub hit: Vec<bool>,
    /// max energy over frames 0..=best.
    pub max_energy: Vec<f64>,
    pub rmsd_last: Vec<f64>,
    pub hit_last: Vec<bool>,
}

/// Means over the paths of a [`PathMetrics`].
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub rmsd: f64,
    pub rmsd_std: f64,
    /// %.
    pub thp: f64,
    /// Mean over hitting paths; NaN when none hits.
    pub ets: f64,
    pub ets_std: f64,
    pub rmsd_last: f64,
    pub thp_last: f64,
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (m, f64::NAN);
    }
    // Sample std (torch's default), as tps-dps reports.
    let s = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt();
    (m, s)
}

impl PathMetrics {
    pub fn of(sys: &dyn TpsSystem, paths: &PathSet) -> Self {
        let mut m = PathMetrics::default();
        let steps = paths.steps;
        for i in 0..paths.n {
            let b = paths.best[i];
            let x = paths.frame(i, b);
            m.rmsd.push(sys.rmsd(x));
            m.hit.push(sys.hits(x));
            let e = &paths.energies[i * (steps + 1)..i * (steps + 1) + b + 1];
            m.max_energy
                .push(e.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
            let last = paths.frame(i, steps);
            m.rmsd_last.push(sys.rmsd(last));
            m.hit_last.push(sys.hits(last));
        }
        m
    }

    pub fn summary(&self) -> Summary {
        let pct = |h: &[bool]| 100.0 * h.iter().filter(|&&b| b).count() as f64 / h.len() as f64;
        let (rmsd, rmsd_std) = mean_std(&self.rmsd);
        let ets: Vec<f64> = self
            .hit
            .iter()
            .zip(&self.max_energy)
            .filter(|(h, _)| **h)
            .map(|(_, e)| *e)
            .collect();
        let (ets, ets_std) = mean_std(&ets);
        Summary {
            rmsd,
            rmsd_std,
            thp: pct(&self.hit),
            ets,
            ets_std,
            rmsd_last: mean_std(&self.rmsd_last).0,
            thp_last: pct(&self.hit_last),
        }
    }
}
