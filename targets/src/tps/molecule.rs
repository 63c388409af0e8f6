//! A molecule as a TPS system: force field, underdamped dynamics, start and target structures and
//! tps-dps's relaxed indicator and bias-network input, with the hit region (the collective
//! variables THP, the plots and steered MD use) as a swappable part ([`HitRegion`]): backbone
//! dihedrals for alanine dipeptide (`alanine.rs`), TICA of backbone torsions for chignolin
//! (`chignolin.rs`).

use nalgebra::Matrix3;
use socbench_harness::error::TargetError;

use super::{ControlledDynamics, TpsSystem, Underdamped, Units};
use crate::molecule::dynamics::{coordinate_masses, Potential, K_B};
use crate::molecule::forcefield::pos;
use crate::molecule::kabsch::{aligned_msd, aligned_rmsd, kabsch};
use crate::molecule::{parse_pdb, ForceField};

/// The collective variables of a molecule's target region.
pub trait HitRegion: Send + Sync {
    /// Whether `x` lies in the target region (THP's criterion).
    fn hits(&self, x: &[f64]) -> bool;
    /// The two plotted coordinates of `x`.
    fn cvs(&self, x: &[f64]) -> [f64; 2];
    /// The plotted coordinates of the target and the hit radius in them.
    fn target_cvs(&self) -> ([f64; 2], f64);
    /// Names and plot ranges of the two coordinates.
    fn names(&self) -> [&'static str; 2];
    fn range(&self) -> [[f64; 2]; 2];
    /// Steered MD's coordinates at `x` and their gradients ([2, dim] into `grads`).
    fn steering_cvs(&self, x: &[f64], grads: &mut [f64]) -> [f64; 2];
    /// Whether the steering coordinates are angles.
    fn periodic(&self) -> bool;
}

/// How a molecule is set up: everything but the structures and the force field.
pub struct MoleculeSpec {
    pub name: &'static str,
    /// Atoms the export must have.
    pub atoms: usize,
    /// What those atoms are, for the error message.
    pub what: &'static str,
    pub steps: usize,
    /// Δt (ps), γ (1/ps) and the reference temperature (K).
    pub dt: f64,
    pub gamma: f64,
    pub temperature: f64,
    /// σ of (TPS-2) in nm, for exact path sums.
    pub sigma: f64,
    /// [`TpsSystem::frame_cost_s`], measured.
    pub frame_cost_s: f64,
}

pub struct MoleculeTps {
    spec: MoleculeSpec,
    ff: ForceField,
    dynamics: Underdamped,
    start: Vec<f64>,
    target: Vec<f64>,
    heavy: Vec<usize>,
    region: Box<dyn HitRegion>,
}

impl MoleculeTps {
    /// From a force-field export and start and target PDBs that match it atom by atom; `region`
    /// builds the hit region from the force field and the target positions.
    pub fn new(
        spec: MoleculeSpec,
        system: &str,
        start_pdb: &str,
        target_pdb: &str,
        region: impl FnOnce(&ForceField, &[f64]) -> Result<Box<dyn HitRegion>, TargetError>,
    ) -> Result<Self, TargetError> {
        let ff = ForceField::from_json(system)?;
        let start = ff.positions_of(&parse_pdb(start_pdb)?)?;
        let target = ff.positions_of(&parse_pdb(target_pdb)?)?;
        if ff.len() != spec.atoms {
            return Err(TargetError::range(
                "system",
                format!("{} atoms", ff.len()),
                format!("the {} atoms of {}", spec.atoms, spec.what),
            ));
        }
        let heavy = (0..ff.len()).filter(|&i| ff.atoms[i].mass > 1.1).collect();
        let dynamics = Underdamped {
            dt: spec.dt,
            gamma: spec.gamma,
            temperature: spec.temperature,
            masses: coordinate_masses(&ff),
            k_b: K_B,
        };
        let region = region(&ff, &target)?;
        Ok(Self {
            spec,
            ff,
            dynamics,
            start,
            target,
            heavy,
            region,
        })
    }

    pub fn heavy_atoms(&self) -> &[usize] {
        &self.heavy
    }
    pub fn force_field(&self) -> &ForceField {
        &self.ff
    }
    /// σ of (TPS-2), nm.
    pub fn sigma(&self) -> f64 {
        self.spec.sigma
    }
}

impl TpsSystem for MoleculeTps {
    fn name(&self) -> &'static str {
        self.spec.name
    }
    fn dim(&self) -> usize {
        3 * self.ff.len()
    }
    fn steps(&self) -> usize {
        self.spec.steps
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
        let s = self.spec.sigma;
        -aligned_msd(x, &self.target, &self.heavy) / (2.0 * s * s)
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
            let y = m.apply(pos(x, i));
            out.extend(y.iter().map(|&v| v as f32));
            dist.push((y - pos(&self.target, i)).norm() as f32);
        }
        out.extend(dist);
        // Outputs are vectors in the aligned frame: x_lab = Rᵀ x_aligned.
        Some(m.r.transpose())
    }
    fn rmsd(&self, x: &[f64]) -> f64 {
        10.0 * aligned_rmsd(x, &self.target, &self.heavy)
    }
    fn hits(&self, x: &[f64]) -> bool {
        self.region.hits(x)
    }
    fn cvs(&self, x: &[f64]) -> [f64; 2] {
        self.region.cvs(x)
    }
    fn target_cvs(&self) -> ([f64; 2], f64) {
        self.region.target_cvs()
    }
    fn steering_cvs(&self, x: &[f64], grads: &mut [f64]) -> Option<[f64; 2]> {
        Some(self.region.steering_cvs(x, grads))
    }
    fn steering_cvs_periodic(&self) -> bool {
        self.region.periodic()
    }
    fn frame_cost_s(&self) -> f64 {
        self.spec.frame_cost_s
    }
    fn units(&self) -> Units {
        Units {
            energy: "kJ/mol",
            rmsd: "Å",
            cvs: self.region.names(),
            cv_range: self.region.range(),
        }
    }
}
