//! The [`Linker`]: finds the locations and commits a document prints,
//! chooses the commit each links at, and attaches snippets and
//! maintainers through a [`SourceProvider`].

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kresym_report::{BisectVerdict, Document, LineKind, SourceLocation};
use regex::Regex;

use crate::{
    CommitChooser, CommitLink, DirSource, DocumentLinks, Fit, Forge, FrameLink, GitSource,
    HttpSource, LineLinks, LinkError, LinkOptions, Located, Repo, ReportMaintainers, SourceChoice,
    SourceError, SourceProvider, TestLink, commit, maintainers, snippet, source, trees,
};

/// Links documents to source. Build one with [`Linker::new`] and reuse it.
pub struct Linker {
    options: LinkOptions,
    repo: Option<Repo>,
    commit: Option<String>,
    provider: Option<Box<dyn SourceProvider>>,
    location_re: Regex,
    sha_re: Regex,
}

impl std::fmt::Debug for Linker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("repo", &self.repo)
            .field("commit", &self.commit)
            .field("snippets", &self.provider.is_some())
            .finish()
    }
}

/// Where the [`Located`] given to [`Linker::link`] stand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frames {
    /// Added to the locations printed in their lines.
    Extra,
    /// In place of the frame locations read from their lines' text.
    Symbolized,
}

/// Resolve a `--repo` value or `git tree:` header to a repository.
pub fn resolve_repo(value: &str, forge: Option<Forge>) -> Result<Repo, LinkError> {
    let url = trees::resolve_tree(value)
        .ok_or_else(|| LinkError::UnknownTree(value.trim().to_string()))?;
    Repo::parse(&url, forge)
}

impl Linker {
    /// Check the options and set up the source provider.
    pub fn new(options: LinkOptions) -> Result<Linker, LinkError> {
        let provider: Option<Box<dyn SourceProvider>> = if options.snippets {
            Some(match &options.source {
                SourceChoice::Http => Box::new(HttpSource::new(options.http.clone())?),
                SourceChoice::Git(dir) => Box::new(GitSource::new(dir)?),
                SourceChoice::Dir(dir) => Box::new(DirSource::new(dir)?),
            })
        } else {
            None
        };
        Self::with_provider(options, provider)
    }

    /// Like [`Linker::new`], with a provider of your own for snippets
    /// (`None`: no snippets, whatever `options.snippets` says).
    pub fn with_provider(
        options: LinkOptions,
        provider: Option<Box<dyn SourceProvider>>,
    ) -> Result<Linker, LinkError> {
        let repo = match &options.repo {
            Some(r) => Some(resolve_repo(r, options.forge)?),
            None => None,
        };
        let commit = match &options.commit {
            Some(c) => Some(commit::validate_commit(c)?),
            None => None,
        };
        // `file:line` in free text, optionally after `func+0xOFF/0xSIZE`.
        let location_re = Regex::new(
            r"(?:([A-Za-z_][\w.]*)\+0x[0-9a-fA-F]+/0x[0-9a-fA-F]+\s+)?\b((?:[\w.+-]+/)+[\w.+-]+\.(?:c|h|S|s|rs|lds|cc|cpp)):(\d+)(?::(\d+))?\b",
        )
        .expect("valid regex");
        let sha_re = Regex::new(r"\b[0-9a-f]{7,40}\b").expect("valid regex");
        Ok(Linker {
            options,
            repo,
            commit,
            provider,
            location_re,
            sha_re,
        })
    }

    /// The repository given in the options, if any.
    pub fn repo(&self) -> Option<&Repo> {
        self.repo.as_ref()
    }

    /// Link every location printed in `doc`.
    pub fn link_document(&self, doc: &Document) -> DocumentLinks {
        self.link_locations(doc, &[])
    }

    /// Link every location printed in `doc`, plus `extra` locations found
    /// for its lines by a symbolizer (`(line index, location)`; the function
    /// is taken from the line's frame).
    pub fn link_locations(
        &self,
        doc: &Document,
        extra: &[(usize, SourceLocation)],
    ) -> DocumentLinks {
        let extra: Vec<Located> = extra
            .iter()
            .map(|(line, location)| Located {
                line: *line,
                location: location.clone(),
                function: None,
                span: None,
            })
            .collect();
        self.link_located(doc, &extra)
    }

