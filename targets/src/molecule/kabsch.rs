//! Kabsch alignment: the rotation R and translation t that minimise Σ_i |R p_i + t − q_i|² over a
//! subset of atoms (Kabsch 1976), by the SVD of the 3×3 covariance, with the reflection removed.
//! Coordinates are row-major [n, 3].

use nalgebra::{Matrix3, Vector3};

/// A rigid motion x ↦ R x + t.
#[derive(Clone, Copy, Debug)]
pub struct RigidMotion {
    pub r: Matrix3<f64>,
    pub t: Vector3<f64>,
}

impl RigidMotion {
    pub fn apply(&self, x: Vector3<f64>) -> Vector3<f64> {
        self.r * x + self.t
    }
}

fn point(x: &[f64], i: usize) -> Vector3<f64> {
    Vector3::new(x[3 * i], x[3 * i + 1], x[3 * i + 2])
}

/// The motion that best superimposes atoms `atoms` of `p` onto the same atoms of `q`.
pub fn kabsch(p: &[f64], q: &[f64], atoms: &[usize]) -> RigidMotion {
    let n = atoms.len() as f64;
    let cp = atoms.iter().map(|&i| point(p, i)).sum::<Vector3<f64>>() / n;
    let cq = atoms.iter().map(|&i| point(q, i)).sum::<Vector3<f64>>() / n;
    let mut h = Matrix3::zeros();
    for &i in atoms {
        h += (point(p, i) - cp) * (point(q, i) - cq).transpose();
    }
    let svd = h.svd(true, true);
    let (u, vt) = (svd.u.expect("u"), svd.v_t.expect("v_t"));
    let v = vt.transpose();
    let d = (v * u.transpose()).determinant().signum();
    let r = v * Matrix3::from_diagonal(&Vector3::new(1.0, 1.0, d)) * u.transpose();
    RigidMotion { r, t: cq - r * cp }
}

/// The RMSD over `atoms` after Kabsch alignment of `p` onto `q` (same units as the input).
pub fn aligned_rmsd(p: &[f64], q: &[f64], atoms: &[usize]) -> f64 {
    (aligned_msd(p, q, atoms) * 3.0).sqrt()
}

/// The mean over `atoms` and the three coordinates of the squared deviation after alignment
/// (tps-dps's `rbf` mean: MSD = RMSD²/3).
pub fn aligned_msd(p: &[f64], q: &[f64], atoms: &[usize]) -> f64 {
    let m = kabsch(p, q, atoms);
    atoms
        .iter()
        .map(|&i| (m.apply(point(p, i)) - point(q, i)).norm_squared())
        .sum::<f64>()
        / (3.0 * atoms.len() as f64)
}
