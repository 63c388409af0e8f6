//! The methods by name: every registered loss ([`crate::losses::LOSSES`]) on-policy, and under
//! the trust region (`tr-<name>`) where the loss is valid on stored paths.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::OnceLock;

use crate::config::{ConfigError, TrainConfig};
use crate::loss::{Loss, LossSpec, Trainer};
use crate::losses::LOSSES;

/// One method: a registered loss and the trainer that runs it. A cheap handle (`Copy`).
#[derive(Clone, Copy)]
pub struct Method(&'static Entry);

struct Entry {
    name: String,
    loss: &'static LossSpec,
    trainer: Trainer,
}

fn registry() -> &'static [Entry] {
    static METHODS: OnceLock<Vec<Entry>> = OnceLock::new();
    METHODS.get_or_init(|| {
        let on_policy = LOSSES.iter().map(|&loss| Entry {
            name: loss.name.to_string(),
            loss,
            trainer: Trainer::OnPolicy,
        });
        let trust_region = LOSSES.iter().filter(|l| l.buffer).map(|&loss| Entry {
            name: format!("tr-{}", loss.name),
            loss,
            trainer: Trainer::TrustRegion,
        });
        on_policy.chain(trust_region).collect()
    })
}

impl Method {
    /// Every registered method: the losses on-policy, then their trust-region forms.
    pub fn all() -> Vec<Method> {
        registry().iter().map(Method).collect()
    }

    /// The registered names, comma-separated (for help texts and errors).
    pub fn names() -> String {
        registry()
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The method of a name known to be registered (tests, built-in code); panics with the
    /// list of names otherwise. Parse user input with `str::parse`.
    pub fn named(name: &str) -> Method {
        name.parse().unwrap_or_else(|e: ConfigError| panic!("{e}"))
    }

    pub fn name(self) -> &'static str {
        &self.0.name
    }
    /// The paper's label (RE, TR-LV, …).
    pub fn label(self) -> String {
        self.name().to_uppercase()
    }
    pub fn loss(self) -> &'static LossSpec {
        self.0.loss
    }
    pub fn trainer(self) -> Trainer {
        self.0.trainer
    }
    pub fn is_trust_region(self) -> bool {
        self.trainer() == Trainer::TrustRegion
    }
    /// A fresh loss for one run.
    pub fn build_loss(self, cfg: &TrainConfig) -> Box<dyn Loss> {
        (self.0.loss.build)(cfg, self.0.trainer)
    }
    /// Whether the method reads the loss-specific config field `field` (`LossSpec::reads`; a
    /// `tr.` field only under the trust region).
    pub fn reads(self, field: &str) -> bool {
        (self.is_trust_region() || !field.starts_with("tr.")) && self.0.loss.reads.contains(&field)
    }
}

impl PartialEq for Method {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}
impl Eq for Method {}
impl Hash for Method {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state)
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_lowercase().replace('_', "-");
        registry()
            .iter()
            .find(|e| e.name == norm)
            .map(Method)
            .ok_or_else(|| ConfigError {
                field: "method",
                value: s.to_string(),
                allowed: Method::names(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are unique, and every loss valid on stored paths has its trust-region form.
    #[test]
    fn the_registry_has_unique_names_and_every_buffer_loss_its_trust_region_form() {
        let all = Method::all();
        let mut names: Vec<&str> = all.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for l in LOSSES {
            assert_eq!(Method::named(l.name).trainer(), Trainer::OnPolicy);
            let tr = format!("tr-{}", l.name).parse::<Method>();
            assert_eq!(tr.is_ok(), l.buffer, "{}", l.name);
        }
    }
}
