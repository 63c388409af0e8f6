//! Molecular systems for transition path sampling (paper Sec. 3.2, App. F; issue 22): a PDB
//! reader and a classical force field in f64 read from an OpenMM System export, so that any
//! molecule OpenMM can parameterise (alanine dipeptide, chignolin) comes in as data.
//! `targets/data/alanine-dipeptide/` holds ACE-ALA-NME under amber99sbildn in vacuum and the
//! OpenMM Reference-platform fixtures it is tested against (`tests/molecule_openmm.rs`);
//! `targets/data/chignolin/` holds GYDPETGTWG under ff14SBonlysc with GBn2 implicit solvent
//! (`gbn2.rs`) and its fixtures (`tests/chignolin_openmm.rs`).

pub mod dynamics;
pub mod forcefield;
pub mod gbn2;
pub mod kabsch;
pub mod pdb;
pub mod tica;

pub use forcefield::{ForceField, Term};
pub use pdb::{parse as parse_pdb, PdbAtom};

/// The shipped alanine dipeptide files: (force-field export, start PDB (C5), target PDB (C7ax)).
pub fn alanine_dipeptide_files() -> (&'static str, &'static str, &'static str) {
    (
        include_str!("../../data/alanine-dipeptide/system.json"),
        include_str!("../../data/alanine-dipeptide/c5.pdb"),
        include_str!("../../data/alanine-dipeptide/c7ax.pdb"),
    )
}

/// The shipped chignolin files (issue 42): (force-field export under ff14SBonlysc + GBn2, folded
/// PDB (1UAO with hydrogens, minimised), unfolded PDB).
pub fn chignolin_files() -> (&'static str, &'static str, &'static str) {
    (
        include_str!("../../data/chignolin/system.json"),
        include_str!("../../data/chignolin/folded.pdb"),
        include_str!("../../data/chignolin/unfolded.pdb"),
    )
}
