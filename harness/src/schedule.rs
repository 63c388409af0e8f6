//! The DDS diffusivity schedule (App. E.1): ζ(t) = (C_max − C_min) cos²(tπ/(2T)) + C_min, and the
//! reference OU process dX = −ζ(t)X dt + η√(2ζ(t)) dW whose stationary law is N(0, η²I).

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

    /// α(t) = exp(−∫_t^T ζ): the scale of the target's contribution to Q_t (eq. 55).
    pub fn alpha(&self, t: f64) -> f64 {
        (-self.integral(t, self.horizon)).exp()
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
        assert_eq!(s.alpha(1.0), 1.0);
        // α(0) = e^{−∫ζ} = e^{−(C_max + C_min)/2} is tiny: Q_0 is (nearly) the prior
        assert!((s.alpha(0.0) - (-(10.0 + 0.01) / 2.0f64).exp()).abs() < 1e-12);
    }
}
