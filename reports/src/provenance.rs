//! Where a report's runs came from: the commits they were made at (dirty ones flagged), the
//! compilers, thread counts and environment switches their manifests record.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::load::Run;

/// Values and how many runs had each, in order.
fn tally<'a>(values: impl Iterator<Item = String> + 'a) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for v in values {
        *m.entry(v).or_insert(0) += 1;
    }
    m
}

fn list(m: &BTreeMap<String, usize>, code: bool) -> String {
    m.iter()
        .map(|(v, n)| {
            let s = if code { format!("`{v}`") } else { v.clone() };
            format!("{s} ({n} run{})", if *n == 1 { "" } else { "s" })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The markdown lines (a bullet list) on the runs' provenance.
pub fn lines(runs: &[Run]) -> String {
    let mut md = String::new();
    let commits = tally(runs.iter().map(|r| r.manifest.git_commit.clone()));
    let dirty = commits.keys().filter(|c| c.ends_with("-dirty")).count();
    let _ = writeln!(md, "- runs made at commit(s): {}", list(&commits, true));
    if dirty > 0 {
        let _ = writeln!(
            md,
            "  - **{dirty} of these commit(s) are dirty**: the working tree had uncommitted \
             changes, so the code that made those runs is not exactly any commit"
        );
    }
    let p = |f: &dyn Fn(&socbench_methods::record::Provenance) -> String| {
        tally(runs.iter().map(|r| {
            r.manifest
                .provenance
                .as_ref()
                .map_or("not recorded".into(), f)
        }))
    };
    let _ = writeln!(md, "- rustc: {}", list(&p(&|v| v.rustc.clone()), false));
    let _ = writeln!(
        md,
        "- compute threads per run: {}",
        list(&p(&|v| v.threads.to_string()), false)
    );
    let env = |v: &Option<String>| v.clone().unwrap_or_else(|| "unset".into());
    let _ = writeln!(
        md,
        "- SOCBENCH_NET: {}; SOCBENCH_MALLOC: {}",
        list(&p(&|v| env(&v.socbench_net)), false),
        list(&p(&|v| env(&v.socbench_malloc)), false)
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Run as TestRun;

    #[test]
    fn dirty_commits_are_flagged_and_counted() {
        let mut a = TestRun::in_memory("gmm", 2, "lv", "finished", &[]);
        a.manifest.git_commit = "abc".into();
        let mut b = a.clone();
        b.manifest.git_commit = "def-dirty".into();
        let md = lines(&[a.clone(), a, b]);
        assert!(md.contains("`abc` (2 runs), `def-dirty` (1 run)"), "{md}");
        assert!(md.contains("**1 of these commit(s) are dirty**"), "{md}");
        assert!(md.contains("rustc: not recorded (3 runs)"), "{md}");
    }
}