    /// Like [`Linker::link_locations`], with the function of each extra
    /// location (an inline chain names a different function per entry).
    pub fn link_located(&self, doc: &Document, extra: &[Located]) -> DocumentLinks {
        self.link(doc, extra, Frames::Extra)
    }

    /// Link a symbolized document: `symbolized` holds every location the
    /// symbolizer printed in `doc` (its line, span and function). A line
    /// with such locations takes them as its frame locations, and its
    /// annotation or `[inline]` location is not read from its text; the
    /// other `file:line`s printed in the text, and the commits, are linked
    /// as [`Linker::link_document`] links them.
    pub fn link_symbolized(&self, doc: &Document, symbolized: &[Located]) -> DocumentLinks {
        self.link(doc, symbolized, Frames::Symbolized)
    }

    fn link(&self, doc: &Document, given: &[Located], frames: Frames) -> DocumentLinks {
        let mut out = DocumentLinks::default();
        out.repo = match self.document_repo(doc) {
            Ok(repo) => repo,
            Err(e) => {
                out.warnings
                    .push(format!("ignored the email's git tree: {e}"));
                out.ignored_tree = Some(e.to_string());
                None
            }
        };
        let chooser = CommitChooser::new(doc, self.commit.as_deref());

        let mut by_line: BTreeMap<usize, Vec<&Located>> = BTreeMap::new();
        for located in given {
            match doc.lines.get(located.line) {
                Some(_) => by_line.entry(located.line).or_default().push(located),
                None => out.warnings.push(format!(
                    "extra location for line index {}, past the end",
                    located.line
                )),
            }
        }

        let mut per_line: BTreeMap<usize, Vec<FrameLink>> = BTreeMap::new();
        for (index, line) in doc.lines.iter().enumerate() {
            let found = match (frames, by_line.get(&index)) {
                (Frames::Symbolized, Some(given)) => {
                    let given = given
                        .iter()
                        .map(|l| (l.location.clone(), l.function.clone(), l.span.clone()))
                        .collect();
                    self.other_locations(doc, line, given)
                }
                _ => self.printed_locations(doc, line),
            };
            for (location, function, span) in found {
                let link =
                    self.make_link(&chooser, out.repo.as_ref(), index, location, function, span);
                per_line.entry(index).or_default().push(link);
            }
        }
        if frames == Frames::Extra {
            for (&index, given) in &by_line {
                let line = &doc.lines[index];
                for located in given {
                    let function = located.function.clone().or_else(|| match &line.kind {
                        LineKind::Frame(f) => Some(f.function.clone()),
                        LineKind::InlineFrame(f) => Some(f.function.clone()),
                        _ => None,
                    });
                    let link = self.make_link(
                        &chooser,
                        out.repo.as_ref(),
                        index,
                        located.location.clone(),
                        function,
                        located.span.clone(),
                    );
                    per_line.entry(index).or_default().push(link);
                }
            }
        }
        out.lines = per_line
            .into_iter()
            .map(|(line, links)| LineLinks { line, links })
            .collect();

        let any_commit = out.all_links().any(|l| l.commit.is_some());
        if !out.lines.is_empty() && !any_commit {
            out.warnings.push(
                "no commit known for this input (no --commit, email HEAD commit or bisection); links are missing"
                    .into(),
            );
        }
        if !out.lines.is_empty() && out.repo.is_none() {
            out.warnings.push(
                "no repository known (pass --repo URL or a tree name); links are missing".into(),
            );
        }

        if self.provider.is_some() {
            self.attach_snippets(out.repo.as_ref(), &mut out.lines);
            self.find_maintainers(doc, &chooser, &mut out);
        }
        self.link_commits(doc, &mut out);
        out
    }

