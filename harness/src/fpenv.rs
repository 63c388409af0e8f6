//! Subnormal floats flushed to zero in every thread that computes (issue 38).
//!
//! Why: x86 cores take a microcode assist, tens to hundreds of cycles, on every SSE/AVX operation
//! whose input or result is subnormal (|x| < 1.18e-38 in f32). A trained control network has
//! hidden units far in GELU's negative tail, where GELU(h) = h Φ(h) and GELU'(h) underflow
//! through the subnormal range (Φ(h) < 1.18e-38 below h ≈ −13), and Adam's second moments of the
//! weights feeding such units decay into that range too (`docs/subnormals.md` has the audit).
//! A GMM40 TR-LV run slowed from 5 s to 21 s per refresh as it trained; with the flags set it
//! runs at a constant speed. Numbers that small are zero to every quantity we report (they are
//! 1e-30 below the values they are added to), so flushing them changes no reported digit that
//! the check tolerances can see; `cargo xtask check` confirms it.
//!
//! What is set: MXCSR's FTZ (flush results to zero) and DAZ (treat subnormal inputs as zero) on
//! x86-64, FPCR.FZ on aarch64. The flags are per thread, so [`ensure`] sets them in the calling
//! thread and, once per process, in every thread of rayon's global pool (which runs the host
//! kernels, burn-flex's parallel ops and gemm). Threads we spawn ourselves call [`ensure`] first.

use std::sync::Once;

/// MXCSR bits: flush-to-zero (15) and denormals-are-zero (6).
#[cfg(target_arch = "x86_64")]
const MXCSR_FTZ_DAZ: u32 = (1 << 15) | (1 << 6);

/// FPCR bit 24: flush-to-zero (inputs and results) on aarch64.
#[cfg(target_arch = "aarch64")]
const FPCR_FZ: u64 = 1 << 24;

static POOL: Once = Once::new();

/// Sets flush-to-zero in the calling thread and (once per process) in rayon's global pool.
/// Cheap enough to call at the start of every training run and every spawned thread.
///
/// `SOCBENCH_KEEP_SUBNORMALS=1` leaves the default environment (for measuring the slowdown only).
pub fn ensure() {
    if keep_subnormals() {
        return;
    }
    set_this_thread();
    POOL.call_once(|| {
        rayon::broadcast(|_| set_this_thread());
    });
}

/// Whether `SOCBENCH_KEEP_SUBNORMALS=1` asks for the default floating-point environment.
pub fn keep_subnormals() -> bool {
    static KEEP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KEEP.get_or_init(|| std::env::var("SOCBENCH_KEEP_SUBNORMALS").is_ok_and(|v| v == "1"))
}

/// Whether the calling thread flushes subnormals to zero.
pub fn flushing() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        read_mxcsr() & MXCSR_FTZ_DAZ == MXCSR_FTZ_DAZ
    }
    #[cfg(target_arch = "aarch64")]
    {
        read_fpcr() & FPCR_FZ != 0
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// Whether every thread of rayon's global pool flushes subnormals to zero.
pub fn pool_flushing() -> bool {
    rayon::broadcast(|_| flushing()).into_iter().all(|f| f)
}

/// Sets the flags in the calling thread only (unless [`keep_subnormals`]).
pub fn set_this_thread() {
    if keep_subnormals() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let v = read_mxcsr() | MXCSR_FTZ_DAZ;
        // SAFETY: ldmxcsr with the current control word plus the FTZ and DAZ bits; no exception
        // mask or rounding bit changes.
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly)) };
    }
    #[cfg(target_arch = "aarch64")]
    {
        let v = read_fpcr() | FPCR_FZ;
        // SAFETY: writes FPCR with only the FZ bit added.
        unsafe { std::arch::asm!("msr fpcr, {}", in(reg) v, options(nomem, nostack)) };
    }
}

#[cfg(target_arch = "x86_64")]
fn read_mxcsr() -> u32 {
    let mut v: u32 = 0;
    // SAFETY: stmxcsr stores the 32-bit control/status word to a valid, aligned u32.
    unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
    v
}

#[cfg(target_arch = "aarch64")]
fn read_fpcr() -> u64 {
    let v: u64;
    // SAFETY: reads the FP control register.
    unsafe { std::arch::asm!("mrs {}, fpcr", out(reg) v, options(nomem, nostack)) };
    v
}

/// How many of `x` are subnormal (the audit of `docs/subnormals.md`).
pub fn count_subnormal(x: &[f32]) -> usize {
    x.iter().filter(|v| v.is_subnormal()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest normal f32 halved is a subnormal; after `ensure` the same product
    /// flushes to zero in this thread and in every pool thread.
    #[test]
    fn ensure_flushes_here_and_in_the_pool() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let half = std::hint::black_box(0.5f32);
        // Without the flags (the default environment) the product is subnormal.
        if !flushing() {
            assert!((tiny * half).is_subnormal());
        }
        ensure();
        assert!(flushing());
        assert!(pool_flushing());
        assert_eq!(std::hint::black_box(tiny) * std::hint::black_box(half), 0.0);
        let pool: Vec<f32> = rayon::broadcast(|_| std::hint::black_box(tiny) * half);
        assert!(pool.iter().all(|v| *v == 0.0));
        assert_eq!(count_subnormal(&[f32::MIN_POSITIVE / 4.0, 1.0, 0.0]), 1);
    }
}
