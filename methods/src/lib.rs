//! SOC methods (RE, CE, LV, AM, SOCM, trust-region variants). Implemented in the methods issue.
