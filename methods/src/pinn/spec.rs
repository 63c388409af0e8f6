//! The PINN methods by name (the dynamical-systems talk's table, arXiv 2407.07873): each is a
//! residual, stated by three choices, plus the collocation trainer ([`super::train`]). A new
//! method is one more row of [`PINN_METHODS`]; nothing else names them.

use std::fmt;

use crate::config::ConfigError;

/// Whether the transport is stochastic (the log Fokker–Planck residual, σ > 0) or deterministic
/// (the log continuity equation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dynamics {
    /// R_logFP = ∂_tV + div μ + ∇V·μ − ½σ²‖∇V‖² − ½σ²ΔV; evaluated on Euler–Maruyama paths.
    Sde,
    /// R_logCE = ∂_tV + div μ + ∇V·μ; evaluated by the ODE sampler.
    Ode,
}

/// How the log-density path V is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Density {
    /// V = τ log ρ − L(τ) + (1 − τ) log p_prior + τ(1 − τ) φ(x, t), τ = t/T, φ and L learned.
    Learned,
    /// The geometric annealing path: φ ≡ 0, only L(τ) (the path's log normaliser) learned.
    Anneal,
}

/// How the drift μ is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drift {
    /// A network μ(x, t) with d outputs.
    Net,
    /// μ = σ²∇V − f with f(x) = −σ²x/(2s²), the OU whose invariant law is the prior
    /// N(0, s²I) (score-based: the noising process run backwards).
    Score,
    /// μ = ∇Φ with a network Φ(x, t) and the HJB residual added to the loss:
    /// ∂_tΦ + ½‖∇Φ‖² (+ ½σ²ΔΦ for the SDE: Schrödinger bridge; without it: optimal transport).
    Potential,
}

/// One PINN method.
#[derive(Debug)]
pub struct PinnSpec {
    /// Registry name (lower case).
    pub name: &'static str,
    /// The published table's row label.
    pub label: &'static str,
    pub dynamics: Dynamics,
    pub density: Density,
    pub drift: Drift,
    pub summary: &'static str,
}

/// The seven methods of the talk's table.
pub static PINN_METHODS: &[PinnSpec] = &[
    PinnSpec {
        name: "sde-logfp",
        label: "SDE-logFP",
        dynamics: Dynamics::Sde,
        density: Density::Learned,
        drift: Drift::Net,
        summary: "log Fokker–Planck residual, μ and V learned (general bridge)",
    },
    PinnSpec {
        name: "sde-anneal",
        label: "SDE-anneal",
        dynamics: Dynamics::Sde,
        density: Density::Anneal,
        drift: Drift::Net,
        summary: "log Fokker–Planck residual on the geometric annealing path (CMCD's PDE)",
    },
    PinnSpec {
        name: "sde-score",
        label: "SDE-score",
        dynamics: Dynamics::Sde,
        density: Density::Learned,
        drift: Drift::Score,
        summary: "log Fokker–Planck residual with μ = σ²∇V − f (DIS's PDE)",
    },
    PinnSpec {
        name: "sb",
        label: "SB",
        dynamics: Dynamics::Sde,
        density: Density::Learned,
        drift: Drift::Potential,
        summary: "Schrödinger bridge: μ = ∇Φ, log Fokker–Planck + HJB with ½σ²ΔΦ",
    },
    PinnSpec {
        name: "ode-logce",
        label: "ODE-logCE",
        dynamics: Dynamics::Ode,
        density: Density::Learned,
        drift: Drift::Net,
        summary: "log continuity residual, μ and V learned",
    },
    PinnSpec {
        name: "ode-anneal",
        label: "ODE-anneal",
        dynamics: Dynamics::Ode,
        density: Density::Anneal,
        drift: Drift::Net,
        summary: "log continuity residual on the geometric annealing path",
    },
    PinnSpec {
        name: "ot",
        label: "OT",
        dynamics: Dynamics::Ode,
        density: Density::Learned,
        drift: Drift::Potential,
        summary: "optimal transport: μ = ∇Φ, log continuity + HJB without diffusion",
    },
];

/// A PINN method by name (a cheap handle).
#[derive(Clone, Copy)]
pub struct PinnMethod(pub &'static PinnSpec);

impl PinnMethod {
    pub fn all() -> impl Iterator<Item = PinnMethod> {
        PINN_METHODS.iter().map(PinnMethod)
    }
    /// The registered names, comma-separated.
    pub fn names() -> String {
        PINN_METHODS
            .iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
    pub fn spec(self) -> &'static PinnSpec {
        self.0
    }
    /// Whether the residual carries the diffusion terms.
    pub fn stochastic(self) -> bool {
        self.0.dynamics == Dynamics::Sde
    }
}

impl std::str::FromStr for PinnMethod {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_lowercase().replace('_', "-");
        PINN_METHODS
            .iter()
            .find(|m| m.name == norm)
            .map(PinnMethod)
            .ok_or_else(|| ConfigError {
                field: "method",
                value: s.to_string(),
                allowed: PinnMethod::names(),
            })
    }
}

impl fmt::Display for PinnMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

impl fmt::Debug for PinnMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}
