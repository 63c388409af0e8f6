//! Time-lagged independent component analysis (TICA; Molgedey & Schuster 1994, Pérez-Hernández
//! et al. 2013), as the hit definition of chignolin uses it (paper App. F: "a long MD simulation
//! is pre-loaded with TICA to select the first two dimensions"; tps-dps fits PyEMMA's `tica` on
//! backbone torsions as cos/sin features, `backbone_features`).
//!
//! With the reversible (symmetrised) estimates PyEMMA uses by default, over every pair
//! (x_t, x_{t+τ}) of every trajectory:
//! - μ = the mean of all x_t and x_{t+τ};
//! - C₀ = ½⟨(x_t − μ)(x_t − μ)ᵀ + (x_{t+τ} − μ)(x_{t+τ} − μ)ᵀ⟩,
//!   C_τ = ½⟨(x_t − μ)(x_{t+τ} − μ)ᵀ + (x_{t+τ} − μ)(x_t − μ)ᵀ⟩;
//! - the generalised eigenproblem C_τ v = λ C₀ v, solved by whitening with C₀'s eigenvectors
//!   (directions with C₀ eigenvalue ≤ 1e-6 of the largest dropped), eigenvalues descending;
//! - TIC i of x is λ_i (x − μ)ᵀ v_i (PyEMMA's default kinetic map), v_i normalised so that
//!   v_iᵀ C₀ v_i = 1: each TIC has variance λ_i² over the data.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::{Deserialize, Serialize};
use socbench_harness::error::TargetError;

use super::forcefield::{dihedral, pos};

/// A fitted TICA model: the mean, the leading eigenvectors (columns) and their eigenvalues.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tica {
    pub lag: usize,
    pub mean: Vec<f64>,
    /// λ_i, descending.
    pub eigenvalues: Vec<f64>,
    /// v_i, each of the feature dimension, v_iᵀ C₀ v_i = 1.
    pub eigenvectors: Vec<Vec<f64>>,
}

impl Tica {
    /// Fits `dim` components at lag `lag` (frames) on `trajectories`, each a list of feature
    /// vectors of one dimension. Errors name what is wrong (no pair at this lag, ragged
    /// features, more components than the data supports).
    pub fn fit(
        trajectories: &[Vec<Vec<f64>>],
        lag: usize,
        dim: usize,
    ) -> Result<Self, TargetError> {
        if lag < 1 {
            return Err(TargetError::range("tica lag", lag, "≥ 1 frame"));
        }
        let n = trajectories
            .iter()
            .flatten()
            .next()
            .map(|x| x.len())
            .ok_or_else(|| TargetError::range("tica trajectories", "no frames", "≥ 1 frame"))?;
        if let Some(bad) = trajectories.iter().flatten().find(|x| x.len() != n) {
            return Err(TargetError::range(
                "tica features",
                format!("a frame of {} features", bad.len()),
                format!("{n}, as the first frame"),
            ));
        }
        let pairs: usize = trajectories
            .iter()
            .map(|t| t.len().saturating_sub(lag))
            .sum();
        if pairs == 0 {
            return Err(TargetError::range(
                "tica lag",
                lag,
                "shorter than the longest trajectory",
            ));
        }
        let mut mean = DVector::zeros(n);
        for t in trajectories.iter().filter(|t| t.len() > lag) {
            for k in 0..t.len() - lag {
                mean += DVector::from_column_slice(&t[k]) + DVector::from_column_slice(&t[k + lag]);
            }
        }
        mean /= 2.0 * pairs as f64;
        let (mut c0, mut ct) = (DMatrix::zeros(n, n), DMatrix::zeros(n, n));
        for t in trajectories.iter().filter(|t| t.len() > lag) {
            for k in 0..t.len() - lag {
                let a = DVector::from_column_slice(&t[k]) - &mean;
                let b = DVector::from_column_slice(&t[k + lag]) - &mean;
                c0 += &a * a.transpose() + &b * b.transpose();
                ct += &a * b.transpose() + &b * a.transpose();
            }
        }
        c0 /= 2.0 * pairs as f64;
        ct /= 2.0 * pairs as f64;
        // Whitening W = U_k S_k^{-1/2} over C₀'s well-conditioned directions.
        let e0 = SymmetricEigen::new(c0);
        let top = e0.eigenvalues.max();
        let keep: Vec<usize> = (0..n).filter(|&i| e0.eigenvalues[i] > 1e-6 * top).collect();
        if dim > keep.len() {
            return Err(TargetError::range(
                "tica dim",
                dim,
                format!("≤ {} (the rank of the data's covariance)", keep.len()),
            ));
        }
        let w = DMatrix::from_fn(n, keep.len(), |r, c| {
            e0.eigenvectors[(r, keep[c])] / e0.eigenvalues[keep[c]].sqrt()
        });
        let m = w.transpose() * ct * &w;
        let e = SymmetricEigen::new((&m + m.transpose()) * 0.5);
        let mut order: Vec<usize> = (0..keep.len()).collect();
        order.sort_by(|&a, &b| e.eigenvalues[b].total_cmp(&e.eigenvalues[a]));
        let mut eigenvalues = Vec::with_capacity(dim);
        let mut eigenvectors = Vec::with_capacity(dim);
        for &i in order.iter().take(dim) {
            let mut v = &w * e.eigenvectors.column(i);
            // A fixed sign: the largest component positive.
            let big = v
                .iter()
                .copied()
                .fold(0.0f64, |a, x| if x.abs() > a.abs() { x } else { a });
            if big < 0.0 {
                v = -v;
            }
            eigenvalues.push(e.eigenvalues[i]);
            eigenvectors.push(v.iter().copied().collect());
        }
        Ok(Self {
            lag,
            mean: mean.iter().copied().collect(),
            eigenvalues,
            eigenvectors,
        })
    }

