//! The SLA report as one Excel workbook: a worksheet per table, the same
//! rows as the CSV files and the PDF's tables. Counts, percentages and
//! hours are numbers; weeks and moments are Excel dates in office time;
//! codes (kecamatan, application) stay text so Excel keeps their digits.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use super::html::{heading, shown};
use super::{SlaReport, Table};

/// Columns whose values are numbers (the rest are codes or names).
fn numeric(column: &str) -> bool {
    matches!(
        column,
        "count"
            | "within_target"
            | "open"
            | "open_past_target"
            | "applications"
            | "received"
            | "value"
    ) || column.ends_with("_pct")
        || column.ends_with("_hours")
        || column.ends_with("_count")
}

fn date(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).unwrap_or(1970),
        d.month() as u8,
        d.day() as u8,
    )
}

fn moment(at: NaiveDateTime) -> Result<ExcelDateTime, XlsxError> {
    date(at.date())?.and_hms(at.hour() as u16, at.minute() as u8, f64::from(at.second()))
}

/// The report as .xlsx bytes.
pub fn render(report: &SlaReport) -> Vec<u8> {
    // Strings, numbers and valid dates into memory: rust_xlsxwriter fails
    // only on sheet limits, far above an office's tables.
    try_render(report).expect("xlsx into memory")
}

fn try_render(report: &SlaReport) -> Result<Vec<u8>, XlsxError> {
    let offset = report.offset;
    let at = report.period.at.with_timezone(&offset).naive_local();
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new()
            .set_title(format!(
                "Laporan SLA {} s.d. {}",
                report.period.from, report.period.to
            ))
            .set_author(&report.heading.letterhead.office)
            .set_creation_datetime(&moment(report.period.at.naive_utc())?),
    );
    let bold = Format::new().set_bold();
    let big = Format::new().set_bold().set_font_size(13);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border_bottom(FormatBorder::Thin);
    let day = Format::new()
        .set_num_format("dd/mm/yyyy")
        .set_align(FormatAlign::Left);
    let when = Format::new()
        .set_num_format("dd/mm/yyyy hh:mm")
        .set_align(FormatAlign::Left);
    for t in &report.tables {
        table(
            &mut workbook,
            report,
            t,
            at,
            [&bold, &big, &header, &day, &when],
        )?;
    }
    workbook.save_to_buffer()
}

fn table(
    workbook: &mut Workbook,
    report: &SlaReport,
    t: &Table,
    at: NaiveDateTime,
    [bold, big, header, day, when]: [&Format; 5],
) -> Result<(), XlsxError> {
    let sheet = workbook.add_worksheet();
    sheet.set_name(t.name)?;
    sheet.write_string_with_format(0, 0, &report.heading.letterhead.government, bold)?;
    sheet.write_string_with_format(1, 0, &report.heading.letterhead.office, big)?;
    sheet.write_string_with_format(3, 0, &t.title, big)?;
    sheet.write_string_with_format(4, 0, "Periode", bold)?;
    sheet.write_datetime_with_format(4, 1, date(report.period.from)?, day)?;
    sheet.write_datetime_with_format(4, 2, date(report.period.to)?, day)?;
    sheet.write_string_with_format(5, 0, format!("Angka per ({})", report.timezone), bold)?;
    sheet.write_datetime_with_format(5, 1, moment(at)?, when)?;
    let top = 7;
    for (c, name) in t.columns.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(top, c, heading(name), header)?;
        let width = t
            .rows
            .iter()
            .map(|r| shown(name, &r[c as usize]).chars().count())
            .max()
            .unwrap_or(0)
            .clamp(10, 40);
        sheet.set_column_width(c, width as f64 + 2.0)?;
    }
    sheet.set_freeze_panes(top + 1, 0)?;
    for (r, row) in t.rows.iter().enumerate() {
        let r = top + 1 + r as u32;
        for (c, (name, value)) in t.columns.iter().zip(row).enumerate() {
            let c = c as u16;
            if value.is_empty() {
                continue;
            }
            if let Ok(m) = NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M") {
                sheet.write_datetime_with_format(r, c, moment(m)?, when)?;
            } else if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                sheet.write_datetime_with_format(r, c, date(d)?, day)?;
            } else if let (true, Ok(n)) = (numeric(name), value.parse::<f64>()) {
                sheet.write_number(r, c, n)?;
            } else {
                sheet.write_string(r, c, shown(name, value))?;
            }
        }
    }
    Ok(())
}
