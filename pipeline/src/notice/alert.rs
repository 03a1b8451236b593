//! The admin alert mail: a scheduled job failed after every retry. Written
//! here rather than from an office template: it goes to the office's own
//! admin, carries no applicant's data, and must render even when an
//! office's templates are broken.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::calendar;
use crate::ports::Mail;
use crate::store::Alert;

/// The alert as a mail to `smtp.alert_to`; `None` when no admin address is
/// configured.
pub fn mail(
    alert: &Alert,
    config: &Config,
    message_id: String,
    date: DateTime<Utc>,
) -> Option<Mail> {
    let to = config
        .smtp
        .alert_to
        .clone()
        .filter(|a| !a.trim().is_empty())?;
    let local = alert
        .raised_at
        .with_timezone(&config.office.timezone.offset());
    let when = format!(
        "{} pukul {} {:?}",
        calendar::date_id(local.date_naive()),
        local.format("%H:%M"),
        config.office.timezone
    );
    let subject = format!(
        "[sigap] {}: tugas `{}` gagal setelah semua percobaan",
        config.office.short_name, alert.job
    );
    let text = format!(
        "Yth. Admin {office},\n\n\
         Tugas terjadwal `{job}` gagal pada {when}, setelah semua percobaan ulang.\n\n\
         Keterangan: {message}\n\n\
         Yang perlu dilakukan:\n\
         - lihat riwayat: sigap jobs history --job {job}\n\
         - perbaiki penyebabnya, lalu jalankan: sigap {run}\n\n\
         Pesan ini dikirim otomatis oleh sigap daemon (peringatan #{id}). \
         Peringatan dikirim sekali untuk setiap kegagalan akhir, bukan untuk setiap percobaan.\n",
        office = config.office.name,
        job = alert.job,
        message = alert.message,
        run = crate::job::Job::from_name(&alert.job)
            .map_or_else(|| alert.job.clone(), |j| j.command().join(" ")),
        id = alert.id,
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"id\"><body><pre style=\"font-family:sans-serif;white-space:pre-wrap\">{}</pre></body></html>\n",
        escape(&text)
    );
    Some(Mail {
        to,
        subject,
        text,
        html,
        message_id,
        date,
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
