//! The rekap: the handover list a kecamatan courier signs and carries with
//! each print batch (Bantul SOP step 6, "KTP-el beserta rekapannya"), and the
//! daily Rekap Cetak KTP-el across all batches of a day (Tabanan SOP,
//! "Membuat rekap Cetak KTP-el").
//!
//! Both are PDF (A4, for signing), CSV (for the kecamatan's register) and
//! xlsx (the same rows as the PDF, for Excel: NIKs as text).
//! They carry full NIKs: the kecamatan officer matches each card to the
//! person collecting it. The files are personal data, written 0600 by the
//! rekap stage (`pipeline::print::rekap`) through `pipeline::files`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use pipeline::config::Config;
use pipeline::domain::service::Service;
use pipeline::domain::wilayah::Wilayah;
use pipeline::print::rekap::{RekapRenderer, Rendered};

use crate::Renderer;
use crate::pdf::{Column, Letterhead, Signatory, TableDocument};

/// The rows of the rekaps, as the rekap stage (`pipeline::print::rekap`)
/// gathers them.
pub use pipeline::print::rekap::{PrintedCard, RekapCard};

/// The rekap of one print batch for one kecamatan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rekap {
    /// Batch id, e.g. `B-20261126-SEWON-01`.
    pub batch_id: String,
    /// Date of the batch (office timezone).
    pub date: NaiveDate,
    /// Pickup kecamatan.
    pub kecamatan: String,
    /// The cards, in batch order.
    pub cards: Vec<RekapCard>,
}

/// The daily record of cards printed (Rekap Cetak KTP-el).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekapCetak {
    /// The day (office timezone).
    pub date: NaiveDate,
    /// Cards printed that day.
    pub printed: Vec<PrintedCard>,
    /// Blanks spoiled that day.
    pub spoiled: usize,
}

/// What every document of the office carries: the kop surat and the place
/// written before the date of a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHeading {
    /// Kop surat.
    pub letterhead: Letterhead,
    /// Place before the date, e.g. `Bantul`.
    pub place: String,
    /// Short office name for running headers.
    pub short_name: String,
    /// The office's UTC offset (WIB, WITA, WIT), for the moment a dated
    /// document says it was made.
    pub offset: FixedOffset,
}

impl OfficeHeading {
    /// The heading from the office configuration.
    pub fn from_config(config: &Config) -> OfficeHeading {
        let office = &config.office;
        let mut contact = vec![office.address.clone()];
        let reach: Vec<String> = [
            (!office.phone.is_empty()).then(|| format!("Telepon {}", office.phone)),
            (!office.email.is_empty()).then(|| format!("Email {}", office.email)),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !reach.is_empty() {
            contact.push(reach.join(" · "));
        }
        let regency = Wilayah::embedded()
            .regency(&office.kabupaten_code)
            .unwrap_or(&office.kabupaten_code);
        let place = regency
            .strip_prefix("Kabupaten ")
            .or_else(|| regency.strip_prefix("Kota "))
            .unwrap_or(regency)
            .to_string();
        OfficeHeading {
            letterhead: Letterhead {
                government: office.government.clone(),
                office: office.name.to_uppercase(),
                contact,
            },
            place,
            short_name: office.short_name.clone(),
            offset: office.timezone.offset(),
        }
    }

    /// The start of an office date, in office time: when a document of that
    /// date (a batch's rekap, a Berita Acara) says it was made.
    pub fn start_of(&self, date: NaiveDate) -> DateTime<FixedOffset> {
        self.offset
            .from_local_datetime(&date.and_time(chrono::NaiveTime::MIN))
            .single()
            .expect("a fixed offset maps every local time once")
    }
}

/// `26 November 2026`.
pub fn tanggal(date: NaiveDate) -> String {
    pipeline::domain::calendar::date_id(date)
}

fn column(header: &str, width_mm: f32) -> Column {
    Column {
        header: header.to_string(),
        width_mm,
    }
}

/// `Jumlah KTP-el Baru: 3` lines, in the services' order, then the total.
fn totals<'a>(services: impl Iterator<Item = &'a Service>, unit: &str) -> Vec<String> {
    let mut per: BTreeMap<Service, usize> = BTreeMap::new();
    let mut all = 0;
    for s in services {
        *per.entry(*s).or_default() += 1;
        all += 1;
    }
    let mut lines: Vec<String> = per
        .iter()
        .map(|(s, n)| format!("Jumlah {}: {n} {unit}", s.label()))
        .collect();
    lines.push(format!("Jumlah seluruhnya: {all} {unit}"));
    lines
}

