//! Mode weights along the trust region's annealing path for a 2-d Gaussian-mixture target.
//!
//! Algorithm 2's refresh i reaches (at best) the path measure ∝ e^{−β_{i+1}W} dP (Prop. 2.2). For
//! the DDS problems W = log(p_prior/ρ)(X_T) + const, so its terminal law is the geometric mixture
//! p_β ∝ p_prior^{1−β} ρ^β of the prior N(0, η²I) and the target. This computes, by quadrature on a
//! grid, the mass p_β puts in each of the target's modes (nearest-component assignment, as the TVD
//! metric does) and the TVD ½ Σ_k |π_k − π_k(β)| against the target's weights.
//!
//! In d > 2 (`gmm <d>`) the grid is out of reach; the mode weights then come from importance
//! sampling of p_β (40 000 draws from a defensive mixture of the prior and each component's
//! tilt; its ESS is printed), beside the closed form of each component's tilt,
//! ∫ N(x; 0, η²I)^{1−β} (π_k N(x; μ_k, Σ_k))^β dx, which treats (Σ_k π_k N_k)^β as
//! Σ_k (π_k N_k)^β: exact at β = 1, an approximation at small β (the last column: its TVD from
//! the importance estimate).
//!
//! `cargo run --release -p socbench-targets --example annealed_modes [gmm40|gmm] [h]`
//! `cargo run --release -p socbench-targets --example annealed_modes gmm <d>` (d > 2)
//! `cargo run --release -p socbench-targets --example annealed_modes gmm40 closed` (the closed
//! form where the grid checks it)
//!
//! The computations live in `socbench_targets::annealed_modes`, which training uses per refresh
//! (`tr.track_samples`).

use socbench_targets::annealed_modes::{closed_form, importance, tvd, Grid};
use socbench_targets::gmm::GaussianMixture;
use socbench_targets::Target;

const HEADER: &str =
    "β\tTVD ½Σ|π−π(β)|\tmodes with ≥ 1% of the target's weight kept\tlargest mode weight";
const BETAS: [f64; 10] = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.96, 0.99, 0.999, 1.0];

/// One line of the table: the TVD of the mode weights `w` of p_β against the target's `pi`, how
/// many modes keep ≥ 1% of their weight, and the largest mode weight.
fn print_row(beta: f64, w: &[f64], pi: &[f64]) {
    println!("{}", row(beta, w, pi));
}

fn row(beta: f64, w: &[f64], pi: &[f64]) -> String {
    let tvd = socbench_targets::annealed_modes::tvd(w, pi);
    let kept = w.iter().zip(pi).filter(|(a, b)| **a >= 0.01 * **b).count();
    let top = w.iter().copied().fold(0.0, f64::max);
    format!("{beta}\t{tvd:.3}\t{kept} of {}\t{top:.3}", pi.len())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("gmm40", String::as_str);
    let arg2 = args.get(2).map(String::as_str);
    let target = match (name, arg2.and_then(|s| s.parse::<usize>().ok())) {
        ("gmm40", _) => GaussianMixture::gmm40(2),
        ("gmm", Some(d)) if d > 2 => GaussianMixture::paper_gmm(d),
        ("gmm", _) => GaussianMixture::paper_gmm(2),
        (other, _) => {
            eprintln!("unknown target `{other}`: allowed gmm40, gmm [d]");
            std::process::exit(2);
        }
    };
    let pi = target.mixture_weights().to_vec();
    let (d, eta) = (target.dim(), target.prior_std());
    if d > 2 || arg2 == Some("closed") {
        if arg2 == Some("closed") {
            println!("{name} (d = {d}), prior η = {eta}, closed form per component");
            println!("{HEADER}");
            for beta in BETAS {
                print_row(beta, &closed_form(&target, beta), &pi);
            }
            return;
        }
        println!("{name} (d = {d}), prior η = {eta}, importance sampling (see the module doc)");
        println!("{HEADER}\tESS\tTVD to the closed form");
        let mut rng = socbench_harness::seed::stream(&["annealed_modes", "example"]);
        for beta in [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0] {
            let (w, ess) = importance(&target, beta, 40_000, &mut rng);
            let cf = tvd(&w, &closed_form(&target, beta));
            println!("{}\t{ess:.3}\t{cf:.3}", row(beta, &w, &pi));
        }
        return;
    }
    let h: f64 = arg2.map_or(0.25, |s| s.parse().expect("grid step"));
    let grid = Grid::new(&target, h);
    println!("{name} (d = 2), prior η = {eta}, quadrature grid step {h}");
    println!("{HEADER}");
    for beta in BETAS {
        print_row(beta, &grid.weights(beta), &pi);
    }
}
