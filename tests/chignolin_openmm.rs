//! Chignolin under ff14SBonlysc with GBn2 implicit solvent (targets/src/molecule, gbn2.rs)
//! against OpenMM's Reference platform: the committed fixtures (scripts/tps/export_chignolin.py)
//! give, for 14 configurations (folded, unfolded, thermal frames at 300 K and 800 K, distorted
//! ones), OpenMM's energy and forces in double precision, split into bonded, nonbonded and GB
//! terms. No OpenMM is needed to run this.

mod common;

use std::collections::BTreeMap;

use common::{max_abs, max_diff, nve_run};
use serde::Deserialize;
use socbench::targets::molecule::kabsch::aligned_rmsd;
use socbench::targets::molecule::{chignolin_files, parse_pdb, ForceField, Term};

#[derive(Deserialize)]
struct TermValues {
    energy: f64,
    forces: Vec<[f64; 3]>,
}

#[derive(Deserialize)]
struct Config {
    name: String,
    positions: Vec<[f64; 3]>,
    energy: f64,
    terms: BTreeMap<String, TermValues>,
}

#[derive(Deserialize)]
struct Fixtures {
    configurations: Vec<Config>,
}

fn forcefield() -> ForceField {
    ForceField::from_json(chignolin_files().0).unwrap()
}

fn fixtures() -> Vec<Config> {
    let text = include_str!("../targets/data/chignolin/fixtures.json");
    serde_json::from_str::<Fixtures>(text)
        .unwrap()
        .configurations
}

fn flat(v: &[[f64; 3]]) -> Vec<f64> {
    v.iter().flatten().copied().collect()
}

fn term_name(t: Term) -> &'static str {
    match t {
        Term::Bonded => "bonded",
        Term::Nonbonded => "nonbonded",
        Term::Gb => "gb",
    }
}

/// The total energy to a relative 1e-7, and per term (bonded, nonbonded, GB) its energy to a
/// relative 1e-7 and every force component to 1e-5 of that term's largest, on each fixture.
#[test]
fn energies_and_forces_match_openmm_reference_by_term() {
    let ff = forcefield();
    assert!(ff.has_implicit_solvent());
    let fx = fixtures();
    assert!(fx.len() >= 10, "{} configurations", fx.len());
    let mut f = vec![0.0; 3 * ff.len()];
    for c in &fx {
        let x = flat(&c.positions);
        let e = ff.energy_forces(&x, &mut f);
        let rel = (e - c.energy).abs() / c.energy.abs().max(1.0);
        assert!(
            rel < 1e-7,
            "{}: E {e} vs OpenMM {} (rel {rel:e})",
            c.name,
            c.energy
        );
        let mut line = format!("{:20} E {e:12.4} rel {rel:.1e}", c.name);
        for t in Term::ALL {
            let want = &c.terms[term_name(t)];
            let et = ff.term_energy_forces(t, &x, &mut f);
            let rel = (et - want.energy).abs() / want.energy.abs().max(1.0);
            let wf = flat(&want.forces);
            let (fmax, err) = (max_abs(&wf), max_diff(&f, &wf));
            line += &format!("; {} rel {rel:.1e} F {:.1e}", term_name(t), err / fmax);
            assert!(
                rel < 1e-7,
                "{} {}: E {et} vs OpenMM {} (rel {rel:e})",
                c.name,
                term_name(t),
                want.energy
            );
            assert!(
                err < 1e-5 * fmax,
                "{} {}: force error {err:e} of max {fmax:e}",
                c.name,
                term_name(t)
            );
        }
        eprintln!("{line}");
    }
}

/// For each atom, the distances at which the GBn2 neck term of one of its pairs switches off:
/// OpenMM's definition cuts I^neck at r = R_a + R_b + 0.68 nm (R = ρ + offset), so the energy
/// jumps there, and a central difference straddling such a point measures the jump, not the
/// force. Read from the export itself, not from our implementation.
fn neck_cutoffs(json: &str) -> Vec<Vec<(usize, f64)>> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let offset = v["gb"]["offset"].as_f64().unwrap();
    let radius: Vec<f64> = v["gb"]["particles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_f64().unwrap() + offset)
        .collect();
    (0..radius.len())
        .map(|a| {
            (0..radius.len())
                .filter(|&b| b != a)
                .map(|b| (b, radius[a] + radius[b] + 0.68))
                .collect()
        })
        .collect()
}

