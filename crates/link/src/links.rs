//! What linking found for one document: per line, the links of its
//! locations (URL, snippet, warnings), the commits it names, a bisection's
//! tests and each report's maintainers. Renderers only read this.

use std::collections::HashMap;
use std::ops::Range;

use kresym_report::{BisectVerdict, SourceLocation};
use serde::Serialize;

use crate::{ChosenCommit, Repo, Snippet, maintainers};

/// The link of one `file:line`.
#[derive(Debug, Clone, Serialize)]
pub struct FrameLink {
    /// The location as printed (or as given by the symbolizer).
    pub location: SourceLocation,
    /// The function the frame names, when known.
    pub function: Option<String>,
    /// Where `file:line` is in its line (byte range relative to the line
    /// start, console prefix included); `None` when the location is not in
    /// the line's text (symbolizer output).
    pub span: Option<Range<usize>>,
    /// The commit the link points at, and why.
    pub commit: Option<ChosenCommit>,
    /// The source page at that commit and line.
    pub url: Option<String>,
    /// Source lines around the location, with `--snippets`.
    pub snippet: Option<Snippet>,
    /// What went wrong for this link.
    pub warnings: Vec<String>,
}

/// The links of one line.
#[derive(Debug, Clone, Serialize)]
pub struct LineLinks {
    /// Index into [`kresym_report::Document::lines`] (serialized as the 1-based line number).
    #[serde(serialize_with = "one_based")]
    pub line: usize,
    /// Its locations, in order.
    pub links: Vec<FrameLink>,
}

/// A commit named in the text (a bisection's tested commits, its culprit, an
/// email's HEAD commit), linked to its commit page.
#[derive(Debug, Clone, Serialize)]
pub struct CommitLink {
    /// Index into [`kresym_report::Document::lines`] (serialized as the 1-based line number).
    #[serde(serialize_with = "one_based")]
    pub line: usize,
    /// Where the sha is in its line (relative to the line start).
    pub span: Range<usize>,
    /// The sha as printed.
    pub commit: String,
    /// The commit page.
    pub url: String,
    /// The bisection verdict on this commit, when it was tested.
    pub verdict: Option<BisectVerdict>,
    /// Whether this is the bisection's culprit.
    pub culprit: bool,
}

/// A tested commit of a bisection, in test order, for summary tables.
#[derive(Debug, Clone, Serialize)]
pub struct TestLink {
    /// Index into [`kresym_report::Bisection::tests`].
    pub test: usize,
    /// The sha.
    pub commit: String,
    /// Its commit page, when the repository is known.
    pub url: Option<String>,
    /// The verdict: the `# git bisect` one, or for the tests before `git
    /// bisect start` (the start and release commits), read from the results
    /// (a crash is bad, all runs OK is good).
    pub verdict: Option<BisectVerdict>,
    /// Whether it is the culprit.
    pub culprit: bool,
}

/// Serialize a line index as the 1-based line number every output shows.
fn one_based<S: serde::Serializer>(index: &usize, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(*index as u64 + 1)
}

/// The `MAINTAINERS` sections covering one report's guilty file.
#[derive(Debug, Clone, Serialize)]
pub struct ReportMaintainers {
    /// Index into [`kresym_report::Document::reports`].
    pub report: usize,
    /// The guilty file (see `kresym_report::guilty`).
    pub guilty_file: String,
    /// The sections covering it, most specific first.
    pub sections: Vec<maintainers::Section>,
}

/// A location a symbolizer found for a line: given apart from the line's
/// text ([`crate::Linker::link_located`]), or where the symbolized text
/// printed it ([`crate::Linker::link_symbolized`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Index into [`kresym_report::Document::lines`].
    pub line: usize,
    /// The `file:line`.
    pub location: SourceLocation,
    /// The function at that location (for the fit check); `None` takes the
    /// line's frame function.
    pub function: Option<String>,
    /// Where `file:line` is printed in its line (byte range relative to
    /// the line start); `None` when it is not printed there.
    pub span: Option<Range<usize>>,
}

/// Everything [`crate::Linker::link_document`] found for one document.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DocumentLinks {
    /// The repository links point at, when one is known.
    pub repo: Option<Repo>,
    /// Lines with locations, in line order.
    pub lines: Vec<LineLinks>,
    /// Shas in the text linked to their commit pages, in line order.
    pub commits: Vec<CommitLink>,
    /// The bisection's tests, in order (empty when not a bisection).
    pub tests: Vec<TestLink>,
    /// The culprit's commit page.
    pub culprit_url: Option<String>,
    /// Who maintains each report's guilty file, from the tree's
    /// `MAINTAINERS` at the tested commit (when source is read: snippets).
    pub maintainers: Vec<ReportMaintainers>,
    /// Problems that concern the whole document.
    pub warnings: Vec<String>,
    /// Why the email's `git tree:` was not used, when it could not be.
    #[serde(skip)]
    pub ignored_tree: Option<String>,
}

impl DocumentLinks {
    /// The error to give when there is no repository to link to: what to
    /// pass, and why the email's `git tree:` could not be used, if it
    /// could not.
    pub fn no_repo_message(&self) -> String {
        let why = match &self.ignored_tree {
            Some(e) => format!(" (the email's git tree was ignored: {e})"),
            None => String::new(),
        };
        format!(
            "no repository to link to{why}: pass --repo URL or a tree name (upstream, linux-next, ...)"
        )
    }

