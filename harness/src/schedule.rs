//! Diffusivity schedules ζ(t) of the reference OU process dX = −ζ(t)X dt + η√(2ζ(t)) dW, whose
//! stationary law is N(0, η²I): the DDS cosine schedule (App. E.1),
//! ζ(t) = (C_max − C_min) cos²(tπ/(2T)) + C_min, and the variance-preserving (VP) schedule of DIS
//! (arXiv 2307.01198, sde_sampler's `VP`): β linear in generation time from β_max to β_min,
//! ζ = β/2, η = 1.

/// A schedule with the closed-form integral the exponential integrator needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    Cosine(CosineSchedule),
    Linear(LinearSchedule),
}

impl Schedule {
    /// ζ(t).
    pub fn zeta(&self, t: f64) -> f64 {
        match self {
            Schedule::Cosine(s) => s.zeta(t),
            Schedule::Linear(s) => s.zeta(t),
        }
    }
    /// ∫_a^b ζ(r) dr.
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        match self {
            Schedule::Cosine(s) => s.integral(a, b),
            Schedule::Linear(s) => s.integral(a, b),
        }
    }
    pub fn horizon(&self) -> f64 {
        match self {
            Schedule::Cosine(s) => s.horizon,
            Schedule::Linear(s) => s.horizon,
        }
    }
    /// α(t) = exp(−∫_t^T ζ): the scale of the target's contribution to Q_t (eq. 55).
    pub fn alpha(&self, t: f64) -> f64 {
        (-self.integral(t, self.horizon())).exp()
    }
    /// Whether ζ > 0 on [0, T] and T > 0 (an OU process that contracts).
    pub fn is_valid(&self) -> bool {
        match self {
            Schedule::Cosine(s) => s.c_min > 0.0 && s.c_max >= s.c_min && s.horizon > 0.0,
            Schedule::Linear(s) => s.zeta_start > 0.0 && s.zeta_end > 0.0 && s.horizon > 0.0,
        }
    }
}

impl From<CosineSchedule> for Schedule {
    fn from(s: CosineSchedule) -> Self {
        Schedule::Cosine(s)
    }
}

impl From<LinearSchedule> for Schedule {
    fn from(s: LinearSchedule) -> Self {
        Schedule::Linear(s)
    }
}

/// ζ linear in t from `zeta_start` at t = 0 to `zeta_end` at t = T.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearSchedule {
    pub zeta_start: f64,
    pub zeta_end: f64,
    pub horizon: f64,
}

impl LinearSchedule {
    /// sde_sampler's `vp_10` (conf/sde/vp_10.yaml): σ² = β from 10 to 0.1 on [0, 1] in
    /// generation time, drift ½β: ζ = β/2 from 5 to 0.05 (with η = 1, σ = η√(2ζ) = √β).
    pub fn vp_10() -> Self {
        Self {
            zeta_start: 5.0,
            zeta_end: 0.05,
            horizon: 1.0,
        }
    }
    pub fn zeta(&self, t: f64) -> f64 {
        self.zeta_start + (self.zeta_end - self.zeta_start) * t / self.horizon
    }
    /// ∫_a^b ζ = (b − a)(ζ(a) + ζ(b))/2 (exact for a linear ζ).
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        0.5 * (b - a) * (self.zeta(a) + self.zeta(b))
    }
}

/// Cosine-squared schedule with its closed-form integral.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineSchedule {
    pub c_min: f64,
    pub c_max: f64,
    pub horizon: f64,
}

impl Default for CosineSchedule {
    /// The paper's C_min = 0.01, C_max = 10, T = 1.
    fn default() -> Self {
        Self {
            c_min: 0.01,
            c_max: 10.0,
            horizon: 1.0,
        }
    }
}

impl CosineSchedule {
    /// ζ(t).
    pub fn zeta(&self, t: f64) -> f64 {
        let c = (t * std::f64::consts::PI / (2.0 * self.horizon)).cos();
        (self.c_max - self.c_min) * c * c + self.c_min
    }

    /// ∫_0^t ζ(r) dr = C_min t + (C_max − C_min)(t/2 + T/(2π) sin(πt/T)).
    pub fn integral_from_zero(&self, t: f64) -> f64 {
        let pi = std::f64::consts::PI;
        self.c_min * t
            + (self.c_max - self.c_min)
                * (0.5 * t + self.horizon / (2.0 * pi) * (pi * t / self.horizon).sin())
    }

    /// ∫_a^b ζ(r) dr.
    pub fn integral(&self, a: f64, b: f64) -> f64 {
        self.integral_from_zero(b) - self.integral_from_zero(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_integral_matches_quadrature() {
        let s = CosineSchedule::default();
        for &(a, b) in &[(0.0, 1.0), (0.1, 0.35), (0.9, 1.0)] {
            let n = 100_000;
            let h = (b - a) / n as f64;
            let quad: f64 = (0..n).map(|i| s.zeta(a + (i as f64 + 0.5) * h) * h).sum();
            assert!((s.integral(a, b) - quad).abs() < 1e-8, "[{a},{b}]");
        }
        assert!((s.zeta(0.0) - 10.0).abs() < 1e-12 && (s.zeta(1.0) - 0.01).abs() < 1e-12);
        let s = Schedule::from(s);
        assert_eq!(s.alpha(1.0), 1.0);
        // α(0) = e^{−∫ζ} = e^{−(C_max + C_min)/2} is tiny: Q_0 is (nearly) the prior
        assert!((s.alpha(0.0) - (-(10.0 + 0.01) / 2.0f64).exp()).abs() < 1e-12);
    }
}
