//! Helpers shared by the end-to-end tests: where the samples are, and the
//! binary under test.

// Each test file is its own crate and uses a different subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `vmlinux-samples/` in this repository.
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples")
}

/// A sample report, by file name.
pub fn report(name: &str) -> PathBuf {
    samples().join("reports").join(name)
}

/// Every sample report, sorted by name.
pub fn sample_reports() -> Vec<PathBuf> {
    let mut reports: Vec<_> = std::fs::read_dir(samples().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    reports.sort();
    reports
}

/// The `kresym` binary under test, with its cache (persisted indexes,
/// fetched sources) in the build's temporary directory, never the user's.
pub fn kresym() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kresym"));
    command.env(
        "XDG_CACHE_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
    );
    command
}
