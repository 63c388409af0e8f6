//! SVG panels on numeric axes: convergence curves (metric against target evaluations, log–log)
//! and scatter plots of samples (model against ground truth). Hand-written like `svg.rs`.

use std::fmt::Write;

use crate::svg::{band_polygon, esc, legend, Line, COLORS};

/// A point cloud of one panel: label, colour, (x, y) points.
pub struct Cloud {
    pub label: String,
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
}

const PW: f64 = 300.0;
const PH: f64 = 240.0;
const M: f64 = 45.0;

/// Maps data to panel pixels; `log` axes take log10 (non-positive values are dropped).
struct Axes {
    ox: f64,
    x: (f64, f64),
    y: (f64, f64),
    log_x: bool,
    log_y: bool,
}

fn tf(v: f64, log: bool) -> Option<f64> {
    match log {
        true if v > 0.0 && v.is_finite() => Some(v.log10()),
        false if v.is_finite() => Some(v),
        _ => None,
    }
}

fn range(vals: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = vals.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if log {
        (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
    } else {
        let pad = ((hi - lo) * 0.05).max(1e-9);
        (lo - pad, hi + pad)
    }
}

impl Axes {
    fn new(ox: f64, pts: &[(f64, f64)], log_x: bool, log_y: bool) -> Self {
        let x = range(pts.iter().filter_map(|p| tf(p.0, log_x)), log_x);
        let y = range(pts.iter().filter_map(|p| tf(p.1, log_y)), log_y);
        Self {
            ox,
            x,
            y,
            log_x,
            log_y,
        }
    }
    fn px(&self, x: f64) -> Option<f64> {
        tf(x, self.log_x)
            .map(|v| self.ox + M + (v - self.x.0) / (self.x.1 - self.x.0) * (PW - 1.5 * M))
    }
    fn py(&self, y: f64) -> Option<f64> {
        tf(y, self.log_y).map(|v| 20.0 + (PH - M) * (1.0 - (v - self.y.0) / (self.y.1 - self.y.0)))
    }
    fn ticks(&self, log: bool, (lo, hi): (f64, f64)) -> Vec<(f64, String)> {
        if log {
            ((lo as i32)..=(hi as i32))
                .map(|e| (10f64.powi(e), format!("1e{e}")))
                .collect()
        } else {
            let prec = match hi - lo {
                r if r >= 20.0 => 0,
                r if r >= 2.0 => 1,
                _ => 3,
            };
            (0..=4)
                .map(|i| {
                    let v = lo + (hi - lo) * i as f64 / 4.0;
                    (v, format!("{v:.prec$}"))
                })
                .collect()
        }
    }
    /// Frame, title, tick labels and the x label of the panel.
    fn frame(&self, s: &mut String, title: &str, x_label: &str) {
        let _ = write!(
            s,
            r##"<text x="{}" y="14" text-anchor="middle">{}</text><rect x="{}" y="20" width="{}" height="{}" fill="none" stroke="#888"/>"##,
            self.ox + PW / 2.0,
            esc(title),
            self.ox + M - 8.0,
            PW - 1.5 * M + 16.0,
            PH - M
        );
        for (v, t) in self.ticks(self.log_y, self.y) {
            if let Some(y) = self.py(v) {
                let _ = write!(
                    s,
                    r#"<text x="{}" y="{:.1}" text-anchor="end">{t}</text>"#,
                    self.ox + M - 10.0,
                    y + 4.0
                );
            }
        }
        for (v, t) in self.ticks(self.log_x, self.x) {
            if let Some(x) = self.px(v) {
                let _ = write!(
                    s,
                    r#"<text x="{x:.1}" y="{}" text-anchor="middle">{t}</text>"#,
                    PH - M + 35.0
                );
            }
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            self.ox + PW / 2.0,
            PH + 25.0,
            esc(x_label)
        );
    }
}

fn open(n: usize) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">"#,
        PW * n as f64 + 160.0,
        PH + 30.0
    )
}

/// Panels of curves on numeric axes (each optionally log-scaled); one legend for every label of
/// every panel, in order of first appearance, and one colour per label in every panel.
pub fn curves(panels: &[(String, Vec<Line>)], x_label: &str, log_x: bool, log_y: bool) -> String {
    let mut s = open(panels.len());
    let mut labels: Vec<&str> = Vec::new();
    for l in panels.iter().flat_map(|(_, lines)| lines) {
        if !labels.contains(&l.label.as_str()) {
            labels.push(&l.label);
        }
    }
    let colour = |label: &str| {
        let i = labels.iter().position(|l| *l == label).unwrap_or(0);
        COLORS[i % COLORS.len()]
    };
    for (i, (title, lines)) in panels.iter().enumerate() {
        let all: Vec<(f64, f64)> = lines
            .iter()
            .flat_map(|l| {
                l.points
                    .iter()
                    .copied()
                    .chain(l.band.iter().flat_map(|b| [(b.0, b.1), (b.0, b.2)]))
            })
            .collect();
        let ax = Axes::new(i as f64 * PW, &all, log_x, log_y);
        ax.frame(&mut s, title, x_label);
        for l in lines {
            let c = colour(&l.label);
            let band: Vec<(f64, f64, f64)> = l
                .band
                .iter()
                .filter_map(|&(x, lo, hi)| Some((ax.px(x)?, ax.py(lo)?, ax.py(hi)?)))
                .collect();
            band_polygon(&mut s, &band, c);
            let pts: Vec<String> = l
                .points
                .iter()
                .filter_map(|&(x, y)| Some(format!("{:.1},{:.1}", ax.px(x)?, ax.py(y)?)))
                .collect();
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="1.5"/>"#,
                pts.join(" ")
            );
        }
    }
    let entries: Vec<(String, &str)> = labels.iter().map(|l| (l.to_string(), colour(l))).collect();
    legend(&mut s, PW * panels.len() as f64 + 10.0, &entries);
    s.push_str("</svg>\n");
    s
}

/// Scatter panels on linear axes shared by all panels (so they compare), clouds drawn in order.
pub fn scatter(panels: &[(String, Vec<Cloud>)], x_label: &str) -> String {
    let mut s = open(panels.len());
    let all: Vec<(f64, f64)> = panels
        .iter()
        .flat_map(|(_, cs)| cs.iter().flat_map(|c| c.points.clone()))
        .collect();
    let mut entries: Vec<(String, &str)> = Vec::new();
    for (i, (title, clouds)) in panels.iter().enumerate() {
        let ax = Axes::new(i as f64 * PW, &all, false, false);
        ax.frame(&mut s, title, x_label);
        for c in clouds {
            for &(x, y) in &c.points {
                if let (Some(x), Some(y)) = (ax.px(x), ax.py(y)) {
                    let _ = write!(
                        s,
                        r#"<circle cx="{x:.1}" cy="{y:.1}" r="1.2" fill="{}" fill-opacity="0.5"/>"#,
                        c.color
                    );
                }
            }
            if !entries.iter().any(|(l, _)| *l == c.label) {
                entries.push((c.label.clone(), c.color));
            }
        }
    }
    legend(&mut s, PW * panels.len() as f64 + 10.0, &entries);
    s.push_str("</svg>\n");
    s
}
