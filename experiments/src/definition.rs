//! Experiment definitions: one TOML file per figure/table of the paper in `experiments/defs/`,
//! compiled into the binary. Each names the sweep (targets, d, methods, seeds, ε, metrics) and the
//! profiles `paper`, `cpu` and `smoke`, each a base training profile plus overrides.

use std::collections::BTreeMap;

use serde::Deserialize;
use socbench_methods::profile::Profile;
use socbench_methods::{Method, TrainConfig};

use crate::overlay::overlay_table;

/// Built-in definitions: (name, TOML text).
pub const DEFINITIONS: [(&str, &str); 2] = [
    ("fig2", include_str!("../defs/fig2.toml")),
    ("fig3", include_str!("../defs/fig3.toml")),
];

pub fn names() -> Vec<&'static str> {
    DEFINITIONS.iter().map(|(n, _)| *n).collect()
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub name: String,
    pub title: String,
    /// The `table` of `experiments/reference/paper_tables.csv` with the published numbers ("" if none).
    pub paper_table: String,
    pub targets: Vec<String>,
    pub dims: Vec<usize>,
    pub methods: Vec<String>,
    pub epsilons: Vec<f64>,
    /// Metrics reported (history.csv column names), one panel each.
    pub metrics: Vec<String>,
    pub x_axis: String,
    pub profiles: BTreeMap<String, ProfileSpec>,
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

/// One resolved profile of an experiment.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub profile: String,
    pub dims: Vec<usize>,
    pub methods: Vec<Method>,
    pub seeds: u64,
    pub config: TrainConfig,
    pub deviations: Vec<String>,
}

/// Loads a built-in experiment by name; the error names the field and the choices.
pub fn load(name: &str) -> Result<Experiment, String> {
    let (_, text) = DEFINITIONS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| {
            format!(
                "invalid `experiment` = {name}: allowed one of {}",
                names().join(", ")
            )
        })?;
    toml::from_str(text).map_err(|e| format!("experiments/defs/{name}.toml: {e}"))
}

impl Experiment {
    pub fn profile_names(&self) -> Vec<&str> {
        self.profiles.keys().map(String::as_str).collect()
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
            &format!(
                "experiments/defs/{}.toml [profiles.{profile}.config]",
                self.name
            ),
        )?;
        let methods = spec
            .methods
            .clone()
            .unwrap_or_else(|| self.methods.clone())
            .iter()
            .map(|m| m.parse::<Method>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Resolved {
            profile: profile.to_string(),
            dims: spec.dims.clone().unwrap_or_else(|| self.dims.clone()),
            methods,
            seeds: spec.seeds,
            config,
            deviations: spec.deviations.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_definition_and_profile_resolves_to_a_valid_config() {
        for name in names() {
            let e = load(name).unwrap();
            assert_eq!(e.name, name);
            for p in ["paper", "cpu", "smoke"] {
                let r = e
                    .resolve(p)
                    .unwrap_or_else(|err| panic!("{name}/{p}: {err}"));
                for m in &r.methods {
                    r.config.validate(*m).unwrap();
                }
            }
        }
        assert!(load("fig99").unwrap_err().contains("experiment"));
    }
}
