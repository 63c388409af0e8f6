//! Experiment definitions (one per paper figure/table). Filled by the replicate issue.
