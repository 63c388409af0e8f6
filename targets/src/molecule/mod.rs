//! Molecular systems for transition path sampling (paper Sec. 3.2, App. F; issue 22): a PDB
//! reader and a classical force field in f64 read from an OpenMM System export, so that any
//! molecule OpenMM can parameterise (alanine dipeptide now, chignolin later) comes in as data.
//! `targets/data/alanine-dipeptide/` holds ACE-ALA-NME under amber99sbildn in vacuum and the
//! OpenMM Reference-platform fixtures it is tested against (`tests/molecule_openmm.rs`).

pub mod dynamics;
pub mod forcefield;
pub mod kabsch;
pub mod pdb;

pub use forcefield::ForceField;
pub use pdb::{parse as parse_pdb, PdbAtom};

/// The shipped alanine dipeptide files: (force-field export, start PDB (C5), target PDB (C7ax)).
pub fn alanine_dipeptide_files() -> (&'static str, &'static str, &'static str) {
    (
        include_str!("../../data/alanine-dipeptide/system.json"),
        include_str!("../../data/alanine-dipeptide/c5.pdb"),
        include_str!("../../data/alanine-dipeptide/c7ax.pdb"),
    )
}
