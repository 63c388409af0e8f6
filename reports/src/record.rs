//! The machine-readable lines of a report (issue 40, point 6): every report ends with one
//! `<!-- socbench-report {json} -->` line (experiment, profile, cells, run time, commits,
//! machine) and carries one `<!-- socbench-claim {json} -->` line per judged claim, written
//! where the verdict is printed so that the two cannot disagree. HTML comments do not render;
//! `cargo xtask report --all` reads them back into `reports/index.md`.

use serde::{Deserialize, Serialize};

use crate::rules::{Judged, Verdict};

/// One judged claim of a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// The catalogue's id (`experiments/reference/claims.toml`).
    pub id: String,
    /// Where in the report (a panel, a target, an arm), empty for the whole claim.
    #[serde(default)]
    pub at: String,
    /// Our value(s), as the report prints them.
    pub ours: String,
    /// "holds", "holds partly (k of n points)", "does not hold", "inconclusive" or "cannot be
    /// judged here".
    pub verdict: String,
    pub reason: String,
}

/// Where a report's runs come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub experiment: String,
    pub profile: String,
    /// Finished runs the report reads.
    pub cells: usize,
    /// Run time summed over the cells, in minutes (not the wall clock of the sweep).
    pub run_min: f64,
    /// The commits the runs were made at.
    pub run_commits: Vec<String>,
    /// The commit that wrote the report.
    pub report_commit: String,
    /// The machine that wrote the report.
    pub machine: String,
}

const CLAIM: &str = "<!-- socbench-claim ";
const REPORT: &str = "<!-- socbench-report ";

/// A verdict's label without the markdown emphasis.
pub fn plain(v: &Verdict) -> String {
    v.label().replace("**", "")
}

/// JSON that cannot close the comment early.
fn json<T: Serialize>(x: &T) -> String {
    serde_json::to_string(x)
        .unwrap_or_default()
        .replace("-->", "--\\u003e")
}

/// The hidden line of one judged claim (ends with a newline).
pub fn claim_line(id: &str, at: &str, ours: &str, j: &Judged) -> String {
    let rec = ClaimRecord {
        id: id.into(),
        at: at.into(),
        ours: ours.into(),
        verdict: plain(&j.verdict),
        reason: j.reason.clone(),
    };
    format!("{CLAIM}{} -->\n", json(&rec))
}

/// A claim judged at several points: its hidden line, then "n. claim: verdict (reason)" and one
/// line per point, each with its own verdict and reason.
pub fn claim_block(n: usize, id: &str, claim: &str, points: &[(String, Judged)]) -> String {
    use std::fmt::Write as _;
    let js: Vec<Judged> = points.iter().map(|p| p.1.clone()).collect();
    let all = crate::rules::combine(&js);
    let at: Vec<&str> = points.iter().map(|p| p.0.as_str()).collect();
    let mut md = claim_line(id, "", &format!("judged at {}", at.join("; ")), &all);
    let _ = writeln!(md, "{n}. {claim}: {} ({})", all.verdict.label(), all.reason);
    for (at, j) in points {
        let _ = writeln!(md, "   - {at}: {}", j.text());
    }
    md.push('\n');
    md
}

/// The hidden line of a report (ends with a newline).
pub fn report_line(r: &ReportRecord) -> String {
    format!("\n{REPORT}{} -->\n", json(r))
}

/// The records of one report's markdown: its report line (if any) and its claims.
pub fn parse(md: &str) -> Result<(Option<ReportRecord>, Vec<ClaimRecord>), String> {
    let mut report = None;
    let mut claims = Vec::new();
    for line in md.lines() {
        let line = line.trim();
        let body = |p: &str| line.strip_prefix(p).and_then(|l| l.strip_suffix("-->"));
        if let Some(b) = body(CLAIM) {
            claims.push(serde_json::from_str(b.trim()).map_err(|e| format!("{line}: {e}"))?);
        } else if let Some(b) = body(REPORT) {
            report = Some(serde_json::from_str(b.trim()).map_err(|e| format!("{line}: {e}"))?);
        }
    }
    Ok((report, claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_round_trip_through_markdown() {
        let j = Judged::new(Verdict::Partly { held: 1, of: 2 }, "a --> b; \"quoted\"");
        let r = ReportRecord {
            experiment: "fig11".into(),
            profile: "cpu".into(),
            cells: 24,
            run_min: 27.5,
            run_commits: vec!["abc".into()],
            report_commit: "def".into(),
            machine: "Intel Xeon, 2 cores".into(),
        };
        let md = format!(
            "# title\n\n{}text\n{}",
            claim_line("fig11-3", "ou-hard d = 100", "0.8 ± 0.1", &j),
            report_line(&r)
        );
        let (rep, claims) = parse(&md).unwrap();
        assert_eq!(rep, Some(r));
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].verdict, "holds partly (1 of 2 points)");
        assert_eq!(claims[0].reason, "a --> b; \"quoted\"");
        assert!(parse("<!-- socbench-claim {bad -->").is_err());
    }
}
