//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `sigap` binary Cargo built for this test run.
pub fn sigap() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigap"));
    // Tests never pick up a config or servers from the caller's environment.
    for var in [
        "SIGAP_CONFIG",
        "SIGAP_SMTP_URL",
        "SIGAP_POPULATION_URL",
        "SIGAP_ARCHIVE_PASSPHRASE",
        "SIGAP_IMAP_PASSWORD",
        "SIGAP_IMAP_CA_FILE",
    ] {
        c.env_remove(var);
    }
    c.env("SIGAP_LOG", "info");
    c
}

/// What a finished run printed, with its exit code.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `sigap ARGS…` (with `--config CONFIG` when given) and waits.
pub fn run(config: Option<&Path>, args: &[&str]) -> Run {
    let mut c = sigap();
    if let Some(cfg) = config {
        c.arg("--config").arg(cfg);
    }
    c.args(args).output().expect("sigap runs").into()
}

/// The repository root (tests read the committed `sample-data/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every regular file under `dir`, as relative path → bytes, sorted.
pub fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// True for paths (relative to an office) that jobs write: `data/`, `out/`, `spool/`.
pub fn written_by_jobs(rel: &Path) -> bool {
    ["data", "out", "spool"].iter().any(|d| rel.starts_with(d))
}

/// Copies an office as a fresh clone has it (without what jobs wrote into
/// `data/`, `out/` and `spool/`), for running jobs on a scratch copy.
pub fn copy_office(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for (rel, bytes) in tree(from).into_iter().filter(|(p, _)| !written_by_jobs(p)) {
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

/// Writes a kecamatan pickup register (the documented header, then `rows`).
pub fn write_register(path: &Path, rows: &[String]) {
    std::fs::write(
        path,
        format!(
            "id_permohonan,nik,batch,diambil_pada,petugas,ktp_lama_diserahkan\n{}\n",
            rows.join("\n")
        ),
    )
    .unwrap();
}
