//! Evaluation criteria of App. E.2: control L2 error (eq. 57), log Z estimate and |Δ log Z|
//! (eq. 61), ELBO, ESS, Sinkhorn distance, TVD of mode weights (eq. 62–63), target evaluations.

pub mod control_l2;
pub mod logz;
mod lse;
pub mod sinkhorn;
pub mod sinkhorn_plain;
pub mod tvd;

pub use control_l2::control_l2;
pub use logz::LogWeightStats;
pub use sinkhorn::{sinkhorn_divergence, SinkhornConfig};
pub use sinkhorn_plain::PlainSinkhorn;
pub use tvd::mode_tvd;
