//! syzbot bisection logs: tested commits, verdicts, the culprit.

use std::sync::LazyLock;

use regex::Regex;

use crate::{BisectVerdict, Bisection, BisectionTest, CulpritCommit, Document};

static START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^bisecting (cause|fixing) commit starting from ([0-9a-f]{7,40})").expect("re")
});
static TESTING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^testing commit ([0-9a-f]{7,40})(?: with (.+))?$").expect("re"));
static VERDICT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^# git bisect (good|bad|skip)\b").expect("re"));
static FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([0-9a-f]{40}) is the first (?:bad|good|fixed|new|old) commit").expect("re")
});
static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^first (?:bad|good) commit: ([0-9a-f]{7,40})(?: (.*))?$").expect("re")
});
static REVISIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^revisions tested: ([0-9]+)").expect("re"));

/// Whether a line can hold something [`parse_bisection`] looks for.
fn interesting(message: &[u8]) -> bool {
    const PREFIXES: &[&[u8]] = &[
        b"bisecting ",
        b"testing ",
        b"compiler: ",
        b"kernel signature: ",
        b"all runs: ",
        b"run #",
        b"# git bisect ",
        b"revisions tested: ",
        b"first ",
        b"crash: ",
    ];
    PREFIXES.iter().any(|p| message.starts_with(p))
        || (message.len() > 40 && message[..40].iter().all(u8::is_ascii_hexdigit))
}

/// Parse the bisection log in `doc`, if it is one.
///
/// A document is a bisection log when it has a `bisecting cause|fixing
/// commit` line or a `testing commit` line followed by a `# git bisect` verdict.
pub fn parse_bisection(doc: &Document) -> Option<Bisection> {
    let mut b = Bisection::default();
    let mut seen = false;
    let mut pending_release: Option<String> = None;
    let mut in_culprit = false;
    let mut verdicts = 0;
    for (index, line) in doc.lines.iter().enumerate() {
        let message = doc.line_message(line);
        if !in_culprit && !interesting(message) {
            continue;
        }
        let raw = String::from_utf8_lossy(message);
        let text = raw.trim_end_matches('\r');
        if b.crash_line.is_some() {
            break;
        }
        if in_culprit {
            let culprit = b.culprit.as_mut()?;
            if let Some(author) = text.strip_prefix("Author:") {
                culprit.author = Some(author.trim().to_string());
                continue;
            }
            if let Some(date) = text.strip_prefix("Date:") {
                culprit.date = Some(date.trim().to_string());
                continue;
            }
            if text.starts_with("commit ") || text.is_empty() {
                continue;
            }
            if culprit.subject.is_none() && text.starts_with("    ") {
                culprit.subject = Some(text.trim().to_string());
            }
            in_culprit = false;
        }
        if let Some(c) = START.captures(text) {
            seen = true;
            b.fixing = &c[1] == "fixing";
            b.start_commit = Some(c[2].to_string());
        } else if let Some(release) = text.strip_prefix("testing release ") {
            pending_release = Some(release.trim().to_string());
        } else if let Some(c) = TESTING.captures(text) {
            b.tests.push(BisectionTest {
                line: index,
                commit: c[1].to_string(),
                release: pending_release.take(),
                compiler: c.get(2).map(|m| m.as_str().to_string()),
                ..BisectionTest::default()
            });
        } else if let Some(test) = b.tests.last_mut() {
            if let Some(compiler) = text.strip_prefix("compiler: ") {
                if test.compiler.is_none() && test.verdict.is_none() {
                    test.compiler = Some(compiler.trim().to_string());
                }
            } else if let Some(sig) = text.strip_prefix("kernel signature: ") {
                if test.verdict.is_none() {
                    test.kernel_signature = Some(sig.trim().to_string());
                }
            } else if text.starts_with("all runs: ") || text.starts_with("run #") {
                if test.verdict.is_none() {
                    test.results.push(text.to_string());
                }
            } else if let Some(c) = VERDICT.captures(text) {
                verdicts += 1;
                if test.verdict.is_none() {
                    test.verdict = Some(match &c[1] {
                        "good" => BisectVerdict::Good,
                        "bad" => BisectVerdict::Bad,
                        _ => BisectVerdict::Skip,
                    });
                }
            }
        }
        if let Some(c) = FIRST.captures(text) {
            b.culprit = Some(CulpritCommit {
                commit: c[1].to_string(),
                ..CulpritCommit::default()
            });
            in_culprit = true;
        } else if let Some(c) = SUMMARY.captures(text) {
            let culprit = b.culprit.get_or_insert_with(|| CulpritCommit {
                commit: c[1].to_string(),
                ..CulpritCommit::default()
            });
            if culprit.subject.is_none() {
                culprit.subject = c.get(2).map(|m| m.as_str().trim().to_string());
            }
        } else if let Some(c) = REVISIONS.captures(text) {
            b.revisions_tested = c[1].parse().ok();
        } else if let Some(title) = text.strip_prefix("crash: ") {
            if seen || !b.tests.is_empty() {
                b.crash_title = Some(title.trim().to_string());
                b.crash_line = Some(index + 1);
            }
        }
    }
    (seen || (!b.tests.is_empty() && verdicts > 0)).then_some(b)
}

