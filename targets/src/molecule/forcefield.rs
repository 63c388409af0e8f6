//! A classical force field in f64, from an OpenMM System export (`scripts/tps/export_openmm.py`):
//! harmonic bonds and angles, periodic torsions (proper and improper), Lennard-Jones and Coulomb
//! over all pairs without cutoff, with the exception list carrying the 1-2/1-3 exclusions and the
//! scaled 1-4 pairs. Units are OpenMM's: nm, kJ/mol, rad, e, amu; forces in kJ/mol/nm.
//!
//! Terms (OpenMM's definitions):
//! - bond: ½ k (r − r₀)²;
//! - angle: ½ k (θ − θ₀)²;
//! - torsion: k (1 + cos(nφ − φ₀)), φ the IUPAC dihedral;
//! - pair: 4ε[(σ/r)¹² − (σ/r)⁶] + C q_i q_j / r, with σ = (σ_i + σ_j)/2, ε = √(ε_i ε_j)
//!   (Lorentz–Berthelot) unless the pair is an exception, which gives its own q_i q_j, σ, ε;
//! - implicit solvent, when the export has a `gb` section: GBn2 (`gbn2.rs`).

use std::collections::HashMap;

use nalgebra::Vector3;
use serde::Deserialize;
use socbench_harness::error::TargetError;

use super::gbn2::{GbExport, Gbn2};
use super::pdb::PdbAtom;

/// One atom of the export.
#[derive(Clone, Debug, Deserialize)]
pub struct Atom {
    pub name: String,
    pub residue: String,
    pub element: String,
    pub mass: f64,
}

#[derive(Clone, Debug, Deserialize)]
struct Nonbonded {
    /// [charge, sigma, epsilon] per atom.
    particles: Vec<[f64; 3]>,
    /// [i, j, charge product, sigma, epsilon].
    exceptions: Vec<(usize, usize, f64, f64, f64)>,
}

#[derive(Clone, Debug, Deserialize)]
struct Export {
    coulomb_constant: f64,
    atoms: Vec<Atom>,
    /// [i, j, r0, k].
    bonds: Vec<(usize, usize, f64, f64)>,
    /// [i, j, k, theta0, k].
    angles: Vec<(usize, usize, usize, f64, f64)>,
    /// [i, j, k, l, periodicity, phase, k].
    torsions: Vec<(usize, usize, usize, usize, f64, f64, f64)>,
    nonbonded: Nonbonded,
    #[serde(default)]
    gb: Option<GbExport>,
}

/// The terms of the energy, as the OpenMM fixtures split it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// Bonds, angles and torsions.
    Bonded,
    /// Lennard-Jones and Coulomb over all pairs, with the exceptions.
    Nonbonded,
    /// The implicit solvent (zero without one).
    Gb,
}

impl Term {
    pub const ALL: [Term; 3] = [Term::Bonded, Term::Nonbonded, Term::Gb];
}

/// A pair term: C·q_i q_j (kJ/mol·nm), σ (nm), ε (kJ/mol).
#[derive(Clone, Copy, Debug)]
struct Pair {
    i: usize,
    j: usize,
    qq: f64,
    sigma: f64,
    epsilon: f64,
}

/// The force field of one molecule.
#[derive(Clone, Debug)]
pub struct ForceField {
    pub atoms: Vec<Atom>,
    bonds: Vec<(usize, usize, f64, f64)>,
    angles: Vec<(usize, usize, usize, f64, f64)>,
    torsions: Vec<(usize, usize, usize, usize, f64, f64, f64)>,
    pairs: Vec<Pair>,
    gb: Option<Gbn2>,
}

type V3 = Vector3<f64>;

/// Atom i of row-major [n, 3] coordinates.
pub fn pos(x: &[f64], i: usize) -> V3 {
    V3::new(x[3 * i], x[3 * i + 1], x[3 * i + 2])
}
/// f[i] += s·g (forces are −∇E: callers pass s = −dE/dθ).
pub(super) fn add(f: &mut [f64], i: usize, g: V3, s: f64) {
    for c in 0..3 {
        f[3 * i + c] += s * g[c];
    }
}

