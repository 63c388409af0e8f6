//! TICA (targets/src/molecule/tica.rs) on a case with a known answer, and the backbone torsion
//! features chignolin's hit definition uses.

use rand::Rng;
use rand_distr::StandardNormal;
use socbench::harness::seed::stream;
use socbench::targets::molecule::tica::{backbone_features, backbone_torsions, Tica};
use socbench::targets::molecule::{chignolin_files, parse_pdb, ForceField};

/// A hidden two-state Markov chain s ∈ {−1, +1} that flips with probability p per frame, seen
/// through x = s·u + σξ in 3-D with white noise ξ. Then C₀ = uuᵀ + σ²I and C_τ = (1 − 2p)^τ uuᵀ,
/// so the leading TICA eigenvalue is (1 − 2p)^τ |u|²/(|u|² + σ²), its eigenvector is along u,
/// and every other eigenvalue is 0; the kinetic-map TIC 1 has variance λ₁².
#[test]
fn two_state_toy_has_the_known_slow_mode() {
    let (p, sigma, lag) = (0.02, 1.0, 5);
    let u = [1.0, 1.5, -0.8];
    let u2: f64 = u.iter().map(|v| v * v).sum();
    let mut rng = stream(&["tests", "tica", "two-state"]);
    let mut trajectories = Vec::new();
    for _ in 0..4 {
        let mut s = if rng.random::<bool>() { 1.0 } else { -1.0 };
        let mut t = Vec::with_capacity(50_000);
        for _ in 0..50_000 {
            if rng.random::<f64>() < p {
                s = -s;
            }
            t.push(
                u.iter()
                    .map(|&c| s * c + sigma * rng.sample::<f64, _>(StandardNormal))
                    .collect::<Vec<f64>>(),
            );
        }
        trajectories.push(t);
    }
    let tica = Tica::fit(&trajectories, lag, 2).unwrap();
    let want = (1.0f64 - 2.0 * p).powi(lag as i32) * u2 / (u2 + sigma * sigma);
    let v = &tica.eigenvectors[0];
    let cos = v.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>()
        / (v.iter().map(|a| a * a).sum::<f64>() * u2).sqrt();
    eprintln!(
        "λ = {:?} (want {want:.4}, 0), cos(v₁, u) = {cos:.5}",
        tica.eigenvalues
    );
    assert!(
        (tica.eigenvalues[0] - want).abs() < 0.02,
        "λ₁ {}",
        tica.eigenvalues[0]
    );
    assert!(
        tica.eigenvalues[1].abs() < 0.02,
        "λ₂ {}",
        tica.eigenvalues[1]
    );
    assert!(cos.abs() > 0.999, "cos {cos}");
    // Kinetic map: TIC 1 has mean 0 and variance λ₁² over the data.
    let y: Vec<f64> = trajectories
        .iter()
        .flatten()
        .map(|x| tica.transform(x)[0])
        .collect();
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let var = y.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / y.len() as f64;
    let l1 = tica.eigenvalues[0];
    assert!(
        mean.abs() < 0.01 && (var / (l1 * l1) - 1.0).abs() < 0.01,
        "{mean} {var}"
    );
    // The implied timescale is −τ/ln λ₁.
    assert!((tica.timescales()[0] + lag as f64 / l1.ln()).abs() < 1e-12);
}

/// Bad input is an error naming the field: a lag no trajectory is longer than, ragged frames,
/// more components than the data has.
#[test]
fn bad_input_is_a_clear_error() {
    let t = vec![vec![vec![0.0, 1.0], vec![1.0, 0.0], vec![0.5, 0.5]]];
    let err = Tica::fit(&t, 3, 1).unwrap_err().to_string();
    assert!(err.contains("tica lag"), "{err}");
    let ragged = vec![vec![vec![0.0, 1.0], vec![1.0]]];
    let err = Tica::fit(&ragged, 1, 1).unwrap_err().to_string();
    assert!(err.contains("tica features"), "{err}");
    let err = Tica::fit(&t, 1, 3).unwrap_err().to_string();
    assert!(err.contains("tica dim"), "{err}");
}

/// Chignolin's backbone: 9 φ (residues 2-10) and 9 ψ (residues 1-9), 36 cos/sin features, each
/// pair on the unit circle; φ of residue 2 is C(GLY1)–N–CA–C(TYR2).
#[test]
fn chignolin_backbone_features() {
    let (json, folded, _) = chignolin_files();
    let ff = ForceField::from_json(json).unwrap();
    let atoms = parse_pdb(folded).unwrap();
    let x = ff.positions_of(&atoms).unwrap();
    let residues: Vec<i64> = atoms.iter().map(|a| a.residue_number).collect();
    let names: Vec<&str> = atoms.iter().map(|a| a.name.as_str()).collect();
    let torsions = backbone_torsions(&residues, &names);
    assert_eq!(torsions.len(), 18);
    let first: Vec<(&str, i64)> = torsions[0]
        .iter()
        .map(|&i| (names[i], residues[i]))
        .collect();
    assert_eq!(first, [("C", 1), ("N", 2), ("CA", 2), ("C", 2)]);
    let f = backbone_features(&torsions, &x);
    assert_eq!(f.len(), 36);
    for c in f.chunks(2) {
        assert!((c[0] * c[0] + c[1] * c[1] - 1.0).abs() < 1e-12);
    }
}