impl Rekap {
    /// The batch rekap as a document: numbered NIK, name, village, service;
    /// totals per service; "Yang Menyerahkan" (petugas dinas) and "Yang
    /// Menerima" (petugas kecamatan).
    pub fn document(&self, heading: &OfficeHeading) -> TableDocument {
        TableDocument {
            letterhead: heading.letterhead.clone(),
            title: "REKAP PENYERAHAN KTP-el".to_string(),
            info: vec![
                ("Nomor Batch".into(), self.batch_id.clone()),
                ("Tanggal".into(), tanggal(self.date)),
                ("Kecamatan".into(), self.kecamatan.clone()),
                ("Jumlah Kartu".into(), self.cards.len().to_string()),
            ],
            running_header: format!(
                "{} · Rekap {} · Kecamatan {}",
                heading.short_name, self.batch_id, self.kecamatan
            ),
            columns: vec![
                column("No", 12.0),
                column("NIK", 38.0),
                column("Nama", 62.0),
                column("Desa/Kelurahan", 38.0),
                column("Layanan", 30.0),
            ],
            rows: self
                .cards
                .iter()
                .map(|c| {
                    vec![
                        c.nik.clone(),
                        c.name.clone(),
                        c.village.clone(),
                        c.service.label().to_string(),
                    ]
                })
                .collect(),
            totals: totals(self.cards.iter().map(|c| &c.service), "kartu"),
            place_date: format!("{}, {}", heading.place, tanggal(self.date)),
            signatories: vec![
                Signatory {
                    role: "Yang Menyerahkan,".into(),
                    title: "Petugas Dinas".into(),
                    name: None,
                    nip: None,
                },
                Signatory {
                    role: "Yang Menerima,".into(),
                    title: format!("Petugas Kecamatan {}", self.kecamatan),
                    name: None,
                    nip: None,
                },
            ],
            pdf_title: format!("Rekap {}", self.batch_id),
            made: heading.start_of(self.date),
        }
    }

    /// The batch rekap as PDF bytes.
    pub fn pdf(&self, heading: &OfficeHeading) -> Vec<u8> {
        crate::pdf::render(&self.document(heading))
    }

    /// The batch rekap as an Excel workbook: the PDF's rows, NIKs as text.
    pub fn xlsx(&self, heading: &OfficeHeading) -> Vec<u8> {
        crate::xlsx::render(
            &self.document(heading),
            &crate::xlsx::Dates {
                info: vec![("Tanggal", self.date)],
                column: None,
            },
        )
    }

    /// The batch rekap as CSV: one row per card, with a header.
    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let rows = std::iter::once(
            [
                "no",
                "batch",
                "kecamatan",
                "application_id",
                "nik",
                "nama",
                "desa_kelurahan",
                "layanan",
            ]
            .map(String::from),
        )
        .chain(self.cards.iter().enumerate().map(|(i, c)| {
            [
                (i + 1).to_string(),
                self.batch_id.clone(),
                self.kecamatan.clone(),
                c.application_id.clone(),
                c.nik.clone(),
                c.name.clone(),
                c.village.clone(),
                c.service.label().to_string(),
            ]
        }));
        for row in rows {
            // Writing to a Vec cannot fail.
            w.write_record(&row).expect("csv into memory");
        }
        w.into_inner().expect("csv into memory")
    }
}

