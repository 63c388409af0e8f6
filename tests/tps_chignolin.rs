//! Chignolin as a TPS system (targets/src/tps/chignolin.rs): the TICA hit region against the
//! structures it was fitted to, the steering coordinates' gradients against central differences,
//! the shipped torsions against mdtraj's definition read from the PDB, and the registry entry.

use std::time::Instant;

use socbench::harness::seed::stream;
use socbench::targets::molecule::tica::backbone_torsions;
use socbench::targets::molecule::{chignolin_files, parse_pdb};
use socbench::targets::tps::baselines::{smd, umd};
use socbench::targets::tps::{self, PathMetrics};

/// The shipped model's torsions are the backbone φ/ψ of the folded PDB as mdtraj defines them.
#[test]
fn shipped_torsions_are_the_backbone_torsions() {
    let (_, folded, _) = chignolin_files();
    let atoms = parse_pdb(folded).unwrap();
    let residues: Vec<i64> = atoms.iter().map(|a| a.residue_number).collect();
    let names: Vec<&str> = atoms.iter().map(|a| a.name.as_str()).collect();
    let torsions = backbone_torsions(&residues, &names);
    assert_eq!(torsions.len(), 18, "9 φ + 9 ψ of ten residues");
    let file: serde_json::Value = serde_json::from_str(tps::chignolin::shipped_tica()).unwrap();
    let shipped: Vec<[usize; 4]> = serde_json::from_value(file["torsions"].clone()).unwrap();
    assert_eq!(shipped, torsions);
}

/// The folded target hits and the unfolded start does not; the plotted coordinates are the TICs
/// the fit recorded for both structures; RMSD is 0 at the target.
#[test]
fn the_tica_region_separates_the_states() {
    let sys = tps::build("chignolin").unwrap();
    assert_eq!(
        (sys.dim(), sys.steps(), sys.feature_dim()),
        (414, 5000, 552)
    );
    assert!(sys.hits(sys.target()));
    assert!(!sys.hits(sys.start()));
    assert!(sys.rmsd(sys.target()) < 1e-9);
    let rmsd0 = sys.rmsd(sys.start());
    assert!(rmsd0 > 3.0, "unfolded is {rmsd0} Å from folded");
    let file: serde_json::Value = serde_json::from_str(tps::chignolin::shipped_tica()).unwrap();
    let recorded = |key: &str| -> [f64; 2] { serde_json::from_value(file[key].clone()).unwrap() };
    let (target, radius) = sys.target_cvs();
    assert_eq!(radius, 0.75);
    for (got, want) in [
        (target, recorded("folded_tics")),
        (sys.cvs(sys.start()), recorded("unfolded_tics")),
    ] {
        for j in 0..2 {
            assert!((got[j] - want[j]).abs() < 1e-9, "{got:?} against {want:?}");
        }
    }
    let d = ((target[0] - sys.cvs(sys.start())[0]).powi(2)
        + (target[1] - sys.cvs(sys.start())[1]).powi(2))
    .sqrt();
    assert!(d > 0.75, "the states are {d} apart in TIC space");
}

/// ∇TIC (used by SMD) against central differences of the TICs at the start, the target and a
/// point between them.
#[test]
fn steering_gradients_match_central_differences() {
    let sys = tps::build("chignolin").unwrap();
    let dim = sys.dim();
    let mid: Vec<f64> = sys
        .start()
        .iter()
        .zip(sys.target())
        .map(|(a, b)| 0.5 * (a + b))
        .collect();
    let mut grads = vec![0.0; 2 * dim];
    let mut scratch = vec![0.0; 2 * dim];
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    let mut largest: f64 = 0.0;
    for x in [sys.start().to_vec(), sys.target().to_vec(), mid] {
        let cv = sys.steering_cvs(&x, &mut grads).unwrap();
        assert_eq!(cv, sys.cvs(&x), "SMD steers on the plotted TICs");
        for i in 0..dim {
            let mut xp = x.clone();
            let mut xm = x.clone();
            xp[i] += h;
            xm[i] -= h;
            let (p, m) = (
                sys.steering_cvs(&xp, &mut scratch).unwrap(),
                sys.steering_cvs(&xm, &mut scratch).unwrap(),
            );
            for j in 0..2 {
                let fd = (p[j] - m[j]) / (2.0 * h);
                worst = worst.max((fd - grads[j * dim + i]).abs());
                largest = largest.max(grads[j * dim + i].abs());
            }
        }
    }
    assert!(largest > 0.1, "gradients vanish: {largest}");
    assert!(worst < 1e-6 * largest, "{worst} against {largest}");
}

/// A malformed TICA model is an error naming it, not a panic.
#[test]
fn a_malformed_tica_model_is_an_error() {
    let (system, folded, unfolded) = chignolin_files();
    let e = tps::chignolin::new(system, unfolded, folded, "{\"torsions\": []}").err();
    assert!(e.unwrap().to_string().contains("tica model"));
    let bad = r#"{"torsions": [[0,1,2,999]], "tica": {"lag": 1, "mean": [0,0],
        "eigenvalues": [0.5, 0.4], "eigenvectors": [[1,0],[0,1]]}}"#;
    let e = tps::chignolin::new(system, unfolded, folded, bad).err();
    assert!(e.unwrap().to_string().contains("tica torsions"));
}

/// The cost of the inner loop and what u = 0, UMD and SMD do on a few paths (measured, not
/// asserted): `cargo test --release --test tps_chignolin -- --ignored --nocapture`.
#[test]
#[ignore]
fn chignolin_probe() {
    let sys = tps::build("chignolin").unwrap();
    let n: usize = std::env::var("PROBE_PATHS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let show = |what: &str, set: &tps::PathSet, s: f64| {
        let m = PathMetrics::of(sys.as_ref(), set).summary();
        let last: Vec<[f64; 2]> = (0..set.n)
            .map(|i| sys.cvs(set.frame(i, set.steps)))
            .collect();
        println!("{what}: {s:.1} s for {n} paths; {m:?}; last TICs {last:.2?}");
    };
    let t = Instant::now();
    let set = umd(sys.as_ref(), n, 300.0, &mut stream(&["probe", "md"]));
    show("u = 0 (300 K)", &set, t.elapsed().as_secs_f64());
    let t = Instant::now();
    let set = umd(sys.as_ref(), n, 1200.0, &mut stream(&["probe", "umd"]));
    show("UMD 1200 K", &set, t.elapsed().as_secs_f64());
    for k in [100.0, 1000.0, 10000.0] {
        let t = Instant::now();
        let set = smd(sys.as_ref(), n, k, &mut stream(&["probe", "smd"])).unwrap();
        show(&format!("SMD k = {k}"), &set, t.elapsed().as_secs_f64());
    }
}
