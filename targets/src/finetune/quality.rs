//! Sample quality of a model (the base model after pretraining, a fine-tuned one during
//! training): the four metrics of Fig. 5 plus the reward's parts, on a fixed set of prompts and
//! noise seeds.

use burn::prelude::*;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::tensor_util::to_f64;

use super::classifier::predict;
use super::denoiser::label_column;
use super::metrics::{frechet, mean_pairwise, rows_of};
use super::pretrain::BaseModel;
use super::reward::{reward_parts, RewardConfig};
use super::sampler::{generate, EpsFn, SamplerConfig};
use super::schedule::VpSchedule;
use crate::digits::CLASSES;

/// The metrics of one set of samples (means over the prompts).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Quality {
    /// r = log p(c|x) + γ ink (ImageReward analog).
    pub reward: f64,
    pub log_prob: f64,
    pub ink: f64,
    /// Accuracy of the prompted class under the evaluation classifier (CLIPScore analog).
    pub alignment: f64,
    /// Per-class accuracy.
    pub per_class: Vec<f64>,
    /// Mean over classes of the Fréchet distance to the held-out images of the class, in the
    /// evaluation classifier's features (HPS analog; lower is better).
    pub fd_class: f64,
    /// The Fréchet distance of all samples to all held-out images.
    pub fd_all: f64,
    /// Mean over classes of the mean pairwise feature distance (DreamSim diversity analog).
    pub diversity: f64,
}

/// The prompts of an evaluation: `per_class` of each of `classes`, class-major.
pub fn prompts(classes: &[usize], per_class: usize) -> Vec<usize> {
    classes
        .iter()
        .flat_map(|&c| std::iter::repeat_n(c, per_class))
        .collect()
}

/// Checks prompt classes: each must be a class, with no repeats. Errors name the field.
pub fn check_classes(classes: &[usize]) -> Result<(), String> {
    if classes.is_empty() {
        return Err(format!(
            "classes = []: allowed a non-empty list of classes 0–{}",
            CLASSES - 1
        ));
    }
    if let Some(c) = classes.iter().find(|&&c| c >= CLASSES) {
        return Err(format!(
            "classes: unknown class {c}: allowed 0–{} (the digits)",
            CLASSES - 1
        ));
    }
    let mut v = classes.to_vec();
    v.sort_unstable();
    v.dedup();
    if v.len() != classes.len() {
        return Err("classes: a class is listed twice".into());
    }
    Ok(())
}

/// All classes 0–9.
pub fn all_classes() -> Vec<usize> {
    (0..CLASSES).collect()
}

/// Evaluates images [n, 64] generated for `labels`.
pub fn quality_of(
    base: &BaseModel,
    reward: &RewardConfig,
    x: Tensor<B, 2>,
    labels: &[usize],
    held: &(Vec<f64>, Vec<usize>),
) -> Quality {
    let device = x.device();
    let (r, lp, ink) = reward_parts(
        &base.reward_classifier,
        reward,
        x.clone(),
        label_column(labels, &device),
    );
    let mean = |t: Tensor<B, 1>| {
        let v = to_f64(t);
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (pred, feats) = predict(&base.eval_classifier, x);
    let dim = feats.len() / labels.len();
    let mut per_class = vec![f64::NAN; CLASSES];
    let (mut fd, mut div, mut classes) = (0.0, 0.0, 0);
    for (c, acc) in per_class.iter_mut().enumerate() {
        let idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        if idx.is_empty() {
            continue;
        }
        *acc = idx.iter().filter(|&&i| pred[i] == c).count() as f64 / idx.len() as f64;
        let mine = rows_of(&feats, dim, labels, c);
        fd += frechet(&mine, &rows_of(&held.0, dim, &held.1, c), dim);
        div += mean_pairwise(&mine, dim);
        classes += 1;
    }
    let hits = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
    Quality {
        reward: mean(r),
        log_prob: mean(lp),
        ink: mean(ink),
        alignment: hits as f64 / labels.len() as f64,
        per_class,
        fd_class: fd / classes as f64,
        fd_all: frechet(&feats, &held.0, dim),
        diversity: div / classes as f64,
    }
}

/// Samples `prompts` with ε̂ = `eps` at noise level η from `rng` and evaluates them; returns the
/// images too.
#[allow(clippy::too_many_arguments)]
pub fn sample_quality(
    base: &BaseModel,
    reward: &RewardConfig,
    eps: &EpsFn<'_>,
    sampler: &SamplerConfig,
    eta: f64,
    labels: &[usize],
    held: &(Vec<f64>, Vec<usize>),
    rng: &mut ChaCha20Rng,
    device: &Device,
) -> (Quality, Vec<f64>) {
    let sched: VpSchedule = base.cfg.schedule;
    let x = generate(eps, &sched, sampler, eta, labels, rng, device);
    let q = quality_of(base, reward, x.clone(), labels, held);
    (q, to_f64(x))
}
