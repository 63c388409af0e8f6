//! Transition path sampling systems (targets/src/tps): the path log-likelihood ratio (TPS-1) of the
//! controlled integrators against an independent reconstruction from the positions alone, its
//! martingale property, Kabsch alignment, the double-well potential, and the alanine dipeptide
//! target criteria.

use socbench::harness::seed::stream;
use socbench::targets::molecule::dynamics::Potential;
use socbench::targets::molecule::kabsch::{aligned_rmsd, kabsch};
use socbench::targets::tps::double_well::DoubleWellPotential;
use socbench::targets::tps::{self, simulate, DoubleWell, TpsSystem};

/// A smooth control that differs per coordinate: u(x) = a·sin(3x + 0.7 i).
fn wavy(a: f64, dim: usize) -> impl FnMut(&[f64], usize) -> Vec<f64> {
    move |x: &[f64], _k| {
        x.iter()
            .enumerate()
            .map(|(j, v)| a * (3.0 * v + 0.7 * (j % dim) as f64).sin())
            .collect()
    }
}

fn log_normal_ratio(y: f64, shift: f64, sd: f64) -> f64 {
    // log N(y; shift, sd²) − log N(y; 0, sd²)
    (y * shift - 0.5 * shift * shift) / (sd * sd)
}

/// Alanine dipeptide, sampled at 450 K under a non-zero control: the log-ratio of the 300 K path
/// densities with and without the control, rebuilt from positions and the initial velocities
/// only (v⁺_k = (x_{k+1} − x_k)/Δt − (Δt/2)F(x_k)/m, v_k = (x_k − x_{k−1})/Δt + (Δt/2)F(x_k)/m,
/// each O-step a Gaussian N(a v_k + c h u_k, c²)), equals the simulator's (TPS-1).
#[test]
fn underdamped_path_density_matches_a_reconstruction_from_positions() {
    let sys = tps::alanine::shipped().unwrap();
    let (n, dim) = (2, sys.dim());
    let mut rng = stream(&["tests", "tps-density"]);
    // The initial velocities are the first draws of the stream.
    let mut probe = rng.clone();
    let v0: Vec<Vec<f64>> = (0..n)
        .map(|_| {
            sys.dynamics()
                .initial(sys.potential(), sys.start(), &mut probe)
                .v
        })
        .collect();
    let mut u = wavy(2.0, dim);
    let paths = simulate(&sys, n, 450.0, &mut u, &mut rng);
    let steps = paths.steps;
    let ff = sys.force_field();
    let m: Vec<f64> = ff.atoms.iter().flat_map(|a| [a.mass; 3]).collect();
    let (dt, gamma, t_ref): (f64, f64, f64) = (0.001, 1.0, 300.0);
    let a = (-gamma * dt).exp();
    let h = dt.sqrt();
    let kb = socbench::targets::molecule::dynamics::K_B;
    let mut f = vec![0.0; dim];
    let mut fn_ = vec![0.0; dim];
    for i in 0..n {
        let mut v = v0[i].clone();
        let mut lr = 0.0;
        for k in 0..steps {
            let x = paths.frame(i, k);
            let xn = paths.frame(i, k + 1);
            ff.energy_forces(x, &mut f);
            ff.energy_forces(xn, &mut fn_);
            let uk = u(x, k);
            for j in 0..dim {
                let c = ((1.0 - a * a) * kb * t_ref / m[j]).sqrt();
                let vplus = (xn[j] - x[j]) / dt - 0.5 * dt * f[j] / m[j];
                lr += log_normal_ratio(vplus - a * v[j], c * h * uk[j], c);
                v[j] = (xn[j] - x[j]) / dt + 0.5 * dt * fn_[j] / m[j];
            }
        }
        let err = (lr - paths.log_rnd[i]).abs();
        eprintln!(
            "path {i}: reconstructed {lr:.6}, simulator {:.6}",
            paths.log_rnd[i]
        );
        assert!(
            err < 1e-6 * lr.abs().max(1.0),
            "path {i}: {lr} vs {}",
            paths.log_rnd[i]
        );
    }
}

