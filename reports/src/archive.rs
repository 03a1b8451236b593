//! The bytes of a destruction bundle (the archive stage is
//! `pipeline::archive`): `manifest.csv`, the Berita Acara Pemusnahan KTP-el
//! lama (every card by name and address, with signature blocks for the
//! dinas officer and the witnesses from Satpol PP, Polri and Inspektorat),
//! and the zip that holds them with the scans and `SHA256SUMS` — AES-256
//! encrypted (WinZip AE-2, which 7-Zip and most unzip tools open) when a
//! passphrase is given. It writes into the file it is handed and reads
//! nothing else.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use pipeline::archive::{
    ArchiveError, Bundle, BundleRenderer, SUMS, VerifyError, ZipContents, ZipFailure,
};
use pipeline::digest::{Sha256Hex, sha256_hex};

use crate::Renderer;
use crate::pdf::{Column, Signatory, TableDocument};
use crate::rekap::{OfficeHeading, tanggal};

/// `November 2026`.
pub fn bulan(month: NaiveDate) -> String {
    format!(
        "{} {}",
        pipeline::domain::calendar::MONTHS[month.month0() as usize],
        month.year()
    )
}

/// `manifest.csv`.
pub fn manifest_csv(bundle: &Bundle) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "no",
        "id_permohonan",
        "nama",
        "alamat",
        "kecamatan",
        "tanggal_diambil",
        "layanan",
    ];
    // Writing to a Vec cannot fail.
    w.write_record(header).expect("csv into memory");
    for (i, c) in bundle.cards.iter().enumerate() {
        w.write_record([
            (i + 1).to_string(),
            c.application_id.clone(),
            c.name.clone(),
            c.address.clone(),
            c.kecamatan.clone(),
            c.picked_up.format("%Y-%m-%d %H:%M").to_string(),
            c.service.label().to_string(),
        ])
        .expect("csv into memory");
    }
    w.into_inner().expect("csv into memory")
}

/// The Berita Acara Pemusnahan as a document.
pub fn document(bundle: &Bundle, heading: &OfficeHeading) -> TableDocument {
    let n = bundle.cards.len();
    let month = bulan(bundle.month);
    let col = |h: &str, w: f32| Column {
        header: h.to_string(),
        width_mm: w,
    };
    let witness = |role: &str, title: &str| Signatory {
        role: role.to_string(),
        title: title.to_string(),
        name: None,
        nip: None,
    };
    TableDocument {
        letterhead: heading.letterhead.clone(),
        title: "BERITA ACARA PEMUSNAHAN KTP-el LAMA".to_string(),
        info: vec![
            (
                "Nomor".into(),
                format!(
                    "BA-PMS/{}/{}/{}",
                    bundle.month.format("%Y-%m"),
                    bundle.kecamatan_code,
                    bundle.part
                ),
            ),
            ("Bulan penyerahan".into(), month.clone()),
            ("Kecamatan".into(), bundle.kecamatan_name.clone()),
            ("Jumlah".into(), format!("{n} keping KTP-el lama")),
        ],
        running_header: format!(
            "{} · Berita Acara Pemusnahan {} · Kecamatan {}",
            heading.short_name, month, bundle.kecamatan_name
        ),
        columns: vec![
            col("No", 10.0),
            col("ID Permohonan", 29.0),
            col("Nama", 45.0),
            col("Alamat", 68.0),
            col("Tgl Diambil", 28.0),
        ],
        rows: bundle
            .cards
            .iter()
            .map(|c| {
                vec![
                    c.application_id.clone(),
                    c.name.clone(),
                    c.address.clone(),
                    c.picked_up.format("%d-%m-%Y").to_string(),
                ]
            })
            .collect(),
        totals: vec![
            format!("Jumlah KTP-el lama yang dimusnahkan: {n} keping."),
            format!(
                "KTP-el lama tersebut diserahkan pemohon saat mengambil KTP-el baru pada bulan {month}"
            ),
            format!(
                "di Kecamatan {}, dan dimusnahkan dengan cara digunting hingga tidak dapat dipergunakan",
                bundle.kecamatan_name
            ),
            "lagi, disaksikan oleh Satpol PP, Polri dan Inspektorat (SE Mendagri 470.13/11176/SJ).".into(),
            "Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya.".into(),
        ],
        place_date: format!("{}, {}", heading.place, tanggal(bundle.made_on)),
        signatories: vec![
            witness("Yang Memusnahkan,", "Petugas Dinas"),
            witness("Saksi I,", "Satpol PP"),
            witness("Saksi II,", "Polri"),
            witness("Saksi III,", "Inspektorat"),
        ],
        pdf_title: format!("Berita Acara Pemusnahan {}", bundle.file_name()),
        made: heading.start_of(bundle.made_on),
    }
}