impl ForceField {
    /// Reads an export (JSON). Errors name what is wrong.
    pub fn from_json(text: &str) -> Result<Self, TargetError> {
        let e: Export = serde_json::from_str(text).map_err(|err| {
            TargetError::range("force field", err.to_string(), "an OpenMM export")
        })?;
        let n = e.atoms.len();
        if e.nonbonded.particles.len() != n {
            return Err(TargetError::range(
                "force field",
                format!("{} nonbonded particles", e.nonbonded.particles.len()),
                format!("one per atom ({n})"),
            ));
        }
        let mut exceptions = HashMap::new();
        for &(i, j, qq, sigma, epsilon) in &e.nonbonded.exceptions {
            exceptions.insert((i.min(j), i.max(j)), (qq, sigma, epsilon));
        }
        let p = &e.nonbonded.particles;
        let mut pairs = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                let (qq, sigma, epsilon) = exceptions.get(&(i, j)).copied().unwrap_or((
                    p[i][0] * p[j][0],
                    0.5 * (p[i][1] + p[j][1]),
                    (p[i][2] * p[j][2]).sqrt(),
                ));
                if qq != 0.0 || epsilon != 0.0 {
                    pairs.push(Pair {
                        i,
                        j,
                        qq: e.coulomb_constant * qq,
                        sigma,
                        epsilon,
                    });
                }
            }
        }
        let max_index = e
            .bonds
            .iter()
            .flat_map(|b| [b.0, b.1])
            .chain(e.angles.iter().flat_map(|a| [a.0, a.1, a.2]))
            .chain(e.torsions.iter().flat_map(|t| [t.0, t.1, t.2, t.3]))
            .max()
            .unwrap_or(0);
        if max_index >= n {
            return Err(TargetError::range(
                "force field",
                format!("atom index {max_index}"),
                format!("below the number of atoms ({n})"),
            ));
        }
        let gb = e.gb.map(|g| Gbn2::from_export(g, n)).transpose()?;
        Ok(Self {
            atoms: e.atoms,
            bonds: e.bonds,
            angles: e.angles,
            torsions: e.torsions,
            pairs,
            gb,
        })
    }

    pub fn len(&self) -> usize {
        self.atoms.len()
    }
    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    /// Positions (nm, row-major [n, 3]) of a PDB that matches this force field atom by atom
    /// (same count, names and residues); the error names the first mismatch.
    pub fn positions_of(&self, pdb: &[PdbAtom]) -> Result<Vec<f64>, TargetError> {
        if pdb.len() != self.len() {
            return Err(TargetError::range(
                "pdb",
                format!("{} atoms", pdb.len()),
                format!("the force field's {} atoms", self.len()),
            ));
        }
        for (k, (a, b)) in pdb.iter().zip(&self.atoms).enumerate() {
            if a.name != b.name || a.residue != b.residue {
                return Err(TargetError::range(
                    "pdb",
                    format!("atom {} = {} {}", k + 1, a.residue, a.name),
                    format!(
                        "{} {} (the force field's atom {})",
                        b.residue,
                        b.name,
                        k + 1
                    ),
                ));
            }
        }
        Ok(pdb.iter().flat_map(|a| a.position).collect())
    }

    /// Whether the molecule is in implicit solvent.
    pub fn has_implicit_solvent(&self) -> bool {
        self.gb.is_some()
    }

    /// The potential energy (kJ/mol) at `x` (nm, [n, 3] row-major), and the forces −∇E
    /// (kJ/mol/nm) into `f` (overwritten).
    pub fn energy_forces(&self, x: &[f64], f: &mut [f64]) -> f64 {
        assert_eq!(x.len(), 3 * self.len(), "positions of every atom");
        f.iter_mut().for_each(|v| *v = 0.0);
        Term::ALL.iter().map(|&t| self.add_term(t, x, f)).sum()
    }

    /// One term's energy, and its forces into `f` (overwritten).
    pub fn term_energy_forces(&self, term: Term, x: &[f64], f: &mut [f64]) -> f64 {
        assert_eq!(x.len(), 3 * self.len(), "positions of every atom");
        f.iter_mut().for_each(|v| *v = 0.0);
        self.add_term(term, x, f)
    }

    fn add_term(&self, term: Term, x: &[f64], f: &mut [f64]) -> f64 {
        match term {
            Term::Bonded => self.bonded(x, f),
            Term::Nonbonded => self.nonbonded(x, f),
            Term::Gb => self.gb.as_ref().map_or(0.0, |gb| gb.energy_forces(x, f)),
        }
    }

    fn bonded(&self, x: &[f64], f: &mut [f64]) -> f64 {
        let mut e = 0.0;
        for &(i, j, r0, k) in &self.bonds {
            let d = pos(x, i) - pos(x, j);
            let r = d.norm();
            e += 0.5 * k * (r - r0) * (r - r0);
            let g = -k * (r - r0) / r;
            add(f, i, d, g);
            add(f, j, d, -g);
        }
        for &(i, j, k, t0, kk) in &self.angles {
            e += angle_term(x, f, [i, j, k], t0, kk);
        }
        for &(i, j, k, l, n, phase, kk) in &self.torsions {
            let (phi, grads) = dihedral(pos(x, i), pos(x, j), pos(x, k), pos(x, l));
            e += kk * (1.0 + (n * phi - phase).cos());
            // F = −dE/dφ ∇φ, dE/dφ = −k n sin(nφ − φ₀).
            let s = kk * n * (n * phi - phase).sin();
            for (a, g) in [i, j, k, l].into_iter().zip(grads) {
                add(f, a, g, s);
            }
        }
        e
    }

    fn nonbonded(&self, x: &[f64], f: &mut [f64]) -> f64 {
        let mut e = 0.0;
        for p in &self.pairs {
            let d = pos(x, p.i) - pos(x, p.j);
            let r2 = d.norm_squared();
            let r = r2.sqrt();
            let sr6 = (p.sigma * p.sigma / r2).powi(3);
            let coulomb = p.qq / r;
            e += 4.0 * p.epsilon * (sr6 * sr6 - sr6) + coulomb;
            // −dE/dr / r
            let g = (24.0 * p.epsilon * (2.0 * sr6 * sr6 - sr6) + coulomb) / r2;
            add(f, p.i, d, g);
            add(f, p.j, d, -g);
        }
        e
    }
}