/// The GB forces against central differences of the GB energy (h = 1e-5 nm), every coordinate
/// of the folded, unfolded and 800 K configurations: the chain rule through the Born radii.
/// Agreement to 1e-7 of the largest force (measured: 6e-9). Coordinates whose ±h move carries
/// a pair across its neck cutoff are left out: the energy is discontinuous there, in OpenMM as
/// here, and a minimiser tends to stop on such a cliff (the folded minimum has one pair on it,
/// so 6 coordinates); at most 12 may be left out.
#[test]
fn gb_forces_match_finite_differences() {
    let ff = forcefield();
    let cutoffs = neck_cutoffs(chignolin_files().0);
    let fx = fixtures();
    let mut f = vec![0.0; 3 * ff.len()];
    let mut scratch = vec![0.0; 3 * ff.len()];
    let h = 1e-5;
    for c in fx
        .iter()
        .filter(|c| ["folded", "unfolded", "folded-800K-0"].contains(&c.name.as_str()))
    {
        let x = flat(&c.positions);
        ff.term_energy_forces(Term::Gb, &x, &mut f);
        let fmax = max_abs(&f);
        let dist = |y: &[f64], a: usize, b: usize| {
            (0..3)
                .map(|k| (y[3 * a + k] - y[3 * b + k]).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let (mut worst, mut skipped) = (0.0f64, 0);
        for k in 0..x.len() {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[k] += h;
            xm[k] -= h;
            let a = k / 3;
            if cutoffs[a]
                .iter()
                .any(|&(b, cut)| (dist(&xp, a, b) - cut) * (dist(&xm, a, b) - cut) <= 0.0)
            {
                skipped += 1;
                continue;
            }
            let fd = -(ff.term_energy_forces(Term::Gb, &xp, &mut scratch)
                - ff.term_energy_forces(Term::Gb, &xm, &mut scratch))
                / (2.0 * h);
            worst = worst.max((fd - f[k]).abs());
        }
        eprintln!(
            "{}: max |FD − F| {worst:.2e} of max |F| {fmax:.1} ({skipped} coordinates at a neck cutoff)",
            c.name
        );
        assert!(worst < 1e-7 * fmax, "{}: {worst:e} of {fmax:e}", c.name);
        assert!(skipped <= 12, "{}: {skipped} left out", c.name);
    }
}

/// NVE from the folded minimum with 300 K velocities: 4000 steps of 0.5 fs (2 ps) of velocity
/// Verlet in implicit solvent (261 kJ/mol of kinetic energy at the end). The total energy stays
/// within 4 kJ/mol of its start (measured: 2.2; alanine dipeptide's 22 atoms give 0.28, and the
/// fluctuation grows with the number of fast modes) and its mean over the last 0.4 ps is within
/// 0.1 kJ/mol of that over the first 0.4 ps (measured: 0.006).
#[test]
fn velocity_verlet_conserves_energy_in_implicit_solvent() {
    let (json, folded, _) = chignolin_files();
    let ff = ForceField::from_json(json).unwrap();
    let x = ff.positions_of(&parse_pdb(folded).unwrap()).unwrap();
    let (_, _, dev, drift) = nve_run(&ff, x, &["tests", "chignolin-nve"], 4000, 0.0005);
    assert!(dev < 4.0, "max |E − E0| = {dev}");
    assert!(drift.abs() < 0.1, "drift {drift}");
}

/// The shipped structures match the force field atom by atom, and the unfolded one is more than
/// 0.5 nm (CA RMSD) from the folded one.
#[test]
fn folded_and_unfolded_structures() {
    let (json, folded, unfolded) = chignolin_files();
    let ff = ForceField::from_json(json).unwrap();
    assert_eq!(ff.len(), 138);
    let a = ff.positions_of(&parse_pdb(folded).unwrap()).unwrap();
    let b = ff.positions_of(&parse_pdb(unfolded).unwrap()).unwrap();
    let ca: Vec<usize> = (0..ff.len())
        .filter(|&i| ff.atoms[i].name == "CA")
        .collect();
    assert_eq!(ca.len(), 10);
    let r = aligned_rmsd(&a, &b, &ca);
    assert!(r > 0.5, "CA RMSD {r} nm");
}

/// A GB section that does not fit the molecule is an error naming the field, not a panic.
#[test]
fn malformed_gb_section_is_a_clear_error() {
    let mut v: serde_json::Value = serde_json::from_str(chignolin_files().0).unwrap();
    v["gb"]["particles"].as_array_mut().unwrap().pop();
    let err = ForceField::from_json(&v.to_string())
        .unwrap_err()
        .to_string();
    assert!(err.contains("gb.particles") && err.contains("137"), "{err}");
    let mut v: serde_json::Value = serde_json::from_str(chignolin_files().0).unwrap();
    v["gb"]["particles"][5][6] = serde_json::json!(99.0);
    let err = ForceField::from_json(&v.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("atom 6") && err.contains("radius index"),
        "{err}"
    );
}
