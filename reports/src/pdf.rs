//! A4 documents made of a letterhead, a numbered table that runs over as
//! many pages as it needs, totals and signature blocks: the shape of every
//! rekap and Berita Acara the office signs.
//!
//! printpdf draws; it does not lay out. Pagination, column widths and text
//! fitting are done here, with the glyph widths of the embedded font, so the
//! page count is known before the first page is drawn ("Halaman x dari y").

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use pipeline::digest::sha256_hex;

use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFont,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, TextItem,
};

/// DejaVu Sans (Bitstream Vera licence, `reports/fonts/LICENSE`): it covers
/// every Latin letter an Indonesian name can carry, unlike the 14 built-in
/// PDF fonts, whose WinAnsi encoding a reader cannot search reliably.
/// Subset by `scripts/subset-fonts` (Latin, punctuation): a character
/// outside it prints as a blank box.
const REGULAR_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 210.0;
const PAGE_H: f32 = 297.0;
const MARGIN_X: f32 = 15.0;
const TOP: f32 = PAGE_H - 15.0;
/// Lowest y a table row or block may reach; the footer sits below it.
const BOTTOM: f32 = 22.0;
const ROW_H: f32 = 6.0;
const BODY_PT: f32 = 9.0;
/// A cell's text is shrunk down to this size before it is cut.
const MIN_PT: f32 = 6.5;
const PT_TO_MM: f32 = 25.4 / 72.0;

/// The office's letterhead (kop surat), as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letterhead {
    /// Government line, e.g. `PEMERINTAH KABUPATEN BANTUL`.
    pub government: String,
    /// Office name, e.g. `DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL`.
    pub office: String,
    /// Postal address and contact line(s).
    pub contact: Vec<String>,
}

/// One column of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header text.
    pub header: String,
    /// Width in millimetres.
    pub width_mm: f32,
}

/// Someone who signs: "Yang Menyerahkan" / "Petugas Dinas", and the name
/// and NIP written under the signature when known (blank lines otherwise,
/// to be filled in by hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatory {
    /// The role line, e.g. `Yang Menyerahkan,`.
    pub role: String,
    /// The office line under it, e.g. `Petugas Dinas`.
    pub title: String,
    /// Name, if known.
    pub name: Option<String>,
    /// NIP (civil-servant number), if known.
    pub nip: Option<String>,
}

/// A document: letterhead, title, key/value lines, a table, totals and
/// signature blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDocument {
    /// Kop surat on the first page.
    pub letterhead: Letterhead,
    /// Title, centred under the letterhead.
    pub title: String,
    /// `label: value` lines under the title (batch, date, kecamatan).
    pub info: Vec<(String, String)>,
    /// Short line at the top of every page after the first, so a loose page
    /// still says what it belongs to.
    pub running_header: String,
    /// Table columns; the first is the row number.
    pub columns: Vec<Column>,
    /// Table rows (cells in column order, without the row number).
    pub rows: Vec<Vec<String>>,
    /// Lines after the table (totals).
    pub totals: Vec<String>,
    /// Place and date line above the right signature, e.g. `Bantul, 26 November 2026`.
    pub place_date: String,
    /// Signature blocks, left to right; more than two go in rows of two
    /// (a Berita Acara with its witnesses).
    pub signatories: Vec<Signatory>,
    /// PDF metadata title.
    pub pdf_title: String,
    /// When the document says it was made (`CreationDate`, `ModDate`): its
    /// own date, never the clock, so the same document gives the same bytes.
    pub made: DateTime<FixedOffset>,
}

pub(crate) struct Fonts {
    pub(crate) regular: ParsedFont,
    pub(crate) bold: ParsedFont,
}

pub(crate) fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| Fonts {
        // The fonts are compiled in and tested; failing to parse them is a
        // build defect, not a runtime condition.
        regular: tagged(
            REGULAR_TTF,
            "DejaVuSans",
            ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new())
                .expect("embedded DejaVuSans.ttf parses"),
        ),
        bold: tagged(
            BOLD_TTF,
            "DejaVuSans-Bold",
            ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new())
                .expect("embedded DejaVuSans-Bold.ttf parses"),
        ),
    })
}

