#!/usr/bin/env python3
"""Writes the test emails for tests/intake.rs with Python's own `email`
package, a MIME writer independent of sigap: multipart with attachments,
quoted-printable Latin-1, Windows-1252, HTML only, base64 text, a
forwarded message, hostile attachment names, a .docx (zip), an oversized
scan and a question that is not an application.

With `forwards`, it writes instead the same kind of application forwarded
by a kecamatan as Gmail, Outlook, Thunderbird and iPhone Mail write a
forward (English and Indonesian), inline and as an attached message, and
one plain mail.

Usage: mailgen.py OUT_DIR [forwards]   (writes OUT_DIR/NN-name.eml, prints the count)
       mailgen.py --nested OUT_DIR   (writes OUT_DIR/nested-forward.eml, a
       forward of a forward that makes mail-parser panic in a debug build)
"""

import sys
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

WIB = timezone(timedelta(hours=7))
PDF = b"%PDF-1.4\n% sigap test document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(tag):
    return PDF + tag.encode()


def base(n, subject, sender="pemohon@example.org"):
    m = EmailMessage(policy=SMTP)
    m["From"] = f"Pemohon {n} <{sender}>"
    m["To"] = "Disdukcapil Kabupaten Bantul <disdukcapil@bantulkab.go.id>"
    m["Subject"] = subject
    m["Date"] = format_datetime(datetime(2026, 11, 19, 8, n, 0, tzinfo=WIB))
    m["Message-ID"] = f"<mailgen-{n:02d}@example.org>"
    return m


def fields(nik, name, service, extra=""):
    return (
        "Dengan hormat,\n\n"
        f"NIK: {nik}\n"
        f"Nama Lengkap: {name}\n"
        "Tgl Lahir: 17-08-1990\n"
        "No KK: 3402150512150003\n"
        f"Jenis Permohonan: {service}\n"
        "Kecamatan: Sewon\n"
        f"{extra}\nTerima kasih.\n"
    )


KECAMATAN = "Kecamatan Sewon <kec.sewon@bantulkab.go.id>"
SIGNATURE = "\n--\nKecamatan Sewon\nTelp: (0274) 123456\nEmail: kec.sewon@bantulkab.go.id\n"


