//! Our alanine dipeptide force field (targets/src/molecule) against OpenMM's Reference platform:
//! the committed fixtures (scripts/tps/export_openmm.py) give, for 12 configurations from the
//! minima to 1000 K frames and distorted ones, OpenMM's energy and forces in double precision.
//! No OpenMM is needed to run this.

mod common;

use common::{max_abs, max_diff};
use serde::Deserialize;
use socbench::targets::molecule::{
    alanine_dipeptide_files, forcefield::dihedral, parse_pdb, ForceField,
};

#[derive(Deserialize)]
struct Config {
    name: String,
    positions: Vec<[f64; 3]>,
    energy: f64,
    forces: Vec<[f64; 3]>,
}

#[derive(Deserialize)]
struct Fixtures {
    configurations: Vec<Config>,
}

fn forcefield() -> ForceField {
    ForceField::from_json(alanine_dipeptide_files().0).unwrap()
}

/// Energy to a relative 1e-8 and every force component to 1e-6 of the largest, on each fixture.
#[test]
fn energies_and_forces_match_openmm_reference() {
    let ff = forcefield();
    let text = include_str!("../targets/data/alanine-dipeptide/fixtures.json");
    let fx: Fixtures = serde_json::from_str(text).unwrap();
    assert!(fx.configurations.len() >= 10);
    let mut f = vec![0.0; 3 * ff.len()];
    for c in &fx.configurations {
        let x: Vec<f64> = c.positions.iter().flatten().copied().collect();
        let e = ff.energy_forces(&x, &mut f);
        let rel = (e - c.energy).abs() / c.energy.abs().max(1.0);
        assert!(
            rel < 1e-8,
            "{}: E {e} vs OpenMM {} (rel {rel:e})",
            c.name,
            c.energy
        );
        let want: Vec<f64> = c.forces.iter().flatten().copied().collect();
        let (fmax, err) = (max_abs(&want), max_diff(&f, &want));
        eprintln!(
            "{:18} E {e:12.4} rel {rel:.1e}, force error {:.1e} of the largest",
            c.name,
            err / fmax
        );
        assert!(
            err < 1e-6 * fmax,
            "{}: force error {err:e} of max {fmax:e}",
            c.name
        );
    }
}

/// The dihedral's analytic gradient against central differences.
#[test]
fn dihedral_gradient_matches_finite_differences() {
    let p = [
        [0.0, 1.0, 0.2],
        [0.0, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [1.2, 0.7, 0.6],
    ];
    let phi_of = |p: [[f64; 3]; 4]| dihedral(p[0].into(), p[1].into(), p[2].into(), p[3].into());
    let (phi, g) = phi_of(p);
    // IUPAC sign: positive for this clockwise arrangement (numpy: 0.5112307).
    assert!((phi - 0.511_230_712_277_789_5).abs() < 1e-12, "φ = {phi}");
    let h = 1e-6;
    for a in 0..4 {
        for c in 0..3 {
            let (mut q, mut r) = (p, p);
            q[a][c] += h;
            r[a][c] -= h;
            let fd = (phi_of(q).0 - phi_of(r).0) / (2.0 * h);
            assert!(
                (fd - g[a][c]).abs() < 1e-6,
                "∂φ/∂x{a}[{c}]: {fd} vs {}",
                g[a][c]
            );
        }
    }
}

/// The shipped PDBs match the force field atom by atom; a mismatched or malformed one is a
/// one-line error naming the atom or line.
#[test]
fn pdbs_are_checked_against_the_force_field() {
    let ff = forcefield();
    let (_, c5, c7ax) = alanine_dipeptide_files();
    for pdb in [c5, c7ax] {
        let x = ff.positions_of(&parse_pdb(pdb).unwrap()).unwrap();
        assert_eq!(x.len(), 66);
    }
    let mut atoms = parse_pdb(c5).unwrap();
    atoms[4].name = "CX".into();
    let err = ff.positions_of(&atoms).unwrap_err().to_string();
    assert!(err.contains("atom 5") && err.contains("ACE C"), "{err}");
    atoms.pop();
    let err = ff.positions_of(&atoms).unwrap_err().to_string();
    assert!(err.contains("21 atoms") && err.contains("22"), "{err}");
}
