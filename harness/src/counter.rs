//! Target-evaluation counter: every call of log ρ or ∇log ρ goes through it.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts evaluations of the target density ρ and of its gradient ∇log ρ separately
/// (one count per point evaluated).
#[derive(Debug, Default)]
pub struct EvalCounter {
    density: AtomicU64,
    gradient: AtomicU64,
}

impl EvalCounter {
    pub fn add_density(&self, n: usize) {
        self.density.fetch_add(n as u64, Ordering::Relaxed);
    }
    pub fn add_gradient(&self, n: usize) {
        self.gradient.fetch_add(n as u64, Ordering::Relaxed);
    }
    /// Sets both counts (a run resumed from a checkpoint).
    pub fn set(&self, density: u64, gradient: u64) {
        self.density.store(density, Ordering::Relaxed);
        self.gradient.store(gradient, Ordering::Relaxed);
    }
    pub fn density(&self) -> u64 {
        self.density.load(Ordering::Relaxed)
    }
    pub fn gradient(&self) -> u64 {
        self.gradient.load(Ordering::Relaxed)
    }
    /// Paper's "target evaluations": points at which ρ or ∇ρ was evaluated (a joint
    /// evaluation of both at one point counts once, as the paper counts simulated paths).
    pub fn target_evals(&self) -> u64 {
        self.density().max(self.gradient())
    }
}
