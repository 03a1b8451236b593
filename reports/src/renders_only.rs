//! The invariant of this crate: it renders bytes. No file under
//! `reports/src` imports a port, an adapter, the station or the store, or
//! writes, renames or deletes a file; the stages in `pipeline` do that and
//! take these renderers as parameters.

use std::path::{Path, PathBuf};

/// What a renderer never names: the ports and adapters (population
/// database, mailer, station), the state store, and the calls that change
/// a file.
const FORBIDDEN: &[&str] = &[
    "pipeline::adapters",
    "pipeline::ports",
    "pipeline::store",
    "pipeline::print::station",
    "pipeline::print::run",
    "pipeline::notice::send",
    "HotFolder",
    "PopulationDb",
    "Mailer",
    "Store",
    "Tx<",
    "pipeline::files",
    "write_atomic",
    "create_private",
    "File::create",
    "File::open",
    "OpenOptions",
    "fs::write",
    "fs::remove",
    "fs::rename",
    "fs::create_dir",
    "fs::copy",
    "set_permissions",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reports/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn reports_src_imports_no_port_adapter_station_or_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(files.len() >= 10, "found only {files:?}");
    let mut found = Vec::new();
    for file in &files {
        // This file names what it forbids; the tests read their output back.
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "renders_only.rs" || name == "tests.rs" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a source file is UTF-8");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for f in FORBIDDEN {
                if code.contains(f) {
                    found.push(format!(
                        "{}:{}: {f}: {}",
                        file.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "reports renders bytes only; move this to a pipeline stage:\n{}",
        found.join("\n")
    );
}
