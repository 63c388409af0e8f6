//! The elementwise and matrix kernels of the host network pass: one BLAS-style multiply (the
//! `gemm` crate, which burn-flex also multiplies with) and fused row kernels that split their rows
//! over the rayon pool. Every kernel reduces in a fixed order, so results do not depend on how
//! the pool schedules them.

use std::mem::MaybeUninit;

use rayon::prelude::*;

use crate::activation::gelu_and_grad;

/// Rows per rayon task of the row kernels (64 × 256 floats = 64 KiB per buffer).
const ROWS_PER_TASK: usize = 64;
/// Multiplies of fewer multiply–adds run on the calling thread (burn-flex's threshold).
const PARALLEL_MACS: usize = 192 * 192 * 192;

/// A read-only matrix operand: element (i, j) is `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major [rows, cols] matrix.
    pub fn rows(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: cols,
            cs: 1,
        }
    }
    /// The transpose of a row-major [rows, cols] matrix, i.e. [cols, rows].
    pub fn transposed(data: &'a [f32], cols: usize) -> Self {
        Self {
            data,
            rs: 1,
            cs: cols,
        }
    }
    fn check(&self, rows: usize, cols: usize) {
        if rows > 0 && cols > 0 {
            let last = (rows - 1) * self.rs + (cols - 1) * self.cs;
            assert!(last < self.data.len(), "matrix operand out of bounds");
        }
    }
}

/// dst [m, n] (row-major) = a [m, k] · b [k, n], or dst += a · b with `accumulate`.
pub fn matmul(m: usize, n: usize, k: usize, a: Mat, b: Mat, dst: &mut [f32], accumulate: bool) {
    assert!(dst.len() >= m * n, "matmul destination too small");
    // SAFETY: dst holds m·n initialised elements.
    unsafe { gemm_into(m, n, k, a, b, dst.as_mut_ptr(), accumulate) }
}

/// a [m, k] · b [k, n] as a new row-major vector. It is not zeroed first: the multiply writes
/// every element (a zeroing pass was 2.4% of a gradient step, on the calling thread).
pub fn matmul_new(m: usize, n: usize, k: usize, a: Mat, b: Mat) -> Vec<f32> {
    if k == 0 {
        return vec![0.0; m * n];
    }
    let mut v: Vec<f32> = Vec::with_capacity(m * n);
    // SAFETY: the capacity holds m·n elements; with read_dst = false and k ≥ 1 gemm writes each
    // of them (dst := a·b) without reading it, so all are initialised before set_len.
    unsafe {
        gemm_into(m, n, k, a, b, v.as_mut_ptr(), false);
        v.set_len(m * n);
    }
    v
}

