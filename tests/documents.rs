//! The PDFs sigap writes, read by the tools people and archives use:
//! poppler's `pdfinfo` and `pdffonts`, `qpdf --check`, `pdftotext`. Every
//! kind is made on the committed sample office by the real jobs: the rekap
//! of each batch, the daily Rekap Cetak KTP-el, the SLA report and the
//! Berita Acara of a destruction bundle.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;

use crate::pickups::{cards, printed_office, register_now, sg};
use crate::support::{copy_office, repo_root, write_register};

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} not runnable ({e}); ./scripts/test installs poppler-utils and qpdf")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Rewrites the population snapshot with two spaces after the first word of
/// every name with more than one (`ESTI  KUSUMAWATI`), as SIAK sometimes
/// holds them.
fn double_space_registered_names(office: &Path) {
    use polars::prelude::{Column, ParquetReader, ParquetWriter, SerReader};
    let path = office.join("population.parquet");
    let mut df = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    let column = df.column("name").unwrap().str().unwrap().clone();
    let names: Vec<Option<String>> = (0..column.len())
        .map(|i| column.get(i).map(|n| n.replacen(' ', "  ", 1)))
        .collect();
    df.with_column(Column::new("name".into(), names)).unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
}

/// What the office wrote, after a night, the station's results, a rekap
/// run, a pickup register with surrendered old cards, the month's archive
/// and an SLA report: the PDFs (the Berita Acara unzipped from its
/// bundle), the extracted bundle folder, and the first batch.
pub struct Made {
    pub cfg: PathBuf,
    pub pdfs: Vec<PathBuf>,
    pub bundle: PathBuf,
    pub batch: String,
}

pub fn documents_office(tmp: &Path, double_spaced: bool) -> Made {
    let dir = tmp.join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    if double_spaced {
        double_space_registered_names(&dir);
    }
    let cfg = dir.join("sigap.toml");
    let made = printed_office(&cfg);
    sg(&cfg, &["rekap"]).expect_code(0);
    let now = register_now();
    let rows: Vec<String> = cards(&dir, &made[0])
        .iter()
        .map(|c| format!("{},,,{now},Sri Wahyuni,ya", c.0))
        .collect();
    let register = tmp.join("register.csv");
    write_register(&register, &rows);
    sg(&cfg, &["pickups", "import", register.to_str().unwrap()]).expect_code(0);
    // `DD/MM/YYYY HH:MM` → `YYYY-MM`.
    let month = format!("{}-{}", &now[6..10], &now[3..5]);
    let out = sg(&cfg, &["archive", "--month", &month]).expect_code(0);
    assert!(out.stdout.contains("bundles written 1"), "{}", out.stdout);
    sg(
        &cfg,
        &[
            "report",
            "sla",
            "--from",
            "2026-11-09",
            "--to",
            "2026-11-20",
        ],
    )
    .expect_code(0);

    let mut pdfs = Vec::new();
    for sub in ["out/rekap", "out/reports"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "pdf") {
                pdfs.push(p);
            }
        }
    }
    let zip = std::fs::read_dir(dir.join("out/archive"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "zip"))
        .expect("a bundle");
    let bundle = tmp.join("bundle");
    tool(
        "unzip",
        &["-q", zip.to_str().unwrap(), "-d", bundle.to_str().unwrap()],
    );
    pdfs.push(bundle.join("berita-acara-pemusnahan.pdf"));
    pdfs.sort();
    Made {
        cfg,
        pdfs,
        bundle,
        batch: made[0].clone(),
    }
}

/// The first `26 November 2026` in `text` after the last `after`, as a date.
pub fn date_after(text: &str, after: &str) -> NaiveDate {
    let rest = &text[text
        .rfind(after)
        .unwrap_or_else(|| panic!("{after:?} not in\n{text}"))
        + after.len()..];
    let words: Vec<&str> = rest.split_whitespace().collect();
    for w in words.windows(3) {
        let month = pipeline::domain::calendar::MONTHS
            .iter()
            .position(|m| *m == w[1]);
        if let (Ok(d), Some(m), Ok(y)) = (w[0].parse(), month, w[2].trim_end_matches(',').parse())
            && let Some(date) = NaiveDate::from_ymd_opt(y, m as u32 + 1, d)
        {
            return date;
        }
    }
    panic!("no date after {after:?} in\n{text}");
}

