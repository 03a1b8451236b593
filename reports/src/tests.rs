//! Rekap documents read back the way a person or a script would: PDFs
//! through poppler's `pdftotext`, `pdfinfo` and `pdftoppm` (installed by
//! `./scripts/test`), CSV through the csv reader.

use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use pipeline::domain::service::Service;

use crate::pdf::{self, Letterhead};
use crate::rekap::{OfficeHeading, PrintedCard, Rekap, RekapCard, RekapCetak};

fn heading() -> OfficeHeading {
    OfficeHeading {
        letterhead: Letterhead {
            government: "PEMERINTAH KABUPATEN BANTUL".into(),
            office: "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL".into(),
            contact: vec!["Jl. Contoh No. 1, Bantul".into()],
        },
        place: "Bantul".into(),
        short_name: "Disdukcapil Kabupaten Bantul".into(),
        offset: chrono::FixedOffset::east_opt(7 * 3600).expect("WIB"),
    }
}

fn card(i: usize, service: Service) -> RekapCard {
    RekapCard {
        application_id: format!("A-{i:06}"),
        nik: format!("3402{:012}", 10_000_000_000u64 + i as u64),
        name: format!("WARGA NOMOR {i:04} SUSANTO"),
        village: "Timbulharjo".into(),
        service,
    }
}

fn rekap(n: usize) -> Rekap {
    let services = [Service::KtpBaru, Service::KtpHilang, Service::KtpRusak];
    Rekap {
        batch_id: "B-20261126-SEWON-01".into(),
        date: NaiveDate::from_ymd_opt(2026, 11, 26).expect("date"),
        kecamatan: "Sewon".into(),
        cards: (1..=n).map(|i| card(i, services[i % 3])).collect(),
    }
}

fn tool(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} not runnable ({e}); run ./scripts/test, which installs poppler-utils")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn write_pdf(dir: &Path, bytes: &[u8]) -> String {
    let path = dir.join("rekap.pdf");
    std::fs::write(&path, bytes).expect("write pdf");
    path.to_str().expect("utf-8 path").to_string()
}

fn pages_of(dir: &Path, pdf: &str) -> usize {
    let info = tool(dir, "pdfinfo", &[pdf]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints Pages")
}

#[test]
fn a_small_rekap_reads_back_with_names_totals_and_signature_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = rekap(5);
    r.cards[2].name = "MA'RUF AL-HADI, S.Pd.".into();
    let pdf = write_pdf(dir.path(), &r.pdf(&heading()));
    let text = tool(dir.path(), "pdftotext", &["-layout", &pdf, "-"]);
    for c in &r.cards {
        assert!(text.contains(&c.name), "name {} missing:\n{text}", c.name);
        assert!(text.contains(&c.nik), "NIK of {} missing", c.application_id);
    }
    for needle in [
        "PEMERINTAH KABUPATEN BANTUL",
        "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
        "REKAP PENYERAHAN KTP-el",
        "B-20261126-SEWON-01",
        "26 November 2026",
        "Sewon",
        "Jumlah KTP-el Baru: 1 kartu",
        "Jumlah KTP-el Hilang: 2 kartu",
        "Jumlah KTP-el Rusak: 2 kartu",
        "Jumlah seluruhnya: 5 kartu",
        "Yang Menyerahkan",
        "Yang Menerima",
        "Petugas Dinas",
        "Petugas Kecamatan Sewon",
        "NIP.",
        "Bantul, 26 November 2026",
        "Halaman 1 dari 1",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    assert_eq!(pages_of(dir.path(), &pdf), 1);
}

#[test]
fn a_2000_card_rekap_paginates_with_every_row_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = rekap(2000);
    let doc = r.document(&heading());
    let expected_pages = pdf::page_count(&doc);
    assert!(
        expected_pages > 40,
        "2000 rows at 6 mm fit {expected_pages} pages"
    );
    let pdf = write_pdf(dir.path(), &pdf::render(&doc));
    assert_eq!(pages_of(dir.path(), &pdf), expected_pages);

    let mut seen = vec![0usize; r.cards.len()];
    for page in 1..=expected_pages {
        let p = page.to_string();
        let text = tool(
            dir.path(),
            "pdftotext",
            &["-layout", "-f", &p, "-l", &p, &pdf, "-"],
        );
        let footer = format!("Halaman {page} dari {expected_pages}");
        assert!(text.contains(&footer), "page {page} lacks {footer:?}");
        for line in text.lines() {
            if let Some(pos) = line.find("WARGA NOMOR ") {
                let n: usize = line[pos + 12..pos + 16].parse().expect("row name number");
                seen[n - 1] += 1;
                // The row number printed in the first column is the card's.
                let first: usize = line
                    .split_whitespace()
                    .next()
                    .and_then(|t| t.parse().ok())
                    .expect("row starts with its number");
                assert_eq!(first, n, "row number and card disagree on page {page}");
            }
        }
    }
    let wrong: Vec<usize> = (0..seen.len()).filter(|&i| seen[i] != 1).collect();
    assert!(
        wrong.is_empty(),
        "rows not shown exactly once: {:?}",
        &wrong[..wrong.len().min(10)]
    );

    let last = expected_pages.to_string();
    let tail = tool(
        dir.path(),
        "pdftotext",
        &["-f", &last, "-l", &last, &pdf, "-"],
    );
    assert!(tail.contains("Jumlah seluruhnya: 2000 kartu"), "{tail}");
    assert!(tail.contains("Yang Menerima"));
}

