//! Reports: load the run directories of a sweep, aggregate them by the protocol of App. E.1
//! (running mean over 5 evaluations, best of run, mean ± std over seeds), and write markdown
//! tables next to the paper's numbers plus SVG plots.

pub mod aggregate;
pub mod claims;
pub mod eps_claims;
pub mod finetune;
pub mod index;
pub mod ladder;
pub mod load;
pub mod logz;
pub mod lv_claims;
pub mod lv_table;
pub mod markdown;
pub mod output;
pub mod paper;
pub mod path_tracking;
pub mod pinn_claims;
pub mod pinn_table;
pub mod plot;
pub mod protocol;
pub mod provenance;
pub mod record;
pub mod rules;
pub mod rundirs;
pub mod sections;
pub mod seed_cell;
pub mod svg;
pub mod tps;
pub mod tps_claims;
pub mod trust_region;
pub mod verdicts;
