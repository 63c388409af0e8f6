//! The noise ξ_0, ξ_1, … of a simulation, drawn on a helper thread while the simulation runs.
//!
//! Why: drawing 2000 × 50 standard normals per step from ChaCha20 took 4% of a simulation's
//! samples on the thread that also issues every tensor operation, while the second core idled
//! between matrix products (`docs/performance-notes.md`, Session 6). The helper draws exactly
//! the same numbers from the same stream in the same order, and the caller gets them in step
//! order, so the paths are bit for bit those of drawing them in place.

use std::sync::mpsc::sync_channel;

use crate::backend::{Device, B};
use crate::tensor_util::tensor2_from_f32;
use burn::prelude::*;
use rand_chacha::ChaCha20Rng;

use crate::rng::normals_f32;

/// Steps drawn ahead of the one in use (memory: this many [n, d] f32 blocks in flight).
const AHEAD: usize = 2;

/// Runs `f` with a source of `steps` noise tensors ξ_k ([n, d], row-major standard normals from
/// `rng`, in order), drawn on a helper thread. All `steps` are drawn from `rng` whatever `f`
/// takes, as a loop drawing them in place would; a call beyond `steps` panics.
pub fn with_noise_ahead<R>(
    rng: &mut ChaCha20Rng,
    steps: usize,
    n: usize,
    d: usize,
    device: &Device,
    f: impl FnOnce(&mut dyn FnMut() -> Tensor<B, 2>) -> R,
) -> R {
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Vec<f32>>(AHEAD);
        scope.spawn(move || {
            crate::fpenv::set_this_thread();
            for _ in 0..steps {
                let xi = normals_f32(rng, n * d);
                // The receiver is gone once `f` has returned: draw the rest unsent.
                let _ = tx.send(xi);
            }
        });
        let mut next = || {
            let xi = rx
                .recv()
                .expect("more noise steps taken than the simulation has");
            tensor2_from_f32(xi, n, d, device)
        };
        f(&mut next)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend;
    use rand::Rng;

    /// The helper's tensors are the draws of a loop in place, in order, and the stream is left
    /// where that loop leaves it, also when `f` takes fewer steps than drawn.
    #[test]
    fn draws_equal_those_made_in_place_and_leave_the_stream_alike() {
        let (steps, n, d) = (5, 7, 3);
        let device = backend::flex();
        for taken in [steps, 2] {
            let mut here = crate::rng::StreamKey::new("tests", "noise", d, 0).stream("xi");
            let mut ahead = here.clone();
            let expected: Vec<Vec<f32>> =
                (0..steps).map(|_| normals_f32(&mut here, n * d)).collect();
            let got: Vec<Vec<f32>> = with_noise_ahead(&mut ahead, steps, n, d, &device, |next| {
                (0..taken)
                    .map(|_| next().into_data().convert::<f32>().into_vec().unwrap())
                    .collect()
            });
            assert_eq!(got[..], expected[..taken]);
            assert_eq!(ahead.random::<u64>(), here.random::<u64>());
        }
    }
}