    /// The `MAINTAINERS` sections of each report's guilty file, read at the
    /// commit of the report's first line. A tree without `MAINTAINERS`
    /// (or a fetch that fails) is a warning.
    fn find_maintainers(&self, doc: &Document, chooser: &CommitChooser, out: &mut DocumentLinks) {
        let Some(provider) = self.provider.as_deref() else {
            return;
        };
        let mut parsed: HashMap<String, Option<maintainers::Maintainers>> = HashMap::new();
        for (index, report) in doc.reports.iter().enumerate() {
            let Some(guilty) = &report.guilty_file else {
                continue;
            };
            let Some(commit) = chooser.commit_for_line(report.lines.start) else {
                continue;
            };
            let Ok(path) = source::safe_relative_path(guilty) else {
                continue;
            };
            let file = parsed.entry(commit.commit.clone()).or_insert_with(|| {
                match provider.fetch(out.repo.as_ref(), &commit.commit, "MAINTAINERS") {
                    Ok(text) => Some(maintainers::Maintainers::parse(&text)),
                    Err(e) => {
                        out.warnings.push(format!(
                            "no maintainers for {guilty}: MAINTAINERS at {}: {e}",
                            commit.commit
                        ));
                        None
                    }
                }
            });
            let Some(file) = file else {
                continue;
            };
            let text = provider.fetch(out.repo.as_ref(), &commit.commit, path).ok();
            out.maintainers
                .push(covering_report(file, index, path, text.as_deref()));
        }
    }

    /// The repository: `--repo`, else the email's `git tree:` (an error
    /// when that cannot be used).
    fn document_repo(&self, doc: &Document) -> Result<Option<Repo>, LinkError> {
        if let Some(r) = &self.repo {
            return Ok(Some(r.clone()));
        }
        let Some(tree) = doc.email.as_ref().and_then(|e| e.git_tree.as_deref()) else {
            return Ok(None);
        };
        resolve_repo(tree, self.options.forge).map(Some)
    }

    /// The locations printed in one line: `(location, function, span)`.
    fn printed_locations(
        &self,
        doc: &Document,
        line: &kresym_report::Line,
    ) -> Vec<(SourceLocation, Option<String>, Option<Range<usize>>)> {
        let bytes = doc.line_bytes(line);
        let text = String::from_utf8_lossy(bytes);
        let found = match &line.kind {
            LineKind::Frame(f) => match &f.annotation {
                Some(loc) => {
                    let span = f
                        .spans
                        .annotation
                        .clone()
                        .and_then(|r| find_location(&text, loc, r.start))
                        .or_else(|| find_location(&text, loc, f.spans.symbol.end));
                    vec![(loc.clone(), Some(f.function.clone()), span)]
                }
                None => Vec::new(),
            },
            LineKind::InlineFrame(f) => {
                let span = find_location(&text, &f.location, f.function_span.end);
                vec![(f.location.clone(), Some(f.function.clone()), span)]
            }
            LineKind::Text | LineKind::Marker(_) => Vec::new(),
            _ => return Vec::new(),
        };
        self.other_locations(doc, line, found)
    }

    /// `found` (the frame locations of `line`), with any other location
    /// printed in the line, in the order they are printed.
    fn other_locations(
        &self,
        doc: &Document,
        line: &kresym_report::Line,
        mut found: Vec<(SourceLocation, Option<String>, Option<Range<usize>>)>,
    ) -> Vec<(SourceLocation, Option<String>, Option<Range<usize>>)> {
        let text = String::from_utf8_lossy(doc.line_bytes(line));
        // Any other `file:line` in the line (`WARNING: ... at FILE:LINE`,
        // lockdep's `at: func+0x1/0x2 FILE:LINE`), not overlapping the above.
        for c in self.location_re.captures_iter(&text) {
            let (Some(file), Some(num)) = (c.get(2), c.get(3)) else {
                continue;
            };
            // Not part of a URL.
            if text[..file.start()].ends_with("://") || text[..file.start()].ends_with('/') {
                continue;
            }
            let Ok(line_no) = num.as_str().parse::<u32>() else {
                continue;
            };
            let column = c.get(4).and_then(|m| m.as_str().parse().ok());
            let end = c.get(4).map_or(num.end(), |m| m.end());
            let span = file.start()..end;
            let overlaps = found
                .iter()
                .any(|(_, _, s): &(_, _, Option<Range<usize>>)| {
                    s.as_ref()
                        .is_some_and(|s| s.start < span.end && span.start < s.end)
                });
            if overlaps {
                continue;
            }
            found.push((
                SourceLocation {
                    file: file.as_str().to_string(),
                    line: line_no,
                    column,
                },
                c.get(1)
                    .map(|m| m.as_str().to_string())
                    .or_else(|| function_after(&text[end..])),
                Some(span),
            ));
        }
        found.sort_by_key(|(_, _, s)| s.as_ref().map_or(usize::MAX, |s| s.start));
        found
    }

