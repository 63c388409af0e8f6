//! The inner loop of the Sinkhorn c-transform: for one row c of the cost matrix and the potential
//! g, the maximum M = max_j a_j and the shifted sum S = Σ_j exp(a_j − M) of a_j = (g_j − c_j)/ε,
//! so that LSE_j(a_j) = M + ln S. f64 throughout.
//!
//! Why: written as two plain loops, the sum is a strict sequential f64 reduction that the compiler
//! may not reorder, and libm's `exp` is a scalar call, so every term cost a call and a dependent
//! add (the Sinkhorn kernel took 16 s for 2000 vs 2000 points, `docs/performance-notes.md`).
//! Here each of [`LANES`] lanes keeps its own maximum and sum (a fixed order, so the result does
//! not depend on the thread count or the machine), and exp is a polynomial that vectorises; on
//! x86-64 the lanes are written out in AVX2 intrinsics, because the compiler vectorised the
//! portable loops across chunks with gathers, no faster than the scalar code.

/// Independent partial maxima and sums per row (8 f64 = one AVX-512 register).
const LANES: usize = 8;

/// 1/i! for i = 0, …, 13: the Taylor coefficients of e^r.
const INV_FACT: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// e^y for y ≤ 0, clamped below at −708 (e^y is then below f64's normal range; the terms it
/// stands for are ≤ e^{−708} relative to the largest and do not change a sum of at least 1):
/// y = n ln 2 + r with |r| ≤ ln 2 / 2, e^r by its degree-13 Taylor polynomial (truncation
/// < 3e-18, [`taylor13`]), 2^n from the exponent bits. Relative error a few units in the last
/// place.
#[inline(always)]
pub fn exp_nonpositive_f64(y: f64) -> f64 {
    // 1.5 · 2^52: adding and subtracting it rounds to an integer.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    // Cody–Waite split of ln 2: n · LN2_HI is exact for |n| < 2^11.
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let y = y.max(-708.0);
    let k = y * std::f64::consts::LOG2_E + ROUND;
    let n = k - ROUND;
    // n as an integer without a float-to-int conversion: k's low mantissa bits hold it.
    let n_int = (k.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64);
    let r = (y - n * LN2_HI) - n * LN2_LO;
    taylor13(r) * f64::from_bits(((n_int + 1023) as u64) << 52)
}

/// Σ_{i ≤ 13} r^i / i! in Estrin's scheme (depth 4 instead of Horner's 13), with fused
/// multiply–adds, operation for operation as the AVX2 form.
#[inline(always)]
fn taylor13(r: f64) -> f64 {
    let c = |i: usize| INV_FACT[i];
    let (r2, fma) = (r * r, f64::mul_add);
    let (r4, q) = (r2 * r2, |i: usize| fma(c(i + 1), r, c(i)));
    let r8 = r4 * r4;
    let t0 = fma(q(2), r2, q(0));
    let t1 = fma(q(6), r2, q(4));
    let t2 = fma(q(10), r2, q(8));
    let u0 = fma(t1, r4, t0);
    let u1 = fma(q(12), r4, t2);
    fma(u1, r8, u0)
}

/// (M, S): M = max_j (g_j − c_j)·inv, S = Σ_j exp((g_j − c_j)·inv − M), for `c` and `g` of one
/// length. An empty row gives (−∞, 0). NaN terms are skipped, as `f64::max` skips them (a NaN
/// cost comes from NaN samples, whose potentials then become infinite or NaN anyway).
/// With AVX2 the lanes run in two 256-bit registers, with the same operations in the same order
/// as the portable code (whose `mul_add` is a fused multiply–add too), so both give the same bits.
pub fn max_and_shifted_sum(c: &[f64], g: &[f64], inv: f64) -> (f64, f64) {
    assert_eq!(c.len(), g.len(), "cost row and potential differ in length");
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA.
            return unsafe { avx2::max_and_shifted_sum(c, g, inv) };
        }
    }
    portable(c, g, inv)
}

