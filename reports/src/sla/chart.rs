//! Charts as plain shapes (rectangles, polylines, text) in a box whose
//! units are millimetres with y pointing down, so the same chart is drawn
//! as inline SVG in the HTML page and as vector operations in the PDF.

use super::{SlaReport, WeekRow};
use pipeline::domain::sla::Step;

/// A colour, 0–255 per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// How a text is placed on its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// x is the left end.
    Start,
    /// x is the centre.
    Middle,
    /// x is the right end.
    End,
}

/// One drawing element.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A filled rectangle (x, y is the top-left corner).
    Rect {
        /// Left.
        x: f32,
        /// Top.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
        /// Fill.
        fill: Rgb,
    },
    /// A line through the points.
    Line {
        /// The points.
        points: Vec<(f32, f32)>,
        /// Colour.
        stroke: Rgb,
        /// Width in millimetres.
        width: f32,
        /// Dashed (a target or reference line).
        dashed: bool,
    },
    /// Text with its baseline at y.
    Text {
        /// Anchor x.
        x: f32,
        /// Baseline y.
        y: f32,
        /// Size in millimetres (cap height + descent, as a font size).
        size: f32,
        /// Placement on x.
        anchor: Anchor,
        /// Bold.
        bold: bool,
        /// Colour.
        color: Rgb,
        /// The text.
        text: String,
    },
}

/// A chart: its title, its box and what is drawn in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Title (Bahasa Indonesia), drawn above the chart by the document.
    pub title: String,
    /// Width in millimetres.
    pub width: f32,
    /// Height in millimetres.
    pub height: f32,
    /// The shapes.
    pub shapes: Vec<Shape>,
}

const INK: Rgb = Rgb(34, 34, 34);
const GRID: Rgb = Rgb(210, 210, 210);
const MUTED: Rgb = Rgb(100, 100, 100);
/// One colour per step, in [`Step::ALL`] order.
pub const STEP_COLORS: [Rgb; 4] = [
    Rgb(31, 119, 180),
    Rgb(230, 115, 0),
    Rgb(44, 160, 44),
    Rgb(148, 103, 189),
];
const BAR: Rgb = Rgb(31, 119, 180);

fn text(x: f32, y: f32, size: f32, anchor: Anchor, t: impl Into<String>) -> Shape {
    Shape::Text {
        x,
        y,
        size,
        anchor,
        bold: false,
        color: INK,
        text: t.into(),
    }
}

fn line(points: Vec<(f32, f32)>, stroke: Rgb, width: f32) -> Shape {
    Shape::Line {
        points,
        stroke,
        width,
        dashed: false,
    }
}

/// A number with the Indonesian decimal comma.
pub fn id_number(s: &str) -> String {
    s.replace('.', ",")
}

fn week_label(w: &WeekRow) -> String {
    w.week.format("%d/%m").to_string()
}

