#!/usr/bin/env python3
"""sigap's verification as one DuckDB query (benches/verify_duckdb.sql), for
benches/verify-vs-duckdb.

  verify_duckdb.py export OFFICE_DIR OUT_DIR
      Untimed preparation: the applications and documents from the office's
      state database (SQLite), the documents each service requires from its
      sigap.toml, and the office's settings, as files DuckDB reads.
  verify_duckdb.py run OUT_DIR POPULATION_PARQUET
      The measured part: one query over those files and the snapshot. Prints
      {"states": {...}, "reasons": {...}} as JSON.

The honorific and degree lists are read from pipeline/src/verify/name.rs, so
both implementations normalise names with the same words.
"""
import csv
import json
import re
import sqlite3
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OFFSETS = {"WIB": 7, "WITA": 8, "WIT": 9}


def rust_list(name: str) -> str:
    text = (REPO / "pipeline/src/verify/name.rs").read_text()
    body = re.search(rf"pub const {name}: &\[&str\] = &\[(.*?)\];", text, re.S).group(1)
    words = re.findall(r'"([A-Z0-9]+)"', body)
    return "[" + ", ".join(f"'{w}'" for w in words) + "]"


def export(office: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    config = tomllib.loads((office / "sigap.toml").read_text())
    data = office / config.get("paths", {}).get("data", "data")
    db = sqlite3.connect(f"file:{data / 'sigap.db'}?mode=ro", uri=True)
    with open(out / "apps.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "nik", "kk_number", "name", "birth_date", "service", "submitted_at", "state"])
        w.writerows(db.execute(
            "SELECT id, nik, kk_number, name, birth_date, service, submitted_at, state FROM applications"))
    with open(out / "docs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "kind"])
        w.writerows(db.execute("SELECT DISTINCT application_id, kind FROM documents"))
    with open(out / "required.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["service", "kind"])
        for service, rule in config["services"].items():
            for kind in rule.get("documents", []):
                w.writerow([service, kind])
    settings = {
        "kabupaten": config["office"]["kabupaten_code"],
        "offset_hours": OFFSETS[config["office"]["timezone"]],
    }
    (out / "settings.json").write_text(json.dumps(settings))


def run(out: Path, population: Path) -> None:
    import duckdb

    settings = json.loads((out / "settings.json").read_text())
    sql = (REPO / "benches/verify_duckdb.sql").read_text()
    for key, value in {
        "@APPS@": str(out / "apps.csv"),
        "@DOCS@": str(out / "docs.csv"),
        "@REQUIRED@": str(out / "required.csv"),
        "@DISTRICTS@": str(REPO / "pipeline/data/wilayah/districts.csv"),
        "@POPULATION@": str(population),
        "@KABUPATEN@": settings["kabupaten"],
        "@OFFSET_HOURS@": str(settings["offset_hours"]),
        "@DEGREES@": rust_list("DEGREES"),
        "@HONORIFICS@": rust_list("HONORIFICS"),
    }.items():
        sql = sql.replace(key, value)
    result = {"states": {}, "reasons": {}}
    for kind, code, n in duckdb.connect().sql(sql).fetchall():
        result["states" if kind == "state" else "reasons"][code] = n
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "export":
        export(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "run":
        run(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(__doc__)
