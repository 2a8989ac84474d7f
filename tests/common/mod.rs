//! Helpers shared by the end-to-end tests: where the samples are, the
//! binary under test, and running it with standard input fed.

// Each test file is its own crate and uses a different subset.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

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

/// Run `command` with `stdin` written to it from a thread (the child may
/// answer while it reads), its output captured; also what writing
/// `stdin` gave (a broken pipe when the child stopped reading early).
pub fn run_fed(command: &mut Command, stdin: Vec<u8>) -> (Output, std::io::Result<()>) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(&stdin));
    let output = child.wait_with_output().unwrap();
    (output, writer.join().unwrap())
}
