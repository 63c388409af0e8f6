//! SOC methods (paper Sec. 2–3, Algorithm 2): RE, CE, LV, AM, SOCM and the trust-region variants.
//! The trust-region dual solver is in [`dual`]; the losses and training loops follow.

pub mod dual;
