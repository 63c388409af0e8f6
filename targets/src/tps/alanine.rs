//! Alanine dipeptide (ACE-ALA-NME, 22 atoms) in vacuum, C5 → C7ax, as in tps-dps and App. F:
//! 1000 steps of 1 fs at 300 K, friction 1/ps (tps-dps's 0.001/fs).

use nalgebra::{Matrix3, Vector3};
use socbench_harness::error::TargetError;

use super::{ControlledDynamics, TpsSystem, Underdamped, Units};
use crate::molecule::dynamics::{coordinate_masses, Potential, K_B};
use crate::molecule::forcefield::dihedral;
use crate::molecule::kabsch::{aligned_msd, aligned_rmsd, kabsch};
use crate::molecule::{alanine_dipeptide_files, parse_pdb, ForceField};

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

pub struct AlanineDipeptide {
    ff: ForceField,
    dynamics: Underdamped,
    start: Vec<f64>,
    target: Vec<f64>,
    heavy: Vec<usize>,
    /// σ of (TPS-2), nm.
    pub sigma: f64,
    steps: usize,
    target_dihedrals: [f64; 2],
}

fn point(x: &[f64], i: usize) -> Vector3<f64> {
    Vector3::new(x[3 * i], x[3 * i + 1], x[3 * i + 2])
}

/// The dihedral of four atoms of `x`, radians.
pub fn dihedral_of(x: &[f64], a: [usize; 4]) -> f64 {
    dihedral(
        point(x, a[0]),
        point(x, a[1]),
        point(x, a[2]),
        point(x, a[3]),
    )
    .0
}

/// |a − b| on the circle.
fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).abs() % std::f64::consts::TAU;
    d.min(std::f64::consts::TAU - d)
}

impl AlanineDipeptide {
    /// The shipped force field and C5/C7ax structures.
    pub fn shipped() -> Result<Self, TargetError> {
        let (system, c5, c7ax) = alanine_dipeptide_files();
        Self::new(system, c5, c7ax)
    }

    /// From a force-field export and start and target PDBs that match it atom by atom.
    pub fn new(system: &str, start_pdb: &str, target_pdb: &str) -> Result<Self, TargetError> {
        let ff = ForceField::from_json(system)?;
        let start = ff.positions_of(&parse_pdb(start_pdb)?)?;
        let target = ff.positions_of(&parse_pdb(target_pdb)?)?;
        if ff.len() != 22 {
            return Err(TargetError::range(
                "system",
                format!("{} atoms", ff.len()),
                "the 22 atoms of ACE-ALA-NME",
            ));
        }
        let heavy = (0..ff.len()).filter(|&i| ff.atoms[i].mass > 1.1).collect();
        let dynamics = Underdamped {
            dt: 0.001,
            gamma: 1.0,
            temperature: 300.0,
            masses: coordinate_masses(&ff),
            k_b: K_B,
        };
        let target_dihedrals = [dihedral_of(&target, TPS_DPS_PHI), dihedral_of(&target, PSI)];
        Ok(Self {
            ff,
            dynamics,
            start,
            target,
            heavy,
            sigma: SIGMA_TPS_DPS / MEAN_TERMS.sqrt(),
            steps: 1000,
            target_dihedrals,
        })
    }

    pub fn heavy_atoms(&self) -> &[usize] {
        &self.heavy
    }
    pub fn force_field(&self) -> &ForceField {
        &self.ff
    }
}

impl TpsSystem for AlanineDipeptide {
    fn name(&self) -> &'static str {
        "alanine-dipeptide"
    }
    fn dim(&self) -> usize {
        3 * self.ff.len()
    }
    fn steps(&self) -> usize {
        self.steps
    }
    fn potential(&self) -> &dyn Potential {
        &self.ff
    }
    fn dynamics(&self) -> &dyn ControlledDynamics {
        &self.dynamics
    }
    fn start(&self) -> &[f64] {
        &self.start
    }
    fn target(&self) -> &[f64] {
        &self.target
    }
    fn log_indicator(&self, x: &[f64]) -> f64 {
        -aligned_msd(x, &self.target, &self.heavy) / (2.0 * self.sigma * self.sigma)
    }
    fn feature_dim(&self) -> usize {
        4 * self.ff.len()
    }
    /// tps-dps's `BiasForce` input: every atom after the heavy-atom Kabsch alignment onto the
    /// target, then each atom's distance to its target position (nm).
    fn features(&self, x: &[f64], out: &mut Vec<f32>) -> Option<Matrix3<f64>> {
        let m = kabsch(x, &self.target, &self.heavy);
        let n = self.ff.len();
        let mut dist = Vec::with_capacity(n);
        for i in 0..n {
            let y = m.apply(point(x, i));
            out.extend(y.iter().map(|&v| v as f32));
            dist.push((y - point(&self.target, i)).norm() as f32);
        }
        out.extend(dist);
        // Outputs are vectors in the aligned frame: x_lab = Rᵀ x_aligned.
        Some(m.r.transpose())
    }
    fn rmsd(&self, x: &[f64]) -> f64 {
        10.0 * aligned_rmsd(x, &self.target, &self.heavy)
    }
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
        (self.cvs(&self.target), HIT_RADIUS.to_degrees())
    }
    /// The textbook (φ, ψ), radians, with their gradients.
    fn steering_cvs(&self, x: &[f64], grads: &mut [f64]) -> Option<[f64; 2]> {
        grads.iter_mut().for_each(|g| *g = 0.0);
        let mut out = [0.0; 2];
        for (j, atoms) in [PHI, PSI].into_iter().enumerate() {
            let p = atoms.map(|a| point(x, a));
            let (angle, g) = dihedral(p[0], p[1], p[2], p[3]);
            out[j] = angle;
            let row = &mut grads[j * x.len()..(j + 1) * x.len()];
            for (a, gv) in atoms.into_iter().zip(g) {
                for c in 0..3 {
                    row[3 * a + c] += gv[c];
                }
            }
        }
        Some(out)
    }
    fn steering_cvs_periodic(&self) -> bool {
        true
    }
    fn units(&self) -> Units {
        Units {
            energy: "kJ/mol",
            rmsd: "Å",
            cvs: ["φ (°)", "ψ (°)"],
            cv_range: [[-180.0, 180.0], [-180.0, 180.0]],
        }
    }
}
