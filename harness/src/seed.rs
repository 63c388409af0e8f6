//! Stable keyed seeding: every random stream in socbench is a ChaCha20 stream whose 32-byte key is
//! derived from a tuple of labels (e.g. experiment, method, d, seed, purpose), so streams are
//! independent across purposes and reproducible across runs, platforms and builds.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// FNV-1a over the labels (with separators), expanded to 32 bytes by SplitMix64.
pub fn key(parts: &[&str]) -> [u8; 32] {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0x1f)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut out = [0u8; 32];
    let mut s = h;
    for chunk in out.chunks_mut(8) {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes());
    }
    out
}

/// A ChaCha20 stream keyed by `parts`.
pub fn stream(parts: &[&str]) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(key(parts))
}
