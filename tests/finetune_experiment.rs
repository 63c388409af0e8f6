//! The fine-tuning experiment (experiments/src/finetune.rs, Fig. 5): the definition resolves,
//! bad inputs are one-line errors naming the field, a small pretrained base model is
//! recognisably class-conditional, and a smoke cell is reproducible and recognised on rerun.

use std::path::Path;

use socbench::harness::backend;
use socbench::targets::finetune::classifier::{accuracy, images_tensor, EVAL_CLASSIFIER};
use socbench::targets::finetune::quality::{all_classes, prompts, sample_quality};
use socbench::targets::finetune::{BaseModel, PretrainConfig};
use socbench_experiments::builtin::{load_def, parse_def};
use socbench_experiments::cell_list::CellList;
use socbench_experiments::finetune::{finished, run_ft_cell, FtExperiment};

fn load(name: &str) -> Option<Result<FtExperiment, String>> {
    load_def(name)
}

fn parse(text: &str, origin: &str) -> Result<FtExperiment, String> {
    parse_def(text, origin)
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("socbench-ft-{name}-{}", std::process::id()));
    std::fs::remove_dir_all(&d).ok();
    d
}

#[test]
fn fig5_resolves() {
    let exp = load("fig5").expect("built in").unwrap();
    let cpu = exp.cells("cpu").unwrap();
    assert_eq!(cpu.len(), 9);
    let annealed = cpu.iter().find(|c| c.arm == "tr-socm-annealed").unwrap();
    assert_eq!(
        annealed.setup.train.beta,
        socbench::methods::finetune::BetaSchedule::Annealed
    );
    assert_eq!(annealed.setup.train.buffer, 100);
    assert_eq!(annealed.setup.train.passes, 10);
    // Every arm fine-tunes the same base model.
    assert!(cpu
        .iter()
        .all(|c| c.setup.pretrain == exp.setup("cpu").unwrap().pretrain));
    let e = exp.cells("gpu").unwrap_err();
    assert!(
        e.contains("unknown profile `gpu`") && e.contains("smoke"),
        "{e}"
    );
}

const DEF: &str = r#"
name = "t"
title = "t"
[arms.am]
label = "AM"
method = "METHOD"
[profiles.p]
seeds = 1
arms = ["am"]
config = CONFIG
"#;

fn def(method: &str, config: &str) -> Result<(), String> {
    parse(
        &DEF.replace("METHOD", method).replace("CONFIG", config),
        "t.toml",
    )
    .map(|_| ())
}

#[test]
fn bad_definitions_are_one_line_errors() {
    assert!(def("am", "{}").is_ok());
    let cases = [
        ("am", "{ classes = [3, 12] }", "unknown class 12"),
        ("am", "{ classes = [] }", "classes = []"),
        ("lv", "{}", "`lv` cannot fine-tune"),
        ("nope", "{}", "invalid `method` = nope"),
        ("am", "{ train = { epsilon = -1.0 } }", "train.epsilon = -1"),
        ("am", "{ train = { buffer = 30 } }", "train.buffer = 30"),
        (
            "am",
            "{ pretrain = { dataset = \"cifar\" } }",
            "pretrain.dataset = \"cifar\"",
        ),
        (
            "am",
            "{ pretrain = { schedule = { t_min = 0.9 } } }",
            "schedule.t_min = 0.9",
        ),
        ("am", "{ train = { bogus = 1 } }", "bogus"),
    ];
    for (m, c, want) in cases {
        let e = def(m, c).unwrap_err();
        assert!(
            e.contains(want) && e.starts_with("t.toml") && !e.contains('\n'),
            "{m} {c}: {e}"
        );
    }
}

#[test]
fn a_missing_dataset_or_model_is_a_one_line_error() {
    // Where the Debian package is installed, point the loader elsewhere.
    std::env::set_var("SOCBENCH_FASHION_MNIST", tmp("no-fashion"));
    let cfg = PretrainConfig {
        dataset: "fashion-mnist".into(),
        ..Default::default()
    };
    let e = cfg.data().unwrap_err();
    assert!(
        e.contains("fashion-mnist") && e.contains("scripts/fashion-mnist.sh") && !e.contains('\n'),
        "{e}"
    );
    let dir = tmp("missing");
    let e = BaseModel::load(&PretrainConfig::default(), &dir, &backend::flex())
        .err()
        .unwrap();
    assert!(
        e.contains("cargo xtask pretrain") && !e.contains('\n'),
        "{e}"
    );
}