/// The same for the overdamped double well: ξ'_k = (x_{k+1} − x_k − F(x_k)Δt)/s_ref.
#[test]
fn overdamped_path_density_matches_a_reconstruction_from_positions() {
    let sys = DoubleWell::tps_dps();
    let mut u = wavy(1.5, 2);
    let paths = simulate(&sys, 3, 2000.0, &mut u, &mut stream(&["tests", "tps-dw"]));
    let (dt, t_ref): (f64, f64) = (0.01, 1200.0);
    let s_ref = (2.0 * tps::double_well::K_B_EV * t_ref * dt).sqrt();
    let mut f = [0.0; 2];
    for i in 0..3 {
        let mut lr = 0.0;
        for k in 0..paths.steps {
            let (x, xn) = (paths.frame(i, k), paths.frame(i, k + 1));
            DoubleWellPotential.energy_forces(x, &mut f);
            let uk = u(x, k);
            for j in 0..2 {
                let y = xn[j] - x[j] - f[j] * dt;
                lr += log_normal_ratio(y, s_ref * dt.sqrt() * uk[j], s_ref);
            }
        }
        assert!(
            (lr - paths.log_rnd[i]).abs() < 1e-8 * lr.abs().max(1.0),
            "path {i}: {lr} vs {}",
            paths.log_rnd[i]
        );
    }
}

/// E_{P^u}[dP/dP^u] = 1 at the reference temperature: the mean of e^{−log dP^u/dP} over 4000
/// controlled paths of the double well is 1 within 4 standard errors. Leaving out the ½h²|u|²
/// term would move it to about e^{±KL}, far outside.
#[test]
fn the_likelihood_ratio_is_a_martingale() {
    let sys = DoubleWell::tps_dps();
    let mut u = |x: &[f64], _k: usize| -> Vec<f64> { x.iter().map(|_| 0.3).collect() };
    let n = 4000;
    let paths = simulate(&sys, n, 1200.0, &mut u, &mut stream(&["tests", "tps-mart"]));
    let w: Vec<f64> = paths.log_rnd.iter().map(|l| (-l).exp()).collect();
    let mean = w.iter().sum::<f64>() / n as f64;
    let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = (var / n as f64).sqrt();
    let kl = paths.log_rnd.iter().sum::<f64>() / n as f64;
    eprintln!("mean weight {mean:.4} ± {se:.4}, KL {kl:.3}");
    assert!((mean - 1.0).abs() < 4.0 * se, "mean {mean} ± {se}");
    // KL(P^u | P) = ½ Σ h²|u|² exactly for a constant control: 0.5 · 1000 · 0.01 · 0.18.
    assert!((kl - 0.9).abs() < 0.1, "KL {kl}");
}

#[test]
fn kabsch_undoes_a_rigid_motion_and_not_a_reflection() {
    let sys = tps::alanine::shipped().unwrap();
    let q = sys.target();
    let heavy = sys.heavy_atoms();
    let (c, s) = (0.6f64.cos(), 0.6f64.sin());
    let moved: Vec<f64> = q
        .chunks(3)
        .flat_map(|p| {
            // A rotation about (1, 1, 0)/√2 composed with one about z, then a shift.
            let (x, y, z) = (p[0], p[1], p[2]);
            let (x, y) = (c * x - s * y, s * x + c * y);
            let (y, z) = (c * y - s * z, s * y + c * z);
            [x + 0.3, y - 1.2, z + 2.0]
        })
        .collect();
    assert!(aligned_rmsd(&moved, q, heavy) < 1e-10);
    let m = kabsch(&moved, q, heavy);
    assert!((m.r.determinant() - 1.0).abs() < 1e-12);
    let mirrored: Vec<f64> = q.chunks(3).flat_map(|p| [-p[0], p[1], p[2]]).collect();
    let r = aligned_rmsd(&mirrored, q, heavy);
    eprintln!("mirror image RMSD {r:.4} nm");
    assert!(r > 0.01, "a reflection is not a rigid motion: {r}");
}

