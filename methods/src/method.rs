//! The methods compared in the paper, by name.

use std::fmt;
use std::str::FromStr;

use crate::config::ConfigError;

/// One SOC method (paper Sec. 2–3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Relative entropy / reverse KL, differentiating through the SDE (eq. 46).
    Re,
    /// Cross entropy: importance-weighted forward KL on detached paths (eq. 17, λ = 0).
    Ce,
    /// On-policy log-variance, reference = detached current control (eq. 16, λ = 0).
    Lv,
    /// Adjoint matching: regression onto −σᵀã with the lean adjoint (eq. 18, β = 1).
    Am,
    /// SOC matching (adjoint form): the AM regression weighted by dQ/dP^u.
    Socm,
    /// Trust-region log-variance (Algorithm 2, eq. 15–16).
    TrLv,
    /// Trust-region SOC matching (Algorithm 2, eq. 18–19).
    TrSocm,
    /// Trust-region cross entropy (eq. 17).
    TrCe,
}

pub const METHOD_NAMES: [&str; 8] = ["re", "ce", "lv", "am", "socm", "tr-lv", "tr-socm", "tr-ce"];

impl Method {
    pub fn all() -> [Method; 8] {
        use Method::*;
        [Re, Ce, Lv, Am, Socm, TrLv, TrSocm, TrCe]
    }
    pub fn name(self) -> &'static str {
        METHOD_NAMES[Self::all().iter().position(|m| *m == self).expect("listed")]
    }
    /// The paper's label (RE, TR-LV, …).
    pub fn label(self) -> String {
        self.name().to_uppercase()
    }
    pub fn is_trust_region(self) -> bool {
        matches!(self, Method::TrLv | Method::TrSocm | Method::TrCe)
    }
    /// Methods that regress onto the lean adjoint.
    pub fn uses_adjoint(self) -> bool {
        matches!(self, Method::Am | Method::Socm | Method::TrSocm)
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
        Self::all()
            .into_iter()
            .find(|m| m.name() == norm)
            .ok_or_else(|| ConfigError {
                field: "method",
                value: s.to_string(),
                allowed: METHOD_NAMES.join(", "),
            })
    }
}
