//! Experiment definitions: one TOML file per figure/table of the paper in `experiments/defs/`,
//! compiled into the binary. Each names the sweep (targets, d, methods, seeds, ε, metrics) and the
//! profiles `paper`, `cpu` and `smoke`, each a base training profile plus overrides. A `methods`
//! entry is a method name or a named variant (a method with config overrides, e.g. the fixed-λ
//! ablation). An experiment with `source` is another view (other plots) of that experiment's runs.

use std::collections::BTreeMap;

use serde::Deserialize;
use socbench_methods::profile::Profile;
use socbench_methods::{Method, TrainConfig};

use crate::overlay::overlay_table;

/// Built-in definitions: (name, TOML text).
pub const DEFINITIONS: &[(&str, &str)] = &[
    ("fig2", include_str!("../defs/fig2.toml")),
    ("fig3", include_str!("../defs/fig3.toml")),
    ("fig3-lp", include_str!("../defs/fig3-lp.toml")),
    ("fig3-ablation", include_str!("../defs/fig3-ablation.toml")),
    ("fig7", include_str!("../defs/fig7.toml")),
    ("fig8", include_str!("../defs/fig8.toml")),
    ("fig9", include_str!("../defs/fig9.toml")),
    ("fig10", include_str!("../defs/fig10.toml")),
    ("fig11", include_str!("../defs/fig11.toml")),
    ("lv-table", include_str!("../defs/lv-table.toml")),
    ("scale", include_str!("../defs/scale.toml")),
    ("scale-socm", include_str!("../defs/scale-socm.toml")),
];

/// Report sections an experiment can ask for in `plots`: the report's registry.
fn plots() -> Vec<&'static str> {
    socbench_reports::markdown::SECTIONS
        .iter()
        .map(|(n, _)| *n)
        .collect()
}

/// The sweep definitions' names (`defs/*.toml` in the sweep format).
pub fn names() -> Vec<&'static str> {
    DEFINITIONS.iter().map(|(n, _)| *n).collect()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// `sweep` (the default): read by `family::load_file` to pick this format.
    #[serde(default)]
    pub kind: Option<String>,
    pub name: String,
    pub title: String,
    /// The `table` of `experiments/reference/paper_tables.csv` with the published numbers ("" if none).
    #[serde(default)]
    pub paper_table: String,
    /// Report the runs of this experiment instead of running a sweep of its own.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub dims: Vec<usize>,
    /// The dimensions of targets defined at some only (`"pis:gmm9" = [2]`), in place of `dims`
    /// for that target; a profile's `dims` still filter them.
    #[serde(default)]
    pub target_dims: BTreeMap<String, Vec<usize>>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub epsilons: Vec<f64>,
    /// Metrics reported (history.csv column names), one table each.
    pub metrics: Vec<String>,
    /// Report sections, from `socbench_reports::markdown::SECTIONS`.
    pub plots: Vec<String>,
    #[serde(default)]
    pub variants: BTreeMap<String, Variant>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileSpec>,
    /// The paper's claims this experiment tests, judged in every report of it.
    #[serde(default)]
    pub claims: Vec<socbench_reports::verdicts::Claim>,
    /// Claims judged on a budget ladder's arms (`socbench_reports::ladder`).
    #[serde(default)]
    pub ladder: Vec<socbench_reports::ladder::LadderClaim>,
    /// How a published table names this experiment's targets and methods (`lv_table`).
    #[serde(default)]
    pub paper_names: Option<socbench_reports::lv_table::PaperNames>,
    /// Where the definition came from (`experiments/defs/<name>.toml` or the user's file), for
    /// error messages.
    #[serde(skip)]
    pub origin: String,
}

/// A method with config overrides, under its own name (e.g. `fixed-lambda-1`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub method: String,
    /// Legend label in tables and plots.
    pub label: String,
    #[serde(default)]
    pub config: toml::Table,
    /// The experiment's targets this variant runs on (default: all of them), so that one
    /// experiment can carry an arm to another target without crossing every arm with it.
    #[serde(default)]
    pub targets: Option<Vec<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    /// The training profile the config starts from (`paper`, `cpu`, `smoke`).
    pub base: String,
    pub seeds: u64,
    pub dims: Option<Vec<usize>>,
    pub methods: Option<Vec<String>>,
    #[serde(default)]
    pub deviations: Vec<String>,
    #[serde(default)]
    pub config: toml::Table,
}

/// One line of a sweep: a method, or a variant of one, with its config.
#[derive(Clone, Debug)]
pub struct Arm {
    /// The method name or the variant name (run directories, random streams, legends).
    pub name: String,
    pub method: Method,
    pub label: String,
    pub config: TrainConfig,
    /// The targets it runs on (`None`: every target of the experiment).
    pub targets: Option<Vec<String>>,
}

