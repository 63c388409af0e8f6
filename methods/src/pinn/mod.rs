//! The PINN family of "Dynamical measure transport and neural PDE solvers for sampling" (arXiv
//! 2407.07873, as tabulated in the dynamical-systems talk): a log-density V and a drift μ trained
//! to satisfy the log Fokker–Planck or log continuity equation at collocation points, with
//! exact derivatives in (x, t) from forward jets ([`jet`]). `docs/pinn.md` lists the settings
//! we chose where the sources give none.

pub mod config;
pub mod jet;
pub mod model;
pub mod sample;
pub mod spec;
pub mod train;

pub use config::{CollocationBox, PinnConfig};
pub use spec::{PinnMethod, PINN_METHODS};
pub use train::{
    train_pinn, train_pinn_checkpointed, PinnMetrics, PinnOutcome, PinnRun, PinnState,
};