#[cfg(test)]
mod tests {
    use crate::{BisectVerdict, parse};

    const LOG: &str = "bisecting cause commit starting from bef7b2a7be28638770972ab2709adf11d601c11a
testing commit bef7b2a7be28638770972ab2709adf11d601c11a with gcc (GCC) 8.1.0
kernel signature: 9a82
all runs: crashed: possible deadlock in send_sigio
testing release v5.6
testing commit 7111951b8d4973bda27ff663f2cf18b663d15b48
compiler: gcc (GCC) 10.2.1
kernel signature: 0c30
run #0: OK
run #1: crashed: possible deadlock in send_sigio
# git bisect good 7111951b8d4973bda27ff663f2cf18b663d15b48
7bc3e6e55acf065500a24621f3b313e7e5998acf is the first bad commit
commit 7bc3e6e55acf065500a24621f3b313e7e5998acf
Author: Eric W. Biederman <ebiederm@xmission.com>
Date:   Wed Feb 19 18:22:26 2020 -0600

    proc: Use a list of inodes to flush from proc

revisions tested: 15, total time: 3h
first bad commit: 7bc3e6e55acf065500a24621f3b313e7e5998acf proc: Use a list of inodes to flush from proc
crash: possible deadlock in send_sigio
WARNING: possible circular locking dependency detected
";

    #[test]
    fn bisection_log() {
        let doc = parse(LOG);
        let b = doc.bisection.expect("bisection");
        assert!(!b.fixing);
        assert_eq!(b.tests.len(), 2);
        assert_eq!(b.tests[0].compiler.as_deref(), Some("gcc (GCC) 8.1.0"));
        assert_eq!(b.tests[0].verdict, None);
        assert_eq!(b.tests[1].release.as_deref(), Some("v5.6"));
        assert_eq!(b.tests[1].compiler.as_deref(), Some("gcc (GCC) 10.2.1"));
        assert_eq!(b.tests[1].results.len(), 2);
        assert_eq!(b.tests[1].verdict, Some(BisectVerdict::Good));
        let c = b.culprit.expect("culprit");
        assert_eq!(
            c.subject.as_deref(),
            Some("proc: Use a list of inodes to flush from proc")
        );
        assert_eq!(
            c.author.as_deref(),
            Some("Eric W. Biederman <ebiederm@xmission.com>")
        );
        assert_eq!(b.revisions_tested, Some(15));
        assert_eq!(b.crash_line, Some(21));
        assert_eq!(b.final_report, Some(0));
        assert_eq!(b.final_report_commit.as_deref(), Some(c.commit.as_str()));
        assert_eq!(doc.reports[0].lines.start, 21);
    }
}
