//! The list of cells a Slurm array job runs (`cargo xtask replicate --slurm` writes it, `socbench
//! cell --list F --index I` runs line I): the experiment (a built-in name or a definition file),
//! the profile, and one cell directory per line, relative to the results root.

use std::path::{Path, PathBuf};

use crate::family::{self, Cell};

#[derive(Clone, Debug, PartialEq)]
pub struct CellList {
    pub experiment: String,
    /// The definition file, for an experiment outside `experiments/defs/`.
    pub def: Option<PathBuf>,
    pub profile: String,
    /// Cell directories relative to the results root (`fig2/smoke/gmm-d2-lv-s0`).
    pub cells: Vec<String>,
}

const HEADER: &str = "# socbench cell list";

impl CellList {
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{HEADER}\nexperiment={}\ndef={}\nprofile={}\n",
            self.experiment,
            self.def
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            self.profile
        );
        for c in &self.cells {
            s.push_str(c);
            s.push('\n');
        }
        s
    }

    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = |what: &str| format!("{}: not a socbench cell list ({what})", path.display());
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(bad("first line"));
        }
        let mut field = |k: &str| -> Result<String, String> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(&format!("{k}=")))
                .map(String::from)
                .ok_or_else(|| bad(k))
        };
        let experiment = field("experiment")?;
        let def = field("def")?;
        let profile = field("profile")?;
        Ok(Self {
            experiment,
            def: (!def.is_empty()).then(|| PathBuf::from(def)),
            profile,
            cells: lines.filter(|l| !l.is_empty()).map(String::from).collect(),
        })
    }

    /// The cell on line `index`, resolved against the current definition (an error if the
    /// definition no longer has it), and its directory under `results`.
    pub fn cell(&self, index: usize, results: &Path) -> Result<(Box<dyn Cell>, PathBuf), String> {
        let rel = self.cells.get(index).ok_or_else(|| {
            format!(
                "invalid `--index` = {index}: the list has {} cells (0–{})",
                self.cells.len(),
                self.cells.len().saturating_sub(1)
            )
        })?;
        let want = results.join(rel);
        family::load_either(&self.experiment, self.def.as_deref())?
            .cells(&self.profile)?
            .into_iter()
            .map(|c| {
                let d = c.dir(results);
                (c, d)
            })
            .find(|(_, d)| *d == want)
            .ok_or_else(|| {
                format!(
                    "cell `{rel}` is not in {} profile `{}` any more (the definition changed \
                     since the job was submitted)",
                    self.experiment, self.profile
                )
            })
    }
}
