//! The exact (erf) GELU of the control network, GELU(x) = x Φ(x), computed on the CPU in one
//! vectorised, multi-threaded pass together with its derivative Φ(x) + x φ(x).
//!
//! Why: burn-flex 0.21 evaluates GELU element by element through libm's scalar `erff` on one
//! thread (and its backward a second time, with `exp`), which took a third of the network's
//! forward time in the profile of `docs/performance-notes.md`. burn's dispatch backend offers no
//! hook for a custom kernel, so the value and the derivative are computed here on the host and
//! put back into the graph as
//!   y = G + (h − sg(h)) ⊙ D,   G = GELU(h), D = GELU'(h) (both constants to autodiff),
//! which is exactly G in the forward pass (h − sg(h) = 0) and has the exact gradient D ⊙ ∂L/∂y.
//! On other devices (CUDA) burn's own `gelu` runs.
//!
//! Φ uses Abramowitz & Stegun 7.1.26 for erfc (absolute error ≤ 1.5e-7 in erf, so ≤ 7.5e-8 in Φ)
//! with exp(−x²/2) shared between Φ and φ; the tests compare with f64 `erf` from statrs.

use crate::backend::{self, Device, B};
use burn::prelude::*;
use burn::tensor::TensorData;
use rayon::prelude::*;

/// Elements per rayon task (large enough to amortise scheduling, small enough to split a
/// 2000 × 256 activation over the cores).
const CHUNK: usize = 16 * 1024;

/// Whether `device` (or the device under its autodiff decorator) computes on the host CPU.
pub fn on_host(device: &Device) -> bool {
    matches!(
        backend::without_autodiff(device),
        Device::Flex(_) | Device::NdArray(_)
    )
}

/// GELU(h) elementwise. With `tracked` on an autodiff device the result carries the exact
/// gradient (see the module documentation); without, it is a constant to autodiff and GELU' is
/// not computed (a frozen network simulating detached paths needs no derivative).
pub fn gelu(h: Tensor<B, 2>, tracked: bool) -> Tensor<B, 2> {
    let device = h.device();
    if !on_host(&device) {
        return burn::tensor::activation::gelu(h);
    }
    let shape = h.dims();
    let tracked = tracked && matches!(device, Device::Autodiff(_));
    // Untracked, h is not needed afterwards: its buffer (if not shared) becomes the output.
    let (keep, source) = if tracked {
        (Some(h.clone()), h.detach())
    } else {
        (None, h)
    };
    let mut y: Vec<f32> = source
        .into_data()
        .convert::<f32>()
        .into_vec()
        .expect("f32 data");
    let mut dy = tracked.then(|| vec![0.0f32; y.len()]);
    gelu_in_place(&mut y, dy.as_deref_mut());
    let g = Tensor::<B, 2>::from_data(TensorData::new(y, shape), &device);
    match (keep, dy) {
        (Some(h), Some(d)) => {
            let d = Tensor::<B, 2>::from_data(TensorData::new(d, shape), &device);
            g + (h.clone() - h.detach()) * d
        }
        _ => g,
    }
}

/// GELU(x) and, if asked, GELU'(x) of every element of `x`, in new vectors.
pub fn gelu_host(x: &[f32], with_grad: bool) -> (Vec<f32>, Option<Vec<f32>>) {
    let mut y = x.to_vec();
    let mut dy = with_grad.then(|| vec![0.0f32; x.len()]);
    gelu_in_place(&mut y, dy.as_deref_mut());
    (y, dy)
}

/// Replaces every element x of `y` by GELU(x) and, if `dy` is given, writes GELU'(x) there,
/// in parallel chunks.
pub fn gelu_in_place(y: &mut [f32], dy: Option<&mut [f32]>) {
    match dy {
        Some(dy) => y
            .par_chunks_mut(CHUNK)
            .zip(dy.par_chunks_mut(CHUNK))
            .for_each(|(y, dy)| kernel(y, Some(dy))),
        None => y.par_chunks_mut(CHUNK).for_each(|y| kernel(y, None)),
    }
}

/// Picks the widest instruction set this CPU has for the same scalar code (which the compiler
/// vectorises).
fn kernel(y: &mut [f32], dy: Option<&mut [f32]>) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { kernel_avx512(y, dy) };
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { kernel_avx2(y, dy) };
        }
    }
    kernel_generic(y, dy)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn kernel_avx512(y: &mut [f32], dy: Option<&mut [f32]>) {
    kernel_generic(y, dy)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn kernel_avx2(y: &mut [f32], dy: Option<&mut [f32]>) {
    kernel_generic(y, dy)
}

#[inline(always)]
fn kernel_generic(y: &mut [f32], dy: Option<&mut [f32]>) {
    match dy {
        Some(dy) => {
            for (y, dy) in y.iter_mut().zip(dy.iter_mut()) {
                let (g, d) = gelu_and_grad(*y);
                *y = g;
                *dy = d;
            }
        }
        None => {
            for y in y.iter_mut() {
                *y = gelu_and_grad(*y).0;
            }
        }
    }
}

/// (GELU(x), GELU'(x)) = (x Φ(x), Φ(x) + x φ(x)), branch-free so that loops over it vectorise.
#[inline(always)]
pub fn gelu_and_grad(x: f32) -> (f32, f32) {
    // A&S 7.1.26: erfc(z) = t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) e^{−z²}, t = 1/(1 + p z), z ≥ 0.
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_8,
        -1.453_152_1,
        1.061_405_4,
    ];
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    let z = x.abs() * std::f32::consts::FRAC_1_SQRT_2;
    let t = 1.0 / (1.0 + P * z);
    // e^{−z²} = e^{−x²/2}, shared by erfc(z) and the density φ(x).
    let e = exp_nonpositive(-0.5 * x * x);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let half_erfc = 0.5 * poly * e;
    let cdf = if x >= 0.0 { 1.0 - half_erfc } else { half_erfc };
    (x * cdf, cdf + x * INV_SQRT_2PI * e)
}

/// e^y for y ≤ 0 (clamped below at −87, where e^y underflows f32's normal range): y = n ln 2 + r
/// with |r| ≤ ln 2 / 2, e^r by its degree-7 Taylor polynomial (relative error < 6e-9), 2^n from
/// the exponent bits. Every operation vectorises.
#[inline(always)]
fn exp_nonpositive(y: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding and subtracting it rounds to an integer
                                     // Cody–Waite split of ln 2: n · LN2_HI is exact for |n| ≤ 126 (LN2_HI = 355/512).
    const LN2_HI: f32 = 355.0 / 512.0;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let y = y.max(-87.0);
    let k = y * std::f32::consts::LOG2_E + ROUND;
    let n = k - ROUND;
    // n as an integer without a float-to-int conversion (which does not vectorise): k's exponent
    // is that of ROUND, so its low mantissa bits hold 2^22 + n.
    let n_int = (k.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = y - n * LN2_HI - n * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    p * f32::from_bits(((n_int + 127) as u32) << 23)
}
