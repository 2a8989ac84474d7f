//! Which commit a line of a document was produced at.

use kresym_report::{Bisection, Document};
use serde::Serialize;

use crate::LinkError;

/// Where a chosen commit came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitSource {
    /// `--commit`.
    Explicit,
    /// A syzbot email's `HEAD commit:`.
    EmailHead,
    /// The culprit of a bisection, for the crash report at the end of its log.
    Culprit,
    /// The `testing commit` whose block the line is in; the index into
    /// [`Bisection::tests`].
    Tested(usize),
    /// The commit a bisection started from, for lines before its first test.
    BisectionStart,
}

/// A commit and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChosenCommit {
    /// The commit id (full or abbreviated sha, or a ref for `--commit`).
    pub commit: String,
    /// Where it came from.
    pub source: CommitSource,
}

/// Check a commit given on the command line: a sha of 4 to 64 hex digits, or
/// a ref name (`v6.1`, `master`) made of safe characters.
pub fn validate_commit(commit: &str) -> Result<String, LinkError> {
    let c = commit.trim();
    let ok = !c.is_empty()
        && c.len() <= 200
        && !c.starts_with('-')
        && !c.starts_with('/')
        && !c.contains("..")
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | '/'));
    if ok {
        Ok(c.to_string())
    } else {
        Err(LinkError::BadCommit(commit.to_string()))
    }
}

