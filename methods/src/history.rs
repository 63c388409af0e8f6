//! The history of a training run: one row per evaluation, and the run's status.

/// One evaluation point.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EvalRow {
    pub step: usize,
    /// Target evaluations spent on training so far (evaluation excluded).
    pub target_evals: u64,
    pub wall_s: f64,
    pub loss: f64,
    pub control_l2: Option<f64>,
    /// |log Ẑ − log Z|, where the problem knows log Z.
    pub abs_dlogz: Option<f64>,
    pub log_z: f64,
    /// 95% bootstrap interval of log Ẑ over the evaluation's paths (`eval::bootstrap_log_z`).
    pub log_z_lo: Option<f64>,
    pub log_z_hi: Option<f64>,
    /// The reference log Z the estimate is compared with (ground truth, or the oracle's).
    pub log_z_ref: Option<f64>,
    pub elbo: f64,
    pub ess: f64,
    pub sinkhorn: Option<f64>,
    pub tvd: Option<f64>,
    /// Cost functional J(u) of eq. 1 (discrete) and the problem's optimal value V, where known (LQR).
    pub cost: Option<f64>,
    pub optimal_cost: Option<f64>,
    /// The exact optimum of the simulated Euler–Maruyama chain (discrete Riccati), where known.
    pub discrete_optimal_cost: Option<f64>,
    /// Trust region: λ_i, β_{i+1}, predicted step KL (tilted weights), measured KL of the
    /// previous step on fresh paths, and the tilted weights' ESS.
    pub lambda: Option<f64>,
    pub beta: Option<f64>,
    pub step_kl: Option<f64>,
    pub measured_step_kl: Option<f64>,
    pub step_ess: Option<f64>,
    /// Metrics of the loss's own (`Loss::metrics`, e.g. lv-logz's learned log Z): extra columns
    /// after the standard ones, only in the histories of losses that report them.
    pub loss_metrics: Vec<(String, f64)>,
}

/// The bookkeeping of one trust-region refresh (Algorithm 2), recorded at every refresh whether or
/// not an evaluation follows it (`refreshes.csv`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefreshRow {
    /// Refresh index i (0-based).
    pub refresh: usize,
    /// Gradient steps taken before this refresh.
    pub step: usize,
    /// λ_i from the dual (or the fixed λ of the ablation).
    pub lambda: f64,
    /// β_{i+1} = 1 − Π_{j≤i} λ_j/(1+λ_j).
    pub beta: f64,
    /// Predicted step KL: KL(ŵ_λ ‖ uniform) of the tilted buffer weights (= ε when λ > 0).
    pub step_kl: f64,
    /// ESS of the tilted weights (≈ 1/(1+2ε) by construction).
    pub step_ess: f64,
    /// KL(P^{u_i} | P^{u_{i−1}}) that the previous refresh's updates actually reached, estimated
    /// on this refresh's fresh paths of u_i (none at the first refresh).
    pub measured_step_kl: Option<f64>,
    /// Normalised ESS of dP^{u_{i−1}}/dP^{u_i} on those paths: how well the old control's path
    /// measure covers the new one's.
    pub measured_step_ess: Option<f64>,
    /// Where u*_β is known ([`crate::annealed_kl`]): KL(P^{u_i} | P^{u*_{β_i}}), how far u_i is
    /// from the control the schedule says it should be.
    pub tracking_kl: Option<f64>,
    /// KL(P^{u*_{β_{i+1}}} | P^{u*_{β_i}}): the step of the schedule itself.
    pub schedule_kl: Option<f64>,
    /// KL(P^{u*_{β_{i+1}}} | P^{u_i}): how far this refresh's exact solution is from u_i.
    pub target_kl: Option<f64>,
    /// Where the target has modes and `tr.track_samples` > 0 ([`crate::tracking`]): u_i's
    /// terminal mode weights against those of the annealing path's p_{β_i}.
    #[serde(default)]
    pub tracking: Option<crate::tracking::PathTracking>,
    /// With `tr.holdout` > 0: the tilted loss after the refresh's updates on as many training
    /// paths as are held out, and on the held-out paths.
    #[serde(default)]
    pub train_loss: Option<f64>,
    #[serde(default)]
    pub heldout_loss: Option<f64>,
}

pub const REFRESH_CSV_HEADER: &str =
    "refresh,step,lambda,beta,step_kl,step_ess,measured_step_kl,measured_step_ess,tracking_kl,\
     schedule_kl,target_kl";

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    Finished,
    /// A NaN or exploding loss stopped the run; the message names method, step and seed.
    Diverged {
        step: usize,
        message: String,
    },
    /// Stopped on request (SIGTERM, or a test's stop point) after saving a checkpoint to resume
    /// from (`crate::checkpoint`).
    Interrupted {
        step: usize,
    },
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Finished => "finished",
            Status::Diverged { .. } => "diverged",
            Status::Interrupted { .. } => "interrupted",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct History {
    pub rows: Vec<EvalRow>,
    pub status: Status,
    /// `config.save_samples` samples X_T of the final control, row-major n × d (empty if none).
    pub samples: Vec<f64>,
    /// One row per trust-region refresh (empty for on-policy methods).
    pub refreshes: Vec<RefreshRow>,
}

