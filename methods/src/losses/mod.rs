//! Every registered loss, one file each, and the terms they are built from ([`terms`]).
//!
//! To add a loss (`docs/extending.md`): write `losses/<module>.rs` with a `pub const SPEC:
//! LossSpec` and an implementation of [`crate::loss::Loss`] (`lv_logz.rs` is the worked
//! example), then add the module's name to `register!` below. Its on-policy method and, if
//! `SPEC.buffer`, its trust-region method `tr-<name>` are then known everywhere: the sweep
//! definitions, the CLI, the reports and the conformance test.

pub mod terms;
pub use terms::*;

macro_rules! register {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*
        /// The registered losses, in the order their methods are listed.
        pub const LOSSES: &[&crate::loss::LossSpec] = &[$(&$module::SPEC),*];
    };
}

register!(re, ce, lv, am, socm, lv_logz);