    /// The links of line `index` (empty when it has none).
    pub fn for_line(&self, index: usize) -> &[FrameLink] {
        match self.lines.binary_search_by_key(&index, |l| l.line) {
            Ok(i) => &self.lines[i].links,
            Err(_) => &[],
        }
    }

    /// The commit links of line `index`.
    pub fn commits_for_line(&self, index: usize) -> impl Iterator<Item = &CommitLink> {
        let start = self.commits.partition_point(|c| c.line < index);
        self.commits[start..]
            .iter()
            .take_while(move |c| c.line == index)
    }

    /// Every frame link, in order.
    pub fn all_links(&self) -> impl Iterator<Item = &FrameLink> {
        self.lines.iter().flat_map(|l| l.links.iter())
    }

    /// Every warning, of the document and of its links. Link warnings that
    /// repeat for one file (a fetch that failed once for many frames) are
    /// given once, with the lines they concern.
    pub fn all_warnings(&self) -> Vec<String> {
        let mut w = self.warnings.clone();
        let mut order: Vec<(String, String)> = Vec::new();
        let mut where_: HashMap<(String, String), Vec<String>> = HashMap::new();
        for l in &self.lines {
            for f in &l.links {
                for m in &f.warnings {
                    let key = (f.location.file.clone(), m.clone());
                    let at = format!("{}:{}", l.line + 1, f.location.line);
                    match where_.get_mut(&key) {
                        Some(v) => v.push(at),
                        None => {
                            order.push(key.clone());
                            where_.insert(key, vec![at]);
                        }
                    }
                }
            }
        }
        for key in order {
            let ats = &where_[&key];
            let (file, msg) = key;
            if let [one] = ats.as_slice() {
                let (line, src) = one.split_once(':').unwrap_or((one, ""));
                w.push(format!("line {line}: {file}:{src}: {msg}"));
            } else {
                let lines: Vec<&str> = ats
                    .iter()
                    .take(8)
                    .map(|a| a.split_once(':').map_or(a.as_str(), |(l, _)| l))
                    .collect();
                let more = if ats.len() > 8 { ", …" } else { "" };
                w.push(format!(
                    "{file}: {msg} ({} frames, lines {}{more})",
                    ats.len(),
                    lines.join(", ")
                ));
            }
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(file: &str, line: u32, warnings: &[&str]) -> FrameLink {
        FrameLink {
            location: SourceLocation {
                file: file.into(),
                line,
                column: None,
            },
            function: None,
            span: None,
            commit: None,
            url: None,
            snippet: None,
            warnings: warnings.iter().map(|w| w.to_string()).collect(),
        }
    }

    fn commit(line: usize, sha: &str) -> CommitLink {
        CommitLink {
            line,
            span: 0..sha.len(),
            commit: sha.into(),
            url: format!("https://example.org/{sha}"),
            verdict: None,
            culprit: false,
        }
    }

    #[test]
    fn links_and_commits_are_found_by_line() {
        let links = DocumentLinks {
            lines: vec![
                LineLinks {
                    line: 2,
                    links: vec![link("a.c", 1, &[])],
                },
                LineLinks {
                    line: 5,
                    links: vec![link("b.c", 2, &[]), link("c.c", 3, &[])],
                },
            ],
            commits: vec![commit(1, "aaa"), commit(5, "bbb"), commit(5, "ccc")],
            ..Default::default()
        };
        assert_eq!(links.for_line(2).len(), 1);
        assert_eq!(links.for_line(5)[1].location.file, "c.c");
        assert!(links.for_line(3).is_empty());
        let at5: Vec<_> = links.commits_for_line(5).map(|c| &c.commit[..]).collect();
        assert_eq!(at5, ["bbb", "ccc"]);
        assert_eq!(links.commits_for_line(2).count(), 0);
        assert_eq!(links.all_links().count(), 3);
    }

    #[test]
    fn a_warning_repeated_for_one_file_is_given_once_with_its_lines() {
        let line = |line, links| LineLinks { line, links };
        let links = DocumentLinks {
            lines: (0..10)
                .map(|i| line(i, vec![link("fs/x.c", 7, &["fetch failed"])]))
                .chain([line(20, vec![link("fs/y.c", 3, &["not at this commit"])])])
                .collect(),
            warnings: vec!["document-wide".into()],
            ..Default::default()
        };
        assert_eq!(
            links.all_warnings(),
            [
                "document-wide",
                "fs/x.c: fetch failed (10 frames, lines 1, 2, 3, 4, 5, 6, 7, 8, …)",
                "line 21: fs/y.c:3: not at this commit",
            ]
        );
    }

    #[test]
    fn no_repository_says_why_the_email_tree_was_ignored() {
        let mut links = DocumentLinks::default();
        assert_eq!(
            links.no_repo_message(),
            "no repository to link to: pass --repo URL or a tree name (upstream, linux-next, ...)"
        );
        links.ignored_tree = Some("bad URL".into());
        assert!(
            links.no_repo_message().starts_with(
                "no repository to link to (the email's git tree was ignored: bad URL)"
            )
        );
    }
}
