//! Excel workbooks of the tables written for people: the same
//! [`TableDocument`] the PDF is drawn from, as one worksheet.
//!
//! Excel turns a 16-digit NIK or KK number typed as digits into
//! 3.40209E+15 and drops its last digits, so every cell except the row
//! number is a text cell; the document's dates are real Excel dates in
//! office time (Excel has no time zones), so they sort and filter.
//! On top: the office's kop surat and the title, then the document's info
//! lines, then the table with its header row frozen, then the totals. The
//! rows are exactly the PDF's rows, in the same order.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use crate::pdf::TableDocument;

/// Excel's date format for the document's dates (Indonesian order).
const DATE_FORMAT: &str = "dd/mm/yyyy";

/// Excel's format for a moment (office time).
const DATETIME_FORMAT: &str = "dd/mm/yyyy hh:mm";

/// Millimetres of a PDF column to Excel character widths (a character of
/// Calibri 11 is about 2 mm wide; a little slack for the cell padding).
fn width_chars(width_mm: f32) -> f64 {
    f64::from(width_mm / 1.9).max(6.0)
}

/// The workbook's creation time (Excel keeps it in UTC): the document's
/// own, not the clock's, so the same document is the same bytes (the rekap
/// stage rewrites only what changed).
fn excel_datetime(at: DateTime<FixedOffset>) -> Result<ExcelDateTime, XlsxError> {
    excel_naive(at.naive_utc())
}

/// A moment as Excel keeps it: a wall-clock time without a zone.
fn excel_naive(local: NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(local.year()).unwrap_or(1970),
        local.month() as u8,
        local.day() as u8,
    )?
    .and_hms(
        local.hour() as u16,
        local.minute() as u8,
        f64::from(local.second()),
    )
}

fn excel_date(date: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(date.year()).unwrap_or(1970),
        date.month() as u8,
        date.day() as u8,
    )
}

/// The cells of a [`TableDocument`] that are dates, which the PDF spells
/// out as text and the workbook writes as Excel dates.
#[derive(Debug, Clone, Default)]
pub struct Dates<'a> {
    /// Info lines (by label, e.g. `Tanggal`) and the date each states.
    pub info: Vec<(&'a str, NaiveDate)>,
    /// A table column (index into `columns`, 0 being `No`) and each row's
    /// moment in office time.
    pub column: Option<(usize, Vec<NaiveDateTime>)>,
}

/// `doc` as .xlsx bytes, the cells named in `dates` as Excel dates instead
/// of their spelled-out text.
pub fn render(doc: &TableDocument, dates: &Dates) -> Vec<u8> {
    // Everything written is plain strings, numbers and valid dates into
    // memory: rust_xlsxwriter fails only on sheet limits (1,048,576 rows)
    // far above a day's cards.
    try_render(doc, dates).expect("xlsx into memory")
}

fn try_render(doc: &TableDocument, dates: &Dates) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(&doc.pdf_title)
            .set_author(&doc.letterhead.office)
            .set_creation_datetime(&excel_datetime(doc.made)?),
    );
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(13);
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let date_format = Format::new()
        .set_num_format(DATE_FORMAT)
        .set_align(FormatAlign::Left);
    let datetime_format = Format::new()
        .set_num_format(DATETIME_FORMAT)
        .set_align(FormatAlign::Left);
    let sheet = workbook.add_worksheet();
    // A sheet name is at most 31 characters and no `:` `/` `?` `*` `[` `]`.
    let name: String = doc
        .title
        .chars()
        .filter(|c| !":/\\?*[]".contains(*c))
        .take(31)
        .collect();
    sheet.set_name(name)?;

    let mut row: u32 = 0;
    sheet.write_string_with_format(row, 0, &doc.letterhead.government, &bold)?;
    row += 1;
    sheet.write_string_with_format(row, 0, &doc.letterhead.office, &title)?;
    row += 1;
    for line in &doc.letterhead.contact {
        sheet.write_string(row, 0, line)?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, &doc.title, &title)?;
    row += 2;
    for (label, value) in &doc.info {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        if let Some((_, date)) = dates.info.iter().find(|(l, _)| l == label) {
            sheet.write_datetime_with_format(row, 1, excel_date(*date)?, &date_format)?;
        } else {
            sheet.write_string(row, 1, value)?;
        }
        row += 1;
    }
    row += 1;

    for (col, column) in doc.columns.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(row, col, &column.header, &header)?;
        sheet.set_column_width(col, width_chars(column.width_mm))?;
    }
    sheet.set_freeze_panes(row + 1, 0)?;
    row += 1;
    for (i, cells) in doc.rows.iter().enumerate() {
        sheet.write_number(row, 0, (i + 1) as f64)?;
        for (col, cell) in cells.iter().enumerate() {
            let col = col + 1;
            match &dates.column {
                Some((c, at)) if *c == col && i < at.len() => {
                    let moment = excel_naive(at[i])?;
                    sheet.write_datetime_with_format(row, col as u16, moment, &datetime_format)?
                }
                _ => sheet.write_string(row, col as u16, cell)?,
            };
        }
        row += 1;
    }
    row += 1;
    for line in &doc.totals {
        sheet.write_string(row, 0, line)?;
        row += 1;
    }
    workbook.save_to_buffer()
}
