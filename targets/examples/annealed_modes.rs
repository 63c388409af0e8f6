//! Mode weights along the trust region's annealing path for a 2-d Gaussian-mixture target.
//!
//! Algorithm 2's refresh i reaches (at best) the path measure ∝ e^{−β_{i+1}W} dP (Prop. 2.2). For
//! the DDS problems W = log(p_prior/ρ)(X_T) + const, so its terminal law is the geometric mixture
//! p_β ∝ p_prior^{1−β} ρ^β of the prior N(0, η²I) and the target. This computes, by quadrature on a
//! grid, the mass p_β puts in each of the target's modes (nearest-component assignment, as the TVD
//! metric does) and the TVD ½ Σ_k |π_k − π_k(β)| against the target's weights.
//!
//! In d > 2 (`gmm <d>`) the grid is out of reach; the mode weights then come from the closed form
//! of each component's tilt, ∫ N(x; 0, η²I)^{1−β} (π_k N(x; μ_k, Σ_k))^β dx, which treats
//! (Σ_k π_k N_k)^β as Σ_k (π_k N_k)^β: exact at β = 1 and where the components do not overlap
//! (high d), an approximation at small β.
//!
//! `cargo run --release -p socbench-targets --example annealed_modes [gmm40|gmm] [half-width] [h]`
//! `cargo run --release -p socbench-targets --example annealed_modes gmm <d>` (d > 2)
//! `cargo run --release -p socbench-targets --example annealed_modes gmm40 closed` (the closed
//! form where the grid checks it)

use socbench_harness::problem::ModeStructure;
use socbench_harness::tensor_util::logsumexp;
use socbench_targets::gmm::GaussianMixture;
use socbench_targets::Target;

const HEADER: &str =
    "β\tTVD ½Σ|π−π(β)|\tmodes with ≥ 1% of the target's weight kept\tlargest mode weight";

/// One line of the table: the TVD of the mode weights `w` of p_β against the target's `pi`, how
/// many modes keep ≥ 1% of their weight, and the largest mode weight.
fn print_row(beta: f64, w: &[f64], pi: &[f64]) {
    let tvd = 0.5 * w.iter().zip(pi).map(|(a, b)| (a - b).abs()).sum::<f64>();
    let kept = w.iter().zip(pi).filter(|(a, b)| **a >= 0.01 * **b).count();
    let top = w.iter().copied().fold(0.0, f64::max);
    println!("{beta}\t{tvd:.3}\t{kept} of {}\t{top:.3}", pi.len());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let name = args.get(1).map_or("gmm40", String::as_str);
    if name == "gmm40" && args.get(2).map(String::as_str) == Some("closed") {
        // The closed form where the grid can check it (d = 2, separated components).
        return closed_form(&GaussianMixture::gmm40(2));
    }
    if name == "gmm" {
        if let Some(d) = args
            .get(2)
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|d| *d > 2)
        {
            return closed_form(&GaussianMixture::paper_gmm(d));
        }
    }
    let half: f64 = args.get(2).map_or(70.0, |s| s.parse().expect("half-width"));
    let h: f64 = args.get(3).map_or(0.1, |s| s.parse().expect("grid step"));
    let target = match name {
        "gmm40" => GaussianMixture::gmm40(2),
        "gmm" => GaussianMixture::paper_gmm(2),
        other => {
            eprintln!("unknown target `{other}`: allowed gmm40, gmm (d = 2)");
            std::process::exit(2);
        }
    };
    let eta = target.prior_std();
    let n = (2.0 * half / h).round() as usize;
    let mut pts = Vec::with_capacity(n * n * 2);
    for i in 0..n {
        for j in 0..n {
            pts.push(-half + (i as f64 + 0.5) * h);
            pts.push(-half + (j as f64 + 0.5) * h);
        }
    }
    let m = n * n;
    let log_rho: Vec<f64> = pts
        .chunks(2)
        .map(|x| target.log_marginal_f64(x, 1.0, 0.0))
        .collect();
    let log_prior: Vec<f64> = pts
        .chunks(2)
        .map(|x| -(x[0] * x[0] + x[1] * x[1]) / (2.0 * eta * eta))
        .collect();
    let modes = target.assign(&pts, m);
    let pi = target.weights().to_vec();
    let k = pi.len();
    println!("{name} (d = 2), prior η = {eta}, grid [−{half}, {half}]² step {h}");
    println!("{HEADER}");
    for beta in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.96, 0.99, 0.999, 1.0] {
        let lp: Vec<f64> = (0..m)
            .map(|i| (1.0 - beta) * log_prior[i] + beta * log_rho[i])
            .collect();
        let z = logsumexp(&lp);
        let mut w = vec![0.0; k];
        for i in 0..m {
            w[modes[i]] += (lp[i] - z).exp();
        }
        print_row(beta, &w, &pi);
    }
}

/// log ∫ N(x; 0, η²I)^{1−β} (π N(x; μ, Σ))^β dx for one component, in f64.
fn log_tilt(eta: f64, pi: f64, mu: &[f64], cov: &[f64], beta: f64) -> f64 {
    use nalgebra::{DMatrix, DVector};
    let d = mu.len();
    let ln2pi = (2.0 * std::f64::consts::PI).ln();
    let sigma = DMatrix::from_row_slice(d, d, cov);
    let sigma_inv = sigma.clone().try_inverse().expect("Σ is positive definite");
    let mu = DVector::from_column_slice(mu);
    let prec = DMatrix::<f64>::identity(d, d) * ((1.0 - beta) / (eta * eta)) + &sigma_inv * beta;
    let h = &sigma_inv * &mu * beta;
    let chol = prec
        .clone()
        .cholesky()
        .expect("precision is positive definite");
    let logdet_prec = 2.0 * chol.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
    let logdet_sigma = 2.0
        * sigma
            .cholesky()
            .expect("Σ")
            .l()
            .diagonal()
            .iter()
            .map(|v| v.ln())
            .sum::<f64>();
    let quad_mu = (mu.transpose() * &sigma_inv * &mu)[(0, 0)];
    let quad_h = (h.transpose() * chol.solve(&h))[(0, 0)];
    beta * pi.ln()
        - (1.0 - beta) * 0.5 * d as f64 * (ln2pi + 2.0 * eta.ln())
        - beta * 0.5 * (d as f64 * ln2pi + logdet_sigma + quad_mu)
        + 0.5 * d as f64 * ln2pi
        - 0.5 * logdet_prec
        + 0.5 * quad_h
}

fn closed_form(target: &GaussianMixture) {
    let eta = target.prior_std();
    let pi = target.mixture_weights().to_vec();
    let k = pi.len();
    let d = target.dim();
    let name = target.name();
    println!("{name} (d = {d}), prior η = {eta}, closed form per component (see the module doc)");
    println!("{HEADER}");
    for beta in [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.96, 0.99, 0.999, 1.0] {
        let lc: Vec<f64> = (0..k)
            .map(|j| log_tilt(eta, pi[j], target.mean(j), &target.covariance(j), beta))
            .collect();
        let z = logsumexp(&lc);
        let w: Vec<f64> = lc.iter().map(|l| (l - z).exp()).collect();
        print_row(beta, &w, &pi);
    }
}
