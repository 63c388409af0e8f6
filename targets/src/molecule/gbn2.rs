//! GBn2 implicit solvent in f64 (Nguyen, Roe & Simmerling 2013, J. Chem. Theory Comput. 9,
//! 2020; Amber's igb = 8), exactly as OpenMM's `implicit/gbn2.xml` builds it into a
//! CustomGBForce (`openmm/app/internal/customgbforces.py`, `GBSAGBn2Force`, with the ACE
//! surface term); `scripts/tps/omm_common.py` stops the export if OpenMM's expressions differ
//! from the ones below. Per atom i: charge q, offset radius ρ (the intrinsic radius less the
//! offset δ = 0.0195141 nm), scaled radius s = S·ρ, the tanh coefficients α, β, γ and the index
//! of its radius in the neck tables d₀, m₀. Lengths in nm, energies in kJ/mol.
//!
//! - Descreening integral, over every other atom j (no exclusions):
//!   I_i = Σ_j [I^vdw(r; ρ_i, s_j) + 0.826836 · I^neck_ij(r)], with, when r + s_j ≥ ρ_i,
//!   I^vdw = ½[1/L − 1/U + ¼(r − s_j²/r)(1/U² − 1/L²) + ½ ln(L/U)/r],
//!   U = r + s_j, L = max(ρ_i, |r − s_j|) (else 0), and, when r ≤ R_i + R_j + 0.68 (R = ρ + δ),
//!   I^neck = m₀/(1 + 100 (r − d₀)² + 0.3·10⁶ (r − d₀)⁶) with (d₀, m₀) of the radius pair.
//! - Born radius: B_i = 1/(1/ρ_i − tanh(αψ − βψ² + γψ³)/R_i), ψ = I_i ρ_i.
//! - Energy: E = Σ_i ½c q_i²/B_i + Σ_i 28.3919551 (R_i + 0.14)² (R_i/B_i)⁶ + Σ_{i<j} c q_i q_j/f_ij,
//!   f_ij = √(r² + B_i B_j exp(−r²/(4 B_i B_j))), c = −138.935485 (1/ε_solute − 1/ε_solvent).
//!
//! Forces are exact: the explicit r-dependence of the pair term plus the chain rule through
//! every Born radius, ∂E/∂B_i · dB_i/dI_i · ∇I_i.

use serde::Deserialize;
use socbench_harness::error::TargetError;

use super::forcefield::{add, pos};

/// OpenMM's GB electrostatics constant, written as a literal in its expressions (it differs
/// from the Coulomb constant of the NonbondedForce in the 7th digit).
const GB_COULOMB: f64 = 138.935485;
const NECK_SCALE: f64 = 0.826836;
const NECK_CUT: f64 = 0.68;
/// ACE surface term: 4π · 0.0054 kcal/mol/Å² in kJ/mol/nm², and the solvent probe radius (nm).
const ACE_TENSION: f64 = 28.3919551;
const PROBE: f64 = 0.14;

/// The `gb` section of a force-field export.
#[derive(Clone, Debug, Deserialize)]
pub struct GbExport {
    solvent_dielectric: f64,
    solute_dielectric: f64,
    offset: f64,
    /// Number of distinct radii: the neck tables are radii × radii.
    radii: usize,
    /// d₀ and m₀, the value for radius indices (a, b) at a + radii·b.
    d0: Vec<f64>,
    m0: Vec<f64>,
    /// Per atom: [charge, ρ, s, α, β, γ, radius index].
    particles: Vec<[f64; 7]>,
}

#[derive(Clone, Copy, Debug)]
struct Particle {
    q: f64,
    rho: f64,
    inv_rho: f64,
    s: f64,
    alpha: f64,
    beta: f64,
    gamma: f64,
    radius: usize,
}

/// The GBn2 term of one molecule.
#[derive(Clone, Debug)]
pub struct Gbn2 {
    p: Vec<Particle>,
    offset: f64,
    /// c = −138.935485 (1/ε_solute − 1/ε_solvent).
    c: f64,
    radii: usize,
    d0: Vec<f64>,
    m0: Vec<f64>,
}