/// The weekly share within target of each step with a target (0–100 %).
pub fn trend(report: &SlaReport) -> Chart {
    let (w, h) = (180.0, 72.0);
    let (left, right, top, bottom) = (14.0, 4.0, 10.0, 14.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let mut shapes = Vec::new();
    for p in [0, 25, 50, 75, 100] {
        let y = top + ph * (1.0 - p as f32 / 100.0);
        shapes.push(line(vec![(left, y), (left + pw, y)], GRID, 0.2));
        shapes.push(text(left - 1.5, y + 1.0, 2.8, Anchor::End, format!("{p}%")));
    }
    let n = report.weekly.len().max(1);
    let x_of = |i: usize| left + pw * (i as f32 + 0.5) / n as f32;
    for (i, wk) in report.weekly.iter().enumerate() {
        shapes.push(text(
            x_of(i),
            top + ph + 5.0,
            2.6,
            Anchor::Middle,
            week_label(wk),
        ));
    }
    let mut legend_x = left;
    for (k, step) in Step::ALL.iter().enumerate() {
        if report.headlines[k].target_hours.is_none() {
            continue;
        }
        let color = STEP_COLORS[k];
        // One polyline per run of weeks that had steps ending.
        let mut run: Vec<(f32, f32)> = Vec::new();
        let mut runs = Vec::new();
        for (i, wk) in report.weekly.iter().enumerate() {
            let (count, within) = wk.steps[k];
            if count == 0 {
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
                continue;
            }
            let v = within as f32 * 100.0 / count as f32;
            run.push((x_of(i), top + ph * (1.0 - v / 100.0)));
        }
        if !run.is_empty() {
            runs.push(run);
        }
        for r in runs {
            for &(x, y) in &r {
                shapes.push(Shape::Rect {
                    x: x - 0.7,
                    y: y - 0.7,
                    w: 1.4,
                    h: 1.4,
                    fill: color,
                });
            }
            if r.len() > 1 {
                shapes.push(line(r, color, 0.6));
            }
        }
        shapes.push(Shape::Rect {
            x: legend_x,
            y: h - 5.2,
            w: 3.0,
            h: 2.0,
            fill: color,
        });
        let label = step.label();
        shapes.push(text(legend_x + 4.0, h - 3.4, 2.6, Anchor::Start, label));
        legend_x += 6.0 + label.chars().count() as f32 * 1.35;
    }
    shapes.push(line(
        vec![(left, top), (left, top + ph), (left + pw, top + ph)],
        MUTED,
        0.3,
    ));
    shapes.push(text(left, top - 3.0, 2.8, Anchor::Start, "% tepat waktu"));
    Chart {
        title: "Persentase tepat waktu per minggu".into(),
        width: w,
        height: h,
        shapes,
    }
}

/// Applications received per week.
pub fn received(report: &SlaReport) -> Chart {
    let (w, h) = (180.0, 60.0);
    let (left, right, top, bottom) = (14.0, 4.0, 8.0, 9.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let max = report
        .weekly
        .iter()
        .map(|r| r.received)
        .max()
        .unwrap_or(0)
        .max(1) as f32;
    let step = nice_step(max);
    let top_value = (max / step).ceil() * step;
    let mut shapes = Vec::new();
    let mut v = 0.0;
    while v <= top_value + 0.5 {
        let y = top + ph * (1.0 - v / top_value);
        shapes.push(line(vec![(left, y), (left + pw, y)], GRID, 0.2));
        shapes.push(text(left - 1.5, y + 1.0, 2.8, Anchor::End, format!("{v}")));
        v += step;
    }
    let n = report.weekly.len().max(1);
    let slot = pw / n as f32;
    for (i, wk) in report.weekly.iter().enumerate() {
        let bh = ph * wk.received as f32 / top_value;
        let x = left + slot * i as f32 + slot * 0.15;
        shapes.push(Shape::Rect {
            x,
            y: top + ph - bh,
            w: slot * 0.7,
            h: bh,
            fill: BAR,
        });
        let cx = x + slot * 0.35;
        shapes.push(text(
            cx,
            top + ph - bh - 1.0,
            2.6,
            Anchor::Middle,
            wk.received.to_string(),
        ));
        shapes.push(text(
            cx,
            top + ph + 5.0,
            2.6,
            Anchor::Middle,
            week_label(wk),
        ));
    }
    shapes.push(line(
        vec![(left, top), (left, top + ph), (left + pw, top + ph)],
        MUTED,
        0.3,
    ));
    Chart {
        title: "Permohonan diterima per minggu".into(),
        width: w,
        height: h,
        shapes,
    }
}

/// The funnel as horizontal bars, each with its count and share.
pub fn funnel(report: &SlaReport) -> Chart {
    let rows = report.funnel.len().max(1);
    let (w, row_h) = (180.0, 8.0);
    let h = rows as f32 * row_h + 4.0;
    let left = 58.0;
    let pw = w - left - 30.0;
    let total = report.funnel.first().map_or(0, |f| f.2).max(1) as f32;
    let mut shapes = Vec::new();
    for (i, (_, label, n)) in report.funnel.iter().enumerate() {
        let y = 2.0 + i as f32 * row_h;
        shapes.push(text(left - 2.0, y + 5.0, 3.0, Anchor::End, *label));
        let bw = pw * *n as f32 / total;
        shapes.push(Shape::Rect {
            x: left,
            y: y + 1.0,
            w: bw.max(0.3),
            h: row_h - 2.0,
            fill: STEP_COLORS[i % STEP_COLORS.len()],
        });
        let share = id_number(&super::pct(*n, total as i64));
        shapes.push(text(
            left + bw + 2.0,
            y + 5.0,
            3.0,
            Anchor::Start,
            format!("{n} ({share}%)"),
        ));
    }
    Chart {
        title: "Alur permohonan KTP-el: diterima → diambil".into(),
        width: w,
        height: h,
        shapes,
    }
}

/// 1, 2 or 5 × 10^k, so an axis has about five lines.
fn nice_step(max: f32) -> f32 {
    let raw = max / 5.0;
    let mag = 10f32.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if raw <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Every chart of the report, in document order.
pub fn all(report: &SlaReport) -> Vec<Chart> {
    vec![trend(report), received(report), funnel(report)]
}

/// The chart as an inline SVG element (no external reference).
pub fn svg(chart: &Chart) -> String {
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" font-family="DejaVu Sans, Verdana, sans-serif">"#,
        chart.width,
        chart.height,
        escape(&chart.title)
    );
    let c = |c: Rgb| format!("rgb({},{},{})", c.0, c.1, c.2);
    for shape in &chart.shapes {
        match shape {
            Shape::Rect { x, y, w, h, fill } => s.push_str(&format!(
                r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{}"/>"#,
                c(*fill)
            )),
            Shape::Line {
                points,
                stroke,
                width,
                dashed,
            } => {
                let pts: Vec<String> = points
                    .iter()
                    .map(|(x, y)| format!("{x:.2},{y:.2}"))
                    .collect();
                s.push_str(&format!(
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{width:.2}"{}/>"#,
                    pts.join(" "),
                    c(*stroke),
                    if *dashed {
                        r#" stroke-dasharray="1.5,1""#
                    } else {
                        ""
                    }
                ));
            }
            Shape::Text {
                x,
                y,
                size,
                anchor,
                bold,
                color,
                text,
            } => s.push_str(&format!(
                r#"<text x="{x:.2}" y="{y:.2}" font-size="{size:.2}" text-anchor="{}"{} fill="{}">{}</text>"#,
                match anchor {
                    Anchor::Start => "start",
                    Anchor::Middle => "middle",
                    Anchor::End => "end",
                },
                if *bold { r#" font-weight="bold""# } else { "" },
                c(*color),
                escape(text)
            )),
        }
    }
    s.push_str("</svg>");
    s
}

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
