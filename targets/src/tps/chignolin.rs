//! Chignolin (GYDPETGTWG, 138 atoms) under ff14SBonlysc with GBn2 implicit solvent, unfolded →
//! folded, as in tps-dps's `scripts/train/chignolin.sh` and App. F: 5000 steps of 1 fs at 300 K,
//! friction 1/ps. A path hits when the first two TICs of its backbone torsions lie within 0.75 of
//! the folded structure's (tps-dps; the TICA model is our own fit, `targets/data/chignolin/
//! tica-400K.json`, see docs/tps.md).

use serde::Deserialize;
use socbench_harness::error::TargetError;

use super::molecule::{HitRegion, MoleculeSpec, MoleculeTps};
use crate::molecule::chignolin_files;
use crate::molecule::forcefield::{dihedral, pos};
use crate::molecule::tica::{backbone_features, Tica};

/// THP's radius in the first two TICs (tps-dps).
pub const HIT_RADIUS: f64 = 0.75;
/// tps-dps's σ of the relaxed indicator for chignolin (nm) ...
pub const SIGMA_TPS_DPS: f64 = 0.5;
/// ... and the number of terms of its mean-normalised path log-density (4999 velocity updates ×
/// 414 coordinates); the exact-sum width is σ/√M, as for alanine dipeptide.
pub const MEAN_TERMS: f64 = 4999.0 * 414.0;

/// The shipped TICA model (`cargo xtask tica --temperature 400`).
pub fn shipped_tica() -> &'static str {
    include_str!("../../data/chignolin/tica-400K.json")
}

#[derive(Deserialize)]
struct TicaFile {
    torsions: Vec<[usize; 4]>,
    tica: Tica,
}

/// The shipped force field, unfolded start, folded target and TICA model.
pub fn shipped() -> Result<MoleculeTps, TargetError> {
    let (system, folded, unfolded) = chignolin_files();
    new(system, unfolded, folded, shipped_tica())
}

/// From a force-field export, start and target PDBs and a TICA model file (`torsions`, `tica`).
pub fn new(
    system: &str,
    start_pdb: &str,
    target_pdb: &str,
    tica_json: &str,
) -> Result<MoleculeTps, TargetError> {
    let file: TicaFile = serde_json::from_str(tica_json).map_err(|e| {
        TargetError::range("tica model", e.to_string(), "a `cargo xtask tica` file")
    })?;
    let spec = MoleculeSpec {
        name: "chignolin",
        atoms: 138,
        what: "GYDPETGTWG with hydrogens",
        steps: 5000,
        dt: 0.001,
        gamma: 1.0,
        temperature: 300.0,
        sigma: SIGMA_TPS_DPS / MEAN_TERMS.sqrt(),
        // 8.6 s for 2 paths of 5000 steps (`tps_chignolin::chignolin_probe`).
        frame_cost_s: 8.6e-4,
    };
    MoleculeTps::new(spec, system, start_pdb, target_pdb, |ff, target| {
        let features = 2 * file.torsions.len();
        if file.tica.eigenvectors.len() < 2
            || file.tica.mean.len() != features
            || file.tica.eigenvectors.iter().any(|v| v.len() != features)
        {
            return Err(TargetError::range(
                "tica model",
                format!("{} components", file.tica.eigenvectors.len()),
                format!("≥ 2 components over the {features} cos/sin torsion features"),
            ));
        }
        if let Some(t) = file
            .torsions
            .iter()
            .find(|t| t.iter().any(|&a| a >= ff.len()))
        {
            return Err(TargetError::range(
                "tica torsions",
                format!("{t:?}"),
                format!("atom indices < {}", ff.len()),
            ));
        }
        let mut region = Tics {
            torsions: file.torsions,
            tica: file.tica,
            target: [0.0; 2],
        };
        region.target = region.tics(target);
        Ok(Box::new(region))
    })
}

/// The first two TICs of the backbone torsions' cos/sin features.
struct Tics {
    torsions: Vec<[usize; 4]>,
    tica: Tica,
    target: [f64; 2],
}

impl Tics {
    fn tics(&self, x: &[f64]) -> [f64; 2] {
        let t = self.tica.transform(&backbone_features(&self.torsions, x));
        [t[0], t[1]]
    }
}

impl HitRegion for Tics {
    fn hits(&self, x: &[f64]) -> bool {
        let t = self.tics(x);
        let (a, b) = (t[0] - self.target[0], t[1] - self.target[1]);
        a * a + b * b < HIT_RADIUS * HIT_RADIUS
    }
    fn cvs(&self, x: &[f64]) -> [f64; 2] {
        self.tics(x)
    }
    fn target_cvs(&self) -> ([f64; 2], f64) {
        (self.target, HIT_RADIUS)
    }
    fn names(&self) -> [&'static str; 2] {
        ["TIC 1", "TIC 2"]
    }
    fn range(&self) -> [[f64; 2]; 2] {
        [[-3.0, 3.0], [-3.0, 3.0]]
    }
    /// TIC_i = λ_i (f(x) − μ)·v_i with f = (cos θ_t, sin θ_t)_t, so
    /// ∇TIC_i = λ_i Σ_t (−sin θ_t v_i[2t] + cos θ_t v_i[2t+1]) ∇θ_t.
    fn steering_cvs(&self, x: &[f64], grads: &mut [f64]) -> [f64; 2] {
        grads.iter_mut().for_each(|g| *g = 0.0);
        let dim = x.len();
        let mut feats = Vec::with_capacity(2 * self.torsions.len());
        let mut angle_grads = Vec::with_capacity(self.torsions.len());
        for t in &self.torsions {
            let (theta, g) = dihedral(pos(x, t[0]), pos(x, t[1]), pos(x, t[2]), pos(x, t[3]));
            feats.extend([theta.cos(), theta.sin()]);
            angle_grads.push((theta, g));
        }
        for j in 0..2 {
            let (l, v) = (self.tica.eigenvalues[j], &self.tica.eigenvectors[j]);
            let row = &mut grads[j * dim..(j + 1) * dim];
            for (t, (atoms, (theta, g))) in self.torsions.iter().zip(&angle_grads).enumerate() {
                let c = l * (-theta.sin() * v[2 * t] + theta.cos() * v[2 * t + 1]);
                for (&a, gv) in atoms.iter().zip(g) {
                    for k in 0..3 {
                        row[3 * a + k] += c * gv[k];
                    }
                }
            }
        }
        let t = self.tica.transform(&feats);
        [t[0], t[1]]
    }
    fn periodic(&self) -> bool {
        false
    }
}
