//! glibc malloc settings for the training loop's allocation pattern.
//!
//! A gradient step builds an autodiff graph of hundreds of 2 MB activations (2000 × 256 f32) and
//! frees them all in backward. With glibc's defaults the freed top of the heap is given back to
//! the kernel (trimmed) after every step and the next step faults the same pages in again, each
//! one zeroed by the kernel: `clear_page_erms` was 8% of the LV step's profile. [`tune`] keeps
//! up to [`TRIM_THRESHOLD`] of free heap for reuse and serves blocks below
//! [`MMAP_THRESHOLD`] from the heap (glibc's largest allowed value; above it, e.g. the 40 MB
//! steps of a d = 200 buffer, blocks are still mapped on their own). The measurements are in
//! `docs/performance-notes.md` ("Session 5"). The cost: a process keeps its peak heap mapped
//! until it exits.
//!
//! Setting either value alone is worse than the defaults (it switches off glibc's adaptive
//! thresholds: with only the trim threshold set, every 2 MB block is mapped on its own and the
//! TR-LV inner step took 4.1 s instead of 1.9 s), so both are set together or not at all.

/// Blocks of up to this many bytes come from the heap: 32 MiB, glibc's own upper bound for its
/// adaptive threshold. Larger blocks are long-lived buffer steps (40 MB at d = 200, K = 50 000):
/// mapped on their own, they go back to the system when the buffer is dropped.
pub const MMAP_THRESHOLD: usize = 32 << 20;
/// Free heap kept at the top before it is given back: 2 GiB − 1 (mallopt takes an `int`).
pub const TRIM_THRESHOLD: usize = i32::MAX as usize;

/// The environment variable that turns the tuning off (`SOCBENCH_MALLOC=default`), for A/B
/// measurements.
pub const ENV: &str = "SOCBENCH_MALLOC";

/// Applies the settings (glibc on Linux; elsewhere nothing to do). Returns whether they are in
/// effect. Call it once at the start of a process, before the heavy allocations.
pub fn tune() -> bool {
    if std::env::var(ENV).is_ok_and(|v| v == "default") {
        return false;
    }
    apply()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() -> bool {
    // SAFETY: mallopt only changes allocator parameters; it is thread-safe in glibc.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int) == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> bool {
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    /// With the settings, a 24 MiB block comes from the heap (with glibc's defaults, at most
    /// 128 KiB at first, it would be mapped on its own), and after it is freed the heap keeps
    /// it instead of giving it back.
    #[test]
    fn blocks_below_the_threshold_stay_on_the_heap() {
        assert!(super::apply(), "glibc refused the settings");
        let size = 24 << 20;
        // SAFETY: mallinfo2 only reads allocator statistics.
        let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
        let before = mapped();
        let block = vec![1u8; size];
        // Other tests of this binary run in parallel and may map blocks of their own meanwhile
        // (mallinfo2 is process-wide): only a growth by the block's size means it was mapped.
        let grown = mapped().saturating_sub(before);
        assert!(
            grown < size,
            "the block was mapped on its own ({grown} bytes mapped)"
        );
        drop(std::hint::black_box(block));
        // SAFETY: as above.
        let info = unsafe { libc::mallinfo2() };
        assert!(
            info.fordblks >= size,
            "the freed block was given back ({} bytes free)",
            info.fordblks
        );
    }
}
