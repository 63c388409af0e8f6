//! `reports/index.md`, the page a reviewer reads first (issue 40, point 6): one row per claim of
//! the three papers (the catalogue `experiments/reference/claims.toml`) with every verdict that
//! a committed report gives it, and one row per report with where its runs come from. Both are
//! read from the reports' hidden record lines ([`crate::record`]), so the index cannot say
//! what the reports do not.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::record::{self, ClaimRecord, ReportRecord};

/// One claim of a paper.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    /// `trust-region`, `log-variance` or `pinn`.
    pub paper: String,
    pub claim: String,
    pub paper_value: String,
    /// Why no report judges it.
    #[serde(default)]
    pub not_here: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    claim: Vec<Entry>,
}

/// The catalogue, with its ids checked unique.
pub fn catalogue(path: &Path) -> Result<Vec<Entry>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let c: Catalogue = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut seen = std::collections::BTreeSet::new();
    for e in &c.claim {
        if !seen.insert(e.id.clone()) {
            return Err(format!(
                "{}: claim id `{}` appears twice",
                path.display(),
                e.id
            ));
        }
    }
    Ok(c.claim)
}

/// Every `<stem>.md` under `dir` (but the index) with its records, by stem.
type Parsed = BTreeMap<String, (Option<ReportRecord>, Vec<ClaimRecord>)>;

fn read_reports(dir: &Path) -> Result<Parsed, String> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if p.extension().is_none_or(|x| x != "md") || stem == "index" {
            continue;
        }
        let md = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let parsed = record::parse(&md).map_err(|e| format!("{}: {e}", p.display()))?;
        out.insert(stem.to_string(), parsed);
    }
    Ok(out)
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

const PAPERS: [(&str, &str); 3] = [
    (
        "trust-region",
        "Trust Region Constrained Measure Transport in Path Space (the main paper)",
    ),
    (
        "log-variance",
        "Improved sampling via learned diffusions (log-variance loss, arXiv 2307.01198)",
    ),
    ("pinn", "PINN losses for sampling (arXiv 2407.07873)"),
];