impl Gbn2 {
    /// Checks the export against the molecule's `n` atoms; errors name the field.
    pub fn from_export(e: GbExport, n: usize) -> Result<Self, TargetError> {
        let bad = |field: &'static str, got: String, want: String| {
            Err(TargetError::range(field, got, want))
        };
        if e.particles.len() != n {
            return bad(
                "force field gb.particles",
                format!("{} particles", e.particles.len()),
                format!("one per atom ({n})"),
            );
        }
        let cells = e.radii * e.radii;
        if e.d0.len() != cells || e.m0.len() != cells {
            return bad(
                "force field gb.d0/m0",
                format!("{} and {} values", e.d0.len(), e.m0.len()),
                format!("radii² = {cells} each"),
            );
        }
        if !(e.solute_dielectric > 0.0 && e.solvent_dielectric > 0.0) {
            return bad(
                "force field gb.dielectric",
                format!("{} and {}", e.solute_dielectric, e.solvent_dielectric),
                "positive".into(),
            );
        }
        let mut p = Vec::with_capacity(n);
        for (k, a) in e.particles.iter().enumerate() {
            let radius = a[6] as usize;
            if a[6] < 0.0 || a[6].fract() != 0.0 || radius >= e.radii || a[1] <= 0.0 {
                return bad(
                    "force field gb.particles",
                    format!("atom {}: radius index {}, ρ {}", k + 1, a[6], a[1]),
                    format!("an index below {} and ρ > 0", e.radii),
                );
            }
            p.push(Particle {
                q: a[0],
                rho: a[1],
                inv_rho: 1.0 / a[1],
                s: a[2],
                alpha: a[3],
                beta: a[4],
                gamma: a[5],
                radius,
            });
        }
        Ok(Self {
            p,
            offset: e.offset,
            c: -GB_COULOMB * (1.0 / e.solute_dielectric - 1.0 / e.solvent_dielectric),
            radii: e.radii,
            d0: e.d0,
            m0: e.m0,
        })
    }

    /// The contribution of atom j to I_i at distance r (1/r = `ir`), and its derivative in r.
    /// Written with reciprocals: this is the inner loop of a chignolin path step.
    #[inline]
    fn descreen(&self, i: usize, j: usize, r: f64, ir: f64) -> (f64, f64) {
        let (a, b) = (&self.p[i], &self.p[j]);
        let (mut v, mut dv) = (0.0, 0.0);
        let s = b.s;
        if r + s - a.rho >= 0.0 {
            let iu = 1.0 / (r + s);
            let d = r - s;
            let (l, il, dl) = if d.abs() > a.rho {
                (d.abs(), 1.0 / d.abs(), d.signum())
            } else {
                (a.rho, a.inv_rho, 0.0)
            };
            let (iu2, il2) = (iu * iu, il * il);
            let s2 = s * s;
            let w = r - s2 * ir;
            let q = iu2 - il2;
            let ln = (l * iu).ln();
            v += 0.5 * (il - iu + 0.25 * w * q + 0.5 * ln * ir);
            let dw = 1.0 + s2 * ir * ir;
            let dq = -2.0 * iu2 * iu + 2.0 * dl * il2 * il;
            dv += 0.5
                * (-dl * il2
                    + iu2
                    + 0.25 * (dw * q + w * dq)
                    + 0.5 * ((dl * il - iu) * ir - ln * ir * ir));
        }
        if a.rho + b.rho + 2.0 * self.offset + NECK_CUT - r >= 0.0 {
            let k = a.radius + self.radii * b.radius;
            let (d0, m0) = (self.d0[k], self.m0[k]);
            let t = r - d0;
            let t2 = t * t;
            let t4 = t2 * t2;
            let iden = 1.0 / (1.0 + 100.0 * t2 + 0.3e6 * t4 * t2);
            let g = NECK_SCALE * m0 * iden;
            v += g;
            dv -= g * iden * (200.0 * t + 1.8e6 * t4 * t);
        }
        (v, dv)
    }

    /// The GBn2 energy (kJ/mol) at `x` (nm, [n, 3] row-major); its forces are added to `f`.
    pub fn energy_forces(&self, x: &[f64], f: &mut [f64]) -> f64 {
        let n = self.p.len();
        let mut integral = vec![0.0; n];
        // Per pair i < j, in loop order: the separation x_i − x_j, 1/r, dI_i/dr and dI_j/dr.
        let mut pairs = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        for i in 0..n {
            let xi = pos(x, i);
            for j in i + 1..n {
                let d = xi - pos(x, j);
                let r2 = d.norm_squared();
                let r = r2.sqrt();
                let ir = 1.0 / r;
                let (a, da) = self.descreen(i, j, r, ir);
                let (b, db) = self.descreen(j, i, r, ir);
                integral[i] += a;
                integral[j] += b;
                pairs.push((d, r2, ir, da, db));
            }
        }
        // Born radii, dB/dI, and the single-atom energies with their ∂E/∂B.
        let mut born = vec![0.0; n];
        let mut inv_born = vec![0.0; n];
        let mut dborn = vec![0.0; n];
        let mut de_db = vec![0.0; n];
        let mut e = 0.0;
        for (i, p) in self.p.iter().enumerate() {
            let radius = p.rho + self.offset;
            let psi = integral[i] * p.rho;
            let t = p.alpha * psi - p.beta * psi * psi + p.gamma * psi * psi * psi;
            let th = t.tanh();
            let ib = p.inv_rho - th / radius;
            let b = 1.0 / ib;
            born[i] = b;
            inv_born[i] = ib;
            dborn[i] = b
                * b
                * (1.0 - th * th)
                * (p.alpha - 2.0 * p.beta * psi + 3.0 * p.gamma * psi * psi)
                * p.rho
                / radius;
            let selfe = 0.5 * self.c * p.q * p.q * ib;
            let ace = ACE_TENSION * (radius + PROBE).powi(2) * (radius * ib).powi(6);
            e += selfe + ace;
            de_db[i] = -(selfe + 6.0 * ace) * ib;
        }
        // Pair term: its explicit forces, and its ∂E/∂B.
        let mut k = 0;
        for i in 0..n {
            let cqi = self.c * self.p[i].q;
            for j in i + 1..n {
                let (d, r2, _, _, _) = pairs[k];
                k += 1;
                let qq = cqi * self.p[j].q;
                if qq == 0.0 {
                    continue;
                }
                let bb = born[i] * born[j];
                let ibb4 = 0.25 * inv_born[i] * inv_born[j];
                let ex = (-r2 * ibb4).exp();
                let f2 = r2 + bb * ex;
                let if2 = 1.0 / f2;
                let ifij = if2.sqrt();
                let pair = qq * ifij;
                e += pair;
                // dE/df = −E/f; df/dr = r (1 − ex/4)/f; force on i = −dE/dr · d/r.
                let de_df_over_f = -pair * if2;
                let g = de_df_over_f * (1.0 - 0.25 * ex);
                add(f, i, d, -g);
                add(f, j, d, g);
                // df/dB_i = B_j ex (1 + r²/(4 B_i B_j))/(2f).
                let h = 0.5 * de_df_over_f * ex * (1.0 + r2 * ibb4);
                de_db[i] += h * born[j];
                de_db[j] += h * born[i];
            }
        }
        // Chain rule through the Born radii: ∂E/∂I_i = ∂E/∂B_i · dB_i/dI_i.
        let de_di: Vec<f64> = de_db.iter().zip(&dborn).map(|(a, b)| a * b).collect();
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                let (d, _, ir, da, db) = pairs[k];
                k += 1;
                let de_dr = de_di[i] * da + de_di[j] * db;
                add(f, i, d, -de_dr * ir);
                add(f, j, d, de_dr * ir);
            }
        }
        e
    }
}
