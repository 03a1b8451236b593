//! The report as an A4 PDF for management: kop surat, the headline figures,
//! the charts drawn as vector graphics (the same shapes as the HTML page's
//! SVG), and the tables that fit a reader on paper — summary, funnel,
//! rejections, blanko, per kecamatan and the list of open items past target.
//! The full detail per service and kecamatan is in the CSV and HTML.

use printpdf::{
    Color, FontId, Greyscale, Line, LineDashPattern, LinePoint, Mm, Op, PaintMode, PdfPage, Point,
    Polygon, PolygonRing, Pt, Rgb, WindingOrder,
};

use super::chart::{self, Anchor, Chart, Rgb as C, Shape, id_number};
use super::html::{heading, shown};
use super::{SlaReport, Table, hours, pct};
use crate::pdf::{new_pdf, save, text_section, text_width_mm};
use pipeline::domain::calendar::date_id;

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN_X: f32 = 15.0;
const TOP: f32 = PAGE_H - 15.0;
const BOTTOM: f32 = 20.0;
const PT_PER_MM: f32 = 72.0 / 25.4;
const ROW_H: f32 = 5.2;
/// Open items past target listed on paper, longest over first; the rest
/// are in the CSV and the HTML page.
const AGING_ROWS: usize = 150;

struct Doc {
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    y: f32,
    running: String,
    regular: FontId,
    bold: FontId,
}

fn color(c: C) -> Color {
    Color::Rgb(Rgb {
        r: f32::from(c.0) / 255.0,
        g: f32::from(c.1) / 255.0,
        b: f32::from(c.2) / 255.0,
        icc_profile: None,
    })
}

fn pt(x: f32, y: f32) -> LinePoint {
    LinePoint {
        p: Point::new(Mm(x), Mm(y)),
        bezier: false,
    }
}

impl Doc {
    fn text(&mut self, x: f32, y: f32, size_pt: f32, bold: bool, c: C, text: &str) {
        if text.is_empty() {
            return;
        }
        let text = &latin(text);
        let font = if bold { &self.bold } else { &self.regular };
        self.ops.push(Op::SetFillColor { col: color(c) });
        self.ops.extend(text_section(font, size_pt, x, y, text));
    }

    fn text_at(&mut self, x: f32, y: f32, size_pt: f32, bold: bool, anchor: Anchor, text: &str) {
        let text = &latin(text);
        let w = text_width_mm(text, size_pt, bold);
        let x = match anchor {
            Anchor::Start => x,
            Anchor::Middle => x - w / 2.0,
            Anchor::End => x - w,
        };
        self.text(x, y, size_pt, bold, C(34, 34, 34), text);
    }

    fn polyline(&mut self, points: &[(f32, f32)], c: C, width_mm: f32, dashed: bool) {
        self.ops.extend([
            Op::SetOutlineColor { col: color(c) },
            Op::SetOutlineThickness {
                pt: Pt(width_mm * PT_PER_MM),
            },
            Op::SetLineDashPattern {
                dash: if dashed {
                    LineDashPattern::new(0.0, &[3.0, 2.0])
                } else {
                    LineDashPattern::solid()
                },
            },
            Op::DrawLine {
                line: Line {
                    points: points.iter().map(|(x, y)| pt(*x, *y)).collect(),
                    is_closed: false,
                },
            },
        ]);
    }

    fn rect(&mut self, x: f32, y_top: f32, w: f32, h: f32, c: C) {
        self.ops.extend([
            Op::SetFillColor { col: color(c) },
            Op::DrawPolygon {
                polygon: Polygon {
                    rings: vec![PolygonRing {
                        points: vec![
                            pt(x, y_top),
                            pt(x + w, y_top),
                            pt(x + w, y_top - h),
                            pt(x, y_top - h),
                        ],
                    }],
                    mode: PaintMode::Fill,
                    winding_order: WindingOrder::NonZero,
                },
            },
        ]);
    }

    fn rule(&mut self, y: f32, width_pt: f32) {
        self.ops.extend([
            Op::SetOutlineColor {
                col: Color::Greyscale(Greyscale {
                    percent: 0.0,
                    icc_profile: None,
                }),
            },
            Op::SetOutlineThickness { pt: Pt(width_pt) },
            Op::SetLineDashPattern {
                dash: LineDashPattern::solid(),
            },
            Op::DrawLine {
                line: Line {
                    points: vec![pt(MARGIN_X, y), pt(PAGE_W - MARGIN_X, y)],
                    is_closed: false,
                },
            },
        ]);
    }

