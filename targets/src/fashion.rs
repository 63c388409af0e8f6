//! Fashion-MNIST (Xiao et al. 2017, MIT licence) from the Debian package
//! `dataset-fashion-mnist` (`scripts/fashion-mnist.sh` installs it): the data of the fine-tuning
//! experiment's `paper` profile. The 28×28 images are cropped to their central 24×24 and
//! average-pooled 3×3 to 8×8, so that every model and metric of the digits runs unchanged.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::digits::{Digits, CLASSES, PIXELS};

/// Where the Debian package puts the files; `SOCBENCH_FASHION_MNIST` overrides it.
pub const DEBIAN_DIR: &str = "/usr/share/datasets/fashion-mnist";

pub fn data_dir() -> PathBuf {
    std::env::var_os("SOCBENCH_FASHION_MNIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEBIAN_DIR))
}

fn gunzip(path: &Path) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| {
        format!(
            "dataset fashion-mnist: {}: {e} (install it with scripts/fashion-mnist.sh, or set \
             SOCBENCH_FASHION_MNIST to a folder with the idx files)",
            path.display()
        )
    })?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut out)
        .map_err(|e| format!("dataset fashion-mnist: {}: {e}", path.display()))?;
    Ok(out)
}

fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// The 60 000 training images of `dir`, downsampled to 8×8, values in [0, 1].
pub fn load(dir: &Path) -> Result<Digits, String> {
    let img = gunzip(&dir.join("train-images-idx3-ubyte.gz"))?;
    let lab = gunzip(&dir.join("train-labels-idx1-ubyte.gz"))?;
    let bad = |what: &str| format!("dataset fashion-mnist in {}: {what}", dir.display());
    if img.len() < 16 || be32(&img, 0) != 2051 || lab.len() < 8 || be32(&lab, 0) != 2049 {
        return Err(bad("not idx files (magic numbers 2051/2049)"));
    }
    let (n, rows, cols) = (be32(&img, 4), be32(&img, 8), be32(&img, 12));
    if rows != 28
        || cols != 28
        || be32(&lab, 4) != n
        || img.len() != 16 + n * 784
        || lab.len() != 8 + n
    {
        return Err(bad("sizes do not match 28×28 images with one label each"));
    }
    let mut out = Digits::default();
    for i in 0..n {
        let src = &img[16 + i * 784..16 + (i + 1) * 784];
        let mut px = [0f32; PIXELS];
        for (k, p) in px.iter_mut().enumerate() {
            let (r0, c0) = (2 + 3 * (k / 8), 2 + 3 * (k % 8));
            let mut sum = 0u32;
            for r in r0..r0 + 3 {
                for c in c0..c0 + 3 {
                    sum += src[r * 28 + c] as u32;
                }
            }
            *p = sum as f32 / (9.0 * 255.0);
        }
        let l = lab[8 + i];
        if l as usize >= CLASSES {
            return Err(bad(&format!("label {l} of image {i}: allowed 0–9")));
        }
        out.images.push(px);
        out.labels.push(l);
    }
    Ok(out)
}
