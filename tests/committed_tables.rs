//! The committed results tables (`reports/<stem>.csv.gz`, written by `cargo xtask export
//! --format csv.gz`) hold the reports' numbers (issue 40, point 4): reloaded, fig2's table
//! rebuilds every metric table of the committed `reports/fig2.md` identically.

use std::path::Path;

use socbench_experiments::sweep_kind::{render, Sweep};
use socbench_experiments::{definition, export};

/// The text of `## <metric>` up to the next heading.
fn section<'a>(md: &'a str, metric: &str) -> &'a str {
    let head = format!("\n## {metric}\n");
    let start = md
        .find(&head)
        .unwrap_or_else(|| panic!("no section `{metric}`"));
    let rest = &md[start + head.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

#[test]
fn fig2s_metric_tables_rebuild_from_its_committed_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rows = export::read_table(&root.join("reports/fig2.csv.gz")).unwrap();
    assert!(rows
        .iter()
        .all(|r| r.experiment == "fig2" && r.profile == "cpu"));
    let runs = export::to_runs(&rows);
    let sweep = Sweep::new(definition::load("fig2").unwrap(), None).unwrap();
    let resolved = sweep.resolve("cpu").unwrap();
    assert_eq!(runs.len(), 21, "one run per cell");
    let paper = socbench_reports::paper::load(&root.join("experiments/reference/paper_tables.csv"))
        .unwrap();
    let (md, _) = render(&sweep, &resolved, &runs, &paper, Path::new("x"), "fig2");
    let committed = std::fs::read_to_string(root.join("reports/fig2.md")).unwrap();
    for metric in &sweep.exp.metrics {
        assert_eq!(
            section(&md, metric),
            section(&committed, metric),
            "the `{metric}` table"
        );
    }
}