/// Whether `s` is a hex sha of 7 to 64 digits, as found in a document.
pub fn is_sha(s: &str) -> bool {
    (7..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Chooses the commit for each line of one document.
#[derive(Debug, Clone)]
pub struct CommitChooser<'a> {
    explicit: Option<String>,
    doc: &'a Document,
}

impl<'a> CommitChooser<'a> {
    /// A chooser for `doc`; `explicit` (`--commit`) wins over the document.
    pub fn new(doc: &'a Document, explicit: Option<&str>) -> Self {
        CommitChooser {
            explicit: explicit.map(str::to_string),
            doc,
        }
    }

    /// The commit that produced line `index` (an index into
    /// [`Document::lines`]), if any can be told.
    ///
    /// In a bisection log, lines of the crash report at the end (and any
    /// line after the last test) belong to the culprit; lines inside a
    /// `testing commit` block belong to that commit. Otherwise a syzbot
    /// email's `HEAD commit:` is used.
    pub fn commit_for_line(&self, index: usize) -> Option<ChosenCommit> {
        if let Some(c) = &self.explicit {
            return Some(ChosenCommit {
                commit: c.clone(),
                source: CommitSource::Explicit,
            });
        }
        if let Some(b) = &self.doc.bisection
            && let Some(c) = self.bisection_commit(b, index)
        {
            return Some(c);
        }
        let head = self.doc.email.as_ref()?.head_commit.as_deref()?.trim();
        is_sha(head).then(|| ChosenCommit {
            commit: head.to_string(),
            source: CommitSource::EmailHead,
        })
    }

    fn culprit(&self, b: &Bisection) -> Option<ChosenCommit> {
        let c = b.culprit.as_ref()?;
        is_sha(&c.commit).then(|| ChosenCommit {
            commit: c.commit.clone(),
            source: CommitSource::Culprit,
        })
    }

    fn bisection_commit(&self, b: &Bisection, index: usize) -> Option<ChosenCommit> {
        let in_final_report = b
            .final_report
            .and_then(|r| self.doc.reports.get(r))
            .is_some_and(|r| r.lines.contains(&index));
        let last_test_line = b.tests.iter().map(|t| t.line).max();
        let after_tests = last_test_line.is_some_and(|l| index > l) && {
            // Past the last test's own block: the culprit part of the log.
            let last = b.tests.iter().max_by_key(|t| t.line);
            last.is_some_and(|t| index > t.line + t.results.len() + 3)
        };
        if in_final_report || (after_tests && b.culprit.is_some()) {
            if let Some(c) = self.culprit(b) {
                return Some(c);
            }
        }
        // The test block the line is in: the last test starting at or before it.
        let (i, test) = b
            .tests
            .iter()
            .enumerate()
            .filter(|(_, t)| t.line <= index)
            .max_by_key(|(_, t)| t.line)?;
        is_sha(&test.commit).then(|| ChosenCommit {
            commit: test.commit.clone(),
            source: CommitSource::Tested(i),
        })
    }

    /// The commit for lines before any test of a bisection (its start commit).
    pub fn start_commit(&self) -> Option<ChosenCommit> {
        let b = self.doc.bisection.as_ref()?;
        let c = b.start_commit.as_ref()?;
        is_sha(c).then(|| ChosenCommit {
            commit: c.clone(),
            source: CommitSource::BisectionStart,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kresym_report::{BisectionTest, CulpritCommit, EmailHeaders, Report, ReportKind};

    fn doc(lines: usize) -> Document {
        let mut d = kresym_report::parse("x\n".repeat(lines));
        d.reports.clear();
        d
    }

    fn test(line: usize, commit: &str) -> BisectionTest {
        BisectionTest {
            line,
            commit: commit.to_string(),
            results: vec!["all runs: OK".into()],
            ..Default::default()
        }
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

    fn bisect_doc() -> Document {
        let mut d = doc(100);
        d.bisection = Some(Bisection {
            start_commit: Some(A.into()),
            tests: vec![test(2, A), test(10, B), test(20, C)],
            culprit: Some(CulpritCommit {
                commit: B.into(),
                ..Default::default()
            }),
            final_report: Some(0),
            ..Default::default()
        });
        d.reports.push(Report {
            lines: 60..90,
            title: None,
            kind: ReportKind::Lockdep,
            kernel_release: None,
            title_frame: None,
            alt_titles: Vec::new(),
            crash_type: Default::default(),
            corrupted: None,
            title_function: None,
            guilty_file: None,
        });
        d
    }

    #[test]
    fn explicit_wins() {
        let d = bisect_doc();
        let c = CommitChooser::new(&d, Some("1234567"));
        assert_eq!(c.commit_for_line(70).unwrap().commit, "1234567");
        assert_eq!(
            c.commit_for_line(70).unwrap().source,
            CommitSource::Explicit
        );
    }

    #[test]
    fn bisection_final_report_uses_culprit_and_blocks_use_their_test() {
        let d = bisect_doc();
        let c = CommitChooser::new(&d, None);
        let got = c.commit_for_line(70).unwrap();
        assert_eq!(
            (got.commit.as_str(), got.source),
            (B, CommitSource::Culprit)
        );
        let got = c.commit_for_line(12).unwrap();
        assert_eq!(
            (got.commit.as_str(), got.source),
            (B, CommitSource::Tested(1))
        );
        let got = c.commit_for_line(21).unwrap();
        assert_eq!(
            (got.commit.as_str(), got.source),
            (C, CommitSource::Tested(2))
        );
        // After the last test's block but outside any report: the culprit part.
        assert_eq!(c.commit_for_line(40).unwrap().commit, B);
        // Before any test.
        assert_eq!(c.commit_for_line(0), None);
        assert_eq!(c.start_commit().unwrap().commit, A);
    }

    #[test]
    fn email_head_commit() {
        let mut d = doc(5);
        d.email = Some(EmailHeaders {
            head_commit: Some("a1b2c3d4e5f6".into()),
            git_tree: Some("upstream".into()),
            ..Default::default()
        });
        let c = CommitChooser::new(&d, None);
        let got = c.commit_for_line(3).unwrap();
        assert_eq!(
            (got.commit.as_str(), got.source),
            ("a1b2c3d4e5f6", CommitSource::EmailHead)
        );
        assert_eq!(CommitChooser::new(&doc(3), None).commit_for_line(1), None);
    }

    #[test]
    fn commit_validation() {
        assert!(validate_commit("7bc3e6e55acf065500a24621f3b313e7e5998acf").is_ok());
        assert!(validate_commit("v6.1").is_ok());
        for bad in ["", "-rf", "a b", "a..b", "/etc", "x;y", "a:b"] {
            assert!(validate_commit(bad).is_err(), "{bad}");
        }
        assert!(is_sha("a1b2c3d"));
        assert!(!is_sha("a1b2c3"));
        assert!(!is_sha("xyzxyzxyz"));
    }
}
