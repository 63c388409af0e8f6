//! LV: the log-variance loss (eq. 16). On-policy the reference is the detached current control;
//! under the trust region (TR-LV) the buffer's weights are tilted by τ = 1/(1+λ_i).

use crate::loss::{LossSpec, Needs, PathLossFn};

pub const SPEC: LossSpec = LossSpec {
    name: "lv",
    summary: "log-variance of log dP^v/dP^u + τ log w (eq. 16)",
    buffer: true,
    sampler_free: true,
    reads: &[],
    build: |_, _| {
        Box::new(PathLossFn {
            name: SPEC.name,
            needs: Needs::PATHS,
            f: |b, p, u, t| super::log_variance(b, p, u, t.tau),
        })
    },
};
