//! An experiment family defined entirely in this file (docs/extending.md, "Add an experiment
//! family"): one `Kind` registered at run time, an `Experiment` and a `Cell`. It runs, resumes
//! and reports through the same commands as the built-in kinds (`cargo xtask replicate --def`,
//! `report`, `list`), driven in-process by `xtask::run_args`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use socbench_experiments::family::{self, Cell, Experiment, Kind, Progress, Ran};
use socbench_harness::backend::Device;
use socbench_reports::output;

/// Cells run by this process, to tell a resumed sweep from a rerun one.
static RUNS: AtomicUsize = AtomicUsize::new(0);

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TinyDef {
    #[allow(dead_code)]
    kind: String,
    name: String,
    arms: Vec<String>,
    seeds: u64,
}

struct Tiny {
    def: TinyDef,
    origin: Option<PathBuf>,
}

#[derive(Debug)]
struct TinyCell {
    exp: String,
    profile: String,
    arm: String,
    seed: u64,
}

const KIND: Kind = Kind {
    name: "tiny",
    about: "a test's kind: one number per (arm, seed)",
    builtins: || vec!["tiny-builtin"],
    load: |name| {
        (name == "tiny-builtin").then(|| {
            let def = TinyDef {
                kind: "tiny".into(),
                name: name.into(),
                arms: vec!["a".into()],
                seeds: 1,
            };
            Ok(Box::new(Tiny { def, origin: None }) as Box<dyn Experiment>)
        })
    },
    parse: |text, origin| {
        let def: TinyDef =
            toml::from_str(text).map_err(|e| format!("{}: {e}", origin.display()))?;
        if def.seeds < 1 {
            return Err(format!(
                "{}: invalid `seeds` = 0: allowed >= 1",
                origin.display()
            ));
        }
        Ok(Box::new(Tiny {
            def,
            origin: Some(origin.to_path_buf()),
        }))
    },
};

impl Experiment for Tiny {
    fn name(&self) -> &str {
        &self.def.name
    }
    fn kind(&self) -> &str {
        KIND.name
    }
    fn title(&self) -> &str {
        "A tiny experiment"
    }
    fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }
    fn profiles(&self) -> Vec<String> {
        vec!["smoke".into()]
    }
    fn cells(&self, profile: &str) -> Result<Vec<Box<dyn Cell>>, String> {
        if profile != "smoke" {
            return Err(format!("unknown profile `{profile}`: allowed smoke"));
        }
        let mut out: Vec<Box<dyn Cell>> = Vec::new();
        for arm in &self.def.arms {
            for seed in 0..self.def.seeds {
                out.push(Box::new(TinyCell {
                    exp: self.def.name.clone(),
                    profile: profile.into(),
                    arm: arm.clone(),
                    seed,
                }));
            }
        }
        Ok(out)
    }
    fn no_dims(&self) -> Option<&str> {
        Some("has no d")
    }
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String> {
        let mut md = format!("# {}\n\n", self.title());
        let mut n = 0;
        for c in self.cells(profile)? {
            let dir = c.dir(results);
            if c.finished(&dir)? {
                let v =
                    std::fs::read_to_string(dir.join("value.txt")).map_err(|e| e.to_string())?;
                md.push_str(&format!("- {}: {}\n", c.key(), v.trim()));
                n += 1;
            }
        }
        if n == 0 {
            return Err(format!("no finished runs of {}", self.name()));
        }
        // Every report ends with its machine-readable record (cells, commits, machine).
        let rec = output::record(self.name(), profile, std::iter::repeat_n(("tiny", 0.0), n));
        output::write_files(
            reports,
            &output::stem(self.name(), profile),
            &md,
            Vec::new(),
            &rec,
        )
    }
}