/// The font under its PostScript name with a subset tag,
/// `ABCDEF+DejaVuSans-Bold` (ISO 32000-1, 9.6.4). The program embedded is
/// a subset of DejaVu Sans (`scripts/subset-fonts`); printpdf tags only
/// what it subsets itself (with its heavy `text_layout` feature), embeds
/// this one whole, and writes this name as `BaseFont` and `FontName`.
fn tagged(program: &[u8], postscript_name: &str, mut font: ParsedFont) -> ParsedFont {
    font.font_name = Some(format!("{}+{postscript_name}", subset_tag(program)));
    font
}

/// Six upper-case letters from the SHA-256 of the font program: the same
/// subset always gets the same tag (the bytes stay reproducible), two
/// different subsets practically never share one.
pub(crate) fn subset_tag(program: &[u8]) -> String {
    let hex = sha256_hex(program);
    hex.as_bytes()
        .chunks(2)
        .take(6)
        .map(|pair| {
            let byte = u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16)
                .unwrap_or_default();
            char::from(b'A' + byte % 26)
        })
        .collect()
}

/// Width of `text` in millimetres at `size` points.
pub fn text_width_mm(text: &str, size: f32, bold: bool) -> f32 {
    let f = fonts();
    let font = if bold { &f.bold } else { &f.regular };
    let upm = f32::from(font.units_per_em.max(1));
    let units: f32 = text
        .chars()
        .map(|c| {
            font.lookup_glyph_index(u32::from(c))
                .and_then(|g| font.get_glyph_width(g))
                .map_or(upm / 2.0, f32::from)
        })
        .sum();
    units / upm * size * PT_TO_MM
}

