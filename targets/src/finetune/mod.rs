//! Reward fine-tuning of a diffusion model (paper Sec. 3.3, App. H, Figs. 5–6) on a model the
//! project pretrains itself: a class-conditional ε-prediction MLP on the 8×8 UCI digits with
//! classifier-free guidance ([`denoiser`], [`pretrain`]), its memoryless generation SDE
//! ([`schedule`], [`sampler`]), two independently trained classifiers ([`classifier`]), the
//! reward ([`reward`]), the SOC problem ([`problem`]) and the metrics ([`metrics`]).
//! `docs/finetune.md` maps each to the paper's Stable Diffusion setting.

pub mod classifier;
pub mod denoiser;
pub mod metrics;
pub mod mlp;
pub mod pretrain;
pub mod problem;
pub mod quality;
pub mod reward;
pub mod sampler;
pub mod schedule;

pub use pretrain::{BaseModel, PretrainConfig};
pub use problem::FineTuneProblem;
