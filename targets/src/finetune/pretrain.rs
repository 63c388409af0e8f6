//! Pretraining the base model (ε-prediction on the VP schedule, labels dropped to the null class
//! for classifier-free guidance) and the cache of the trained networks.
//!
//! `BaseModel::load_or_train` keeps the denoiser and both classifiers under a directory named by
//! a hash of the configuration (`target/socbench-cache/finetune/<hash>/`); a run with the same
//! configuration loads them, a corrupt file is refused with a one-line error.

use std::path::{Path, PathBuf};

use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use rand::Rng;
use rand_chacha::ChaCha20Rng;
use socbench_harness::backend::{Device, B};
use socbench_harness::rng::normals_f32;
use socbench_harness::tensor_util::{tensor2_from_f32, to_f64};

use super::classifier::{images_tensor, predict, train_classifier, ClassifierSpec};
use super::classifier::{EVAL_CLASSIFIER, REWARD_CLASSIFIER};
use super::denoiser::{label_column, one_hot, Denoiser, NULL_CLASS};
use super::mlp::Mlp;
use super::schedule::VpSchedule;
use crate::digits::{Digits, PIXELS};

/// The data sets a base model can be pretrained on.
pub const DATASETS: &[&str] = &["digits", "fashion-mnist"];

/// What the base model is trained on and how.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PretrainConfig {
    /// `digits` (the shipped 8×8 UCI digits) or `fashion-mnist` (the Debian package,
    /// downsampled to 8×8; `scripts/fashion-mnist.sh`).
    pub dataset: String,
    /// Every k-th image of each class is held out (Fréchet distance, classifier accuracy).
    pub holdout_every: usize,
    pub hidden: Vec<usize>,
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    /// Probability that a training label is replaced by the null class.
    pub label_drop: f64,
    pub seed: u64,
    pub schedule: VpSchedule,
}

impl Default for PretrainConfig {
    fn default() -> Self {
        Self {
            dataset: "digits".into(),
            holdout_every: 5,
            hidden: vec![256, 256, 256],
            steps: 12_000,
            batch: 128,
            lr: 1e-3,
            label_drop: 0.1,
            seed: 1,
            schedule: VpSchedule::default(),
        }
    }
}

impl PretrainConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.schedule.validate()?;
        if !DATASETS.contains(&self.dataset.as_str()) {
            return Err(format!(
                "pretrain.dataset = \"{}\": allowed {}",
                self.dataset,
                DATASETS.join(", ")
            ));
        }
        if self.holdout_every < 2 {
            return Err(format!(
                "pretrain.holdout_every = {}: allowed ≥ 2",
                self.holdout_every
            ));
        }
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err("pretrain.hidden: allowed a non-empty list of widths ≥ 1".into());
        }
        if self.steps == 0 || self.batch == 0 || self.lr.is_nan() || self.lr <= 0.0 {
            return Err("pretrain.steps, .batch ≥ 1 and .lr > 0 required".into());
        }
        if !(0.0..1.0).contains(&self.label_drop) {
            return Err(format!(
                "pretrain.label_drop = {}: allowed 0 ≤ label_drop < 1",
                self.label_drop
            ));
        }
        Ok(())
    }

    /// The data set, split into (training, held-out).
    pub fn data(&self) -> Result<(Digits, Digits), String> {
        self.validate()?;
        let d = match self.dataset.as_str() {
            "digits" => Digits::shipped().map_err(|e| format!("dataset digits: {e}"))?,
            _ => crate::fashion::load(&crate::fashion::data_dir())?,
        };
        Ok(d.split(self.holdout_every))
    }

    /// The checkpoints' tag (this configuration and the classifiers', as JSON).
    pub fn tag(&self) -> String {
        serde_json::json!({
            "pretrain": self,
            "classifiers": [&REWARD_CLASSIFIER, &EVAL_CLASSIFIER],
        })
        .to_string()
    }

    /// The cache directory under `root` (`target/socbench-cache/finetune` by default).
    pub fn cache_dir(&self, root: &Path) -> PathBuf {
        let h = self.tag().bytes().fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
        root.join(format!("{h:016x}"))
    }
}

/// The base model and the two classifiers, with the held-out data.
pub struct BaseModel {
    pub cfg: PretrainConfig,
    pub denoiser: Denoiser<B>,
    pub reward_classifier: Mlp<B>,
    pub eval_classifier: Mlp<B>,
    pub heldout: Digits,
}

/// (what, step, total) of a long job.
pub type ProgressFn<'a> = dyn FnMut(&str, usize, usize) + 'a;

impl BaseModel {
    const FILES: [&'static str; 3] = [
        "denoiser.bin",
        "reward-classifier.bin",
        "eval-classifier.bin",
    ];

