//! The README quotes only what a committed report shows (issue 40, point 2): in every paragraph
//! or list item of README.md that links a report (`reports/<stem>.md`), each decimal number
//! (`0.058`, `2.34`, `1.5·10¹⁴` counts as `1.5`) appears verbatim in one of the reports it links.
//! Integers (seeds, refreshes, d) are not checked: they name the setup, not a result; nor are the
//! rows of the experiments table (`| … |`), whose times are the sweeps' wall clocks, which no
//! report records.

use std::path::Path;

/// The README's blocks: paragraphs and list items, each as one string.
fn blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let starts_item = line.starts_with("- ") || line.starts_with("* ") || line.starts_with('#');
        if line.trim().is_empty() || starts_item || line.starts_with('|') {
            if !cur.trim().is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.clear();
        }
        cur.push_str(line);
        cur.push('\n');
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// The reports a block links: `reports/<stem>.md`.
fn linked(block: &str) -> Vec<String> {
    let mut v: Vec<String> = block
        .match_indices("reports/")
        .filter_map(|(i, _)| {
            let rest = &block[i + "reports/".len()..];
            let end = rest.find(".md")?;
            let stem = &rest[..end];
            (!stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                .then(|| stem.to_string())
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The decimal numbers of a block (digits, a point, digits), outside links and code spans.
fn decimals(block: &str) -> Vec<String> {
    // Drop link targets and inline code: paths and commands are not results.
    let mut text = String::new();
    let mut in_code = false;
    let mut chars = block.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '`' {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if c == ']' && chars.peek() == Some(&'(') {
            for d in chars.by_ref() {
                if d == ')' {
                    break;
                }
            }
            continue;
        }
        text.push(c);
    }
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                // Not a version or a commit-like token (1.2.3, 4b90265).
                if i < b.len()
                    && (b[i] == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit()
                        || b[i].is_ascii_alphabetic())
                {
                    continue;
                }
                out.push(text[s..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn every_number_the_readme_quotes_is_in_the_report_it_links() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for block in blocks(&readme) {
        if block.starts_with('|') {
            continue;
        }
        let reports = linked(&block);
        if reports.is_empty() {
            continue;
        }
        let texts: Vec<String> = reports
            .iter()
            .map(|s| {
                std::fs::read_to_string(root.join("reports").join(format!("{s}.md")))
                    .unwrap_or_else(|_| panic!("README links reports/{s}.md, which does not exist"))
            })
            .collect();
        for n in decimals(&block) {
            checked += 1;
            if !texts.iter().any(|t| t.contains(&n)) {
                let first = block
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(70)
                    .collect::<String>();
                missing.push(format!(
                    "{n} (in the block \"{first}…\", linking {})",
                    reports.join(", ")
                ));
            }
        }
    }
    assert!(checked > 0, "no number checked: the README links no report");
    assert!(
        missing.is_empty(),
        "{} number(s) of the README are in none of the reports their block links:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn the_checker_finds_numbers_and_links() {
    let b = "TR-LV ends at 2.34 ± 0.39 ([reports/fig3-cpu-long.md](reports/fig3-cpu-long.md)), \
             burn `0.21`, commit 4b90265, 150 refreshes, 1.5·10¹⁴.";
    assert_eq!(linked(b), vec!["fig3-cpu-long".to_string()]);
    assert_eq!(decimals(b), vec!["2.34", "0.39", "1.5"]);
    assert_eq!(blocks("a\nb\n\n- c\n- d\n").len(), 3);
}
