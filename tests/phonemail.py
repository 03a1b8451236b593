#!/usr/bin/env python3
"""Writes the mails of tests/unclassified.rs with Python's own `email`
package: an application sent from an iPhone, its photo attached as the
phone names it (IMG_2041.JPG, no keyword of any document kind), and one
sent from Outlook whose attachment arrived as winmail.dat (TNEF).

Usage: phonemail.py OUT_DIR NIK_IPHONE NIK_OUTLOOK   (writes OUT_DIR/NN-name.eml)
"""

import sys
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

WIB = timezone(timedelta(hours=7))

# The start of a JPEG as an iPhone writes it: SOI, then an APP1 Exif
# segment naming the camera. sigap reads the type from these bytes.
JPEG = (
    b"\xff\xd8\xff\xe1\x00\x3aExif\x00\x00MM\x00*\x00\x00\x00\x08"
    b"Apple\x00iPhone 13\x00"
    + b"\x00" * 32
    + b"\xff\xd9"
)
# A TNEF stream starts with its signature 0x223E9F78 (little-endian).
TNEF = b"\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00" + b"\x00" * 48


def mail(n, nik, name, birth, client):
    m = EmailMessage(policy=SMTP)
    m["From"] = f"{name} <warga{n}@example.org>"
    m["To"] = "Disdukcapil Kabupaten Bantul <disdukcapil@bantulkab.go.id>"
    m["Subject"] = "Permohonan KTP-el baru"
    m["Date"] = format_datetime(datetime(2026, 11, 19, 9, n, 0, tzinfo=WIB))
    m["Message-ID"] = f"<phonemail-{n:02d}@example.org>"
    m["X-Mailer"] = client
    m.set_content(
        "Dengan hormat,\n\n"
        f"NIK: {nik}\n"
        f"Nama Lengkap: {name}\n"
        f"Tgl Lahir: {birth}\n"
        "No KK: 3402150512150003\n"
        "Jenis Permohonan: KTP-el Baru\n"
        "Kecamatan: Sewon\n\n"
        "Foto KK terlampir.\n\nTerima kasih.\n"
    )
    return m


def main():
    out, nik_iphone, nik_outlook = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    out.mkdir(parents=True, exist_ok=True)
    m = mail(1, nik_iphone, "Budi Santoso", "17-08-1990", "iPhone Mail (21A351)")
    m.set_content(m.get_content() + "\nDikirim dari iPhone saya\n")
    m.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="IMG_2041.JPG")
    (out / "01-iphone.eml").write_bytes(m.as_bytes())
    m = mail(2, nik_outlook, "Siti Aminah", "17-08-1990", "Microsoft Outlook 16.0")
    m.add_attachment(TNEF, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    (out / "02-outlook.eml").write_bytes(m.as_bytes())
    print(2)


main()