    /// Starts a new page unless `h` mm still fit on this one.
    fn room(&mut self, h: f32) {
        if self.y - h < BOTTOM {
            self.pages.push(std::mem::take(&mut self.ops));
            let running = self.running.clone();
            self.text(MARGIN_X, TOP - 4.0, 8.0, false, C(100, 100, 100), &running);
            self.y = TOP - 9.0;
        }
    }

    fn heading(&mut self, text: &str) {
        self.room(16.0);
        self.y -= 7.0;
        self.text(MARGIN_X, self.y, 11.0, true, C(34, 34, 34), text);
        self.y -= 3.0;
    }

    /// A chart at the cursor, scaled to the text width.
    fn chart(&mut self, c: &Chart) {
        let scale = (PAGE_W - 2.0 * MARGIN_X) / c.width;
        // The title stays with its chart.
        self.room(c.height * scale + 14.0);
        self.heading(&c.title);
        let (ox, oy) = (MARGIN_X, self.y - 1.0);
        let map = |x: f32, y: f32| (ox + x * scale, oy - y * scale);
        for s in &c.shapes {
            match s {
                Shape::Rect { x, y, w, h, fill } => {
                    let (px, py) = map(*x, *y);
                    self.rect(px, py, w * scale, h * scale, *fill);
                }
                Shape::Line {
                    points,
                    stroke,
                    width,
                    dashed,
                } => {
                    let pts: Vec<(f32, f32)> = points.iter().map(|(x, y)| map(*x, *y)).collect();
                    self.polyline(&pts, *stroke, width * scale, *dashed);
                }
                Shape::Text {
                    x,
                    y,
                    size,
                    anchor,
                    bold,
                    color: col,
                    text,
                } => {
                    let (px, py) = map(*x, *y);
                    let size_pt = size * scale * PT_PER_MM;
                    let text = &latin(text);
                    let w = text_width_mm(text, size_pt, *bold);
                    let px = match anchor {
                        Anchor::Start => px,
                        Anchor::Middle => px - w / 2.0,
                        Anchor::End => px - w,
                    };
                    self.text(px, py, size_pt, *bold, *col, text);
                }
            }
        }
        self.y = oy - c.height * scale - 2.0;
    }

    /// A table with the given columns (by CSV name) and widths, repeated
    /// header on each page it runs onto.
    fn table(&mut self, t: &Table, cols: &[(&str, f32)], rows: &[Vec<String>]) {
        self.heading(&t.title);
        if rows.is_empty() {
            self.room(ROW_H);
            self.y -= ROW_H;
            self.text(
                MARGIN_X,
                self.y + 1.5,
                8.5,
                false,
                C(100, 100, 100),
                "Tidak ada.",
            );
            return;
        }
        let idx: Vec<usize> = cols
            .iter()
            .map(|(c, _)| {
                t.columns
                    .iter()
                    .position(|x| x == c)
                    .expect("a column of the table")
            })
            .collect();
        // Headers wrap onto as many lines as the longest needs; shrunk,
        // they ran into the next column ("Target (jam kerja)" into "Selesai").
        let headers: Vec<(f32, Vec<String>)> = cols
            .iter()
            .map(|(c, w)| header_lines(heading(c), w - 1.6))
            .collect();
        let lines = headers.iter().map(|(_, l)| l.len()).max().unwrap_or(1);
        let header_h = ROW_H + (lines - 1) as f32 * HEADER_LINE_H;
        let header = |d: &mut Doc| {
            d.room(header_h + ROW_H);
            d.rule(d.y, 0.6);
            let mut x = MARGIN_X;
            for ((_, w), (size, lines)) in cols.iter().zip(&headers) {
                for (k, line) in lines.iter().enumerate() {
                    let baseline = d.y - ROW_H + 1.5 - k as f32 * HEADER_LINE_H;
                    d.text(x + 0.8, baseline, *size, true, C(34, 34, 34), line);
                }
                x += w;
            }
            d.y -= header_h;
            d.rule(d.y, 0.6);
        };
        header(self);
        for row in rows {
            if self.y - ROW_H < BOTTOM {
                self.room(ROW_H * 3.0);
                header(self);
            }
            let mut x = MARGIN_X;
            for ((c, w), i) in cols.iter().zip(&idx) {
                let v = latin(&shown(c, &row[*i]));
                let numeric = row[*i].parse::<f64>().is_ok();
                let mut size = 8.0;
                while size > 5.5 && text_width_mm(&v, size, false) > w - 1.6 {
                    size -= 0.5;
                }
                if numeric {
                    self.text_at(
                        x + w - 0.8,
                        self.y - ROW_H + 1.5,
                        size,
                        false,
                        Anchor::End,
                        &v,
                    );
                } else {
                    self.text(
                        x + 0.8,
                        self.y - ROW_H + 1.5,
                        size,
                        false,
                        C(34, 34, 34),
                        &v,
                    );
                }
                x += w;
            }
            self.y -= ROW_H;
            self.rule(self.y, 0.1);
        }
    }
}