    /// Loads the cached networks from `dir` (`PretrainConfig::cache_dir`) onto `device`.
    pub fn load(cfg: &PretrainConfig, dir: &Path, device: &Device) -> Result<Self, String> {
        let (_, heldout) = cfg.data()?;
        if !dir.join(Self::FILES[0]).exists() {
            return Err(format!(
                "no pretrained base model in {} (run `cargo xtask pretrain`)",
                dir.display()
            ));
        }
        let tag = cfg.tag();
        let load = |f: &str| Mlp::load(&dir.join(f), &tag, device);
        Ok(Self {
            cfg: cfg.clone(),
            denoiser: Denoiser::new(load(Self::FILES[0])?),
            reward_classifier: load(Self::FILES[1])?,
            eval_classifier: load(Self::FILES[2])?,
            heldout,
        })
    }

    /// Trains the denoiser and both classifiers and writes them to `dir`.
    pub fn train(
        cfg: &PretrainConfig,
        dir: &Path,
        device: &Device,
        progress: &mut ProgressFn<'_>,
    ) -> Result<Self, String> {
        let (train, heldout) = cfg.data()?;
        let mut clf = |spec: &ClassifierSpec| {
            progress(spec.name, 0, 1);
            let net = train_classifier(spec, &train, device);
            progress(spec.name, 1, 1);
            net
        };
        let reward_classifier = clf(&REWARD_CLASSIFIER);
        let eval_classifier = clf(&EVAL_CLASSIFIER);
        let denoiser = train_denoiser(cfg, &train, device, progress);
        let tag = cfg.tag();
        for (f, net) in
            Self::FILES
                .iter()
                .zip([&denoiser.net, &reward_classifier, &eval_classifier])
        {
            net.save(&dir.join(f), &tag)?;
        }
        Ok(Self {
            cfg: cfg.clone(),
            denoiser,
            reward_classifier,
            eval_classifier,
            heldout,
        })
    }

    /// The cached model if there is one, else a freshly trained one (and whether it was trained).
    pub fn load_or_train(
        cfg: &PretrainConfig,
        dir: &Path,
        device: &Device,
        progress: &mut ProgressFn<'_>,
    ) -> Result<(Self, bool), String> {
        if dir.join(Self::FILES[0]).exists() {
            return Ok((Self::load(cfg, dir, device)?, false));
        }
        Ok((Self::train(cfg, dir, device, progress)?, true))
    }

    /// The evaluation classifier's features of the held-out images, f64 [n, width], and their
    /// labels.
    pub fn heldout_features(&self, device: &Device) -> (Vec<f64>, Vec<usize>) {
        let (_, feats) = predict(&self.eval_classifier, images_tensor(&self.heldout, device));
        let labels = self.heldout.labels.iter().map(|&l| l as usize).collect();
        (feats, labels)
    }
}

/// ε-prediction training: t ~ U(t_min/2, 1), X_t = √ᾱ X_0 + √(1 − ᾱ) ε, loss |ε_θ − ε|²;
/// Adam with a cosine decay of the learning rate to 5 % of `lr`.
fn train_denoiser(
    cfg: &PretrainConfig,
    train: &Digits,
    device: &Device,
    progress: &mut ProgressFn<'_>,
) -> Denoiser<B> {
    let device = &socbench_harness::backend::autodiff(device);
    let mut rng: ChaCha20Rng = rand::SeedableRng::seed_from_u64(cfg.seed);
    let mut dims = vec![Denoiser::input_dim()];
    dims.extend_from_slice(&cfg.hidden);
    dims.push(PIXELS);
    let mut model = Denoiser::new(Mlp::seeded(&dims, device, &mut rng));
    let mut optim = AdamConfig::new().init();
    let sched = cfg.schedule;
    let x_all = to_f64(images_tensor(train, device));
    let b = cfg.batch;
    for step in 0..cfg.steps {
        let frac = step as f64 / cfg.steps as f64;
        let lr = cfg.lr * (0.05 + 0.95 * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos()));
        let eps = normals_f32(&mut rng, b * PIXELS);
        let mut xt = Vec::with_capacity(b * PIXELS);
        let mut ts = Vec::with_capacity(b);
        let mut labels = Vec::with_capacity(b);
        for r in 0..b {
            let i = rng.random_range(0..train.len());
            let t = rng.random_range(sched.t_min * 0.5..1.0);
            let (a, s) = (sched.alpha_bar(t).sqrt(), sched.noise_std(t));
            for p in 0..PIXELS {
                xt.push((a * x_all[i * PIXELS + p] + s * eps[r * PIXELS + p] as f64) as f32);
            }
            ts.push(t);
            let drop = rng.random::<f64>() < cfg.label_drop;
            labels.push(if drop {
                NULL_CLASS
            } else {
                train.labels[i] as usize
            });
        }
        let x = tensor2_from_f32(xt, b, PIXELS, device);
        let target = tensor2_from_f32(eps, b, PIXELS, device);
        let pred = model.eps_rows(x, &ts, one_hot(label_column(&labels, device)));
        let loss = (pred - target).square().mean();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(lr, model, grads);
        if step % 200 == 0 || step + 1 == cfg.steps {
            progress("denoiser", step + 1, cfg.steps);
        }
    }
    model
}
