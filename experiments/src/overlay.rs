//! Loading a training configuration: a profile's config, overlaid with a TOML file that may set
//! any subset of the fields of `TrainConfig` (unknown fields are an error that names them).

use std::path::Path;

use serde_json::Value;
use socbench_methods::TrainConfig;

/// Merges the object `over` into `base`, field by field (recursively).
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// `base` with the fields of the TOML table `over` replaced.
pub fn overlay_table(
    base: &TrainConfig,
    over: &toml::Table,
    origin: &str,
) -> Result<TrainConfig, String> {
    let over = serde_json::to_value(over).map_err(|e| format!("{origin}: {e}"))?;
    let mut merged = serde_json::to_value(base).expect("config serialises");
    merge(&mut merged, over);
    serde_json::from_value(merged).map_err(|e| format!("{origin}: {e}"))
}

/// `base` with the fields of the TOML text `text` replaced.
pub fn overlay(base: &TrainConfig, text: &str, origin: &str) -> Result<TrainConfig, String> {
    let file: toml::Table =
        toml::from_str(text).map_err(|e| format!("config file `{origin}`: {e}"))?;
    overlay_table(base, &file, &format!("config file `{origin}`"))
}

pub fn load(base: &TrainConfig, path: &Path) -> Result<TrainConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file `{}`: {e}", path.display()))?;
    overlay(base, &text, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_replaces_only_the_given_fields() {
        let base = TrainConfig::default();
        let c = overlay(&base, "lr = 0.01\n[tr]\nepsilon = 0.5\n", "t").unwrap();
        assert_eq!(c.lr, 0.01);
        assert_eq!(c.tr.epsilon, 0.5);
        assert_eq!(c.tr.buffer, base.tr.buffer);
        assert_eq!(c.steps, base.steps);
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named() {
        let base = TrainConfig::default();
        let e = overlay(&base, "learning_rate = 0.01\n", "t").unwrap_err();
        assert!(e.contains("learning_rate"), "{e}");
        let e = overlay(&base, "[tr]\nepsilon = \"big\"\n", "t").unwrap_err();
        assert!(e.contains("t"), "{e}");
        let e = overlay(&base, "lr = \n", "t").unwrap_err();
        assert!(e.contains("config file `t`"), "{e}");
    }
}