impl Arm {
    /// Whether this arm has cells on `target`.
    pub fn runs_on(&self, target: &str) -> bool {
        self.targets
            .as_ref()
            .is_none_or(|t| t.iter().any(|x| x == target))
    }
}

/// One resolved profile of an experiment.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub profile: String,
    pub dims: Vec<usize>,
    pub arms: Vec<Arm>,
    pub seeds: u64,
    pub deviations: Vec<String>,
}

/// Loads a built-in experiment by name; the error names the field and the choices.
pub fn load(name: &str) -> Result<Experiment, String> {
    let (_, text) = DEFINITIONS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| {
            format!(
                "invalid `experiment` = {name}: allowed one of {} (or `--def <file>`)",
                crate::family::all_names().join(", ")
            )
        })?;
    parse(text, &format!("experiments/defs/{name}.toml"))
}

/// Parses and checks an experiment definition; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Experiment, String> {
    let mut e: Experiment = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    e.origin = origin.to_string();
    if let Some(p) = e.plots.iter().find(|p| !plots().contains(&p.as_str())) {
        return Err(format!(
            "{origin}: invalid `plots` entry {p}: allowed {}",
            plots().join(", ")
        ));
    }
    if let Some(t) = e.target_dims.keys().find(|t| !e.targets.contains(t)) {
        return Err(format!(
            "{origin}: invalid `target_dims` entry {t}: allowed the experiment's targets ({})",
            e.targets.join(", ")
        ));
    }
    if let Some(c) = e.ladder.iter().find(|c| !e.targets.contains(&c.target)) {
        return Err(format!(
            "{origin}: invalid `ladder` target {}: allowed the experiment's targets ({})",
            c.target,
            e.targets.join(", ")
        ));
    }
    for (name, v) in &e.variants {
        if let Some(t) = v.targets.iter().flatten().find(|t| !e.targets.contains(t)) {
            return Err(format!(
                "{origin}: invalid `variants.{name}.targets` entry {t}: allowed the experiment's \
                 targets ({})",
                e.targets.join(", ")
            ));
        }
    }
    if e.name.is_empty() || e.name.contains(['/', '\\']) || e.name.starts_with('.') {
        return Err(format!(
            "{origin}: invalid `name` = {:?}: allowed a non-empty directory name",
            e.name
        ));
    }
    e.check()?;
    Ok(e)
}

/// The allowed range of a dimension in a definition file.
const DIMS: std::ops::RangeInclusive<usize> = 1..=socbench_targets::registry::MAX_DIM;

