//! A log-log line chart as a self-contained SVG document: decade grid
//! lines with labels, one polyline with point markers per series, a
//! legend, axis titles. Written by hand like the trace pictures
//! (`overlay_models::paint`): a plotting crate would bring font handling
//! for a dozen `<text>` elements.

use std::fmt::Write;

/// One line of the chart.
pub struct Series {
    pub label: String,
    /// CSS colour.
    pub color: &'static str,
    pub dashed: bool,
    /// (x, y) points, both positive; others are skipped.
    pub points: Vec<(f64, f64)>,
}

pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
}

const W: f64 = 1140.0;
const H: f64 = 560.0;
const LEFT: f64 = 90.0;
/// Room for the legend, right of the plot.
const RIGHT: f64 = 330.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 70.0;

/// A decade's label: 1, 10, 100, 1k, 10k, 100k, 1M, …
fn decade_label(e: i32) -> String {
    match e {
        e if e < 0 => format!("1e{e}"),
        0..=2 => format!("{}", 10u64.pow(e as u32)),
        3..=5 => format!("{}k", 10u64.pow(e as u32 - 3)),
        6..=8 => format!("{}M", 10u64.pow(e as u32 - 6)),
        _ => format!("{}G", 10u64.pow(e as u32 - 9)),
    }
}

/// The decades `[lo, hi]` that hold every value, at least one wide.
fn decades(values: impl Iterator<Item = f64>) -> (i32, i32) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v.log10());
        hi = hi.max(v.log10());
    }
    if lo > hi {
        return (0, 1);
    }
    let (lo, hi) = (lo.floor() as i32, hi.ceil() as i32);
    (lo, hi.max(lo + 1))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Chart {
    pub fn svg(&self) -> String {
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let (x0, x1) = decades(points().map(|p| p.0));
        let (y0, y1) = decades(points().map(|p| p.1));
        let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
        let sx = |x: f64| LEFT + (x.log10() - x0 as f64) / (x1 - x0) as f64 * pw;
        let sy = |y: f64| TOP + ph - (y.log10() - y0 as f64) / (y1 - y0) as f64 * ph;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
             viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"14\">"
        );
        let _ = writeln!(o, "<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>");
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"28\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">{}</text>",
            LEFT + pw / 2.0,
            escape(&self.title)
        );
        // Grid: decades solid, 2..9 within them faint.
        for e in x0..=x1 {
            let x = sx(10f64.powi(e));
            let _ = writeln!(
                o,
                "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#bbb\"/>\
                 <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                TOP + ph,
                TOP + ph + 20.0,
                decade_label(e)
            );
            for m in 2..10 {
                let v = m as f64 * 10f64.powi(e);
                if e < x1 {
                    let x = sx(v);
                    let _ = writeln!(
                        o,
                        "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>",
                        TOP + ph
                    );
                }
            }
        }
        for e in y0..=y1 {
            let y = sy(10f64.powi(e));
            let _ = writeln!(
                o,
                "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#bbb\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                LEFT + pw,
                LEFT - 8.0,
                y + 5.0,
                decade_label(e)
            );
        }
        let _ = writeln!(
            o,
            "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#333\"/>"
        );
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            LEFT + pw / 2.0,
            H - 20.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            o,
            "<text transform=\"translate(24 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            TOP + ph / 2.0,
            escape(&self.y_label)
        );
        for s in &self.series {
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter(|(x, y)| *x > 0.0 && *y > 0.0 && x.is_finite() && y.is_finite())
                .map(|&(x, y)| (sx(x), sy(y)))
                .collect();
            let path: Vec<String> = pts.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let dash = if s.dashed {
                " stroke-dasharray=\"7 5\""
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"{dash}/>",
                path.join(" "),
                s.color
            );
            for (x, y) in &pts {
                let _ = writeln!(
                    o,
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"4\" fill=\"{}\"/>",
                    s.color
                );
            }
        }
        // Legend, right of the plot (inside, it would hide lines).
        let lx = LEFT + pw + 16.0;
        let ly = TOP;
        let lw = 20.0
            + self
                .series
                .iter()
                .map(|s| s.label.chars().count())
                .max()
                .unwrap_or(0) as f64
                * 7.6
            + 50.0;
        let _ = writeln!(
            o,
            "<rect x=\"{lx}\" y=\"{ly}\" width=\"{lw:.1}\" height=\"{:.1}\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999\"/>",
            12.0 + 22.0 * self.series.len() as f64
        );
        for (k, s) in self.series.iter().enumerate() {
            let y = ly + 20.0 + 22.0 * k as f64;
            let dash = if s.dashed {
                " stroke-dasharray=\"7 5\""
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"2.5\"{dash}/>\
                 <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                lx + 10.0,
                lx + 46.0,
                s.color,
                lx + 54.0,
                y + 5.0,
                escape(&s.label)
            );
        }
        o.push_str("</svg>\n");
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decades_cover_the_values() {
        assert_eq!(decades([3.0, 2000.0].into_iter()), (0, 4));
        assert_eq!(decades([10.0].into_iter()), (1, 2));
        assert_eq!(decades(std::iter::empty()), (0, 1));
        assert_eq!(decade_label(4), "10k");
        assert_eq!(decade_label(6), "1M");
    }

    #[test]
    fn the_chart_is_one_svg_document_with_every_series() {
        let c = Chart {
            title: "t & u".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series {
                label: "a<b".into(),
                color: "red",
                dashed: true,
                points: vec![(1.0, 1.0), (100.0, 1e4), (0.0, 5.0)],
            }],
        };
        let s = c.svg();
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("t &amp; u") && s.contains("a&lt;b"));
        assert_eq!(s.matches("<circle").count(), 2);
    }
}