/// `manifest.xlsx`: the Berita Acara's table as an Excel workbook, the
/// pickup moments as Excel dates (office time).
pub fn manifest_xlsx(bundle: &Bundle, heading: &OfficeHeading) -> Vec<u8> {
    crate::xlsx::render(
        &document(bundle, heading),
        &crate::xlsx::Dates {
            info: vec![],
            column: Some((4, bundle.cards.iter().map(|c| c.picked_up).collect())),
        },
    )
}

/// The Berita Acara as PDF bytes.
pub fn pdf(bundle: &Bundle, heading: &OfficeHeading) -> Vec<u8> {
    crate::pdf::render(&document(bundle, heading))
}

/// A writer that hashes what goes through it.
struct Hashing<'w, W: Write> {
    inner: &'w mut W,
    hash: Sha256Hex,
}

impl<W: Write> Write for Hashing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the zip of a bundle into `out`: see [`BundleRenderer::write_zip`].
pub fn write_zip(
    out: &mut File,
    names: &[String],
    fill: &mut dyn FnMut(usize, &mut dyn Write) -> Result<(), ArchiveError>,
    passphrase: Option<&str>,
    modified: NaiveDateTime,
) -> Result<Vec<String>, ZipFailure> {
    let zip_err = |e: zip::result::ZipError| ZipFailure::Zip(Box::new(e));
    let mut zip = zip::ZipWriter::new(out);
    let time = zip::DateTime::from_date_and_time(
        modified.year().clamp(1980, 2107) as u16,
        modified.month() as u8,
        modified.day() as u8,
        modified.hour() as u8,
        modified.minute() as u8,
        modified.second() as u8,
    )
    .unwrap_or_default();
    let mut options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o600);
    if let Some(p) = passphrase {
        options = options.with_aes_encryption(zip::AesMode::Aes256, p);
    }
    let mut sums = String::new();
    let mut shas = Vec::new();
    for (i, name) in names.iter().enumerate() {
        zip.start_file(name.as_str(), options).map_err(zip_err)?;
        let mut sink = Hashing {
            inner: &mut zip,
            hash: Sha256Hex::default(),
        };
        fill(i, &mut sink).map_err(ZipFailure::Fill)?;
        let sha = sink.hash.finish();
        sums.push_str(&format!("{sha}  {name}\n"));
        shas.push(sha);
    }
    zip.start_file(SUMS, options).map_err(zip_err)?;
    zip.write_all(sums.as_bytes()).map_err(ZipFailure::Io)?;
    zip.finish().map_err(zip_err)?;
    Ok(shas)
}

/// Reads every entry of a bundle: see [`BundleRenderer::read_zip`].
pub fn read_zip(file: File, passphrase: Option<&str>) -> Result<ZipContents, VerifyError> {
    let mut zip = zip::ZipArchive::new(file).map_err(|e| VerifyError::Unreadable(e.to_string()))?;
    let mut contents = ZipContents {
        entries: BTreeMap::new(),
        sums: None,
    };
    for i in 0..zip.len() {
        let encrypted = zip
            .by_index_raw(i)
            .map_err(|e| VerifyError::Unreadable(e.to_string()))?
            .encrypted();
        let entry = match (encrypted, passphrase) {
            (true, None) => return Err(VerifyError::NeedsPassphrase),
            (true, Some(p)) => zip.by_index_decrypt(i, p.as_bytes()),
            (false, _) => zip.by_index(i),
        };
        let mut entry = entry.map_err(|e| VerifyError::Entry {
            entry: format!("#{i}"),
            why: e.to_string(),
        })?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| VerifyError::Entry {
                entry: name.clone(),
                why: e.to_string(),
            })?;
        if name == SUMS {
            contents.sums = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else {
            contents.entries.insert(name, sha256_hex(&bytes));
        }
    }
    Ok(contents)
}

/// What `sigap archive` hands the archive stage.
impl BundleRenderer for Renderer {
    fn manifest_csv(&self, bundle: &Bundle) -> Vec<u8> {
        manifest_csv(bundle)
    }

    fn manifest_xlsx(&self, bundle: &Bundle) -> Vec<u8> {
        manifest_xlsx(bundle, &self.heading)
    }

    fn berita_acara_pdf(&self, bundle: &Bundle) -> Vec<u8> {
        pdf(bundle, &self.heading)
    }

    fn write_zip(
        &self,
        out: &mut File,
        names: &[String],
        fill: &mut dyn FnMut(usize, &mut dyn Write) -> Result<(), ArchiveError>,
        passphrase: Option<&str>,
        modified: NaiveDateTime,
    ) -> Result<Vec<String>, ZipFailure> {
        write_zip(out, names, fill, passphrase, modified)
    }

    fn read_zip(&self, file: File, passphrase: Option<&str>) -> Result<ZipContents, VerifyError> {
        read_zip(file, passphrase)
    }
}
