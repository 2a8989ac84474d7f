//! What the tests of every kresym crate share: deciding what a test does
//! when a tool or file it needs is missing, running the oracle
//! ([`llvm_symbolizer`]) and reading its inline chains ([`llvm_chains`]),
//! and telling an error's causes are each said once.
//!
//! Locally the test skips, and says so where it shows: libtest captures
//! `eprintln!` of passing tests, so the message is written to the process's
//! stderr directly. Under CI (`CI` set to anything but empty, `0` or
//! `false`, as CI services set `CI=true`) the test fails instead, so that a
//! green CI run means every test ran.
//!
//! ```no_run
//! if !kresym_test_support::tool("llvm-symbolizer") {
//!     return; // skipped, said on stderr; under CI this panicked
//! }
//! ```

#![deny(missing_docs)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Panic unless each cause of `error` is said once: a program printing an
/// error with its sources (`a: b`, as anyhow's `{:#}` does) must not repeat
/// a source that the message already says.
pub fn assert_causes_said_once(error: &(dyn std::error::Error + 'static)) {
    let text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        assert!(
            !text.contains(&cause.to_string()),
            "said twice: {text}: {cause}"
        );
        source = cause.source();
    }
}

/// Whether this is a CI run: `CI` is set, and not to empty, `0` or `false`.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| !matches!(value.to_str(), Some("" | "0" | "false")))
}

/// Whether the test can go on: `true` when `available`; otherwise, under
/// CI, a panic naming `what` is missing, and locally `false` after saying
/// on stderr that the running test skips because `what` is missing.
pub fn require(available: bool, what: &str) -> bool {
    decide(available, what, in_ci())
}

/// [`require`], with whether this is a CI run given.
fn decide(available: bool, what: &str, ci: bool) -> bool {
    if available {
        return true;
    }
    assert!(!ci, "{what} is missing, and tests may not skip under CI");
    skip(&format!("{what} is missing"));
    false
}

/// Say on stderr, where it shows, that the running test skips because of
/// `why`: for conditions no installation can change (running as root),
/// which therefore skip under CI too.
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIP {test}: {why}");
}

/// Whether `tool --version` runs and succeeds, by [`require`].
pub fn tool(tool: &str) -> bool {
    let runs = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    require(runs, &format!("`{tool}`"))
}

/// Headless Chromium set to print a page's DOM on stdout and screenshot
/// it to `png` (the page's URL is the argument still to add), its profile
/// kept in `profile`; `None`, said (failing under CI, see [`require`]),
/// when neither `/usr/bin/chromium` nor `chromium-browser` is installed.
pub fn headless_chromium(profile: &std::path::Path, png: &std::path::Path) -> Option<Command> {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    if !require(
        chromium.is_some(),
        "/usr/bin/chromium (apt-get install -y chromium)",
    ) {
        return None;
    }
    let mut command = Command::new(chromium?);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--dump-dom");
    Some(command)
}

/// C source of a program whose `entry` inlines a chain of `depth` distinct
/// functions, each adding code of its own (`f_depth` calls `f_depth-1`,
/// ..., down to `f0`): hostile DWARF for symbolizers that recurse once per
/// inline level, and for index formats that store every chain whole.
pub fn deep_inline_c(depth: usize) -> String {
    let mut source = String::from(
        "#define INLINE static inline __attribute__((always_inline))\n\
         INLINE int f0(int x) { return x * 3 + 1; }\n",
    );
    for i in 1..=depth {
        source.push_str(&format!(
            "INLINE int f{i}(int x) {{ asm volatile(\"\" : \"+r\"(x)); return f{}(x + {i}) ^ {i}; }}\n",
            i - 1
        ));
    }
    source.push_str(&format!(
        "int entry(int x) {{ return f{depth}(x); }}\n\
         int main(int argc, char **argv) {{ (void)argv; return entry(argc); }}\n"
    ));
    source
}

/// llvm-symbolizer's output for `addresses` of `object`, run once with
/// `args` (e.g. `--inlining`); the addresses are fed from a thread, since
/// llvm-symbolizer answers while it reads.
pub fn llvm_symbolizer(object: &std::path::Path, args: &[&str], addresses: &[u64]) -> String {
    let mut child = Command::new("llvm-symbolizer")
        .arg(format!("--obj={}", object.display()))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("llvm-symbolizer");
    let mut stdin = child.stdin.take().unwrap();
    let input: String = addresses.iter().map(|a| format!("0x{a:x}\n")).collect();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// One level of an inline chain as llvm-symbolizer prints it: the
/// function (`??` when it names none), the file and the line (0 when
/// unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlvmLevel {
    /// The function's linkage name.
    pub function: String,
    /// The file, as the line table names it.
    pub file: String,
    /// The line.
    pub line: u32,
}

/// llvm-symbolizer's inline chains (innermost first) at `addresses` of
/// `object`, one per address, with linkage names (`--inlining
/// --functions=linkage`).
pub fn llvm_chains(object: &std::path::Path, addresses: &[u64]) -> Vec<Vec<LlvmLevel>> {
    let text = llvm_symbolizer(object, &["--inlining", "--functions=linkage"], addresses);
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let lines: Vec<_> = block.lines().collect();
            lines
                .chunks(2)
                .map(|pair| {
                    let mut parts = pair[1].rsplitn(3, ':');
                    let _column = parts.next();
                    let line = parts.next().unwrap().parse().unwrap();
                    LlvmLevel {
                        function: pair[0].to_owned(),
                        file: parts.next().unwrap().to_owned(),
                        line,
                    }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_that_runs_is_available() {
        assert!(tool("cargo"));
    }

    #[test]
    fn a_missing_tool_skips() {
        assert!(!decide(
            false,
            "a tool (expected: this is the helper's own test)",
            false
        ));
    }

    #[test]
    #[should_panic(expected = "may not skip under CI")]
    fn a_missing_tool_fails_under_ci() {
        decide(false, "`kresym-no-such-tool`", true);
    }
}
