//! The small SiLU MLPs of the fine-tuning problem (the base model's denoiser, the two
//! classifiers) and their checkpoint format.
//!
//! A checkpoint is `SOCBNET1`, the configuration it was trained with (a JSON tag), the layers
//! (sizes, then f32 weights and biases, little-endian) and an FNV-1a checksum of all of it. A
//! file that is truncated, altered or written for another configuration is refused with one
//! line that names the file and what is wrong.

use std::path::Path;

use burn::module::Param;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::silu;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::tensor_util::tensor2_from_f32;

const MAGIC: &[u8; 8] = b"SOCBNET1";

#[derive(Module, Debug)]
pub struct Mlp<B: Backend> {
    pub layers: Vec<Linear<B>>,
}

fn linear(w: Vec<f32>, b: Vec<f32>, din: usize, dout: usize, device: &Device) -> Linear<B> {
    Linear {
        weight: Param::from_tensor(tensor2_from_f32(w, din, dout, device)),
        bias: Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(b, [dout]),
            device,
        ))),
    }
}

impl Mlp<B> {
    /// Layer sizes `dims` (input, hidden…, output), PyTorch's U(±1/√fan_in) drawn from `rng`.
    pub fn seeded(dims: &[usize], device: &Device, rng: &mut ChaCha20Rng) -> Self {
        let layers = dims
            .windows(2)
            .map(|w| {
                let (din, dout) = (w[0], w[1]);
                let k = 1.0 / (din as f64).sqrt();
                let mut u = |n: usize| -> Vec<f32> {
                    (0..n).map(|_| rng.random_range(-k..k) as f32).collect()
                };
                let (wv, bv) = (u(din * dout), u(dout));
                linear(wv, bv, din, dout, device)
            })
            .collect();
        Self { layers }
    }

    /// The output, SiLU between layers.
    pub fn forward(&self, h: Tensor<B, 2>) -> Tensor<B, 2> {
        self.with_features(h).1
    }

    /// (the last hidden layer's activations, the output).
    pub fn with_features(&self, mut h: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let n = self.layers.len();
        let mut feat = h.clone();
        for (i, l) in self.layers.iter().enumerate() {
            if i + 1 == n {
                feat = h.clone();
            }
            h = l.forward(h);
            if i + 1 < n {
                h = silu(h);
            }
        }
        (feat, h)
    }

    pub fn dims(&self) -> Vec<usize> {
        let mut d = vec![self.layers[0].weight.dims()[0]];
        d.extend(self.layers.iter().map(|l| l.weight.dims()[1]));
        d
    }

    /// Writes the checkpoint (to a temporary name, then renamed: a crash leaves no half file).
    pub fn save(&self, path: &Path, tag: &str) -> Result<(), String> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(tag.len() as u32).to_le_bytes());
        out.extend_from_slice(tag.as_bytes());
        out.extend_from_slice(&(self.layers.len() as u32).to_le_bytes());
        for l in &self.layers {
            let [din, dout] = l.weight.dims();
            out.extend_from_slice(&(din as u32).to_le_bytes());
            out.extend_from_slice(&(dout as u32).to_le_bytes());
            let b = l.bias.as_ref().expect("bias");
            for t in [l.weight.val().flatten::<1>(0, 1), b.val()] {
                for v in t.into_data().convert::<f32>().into_vec::<f32>().unwrap() {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        let sum = fnv(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &out).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Reads a checkpoint written by [`Mlp::save`] with the same `tag`.
    pub fn load(path: &Path, tag: &str, device: &Device) -> Result<Self, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("checkpoint {}: {e}", path.display()))?;
        Self::from_bytes(&bytes, tag, device).map_err(|e| {
            format!(
                "checkpoint {}: {e} (delete it and run `cargo xtask pretrain` again)",
                path.display()
            )
        })
    }

    fn from_bytes(bytes: &[u8], tag: &str, device: &Device) -> Result<Self, String> {
        if bytes.len() < 8 + 8 || &bytes[..8] != MAGIC {
            return Err("not a socbench network checkpoint".into());
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        if fnv(body).to_le_bytes() != sum {
            return Err("checksum mismatch (truncated or corrupt)".into());
        }
        let mut r = Reader { b: body, at: 8 };
        let tlen = r.u32()? as usize;
        let stored = std::str::from_utf8(r.take(tlen)?).map_err(|_| "tag is not UTF-8")?;
        if stored != tag {
            return Err(format!(
                "written for another configuration ({stored}; wanted {tag})"
            ));
        }
        let n = r.u32()? as usize;
        let mut layers = Vec::with_capacity(n);
        for _ in 0..n {
            let (din, dout) = (r.u32()? as usize, r.u32()? as usize);
            let w = r.f32s(din * dout)?;
            let b = r.f32s(dout)?;
            layers.push(linear(w, b, din, dout, device));
        }
        Ok(Self { layers })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or("ends early")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, String> {
        let s = self.take(n.checked_mul(4).ok_or("bad size")?)?;
        Ok(s.chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect())
    }
}

fn fnv(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &x in b {
        h ^= x as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}
