//! Experiments: one sweep cell (target, d, method, seed, profile) run end to end into a run
//! directory, and (with the replicate issue) one definition per figure/table of the paper.

pub mod cell;

pub use cell::{run_cell, CellError, CellSpec};