#[test]
fn every_pdf_says_the_date_it_states_and_embeds_tagged_font_subsets_qpdf_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    let made = documents_office(tmp.path(), false);
    let kinds = |prefix: &str| {
        made.pdfs
            .iter()
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .count()
    };
    assert!(kinds("rekap-B-") >= 2, "{:?}", made.pdfs);
    assert!(kinds("rekap-cetak-") >= 1, "{:?}", made.pdfs);
    assert_eq!(kinds("sla-"), 1, "{:?}", made.pdfs);
    assert_eq!(kinds("berita-acara-"), 1, "{:?}", made.pdfs);
    for pdf in &made.pdfs {
        let path = pdf.to_str().unwrap();
        let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
        let text = tool("pdftotext", &["-layout", path, "-"]);
        // The moment the document itself states, in office time (WIB).
        let (date, time) = if name.starts_with("sla-") {
            let at = &text[text.find("Angka per ").expect("as-of line")..];
            let hhmm = at
                .split_whitespace()
                .skip_while(|w| *w != "pukul")
                .nth(1)
                .unwrap()
                .replace('.', ":");
            (date_after(&text, "Angka per "), format!("{hhmm}:00"))
        } else if name.starts_with("berita-acara-") {
            (date_after(&text, "Bantul, "), "00:00:00".to_string())
        } else {
            (date_after(&text, "Tanggal"), "00:00:00".to_string())
        };
        let expected = format!("{date}T{time}+07");
        let info = tool("pdfinfo", &["-isodates", path]);
        for key in ["CreationDate:", "ModDate:"] {
            let value = info
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("{name}: no {key} in\n{info}"))
                .trim();
            assert_eq!(value, expected, "{name} {key}");
        }
        // Every font embedded, as a subset, named with a six-letter tag.
        let fonts = tool("pdffonts", &[path]);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert_eq!(rows.len(), 2, "{name}: regular and bold\n{fonts}");
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let (font, tail) = (cols[0], &cols[cols.len() - 5..]);
            let (tag, base) = font.split_once('+').unwrap_or(("", font));
            assert!(
                tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
                "{name}: {font} has no subset tag\n{fonts}"
            );
            assert!(base.starts_with("DejaVuSans"), "{name}: {font}");
            assert_eq!(
                &tail[..3],
                ["yes", "yes", "yes"],
                "{name}: emb sub uni\n{fonts}"
            );
        }
        let check = tool("qpdf", &["--check", path]);
        assert!(
            check.contains("No syntax or stream encoding errors found"),
            "{name}:\n{check}"
        );
    }
    // The same night's files again: a rerun of the rekap writes nothing.
    let again = sg(&made.cfg, &["rekap"]).expect_code(0);
    assert!(again.stdout.contains("0 written"), "{}", again.stdout);
}

#[test]
fn a_registered_name_with_two_spaces_shows_one_on_the_card_the_rekaps_and_the_berita_acara() {
    let tmp = tempfile::tempdir().unwrap();
    let made = documents_office(tmp.path(), true);
    let office = made.cfg.parent().unwrap();
    let faces = cards(office, &made.batch);
    assert!(
        faces.iter().any(|c| c.2.contains(' ')),
        "names of more than one word: {faces:?}"
    );
    // The card face, as the station prints it.
    for c in &faces {
        assert!(!c.2.contains("  "), "{}: card face {:?}", c.0, c.2);
    }
    let mut files: Vec<(String, String)> = vec![
        (
            "cards.csv".into(),
            std::fs::read_to_string(
                office
                    .join("spool/outgoing")
                    .join(&made.batch)
                    .join("cards.csv"),
            )
            .unwrap(),
        ),
        (
            "manifest.csv".into(),
            std::fs::read_to_string(made.bundle.join("manifest.csv")).unwrap(),
        ),
    ];
    for e in std::fs::read_dir(office.join("out/rekap")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            files.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    for pdf in &made.pdfs {
        // Raw text (not -layout, which pads columns with spaces).
        files.push((
            pdf.display().to_string(),
            tool("pdftotext", &[pdf.to_str().unwrap(), "-"]),
        ));
    }
    for c in faces.iter().filter(|c| c.2.contains(' ')) {
        let name = c.2.split_whitespace().collect::<Vec<_>>().join(" ");
        let doubled = name.replacen(' ', "  ", 1);
        for (file, text) in &files {
            assert!(!text.contains(&doubled), "{file} shows {doubled:?}");
        }
        let rekap = files
            .iter()
            .find(|(f, _)| f.ends_with(&format!("rekap-{}.csv", made.batch)))
            .expect("the batch's rekap CSV");
        assert!(rekap.1.contains(name.as_str()), "{name} in the rekap");
        let manifest = &files[1].1;
        assert!(manifest.contains(name.as_str()), "{name} in the manifest");
    }
}