/// Size of a column header, and the step from one of its lines to the next (mm).
const HEADER_PT: f32 = 7.5;
const HEADER_LINE_H: f32 = 3.1;
/// A header word too wide for its column even on a line of its own is
/// shrunk down to this size (no header of the report needs it today).
const HEADER_MIN_PT: f32 = 5.5;

/// A column header's size and lines: its words wrapped to `width` mm.
fn header_lines(text: &str, width: f32) -> (f32, Vec<String>) {
    let text = latin(text);
    let widest = text
        .split_whitespace()
        .map(|w| text_width_mm(w, HEADER_PT, true))
        .fold(0.0, f32::max);
    let mut size = HEADER_PT;
    if widest > width {
        size = (HEADER_PT * width / widest).max(HEADER_MIN_PT);
    }
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if text_width_mm(&format!("{line} {word}"), size, true) <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    (size, lines)
}

/// The embedded font is subset to Latin (`scripts/subset-fonts`): the
/// arrow of the step names becomes an en dash.
fn latin(s: &str) -> String {
    s.replace('→', "–")
}

/// Renders the PDF. The same report gives the same bytes.
pub fn render(report: &SlaReport) -> Vec<u8> {
    let p = &report.period;
    let title = format!("Laporan Kepatuhan SLA {} s.d. {}", p.from, p.to);
    // Made at the moment of its figures, so the same report gives the same bytes.
    let (pdf, regular, bold) = new_pdf(&title, p.at.with_timezone(&report.offset));
    let mut d = Doc {
        pages: Vec::new(),
        ops: Vec::new(),
        y: TOP,
        running: format!(
            "{} · Laporan Kepatuhan SLA {} s.d. {}",
            report.heading.short_name,
            date_id(p.from),
            date_id(p.to)
        ),
        regular,
        bold,
    };

    // Kop surat.
    let lh = report.heading.letterhead.clone();
    let cx = PAGE_W / 2.0;
    d.y = TOP - 4.0;
    d.text_at(cx, d.y, 12.0, true, Anchor::Middle, &lh.government);
    d.y -= 6.0;
    d.text_at(cx, d.y, 12.5, true, Anchor::Middle, &lh.office);
    d.y -= 5.0;
    for line in &lh.contact {
        d.text_at(cx, d.y, 8.5, false, Anchor::Middle, line);
        d.y -= 4.5;
    }
    d.rule(d.y + 1.5, 1.2);
    d.rule(d.y + 0.5, 0.4);
    d.y -= 7.0;
    d.text_at(
        cx,
        d.y,
        12.0,
        true,
        Anchor::Middle,
        "LAPORAN KEPATUHAN SLA PELAYANAN",
    );
    d.y -= 6.0;
    let period = format!("Periode {} s.d. {}", date_id(p.from), date_id(p.to));
    d.text_at(cx, d.y, 9.5, false, Anchor::Middle, &period);
    d.y -= 4.5;
    let asof = format!(
        "Angka per {} · waktu dalam jam kerja kantor",
        report.as_of_text()
    );
    d.text_at(cx, d.y, 8.5, false, Anchor::Middle, &asof);
    d.y -= 4.0;

    // Headline figures: one box per step with a target, one for the funnel.
    let boxes: Vec<(String, String, String)> = report
        .headlines
        .iter()
        .filter_map(|h| {
            let t = h.target_hours?;
            Some((
                h.step.label().to_string(),
                format!("{}%", id_number(&pct(h.within, h.count))),
                format!(
                    "tepat waktu (target {} jam) · {} selesai · median {} jam · {} lewat target",
                    id_number(&format!("{t}")),
                    h.count,
                    id_number(&h.median_secs.map(hours).unwrap_or_else(|| "-".into())),
                    h.open_past_target
                ),
            ))
        })
        .collect();
    let bw = (PAGE_W - 2.0 * MARGIN_X - 4.0 * (boxes.len() as f32 - 1.0).max(0.0))
        / boxes.len().max(1) as f32;
    d.y -= 3.0;
    for (i, (label, big, small)) in boxes.iter().enumerate() {
        let x = MARGIN_X + i as f32 * (bw + 4.0);
        d.rect(x, d.y, bw, 27.0, C(238, 242, 247));
        let mut size = 8.0;
        while size > 6.0 && text_width_mm(label, size, true) > bw - 3.0 {
            size -= 0.5;
        }
        d.text(x + 1.5, d.y - 4.5, size, true, C(34, 34, 34), label);
        d.text(x + 1.5, d.y - 13.0, 18.0, true, chart::STEP_COLORS[i], big);
        // The small line, cut into pieces that fit the box.
        let mut line = String::new();
        let mut ly = d.y - 18.0;
        for part in small.split(" · ") {
            let candidate = if line.is_empty() {
                part.to_string()
            } else {
                format!("{line} · {part}")
            };
            if text_width_mm(&candidate, 6.5, false) > bw - 3.0 && !line.is_empty() {
                d.text(x + 1.5, ly, 6.5, false, C(60, 60, 60), &line);
                ly -= 3.2;
                line = part.to_string();
            } else {
                line = candidate;
            }
        }
        d.text(x + 1.5, ly, 6.5, false, C(60, 60, 60), &line);
    }
    d.y -= 30.0;

    let charts = chart::all(report);
    let table = |name: &str| {
        report
            .tables
            .iter()
            .find(|t| t.name == name)
            .expect("the report has this table")
    };
    let summary = table("summary");
    d.table(
        summary,
        &[
            ("step", 56.0),
            ("target_hours", 18.0),
            ("count", 15.0),
            ("within_target_pct", 18.0),
            ("median_hours", 18.0),
            ("p90_hours", 20.0),
            ("open", 17.0),
            ("open_past_target", 18.0),
        ],
        &summary.rows,
    );
    for c in &charts[..2] {
        d.chart(c);
    }
    d.chart(&charts[2]);
    let funnel = table("funnel");
    d.table(
        funnel,
        &[
            ("stage", 80.0),
            ("applications", 40.0),
            ("pct_of_received", 40.0),
        ],
        &funnel.rows,
    );
    let rejections = table("rejections");
    d.table(
        rejections,
        &[
            ("reason", 80.0),
            ("applications", 40.0),
            ("pct_of_rejected", 40.0),
        ],
        &rejections.rows,
    );
    let blanko = table("blanko");
    d.table(blanko, &[("item", 100.0), ("value", 40.0)], &blanko.rows);
    let by_kec = table("by-kecamatan");
    d.table(
        by_kec,
        &[
            ("step", 62.0),
            ("kecamatan_name", 34.0),
            ("count", 16.0),
            ("within_target_pct", 20.0),
            ("median_hours", 22.0),
            ("p90_hours", 26.0),
        ],
        &by_kec.rows,
    );
    let aging = table("open-past-target");
    d.table(
        aging,
        &[
            ("application", 22.0),
            ("step", 48.0),
            ("service", 30.0),
            ("state", 22.0),
            ("since", 26.0),
            ("working_hours", 16.0),
            ("over_hours", 16.0),
        ],
        &aging.rows[..aging.rows.len().min(AGING_ROWS)],
    );
    if aging.rows.len() > AGING_ROWS {
        d.room(ROW_H);
        d.y -= ROW_H;
        let more = format!(
            "… dan {} lainnya: daftar lengkap di {}",
            aging.rows.len() - AGING_ROWS,
            "CSV open-past-target dan halaman HTML"
        );
        d.text(MARGIN_X, d.y + 1.5, 8.0, false, C(90, 90, 90), &more);
    }
    d.room(12.0);
    d.y -= 6.0;
    d.text(
        MARGIN_X,
        d.y,
        7.5,
        false,
        C(90, 90, 90),
        "Median dan persentil 90: peringkat terdekat, nilai ke-(p × n, dibulatkan ke atas) dari data yang diurutkan. Rincian per layanan dan kecamatan: lihat CSV atau HTML.",
    );
    d.pages.push(std::mem::take(&mut d.ops));

    let total = d.pages.len();
    let pages: Vec<PdfPage> = std::mem::take(&mut d.pages)
        .into_iter()
        .enumerate()
        .map(|(i, mut ops)| {
            let footer = format!("Halaman {} dari {}", i + 1, total);
            d.text_at(PAGE_W / 2.0, 12.0, 8.0, false, Anchor::Middle, &footer);
            ops.append(&mut d.ops);
            PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops)
        })
        .collect();
    save(pdf, pages)
}
