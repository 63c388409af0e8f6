//! `cargo xtask list`: every experiment of every registered kind, with its profiles, cells and
//! estimated time per profile, and its committed report (and the commit that wrote it).

use std::fmt::Write as _;
use std::path::Path;

use clap::Args;
use socbench_experiments::family;
use socbench_reports::output::stem;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Where the committed reports are.
    #[arg(long, default_value = "reports")]
    pub reports: std::path::PathBuf,
    /// The jobs the time estimates assume. Default: the number of cores.
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// The commit a report says it was written at: its record line's, else its header's (`report
/// written at commit X`, `written by commit X`), with `-dirty` if it says so.
pub fn written_at(md: &str) -> Option<String> {
    if let Ok((Some(r), _)) = socbench_reports::record::parse(md) {
        let c = &r.report_commit;
        let hex = c.trim_end_matches("-dirty");
        return Some(format!("{}{}", &hex[..hex.len().min(7)], &c[hex.len()..]));
    }
    let lower = md.to_lowercase();
    ["written at commit ", "written by commit "]
        .iter()
        .find_map(|k| lower.find(k).map(|i| i + k.len()))
        .map(|i| {
            let rest = md[i..].trim_start_matches('`');
            let hex: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            let dirty = rest[hex.len()..].starts_with("-dirty");
            format!(
                "{}{}",
                &hex[..hex.len().min(7)],
                if dirty { "-dirty" } else { "" }
            )
        })
        .filter(|c| c.len() >= 7)
}

pub fn run(a: ListArgs) -> Result<(), String> {
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let mut out = String::new();
    for kind in family::kinds() {
        let _ = writeln!(out, "{} — {}", kind.name, kind.about);
        for name in (kind.builtins)() {
            let exp = match (kind.load)(name) {
                Some(Ok(e)) => e,
                Some(Err(e)) => {
                    let _ = writeln!(out, "  {name}: invalid definition: {e}");
                    continue;
                }
                None => continue,
            };
            let view = if exp.data_name() != exp.name() {
                format!(" (a view of {}'s runs)", exp.data_name())
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {name}: {}{view}", exp.title());
            for p in exp.profiles() {
                let cells = match exp.cells(&p) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = writeln!(out, "    {p:<9} invalid: {e}");
                        continue;
                    }
                };
                let est: Option<f64> = cells.iter().map(|c| c.estimate_s()).sum();
                let est = est.map_or("time not modelled".to_string(), |s| {
                    let min = s / jobs as f64 / 60.0;
                    if min < 120.0 {
                        format!("≈ {min:.0} min at {jobs} jobs on the CPU")
                    } else {
                        format!("≈ {:.0} h at {jobs} jobs on the CPU", min / 60.0)
                    }
                });
                let md = Path::new(&a.reports).join(format!("{}.md", stem(name, &p)));
                let report = match std::fs::read_to_string(&md) {
                    Ok(text) => format!(
                        "{} (written at {})",
                        md.display(),
                        written_at(&text).unwrap_or_else(|| "an unstated commit".into())
                    ),
                    Err(_) => "no report".into(),
                };
                let _ = writeln!(out, "    {p:<9} {:>4} cells, {est}; {report}", cells.len());
            }
        }
    }
    print!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::written_at;

    #[test]
    fn the_writing_commit_is_read_from_each_report_format() {
        let sweep = "- report written at commit `3778b1c3da2fdd8b5dda17ba8f73cc0b84c38a4e-dirty`";
        assert_eq!(written_at(sweep).as_deref(), Some("3778b1c-dirty"));
        let tps = "Report written at commit dba9d7e45cf478f58fd68031eafbdb19d7f5f6e2 on AMD";
        assert_eq!(written_at(tps).as_deref(), Some("dba9d7e"));
        let pinn = "The report is written by commit f19449419c2cb4d5c67da64221ebfb2b83630da9.";
        assert_eq!(written_at(pinn).as_deref(), Some("f194494"));
        assert_eq!(written_at("no commit here"), None);
    }
}
