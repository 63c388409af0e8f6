//! The four metrics of the paper's Fig. 5, in their digit analogs, and their building blocks
//! (Fréchet distance, mean pairwise distance), all in f64.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Mean and covariance (1/(n − 1)) of `n` rows of width `dim`.
pub fn moments(rows: &[f64], dim: usize) -> (DVector<f64>, DMatrix<f64>) {
    let n = rows.len() / dim;
    let x = DMatrix::from_row_slice(n, dim, rows);
    let mean = DVector::from_iterator(dim, (0..dim).map(|j| x.column(j).mean()));
    let mut c = x.clone();
    for mut r in c.row_iter_mut() {
        r -= mean.transpose();
    }
    let cov = c.transpose() * &c / (n.max(2) - 1) as f64;
    (mean, cov)
}

/// √S of a symmetric positive semi-definite S (negative round-off eigenvalues clipped).
fn sqrt_psd(s: &DMatrix<f64>) -> DMatrix<f64> {
    let e = SymmetricEigen::new(s.clone());
    let d = DMatrix::from_diagonal(&e.eigenvalues.map(|l| l.max(0.0).sqrt()));
    &e.eigenvectors * d * e.eigenvectors.transpose()
}

/// Fréchet distance between N(μ₁, Σ₁) and N(μ₂, Σ₂) fitted to two sets of rows:
/// |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}.
pub fn frechet(a: &[f64], b: &[f64], dim: usize) -> f64 {
    let (m1, s1) = moments(a, dim);
    let (m2, s2) = moments(b, dim);
    let r1 = sqrt_psd(&s1);
    let cross = sqrt_psd(&(&r1 * &s2 * &r1));
    ((m1 - m2).norm_squared() + s1.trace() + s2.trace() - 2.0 * cross.trace()).max(0.0)
}

/// Mean Euclidean distance over all pairs of rows.
pub fn mean_pairwise(rows: &[f64], dim: usize) -> f64 {
    let n = rows.len() / dim;
    let (mut sum, mut pairs) = (0.0, 0usize);
    for i in 0..n {
        for j in i + 1..n {
            let d2: f64 = (0..dim)
                .map(|k| (rows[i * dim + k] - rows[j * dim + k]).powi(2))
                .sum();
            sum += d2.sqrt();
            pairs += 1;
        }
    }
    if pairs == 0 {
        f64::NAN
    } else {
        sum / pairs as f64
    }
}

/// Rows of `rows` (width `dim`) whose label is `c`.
pub fn rows_of(rows: &[f64], dim: usize, labels: &[usize], c: usize) -> Vec<f64> {
    labels
        .iter()
        .enumerate()
        .filter(|(_, &l)| l == c)
        .flat_map(|(i, _)| rows[i * dim..(i + 1) * dim].iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// For diagonal Gaussians FD = |Δμ|² + Σ (√a − √b)²; fitted to 40 000 draws each.
    #[test]
    fn frechet_matches_the_gaussian_closed_form() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let (n, dim) = (40_000, 3);
        let (sa, sb) = ([1.0, 2.0, 0.5], [1.5, 1.0, 0.5]);
        let (ma, mb) = ([0.0, 1.0, 0.0], [0.5, 1.0, -1.0]);
        let mut draw = |s: [f64; 3], m: [f64; 3]| -> Vec<f64> {
            (0..n * dim)
                .map(|i| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    m[i % dim] + s[i % dim] * z
                })
                .collect()
        };
        let (a, b) = (draw(sa, ma), draw(sb, mb));
        let exact: f64 = (0..dim)
            .map(|k| (ma[k] - mb[k]).powi(2) + (sa[k] - sb[k]).powi(2))
            .sum();
        let got = frechet(&a, &b, dim);
        assert!(
            (got - exact).abs() < 0.05,
            "FD {got} vs closed form {exact}"
        );
        assert!(frechet(&a, &a, dim) < 1e-9);
    }

    #[test]
    fn mean_pairwise_of_a_square() {
        let sq = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let expected = (4.0 + 2.0 * 2f64.sqrt()) / 6.0;
        assert!((mean_pairwise(&sq, 2) - expected).abs() < 1e-12);
    }
}
