//! Validation of SOAP responses against the official ONVIF schemas, with
//! `conformance/python/onvif_validate.py`; shared by the ONVIF service tests.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core lives in the workspace")
        .to_path_buf()
}

/// The Python with xmlschema: `$ONVIF_PYTHON` (set by `make test`), else
/// the workspace's `.venv`, else a developer's `/tmp/venv-test`.
fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ONVIF_PYTHON") {
        return Some(PathBuf::from(p));
    }
    [
        workspace().join(".venv/bin/python"),
        PathBuf::from("/tmp/venv-test/bin/python"),
    ]
    .into_iter()
    .find(|p| p.exists())
}

/// The schema folder: `$ONVIF_SCHEMAS`, else `../shared/onvif-schemas`
/// beside the repository (the project's convention).
fn schemas() -> PathBuf {
    std::env::var_os("ONVIF_SCHEMAS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/onvif-schemas"))
}

/// Validates each `(name, envelope)` against the schema of its body
/// element and fails the test on any error. Skipped, with a message, only
/// on a machine with no Python with xmlschema or no schema folder.
pub fn validate_envelopes(tag: &str, envelopes: &[(String, String)]) {
    let Some(python) = python() else {
        eprintln!(
            "SKIPPED schema validation ({tag}): no Python with xmlschema; run `make test` or set ONVIF_PYTHON"
        );
        return;
    };
    let schemas = schemas();
    if !schemas.join("ver10/schema/onvif.xsd").exists() {
        eprintln!(
            "SKIPPED schema validation ({tag}): no ONVIF schemas at {} (set ONVIF_SCHEMAS)",
            schemas.display()
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("onvif-xsd-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files: Vec<PathBuf> = envelopes
        .iter()
        .enumerate()
        .map(|(i, (name, envelope))| {
            let path = dir.join(format!("{i:03}_{name}.xml"));
            std::fs::write(&path, envelope).expect("write envelope");
            path
        })
        .collect();
    let out = Command::new(&python)
        .arg(workspace().join("conformance/python/onvif_validate.py"))
        .args(&files)
        .env("ONVIF_SCHEMAS", &schemas)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    let report = String::from_utf8_lossy(&out.stdout);
    let failures: Vec<&str> = report.lines().filter(|l| !l.starts_with("OK")).collect();
    assert!(
        out.status.success() && failures.is_empty() && report.lines().count() == files.len(),
        "schema validation failed (files kept in {}):\n{}\n{}",
        dir.display(),
        failures.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
