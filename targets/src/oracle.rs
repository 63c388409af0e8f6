//! The discretisation floor of each target: simulate its analytic optimal control (GMM family:
//! u* of eq. 51) or, where none is known, the u = 0 baseline, with the default discretisation,
//! and report the metrics of App. E.2.

use std::sync::Arc;

use socbench_harness::backend::Device;
use socbench_harness::control::{Control, ZeroControl};
use socbench_harness::error::TargetError;
use socbench_harness::metrics::{
    control_l2, mode_tvd, sinkhorn_divergence, LogWeightStats, SinkhornConfig,
};
use socbench_harness::rng::StreamKey;
use socbench_harness::simulate::{simulate, SimOptions};
use socbench_harness::tensor_util::to_f64;

use crate::sampling::{OptimalGmmControl, SamplingProblem};
use crate::{build, TargetSpec};

/// One row of the oracle table: a metric of one (target, d).
#[derive(Clone, Debug, PartialEq)]
pub struct OracleRow {
    pub target: String,
    pub dim: usize,
    /// "u*" or "u=0".
    pub control: &'static str,
    pub metrics: Vec<(&'static str, f64)>,
}

/// Settings of the oracle run.
#[derive(Clone, Debug)]
pub struct OracleConfig {
    pub steps: usize,
    pub samples: usize,
    pub seed: u64,
    pub sinkhorn: SinkhornConfig,
}

impl Default for OracleConfig {
    fn default() -> Self {
        Self {
            steps: 50,
            samples: 2000,
            seed: 0,
            sinkhorn: SinkhornConfig::default(),
        }
    }
}

/// Runs the oracle for one target and dimension.
pub fn oracle(
    name: &str,
    dim: usize,
    cfg: &OracleConfig,
    device: &Device,
) -> Result<OracleRow, TargetError> {
    let target: Arc<dyn crate::Target> = Arc::from(build(&TargetSpec::new(name, dim))?);
    let problem = SamplingProblem::new(target.clone(), cfg.steps)
        .map_err(|e| TargetError::range("steps", cfg.steps, e.to_string()))?;
    let key = StreamKey::new("oracle", "oracle", dim, cfg.seed);
    let ustar = OptimalGmmControl::new(&problem);
    let u: &dyn Control = match &ustar {
        Some(c) => c,
        None => &ZeroControl,
    };
    let clock = std::time::Instant::now();
    let traj = simulate(
        &problem,
        u,
        cfg.samples,
        &mut key.stream("sim"),
        device,
        SimOptions::default(),
    );
    let stats = LogWeightStats::from_log_weights(&to_f64(traj.log_weights()));
    let mut metrics = vec![("ess", stats.ess)];
    if let Some(log_z) = target.log_z() {
        metrics.splice(
            0..0,
            [("logz_ref", log_z), ("abs_dlogz", stats.abs_dlogz(log_z))],
        );
    }
    if let Some(us) = &ustar {
        // The oracle control is u* itself, so its control L2 error is exactly 0 (no simulation
        // needed); `control_l2_u0`, the error of the initial control u0 = 0, gives the scale.
        metrics.push(("control_l2", 0.0));
        metrics.push((
            "control_l2_u0",
            control_l2(
                &problem,
                us,
                &ZeroControl,
                cfg.samples,
                &mut key.stream("l2"),
                device,
            ),
        ));
    }
    let t_sim = clock.elapsed().as_secs_f64();
    let xs = to_f64(traj.final_state());
    if let Some(ys) = target.sample(cfg.samples, &mut key.stream("target-samples")) {
        let clock = std::time::Instant::now();
        let sk = sinkhorn_divergence(&xs, cfg.samples, &ys, cfg.samples, dim, &cfg.sinkhorn);
        eprintln!(
            "  {name} d={dim}: simulation+L2 {t_sim:.1}s, sinkhorn {:.1}s (eps {:.3e}, {} iterations, converged: {})",
            clock.elapsed().as_secs_f64(),
            sk.epsilon,
            sk.iterations,
            sk.converged
        );
        metrics.push(("sinkhorn", sk.divergence));
    }
    if let Some(modes) = target.modes() {
        metrics.push(("tvd", mode_tvd(modes, &xs, cfg.samples)));
    }
    Ok(OracleRow {
        target: name.to_string(),
        dim,
        control: if ustar.is_some() { "u*" } else { "u=0" },
        metrics,
    })
}
