//! Every committed report was written from a clean tree (issue 40, point 3): no report names a
//! `-dirty` commit, except the two written so before this check, each to be rerun (issue 40)
//! and then struck from the list. A listed report that is clean again fails too, so the list
//! only shrinks.

const KNOWN_DIRTY: [&str; 0] = [];

#[test]
fn no_committed_report_was_written_from_a_dirty_tree() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    let mut dirty = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            // A commit followed by -dirty: 7 to 40 hex digits, then the suffix.
            let has = text.match_indices("-dirty").any(|(i, _)| {
                let hex = text[..i]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .count();
                hex >= 7
            });
            if has {
                dirty.push(name);
            }
        }
    }
    dirty.sort();
    let unexpected: Vec<&String> = dirty
        .iter()
        .filter(|d| !KNOWN_DIRTY.contains(&d.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "reports written from a dirty tree: {unexpected:?} (regenerate them from a clean checkout)"
    );
    let fixed: Vec<&&str> = KNOWN_DIRTY
        .iter()
        .filter(|k| !dirty.iter().any(|d| d == *k))
        .collect();
    assert!(
        fixed.is_empty(),
        "{fixed:?} are clean now: strike them from KNOWN_DIRTY"
    );
}

/// `reports/index.md` is what `cargo xtask report --all` writes from the committed reports: every
/// claim id they judge is in the catalogue, and the index was regenerated after the last report.
#[test]
fn the_index_is_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let fresh = socbench_reports::index::index(
        &root.join("experiments/reference/claims.toml"),
        &root.join("reports"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let committed = std::fs::read_to_string(root.join("reports/index.md"))
        .expect("reports/index.md: run `cargo xtask report --all`");
    assert!(
        fresh == committed,
        "reports/index.md is stale: run `cargo xtask report --all` (it rewrites every report whose \
         results are present, then the index)"
    );
}
