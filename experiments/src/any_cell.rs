//! A cell of any experiment kind (a sweep cell of `defs/*.toml`, a TPS cell, a fine-tuning
//! cell, a PINN cell) behind one interface: where it lives, whether it is finished, and running it. What a
//! Slurm array task (`socbench cell`) and `cargo xtask slurm status` need.

use std::path::{Path, PathBuf};

use socbench_harness::backend::Device;

use crate::finetune::{self, FtCell};
use crate::pinn::{self, PinnCell};
use crate::sweep::{cell_dir, cells};
use crate::tps::{self, TpsCell};
use crate::{definition, run_cell, CellSpec};

#[derive(Clone, Debug)]
pub enum AnyCell {
    Sweep(CellSpec),
    Tps(TpsCell),
    Finetune(FtCell),
    Pinn(PinnCell),
}

/// Every cell of `profile` of experiment `name` (a built-in of any kind, or the sweep
/// definition file `def`).
pub fn all_cells(name: &str, def: Option<&Path>, profile: &str) -> Result<Vec<AnyCell>, String> {
    if def.is_none() {
        if let Some(e) = tps::load(name) {
            return Ok(e?.cells(profile)?.into_iter().map(AnyCell::Tps).collect());
        }
        if let Some(e) = finetune::load(name) {
            return Ok(e?
                .cells(profile)?
                .into_iter()
                .map(AnyCell::Finetune)
                .collect());
        }
        if let Some(e) = pinn::load(name) {
            return Ok(e?.cells(profile)?.into_iter().map(AnyCell::Pinn).collect());
        }
    }
    let exp = match def {
        Some(p) => definition::load_file(p)?,
        None => definition::load(name)?,
    };
    let data = exp.data()?;
    let r = data.resolve(profile)?;
    Ok(cells(&data, &r).into_iter().map(AnyCell::Sweep).collect())
}

impl AnyCell {
    pub fn dir(&self, results: &Path) -> PathBuf {
        match self {
            AnyCell::Sweep(c) => cell_dir(results, c),
            AnyCell::Tps(c) => c.dir(results),
            AnyCell::Finetune(c) => c.dir(results),
            AnyCell::Pinn(c) => c.dir(results),
        }
    }

    /// Finished with this configuration (`Ok(false)`: absent or interrupted; `Err`: a run of
    /// another configuration is there).
    pub fn finished(&self, dir: &Path) -> Result<bool, String> {
        match self {
            AnyCell::Sweep(c) => crate::sweep::finished(dir, c),
            AnyCell::Tps(c) => tps::finished(dir, c),
            AnyCell::Finetune(c) => finetune::finished(dir, c),
            AnyCell::Pinn(c) => pinn::finished(dir, c),
        }
    }

    /// Runs the cell into `dir` (which must not hold a run); returns its status.
    pub fn run(&self, device: &Device, dir: &Path) -> Result<String, String> {
        match self {
            AnyCell::Sweep(c) => run_cell(c, device, dir, &mut |_| {})
                .map(|(_, m)| m.status)
                .map_err(|e| e.to_string()),
            AnyCell::Tps(c) => {
                tps::run_tps_cell(c, device, dir, &mut |_, _, _| {}).map(|m| m.status)
            }
            AnyCell::Finetune(c) => {
                finetune::run_ft_cell(c, device, dir, &mut |_, _| {}).map(|m| m.status)
            }
            AnyCell::Pinn(c) => {
                pinn::run_pinn_cell(c, device, dir, &mut |_, _, _| {}).map(|m| m.status)
            }
        }
    }
}
