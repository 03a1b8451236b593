//! The report as one self-contained HTML page: inline CSS, inline SVG
//! charts, no script, no external reference, so it opens from a file or an
//! email attachment anywhere.

use pipeline::domain::calendar::date_id;
use pipeline::domain::sla::Step;

use super::chart::{self, escape, id_number};
use super::{SlaReport, Table, hours, pct};

/// Indonesian column headings of the tables.
pub fn heading(column: &str) -> &str {
    match column {
        "step" => "Tahap",
        "target_hours" => "Target (jam kerja)",
        "count" => "Selesai",
        "within_target" => "Tepat waktu",
        "within_target_pct" => "% tepat waktu",
        "median_hours" => "Median (jam)",
        "p90_hours" => "Persentil 90 (jam)",
        "open" => "Belum selesai",
        "open_past_target" => "Lewat target",
        "kecamatan" => "Kode kecamatan",
        "kecamatan_name" => "Kecamatan",
        "service" => "Layanan",
        "application" => "Permohonan",
        "state" => "Status",
        "since" => "Sejak",
        "working_hours" => "Jam kerja berjalan",
        "over_hours" => "Lewat (jam)",
        "week_start" => "Minggu mulai",
        "received" => "Diterima",
        "stage" => "Tahap alur",
        "applications" => "Permohonan",
        "pct_of_received" => "% dari diterima",
        "reason" => "Alasan",
        "pct_of_rejected" => "% dari ditolak",
        "item" => "Uraian",
        "value" => "Jumlah",
        "complete_to_printed_count" => "Lengkap→cetak",
        "complete_to_printed_pct" => "% tepat",
        "printed_to_ready_count" => "Cetak→siap",
        "printed_to_ready_pct" => "% tepat",
        "submitted_to_ready_count" => "Diajukan→siap",
        "submitted_to_ready_pct" => "% tepat",
        "ready_to_collected_count" => "Siap→diambil",
        other => other,
    }
}

/// A cell as shown in a document: step codes as their names, decimals with a comma.
pub fn shown(column: &str, value: &str) -> String {
    if column == "step"
        && let Some(s) = Step::ALL.iter().find(|s| s.code() == value)
    {
        return s.label().to_string();
    }
    if column.ends_with("_pct") || column.ends_with("_hours") {
        return id_number(value);
    }
    match (column, value) {
        ("stage", "received") => "Diterima".into(),
        ("stage", "verified") => "Terverifikasi".into(),
        ("stage", "printed") => "Tercetak".into(),
        ("stage", "notified") => "Diberi tahu (email terkirim)".into(),
        ("stage", "collected") => "Diambil pemohon".into(),
        ("item", "received") => "Diterima".into(),
        ("item", "reserved") => "Dipesan batch".into(),
        ("item", "used") => "Terpakai (kartu tercetak)".into(),
        ("item", "spoiled") => "Rusak".into(),
        ("item", "released") => "Dikembalikan ke stok".into(),
        ("item", "spoilage_pct") => "Tingkat kerusakan (%)".into(),
        ("item", "available_at_end") => "Stok tersedia di akhir periode".into(),
        ("item", _) => value.into(),
        ("reason", "ALL_REJECTED") => "Jumlah permohonan ditolak".into(),
        _ if value.contains('.') && value.parse::<f64>().is_ok() => id_number(value),
        _ => value.into(),
    }
}