/// C7ax hits its own target, C5 does not; their (φ, ψ) are the minima of docs/tps.md; C5 is
/// more than 1 Å from C7ax.
#[test]
fn alanine_target_criteria() {
    let sys = tps::alanine::shipped().unwrap();
    assert!(sys.hits(sys.target()));
    assert!(!sys.hits(sys.start()));
    let [phi, psi] = sys.cvs(sys.start());
    assert!(
        (phi + 147.0).abs() < 0.5 && (psi - 159.1).abs() < 0.5,
        "{phi} {psi}"
    );
    let [phi, psi] = sys.cvs(sys.target());
    assert!(
        (phi - 60.2).abs() < 0.5 && (psi + 40.9).abs() < 0.5,
        "{phi} {psi}"
    );
    let tpsphi = |x: &[f64]| tps::alanine::dihedral_of(x, tps::alanine::TPS_DPS_PHI).to_degrees();
    eprintln!(
        "tps-dps φ: C5 {:.1}°, C7ax {:.1}°; RMSD C5→C7ax {:.3} Å; log r(C5) {:.0}",
        tpsphi(sys.start()),
        tpsphi(sys.target()),
        sys.rmsd(sys.start()),
        sys.log_indicator(sys.start())
    );
    assert!(sys.rmsd(sys.start()) > 1.0);
    assert!(sys.rmsd(sys.target()) < 1e-6);
    assert_eq!(
        sys.log_indicator(sys.target()).min(0.0),
        sys.log_indicator(sys.target())
    );
}

/// The double well's forces are −∇V (central differences), its saddles (0, ±1) have V = 1, and
/// its minima lie near (±1.118, 0) below −0.08.
#[test]
fn double_well_potential() {
    let p = DoubleWellPotential;
    let mut f = [0.0; 2];
    let mut g = [0.0; 2];
    for x in [[0.3, -0.7], [-1.1, 0.2], [1.5, 0.9]] {
        p.energy_forces(&x, &mut f);
        for j in 0..2 {
            let e = 1e-6;
            let (mut a, mut b) = (x, x);
            a[j] += e;
            b[j] -= e;
            let fd = -(p.energy_forces(&a, &mut g) - p.energy_forces(&b, &mut g)) / (2.0 * e);
            assert!((fd - f[j]).abs() < 1e-6, "{x:?} {j}: {fd} vs {}", f[j]);
        }
    }
    assert!((p.energy_forces(&[0.0, 1.0], &mut f) - 1.0).abs() < 1e-12);
    assert!(
        f.iter().all(|v| v.abs() < 1e-12),
        "the saddle is stationary"
    );
    let e = p.energy_forces(&[1.118, 0.0], &mut f);
    assert!(e < -0.08 && f[0].abs() < 0.01, "{e} {f:?}");
}

#[test]
fn registry_errors_name_the_field() {
    let e = tps::build("villin").err().unwrap().to_string();
    assert!(
        e.contains("target") && e.contains("alanine-dipeptide") && e.contains("chignolin"),
        "{e}"
    );
    for name in tps::names() {
        assert_eq!(tps::build(name).unwrap().name(), name);
    }
}

/// The baselines on alanine dipeptide (16 paths each): UMD at 3600 K leaves C5 but rarely lands
/// in C7ax (measured: THP 12.5 %, RMSD 0.92 Å, ETS 532 kJ/mol); SMD with k = 1000 kJ/mol/rad²
/// drags (φ, ψ) to C7ax, so every last frame hits (THP at the best frame 50 %, RMSD 0.16 Å, ETS
/// 34 kJ/mol), over a barrier well above the minima's −88 kJ/mol.
#[test]
fn alanine_baselines() {
    use socbench::targets::tps::baselines::{smd, umd};
    use socbench::targets::tps::PathMetrics;
    let sys = tps::alanine::shipped().unwrap();
    let u = umd(&sys, 16, 3600.0, &mut stream(&["tests", "umd"]));
    let su = PathMetrics::of(&sys, &u).summary();
    let s = smd(&sys, 16, 1000.0, &mut stream(&["tests", "smd"])).unwrap();
    let ss = PathMetrics::of(&sys, &s).summary();
    eprintln!("UMD 3600 K: {su:?}\nSMD k=1000: {ss:?}");
    assert!(ss.thp_last >= 75.0 && ss.rmsd < 0.3, "{ss:?}");
    assert!(su.thp < 50.0 && su.ets > 200.0, "{su:?}");
    assert!(ss.ets > -60.0, "{ss:?}");
    assert!(su.rmsd > ss.rmsd, "{su:?} {ss:?}");
}
