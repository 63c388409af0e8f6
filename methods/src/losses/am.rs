//! AM: adjoint matching, the unweighted regression of u onto −σᵀã with the lean adjoint
//! (eq. 18, β = 1). Valid on u's own paths only, so the trust region does not wrap it (its
//! weighted form is SOCM).

use crate::loss::{LossSpec, Needs, PathLossFn};

pub const SPEC: LossSpec = LossSpec {
    name: "am",
    summary: "adjoint matching: regression onto the lean adjoint's target (eq. 18)",
    buffer: false,
    sampler_free: false,
    reads: &[],
    build: |_, _| {
        Box::new(PathLossFn {
            name: SPEC.name,
            needs: Needs {
                adjoints: true,
                ..Needs::PATHS
            },
            f: |b, p, u, _| super::adjoint_matching(b, p, u, None),
        })
    },
};
