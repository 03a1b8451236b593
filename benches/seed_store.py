#!/usr/bin/env python3
"""Fallback seeding for benches/verify-vs-duckdb, used only while the sigap
being measured has no `sigap ingest` (verification landed before intake).

Records every application of OFFICE/manifest.json as RECEIVED in the office's
state database, with its documents and its first event, the way ingest would:
the NIK, name, KK number and birth date exactly as typed. The database must
exist already (any sigap command creates and migrates it, e.g. `sigap status`).

usage: seed_store.py OFFICE_DIR
"""
import hashlib
import json
import sqlite3
import sys
from pathlib import Path

office = Path(sys.argv[1])
manifest = json.loads((office / "manifest.json").read_text())
db = sqlite3.connect(office / "data" / "sigap.db")
now = "2026-11-20T00:00:00.000000Z"
with db:
    for a in manifest["applications"]:
        ref = a["sources"][0]
        cur = db.execute(
            "INSERT INTO applications (source, source_ref, nik, kk_number, name, birth_date,"
            " service, kecamatan, submitted_at, state, state_since)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?)",
            (a["channel"], ref, a["nik"].lstrip("'"), a["kk_number"], a["name"],
             a["birth_date"], a["service"], a["kecamatan"], a["submitted_at"], now),
        )
        app_id = cur.lastrowid
        db.execute(
            "INSERT INTO events (application_id, from_state, to_state, at, actor, detail)"
            " VALUES (?, NULL, 'RECEIVED', ?, 'bench:seed', '')",
            (app_id, now),
        )
        for kind in a["documents"]:
            digest = hashlib.sha256(f"{ref}#{kind}".encode()).hexdigest()
            db.execute(
                "INSERT INTO documents (application_id, kind, original_name, stored_path,"
                " sha256, size, source_ref, received_at) VALUES (?, ?, ?, '', ?, 0, ?, ?)",
                (app_id, kind, kind, digest, ref, now),
            )
db.close()
print(f"seeded {len(manifest['applications'])} applications", file=sys.stderr)
