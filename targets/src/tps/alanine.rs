//! Alanine dipeptide (ACE-ALA-NME, 22 atoms) in vacuum, C5 → C7ax, as in tps-dps and App. F:
//! 1000 steps of 1 fs at 300 K, friction 1/ps (tps-dps's 0.001/fs).

use socbench_harness::error::TargetError;

use super::molecule::{HitRegion, MoleculeSpec, MoleculeTps};
use crate::molecule::alanine_dipeptide_files;
use crate::molecule::forcefield::{dihedral, pos};

/// tps-dps's dihedral atoms (0-based): its "φ" is CH3(ACE)–N–CA–C, not the textbook
/// C(ACE)–N–CA–C (4, 6, 8, 14); ψ is the textbook N–CA–C–N(NME).
pub const TPS_DPS_PHI: [usize; 4] = [1, 6, 8, 14];
pub const PSI: [usize; 4] = [6, 8, 14, 16];
/// The textbook φ, for the Ramachandran plot.
pub const PHI: [usize; 4] = [4, 6, 8, 14];
/// THP's radius in (φ, ψ), radians (tps-dps `aldp_diff`: Δφ² + Δψ² < 0.75²).
pub const HIT_RADIUS: f64 = 0.75;
/// tps-dps's σ of the relaxed indicator (nm) ...
pub const SIGMA_TPS_DPS: f64 = 0.1;
/// ... and the number of terms its mean-normalised path log-density averages over
/// (999 velocity updates × 66 coordinates). Its loss (log Z + mean log p_u − mean log p_0 −
/// log r)² is M⁻² times the log-variance loss of exact path sums with indicator width
/// σ/√M, which is the σ used here.
pub const MEAN_TERMS: f64 = 999.0 * 66.0;

/// The dihedral of four atoms of `x`, radians.
pub fn dihedral_of(x: &[f64], a: [usize; 4]) -> f64 {
    dihedral(pos(x, a[0]), pos(x, a[1]), pos(x, a[2]), pos(x, a[3])).0
}

/// |a − b| on the circle.
fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).abs() % std::f64::consts::TAU;
    d.min(std::f64::consts::TAU - d)
}

/// The shipped force field and C5/C7ax structures.
pub fn shipped() -> Result<MoleculeTps, TargetError> {
    let (system, c5, c7ax) = alanine_dipeptide_files();
    new(system, c5, c7ax)
}

/// From a force-field export and start and target PDBs that match it atom by atom.
pub fn new(system: &str, start_pdb: &str, target_pdb: &str) -> Result<MoleculeTps, TargetError> {
    let spec = MoleculeSpec {
        name: "alanine-dipeptide",
        atoms: 22,
        what: "ACE-ALA-NME",
        steps: 1000,
        dt: 0.001,
        gamma: 1.0,
        temperature: 300.0,
        sigma: SIGMA_TPS_DPS / MEAN_TERMS.sqrt(),
        frame_cost_s: 8e-6,
    };
    MoleculeTps::new(spec, system, start_pdb, target_pdb, |_, target| {
        Ok(Box::new(Dihedrals {
            target_dihedrals: [dihedral_of(target, TPS_DPS_PHI), dihedral_of(target, PSI)],
            target_cvs: [
                dihedral_of(target, PHI).to_degrees(),
                dihedral_of(target, PSI).to_degrees(),
            ],
        }))
    })
}

/// tps-dps's hit region: (φ, ψ) within [`HIT_RADIUS`] of the target's (its φ); plots and SMD use
/// the textbook (φ, ψ).
struct Dihedrals {
    target_dihedrals: [f64; 2],
    target_cvs: [f64; 2],
}

impl HitRegion for Dihedrals {
    fn hits(&self, x: &[f64]) -> bool {
        let dphi = angle_diff(dihedral_of(x, TPS_DPS_PHI), self.target_dihedrals[0]);
        let dpsi = angle_diff(dihedral_of(x, PSI), self.target_dihedrals[1]);
        dphi * dphi + dpsi * dpsi < HIT_RADIUS * HIT_RADIUS
    }
    fn cvs(&self, x: &[f64]) -> [f64; 2] {
        [
            dihedral_of(x, PHI).to_degrees(),
            dihedral_of(x, PSI).to_degrees(),
        ]
    }
    fn target_cvs(&self) -> ([f64; 2], f64) {
        (self.target_cvs, HIT_RADIUS.to_degrees())
    }
    fn names(&self) -> [&'static str; 2] {
        ["φ (°)", "ψ (°)"]
    }
    fn range(&self) -> [[f64; 2]; 2] {
        [[-180.0, 180.0], [-180.0, 180.0]]
    }
    /// The textbook (φ, ψ), radians, with their gradients.
    fn steering_cvs(&self, x: &[f64], grads: &mut [f64]) -> [f64; 2] {
        grads.iter_mut().for_each(|g| *g = 0.0);
        let mut out = [0.0; 2];
        for (j, atoms) in [PHI, PSI].into_iter().enumerate() {
            let p = atoms.map(|a| pos(x, a));
            let (angle, g) = dihedral(p[0], p[1], p[2], p[3]);
            out[j] = angle;
            let row = &mut grads[j * x.len()..(j + 1) * x.len()];
            for (a, gv) in atoms.into_iter().zip(g) {
                for c in 0..3 {
                    row[3 * a + c] += gv[c];
                }
            }
        }
        out
    }
    fn periodic(&self) -> bool {
        true
    }
}