/// The size at which `text` fits `width` mm (down to a minimum), and the
/// text cut with an ellipsis if even that is too wide.
fn fit(text: &str, width: f32) -> (f32, String) {
    let mut size = BODY_PT;
    while size > MIN_PT && text_width_mm(text, size, false) > width {
        size -= 0.5;
    }
    if text_width_mm(text, size, false) <= width {
        return (size, text.to_string());
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && text_width_mm(&format!("{cut}…"), size, false) > width {
        cut.pop();
    }
    (size, format!("{}…", cut.trim_end()))
}

/// Height of one row of signature blocks.
const SIGNATURE_ROW_H: f32 = 42.0;

/// Rows of signature blocks: one for up to two signatories, else rows of two.
fn signature_rows(doc: &TableDocument) -> usize {
    doc.signatories.len().div_ceil(2).max(1)
}

/// Height of the closing part: totals, place/date, signatures.
fn closing_height(doc: &TableDocument) -> f32 {
    6.0 + doc.totals.len() as f32 * 5.0 + 10.0 + SIGNATURE_ROW_H * signature_rows(doc) as f32
}

fn letterhead_height(doc: &TableDocument) -> f32 {
    14.0 + doc.letterhead.contact.len() as f32 * 4.5 + 4.0
}

fn title_height(doc: &TableDocument) -> f32 {
    13.0 + doc.info.len() as f32 * 5.0
}

/// Top of the table on the first page and on later pages.
fn table_tops(doc: &TableDocument) -> (f32, f32) {
    (TOP - letterhead_height(doc) - title_height(doc), TOP - 8.0)
}

/// How the document falls on pages: the row range of each table page, and
/// whether the closing part (totals, signatures) needs a page of its own.
struct Layout {
    ranges: Vec<std::ops::Range<usize>>,
    closing_page: bool,
}

fn layout(doc: &TableDocument) -> Layout {
    let (first_top, later_top) = table_tops(doc);
    // A header row, then as many rows as fit above the footer.
    let fits = |top: f32| (((top - ROW_H - BOTTOM) / ROW_H).floor() as usize).max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut capacity = fits(first_top);
    loop {
        let end = (start + capacity).min(doc.rows.len());
        ranges.push(start..end);
        if end >= doc.rows.len() {
            break;
        }
        start = end;
        capacity = fits(later_top);
    }
    let last_top = if ranges.len() == 1 {
        first_top
    } else {
        later_top
    };
    let last_rows = ranges.last().map_or(0, |r| r.len());
    let y_after_table = last_top - ROW_H - last_rows as f32 * ROW_H;
    Layout {
        ranges,
        closing_page: y_after_table - closing_height(doc) < BOTTOM,
    }
}

/// Number of pages `render` makes for this document.
pub fn page_count(doc: &TableDocument) -> usize {
    let l = layout(doc);
    l.ranges.len() + usize::from(l.closing_page)
}

/// Renders the document to PDF bytes. The same document gives the same
/// bytes (no clock, no random ids), so re-running a job rewrites nothing.
pub fn render(doc: &TableDocument) -> Vec<u8> {
    let (pdf, regular, bold) = new_pdf(&doc.pdf_title, doc.made);
    let mut pen = Pen {
        ops: Vec::new(),
        regular,
        bold,
    };

    let Layout {
        ranges,
        closing_page,
    } = layout(doc);
    let (first_top, later_top) = table_tops(doc);
    let mut pages: Vec<Vec<Op>> = Vec::new();
    let mut y = 0.0;
    for (i, range) in ranges.iter().enumerate() {
        let top = if i == 0 {
            draw_letterhead(&mut pen, doc);
            draw_title(&mut pen, doc, TOP - letterhead_height(doc));
            first_top
        } else {
            pen.text(MARGIN_X, TOP - 4.0, 8.0, false, &doc.running_header);
            later_top
        };
        y = draw_table_header(&mut pen, doc, top);
        for (n, row) in doc.rows[range.clone()].iter().enumerate() {
            y = draw_row(&mut pen, doc, range.start + n + 1, row, y);
        }
        pen.line(MARGIN_X, y, PAGE_W - MARGIN_X, y, 0.6);
        pages.push(std::mem::take(&mut pen.ops));
    }
    if closing_page {
        pen.text(MARGIN_X, TOP - 4.0, 8.0, false, &doc.running_header);
        draw_closing(&mut pen, doc, TOP - 8.0);
        pages.push(std::mem::take(&mut pen.ops));
    } else if let Some(last) = pages.last_mut() {
        draw_closing(&mut pen, doc, y);
        last.append(&mut pen.ops);
    }

    let total = pages.len();
    let pages: Vec<PdfPage> = pages
        .into_iter()
        .enumerate()
        .map(|(i, mut ops)| {
            let footer = format!("Halaman {} dari {}", i + 1, total);
            pen.text_center(PAGE_W / 2.0, 12.0, 8.0, false, &footer);
            ops.append(&mut pen.ops);
            PdfPage::new(Mm(PAGE_W), Mm(PAGE_H), ops)
        })
        .collect();
    save(pdf, pages)
}

/// A new PDF made at `made` with the two DejaVu fonts registered, and
/// their ids (regular, bold). The ids are fixed: `add_font` draws them from
/// a process-wide counter, which would make the bytes depend on what else
/// the process rendered.
pub(crate) fn new_pdf(title: &str, made: DateTime<FixedOffset>) -> (PdfDocument, FontId, FontId) {
    let mut pdf = PdfDocument::new(title);
    // printpdf's default is the epoch (1970-01-01): every document said it
    // was made then.
    let stamp = pdf_date(made);
    let info = &mut pdf.metadata.info;
    info.creation_date = stamp;
    info.modification_date = stamp;
    info.metadata_date = stamp;
    let f = fonts();
    let regular = FontId("F-DejaVuSans".into());
    let bold = FontId("F-DejaVuSans-Bold".into());
    for (id, font) in [(&regular, &f.regular), (&bold, &f.bold)] {
        pdf.resources
            .fonts
            .map
            .insert(id.clone(), PdfFont::new(font.clone()));
    }
    (pdf, regular, bold)
}

/// `made` as printpdf keeps a date: the office's wall-clock fields and
/// its offset.
fn pdf_date(made: DateTime<FixedOffset>) -> printpdf::date::DateTime {
    let offset = made.offset().local_minus_utc();
    printpdf::date::DateTime {
        date: printpdf::date::Date {
            year: made.year(),
            month: made.month() as u8,
            day: made.day() as u8,
        },
        time: printpdf::date::Time {
            hour: made.hour() as u8,
            minute: made.minute() as u8,
            second: made.second() as u8,
            millisecond: 0,
        },
        offset: printpdf::date::Offset {
            hours: (offset / 3600) as i8,
            minutes: ((offset % 3600) / 60) as i8,
            seconds: 0,
            milliseconds: 0,
        },
    }
}

/// The PDF's bytes: fonts subset, and the same bytes for the same pages.
pub(crate) fn save(mut pdf: PdfDocument, pages: Vec<PdfPage>) -> Vec<u8> {
    let opts = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let offset = pdf.metadata.info.creation_date.offset;
    let bytes = pdf.with_pages(pages).save(&opts, &mut Vec::new());
    stable_id(date_offsets(bytes, offset))
}

/// printpdf writes the Info dictionary's dates with the wall-clock fields
/// it is given but always as `+00'00'`; write the office's offset in their
/// place (same length, so no offset in the xref moves). An office date then
/// reads as that date in Indonesia and anywhere else.
fn date_offsets(mut bytes: Vec<u8>, offset: printpdf::date::Offset) -> Vec<u8> {
    const UTC: &[u8] = b"+00'00'";
    let (hours, minutes) = (i32::from(offset.hours), i32::from(offset.minutes));
    let sign = if hours < 0 || minutes < 0 { '-' } else { '+' };
    let written = format!("{sign}{:02}'{:02}'", hours.abs(), minutes.abs());
    for key in [&b"/CreationDate(D:"[..], &b"/ModDate(D:"[..]] {
        let Some(at) = bytes.windows(key.len()).position(|w| w == key) else {
            continue;
        };
        // D: then YYYYMMDDHHmmSS, then the offset.
        let zone = at + key.len() + 14;
        if bytes.get(zone..zone + UTC.len()) == Some(UTC) {
            bytes[zone..zone + UTC.len()].copy_from_slice(written.as_bytes());
        }
    }
    bytes
}

/// printpdf writes a random trailer `/ID`; replace it with one derived from
/// the content (same length, after the xref, so no offset moves). The same
/// document then gives the same bytes and a re-run rewrites nothing.
fn stable_id(mut bytes: Vec<u8>) -> Vec<u8> {
    const KEY: &[u8] = b"/ID[(";
    let Some(at) = bytes.windows(KEY.len()).rposition(|w| w == KEY) else {
        return bytes;
    };
    let first = at + KEY.len();
    let Some(close) = bytes[first..].iter().position(|&b| b == b')') else {
        return bytes;
    };
    let len = close;
    let second = first + len + 2;
    if bytes.get(second - 1) != Some(&b'(') || bytes.get(second + len) != Some(&b')') {
        return bytes;
    }
    let hex: Vec<u8> = sha256_hex(&bytes[..at])
        .to_ascii_uppercase()
        .into_bytes()
        .into_iter()
        .cycle()
        .take(len)
        .collect();
    bytes[first..first + len].copy_from_slice(&hex);
    bytes[second..second + len].copy_from_slice(&hex);
    bytes
}

fn draw_letterhead(pen: &mut Pen, doc: &TableDocument) {
    let cx = PAGE_W / 2.0;
    let mut y = TOP - 4.0;
    pen.text_center(cx, y, 12.0, true, &doc.letterhead.government);
    y -= 6.0;
    pen.text_center(cx, y, 12.5, true, &doc.letterhead.office);
    y -= 5.0;
    for line in &doc.letterhead.contact {
        pen.text_center(cx, y, 8.5, false, line);
        y -= 4.5;
    }
    // The double rule under a kop surat.
    pen.line(MARGIN_X, y + 1.5, PAGE_W - MARGIN_X, y + 1.5, 1.2);
    pen.line(MARGIN_X, y + 0.5, PAGE_W - MARGIN_X, y + 0.5, 0.4);
}

fn draw_title(pen: &mut Pen, doc: &TableDocument, y: f32) {
    let mut y = y - 6.0;
    pen.text_center(PAGE_W / 2.0, y, 12.0, true, &doc.title);
    y -= 7.0;
    for (label, value) in &doc.info {
        pen.text(MARGIN_X, y, BODY_PT, false, label);
        pen.text(MARGIN_X + 35.0, y, BODY_PT, false, &format!(": {value}"));
        y -= 5.0;
    }
}

fn draw_table_header(pen: &mut Pen, doc: &TableDocument, y: f32) -> f32 {
    let bottom = y - ROW_H;
    pen.line(MARGIN_X, y, PAGE_W - MARGIN_X, y, 0.6);
    let mut x = MARGIN_X;
    for col in &doc.columns {
        pen.text(x + 1.0, bottom + 1.8, BODY_PT, true, &col.header);
        x += col.width_mm;
    }
    pen.line(MARGIN_X, bottom, PAGE_W - MARGIN_X, bottom, 0.6);
    bottom
}

fn draw_row(pen: &mut Pen, doc: &TableDocument, number: usize, cells: &[String], y: f32) -> f32 {
    let bottom = y - ROW_H;
    let mut x = MARGIN_X;
    let number = number.to_string();
    let texts = std::iter::once(number.as_str()).chain(cells.iter().map(String::as_str));
    for (col, text) in doc.columns.iter().zip(texts) {
        let (size, shown) = fit(text, col.width_mm - 2.0);
        pen.text(x + 1.0, bottom + 1.8, size, false, &shown);
        x += col.width_mm;
    }
    pen.line(MARGIN_X, bottom, PAGE_W - MARGIN_X, bottom, 0.1);
    bottom
}

fn draw_closing(pen: &mut Pen, doc: &TableDocument, y: f32) {
    let mut y = y - 6.0;
    for line in &doc.totals {
        pen.text(MARGIN_X, y, BODY_PT, false, line);
        y -= 5.0;
    }
    y -= 5.0;
    let half = (PAGE_W - 2.0 * MARGIN_X) / 2.0;
    let centre = |i: usize| MARGIN_X + half * (i as f32 + 0.5);
    let right = centre(1);
    pen.text_center(right, y, BODY_PT, false, &doc.place_date);
    y -= 5.0;
    for (i, s) in doc.signatories.iter().enumerate() {
        let cx = if doc.signatories.len() == 1 {
            right
        } else {
            centre(i % 2)
        };
        // Rows of two below the first (a row is SIGNATURE_ROW_H high).
        let y = y - SIGNATURE_ROW_H * (i / 2) as f32;
        pen.text_center(cx, y, BODY_PT, false, &s.role);
        pen.text_center(cx, y - 4.5, BODY_PT, false, &s.title);
        let name = s
            .name
            .clone()
            .unwrap_or_else(|| "(.............................)".into());
        pen.text_center(cx, y - 26.0, BODY_PT, true, &name);
        let nip = s
            .nip
            .clone()
            .unwrap_or_else(|| ".........................".into());
        pen.text_center(cx, y - 30.5, BODY_PT, false, &format!("NIP. {nip}"));
    }
}

/// The operations that show `text` in `font` at `size` pt with its
/// baseline starting at (x, y) mm, in a text section of its own (a cursor
/// move inside one is relative to the last).
pub(crate) fn text_section(font: &FontId, size: f32, x: f32, y: f32, text: &str) -> [Op; 5] {
    [
        Op::StartTextSection,
        Op::SetFont {
            font: PdfFontHandle::External(font.clone()),
            size: Pt(size),
        },
        Op::SetTextCursor {
            pos: Point::new(Mm(x), Mm(y)),
        },
        Op::ShowText {
            items: vec![TextItem::Text(text.to_string())],
        },
        Op::EndTextSection,
    ]
}

/// Collects drawing operations with the document's two fonts.
struct Pen {
    ops: Vec<Op>,
    regular: FontId,
    bold: FontId,
}

impl Pen {
    /// Text with its baseline starting at (x, y) mm. Each text gets its own
    /// text section, because a cursor move inside one is relative.
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, text: &str) {
        if text.is_empty() {
            return;
        }
        let font = if bold { &self.bold } else { &self.regular };
        self.ops.extend(text_section(font, size, x, y, text));
    }

    fn text_center(&mut self, cx: f32, y: f32, size: f32, bold: bool, text: &str) {
        let w = text_width_mm(text, size, bold);
        self.text(cx - w / 2.0, y, size, bold, text);
    }

    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness_pt: f32) {
        self.ops.extend([
            Op::SetOutlineColor {
                col: Color::Greyscale(Greyscale {
                    percent: 0.0,
                    icc_profile: None,
                }),
            },
            Op::SetOutlineThickness {
                pt: Pt(thickness_pt),
            },
            Op::DrawLine {
                line: Line {
                    points: vec![
                        LinePoint {
                            p: Point::new(Mm(x1), Mm(y1)),
                            bezier: false,
                        },
                        LinePoint {
                            p: Point::new(Mm(x2), Mm(y2)),
                            bezier: false,
                        },
                    ],
                    is_closed: false,
                },
            },
        ]);
    }
}