def forward(n, note, header, body, html=False):
    """A kecamatan's inline forward: its note and signature, the header a
    mail client writes, the applicant's text."""
    m = base(n, "Fwd: Permohonan KTP-el Baru", sender="kec.sewon@bantulkab.go.id")
    del m["From"]
    m["From"] = KECAMATAN
    text = f"{note}\n{SIGNATURE}\n{header}\n\n{body}"
    if html:
        # Gmail sends both parts; readers prefer the plain one.
        m.set_content(text)
        m.add_alternative("<div>" + text.replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>") + "</div>", subtype="html")
    else:
        m.set_content(text)
    return m


def forwards(out):
    out.mkdir(parents=True, exist_ok=True)
    when = "Thu, 19 Nov 2026 08:10:00 +0700"
    to = "To: Kecamatan Sewon <kec.sewon@bantulkab.go.id>"
    mails = {
        "21-gmail": forward(
            21,
            "Mohon diproses, permohonan warga kami.",
            "---------- Forwarded message ---------\n"
            "From: Rudi Hartono <rudi.hartono@example.org>\n"
            "Date: Thu, 19 Nov 2026 at 08:10\n"
            "Subject: Permohonan KTP-el Baru\n" + to,
            fields("3402151708900021", "Rudi Hartono", "KTP-el Baru"),
            html=True,
        ),
        "22-gmail-id": forward(
            22,
            "Diteruskan.",
            "---------- Pesan yang diteruskan ---------\n"
            "Dari: Sri Wahyuni <sri.wahyuni@example.org>\n"
            "Date: Kam, 19 Nov 2026 pukul 08.10\n"
            "Subject: Permohonan KTP-el Baru\n"
            "To: <kec.sewon@bantulkab.go.id>",
            fields("3402151708900022", "Sri Wahyuni", "KTP-el Baru"),
        ),
        "23-outlook": forward(
            23,
            "Forwarding the application below.",
            "________________________________\n"
            "From: Bambang Sutrisno <bambang.s@example.org>\n"
            "Sent: Thursday, November 19, 2026 8:10 AM\n"
            + to + "\nSubject: Permohonan KTP-el Baru",
            fields("3402151708900023", "Bambang Sutrisno", "KTP-el Baru"),
        ),
        "24-outlook-id": forward(
            24,
            "Mohon ditindaklanjuti.",
            "________________________________\n"
            "Dari: Wati Rahayu [mailto:wati.rahayu@example.org]\n"
            "Dikirim: Kamis, 19 November 2026 08.10\n"
            "Kepada: Kecamatan Sewon <kec.sewon@bantulkab.go.id>\n"
            "Subjek: Permohonan KTP-el Baru",
            fields("3402151708900024", "Wati Rahayu", "KTP-el Baru"),
        ),
        "25-thunderbird": forward(
            25,
            "Terlampir permohonan warga.",
            "-------- Forwarded Message --------\n"
            "Subject: \tPermohonan KTP-el Baru\n"
            f"Date: \t{when}\n"
            "From: \tDian Puspita <dian.puspita@example.org>\n" + to,
            fields("3402151708900025", "Dian Puspita", "KTP-el Baru"),
        ),
        "26-iphone": forward(
            26,
            "Sent from my iPhone",
            "Begin forwarded message:\n\n"
            "From: Eko Prasetyo <eko.prasetyo@example.org>\n"
            "Subject: Permohonan KTP-el Baru\n"
            "Date: 19 November 2026 at 08.10.00 WIB\n" + to,
            fields("3402151708900026", "Eko Prasetyo", "KTP-el Baru"),
        ),
        "27-iphone-id": forward(
            27,
            "Dikirim dari iPhone saya",
            "Awal pesan yang diteruskan:\n\n"
            "Dari: Tini Suharti <tini.suharti@example.org>\n"
            "Subjek: Permohonan KTP-el Baru\n"
            "Tanggal: 19 November 2026 pukul 08.10.00 WIB\n"
            "Kepada: kec.sewon@bantulkab.go.id",
            fields("3402151708900027", "Tini Suharti", "KTP-el Baru"),
        ),
        # The applicant wrote an address for the notices: it wins over the
        # forwarded sender (the kecamatan's own Email: line does not count).
        "28-gmail-email-line": forward(
            28,
            "Diteruskan.",
            "---------- Forwarded message ---------\n"
            "From: Joko Susilo <joko.kantor@example.org>\n"
            "Date: Thu, 19 Nov 2026 at 08:10\n"
            "Subject: Permohonan KTP-el Baru\n" + to,
            fields("3402151708900028", "Joko Susilo", "KTP-el Baru", "Email: joko.rumah@example.org\n"),
        ),
    }
    # Forwarded as an attachment (message/rfc822).
    inner = base(29, "Permohonan KTP-el Baru", sender="ani.lestari@example.org")
    inner.set_content(fields("3402151708900029", "Ani Lestari", "KTP-el Baru"))
    m = base(30, "Fwd: Permohonan KTP-el Baru")
    del m["From"]
    m["From"] = KECAMATAN
    m.set_content("Permohonan warga terlampir.\n" + SIGNATURE)
    m.add_attachment(inner)
    mails["29-attached"] = m
    # A plain mail: the sender is the applicant.
    m = base(31, "Permohonan KTP-el Baru", sender="budi.plain@example.org")
    m.set_content(fields("3402151708900031", "Budi Prakoso", "KTP-el Baru"))
    mails["31-plain"] = m
    for name, msg in mails.items():
        (out / f"{name}.eml").write_bytes(msg.as_bytes())
    print(len(mails))


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    mails = {}

    # 1. multipart/mixed, UTF-8 text, two PDF attachments named by keyword.
    m = base(1, "Permohonan KTP-el Hilang")
    m.set_content(fields("3402151708900001", "Budi Santoso", "KTP-el Hilang"))
    m.add_attachment(pdf("kk"), "application", "pdf", filename="KK_budi.pdf")
    m.add_attachment(pdf("polsek"), "application", "pdf", filename="surat_kehilangan_polsek.pdf")
    mails["01-multipart"] = m

    # 2. quoted-printable ISO-8859-1, odd case and spacing in the labels.
    m = base(2, "Permohonan KTP-el Baru")
    body = (
        "nik :  3402 1517 0890 0002\n"
        "NAMA   LENGKAP : Andr\u00e9 Pr\u00e4tama\n"
        "tanggal lahir: 17/08/1990\n"
        "layanan:  ktp-el baru\n"
        "kecamatan:   kec. sewon\n"
        "Kec. Sewon \u00b7 Bantul\n"
    )
    m.set_content(body, charset="iso-8859-1", cte="quoted-printable")
    mails["02-latin1-qp"] = m

    # 3. Windows-1252 (curly quotes are not in Latin-1).
    m = base(3, "Permohonan KTP-el Rusak")
    m.set_content(
        fields("3402151708900003", "Siti \u201cUmi\u201d Aisyah", "KTP-el Rusak"),
        charset="windows-1252",
        cte="quoted-printable",
    )
    m.add_attachment(pdf("ktp"), "application", "pdf", filename="foto_ktp_rusak.pdf")
    mails["03-windows-1252"] = m

    # 4. HTML only.
    m = base(4, "Permohonan KK Hilang")
    html = (
        "<html><body><p>Dengan hormat,</p><p>"
        "NIK: 3402151708900004<br>Nama: Wulan Sari<br>Tanggal Lahir: 01-02-1985<br>"
        "Jenis Permohonan: KK Hilang<br>Kecamatan: Sewon</p></body></html>"
    )
    m.set_content(html, subtype="html")
    mails["04-html-only"] = m

    # 5. A forwarded message: the application is inside a message/rfc822 part.
    inner = base(50, "Permohonan KTP-el Baru", sender="anak@example.org")
    inner.set_content(fields("3402151708900005", "Rina Lestari", "KTP-el Baru"))
    inner.add_attachment(pdf("kk5"), "application", "pdf", filename="kartu_keluarga.pdf")
    m = base(5, "Fwd: Permohonan KTP-el Baru", sender="orangtua@example.org")
    m.set_content("Saya teruskan permohonan anak saya.\n")
    m.add_attachment(inner)
    mails["05-forwarded"] = m

    # 6. base64 text body.
    m = base(6, "Permohonan KTP-el Perubahan Data")
    m.set_content(fields("3402151708900006", "Joko Widodo", "KTP-el Perubahan Data"), cte="base64")
    mails["06-base64"] = m

    # 7. Hostile attachment names: never paths.
    m = base(7, "Permohonan KTP-el Baru")
    m.set_content(fields("3402151708900007", "Dewi Lestari", "KTP-el Baru"))
    hostile = [
        "../../etc/passwd.pdf",
        "/abs/path/kk.pdf",
        "..\\..\\windows\\kk.pdf",
        "kk\x00.pdf",
        "a" * 10000 + "_kk.pdf",
        "CON.pdf",
        "NUL",
        "COM1_kk.pdf",
        "aux.kk.pdf",
    ]
    for i, name in enumerate(hostile):
        m.add_attachment(pdf(f"hostile{i}"), "application", "pdf", filename=name)
    mails["07-hostile-names"] = m

    # 8. A .docx (a zip archive) and an oversized scan.
    m = base(8, "Permohonan KTP-el Hilang")
    m.set_content(fields("3402151708900008", "Agus Salim", "KTP-el Hilang"))
    m.add_attachment(
        b"PK\x03\x04" + b"\x00" * 60,
        "application",
        "vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="surat_kehilangan.docx",
    )
    m.add_attachment(pdf("big") + b"0" * 300_000, "application", "pdf", filename="kk_scan_besar.pdf")
    mails["08-forbidden-and-big"] = m

    # 9. A question, not an application.
    m = base(9, "Tanya syarat")
    m.set_content("Selamat siang, apa saja syarat membuat KK baru setelah menikah?\n")
    mails["09-question"] = m

    for name, msg in mails.items():
        (out / f"{name}.eml").write_bytes(msg.as_bytes())
    print(len(mails))


def nested(out):
    """A forward of a forward, as a kecamatan's mail client attaches it: a
    multipart/mixed whose last part is a message/rfc822 whose message is
    itself a message/rfc822 (the applicant's mail). mail-parser 0.11.9
    trips its `debug_assert!` "Invalid part ID, could not find multipart"
    on it (parsers/message.rs) when the outer multipart ends right after.
    Written to OUT_DIR/nested-forward.eml."""
    out.mkdir(parents=True, exist_ok=True)
    applicant = base(21, "Permohonan KTP-el Hilang", sender="pemohon21@example.org")
    applicant.set_content(fields("3402151708900021", "Dewi Anggraini", "KTP-el Hilang"))
    forwarded = base(22, "Fwd: Permohonan KTP-el Hilang", sender="staf@kecamatan.example.org")
    forwarded.set_content(applicant)
    outer = base(23, "Fwd: Fwd: Permohonan KTP-el Hilang", sender="kecamatan@example.org")
    outer.set_content("Diteruskan dari kecamatan.\n")
    outer.add_attachment(forwarded)
    (out / "nested-forward.eml").write_bytes(outer.as_bytes())


if __name__ == "__main__":
    if sys.argv[1] == "--nested":
        nested(Path(sys.argv[2]))
    elif sys.argv[2:] == ["forwards"]:
        forwards(Path(sys.argv[1]))
    else:
        main(Path(sys.argv[1]))