impl Cell for TinyCell {
    fn arm(&self) -> &str {
        &self.arm
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn key(&self) -> String {
        format!("{}-s{}", self.arm, self.seed)
    }
    fn dir(&self, results: &Path) -> PathBuf {
        results.join(&self.exp).join(&self.profile).join(self.key())
    }
    fn config_hash(&self) -> String {
        format!("tiny-{}", self.arm)
    }
    fn finished(&self, dir: &Path) -> Result<bool, String> {
        socbench_experiments::builtin::finished(dir, &self.config_hash())
    }
    fn run(
        &self,
        _device: &Device,
        dir: &Path,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<Ran, String> {
        RUNS.fetch_add(1, Ordering::SeqCst);
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let value = self.seed as f64 + self.arm.len() as f64 / 10.0;
        std::fs::write(dir.join("value.txt"), format!("{value}\n")).map_err(|e| e.to_string())?;
        progress(&Progress {
            step: 1,
            total: 1,
            message: String::new(),
        });
        let manifest = serde_json::json!({ "status": "ok", "config_hash": self.config_hash() });
        std::fs::write(dir.join("manifest.json"), manifest.to_string())
            .map_err(|e| e.to_string())?;
        Ok(Ran {
            status: "ok".into(),
            message: None,
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn xtask(args: &[&str]) -> Result<(), String> {
    xtask::run_args(std::iter::once("xtask").chain(args.iter().copied()))
}

#[test]
fn a_kind_defined_in_a_test_runs_resumes_and_reports_through_the_same_commands() {
    family::register(KIND).unwrap();
    assert!(family::register(KIND).is_err(), "a kind registers once");
    let root = std::env::temp_dir().join(format!("socbench-tiny-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let def = root.join("tiny.toml");
    std::fs::write(
        &def,
        "kind = \"tiny\"\nname = \"tiny-file\"\narms = [\"a\", \"bb\"]\nseeds = 2\n",
    )
    .unwrap();
    let (results, reports) = (root.join("results"), root.join("reports"));
    let (res, rep) = (results.to_str().unwrap(), reports.to_str().unwrap());
    let def_s = def.to_str().unwrap();
    let replicate = |extra: &[&str]| {
        let mut a = vec![
            "replicate",
            "--def",
            def_s,
            "--profile",
            "smoke",
            "--jobs",
            "1",
            "--results",
            res,
            "--reports",
            rep,
        ];
        a.extend_from_slice(extra);
        xtask(&a)
    };

    replicate(&[]).unwrap();
    assert_eq!(RUNS.load(Ordering::SeqCst), 4, "2 arms × 2 seeds");
    let md = std::fs::read_to_string(reports.join("tiny-file-smoke.md")).unwrap();
    assert!(md.contains("- bb-s1: 1.2"), "{md}");

    // Finished cells are skipped; an interrupted one (no manifest) is moved aside and rerun.
    let cell = results.join("tiny-file/smoke/a-s1");
    std::fs::remove_file(cell.join("manifest.json")).unwrap();
    replicate(&[]).unwrap();
    assert_eq!(
        RUNS.load(Ordering::SeqCst),
        5,
        "only the interrupted cell reruns"
    );
    assert!(results.join("tiny-file/smoke/a-s1.old-1").exists());

    // The options of `replicate` apply to the new kind as to the built-in ones.
    replicate(&["--methods", "bb", "--force"]).unwrap();
    assert_eq!(
        RUNS.load(Ordering::SeqCst),
        7,
        "--methods bb --force reruns bb's 2 cells"
    );
    let err = replicate(&["--methods", "c"]).unwrap_err();
    assert!(
        err.contains("`--methods` entry `c`") && err.contains("a, bb"),
        "{err}"
    );
    let err = replicate(&["--dims", "2"]).unwrap_err();
    assert!(
        err.contains("`--dims`") && err.contains("has no d"),
        "{err}"
    );

    // `report` rewrites the report from the finished runs; `list` lists the built-in one.
    std::fs::remove_file(reports.join("tiny-file-smoke.md")).unwrap();
    xtask(&[
        "report",
        "--def",
        def_s,
        "--profile",
        "smoke",
        "--results",
        res,
        "--reports",
        rep,
    ])
    .unwrap();
    assert!(reports.join("tiny-file-smoke.md").exists());
    xtask(&["list", "--reports", rep]).unwrap();
    assert!(family::all_names().contains(&"tiny-builtin"));

    // A file's errors name the file and the field.
    let bad = root.join("bad.toml");
    std::fs::write(
        &bad,
        "kind = \"tiny\"\nname = \"x\"\narms = []\nseeds = 0\n",
    )
    .unwrap();
    let err = family::load_file(&bad).unwrap_err();
    assert!(err.contains("bad.toml") && err.contains("`seeds`"), "{err}");
    std::fs::write(&bad, "kind = \"huge\"\nname = \"x\"\n").unwrap();
    let err = family::load_file(&bad).unwrap_err();
    assert!(
        err.contains("`kind`") && err.contains("sweep, tps, finetune, pinn, tiny"),
        "{err}"
    );
    std::fs::write(
        &bad,
        "kind = \"tiny\"\nname = \"tiny-builtin\"\narms = []\nseeds = 1\n",
    )
    .unwrap();
    let err = family::load_file(&bad).unwrap_err();
    assert!(err.contains("`name` = tiny-builtin"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}
