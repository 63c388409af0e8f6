//! Building targets by name, with validated parameters: [`TARGETS`] is the registry, one
//! [`TargetEntry`] per name.

use crate::banana::Banana;
use crate::funnel::Funnel;
use crate::gmm::GaussianMixture;
use crate::manywell::ManyWell;
use crate::Target;
use socbench_harness::error::TargetError;

/// Largest dimension accepted (the paper goes to d = 200).
pub const MAX_DIM: usize = 1000;

/// A registered target: its name, the smallest d it is defined for, and its constructor.
pub struct TargetEntry {
    pub name: &'static str,
    /// One line for help texts and the guide.
    pub summary: &'static str,
    pub min_dim: usize,
    /// The largest d (`MAX_DIM` unless the target has one dimension only).
    pub max_dim: usize,
    pub build: fn(usize) -> Box<dyn Target>,
    /// What of the target's definition is our choice rather than the paper's text, if anything;
    /// every report that uses the target lists it among its deviations.
    pub ours: Option<&'static str>,
}

/// The `ours` note of the registered target `name`, if it has one.
pub fn ours(name: &str) -> Option<&'static str> {
    TARGETS.iter().find(|t| t.name == name).and_then(|t| t.ours)
}

/// Every target [`build`] knows. Add yours here (one line; `docs/extending.md`).
pub const TARGETS: &[TargetEntry] = &[
    TargetEntry {
        name: "gmm",
        summary: "the paper's Gaussian mixture (K = 10, App. E.1), analytic u*",
        min_dim: 1,
        max_dim: MAX_DIM,
        build: |d| Box::new(GaussianMixture::paper_gmm(d)),
        ours: Some(
            "the paper states K = 10, the prior and the weights' ratio; the means (uniform in \
             [−5, 5]^d) and the covariances (random rotations, eigenvalues uniform in [0.5, 2]) \
             are our choice, one instance per d (a fixed stream) shared by every seed and method",
        ),
    },
    TargetEntry {
        name: "manywell",
        summary: "ManyWell (App. E.2): quadrature log Z, exact samples, 2^m modes",
        min_dim: 1,
        max_dim: MAX_DIM,
        build: |d| Box::new(ManyWell::paper(d)),
        ours: None,
    },
    TargetEntry {
        name: "gmm40",
        summary: "the 40-mode GMM of Fig. 8, analytic u*",
        min_dim: 1,
        max_dim: MAX_DIM,
        build: |d| Box::new(GaussianMixture::gmm40(d)),
        ours: None,
    },
    TargetEntry {
        name: "funnel",
        summary: "Neal's funnel (App. E.3)",
        min_dim: 2,
        max_dim: MAX_DIM,
        build: |d| Box::new(Funnel::new(d)),
        ours: None,
    },
    TargetEntry {
        name: "gaussian",
        summary: "N(0, I), the prior's own terminal law (tests)",
        min_dim: 1,
        max_dim: MAX_DIM,
        build: |d| Box::new(GaussianMixture::gaussian(d, 0.0, 1.0, 1.0, 0.0)),
        ours: None,
    },
    TargetEntry {
        name: "banana",
        summary: "example target (docs/extending.md): a twisted Gaussian, gradient by autodiff",
        min_dim: 2,
        max_dim: MAX_DIM,
        build: |d| Box::new(Banana::new(d)),
        ours: None,
    },
    TargetEntry {
        name: "gmm9",
        summary: "sde_sampler's grid GMM (LV paper): 9 modes at {−5, 0, 5}², std √0.3, d = 2",
        min_dim: 2,
        max_dim: 2,
        build: |_| Box::new(GaussianMixture::gmm9()),
        ours: None,
    },
    TargetEntry {
        name: "manywell-delta2",
        summary: "ManyWell with δ = 2 (sde_sampler's mw_50d): m = min(5, d) wells",
        min_dim: 1,
        max_dim: MAX_DIM,
        build: |d| Box::new(ManyWell::new(d, d.min(5), 2.0, 1.0).named("manywell-delta2")),
        ours: None,
    },
];

/// The registered names, in registry order.
pub fn names() -> Vec<&'static str> {
    TARGETS.iter().map(|t| t.name).collect()
}

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
pub fn build(spec: &TargetSpec) -> Result<Box<dyn Target>, TargetError> {
    let entry = TARGETS
        .iter()
        .find(|t| t.name == spec.name)
        .ok_or_else(|| TargetError::UnknownTarget {
            name: spec.name.clone(),
            allowed: names().join(", "),
        })?;
    let d = spec.dim;
    if d < entry.min_dim || d > entry.max_dim {
        return Err(TargetError::range(
            "dim",
            d,
            format!("{}..={} for `{}`", entry.min_dim, entry.max_dim, entry.name),
        ));
    }
    Ok((entry.build)(d))
}