impl Experiment {
    /// Checks every field a sweep reads, in every profile, before anything runs: ε finite and
    /// > 0 (and given when a trust-region method is swept), dimensions in range, every profile
    /// resolving (known methods and variants, valid overrides) to configs valid for their
    /// methods. All errors at once, one per line, each naming the file and the field.
    pub fn check(&self) -> Result<(), String> {
        let origin = &self.origin;
        let mut errors = Vec::new();
        for &e in &self.epsilons {
            if !(e.is_finite() && e > 0.0) {
                errors.push(format!(
                    "{origin}: invalid `epsilons` entry {e}: allowed finite values > 0"
                ));
            }
        }
        let mut bad_dims = |field: String, dims: &[usize]| {
            for d in dims.iter().filter(|d| !DIMS.contains(d)) {
                errors.push(format!(
                    "{origin}: invalid `{field}` entry {d}: allowed {}..={}",
                    DIMS.start(),
                    DIMS.end()
                ));
            }
        };
        bad_dims("dims".into(), &self.dims);
        for (t, dims) in &self.target_dims {
            bad_dims(format!("target_dims.{t}"), dims);
        }
        for (name, p) in &self.profiles {
            if let Some(dims) = &p.dims {
                bad_dims(format!("profiles.{name}.dims"), dims);
            }
        }
        for t in &self.targets {
            // The target's name (and process), built once at its smallest valid d.
            let dims = self.target_dims.get(t).unwrap_or(&self.dims);
            let d = dims.iter().copied().find(|d| DIMS.contains(d)).unwrap_or(2);
            if let Err(e) = socbench_targets::problems::build(t, d, 1) {
                errors.push(format!("{origin}: invalid `targets` entry {t}: {e}"));
            }
        }
        if self.source.is_none() {
            for name in self.profile_names() {
                let r = match self.resolve(name) {
                    Ok(r) => r,
                    Err(e) if e.contains(origin.as_str()) => {
                        errors.push(e);
                        continue;
                    }
                    Err(e) => {
                        errors.push(format!("{origin} [profiles.{name}]: {e}"));
                        continue;
                    }
                };
                for a in &r.arms {
                    if let Err(e) = a.config.validate(a.method) {
                        errors.push(format!(
                            "{origin} [profiles.{name}], method `{}`: {e}",
                            a.name
                        ));
                    }
                    if a.method.is_trust_region() && self.epsilons.is_empty() {
                        errors.push(format!(
                            "{origin}: invalid `epsilons` = []: allowed at least one ε > 0 \
                             (profile `{name}` sweeps the trust-region method `{}`)",
                            a.name
                        ));
                    }
                }
            }
        }
        errors.dedup();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// The experiment whose sweep produces this one's runs: `source`, or itself.
    pub fn data(&self) -> Result<Experiment, String> {
        match &self.source {
            Some(s) => load(s),
            None => Ok(self.clone()),
        }
    }

    /// The dimensions `target` runs at in resolved profile `r`.
    pub fn dims_of(&self, target: &str, r: &Resolved) -> Vec<usize> {
        match self.target_dims.get(target) {
            Some(t) => t.iter().copied().filter(|d| r.dims.contains(d)).collect(),
            None => r.dims.clone(),
        }
    }

    pub fn profile_names(&self) -> Vec<&str> {
        self.profiles.keys().map(String::as_str).collect()
    }

    /// Legend label of a method or variant name.
    pub fn label(&self, name: &str) -> String {
        self.variants
            .get(name)
            .map_or_else(|| name.to_uppercase(), |v| v.label.clone())
    }

    /// The sweep of `profile`: dims, methods, seeds and the training config with overrides applied.
    pub fn resolve(&self, profile: &str) -> Result<Resolved, String> {
        let spec = self.profiles.get(profile).ok_or_else(|| {
            format!(
                "invalid `profile` = {profile}: `{}` has {}",
                self.name,
                self.profile_names().join(", ")
            )
        })?;
        let base: Profile = spec.base.parse().map_err(|e| format!("{e}"))?;
        let config = overlay_table(
            &base.config(),
            &spec.config,
            &format!("{} [profiles.{profile}.config]", self.origin),
        )?;
        let arms = spec
            .methods
            .clone()
            .unwrap_or_else(|| self.methods.clone())
            .iter()
            .map(|name| self.arm(name, &config))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Resolved {
            profile: profile.to_string(),
            dims: spec.dims.clone().unwrap_or_else(|| self.dims.clone()),
            arms,
            seeds: spec.seeds,
            deviations: spec.deviations.clone(),
        })
    }

