//! The 8×8 UCI handwritten digits (`targets/data/digits/`, CC BY 4.0): the data of the reward
//! fine-tuning problem's `cpu` and `smoke` profiles (issue 23). Images are scaled to [0, 1]
//! (count/16); a fixed split holds out every k-th image of each class.

use socbench_harness::error::TargetError;

/// Pixels per image (8 × 8).
pub const PIXELS: usize = 64;
pub const CLASSES: usize = 10;

/// Images (row-major, values in [0, 1]) and their class labels.
#[derive(Clone, Debug, Default)]
pub struct Digits {
    pub images: Vec<[f32; PIXELS]>,
    pub labels: Vec<u8>,
}

impl Digits {
    /// The shipped test set of the UCI dataset (1797 images).
    pub fn shipped() -> Result<Self, TargetError> {
        Self::parse(include_str!("../data/digits/digits.csv"))
    }

    /// One image per line: 64 integer counts in 0..=16, then the label in 0..=9. Errors name the
    /// line and the field.
    pub fn parse(text: &str) -> Result<Self, TargetError> {
        let mut out = Digits::default();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let bad = |what: String| TargetError::range("digits", format!("line {}", i + 1), what);
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != PIXELS + 1 {
                return Err(bad(format!(
                    "{} comma-separated fields (64 pixels and a label), got {}",
                    PIXELS + 1,
                    fields.len()
                )));
            }
            let mut img = [0.0f32; PIXELS];
            for (k, f) in fields[..PIXELS].iter().enumerate() {
                match f.parse::<u8>() {
                    Ok(v) if v <= 16 => img[k] = f32::from(v) / 16.0,
                    _ => {
                        return Err(bad(format!(
                            "pixel {} an integer in 0..=16, got {f:?}",
                            k + 1
                        )))
                    }
                }
            }
            match fields[PIXELS].parse::<u8>() {
                Ok(c) if (c as usize) < CLASSES => out.labels.push(c),
                _ => return Err(bad(format!("a label in 0..=9, got {:?}", fields[PIXELS]))),
            }
            out.images.push(img);
        }
        if out.images.is_empty() {
            return Err(TargetError::range(
                "digits",
                "no images",
                "at least one line",
            ));
        }
        Ok(out)
    }

    pub fn len(&self) -> usize {
        self.images.len()
    }
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Images per class.
    pub fn class_counts(&self) -> [usize; CLASSES] {
        let mut c = [0; CLASSES];
        for &l in &self.labels {
            c[l as usize] += 1;
        }
        c
    }

    /// (training, held-out): every `k`-th image of each class, in file order, is held out.
    pub fn split(&self, k: usize) -> (Digits, Digits) {
        let (mut train, mut held) = (Digits::default(), Digits::default());
        let mut seen = [0usize; CLASSES];
        for (img, &l) in self.images.iter().zip(&self.labels) {
            let n = &mut seen[l as usize];
            let dst = if k > 0 && *n % k == k - 1 {
                &mut held
            } else {
                &mut train
            };
            dst.images.push(*img);
            dst.labels.push(l);
            *n += 1;
        }
        (train, held)
    }
}