    /// The TICs of one feature vector: λ_i (x − μ)ᵀ v_i.
    pub fn transform(&self, x: &[f64]) -> Vec<f64> {
        self.eigenvalues
            .iter()
            .zip(&self.eigenvectors)
            .map(|(l, v)| {
                l * x
                    .iter()
                    .zip(&self.mean)
                    .zip(v)
                    .map(|((x, m), v)| (x - m) * v)
                    .sum::<f64>()
            })
            .collect()
    }

    /// The implied timescales −τ / ln λ_i (in frames); infinite for λ ≥ 1, NaN for λ ≤ 0.
    pub fn timescales(&self) -> Vec<f64> {
        self.eigenvalues
            .iter()
            .map(|&l| -(self.lag as f64) / l.ln())
            .collect()
    }
}

/// The backbone torsions of a protein as mdtraj and PyEMMA's `add_backbone_torsions` define
/// them: φ_i = C(i−1)–N(i)–CA(i)–C(i) for residues 2..n, then ψ_i = N(i)–CA(i)–C(i)–N(i+1) for
/// residues 1..n−1, as 0-based atom quadruples. `residues` gives each atom's residue number,
/// `names` its name, in the order of the coordinates.
pub fn backbone_torsions(residues: &[i64], names: &[&str]) -> Vec<[usize; 4]> {
    let mut ids: Vec<i64> = residues.to_vec();
    ids.dedup();
    let find =
        |res: i64, name: &str| (0..names.len()).find(|&i| residues[i] == res && names[i] == name);
    let mut phi = Vec::new();
    let mut psi = Vec::new();
    for w in ids.windows(2) {
        let (a, b) = (w[0], w[1]);
        if let (Some(c0), Some(n1), Some(ca1), Some(c1)) =
            (find(a, "C"), find(b, "N"), find(b, "CA"), find(b, "C"))
        {
            phi.push([c0, n1, ca1, c1]);
        }
        if let (Some(n0), Some(ca0), Some(c0), Some(n1)) =
            (find(a, "N"), find(a, "CA"), find(a, "C"), find(b, "N"))
        {
            psi.push([n0, ca0, c0, n1]);
        }
    }
    phi.extend(psi);
    phi
}

/// The cos/sin features of those torsions at `x` (nm, [n, 3] row-major): (cos θ, sin θ) per
/// torsion, in the order of `torsions`.
pub fn backbone_features(torsions: &[[usize; 4]], x: &[f64]) -> Vec<f64> {
    torsions
        .iter()
        .flat_map(|t| {
            let (theta, _) = dihedral(pos(x, t[0]), pos(x, t[1]), pos(x, t[2]), pos(x, t[3]));
            [theta.cos(), theta.sin()]
        })
        .collect()
}
