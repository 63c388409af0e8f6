//! Small host <-> tensor conversions and numerically stable reductions shared by all crates.

use crate::backend::{Device, B};
use burn::prelude::*;
use burn::tensor::TensorData;

/// Row-major f64 host data [rows, cols] to an f32 tensor on `device`.
pub fn tensor2_from_f64(data: &[f64], rows: usize, cols: usize, device: &Device) -> Tensor<B, 2> {
    let v: Vec<f32> = data.iter().map(|&x| x as f32).collect();
    Tensor::from_data(TensorData::new(v, [rows, cols]), device)
}

/// f32 host data [rows, cols] to a tensor on `device`.
pub fn tensor2_from_f32(data: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

/// Host data [n] to a rank-1 tensor.
pub fn tensor1_from_f64(data: &[f64], device: &Device) -> Tensor<B, 1> {
    let v: Vec<f32> = data.iter().map(|&x| x as f32).collect();
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n]), device)
}

/// Any float tensor to host f64 (row-major).
pub fn to_f64<const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data()
        .convert::<f32>()
        .into_vec::<f32>()
        .expect("float tensor data")
        .into_iter()
        .map(f64::from)
        .collect()
}

/// log Σ exp along dimension `dim` (kept as size 1), max-shifted.
pub fn logsumexp_dim<const D: usize>(x: Tensor<B, D>, dim: usize) -> Tensor<B, D> {
    let m = x.clone().max_dim(dim).detach();
    (x - m.clone()).exp().sum_dim(dim).log() + m
}

/// log Σ_i exp(a_i) in f64.
pub fn logsumexp(a: &[f64]) -> f64 {
    let m = a.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + a.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}