    fn make_link(
        &self,
        chooser: &CommitChooser<'_>,
        repo: Option<&Repo>,
        index: usize,
        location: SourceLocation,
        function: Option<String>,
        span: Option<Range<usize>>,
    ) -> FrameLink {
        let mut warnings = Vec::new();
        let commit = chooser.commit_for_line(index);
        let path_ok = match source::safe_relative_path(&location.file) {
            Ok(_) => true,
            Err(e) => {
                warnings.push(e.to_string());
                false
            }
        };
        if location.line == 0 {
            warnings.push("line 0".into());
        }
        let url = match (repo, &commit, path_ok) {
            (Some(r), Some(c), true) => {
                let path = location.file.trim_start_matches("./");
                Some(r.source_url(&c.commit, path, location.line))
            }
            _ => None,
        };
        FrameLink {
            location,
            function,
            span,
            commit,
            url,
            snippet: None,
            warnings,
        }
    }

    fn attach_snippets(&self, repo: Option<&Repo>, lines: &mut [LineLinks]) {
        let Some(provider) = self.provider.as_deref() else {
            return;
        };
        // One fetch per (commit, path).
        let mut wanted: Vec<(String, String)> = Vec::new();
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        for l in lines.iter() {
            for f in &l.links {
                let (Some(c), true) = (&f.commit, f.warnings.is_empty()) else {
                    continue;
                };
                let key = (
                    c.commit.clone(),
                    f.location.file.trim_start_matches("./").to_string(),
                );
                if !seen.contains_key(&key) {
                    seen.insert(key.clone(), wanted.len());
                    wanted.push(key);
                }
            }
        }
        let results: Vec<Mutex<Option<Result<String, SourceError>>>> =
            wanted.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let workers = self.options.jobs.clamp(1, 32).min(wanted.len());
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((commit, path)) = wanted.get(i) else {
                            break;
                        };
                        let r = provider.fetch(repo, commit, path);
                        if let Ok(mut slot) = results[i].lock() {
                            *slot = Some(r);
                        }
                    }
                });
            }
        });
        let results: Vec<Option<Result<String, SourceError>>> = results
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
            .collect();
        for l in lines.iter_mut() {
            for f in &mut l.links {
                let Some(c) = &f.commit else {
                    continue;
                };
                let key = (
                    c.commit.clone(),
                    f.location.file.trim_start_matches("./").to_string(),
                );
                let Some(&i) = seen.get(&key) else {
                    continue;
                };
                match &results[i] {
                    Some(Ok(text)) => {
                        match snippet::make_snippet(
                            text,
                            f.location.line,
                            self.options.context,
                            f.function.as_deref(),
                        ) {
                            Some(s) => {
                                if let Some(Fit::Mismatch { message }) = &s.fit {
                                    f.warnings.push(message.clone());
                                }
                                f.snippet = Some(s);
                            }
                            None => f.warnings.push(format!(
                                "line {} is past the end of the file ({} lines)",
                                f.location.line,
                                text.lines().count()
                            )),
                        }
                    }
                    Some(Err(e)) => f.warnings.push(format!("no snippet: {e}")),
                    None => f.warnings.push("no snippet: fetch did not finish".into()),
                }
            }
        }
    }

    fn link_commits(&self, doc: &Document, out: &mut DocumentLinks) {
        let mut known: HashMap<String, (Option<BisectVerdict>, bool)> = HashMap::new();
        let culprit = doc
            .bisection
            .as_ref()
            .and_then(|b| b.culprit.as_ref())
            .map(|c| c.commit.clone())
            .filter(|c| commit::is_sha(c));
        if let Some(b) = &doc.bisection {
            if let Some(s) = &b.start_commit {
                known.entry(s.clone()).or_insert((None, false));
            }
            for (i, t) in b.tests.iter().enumerate() {
                let is_culprit = culprit.as_deref() == Some(t.commit.as_str());
                let verdict = t.verdict.or_else(|| infer_verdict(&t.results));
                known.insert(t.commit.clone(), (verdict, is_culprit));
                out.tests.push(TestLink {
                    test: i,
                    commit: t.commit.clone(),
                    url: out
                        .repo
                        .as_ref()
                        .filter(|_| commit::is_sha(&t.commit))
                        .map(|r| r.commit_url(&t.commit)),
                    verdict,
                    culprit: is_culprit,
                });
            }
        }
        if let Some(c) = &culprit {
            known.entry(c.clone()).or_insert((None, true)).1 = true;
            out.culprit_url = out.repo.as_ref().map(|r| r.commit_url(c));
        }
        if let Some(h) = doc.email.as_ref().and_then(|e| e.head_commit.as_ref())
            && commit::is_sha(h)
        {
            known.entry(h.clone()).or_insert((None, false));
        }
        let (Some(repo), false) = (&out.repo, known.is_empty()) else {
            return;
        };
        for (index, line) in doc.lines.iter().enumerate() {
            let text = String::from_utf8_lossy(doc.line_bytes(line));
            for m in self.sha_re.find_iter(&text) {
                let sha = m.as_str();
                let hit = known.get(sha).copied().or_else(|| {
                    // Abbreviated in the text, or in the header.
                    known
                        .iter()
                        .find(|(k, _)| k.starts_with(sha) || sha.starts_with(k.as_str()))
                        .map(|(_, v)| *v)
                });
                if let Some((verdict, is_culprit)) = hit {
                    out.commits.push(CommitLink {
                        line: index,
                        span: m.range(),
                        commit: sha.to_string(),
                        url: repo.commit_url(sha),
                        verdict,
                        culprit: is_culprit,
                    });
                }
            }
        }
    }
}