#[test]
fn page_one_renders_to_a_png_that_is_not_blank() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pdf = write_pdf(dir.path(), &rekap(30).pdf(&heading()));
    tool(
        dir.path(),
        "pdftoppm",
        &["-png", "-r", "50", "-f", "1", "-l", "1", &pdf, "page"],
    );
    let png = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote a PNG");
    let bytes = std::fs::read(&png).expect("read png");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    // The same page as a greyscale PGM, whose pixels can be counted here
    // without a PNG decoder: ink must cover a real share of the page.
    tool(
        dir.path(),
        "pdftoppm",
        &["-gray", "-r", "50", "-f", "1", "-l", "1", &pdf, "grey"],
    );
    let pgm = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pgm"))
        .expect("pdftoppm wrote a PGM");
    let raw = std::fs::read(pgm).expect("read pgm");
    // Header: "P5\n<w> <h>\n255\n", then one byte per pixel.
    let mut fields = 0;
    let mut start = 0;
    for (i, b) in raw.iter().enumerate() {
        if b.is_ascii_whitespace() {
            fields += 1;
            if fields == 4 {
                start = i + 1;
                break;
            }
        }
    }
    let pixels = &raw[start..];
    let dark = pixels.iter().filter(|&&p| p < 128).count();
    let share = dark as f64 / pixels.len() as f64;
    assert!(share > 0.01, "page 1 is nearly blank: {:.4} dark", share);
}

#[test]
fn the_same_rekap_renders_to_the_same_bytes() {
    let r = rekap(40);
    let first = r.pdf(&heading());
    assert_eq!(first, r.pdf(&heading()));
    // The fonts are embedded once, subset: a 40-card rekap stays small.
    assert!(first.len() < 200_000, "{} bytes", first.len());
}

#[test]
fn a_long_name_is_shrunk_or_cut_to_its_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut r = rekap(3);
    r.cards[0].name =
        "RADEN MAS MUHAMMAD ABDURRAHMAN WAHYUDI KUSUMANINGRAT PRAWIRODIRJO SASTROWARDOYO".into();
    r.cards[1].name = "KADEK AYU PUSPITA SARI DEWI".into();
    let pdf = write_pdf(dir.path(), &r.pdf(&heading()));
    let text = tool(dir.path(), "pdftotext", &["-layout", &pdf, "-"]);
    // The shorter name is whole; the longest is cut with an ellipsis rather
    // than running into the next column.
    assert!(text.contains("KADEK AYU PUSPITA SARI DEWI"));
    assert!(text.contains("RADEN MAS MUHAMMAD"));
    assert!(text.contains('…'), "{text}");
    assert!(!text.contains("SASTROWARDOYO"), "{text}");
}

#[test]
fn the_rekap_csv_has_every_card() {
    let r = rekap(7);
    let csv = r.csv();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(&headers[4], "nik");
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 7);
    for (row, c) in rows.iter().zip(&r.cards) {
        assert_eq!(&row[3], c.application_id);
        assert_eq!(&row[4], c.nik);
        assert_eq!(&row[5], c.name);
        assert_eq!(&row[7], c.service.label());
    }
}

#[test]
fn the_daily_rekap_cetak_counts_printed_and_spoiled_blanks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let printed: Vec<PrintedCard> = (1..=12)
        .map(|i| PrintedCard {
            card: card(
                i,
                if i % 4 == 0 {
                    Service::KtpPerubahanData
                } else {
                    Service::KtpBaru
                },
            ),
            kecamatan: if i % 2 == 0 {
                "Sewon".into()
            } else {
                "Kasihan".into()
            },
            batch_id: format!("B-20261126-{:02}", 1 + i % 2),
            blanko_serial: format!("BLK{i:07}"),
        })
        .collect();
    let day = RekapCetak {
        date: NaiveDate::from_ymd_opt(2026, 11, 26).expect("date"),
        printed,
        spoiled: 2,
    };
    let pdf = write_pdf(dir.path(), &day.pdf(&heading()));
    let text = tool(dir.path(), "pdftotext", &["-layout", &pdf, "-"]);
    for needle in [
        "REKAP CETAK KTP-el",
        "Jumlah KTP-el Baru: 9 kartu",
        "Jumlah KTP-el Perubahan Data: 3 kartu",
        "Jumlah seluruhnya: 12 kartu",
        "Blanko rusak (spoiled): 2 keping",
        "Blanko terpakai: 14 keping",
        "Operator Cetak",
        "Mengetahui",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    for p in &day.printed {
        assert!(text.contains(&p.card.name));
    }
    let csv = day.csv();
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let serials: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[8].to_string())
        .collect();
    assert_eq!(serials.len(), 12);
    assert_eq!(serials[0], "BLK0000001");
}