impl RekapCetak {
    /// The daily Rekap Cetak KTP-el as a document.
    pub fn document(&self, heading: &OfficeHeading) -> TableDocument {
        let mut totals = totals(self.printed.iter().map(|p| &p.card.service), "kartu");
        let batches: std::collections::BTreeSet<&str> =
            self.printed.iter().map(|p| p.batch_id.as_str()).collect();
        totals.push(format!("Blanko rusak (spoiled): {} keping", self.spoiled));
        totals.push(format!(
            "Blanko terpakai: {} keping",
            self.printed.len() + self.spoiled
        ));
        TableDocument {
            letterhead: heading.letterhead.clone(),
            title: "REKAP CETAK KTP-el".to_string(),
            info: vec![
                ("Tanggal".into(), tanggal(self.date)),
                ("Jumlah Batch".into(), batches.len().to_string()),
                ("Jumlah Tercetak".into(), self.printed.len().to_string()),
            ],
            running_header: format!(
                "{} · Rekap Cetak KTP-el {}",
                heading.short_name,
                self.date.format("%Y-%m-%d")
            ),
            columns: vec![
                column("No", 11.0),
                column("NIK", 36.0),
                column("Nama", 50.0),
                column("Kecamatan", 28.0),
                column("Layanan", 25.0),
                column("Batch", 30.0),
            ],
            rows: self
                .printed
                .iter()
                .map(|p| {
                    vec![
                        p.card.nik.clone(),
                        p.card.name.clone(),
                        p.kecamatan.clone(),
                        p.card.service.label().to_string(),
                        p.batch_id.clone(),
                    ]
                })
                .collect(),
            totals,
            place_date: format!("{}, {}", heading.place, tanggal(self.date)),
            signatories: vec![
                Signatory {
                    role: "Mengetahui,".into(),
                    title: "Kepala Seksi".into(),
                    name: None,
                    nip: None,
                },
                Signatory {
                    role: "Yang Membuat,".into(),
                    title: "Operator Cetak".into(),
                    name: None,
                    nip: None,
                },
            ],
            pdf_title: format!("Rekap Cetak KTP-el {}", self.date.format("%Y-%m-%d")),
            made: heading.start_of(self.date),
        }
    }

    /// The daily rekap as PDF bytes.
    pub fn pdf(&self, heading: &OfficeHeading) -> Vec<u8> {
        crate::pdf::render(&self.document(heading))
    }

    /// The daily rekap as an Excel workbook: the PDF's rows, NIKs as text.
    pub fn xlsx(&self, heading: &OfficeHeading) -> Vec<u8> {
        crate::xlsx::render(
            &self.document(heading),
            &crate::xlsx::Dates {
                info: vec![("Tanggal", self.date)],
                column: None,
            },
        )
    }

    /// The daily rekap as CSV, with the blanko serial of each card.
    pub fn csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "no",
            "tanggal",
            "batch",
            "kecamatan",
            "application_id",
            "nik",
            "nama",
            "layanan",
            "nomor_blanko",
        ]
        .map(String::from);
        w.write_record(&header).expect("csv into memory");
        for (i, p) in self.printed.iter().enumerate() {
            let row = [
                (i + 1).to_string(),
                self.date.format("%Y-%m-%d").to_string(),
                p.batch_id.clone(),
                p.kecamatan.clone(),
                p.card.application_id.clone(),
                p.card.nik.clone(),
                p.card.name.clone(),
                p.card.service.label().to_string(),
                p.blanko_serial.clone(),
            ];
            w.write_record(&row).expect("csv into memory");
        }
        w.into_inner().expect("csv into memory")
    }
}

/// What `sigap rekap` hands the rekap stage.
impl RekapRenderer for Renderer {
    fn batch(
        &self,
        batch_id: &str,
        date: NaiveDate,
        kecamatan: &str,
        cards: Vec<RekapCard>,
    ) -> Rendered {
        let rekap = Rekap {
            batch_id: batch_id.to_string(),
            date,
            kecamatan: kecamatan.to_string(),
            cards,
        };
        Rendered {
            pdf: rekap.pdf(&self.heading),
            csv: rekap.csv(),
            xlsx: rekap.xlsx(&self.heading),
        }
    }

    fn day(&self, date: NaiveDate, printed: Vec<PrintedCard>, spoiled: usize) -> Rendered {
        let day = RekapCetak {
            date,
            printed,
            spoiled,
        };
        Rendered {
            pdf: day.pdf(&self.heading),
            csv: day.csv(),
            xlsx: day.xlsx(&self.heading),
        }
    }
}