/// A small base model (3000 steps) generates digits that the independent evaluation classifier
/// (held-out accuracy about 0.98) recognises as the prompted class at least 70 % of the time at
/// η = 1 (the full model scores about 0.99; an unconditional model would score about 0.1).
#[test]
fn a_pretrained_base_model_is_class_conditional() {
    let dev = backend::autodiff(&backend::flex());
    let cfg = PretrainConfig {
        steps: 3000,
        hidden: vec![128, 128],
        ..Default::default()
    };
    let dir = tmp("pretrain");
    let base = BaseModel::train(&cfg, &dir, &dev, &mut |_, _, _| {}).unwrap();
    let held_labels: Vec<usize> = base.heldout.labels.iter().map(|&l| l as usize).collect();
    let held_acc = accuracy(
        &base.eval_classifier,
        images_tensor(&base.heldout, &dev),
        &held_labels,
    );
    assert!(
        held_acc > 0.93,
        "{} held-out accuracy {held_acc}",
        EVAL_CLASSIFIER.name
    );
    let held = base.heldout_features(&dev);
    let labels = prompts(&all_classes(), 20);
    let sampler = Default::default();
    let eps = |x, t, l| base.denoiser.guided(x, t, l, 0.25);
    let mut rng = rand::SeedableRng::seed_from_u64(4);
    let (q, _) = sample_quality(
        &base,
        &Default::default(),
        &eps,
        &sampler,
        1.0,
        &labels,
        &held,
        &mut rng,
        &dev,
    );
    assert!(
        q.alignment > 0.7,
        "generated digits: accuracy {}",
        q.alignment
    );
    // Reload from the cache: the same networks.
    let again = BaseModel::load(&cfg, &dir, &dev).unwrap();
    let mut rng = rand::SeedableRng::seed_from_u64(4);
    let eps2 = |x, t, l| again.denoiser.guided(x, t, l, 0.25);
    let (q2, _) = sample_quality(
        &again,
        &Default::default(),
        &eps2,
        &sampler,
        1.0,
        &labels,
        &held,
        &mut rng,
        &dev,
    );
    assert_eq!(q.reward, q2.reward);
    std::fs::remove_dir_all(&dir).ok();
}

/// The smoke cell: runs, is recognised as finished on rerun, refuses to overwrite, and the same
/// seed gives the same history in two processes (wall-clock column aside).
#[test]
fn smoke_cells_are_reproducible_and_resumable() {
    let exp = load("fig5").unwrap().unwrap();
    let cell = exp
        .cells("smoke")
        .unwrap()
        .into_iter()
        .find(|c| c.arm == "tr-socm")
        .unwrap();
    let root = tmp("cells");
    std::env::set_var("SOCBENCH_CACHE", root.join("cache"));
    let dev = backend::flex();
    let setup = exp.setup("smoke").unwrap();
    socbench_experiments::finetune::pretrain_profile(&setup, &dev, &mut |_, _, _| {}).unwrap();
    // Each run in a process of its own (`socbench cell`, as a Slurm task runs it): the
    // guarantee is per process. Within this test process other tests run alongside, and two
    // in-process runs were seen to differ in late digits of the evaluation metrics.
    let rel = cell.dir(Path::new("")).display().to_string();
    let list = CellList {
        experiment: "fig5".into(),
        def: None,
        profile: "smoke".into(),
        cells: vec![rel],
    };
    let list_path = root.join("cells.txt");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(&list_path, list.to_text()).unwrap();
    let mut histories = Vec::new();
    for run in ["a", "b"] {
        let results = root.join(run);
        let dir = cell.dir(&results);
        assert!(!finished(&dir, &cell).unwrap());
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_socbench"))
            .args([
                "cell",
                "--list",
                list_path.to_str().unwrap(),
                "--index",
                "0",
            ])
            .args(["--results", results.to_str().unwrap(), "--device", "flex"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(m["status"], "finished");
        assert_eq!(m["updates"], setup.train.updates);
        assert!(finished(&dir, &cell).unwrap());
        assert!(run_ft_cell(&cell, &dev, &dir, &mut |_, _| {}).is_err());
        let h = std::fs::read_to_string(dir.join("history.csv")).unwrap();
        let strip: Vec<String> = h
            .lines()
            .map(|l| {
                let mut f: Vec<&str> = l.split(',').collect();
                f.remove(2);
                f.join(",")
            })
            .collect();
        histories.push(strip);
    }
    assert_eq!(histories[0], histories[1]);
    std::fs::remove_dir_all(&root).ok();
}