/// The function of a `WARNING: ... at FILE:LINE func+0xOFF/0xSIZE` line:
/// `func`, when `rest` (the text after the location) starts with it.
fn function_after(rest: &str) -> Option<String> {
    let rest = rest.strip_prefix(' ')?.trim_start();
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_len);
    let starts_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    (starts_ok && after.starts_with("+0x")).then(|| name.to_string())
}

/// The verdict a test's results imply: any crash is bad, all runs OK is good.
pub fn infer_verdict(results: &[String]) -> Option<BisectVerdict> {
    if results.iter().any(|r| r.contains("crashed")) {
        Some(BisectVerdict::Bad)
    } else if !results.is_empty() && results.iter().all(|r| r.trim_end().ends_with(": OK")) {
        Some(BisectVerdict::Good)
    } else {
        None
    }
}

/// Find `file:line` of `loc` in `text` at or after `from`.
fn find_location(text: &str, loc: &SourceLocation, from: usize) -> Option<Range<usize>> {
    let needle = match loc.column {
        Some(c) => format!("{}:{}:{c}", loc.file, loc.line),
        None => format!("{}:{}", loc.file, loc.line),
    };
    let from = from.min(text.len());
    let start = text
        .get(from..)?
        .find(&needle)
        .map(|i| i + from)
        .or_else(|| {
            let plain = format!("{}:{}", loc.file, loc.line);
            text.find(&plain)
        })?;
    let len = if text[start..].starts_with(&needle) {
        needle.len()
    } else {
        format!("{}:{}", loc.file, loc.line).len()
    };
    Some(start..start + len)
}

/// The `MAINTAINERS` sections covering each report's guilty file in one
/// tree (`kresym parse --source-dir`): `file` is the tree's `MAINTAINERS`,
/// and `tree` reads the guilty files for its `K:` keywords.
pub fn tree_maintainers(
    doc: &Document,
    file: &maintainers::Maintainers,
    tree: &dyn SourceProvider,
) -> Vec<ReportMaintainers> {
    let mut out = Vec::new();
    for (index, report) in doc.reports.iter().enumerate() {
        let Some(guilty) = &report.guilty_file else {
            continue;
        };
        let Ok(path) = source::safe_relative_path(guilty) else {
            continue;
        };
        let text = tree.fetch(None, "", path).ok();
        out.push(covering_report(file, index, path, text.as_deref()));
    }
    out
}