/// ½k(θ − θ₀)² for the angle i-j-k (j the vertex), its forces added to `f`.
fn angle_term(x: &[f64], f: &mut [f64], [i, j, k]: [usize; 3], t0: f64, kk: f64) -> f64 {
    let u = pos(x, i) - pos(x, j);
    let v = pos(x, k) - pos(x, j);
    let (uu, vv) = (u.norm_squared(), v.norm_squared());
    let c = (u.dot(&v) / (uu * vv).sqrt()).clamp(-1.0, 1.0);
    let theta = c.acos();
    // ∇_u θ = (u·v/|u|² u − v)/(|u||v| sin θ), and likewise for v; sin θ = |u × v|/(|u||v|).
    let p = u.cross(&v);
    let pn = p.norm().max(1e-300);
    let gu = u.cross(&p) / (uu * pn);
    let gv = p.cross(&v) / (vv * pn);
    let s = -kk * (theta - t0);
    add(f, i, gu, s);
    add(f, k, gv, s);
    add(f, j, -gu - gv, s);
    0.5 * kk * (theta - t0) * (theta - t0)
}

/// The IUPAC dihedral φ of p0-p1-p2-p3 in (−π, π] and its gradient with respect to each point
/// (Blondel & Karplus 1996).
pub fn dihedral(p0: V3, p1: V3, p2: V3, p3: V3) -> (f64, [V3; 4]) {
    let (b1, b2, b3) = (p1 - p0, p2 - p1, p3 - p2);
    let (n1, n2) = (b1.cross(&b2), b2.cross(&b3));
    let b2n = b2.norm();
    let phi = (b2n * b1.dot(&n2)).atan2(n1.dot(&n2));
    let g0 = n1 * (-b2n / n1.norm_squared());
    let g3 = n2 * (b2n / n2.norm_squared());
    // ∇₁φ = −(1 + a)∇₀φ + b∇₃φ with a = b1·b2/|b2|², b = b3·b2/|b2|²; ∇₂φ by translation
    // invariance (the four gradients sum to zero).
    let (a, b) = (b1.dot(&b2) / (b2n * b2n), b3.dot(&b2) / (b2n * b2n));
    let g1 = g0 * -(1.0 + a) + g3 * b;
    let g2 = -(g0 + g1 + g3);
    (phi, [g0, g1, g2, g3])
}
