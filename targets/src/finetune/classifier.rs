//! The two digit classifiers the project trains itself: the reward's (the ImageReward analog's
//! class term) and, independently (another seed, width and augmentation), the evaluation
//! classifier whose accuracy is the alignment metric (CLIPScore analog) and whose last hidden
//! layer is the feature space of the Fréchet distance (HPS analog) and of diversity (DreamSim
//! analog). Inputs are images in model space, x = 2v − 1 ∈ [−1, 1].

use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use socbench_harness::backend::{Device, B};
use socbench_harness::tensor_util::{logsumexp_dim, tensor2_from_f32, to_f64};

use super::denoiser::{label_column, one_hot};
use super::mlp::Mlp;
use crate::digits::{Digits, CLASSES, PIXELS};

/// Architecture and training of one classifier.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClassifierSpec {
    pub name: &'static str,
    pub hidden: &'static [usize],
    /// Std of the Gaussian noise added to training images (robustness to generated samples).
    pub noise: f64,
    pub steps: usize,
    pub seed: u64,
}

/// The reward's classifier.
pub const REWARD_CLASSIFIER: ClassifierSpec = ClassifierSpec {
    name: "reward-classifier",
    hidden: &[96, 96],
    noise: 0.15,
    steps: 3000,
    seed: 11,
};

/// The evaluation classifier (alignment, Fréchet distance, diversity): 16 features.
pub const EVAL_CLASSIFIER: ClassifierSpec = ClassifierSpec {
    name: "eval-classifier",
    hidden: &[128, 16],
    noise: 0.25,
    steps: 3000,
    seed: 23,
};

/// Images (model space) as a tensor [n, 64].
pub fn images_tensor(d: &Digits, device: &Device) -> Tensor<B, 2> {
    let v: Vec<f32> = d
        .images
        .iter()
        .flat_map(|im| im.iter().map(|&p| 2.0 * p - 1.0))
        .collect();
    tensor2_from_f32(v, d.len(), PIXELS, device)
}

/// log p(c | x) for classes `labels` ([n, 1]) from logits [n, CLASSES].
pub fn log_prob_of(logits: Tensor<B, 2>, labels: Tensor<B, 2>) -> Tensor<B, 1> {
    let n = logits.dims()[0];
    let oh = one_hot(labels).slice([0..n, 0..CLASSES]);
    let lse = logsumexp_dim(logits.clone(), 1);
    (logits * oh).sum_dim(1).reshape([n]) - lse.reshape([n])
}

/// Trains a classifier on `train` (Adam, batches of 128, Gaussian input noise).
pub fn train_classifier(spec: &ClassifierSpec, train: &Digits, device: &Device) -> Mlp<B> {
    let device = &socbench_harness::backend::autodiff(device);
    let mut rng: ChaCha20Rng = rand::SeedableRng::seed_from_u64(spec.seed);
    let mut dims = vec![PIXELS];
    dims.extend_from_slice(spec.hidden);
    dims.push(CLASSES);
    let mut net = Mlp::seeded(&dims, device, &mut rng);
    let mut optim = AdamConfig::new().init();
    let x_all: Vec<f32> = train
        .images
        .iter()
        .flat_map(|im| im.iter().map(|&p| 2.0 * p - 1.0))
        .collect();
    let batch = 128;
    for step in 0..spec.steps {
        let lr = if step < spec.steps * 2 / 3 {
            2e-3
        } else {
            5e-4
        };
        let idx: Vec<usize> = (0..batch)
            .map(|_| rng.random_range(0..train.len()))
            .collect();
        let mut xb = Vec::with_capacity(batch * PIXELS);
        for &i in &idx {
            for p in 0..PIXELS {
                let z: f64 = StandardNormal.sample(&mut rng);
                xb.push(x_all[i * PIXELS + p] + (spec.noise * z) as f32);
            }
        }
        let labels: Vec<usize> = idx.iter().map(|&i| train.labels[i] as usize).collect();
        let x = tensor2_from_f32(xb, batch, PIXELS, device);
        let loss = log_prob_of(net.forward(x), label_column(&labels, device))
            .mean()
            .neg();
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optim.step(lr, net, grads);
    }
    net
}

/// Predicted classes and last-hidden-layer features (f64, [n, width]) of images [n, 64].
pub fn predict(net: &Mlp<B>, x: Tensor<B, 2>) -> (Vec<usize>, Vec<f64>) {
    let (feat, logits) = net.with_features(x.detach());
    let l = to_f64(logits);
    let pred = l
        .chunks(CLASSES)
        .map(|r| (0..CLASSES).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap())
        .collect();
    (pred, to_f64(feat))
}

/// Fraction of `x`'s rows classified as `labels`.
pub fn accuracy(net: &Mlp<B>, x: Tensor<B, 2>, labels: &[usize]) -> f64 {
    let (pred, _) = predict(net, x);
    let hit = pred.iter().zip(labels).filter(|(p, l)| p == l).count();
    hit as f64 / labels.len().max(1) as f64
}
