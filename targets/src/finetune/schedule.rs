//! The variance-preserving noise schedule of the base model and the time change to the SOC
//! problem's clock.
//!
//! Diffusion time t ∈ [t_min, 1] runs from data to noise: dX = −½β(t)X dt + √β(t) dW with β
//! linear from β_min to β_max, so X_t = √ᾱ(t) X_0 + √(1 − ᾱ(t)) ε with ᾱ(t) = exp(−∫_0^t β).
//! Sampling runs it backwards on the SOC clock s = 1 − t ∈ [0, 1 − t_min]. The memoryless
//! generation SDE (DDPM, the η = 1 case of [`VpSchedule::drift_coeffs`]) is
//!   dX = [½β X − β ε̂/√(1 − ᾱ)] ds + √β dW,
//! the time reversal of the forward process started at N(0, I); its noise makes X_1 independent
//! of X_0 at s = 0, which adjoint matching requires (Domingo-Enrich et al., "memoryless").

/// β(t) = β_min + (β_max − β_min) t on t ∈ [t_min, 1].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VpSchedule {
    pub beta_min: f64,
    pub beta_max: f64,
    /// The last diffusion time sampled to (t = 0 is singular for ε-prediction).
    pub t_min: f64,
}

impl Default for VpSchedule {
    fn default() -> Self {
        Self {
            beta_min: 0.1,
            beta_max: 12.0,
            t_min: 0.01,
        }
    }
}

impl VpSchedule {
    pub fn beta(&self, t: f64) -> f64 {
        self.beta_min + (self.beta_max - self.beta_min) * t
    }
    /// ∫_0^t β.
    pub fn beta_integral(&self, t: f64) -> f64 {
        self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t
    }
    /// ᾱ(t) = exp(−∫_0^t β).
    pub fn alpha_bar(&self, t: f64) -> f64 {
        (-self.beta_integral(t)).exp()
    }
    /// √(1 − ᾱ(t)), the noise level of X_t.
    pub fn noise_std(&self, t: f64) -> f64 {
        (-(-self.beta_integral(t)).exp_m1()).sqrt()
    }
    /// The SOC horizon T = 1 − t_min.
    pub fn horizon(&self) -> f64 {
        1.0 - self.t_min
    }
    /// Diffusion time at SOC time s.
    pub fn diffusion_time(&self, s: f64) -> f64 {
        1.0 - s
    }
    /// σ(s) = η√β(1 − s) of the generation SDE with noise level η.
    pub fn sigma(&self, s: f64, eta: f64) -> f64 {
        eta * self.beta(self.diffusion_time(s)).sqrt()
    }
    /// (c_x, c_ε) of the generation drift b = c_x X + c_ε ε̂ at SOC time s with noise level η:
    /// c_x = ½β, c_ε = −(1 + η²)/2 · β/√(1 − ᾱ). η = 1 is the memoryless SDE (DDPM), η = 0 the
    /// probability-flow ODE (DDIM); every η has the base model's marginals.
    pub fn drift_coeffs(&self, s: f64, eta: f64) -> (f64, f64) {
        let t = self.diffusion_time(s);
        let b = self.beta(t);
        (0.5 * b, -0.5 * (1.0 + eta * eta) * b / self.noise_std(t))
    }
    /// `validate` errors name the field and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.beta_min > 0.0 && self.beta_min < self.beta_max) {
            return Err(format!(
                "schedule.beta_min = {}: allowed 0 < beta_min < beta_max = {}",
                self.beta_min, self.beta_max
            ));
        }
        if !(self.t_min > 0.0 && self.t_min < 0.5) {
            return Err(format!(
                "schedule.t_min = {}: allowed 0 < t_min < 0.5",
                self.t_min
            ));
        }
        Ok(())
    }
}
