//! What the experiment kinds whose experiment is one definition struct (TPS, fine-tuning, PINN)
//! share: the [`Definition`] trait that makes such a struct an [`Experiment`] (through
//! [`Defined`]) and gives its kind's load and parse functions; looking up a built-in definition,
//! parsing and checking one, choosing a profile, and telling a finished cell from a stale one by
//! its manifest's `config_hash`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use socbench_harness::backend::Device;

use crate::family::{Cell, Experiment};

/// An experiment kind's definition struct (parsed from TOML): implementing this is what the
/// kind's module writes; [`Defined`] turns it into an [`Experiment`], and [`load_of`] and
/// [`parse_of`] are its `Kind`'s `load` and `parse`.
pub trait Definition: DeserializeOwned + Send + Sync + Sized + 'static {
    /// The kind's name (a definition file's `kind`).
    const KIND: &'static str;
    /// The built-in definitions of the kind: (name, TOML text).
    const BUILTINS: &'static [(&'static str, &'static str)];
    type Cell: Cell + 'static;
    /// Every check of the definition, before anything runs.
    fn check(&self) -> Result<(), String>;
    fn name(&self) -> &str;
    fn title(&self) -> &str;
    fn profile_names(&self) -> Vec<String>;
    fn cells(&self, profile: &str) -> Result<Vec<Self::Cell>, String>;
    /// Why `--dims` does not apply (`None`: it does).
    fn no_dims(&self) -> Option<&str> {
        None
    }
    /// As [`Experiment::before_cells`].
    fn before_cells(&self, _profile: &str, _device: &Device) -> Result<(), String> {
        Ok(())
    }
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String>;
}

/// The names of the built-in definitions of kind `D`.
pub fn names_of<D: Definition>() -> Vec<&'static str> {
    D::BUILTINS.iter().map(|(n, _)| *n).collect()
}

/// The built-in definition `name` of kind `D`, parsed and checked, if it is one.
pub fn load_def<D: Definition>(name: &str) -> Option<Result<D, String>> {
    load(D::BUILTINS, name, D::check)
}

/// A definition of kind `D` from its TOML text, checked; errors start with `origin`.
pub fn parse_def<D: Definition>(text: &str, origin: &str) -> Result<D, String> {
    parse(text, origin, D::check)
}

/// The `Kind::load` of kind `D`.
pub fn load_of<D: Definition>(name: &str) -> Option<Result<Box<dyn Experiment>, String>> {
    load_def::<D>(name)
        .map(|r| r.map(|def| Box::new(Defined { def, origin: None }) as Box<dyn Experiment>))
}

/// The `Kind::parse` of kind `D`.
pub fn parse_of<D: Definition>(text: &str, origin: &Path) -> Result<Box<dyn Experiment>, String> {
    let def = parse_def::<D>(text, &origin.display().to_string())?;
    Ok(Box::new(Defined {
        def,
        origin: Some(origin.to_path_buf()),
    }))
}

/// A definition of kind `D` as an [`Experiment`], with the file it came from (`None`: built in).
pub struct Defined<D> {
    pub def: D,
    pub origin: Option<PathBuf>,
}

impl<D: Definition> Experiment for Defined<D> {
    fn name(&self) -> &str {
        self.def.name()
    }
    fn kind(&self) -> &str {
        D::KIND
    }
    fn title(&self) -> &str {
        self.def.title()
    }
    fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }
    fn profiles(&self) -> Vec<String> {
        self.def.profile_names()
    }
    fn cells(&self, profile: &str) -> Result<Vec<Box<dyn Cell>>, String> {
        Ok(self
            .def
            .cells(profile)?
            .into_iter()
            .map(|c| Box::new(c) as Box<dyn Cell>)
            .collect())
    }
    fn no_dims(&self) -> Option<&str> {
        self.def.no_dims()
    }
    fn before_cells(&self, profile: &str, device: &Device) -> Result<(), String> {
        self.def.before_cells(profile, device)
    }
    fn report(&self, profile: &str, results: &Path, reports: &Path) -> Result<(), String> {
        self.def.report(profile, results, reports)
    }
}

/// The built-in definition `name` of `defs` ((name, TOML text) pairs), parsed and checked.
pub fn load<T: DeserializeOwned>(
    defs: &[(&str, &str)],
    name: &str,
    check: impl Fn(&T) -> Result<(), String>,
) -> Option<Result<T, String>> {
    let (_, text) = defs.iter().find(|(n, _)| *n == name)?;
    Some(parse(text, &format!("experiments/defs/{name}.toml"), check))
}

/// A definition from its TOML text, checked; errors start with `origin`.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    origin: &str,
    check: impl Fn(&T) -> Result<(), String>,
) -> Result<T, String> {
    let e = toml::from_str::<T>(text).map_err(|e| format!("{origin}: {e}"))?;
    check(&e).map_err(|e| format!("{origin}: {e}"))?;
    Ok(e)
}

/// Profile `name` of experiment `exp`, or an error listing the profiles.
pub fn profile<'a, P>(
    profiles: &'a BTreeMap<String, P>,
    exp: &str,
    name: &str,
) -> Result<&'a P, String> {
    profiles.get(name).ok_or_else(|| {
        format!(
            "unknown profile `{name}` of {exp}: allowed {}",
            profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })
}

/// Whether `dir` holds a finished run of the configuration with hash `hash`: false when it has
/// no readable manifest, an error when the manifest is of another configuration.
pub fn finished(dir: &Path, hash: &str) -> Result<bool, String> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return Ok(false);
    };
    let Ok(m) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(false);
    };
    match m["config_hash"].as_str() {
        Some(h) if h == hash => {
            let rows = serde_json::from_value(m["rows"].clone()).unwrap_or_default();
            socbench_methods::record::check_rows(dir, &rows)?;
            Ok(true)
        }
        Some(h) => Err(format!(
            "`{}` holds a run with a different configuration (hash {h}); rerun with --force (the \
             old run is moved aside, not deleted)",
            dir.display()
        )),
        None => Ok(false),
    }
}