/// # Safety
/// `dst` must be valid for m·n writes (and reads, with `accumulate`) and not alias a or b.
unsafe fn gemm_into(m: usize, n: usize, k: usize, a: Mat, b: Mat, dst: *mut f32, accumulate: bool) {
    a.check(m, k);
    b.check(k, n);
    let parallelism = if m * n * k >= PARALLEL_MACS {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the operands' bounds were checked above for the strides given; dst is the
    // caller's.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// y ← y + a·x (short vectors: one row of weights or a bias).
pub fn add_scaled(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// z ← z + b on every row (the last layer's bias).
pub fn add_bias(z: &mut [f32], b: &[f32]) {
    let n = b.len();
    z.par_chunks_mut(ROWS_PER_TASK * n).for_each(|z| {
        for row in z.chunks_exact_mut(n) {
            for (z, b) in row.iter_mut().zip(b) {
                *z += b;
            }
        }
    });
}

/// z ← GELU(z + b) on every row and, with `with_grad`, GELU'(z + b) in a new vector: a hidden
/// layer's bias and activation in one pass.
pub fn bias_gelu(z: &mut [f32], b: &[f32], with_grad: bool) -> Option<Vec<f32>> {
    let n = b.len();
    let chunk = ROWS_PER_TASK * n;
    if !with_grad {
        z.par_chunks_mut(chunk).for_each(|z| dispatch(z, None, b));
        return None;
    }
    let len = z.len();
    let mut dz: Vec<f32> = Vec::with_capacity(len);
    z.par_chunks_mut(chunk)
        .zip(dz.spare_capacity_mut()[..len].par_chunks_mut(chunk))
        .for_each(|(z, dz)| dispatch(z, Some(dz), b));
    // SAFETY: the chunks of the spare capacity cover z.len() elements, and the row kernel
    // writes every element of its chunk (z.len() is a multiple of n, as is each chunk).
    unsafe { dz.set_len(len) };
    Some(dz)
}

/// g ← g ⊙ d, returning the column sums of the product (a hidden layer's bias gradient).
pub fn mul_colsum(g: &mut [f32], d: &[f32], n: usize) -> Vec<f32> {
    let chunk = ROWS_PER_TASK * n;
    let parts: Vec<Vec<f32>> = g
        .par_chunks_mut(chunk)
        .zip(d.par_chunks(chunk))
        .map(|(g, d)| {
            let mut s = vec![0.0f32; n];
            for (g, d) in g.chunks_exact_mut(n).zip(d.chunks_exact(n)) {
                for ((g, d), s) in g.iter_mut().zip(d).zip(s.iter_mut()) {
                    *g *= d;
                    *s += *g;
                }
            }
            s
        })
        .collect();
    sum_parts(parts, n)
}

/// The column sums of a row-major [rows, n] matrix.
pub fn colsum(g: &[f32], n: usize) -> Vec<f32> {
    let parts: Vec<Vec<f32>> = g
        .par_chunks(ROWS_PER_TASK * n)
        .map(|g| {
            let mut s = vec![0.0f32; n];
            for row in g.chunks_exact(n) {
                for (s, g) in s.iter_mut().zip(row) {
                    *s += g;
                }
            }
            s
        })
        .collect();
    sum_parts(parts, n)
}

/// Partial sums added in task order (deterministic whatever the scheduling).
fn sum_parts(parts: Vec<Vec<f32>>, n: usize) -> Vec<f32> {
    let mut total = vec![0.0f32; n];
    for p in parts {
        for (t, p) in total.iter_mut().zip(p) {
            *t += p;
        }
    }
    total
}

/// Runs [`bias_gelu_rows`] compiled for the widest instruction set this CPU has.
fn dispatch(z: &mut [f32], dz: Option<&mut [MaybeUninit<f32>]>, b: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { bias_gelu_avx512(z, dz, b) };
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { bias_gelu_avx2(z, dz, b) };
        }
    }
    bias_gelu_rows(z, dz, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn bias_gelu_avx512(z: &mut [f32], dz: Option<&mut [MaybeUninit<f32>]>, b: &[f32]) {
    bias_gelu_rows(z, dz, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn bias_gelu_avx2(z: &mut [f32], dz: Option<&mut [MaybeUninit<f32>]>, b: &[f32]) {
    bias_gelu_rows(z, dz, b)
}

#[inline(always)]
fn bias_gelu_rows(z: &mut [f32], dz: Option<&mut [MaybeUninit<f32>]>, b: &[f32]) {
    let n = b.len();
    match dz {
        Some(dz) => {
            assert_eq!(z.len(), dz.len());
            for (z, dz) in z.chunks_exact_mut(n).zip(dz.chunks_exact_mut(n)) {
                for ((z, dz), b) in z.iter_mut().zip(dz.iter_mut()).zip(b) {
                    let (g, d) = gelu_and_grad(*z + b);
                    *z = g;
                    dz.write(d);
                }
            }
        }
        None => {
            for z in z.chunks_exact_mut(n) {
                for (z, b) in z.iter_mut().zip(b) {
                    *z = gelu_and_grad(*z + b).0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The multiply against a naive triple loop, in all four transpose combinations the network
    /// uses, overwriting and accumulating.
    #[test]
    fn matmul_matches_a_naive_product() {
        let (m, n, k) = (37, 19, 23);
        let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| ((i * 5) % 11) as f32 - 5.0).collect();
        let naive = |at: &dyn Fn(usize, usize) -> f32, bt: &dyn Fn(usize, usize) -> f32| {
            let mut c = vec![0.0f32; m * n];
            for i in 0..m {
                for j in 0..n {
                    c[i * n + j] = (0..k).map(|l| at(i, l) * bt(l, j)).sum();
                }
            }
            c
        };
        // a as [m, k] row-major, or stored as [k, m] and read transposed; the same for b.
        let at: Vec<f32> = (0..k * m).map(|i| a[(i % m) * k + i / m]).collect();
        let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
        let want = naive(&|i, l| a[i * k + l], &|l, j| b[l * n + j]);
        for (ma, mb) in [
            (Mat::rows(&a, k), Mat::rows(&b, n)),
            (Mat::transposed(&at, m), Mat::rows(&b, n)),
            (Mat::rows(&a, k), Mat::transposed(&bt, k)),
            (Mat::transposed(&at, m), Mat::transposed(&bt, k)),
        ] {
            assert_eq!(matmul_new(m, n, k, ma, mb), want);
            let mut c = vec![1.0f32; m * n];
            matmul(m, n, k, ma, mb, &mut c, false);
            assert_eq!(c, want);
            matmul(m, n, k, ma, mb, &mut c, true);
            let twice: Vec<f32> = want.iter().map(|v| 2.0 * v).collect();
            assert_eq!(c, twice);
        }
    }

    /// The fused row kernels against their definitions, over more rows than one task holds.
    #[test]
    fn row_kernels_match_their_definitions() {
        let (rows, n) = (ROWS_PER_TASK * 2 + 5, 7);
        let z0: Vec<f32> = (0..rows * n)
            .map(|i| (i as f32 * 0.37).sin() * 3.0)
            .collect();
        let b: Vec<f32> = (0..n).map(|j| j as f32 * 0.1 - 0.3).collect();
        let mut z = z0.clone();
        let dz = bias_gelu(&mut z, &b, true).expect("asked for");
        let mut z_only = z0.clone();
        assert!(bias_gelu(&mut z_only, &b, false).is_none());
        assert_eq!(z_only, z);
        for i in 0..rows * n {
            let (g, d) = gelu_and_grad(z0[i] + b[i % n]);
            assert_eq!((z[i], dz[i]), (g, d));
        }
        let mut g = z0.clone();
        let s = mul_colsum(&mut g, &dz, n);
        for j in 0..n {
            let want: f64 = (0..rows)
                .map(|r| z0[r * n + j] as f64 * dz[r * n + j] as f64)
                .sum();
            assert!((s[j] as f64 - want).abs() < 1e-4 * (1.0 + want.abs()));
            assert_eq!(g[j], z0[j] * dz[j]);
        }
        let c = colsum(&z0, n);
        for j in 0..n {
            let want: f64 = (0..rows).map(|r| z0[r * n + j] as f64).sum();
            assert!((c[j] as f64 - want).abs() < 1e-4 * (1.0 + want.abs()));
        }
        let mut z = z0.clone();
        add_bias(&mut z, &b);
        assert!((0..rows * n).all(|i| z[i] == z0[i] + b[i % n]));
    }
}