fn table_html(t: &Table) -> String {
    let mut s = format!("<h2>{}</h2>\n", escape(&t.title));
    if t.rows.is_empty() {
        s.push_str("<p class=\"muted\">Tidak ada.</p>\n");
        return s;
    }
    s.push_str("<table>\n<thead><tr>");
    for c in &t.columns {
        s.push_str(&format!("<th>{}</th>", escape(heading(c))));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        s.push_str("<tr>");
        for (c, v) in t.columns.iter().zip(row) {
            let numeric = v.parse::<f64>().is_ok();
            s.push_str(&format!(
                "<td{}>{}</td>",
                if numeric { " class=\"num\"" } else { "" },
                escape(&shown(c, v))
            ));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
    s
}

const CSS: &str = r#"
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 60em; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
.muted { color: #666; }
.cards { display: flex; flex-wrap: wrap; gap: 1em; margin: 1.5em 0; }
.card { flex: 1 1 12em; border: 1px solid #ccc; border-radius: 6px; padding: 0.8em 1em; background: #f7f9fc; }
.card .big { font-size: 2em; font-weight: bold; color: #1f77b4; }
.card .label { font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; }
th { background: #eef2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; }
figcaption { font-weight: bold; margin-bottom: 0.4em; }
"#;

/// The page.
pub fn render(report: &SlaReport) -> String {
    let p = &report.period;
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!(
        "<title>Laporan Kepatuhan SLA {} – {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        p.from, p.to
    ));
    s.push_str(&format!(
        "<p class=\"muted\">{}</p>\n<h1>Laporan Kepatuhan SLA Pelayanan</h1>\n",
        escape(&report.office_name)
    ));
    s.push_str(&format!(
        "<p>Periode {} s.d. {} · angka per {} · waktu dihitung dalam jam kerja kantor</p>\n",
        date_id(p.from),
        date_id(p.to),
        escape(&report.as_of_text())
    ));
    s.push_str("<div class=\"cards\">\n");
    for h in &report.headlines {
        let Some(target) = h.target_hours else {
            continue;
        };
        s.push_str(&format!(
            "<div class=\"card\"><div class=\"label\">{}</div><div class=\"big\">{}%</div><div>tepat waktu (target {} jam kerja)</div><div>{} selesai · median {} jam · P90 {} jam</div><div>{} belum selesai lewat target</div></div>\n",
            escape(h.step.label()),
            id_number(&pct(h.within, h.count)),
            id_number(&format!("{target}")),
            h.count,
            id_number(&h.median_secs.map(hours).unwrap_or_else(|| "-".into())),
            id_number(&h.p90_secs.map(hours).unwrap_or_else(|| "-".into())),
            h.open_past_target
        ));
    }
    let collected = report.funnel.last().map_or(0, |f| f.2);
    let received = report.funnel.first().map_or(0, |f| f.2);
    s.push_str(&format!(
        "<div class=\"card\"><div class=\"label\">KTP-el diambil pemohon</div><div class=\"big\">{}%</div><div>{collected} dari {received} yang diterima dalam periode</div><div>Blanko rusak: {}% ({} dari {})</div></div>\n",
        id_number(&pct(collected, received)),
        id_number(&pct(report.blanko.spoiled as i64, (report.blanko.used + report.blanko.spoiled) as i64)),
        report.blanko.spoiled,
        report.blanko.used + report.blanko.spoiled
    ));
    s.push_str("</div>\n");
    for c in chart::all(report) {
        s.push_str(&format!(
            "<figure>\n<figcaption>{}</figcaption>\n{}\n</figure>\n",
            escape(&c.title),
            chart::svg(&c)
        ));
    }
    for t in &report.tables {
        s.push_str(&table_html(t));
    }
    s.push_str(NOTES);
    s.push_str("</body>\n</html>\n");
    s
}

/// How the figures are made, for the reader.
pub const NOTES: &str = "<h2>Cara menghitung</h2>\n<ul>\n<li>Jam kerja: hanya jam buka kantor pada hari kerja (jam layanan di konfigurasi, tanpa akhir pekan, libur nasional, cuti bersama dan libur lokal), menurut zona waktu kantor.</li>\n<li>Suatu tahap dihitung dalam periode bila selesai dalam periode. Berkas lengkap = saat terakhir permohonan masuk (RECEIVED) sebelum dicetak.</li>\n<li>Median dan persentil 90 memakai peringkat terdekat: nilai ke-⌈p·n⌉ dari data yang diurutkan.</li>\n<li>Siap diambil → diambil adalah waktu pemohon, tanpa target.</li>\n<li>Alur dihitung atas permohonan KTP-el yang diterima dalam periode.</li>\n</ul>\n";

impl SlaReport {
    /// The moment of the figures in office time, e.g. `20 November 2026 pukul 00.00`.
    pub fn as_of_text(&self) -> String {
        let local = self.period.at.with_timezone(&self.offset);
        format!(
            "{} pukul {} {}",
            date_id(local.date_naive()),
            local.format("%H.%M"),
            self.timezone
        )
    }
}
