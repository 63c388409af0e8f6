//! The shipped UCI digits (targets/data/digits) for the reward fine-tuning problem (issue 23).

use socbench::targets::digits::{Digits, CLASSES, PIXELS};

/// 1797 images with this test set's well-known class counts (174–183), pixels in [0, 1] with
/// both ends used, and a held-out split of every 5th image per class (20 %, every class).
#[test]
fn shipped_digits() {
    let d = Digits::shipped().unwrap();
    assert_eq!(d.len(), 1797);
    let c = d.class_counts();
    assert_eq!(c, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    let (lo, hi) = d
        .images
        .iter()
        .flat_map(|i| i.iter())
        .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    assert_eq!((lo, hi), (0.0, 1.0));
    let (train, held) = d.split(5);
    assert_eq!(train.len() + held.len(), 1797);
    assert!(
        held.class_counts().iter().all(|&n| (34..=37).contains(&n)),
        "{:?}",
        held.class_counts()
    );
    assert_eq!(CLASSES, 10);
    assert_eq!(PIXELS, 64);
}

/// Malformed data gives one-line errors naming the line and the field.
#[test]
fn malformed_digits_are_one_line_errors() {
    let good = "0,".repeat(64) + "3";
    assert_eq!(Digits::parse(&good).unwrap().labels, vec![3]);
    for (text, want) in [
        ("1,2,3".to_string(), "65 comma-separated fields"),
        ("0,".repeat(63) + "17,3", "pixel 64"),
        ("0,".repeat(64) + "10", "label"),
        (format!("{good}\n{}", "x,".repeat(64) + "1"), "line 2"),
        (String::new(), "no images"),
    ] {
        let e = Digits::parse(&text).unwrap_err().to_string();
        assert!(e.contains(want) && !e.contains('\n'), "{want}: {e}");
    }
}
