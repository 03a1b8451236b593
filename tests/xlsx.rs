//! The Excel workbooks sigap writes beside the PDFs, read back with
//! openpyxl (the library people's scripts use): the rekap of each batch and
//! the daily Rekap Cetak KTP-el, made on the committed sample office by the
//! real jobs. Each must hold the PDF's rows (as `pdftotext` reads them),
//! NIKs as text, the date as a real date, the header row frozen.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::pickups::{printed_office, sg};
use crate::support::{copy_office, repo_root};

/// The Python that has openpyxl: scripts/test installs it beside aiosmtpd
/// and names that venv's Python in `SIGAP_TEST_SMTP_PYTHON`.
fn python() -> String {
    std::env::var("SIGAP_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The workbook's sheets as `tests/xlsx_dump.py` reads them.
pub fn read_xlsx(path: &Path) -> Vec<Value> {
    let script = repo_root().join("tests/xlsx_dump.py");
    let json = run(
        &python(),
        &[script.to_str().unwrap(), path.to_str().unwrap()],
    );
    serde_json::from_str::<Value>(&json)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// 16-digit numbers in the order they appear: the NIKs of a table.
fn niks(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 16)
        .map(String::from)
        .collect()
}

fn cell(row: &[Value], i: usize) -> (&str, &Value) {
    let c = row[i].as_array().unwrap();
    (c[0].as_str().unwrap(), &c[1])
}

/// Checks one workbook against its PDF; returns the number of table rows.
pub fn check_against_pdf(xlsx: &Path, pdf: &Path) -> usize {
    let name = xlsx.file_name().unwrap().to_string_lossy().into_owned();
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let sheets = read_xlsx(xlsx);
    assert_eq!(sheets.len(), 1, "{name}");
    let sheet = &sheets[0];
    let rows: Vec<Vec<Value>> = sheet["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().clone())
        .collect();
    // The office's name on top, as the PDF's kop surat has it.
    let (kind, office) = cell(&rows[1], 0);
    assert_eq!(kind, "str", "{name}");
    assert!(
        text.contains(office.as_str().unwrap()),
        "{name}: {office} not in the PDF"
    );
    // The date is a real date, the PDF's `Tanggal`.
    let tanggal = rows
        .iter()
        .find(|r| !r.is_empty() && cell(r, 0).1 == "Tanggal")
        .unwrap_or_else(|| panic!("{name}: no Tanggal row"));
    let (kind, value) = cell(tanggal, 1);
    assert_eq!(kind, "datetime", "{name}");
    let date = crate::documents::date_after(&text, "Tanggal");
    assert_eq!(
        value.as_str().unwrap(),
        format!("{date}T00:00:00"),
        "{name}"
    );
    // The header row, frozen, every column with a width.
    let header = rows
        .iter()
        .position(|r| !r.is_empty() && cell(r, 0).1 == "No")
        .unwrap_or_else(|| panic!("{name}: no header row"));
    assert_eq!(
        sheet["freeze"].as_str().unwrap(),
        format!("A{}", header + 2),
        "{name}"
    );
    let columns: Vec<&str> = (0..rows[header].len())
        .map(|i| cell(&rows[header], i).1.as_str().unwrap())
        .collect();
    assert_eq!(
        sheet["widths"].as_object().unwrap().len(),
        columns.len(),
        "{name}: {columns:?} {}",
        sheet["widths"]
    );
    for c in &columns {
        assert!(text.contains(c), "{name}: column {c} not in the PDF");
    }
    let nik_col = columns
        .iter()
        .position(|c| *c == "NIK")
        .expect("a NIK column");
    // The table: numbered rows, NIKs as 16-digit text, every other cell text.
    let table: Vec<&Vec<Value>> = rows[header + 1..]
        .iter()
        .take_while(|r| !r.is_empty())
        .collect();
    let mut sheet_niks = Vec::new();
    for (i, row) in table.iter().enumerate() {
        assert_eq!(row.len(), columns.len(), "{name} row {i}");
        let (kind, no) = cell(row, 0);
        assert_eq!((kind, no.as_i64()), ("int", Some(i as i64 + 1)), "{name}");
        for c in 1..row.len() {
            assert_eq!(cell(row, c).0, "str", "{name} row {i} column {c}");
        }
        let nik = cell(row, nik_col).1.as_str().unwrap().to_string();
        assert!(
            nik.len() == 16 && nik.bytes().all(|b| b.is_ascii_digit()),
            "{name}: {nik}"
        );
        sheet_niks.push(nik);
    }
    assert_eq!(sheet_niks, niks(&text), "{name}: the PDF's rows, in order");
    // The totals, word for word as the PDF has them.
    let total = rows[header + 1 + table.len()..]
        .iter()
        .filter(|r| !r.is_empty())
        .map(|r| cell(r, 0).1.as_str().unwrap().to_string())
        .find(|t| t.starts_with("Jumlah seluruhnya"))
        .unwrap_or_else(|| panic!("{name}: no total"));
    assert!(text.contains(&total), "{name}: {total}");
    assert_eq!(total, format!("Jumlah seluruhnya: {} kartu", table.len()));
    table.len()
}

#[test]
fn every_rekap_and_rekap_cetak_xlsx_holds_the_pdfs_rows_with_niks_as_text_and_real_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    let cfg = dir.join("sigap.toml");
    printed_office(&cfg);
    sg(&cfg, &["rekap"]).expect_code(0);

    let rekap = dir.join("out/rekap");
    let mut books: Vec<_> = std::fs::read_dir(&rekap)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .collect();
    books.sort();
    let kind = |prefix: &str| {
        books
            .iter()
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .count()
    };
    assert!(kind("rekap-B-") >= 2, "{books:?}");
    assert!(kind("rekap-cetak-") >= 1, "{books:?}");
    let (mut batch_rows, mut day_rows) = (0, 0);
    for xlsx in &books {
        let pdf = xlsx.with_extension("pdf");
        let rows = check_against_pdf(xlsx, &pdf);
        assert!(rows > 0, "{}", xlsx.display());
        if xlsx
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("rekap-cetak-")
        {
            day_rows += rows;
        } else {
            batch_rows += rows;
        }
        // Personal data (full NIKs): owner only.
        let mode = std::fs::metadata(xlsx).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", xlsx.display());
    }
    // Every card of every batch is on a day's Rekap Cetak.
    assert_eq!(batch_rows, day_rows);
    // The workbooks are the same bytes on a rerun: nothing is rewritten.
    let again = sg(&cfg, &["rekap"]).expect_code(0);
    assert!(again.stdout.contains("0 written"), "{}", again.stdout);
}

#[test]
fn the_destruction_bundles_manifest_xlsx_holds_the_berita_acaras_rows_with_real_pickup_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let made = crate::documents::documents_office(tmp.path(), false);
    let xlsx = made.bundle.join("manifest.xlsx");
    let pdf = made.bundle.join("berita-acara-pemusnahan.pdf");
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let sums = std::fs::read_to_string(made.bundle.join("SHA256SUMS")).unwrap();
    assert!(sums.contains("  manifest.xlsx\n"), "{sums}");
    let sheets = read_xlsx(&xlsx);
    let rows: Vec<Vec<Value>> = sheets[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().clone())
        .collect();
    let (_, office) = cell(&rows[1], 0);
    assert!(text.contains(office.as_str().unwrap()), "{office}");
    let header = rows
        .iter()
        .position(|r| !r.is_empty() && cell(r, 0).1 == "No")
        .expect("a header row");
    assert_eq!(sheets[0]["freeze"], format!("A{}", header + 2));
    let columns: Vec<&str> = (0..rows[header].len())
        .map(|i| cell(&rows[header], i).1.as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        ["No", "ID Permohonan", "Nama", "Alamat", "Tgl Diambil"]
    );
    assert_eq!(sheets[0]["widths"].as_object().unwrap().len(), 5);
    let table: Vec<&Vec<Value>> = rows[header + 1..]
        .iter()
        .take_while(|r| !r.is_empty())
        .collect();
    // The machine manifest, row for row: the same cards in the same order.
    let mut csv = csv::Reader::from_path(made.bundle.join("manifest.csv")).unwrap();
    let records: Vec<csv::StringRecord> = csv.records().map(|r| r.unwrap()).collect();
    assert!(!records.is_empty());
    assert_eq!(table.len(), records.len());
    let mut last = 0;
    for (i, (row, rec)) in table.iter().zip(&records).enumerate() {
        assert_eq!(cell(row, 0), ("int", &Value::from(i as i64 + 1)));
        for c in 1..4 {
            assert_eq!(cell(row, c).0, "str", "row {i} column {c}");
        }
        let id = cell(row, 1).1.as_str().unwrap();
        assert_eq!(id, &rec[1]);
        assert_eq!(cell(row, 2).1.as_str().unwrap(), &rec[2]);
        // Every card on the Berita Acara, in the same order.
        let at = text[last..]
            .find(id)
            .unwrap_or_else(|| panic!("{id} not (in order) in the Berita Acara"));
        last += at + id.len();
        // The pickup moment, a real date in office time: the CSV's
        // `YYYY-MM-DD HH:MM`, the PDF's `DD-MM-YYYY` on the card's line.
        let (kind, moment) = cell(row, 4);
        assert_eq!(kind, "datetime", "row {i}");
        let moment = moment.as_str().unwrap();
        assert_eq!(&moment[..16], rec[5].replace(' ', "T"), "row {i}");
        let ddmmyyyy = format!("{}-{}-{}", &moment[8..10], &moment[5..7], &moment[..4]);
        let line = text[last..].lines().next().unwrap();
        assert!(line.contains(&ddmmyyyy), "{id}: {ddmmyyyy} not in {line:?}");
    }
    assert!(text.contains(&format!("dimusnahkan: {} keping", table.len())));
}

#[test]
fn the_sla_workbook_holds_every_table_with_numbers_as_numbers_and_dates_as_dates() {
    let tmp = tempfile::tempdir().unwrap();
    let made = crate::documents::documents_office(tmp.path(), false);
    let reports = made.cfg.parent().unwrap().join("out/reports");
    let stem = "sla-2026-11-09_2026-11-20";
    let pdf = reports.join(format!("{stem}.pdf"));
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let sheets = read_xlsx(&reports.join(format!("{stem}.xlsx")));
    let names: Vec<&str> = sheets.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"summary") && names.contains(&"blanko"),
        "{names:?}"
    );
    for sheet in &sheets {
        let name = sheet["name"].as_str().unwrap();
        let rows: Vec<Vec<Value>> = sheet["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().clone())
            .collect();
        let (_, office) = cell(&rows[1], 0);
        assert!(text.contains(office.as_str().unwrap()), "{name}: {office}");
        // The PDF's tables are headed by the same titles (the weekly trend
        // is a chart there, the detail table CSV and workbook only).
        let title = cell(&rows[3], 0).1.as_str().unwrap();
        assert!(
            matches!(name, "weekly" | "detail") || text.contains(title),
            "{name}: {title} not in the PDF"
        );
        assert_eq!(cell(&rows[4], 1).0, "datetime", "{name}: period");
        assert_eq!(sheet["freeze"], "A9", "{name}");
        // Row for row the CSV of the same table.
        let mut csv = csv::Reader::from_path(reports.join(format!("{stem}-{name}.csv"))).unwrap();
        let columns: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
        let records: Vec<csv::StringRecord> = csv.records().map(|r| r.unwrap()).collect();
        let table = &rows[8..];
        assert_eq!(table.len(), records.len(), "{name}");
        assert_eq!(sheet["widths"].as_object().unwrap().len(), columns.len());
        for (row, rec) in table.iter().zip(&records) {
            for (c, column) in columns.iter().enumerate() {
                let v = &rec[c];
                if v.is_empty() {
                    assert!(
                        c >= row.len() || cell(row, c).0 == "none",
                        "{name} {column}"
                    );
                    continue;
                }
                let (kind, got) = cell(row, c);
                if column == "since" || column == "week_start" {
                    assert_eq!(kind, "datetime", "{name} {column}");
                    assert!(
                        got.as_str().unwrap().starts_with(&v.replace(' ', "T")),
                        "{name} {column}: {got} for {v}"
                    );
                } else if let (Ok(n), true) = (
                    v.parse::<f64>(),
                    !matches!(column.as_str(), "kecamatan" | "application" | "step"),
                ) {
                    assert!(matches!(kind, "int" | "float"), "{name} {column}: {kind}");
                    assert!((got.as_f64().unwrap() - n).abs() < 1e-9, "{name} {column}");
                } else {
                    assert_eq!(kind, "str", "{name} {column}: {v}");
                }
            }
        }
    }
}
