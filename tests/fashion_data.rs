//! The Fashion-MNIST loader (targets/src/fashion.rs) on idx files written here: the magic
//! numbers and sizes are checked, the 28×28 images are cropped and pooled 3×3 to 8×8, and a
//! missing folder is a one-line error that says how to install the data.

use std::io::Write;

use flate2::write::GzEncoder;
use socbench::targets::fashion::load;

fn gz(path: &std::path::Path, bytes: &[u8]) {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    std::fs::write(path, e.finish().unwrap()).unwrap();
}

fn idx(images: &[[u8; 784]], labels: &[u8], dir: &std::path::Path) {
    let mut img = vec![0, 0, 8, 3];
    for v in [images.len() as u32, 28, 28] {
        img.extend_from_slice(&v.to_be_bytes());
    }
    for im in images {
        img.extend_from_slice(im);
    }
    let mut lab = vec![0, 0, 8, 1];
    lab.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    lab.extend_from_slice(labels);
    gz(&dir.join("train-images-idx3-ubyte.gz"), &img);
    gz(&dir.join("train-labels-idx1-ubyte.gz"), &lab);
}

#[test]
fn idx_files_are_cropped_and_pooled_to_8x8() {
    let dir = std::env::temp_dir().join(format!("socbench-fashion-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Image 0: row r, column c holds (r·28 + c) mod 256 only in the block of output pixel (1, 2):
    // rows 5..8, columns 8..11. Image 1: all 255 except the 2-pixel border, which is ignored.
    let mut a = [0u8; 784];
    for r in 5..8 {
        for c in 8..11 {
            a[r * 28 + c] = 90;
        }
    }
    let mut b = [255u8; 784];
    for r in 0..28 {
        for c in 0..28 {
            if r < 2 || c < 2 || r >= 26 || c >= 26 {
                b[r * 28 + c] = 0;
            }
        }
    }
    idx(&[a, b], &[3, 9], &dir);
    let d = load(&dir).unwrap();
    assert_eq!(d.labels, vec![3, 9]);
    let expect = 90.0 / 255.0;
    for (k, v) in d.images[0].iter().enumerate() {
        let want = if k == 8 + 2 { expect } else { 0.0 };
        assert!((v - want).abs() < 1e-6, "pixel {k}: {v} vs {want}");
    }
    assert!(d.images[1].iter().all(|&v| (v - 1.0).abs() < 1e-6));
    // A label file of another length is refused.
    idx(&[a, b], &[3], &dir);
    let e = load(&dir).unwrap_err();
    assert!(e.contains("sizes do not match") && !e.contains('\n'), "{e}");
    std::fs::remove_dir_all(&dir).ok();
    let e = load(&dir).unwrap_err();
    assert!(
        e.contains("scripts/fashion-mnist.sh") && !e.contains('\n'),
        "{e}"
    );
}
