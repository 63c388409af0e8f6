//! The host GELU of the control network (`harness::activation`) against an independent f64
//! reference, x·½(1 + erf(x/√2)) with statrs' erf, and against burn's own `gelu` in value and
//! gradient on the autodiff device.

mod common;

use burn::prelude::*;
use burn::tensor::TensorData;
use common::{device, max_diff};
use socbench::harness::activation::{gelu, gelu_and_grad, gelu_host, on_host};
use socbench::harness::tensor_util::to_f64;
use socbench_harness::backend::{self, B};
use statrs::function::erf::erf;

fn reference(x: f64) -> (f64, f64) {
    let cdf = 0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2));
    let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    (x * cdf, cdf + x * pdf)
}

/// Points spanning the range activations take, plus the tails where erfc and exp underflow.
fn grid() -> Vec<f32> {
    let mut v: Vec<f32> = (0..=40_000).map(|i| -20.0 + i as f32 * 1e-3).collect();
    v.extend([-200.0, -30.0, -13.5, 1e-30, -1e-30, 0.0, -0.0, 30.0, 200.0]);
    v
}

#[test]
fn value_and_derivative_match_the_f64_erf_reference() {
    let (mut worst_y, mut worst_d) = (0.0f64, 0.0f64);
    for x in grid() {
        let (y, d) = gelu_and_grad(x);
        let (ry, rd) = reference(x as f64);
        let scale = 1.0f64.max((x as f64).abs());
        worst_y = worst_y.max((y as f64 - ry).abs() / scale);
        worst_d = worst_d.max((d as f64 - rd).abs() / scale);
    }
    // A&S 7.1.26 bounds |Φ error| by 7.5e-8; f32 rounding adds a few 1e-8.
    assert!(worst_y < 3e-7, "GELU error {worst_y:e} (per unit |x|)");
    assert!(worst_d < 3e-7, "GELU' error {worst_d:e} (per unit |x|)");
}

#[test]
fn the_parallel_kernel_agrees_with_the_scalar_one_and_propagates_nan() {
    let mut x = grid();
    x.push(f32::NAN);
    let (y, d) = gelu_host(&x, true);
    let d = d.unwrap();
    for (i, &xi) in x.iter().enumerate() {
        let (ys, ds) = gelu_and_grad(xi);
        if xi.is_nan() {
            assert!(y[i].is_nan() && d[i].is_nan(), "NaN must propagate");
        } else {
            assert_eq!((y[i], d[i]), (ys, ds), "x = {xi}");
        }
    }
    assert_eq!(gelu_host(&x, false).0.len(), x.len());
    assert_eq!(gelu_and_grad(f32::INFINITY).0, f32::INFINITY);
}

#[test]
fn tensor_gelu_matches_burn_in_value_and_gradient() {
    let plain = device();
    assert!(on_host(&plain));
    let ad = backend::autodiff(&plain);
    let (rows, cols) = (300, 70);
    let xs: Vec<f32> = (0..rows * cols)
        .map(|i| ((i * 7919) % 2001) as f32 / 100.0 - 10.0)
        .collect();
    let ws: Vec<f32> = (0..rows * cols)
        .map(|i| ((i * 104_729) % 997) as f32 / 997.0 - 0.5)
        .collect();
    let data = |v: &Vec<f32>| TensorData::new(v.clone(), [rows, cols]);

    // Value on the plain device.
    let ours = to_f64(gelu(Tensor::<B, 2>::from_data(data(&xs), &plain), true));
    let burns = to_f64(burn::tensor::activation::gelu(Tensor::<B, 2>::from_data(
        data(&xs),
        &plain,
    )));
    assert!(
        max_diff(&ours, &burns) < 5e-6,
        "value: {:e}",
        max_diff(&ours, &burns)
    );

    // Gradient of Σ w ⊙ GELU(x) on the autodiff device: ours against burn's.
    let grad = |f: &dyn Fn(Tensor<B, 2>) -> Tensor<B, 2>| {
        let x = Tensor::<B, 2>::from_data(data(&xs), &ad).require_grad();
        let w = Tensor::<B, 2>::from_data(data(&ws), &ad);
        let y = f(x.clone());
        let value = to_f64(y.clone());
        let g = (y * w).sum().backward();
        (value, to_f64(x.grad(&g).unwrap()))
    };
    let (v1, g1) = grad(&|h| gelu(h, true));
    let (v2, g2) = grad(&burn::tensor::activation::gelu);
    // Forward: exactly the host value (h − sg(h) is zero), so equal to the plain-device result.
    assert_eq!(v1, ours);
    assert!(max_diff(&v1, &v2) < 5e-6);
    assert!(
        max_diff(&g1, &g2) < 5e-6,
        "gradient: {:e}",
        max_diff(&g1, &g2)
    );
}
