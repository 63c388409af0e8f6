//! Experiments: one definition per figure/table of the paper (`defs/*.toml`), the cells of a
//! sweep and their state on disk, and one cell run end to end into a run directory.

pub mod builtin;
pub mod cell;
pub mod cell_list;
pub mod claim;
pub mod definition;
pub mod export;
pub mod family;
pub mod finetune;
pub mod finetune_kind;
pub mod overlay;
pub mod pinn;
pub mod pinn_kind;
pub mod sweep;
pub mod sweep_kind;
pub mod tps;
pub mod tps_kind;

pub use cell::{run_cell, CellError, CellSpec};
