//! CE: the cross-entropy loss (eq. 17), the importance-weighted forward KL up to a constant; under
//! the trust region (TR-CE) the buffer's weights are tilted by τ = 1/(1+λ_i).

use crate::loss::{LossSpec, Needs, PathLossFn};

pub const SPEC: LossSpec = LossSpec {
    name: "ce",
    summary: "cross entropy: forward KL with self-normalised weights softmax(τ log w) (eq. 17)",
    buffer: true,
    sampler_free: false,
    reads: &[],
    build: |_, _| {
        Box::new(PathLossFn {
            name: SPEC.name,
            needs: Needs::PATHS,
            f: |b, p, u, t| super::cross_entropy(b, p, u, t.tau),
        })
    },
};