/// The index's markdown from the catalogue and the reports under `dir`; an error names a
/// report whose claim id the catalogue lacks.
pub fn index(catalogue_path: &Path, dir: &Path) -> Result<String, String> {
    let entries = catalogue(catalogue_path)?;
    let reports = read_reports(dir)?;
    for (stem, (_, claims)) in &reports {
        if let Some(c) = claims
            .iter()
            .find(|c| !entries.iter().any(|e| e.id == c.id))
        {
            return Err(format!(
                "reports/{stem}.md judges claim `{}`, which {} lacks",
                c.id,
                catalogue_path.display()
            ));
        }
    }
    let mut md = String::from(
        "# socbench: every claim and every report\n\nWritten by `cargo xtask report --all` from \
         the hidden record lines of the committed reports and the claim catalogue \
         (`experiments/reference/claims.toml`). A verdict follows the rules every report states \
         (`reports/src/rules/`): a comparison needs an absolute anchor (u = 0, the initial model \
         or the paper's value) and a difference beyond the seeds' noise at 5 %; fewer than 3 \
         seeds are at most inconclusive; a diverged seed fails the claim; claims are judged on \
         the last smoothed value. A report written before the record lines existed shows no \
         verdict here until it is regenerated.\n\n",
    );
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (paper, title) in PAPERS {
        let _ = writeln!(
            md,
            "## {title}\n\n| claim | the paper | report | ours | verdict |\n|---|---|---|---|---|"
        );
        for e in entries.iter().filter(|e| e.paper == paper) {
            let judged: Vec<(&String, &ClaimRecord)> = reports
                .iter()
                .flat_map(|(stem, (_, cs))| {
                    cs.iter().filter(|c| c.id == e.id).map(move |c| (stem, c))
                })
                .collect();
            if judged.is_empty() {
                let why = match &e.not_here {
                    Some(w) => format!("cannot be judged here: {w}"),
                    None => "not judged yet: the reports that judge it predate the record lines \
                             (regenerate them)"
                        .into(),
                };
                let key = if e.not_here.is_some() {
                    "cannot be judged here"
                } else {
                    "not judged yet"
                };
                *counts.entry(key.into()).or_default() += 1;
                let _ = writeln!(
                    md,
                    "| {} | {} | – | – | {} |",
                    cell(&e.claim),
                    cell(&e.paper_value),
                    cell(&why)
                );
                continue;
            }
            for (stem, c) in judged {
                *counts.entry(c.verdict.clone()).or_default() += 1;
                let at = if c.at.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", c.at)
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | [{stem}]({stem}.md){} | {} | **{}**: {} |",
                    cell(&e.claim),
                    cell(&e.paper_value),
                    cell(&at),
                    cell(&c.ours),
                    cell(&c.verdict),
                    cell(&c.reason)
                );
            }
        }
        md.push('\n');
    }
    let _ = writeln!(
        md,
        "Verdicts in all: {}.\n",
        counts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    md.push_str(
        "## Reports\n\nRun time is summed over the cells (not the sweep's wall clock); the \
         machine is the one that wrote the report; the results table is every evaluation of every \
         cell, one row per metric (`cargo xtask export --format csv.gz`).\n\n| report | \
         experiment | profile | cells | run time (min) | runs made at | report written at | \
         machine | results table |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for (stem, (rec, _)) in &reports {
        let table = if dir.join(format!("{stem}.csv.gz")).exists() {
            format!("[{stem}.csv.gz]({stem}.csv.gz)")
        } else {
            "–".to_string()
        };
        match rec {
            Some(r) => {
                let short = |c: &str| c.chars().take(7).collect::<String>();
                let _ = writeln!(
                    md,
                    "| [{stem}]({stem}.md) | {} | {} | {} | {:.1} | {} | {} | {} | {table} |",
                    r.experiment,
                    r.profile,
                    r.cells,
                    r.run_min,
                    r.run_commits
                        .iter()
                        .map(|c| short(c))
                        .collect::<Vec<_>>()
                        .join(", "),
                    short(&r.report_commit),
                    cell(&r.machine)
                );
            }
            None => {
                let _ = writeln!(
                    md,
                    "| [{stem}]({stem}.md) | – | – | – | – | – | – | written before the record \
                     line: its header says where its runs come from | {table} |"
                );
            }
        }
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{Judged, Verdict};

    #[test]
    fn the_index_joins_the_catalogue_and_the_reports() {
        let dir = std::env::temp_dir().join(format!("socbench-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cat = dir.join("claims.toml");
        std::fs::write(
            &cat,
            "[[claim]]\nid = \"a-1\"\npaper = \"trust-region\"\nclaim = \"A | B\"\npaper_value = \"1\"\n\n\
             [[claim]]\nid = \"b-1\"\npaper = \"pinn\"\nclaim = \"C\"\npaper_value = \"2\"\nnot_here = \"needs a GPU\"\n",
        )
        .unwrap();
        let rec = ReportRecord {
            experiment: "a".into(),
            profile: "cpu".into(),
            cells: 3,
            run_min: 1.5,
            run_commits: vec!["0123456789".into()],
            report_commit: "abcdef0123".into(),
            machine: "m".into(),
        };
        let md = format!(
            "# a\n{}{}",
            record::claim_line(
                "a-1",
                "d = 2",
                "0.1 ± 0.0",
                &Judged::new(Verdict::Holds, "why")
            ),
            record::report_line(&rec)
        );
        std::fs::write(dir.join("a.md"), md).unwrap();
        std::fs::write(dir.join("old.md"), "# old report\n").unwrap();
        let idx = index(&cat, &dir).unwrap();
        assert!(
            idx.contains("| A \\| B | 1 | [a](a.md) (d = 2) | 0.1 ± 0.0 | **holds**: why |"),
            "{idx}"
        );
        assert!(
            idx.contains("| C | 2 | – | – | cannot be judged here: needs a GPU |"),
            "{idx}"
        );
        assert!(
            idx.contains("| [a](a.md) | a | cpu | 3 | 1.5 | 0123456 | abcdef0 | m | – |"),
            "{idx}"
        );
        assert!(idx.contains("[old](old.md) | – |"), "{idx}");
        // A claim id the catalogue lacks is an error.
        let stray = record::claim_line("zzz", "", "", &Judged::new(Verdict::Holds, ""));
        std::fs::write(dir.join("b.md"), stray).unwrap();
        assert!(index(&cat, &dir).unwrap_err().contains("`zzz`"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