    fn arm(&self, name: &str, config: &TrainConfig) -> Result<Arm, String> {
        let Some(v) = self.variants.get(name) else {
            let method = name.parse::<Method>().map_err(|e| {
                if self.variants.is_empty() {
                    return format!("{}: {e}", self.origin);
                }
                format!(
                    "{e} (or a variant of {}: {})",
                    self.origin,
                    self.variants.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            })?;
            return Ok(Arm {
                name: name.to_string(),
                method,
                label: self.label(name),
                config: config.clone(),
                targets: None,
            });
        };
        Ok(Arm {
            name: name.to_string(),
            method: v.method.parse::<Method>().map_err(|e| e.to_string())?,
            label: v.label.clone(),
            config: overlay_table(
                config,
                &v.config,
                &format!("{} [variants.{name}.config]", self.origin),
            )?,
            targets: v.targets.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_and_profile_resolves_to_a_valid_config() {
        for name in names() {
            let e = load(name).unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(e.name, name);
            let data = e.data().unwrap();
            assert!(data.source.is_none(), "{name}: a view of a view");
            for p in data.profile_names() {
                let r = data
                    .resolve(p)
                    .unwrap_or_else(|err| panic!("{name}/{p}: {err}"));
                assert!(!r.arms.is_empty() && !r.dims.is_empty());
                for a in &r.arms {
                    a.config
                        .validate(a.method)
                        .unwrap_or_else(|err| panic!("{name}/{p}/{}: {err}", a.name));
                }
            }
        }
        assert!(load("fig99").unwrap_err().contains("experiment"));
    }

    #[test]
    fn variants_carry_their_method_and_overrides() {
        let r = load("fig3-ablation").unwrap().resolve("cpu").unwrap();
        let arm = |n: &str| r.arms.iter().find(|a| a.name == n).unwrap().clone();
        assert_eq!(arm("lv").method, Method::named("lv"));
        assert_eq!(arm("lv").config.tr.fixed_lambda, None);
        assert_eq!(arm("lv-buffer").method, Method::named("tr-lv"));
        assert_eq!(arm("lv-buffer").config.tr.fixed_lambda, Some(0.0));
        assert_eq!(arm("fixed-lambda-10").config.tr.fixed_lambda, Some(10.0));
        // The profile's overrides stay under the variant's.
        assert_eq!(arm("fixed-lambda-10").config.tr.refreshes, 30);
        let lp = load("fig3-lp").unwrap().resolve("cpu").unwrap();
        assert!(lp.arms[0].config.net.langevin && !lp.arms[1].config.net.langevin);
        // Views run their source's sweep.
        assert_eq!(load("fig7").unwrap().data().unwrap().name, "fig2");
    }

    /// A variant restricted to some targets has cells on those only; a target outside the
    /// experiment's is refused with the field named.
    #[test]
    fn variant_targets_restrict_its_cells() {
        let e = load("scale").unwrap();
        let r = e.resolve("cpu").unwrap();
        let cells = crate::sweep::cells(&e, &r);
        let on = |t: &str, arm: &str| {
            cells
                .iter()
                .filter(|c| c.target == t && c.arm == arm)
                .count()
        };
        assert_eq!(on("gmm40", "tr-lv-c"), 3);
        assert_eq!(on("gmm", "tr-lv-c") + on("manywell", "tr-lv-c"), 0);
        assert_eq!((on("gmm", "tr-lv-b"), on("manywell", "tr-lv-b")), (3, 3));
        assert!(cells.iter().all(|c| (c.target == "gmm40") == (c.dim == 2)));
        let text = include_str!("../defs/scale.toml").replace(
            "[variants.tr-lv-c]\ntargets = [\"gmm40\"]",
            "[variants.tr-lv-c]\ntargets = [\"funnel\"]",
        );
        let err = parse(&text, "x.toml").unwrap_err();
        assert!(
            err.contains("x.toml") && err.contains("`variants.tr-lv-c.targets` entry funnel"),
            "{err}"
        );
    }

    /// `--def`: the example file resolves like a built-in one, with the example loss among its
    /// methods; a file taking a built-in name, an unknown method or an unknown field is refused
    /// with the file and the field named.
    #[test]
    fn a_user_file_loads_with_the_built_in_checks() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let path = root.join("examples/my-experiment.toml");
        let e = crate::family::load_file(&path).unwrap();
        assert_eq!((e.name(), e.kind()), ("my-experiment", "sweep"));
        let e = parse(
            &std::fs::read_to_string(&path).unwrap(),
            "my-experiment.toml",
        )
        .unwrap();
        let r = e.resolve("smoke").unwrap();
        let names: Vec<&str> = r.arms.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["lv", "lv-logz", "tr-lv", "tr-lv-logz"]);
        assert!(r.arms[3].method.is_trust_region());
        let text = std::fs::read_to_string(&path).unwrap();
        let dir = std::env::temp_dir().join(format!("socbench-def-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, t: String| {
            let p = dir.join(name);
            std::fs::write(&p, t).unwrap();
            p
        };
        let builtin = write("b.toml", text.replace("\"my-experiment\"", "\"fig2\""));
        let err = crate::family::load_file(&builtin).unwrap_err();
        assert!(
            err.contains("b.toml") && err.contains("`name` = fig2"),
            "{err}"
        );
        let method = write("m.toml", text.replace("\"lv-logz\",", "\"lv-foo\","));
        let err = crate::family::load_file(&method).unwrap_err();
        assert!(
            err.contains("m.toml") && err.contains("`method` = lv-foo"),
            "{err}"
        );
        // Every bad value of a file at once, each naming the file and the field: non-finite and
        // non-positive ε (NaN was once read as "no ε" and ran ε = 0.1), d = 0, a bad override.
        let bad = write(
            "e.toml",
            text.replace("epsilons = [0.1]", "epsilons = [0.1, nan, inf, 0.0, -1.0]")
                .replace("dims = [2, 10]", "dims = [0, 2]")
                .replace("eval_at_start = true", "eval_at_start = true\nlr = -1.0"),
        );
        let err = crate::family::load_file(&bad).unwrap_err();
        for want in [
            "`epsilons` entry NaN",
            "`epsilons` entry inf",
            "`epsilons` entry 0:",
            "`epsilons` entry -1",
            "`dims` entry 0",
            "`lr`",
        ] {
            assert!(err.contains(want), "{want} missing from: {err}");
        }
        assert!(err.lines().all(|l| l.contains("e.toml")), "{err}");
        let field = write("f.toml", text.replace("seeds = 1", "seeds = 1\nfoo = 2"));
        let err = crate::family::load_file(&field).unwrap_err();
        assert!(
            err.contains("f.toml") && err.contains("unknown field `foo`"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
