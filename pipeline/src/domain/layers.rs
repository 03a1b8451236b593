//! The layering rule, held by reading the sources: a domain module uses
//! only the domain and the configuration; the store and the ports use only
//! the domain and the helpers (`config`, `files`). Every other module of the
//! crate — a stage, `adapters`, the job runner — is out of bounds for them,
//! so a new module is forbidden here until it is named as a helper.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Root modules a domain file may use.
const DOMAIN_MAY_USE: [&str; 2] = ["domain", "config"];
/// Root modules a store file may use.
const STORE_MAY_USE: [&str; 4] = ["domain", "config", "files", "store"];
/// Root modules the ports may use.
const PORTS_MAY_USE: [&str; 3] = ["domain", "config", "files"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The `.rs` files under `dir`, recursively (or `dir` itself, a file).
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The crate's root modules, as `lib.rs` declares them.
fn root_modules() -> BTreeSet<String> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))?;
            Some(rest.strip_suffix(';')?.trim().to_string())
        })
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The first segments after `prefix` in `code`: `crate::a::b` gives `a`,
/// `crate::{a, b::c}` gives `a` and `b`.
fn first_segments(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level names of the group only: `a::{x, y}` is `a`.
            let (mut depth, mut name, mut at_start) = (0, String::new(), true);
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    c if depth == 0 && at_start && is_ident(c) => name.push(c),
                    c => {
                        if !name.is_empty() {
                            out.push(std::mem::take(&mut name));
                        }
                        // A new name starts after a comma, or after the
                        // spaces before the first one.
                        at_start = (c == ',' && depth == 0) || (at_start && c.is_whitespace());
                    }
                }
            }
            if !name.is_empty() {
                out.push(name);
            }
        } else {
            out.push(rest.chars().take_while(|&c| is_ident(c)).collect());
        }
    }
    out
}

/// The root modules a file uses: every `crate::` path, and in a `mod.rs`
/// the `super::` paths of its top-level `use` lines (its parent is the
/// crate root). Comments are left out: a doc may name any module.
fn used_roots(path: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(path).unwrap();
    let mut used = BTreeSet::new();
    let mut code = String::new();
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("");
        if path.ends_with("mod.rs") && line.starts_with("use super::") {
            used.extend(first_segments(line, "super::"));
        }
        code.push_str(line);
        code.push('\n');
    }
    used.extend(first_segments(&code, "crate::"));
    used
}

/// Every (file, module) where a file under `dir` (a folder or file of
/// `src/`) uses a root module not in
/// `allowed`.
fn violations(dir: &str, allowed: &[&str]) -> Vec<String> {
    let roots = root_modules();
    let mut out = Vec::new();
    for file in rust_files(&src().join(dir)) {
        for module in used_roots(&file) {
            if roots.contains(&module) && !allowed.contains(&module.as_str()) {
                out.push(format!("{} uses crate::{module}", file.display()));
            }
        }
    }
    out
}

#[test]
fn the_scan_reads_paths_and_groups() {
    let got = first_segments(
        "use crate::{a, b::{c, d}, e};\nlet x = crate::f::g(); my_crate::h;",
        "crate::",
    );
    assert_eq!(got, ["a", "b", "e", "f"]);
    // The scan sees what the store really uses, so an empty result below
    // means something.
    assert!(used_roots(&src().join("store/mod.rs")).contains("domain"));
    for stage in ["intake", "verify", "print", "notice", "pickup", "adapters"] {
        assert!(root_modules().contains(stage), "{stage}");
    }
}

#[test]
fn domain_uses_no_stage_store_adapter_or_port() {
    assert_eq!(violations("domain", &DOMAIN_MAY_USE), Vec::<String>::new());
}

#[test]
fn store_uses_no_stage_adapter_or_port() {
    assert_eq!(violations("store", &STORE_MAY_USE), Vec::<String>::new());
}

#[test]
fn ports_use_no_stage_or_adapter() {
    assert_eq!(violations("ports.rs", &PORTS_MAY_USE), Vec::<String>::new());
}
