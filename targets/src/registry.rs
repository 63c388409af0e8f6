//! Building targets by name, with validated parameters.

use crate::funnel::Funnel;
use crate::gmm::GaussianMixture;
use crate::manywell::ManyWell;
use crate::{Target, TargetError};

/// Names accepted by [`build`].
pub const TARGET_NAMES: [&str; 5] = ["gmm", "manywell", "gmm40", "funnel", "gaussian"];

/// Largest dimension accepted (the paper goes to d = 200).
pub const MAX_DIM: usize = 1000;

/// What to build: a target name and its dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetSpec {
    pub name: String,
    pub dim: usize,
}

impl TargetSpec {
    pub fn new(name: &str, dim: usize) -> Self {
        Self {
            name: name.to_string(),
            dim,
        }
    }
}

/// Builds the named target. Errors name the offending field and its allowed range.
/// `gaussian` is N(0, η²I) with η = 1: the prior's own terminal law, for tests.
pub fn build(spec: &TargetSpec) -> Result<Box<dyn Target>, TargetError> {
    let d = spec.dim;
    let min_dim = if spec.name == "funnel" { 2 } else { 1 };
    if !TARGET_NAMES.contains(&spec.name.as_str()) {
        return Err(TargetError::UnknownTarget {
            name: spec.name.clone(),
            allowed: TARGET_NAMES.join(", "),
        });
    }
    if d < min_dim || d > MAX_DIM {
        return Err(TargetError::range(
            "dim",
            d,
            format!("{min_dim}..={MAX_DIM}"),
        ));
    }
    Ok(match spec.name.as_str() {
        "gmm" => Box::new(GaussianMixture::paper_gmm(d)),
        "gmm40" => Box::new(GaussianMixture::gmm40(d)),
        "manywell" => Box::new(ManyWell::paper(d)),
        "funnel" => Box::new(Funnel::new(d)),
        "gaussian" => Box::new(GaussianMixture::gaussian(d, 0.0, 1.0, 1.0, 0.0)),
        _ => unreachable!("checked against TARGET_NAMES"),
    })
}