pub const CSV_HEADER: &str = "step,target_evals,wall_s,loss,control_l2,abs_dlogz,log_z,elbo,ess,sinkhorn,tvd,lambda,beta,step_kl,measured_step_kl,step_ess,cost,optimal_cost,log_z_lo,log_z_hi,log_z_ref,discrete_optimal_cost";

/// A CSV cell: the value, or empty where it does not apply.
fn o(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

impl History {
    /// The history as CSV (empty cells where a metric does not apply).
    pub fn to_csv(&self) -> String {
        // The loss's own columns, in order of first appearance.
        let mut extra: Vec<&str> = Vec::new();
        for (name, _) in self.rows.iter().flat_map(|r| &r.loss_metrics) {
            if !extra.contains(&name.as_str()) {
                extra.push(name);
            }
        }
        let mut s = String::from(CSV_HEADER);
        for name in &extra {
            s.push(',');
            s.push_str(name);
        }
        s.push('\n');
        for r in &self.rows {
            s.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.step,
                r.target_evals,
                r.wall_s,
                r.loss,
                o(r.control_l2),
                o(r.abs_dlogz),
                r.log_z,
                r.elbo,
                r.ess,
                o(r.sinkhorn),
                o(r.tvd),
                o(r.lambda),
                o(r.beta),
                o(r.step_kl),
                o(r.measured_step_kl),
                o(r.step_ess),
                o(r.cost),
                o(r.optimal_cost),
                o(r.log_z_lo),
                o(r.log_z_hi),
                o(r.log_z_ref),
                o(r.discrete_optimal_cost)
            ));
            for name in &extra {
                let v = r.loss_metrics.iter().find(|(n, _)| n == name);
                s.push(',');
                s.push_str(&o(v.map(|(_, v)| *v)));
            }
            s.push('\n');
        }
        s
    }

    /// `refreshes` as CSV (empty cells where a value does not apply). The path-tracking and
    /// held-out columns follow the standard ones only where some refresh has them.
    pub fn refreshes_csv(&self) -> String {
        let tracked = self.refreshes.iter().any(|r| r.tracking.is_some());
        let held = self.refreshes.iter().any(|r| r.heldout_loss.is_some());
        let mut s = String::from(REFRESH_CSV_HEADER);
        if tracked {
            s.push_str(",path_tvd,mode_tvd,modes_u,modes_path");
        }
        if held {
            s.push_str(",train_loss,heldout_loss");
        }
        s.push('\n');
        for r in &self.refreshes {
            s.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}",
                r.refresh,
                r.step,
                r.lambda,
                r.beta,
                r.step_kl,
                r.step_ess,
                o(r.measured_step_kl),
                o(r.measured_step_ess),
                o(r.tracking_kl),
                o(r.schedule_kl),
                o(r.target_kl)
            ));
            if tracked {
                match &r.tracking {
                    Some(t) => s.push_str(&format!(
                        ",{},{},{},{}",
                        t.path_tvd,
                        t.mode_tvd,
                        crate::tracking::join(&t.modes_u),
                        crate::tracking::join(&t.modes_path)
                    )),
                    None => s.push_str(",,,,"),
                }
            }
            if held {
                s.push_str(&format!(",{},{}", o(r.train_loss), o(r.heldout_loss)));
            }
            s.push('\n');
        }
        s
    }

    /// `samples` as CSV with columns x0 … x{d−1}.
    pub fn samples_csv(&self, d: usize) -> String {
        let header: Vec<String> = (0..d).map(|i| format!("x{i}")).collect();
        let mut s = header.join(",");
        s.push('\n');
        for row in self.samples.chunks(d) {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:.5}")).collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        s
    }

    pub fn last(&self) -> Option<&EvalRow> {
        self.rows.last()
    }

    /// Best (smallest) value of a metric over the run.
    pub fn best(&self, f: impl Fn(&EvalRow) -> Option<f64>) -> Option<f64> {
        self.rows
            .iter()
            .filter_map(f)
            .filter(|v| v.is_finite())
            .reduce(f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loss's own metrics become extra columns after the standard ones, empty in rows without
    /// them; a history without any keeps the standard header.
    #[test]
    fn loss_metrics_are_extra_columns() {
        let mut h = History {
            rows: vec![EvalRow::default(), EvalRow::default()],
            status: Status::Finished,
            samples: Vec::new(),
            refreshes: Vec::new(),
        };
        let plain = h.to_csv();
        assert_eq!(plain.lines().next(), Some(CSV_HEADER));
        h.rows[1].loss_metrics = vec![("loss_log_z".into(), 1.5)];
        let csv = h.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], format!("{CSV_HEADER},loss_log_z"));
        assert!(
            lines[1].ends_with(',') && lines[2].ends_with(",1.5"),
            "{csv}"
        );
        assert_eq!(lines[1].strip_suffix(','), plain.lines().nth(1));
    }
}
