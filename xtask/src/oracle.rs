//! `cargo xtask oracle`: the discretisation floor of every target, as a table or CSV.

use clap::{Args, ValueEnum};
use socbench_targets::oracle::{oracle, OracleConfig, OracleRow};
use tabled::builder::Builder;

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub enum Format {
    Table,
    Csv,
}

#[derive(Args, Debug)]
pub struct OracleArgs {
    /// Targets to include (comma-separated): gmm, manywell, gmm40, funnel, gaussian.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "gmm,manywell,gmm40,funnel"
    )]
    targets: Vec<String>,
    /// Dimensions (comma-separated); default: each target's paper dimensions.
    #[arg(long, value_delimiter = ',')]
    dims: Option<Vec<usize>>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Number of discretisation steps.
    #[arg(long, default_value_t = 50)]
    steps: usize,
    /// Number of simulated paths (and target samples).
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// Sinkhorn ε relative to the target cloud's mean squared pairwise distance.
    #[arg(long, default_value_t = 1e-2)]
    sinkhorn_eps_rel: f64,
    /// Seed of the simulation streams.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn paper_dims(target: &str) -> Vec<usize> {
    match target {
        "gmm" => vec![2, 10, 50, 100, 150, 200],
        "manywell" => vec![2, 50, 100, 200],
        "funnel" => vec![10],
        _ => vec![2],
    }
}

const METRICS: [&str; 7] = [
    "logz_ref",
    "abs_dlogz",
    "ess",
    "control_l2",
    "control_l2_u0",
    "sinkhorn",
    "tvd",
];

pub fn run(args: OracleArgs) -> Result<(), String> {
    for t in &args.targets {
        if !socbench_targets::names().contains(&t.as_str()) {
            return Err(format!(
                "unknown target `{t}` in --targets: expected one of {}",
                socbench_targets::names().join(", ")
            ));
        }
    }
    if args.samples < 2 {
        return Err(format!(
            "invalid `--samples` = {}: allowed range is >= 2",
            args.samples
        ));
    }
    let mut cfg = OracleConfig {
        steps: args.steps,
        samples: args.samples,
        seed: args.seed,
        ..Default::default()
    };
    cfg.sinkhorn.epsilon_rel = args.sinkhorn_eps_rel;
    let device = socbench_harness::backend::flex();
    let mut rows: Vec<OracleRow> = Vec::new();
    for t in &args.targets {
        let dims = args.dims.clone().unwrap_or_else(|| paper_dims(t));
        for d in dims {
            eprintln!("oracle: {t} d={d} ...");
            rows.push(oracle(t, d, &cfg, &device).map_err(|e| e.to_string())?);
        }
    }
    match args.format {
        Format::Csv => {
            println!("target,dim,metric,value");
            for r in &rows {
                for (m, v) in &r.metrics {
                    println!("{},{},{},{}", r.target, r.dim, m, v);
                }
            }
        }
        Format::Table => {
            let mut b = Builder::default();
            let mut header = vec!["target".to_string(), "d".into(), "control".into()];
            header.extend(METRICS.iter().map(|s| s.to_string()));
            b.push_record(header);
            for r in &rows {
                let mut rec = vec![r.target.clone(), r.dim.to_string(), r.control.to_string()];
                for m in METRICS {
                    rec.push(
                        r.metrics
                            .iter()
                            .find(|(k, _)| *k == m)
                            .map(|(_, v)| format!("{v:.4}"))
                            .unwrap_or_else(|| "–".into()),
                    );
                }
                b.push_record(rec);
            }
            println!("{}", b.build());
            println!(
                "{} paths, {} exponential-integrator steps; control_l2_u0 is the error of u = 0 (the scale of the problem); \
                 tvd = ½Σ|π−π̂| (the paper's eq. 63 is twice this).",
                cfg.samples, cfg.steps
            );
        }
    }
    Ok(())
}