/// The portable form. The compiler may vectorise it poorly (across chunks, with gathers), which
/// is why x86-64 has the explicit AVX2 form below.
fn portable(c: &[f64], g: &[f64], inv: f64) -> (f64, f64) {
    let split = c.len() - c.len() % LANES;
    let a = |c: f64, g: f64| (g - c) * inv;
    let mut mx = [f64::NEG_INFINITY; LANES];
    for (cs, gs) in c[..split]
        .chunks_exact(LANES)
        .zip(g[..split].chunks_exact(LANES))
    {
        for l in 0..LANES {
            mx[l] = mx[l].max(a(cs[l], gs[l]));
        }
    }
    let m = finish_max(mx, &c[split..], &g[split..], inv);
    if m == f64::NEG_INFINITY {
        return (m, 0.0);
    }
    let mut s = [0.0f64; LANES];
    for (cs, gs) in c[..split]
        .chunks_exact(LANES)
        .zip(g[..split].chunks_exact(LANES))
    {
        for l in 0..LANES {
            s[l] += exp_nonpositive_f64(a(cs[l], gs[l]) - m);
        }
    }
    (m, finish_sum(s, &c[split..], &g[split..], inv, m))
}

/// The maximum of the lane maxima and the tail's terms.
fn finish_max(mx: [f64; LANES], c_tail: &[f64], g_tail: &[f64], inv: f64) -> f64 {
    c_tail
        .iter()
        .zip(g_tail)
        .map(|(&c, &g)| (g - c) * inv)
        .chain(mx)
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The lane sums added pairwise, then the tail's terms in order: a fixed order.
fn finish_sum(s: [f64; LANES], c_tail: &[f64], g_tail: &[f64], inv: f64, m: f64) -> f64 {
    let tail: f64 = c_tail
        .iter()
        .zip(g_tail)
        .map(|(&c, &g)| exp_nonpositive_f64((g - c) * inv - m))
        .sum();
    ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{finish_max, finish_sum, INV_FACT, LANES};
    use std::arch::x86_64::*;

    /// [`super::taylor13`] on four lanes, operation for operation.
    #[target_feature(enable = "avx2,fma")]
    fn taylor13_4(r: __m256d) -> __m256d {
        let c = |i: usize| _mm256_set1_pd(INV_FACT[i]);
        let r2 = _mm256_mul_pd(r, r);
        let r4 = _mm256_mul_pd(r2, r2);
        let r8 = _mm256_mul_pd(r4, r4);
        let q = |i: usize| _mm256_fmadd_pd(c(i + 1), r, c(i));
        let t0 = _mm256_fmadd_pd(q(2), r2, q(0));
        let t1 = _mm256_fmadd_pd(q(6), r2, q(4));
        let t2 = _mm256_fmadd_pd(q(10), r2, q(8));
        let u0 = _mm256_fmadd_pd(t1, r4, t0);
        let u1 = _mm256_fmadd_pd(q(12), r4, t2);
        _mm256_fmadd_pd(u1, r8, u0)
    }

    /// [`super::exp_nonpositive_f64`] on four lanes, operation for operation.
    #[target_feature(enable = "avx2,fma")]
    fn exp4(y: __m256d) -> __m256d {
        const ROUND: f64 = 6_755_399_441_055_744.0;
        const LN2_HI: f64 = 0.693_147_180_369_123_8;
        const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
        let y = _mm256_max_pd(y, _mm256_set1_pd(-708.0));
        let k = _mm256_add_pd(
            _mm256_mul_pd(y, _mm256_set1_pd(std::f64::consts::LOG2_E)),
            _mm256_set1_pd(ROUND),
        );
        let n = _mm256_sub_pd(k, _mm256_set1_pd(ROUND));
        let n_int = _mm256_sub_epi64(
            _mm256_castpd_si256(k),
            _mm256_set1_epi64x(ROUND.to_bits() as i64),
        );
        let r = _mm256_sub_pd(
            _mm256_sub_pd(y, _mm256_mul_pd(n, _mm256_set1_pd(LN2_HI))),
            _mm256_mul_pd(n, _mm256_set1_pd(LN2_LO)),
        );
        let p = taylor13_4(r);
        let two_n = _mm256_castsi256_pd(_mm256_slli_epi64(
            _mm256_add_epi64(n_int, _mm256_set1_epi64x(1023)),
            52,
        ));
        _mm256_mul_pd(p, two_n)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn max_and_shifted_sum(c: &[f64], g: &[f64], inv: f64) -> (f64, f64) {
        let split = c.len() - c.len() % LANES;
        let inv4 = _mm256_set1_pd(inv);
        // Lanes 0–3 and 4–7 of each chunk of eight.
        let a = |j: usize| {
            // SAFETY: j + 8 ≤ split ≤ len of both slices.
            unsafe {
                let lo = _mm256_sub_pd(
                    _mm256_loadu_pd(g.as_ptr().add(j)),
                    _mm256_loadu_pd(c.as_ptr().add(j)),
                );
                let hi = _mm256_sub_pd(
                    _mm256_loadu_pd(g.as_ptr().add(j + 4)),
                    _mm256_loadu_pd(c.as_ptr().add(j + 4)),
                );
                (_mm256_mul_pd(lo, inv4), _mm256_mul_pd(hi, inv4))
            }
        };
        let (mut mx0, mut mx1) = (
            _mm256_set1_pd(f64::NEG_INFINITY),
            _mm256_set1_pd(f64::NEG_INFINITY),
        );
        for j in (0..split).step_by(LANES) {
            let (lo, hi) = a(j);
            // max(new, acc) returns acc when new is NaN, as f64::max does.
            mx0 = _mm256_max_pd(lo, mx0);
            mx1 = _mm256_max_pd(hi, mx1);
        }
        let mut mx = [0.0; LANES];
        // SAFETY: mx holds eight f64.
        unsafe {
            _mm256_storeu_pd(mx.as_mut_ptr(), mx0);
            _mm256_storeu_pd(mx.as_mut_ptr().add(4), mx1);
        }
        let m = finish_max(mx, &c[split..], &g[split..], inv);
        if m == f64::NEG_INFINITY {
            return (m, 0.0);
        }
        let m4 = _mm256_set1_pd(m);
        let (mut s0, mut s1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
        for j in (0..split).step_by(LANES) {
            let (lo, hi) = a(j);
            s0 = _mm256_add_pd(s0, exp4(_mm256_sub_pd(lo, m4)));
            s1 = _mm256_add_pd(s1, exp4(_mm256_sub_pd(hi, m4)));
        }
        let mut s = [0.0; LANES];
        // SAFETY: s holds eight f64.
        unsafe {
            _mm256_storeu_pd(s.as_mut_ptr(), s0);
            _mm256_storeu_pd(s.as_mut_ptr().add(4), s1);
        }
        (m, finish_sum(s, &c[split..], &g[split..], inv, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: libm exp and a plain sequential sum.
    fn reference(c: &[f64], g: &[f64], inv: f64) -> (f64, f64) {
        let a: Vec<f64> = c.iter().zip(g).map(|(c, g)| (g - c) * inv).collect();
        let m = a.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        (m, a.iter().map(|x| (x - m).exp()).sum())
    }

    #[test]
    fn exp_matches_libm_within_a_few_ulp() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let y = -708.0 * i as f64 / 200_000.0;
            let rel = (exp_nonpositive_f64(y) - y.exp()).abs() / y.exp();
            worst = worst.max(rel);
        }
        for y in [
            0.0,
            -1e-300,
            -1e-17,
            -0.3465735902799727,
            -0.34657359028,
            -1.0,
        ] {
            let rel = (exp_nonpositive_f64(y) - y.exp()).abs() / y.exp();
            worst = worst.max(rel);
        }
        assert!(worst < 1e-15, "relative error {worst:e}");
        assert!(exp_nonpositive_f64(-1e6) < 1e-307);
        assert_eq!(exp_nonpositive_f64(0.0), 1.0);
    }

    #[test]
    fn lane_sums_match_a_sequential_reference() {
        // Lengths around the lane width, and a row of the paper's size.
        for n in [1usize, 7, 8, 9, 63, 2000, 2001] {
            let c: Vec<f64> = (0..n).map(|j| ((j * 7919) % 1013) as f64 * 0.037).collect();
            let g: Vec<f64> = (0..n)
                .map(|j| ((j * 104_729) % 617) as f64 * 0.011)
                .collect();
            for inv in [0.05, 1.0, 40.0] {
                let (m, s) = max_and_shifted_sum(&c, &g, inv);
                // The dispatched (AVX2 where the CPU has it) and the portable form agree bitwise.
                assert_eq!((m, s), portable(&c, &g, inv), "n = {n}, inv = {inv}");
                let (rm, rs) = reference(&c, &g, inv);
                assert_eq!(m, rm, "n = {n}, inv = {inv}");
                assert!(
                    (s - rs).abs() <= 1e-13 * rs,
                    "n = {n}, inv = {inv}: {s} vs {rs}"
                );
            }
        }
        assert_eq!(max_and_shifted_sum(&[], &[], 1.0), (f64::NEG_INFINITY, 0.0));
        assert_eq!(portable(&[], &[], 1.0), (f64::NEG_INFINITY, 0.0));
        assert_eq!(
            max_and_shifted_sum(&[f64::NAN, 1.0], &[0.0, 0.0], 1.0),
            (-1.0, 1.0)
        );
        let mut c = vec![1.0; 16];
        c[3] = f64::NAN;
        assert_eq!(max_and_shifted_sum(&c, &[0.0; 16], 1.0), (-1.0, 15.0));
    }
}