/// The sections of `file` covering report `index`'s guilty file `path`
/// (whose `text`, when read, is matched against `K:` keywords).
fn covering_report(
    file: &maintainers::Maintainers,
    index: usize,
    path: &str,
    text: Option<&str>,
) -> ReportMaintainers {
    ReportMaintainers {
        report: index,
        guilty_file: path.to_string(),
        sections: file
            .covering(path, text)
            .into_iter()
            .map(|c| c.section.clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #15: a syzbot email whose `git tree:` smuggles Markdown and
    /// HTML. The tree is ignored, with a warning saying so; before, it
    /// became the repository of every link.
    #[test]
    fn a_hostile_email_tree_is_ignored_with_a_warning() {
        let doc = kresym_report::parse(
            "HEAD commit:    3b07ec4c1a2b Merge\n\
             git tree:       https://github.com/a/b)<script>alert(document.cookie)</script>[x](javascript:alert(1))\n\
             BUG: x\n send_sigio+0x8a/0x270 fs/fcntl.c:798\n",
        );
        let links = Linker::new(LinkOptions::default())
            .unwrap()
            .link_document(&doc);
        assert!(links.repo.is_none(), "{:?}", links.repo);
        assert!(links.all_links().all(|l| l.url.is_none()));
        assert!(links.commits.is_empty());
        assert!(
            links.warnings[0].starts_with("ignored the email's git tree: bad repository URL"),
            "{:?}",
            links.warnings
        );
        let message = links.no_repo_message();
        assert!(
            message.starts_with(
                "no repository to link to (the email's git tree was ignored: bad repository URL"
            ),
            "{message}"
        );
    }

    /// Issue #16: link JSON numbers lines from 1, as every other output does.
    #[test]
    fn json_line_numbers_are_one_based() {
        let doc = kresym_report::parse(
            "testing commit 7bc3e6e55acf065500a24621f3b313e7e5998acf with gcc\n\
             BUG: x\n send_sigio+0x8a/0x270 fs/fcntl.c:798\n",
        );
        let links = Linker::new(LinkOptions {
            repo: Some("upstream".into()),
            commit: Some("7bc3e6e55acf065500a24621f3b313e7e5998acf".into()),
            ..Default::default()
        })
        .unwrap()
        .link_document(&doc);
        assert_eq!(links.lines[0].line, 2, "index of the frame line");
        let json = serde_json::to_value(&links).unwrap();
        assert_eq!(json["lines"][0]["line"], 3, "{json}");
    }

    #[test]
    fn the_function_after_a_location_starts_a_frame() {
        assert_eq!(
            function_after(" dump_stack+0x1/0x2").as_deref(),
            Some("dump_stack")
        );
        assert_eq!(
            function_after("   foo.cold+0x10/0x20 [m]").as_deref(),
            Some("foo.cold")
        );
        // No space before it, a digit first, or no offset: not a frame.
        assert_eq!(function_after("foo+0x1/0x2"), None);
        assert_eq!(function_after(" 1foo+0x1/0x2"), None);
        assert_eq!(function_after(" foo bar"), None);
        assert_eq!(function_after(""), None);
    }

    #[test]
    fn locations_are_found_with_their_column_or_without() {
        let at = |file: &str, line, column| SourceLocation {
            file: file.into(),
            line,
            column,
        };
        let text = "a fs/x.c:12:3 b";
        assert_eq!(
            find_location(text, &at("fs/x.c", 12, Some(3)), 0),
            Some(2..13)
        );
        assert_eq!(find_location(text, &at("fs/x.c", 12, None), 0), Some(2..11));
        // The column is not printed: the plain location is.
        assert_eq!(
            find_location("fs/x.c:12 y", &at("fs/x.c", 12, Some(5)), 0),
            Some(0..9)
        );
        // Searched from `from`, else anywhere; `from` past the end is no panic.
        let twice = "fs/x.c:1 fs/x.c:1";
        assert_eq!(find_location(twice, &at("fs/x.c", 1, None), 3), Some(9..17));
        assert_eq!(find_location(twice, &at("fs/x.c", 1, None), 99), Some(0..8));
        assert_eq!(find_location("fs/y.c:1", &at("fs/x.c", 1, None), 0), None);
    }

    #[test]
    fn test_results_imply_a_verdict() {
        let results = |r: &[&str]| r.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            infer_verdict(&results(&["run #0: OK", "run #1: crashed: KASAN"])),
            Some(BisectVerdict::Bad)
        );
        assert_eq!(
            infer_verdict(&results(&["run #0: OK", "run #1: OK  "])),
            Some(BisectVerdict::Good)
        );
        assert_eq!(infer_verdict(&[]), None);
        assert_eq!(infer_verdict(&results(&["run #0: boot failed"])), None);
    }

    const SHA: &str = "7bc3e6e55acf065500a24621f3b313e7e5998acf";
    const KORG: &str = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";

    fn upstream_at_sha() -> Linker {
        Linker::new(LinkOptions {
            repo: Some("upstream".into()),
            commit: Some(SHA.into()),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_warning_header_links_its_location_to_the_function_after_it() {
        let doc = kresym_report::parse(
            "WARNING: CPU: 0 PID: 1 at fs/fcntl.c:798 send_sigio+0x8a/0x270\n",
        );
        let links = upstream_at_sha().link_document(&doc);
        let [link] = links.for_line(0) else {
            panic!("{links:?}");
        };
        assert_eq!(link.location.file, "fs/fcntl.c");
        assert_eq!(link.location.line, 798);
        assert_eq!(link.function.as_deref(), Some("send_sigio"));
        // "WARNING: CPU: 0 PID: 1 at " is 26 bytes, "fs/fcntl.c:798" 14.
        assert_eq!(link.span, Some(26..40));
        assert_eq!(
            link.url.as_deref(),
            Some(format!("{KORG}/tree/fs/fcntl.c?id={SHA}#n798").as_str())
        );
        assert!(links.warnings.is_empty(), "{:?}", links.warnings);
    }

    #[test]
    fn a_path_inside_a_url_is_not_a_location() {
        let doc = kresym_report::parse("see https://example.org/fs/fcntl.c:798 for more\n");
        let links = upstream_at_sha().link_document(&doc);
        assert!(links.lines.is_empty(), "{:?}", links.lines);
    }

    #[test]
    fn located_frames_take_their_function_and_bad_lines_are_warned_about() {
        let doc = kresym_report::parse("BUG: x\n send_sigio+0x8a/0x270\n");
        let location = SourceLocation {
            file: "fs/fcntl.c".into(),
            line: 798,
            column: None,
        };
        let extra = [
            Located {
                line: 1,
                location: location.clone(),
                function: None,
                span: None,
            },
            Located {
                line: 99,
                location,
                function: Some("f".into()),
                span: None,
            },
        ];
        let links = upstream_at_sha().link_located(&doc, &extra);
        let [link] = links.for_line(1) else {
            panic!("{links:?}");
        };
        assert_eq!(link.function.as_deref(), Some("send_sigio"));
        assert_eq!(link.span, None, "not printed in the line");
        assert_eq!(
            links.warnings,
            ["extra location for line index 99, past the end"]
        );
    }

    /// Issue #17: a symbolized line is linked to what the symbolizer found,
    /// not to what its text seems to say; other locations in the line are
    /// still read from its text, in printed order.
    #[test]
    fn symbolized_locations_replace_the_ones_read_from_the_text() {
        let doc = kresym_report::parse("BUG: x\n helper+0x1/0x2 fs/evil.c:1 at: mm/other.c:7\n");
        let found = Located {
            line: 1,
            location: SourceLocation {
                file: "fs/real.c".into(),
                line: 42,
                column: None,
            },
            function: Some("inlined_fn".into()),
            span: Some(16..27),
        };
        let links = upstream_at_sha().link_symbolized(&doc, std::slice::from_ref(&found));
        let [first, second] = links.for_line(1) else {
            panic!("{links:?}");
        };
        assert_eq!(first.location, found.location);
        assert_eq!(first.function.as_deref(), Some("inlined_fn"));
        assert_eq!(first.span, Some(16..27));
        assert_eq!(second.location.file, "mm/other.c");
        assert_eq!(second.span, Some(32..44));
        // Read from the text, the same line links the printed annotation.
        let read = upstream_at_sha().link_document(&doc);
        assert_eq!(read.for_line(1)[0].location.file, "fs/evil.c");
    }

    #[test]
    fn links_without_a_commit_are_missing_and_said_so() {
        let doc = kresym_report::parse("BUG: x\n send_sigio+0x8a/0x270 fs/fcntl.c:798\n");
        let links = Linker::new(LinkOptions {
            repo: Some("upstream".into()),
            ..Default::default()
        })
        .unwrap()
        .link_document(&doc);
        assert!(links.all_links().all(|l| l.url.is_none()));
        assert!(
            links.warnings[0].starts_with("no commit known for this input"),
            "{:?}",
            links.warnings
        );
    }
}
