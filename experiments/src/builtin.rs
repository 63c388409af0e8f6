//! What the experiment kinds with a definition format of their own (TPS, fine-tuning) share:
//! looking up a built-in definition, parsing and checking one, choosing a profile, and telling a
//! finished cell from a stale one by its manifest's `config_hash`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;

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
