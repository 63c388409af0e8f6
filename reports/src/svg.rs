//! A minimal SVG line plot (one panel per metric, one line per method, log-scaled y), written
//! by hand: the figures are simple and this keeps the build free of font and image libraries.

use std::fmt::Write;

/// One line of a panel: label and (x, y) points (non-finite or non-positive y skipped), with an
/// optional band (x, low, high) drawn shaded around it (the spread over seeds).
pub struct Line {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub band: Vec<(f64, f64, f64)>,
}

impl Line {
    /// A line without a band.
    pub fn new(label: String, points: Vec<(f64, f64)>) -> Self {
        Self {
            label,
            points,
            band: Vec::new(),
        }
    }
}

pub const COLORS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// Panels side by side: (title, lines). x is plotted on a categorical axis of the sorted distinct
/// x values (the paper's d ∈ {2, 10, 50, …}); y on a log10 scale.
pub fn panels(panels: &[(String, Vec<Line>)], x_label: &str) -> String {
    let (pw, ph, m) = (300.0, 240.0, 45.0);
    let width = pw * panels.len() as f64 + 140.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{}" font-family="sans-serif" font-size="11">"#,
        ph + 30.0
    );
    for (i, (title, lines)) in panels.iter().enumerate() {
        let ox = i as f64 * pw;
        let mut xs: Vec<f64> = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let ys: Vec<f64> = lines
            .iter()
            .flat_map(|l| {
                l.points
                    .iter()
                    .map(|p| p.1)
                    .chain(l.band.iter().flat_map(|b| [b.1, b.2]))
            })
            .filter(|y| y.is_finite() && *y > 0.0)
            .map(f64::log10)
            .collect();
        let (lo, hi) = ys
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
                (a.min(y), b.max(y))
            });
        let (lo, hi) = if lo.is_finite() {
            (lo.floor(), hi.ceil().max(lo.floor() + 1.0))
        } else {
            (0.0, 1.0)
        };
        let px = |x: f64| {
            let j = xs.iter().position(|v| *v == x).unwrap_or(0) as f64;
            ox + m + j * (pw - 1.5 * m) / (xs.len().max(2) - 1) as f64
        };
        let py = |y: f64| 20.0 + (ph - m) * (1.0 - (y.log10() - lo) / (hi - lo));
        let _ = write!(
            s,
            r#"<text x="{}" y="14" text-anchor="middle">{}</text>"#,
            ox + pw / 2.0,
            esc(title)
        );
        let _ = write!(
            s,
            r##"<rect x="{}" y="20" width="{}" height="{}" fill="none" stroke="#888"/>"##,
            ox + m - 8.0,
            pw - 1.5 * m + 16.0,
            ph - m
        );
        for e in (lo as i32)..=(hi as i32) {
            let y = py(10f64.powi(e));
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="end">1e{e}</text>"#,
                ox + m - 10.0,
                y + 4.0
            );
        }
        for &x in &xs {
            let _ = write!(
                s,
                r#"<text x="{}" y="{}" text-anchor="middle">{x}</text>"#,
                px(x),
                ph - m + 35.0
            );
        }
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            ox + pw / 2.0,
            ph + 25.0,
            esc(x_label)
        );
        for (li, l) in lines.iter().enumerate() {
            let c = COLORS[li % COLORS.len()];
            let pos = |y: f64| y.is_finite() && y > 0.0;
            let band: Vec<(f64, f64, f64)> = l
                .band
                .iter()
                .filter(|b| pos(b.1) && pos(b.2))
                .map(|&(x, lo, hi)| (px(x), py(lo), py(hi)))
                .collect();
            band_polygon(&mut s, &band, c);
            let pts: Vec<String> = l
                .points
                .iter()
                .filter(|p| pos(p.1))
                .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
                .collect();
            let _ = write!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{c}" stroke-width="1.5"/>"#,
                pts.join(" ")
            );
            for p in &pts {
                let (x, y) = p.split_once(',').unwrap();
                let _ = write!(s, r#"<circle cx="{x}" cy="{y}" r="2.5" fill="{c}"/>"#);
            }
        }
    }
    if let Some((_, lines)) = panels.first() {
        legend(
            &mut s,
            pw * panels.len() as f64 + 10.0,
            &line_entries(lines),
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A shaded band through pixel points (x, y_low, y_high), in the line's colour.
pub fn band_polygon(s: &mut String, band: &[(f64, f64, f64)], color: &str) {
    if band.len() < 2 {
        return;
    }
    let upper = band.iter().map(|b| format!("{:.1},{:.1}", b.0, b.2));
    let lower = band.iter().rev().map(|b| format!("{:.1},{:.1}", b.0, b.1));
    let pts: Vec<String> = upper.chain(lower).collect();
    let _ = write!(
        s,
        r#"<polygon points="{}" fill="{color}" fill-opacity="0.15" stroke="none"/>"#,
        pts.join(" ")
    );
}

/// Legend entries of lines, in the colours the panels draw them with.
pub fn line_entries(lines: &[Line]) -> Vec<(String, &'static str)> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.label.clone(), COLORS[i % COLORS.len()]))
        .collect()
}

/// The legend at `x` (right of the panels): a coloured stroke and a label per entry.
pub fn legend(s: &mut String, x: f64, entries: &[(String, &str)]) {
    for (i, (label, c)) in entries.iter().enumerate() {
        let y = 30.0 + 16.0 * i as f64;
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{y}" x2="{}" y2="{y}" stroke="{c}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
            x + 18.0,
            x + 24.0,
            y + 4.0,
            esc(label)
        );
    }
}

pub fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
