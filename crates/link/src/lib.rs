//! Link every `file:line` of a kernel report to upstream source at the commit
//! that was tested, optionally with source snippets.
//!
//! [`Linker::new`] takes [`LinkOptions`] (repository, forge, commit, where
//! source comes from); [`Linker::link_document`] turns a parsed
//! [`Document`] into [`DocumentLinks`]: per line, the links of its
//! locations with their URL, snippet and warnings, and the links of the
//! commits a bisection log names. Renderers only consume that data.
//!
//! Nothing here fails a whole report: a missing file, an HTTP error or a
//! garbage body leaves its link without a snippet and adds a warning.

#![deny(missing_docs)]

pub mod commit;
pub mod forge;
pub mod maintainers;
pub mod snippet;
pub mod source;
pub mod trees;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kresym_report::{BisectVerdict, Document, LineKind, SourceLocation};
use regex::Regex;
use serde::Serialize;

pub use commit::{ChosenCommit, CommitChooser, CommitSource};
pub use forge::{Forge, Repo};
pub use snippet::{Fit, Snippet};
pub use source::{
    Cache, DirSource, GitSource, HttpOptions, HttpSource, SourceError, SourceProvider,
};

/// Errors in the options given to a [`Linker`].
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A repository URL that cannot be used.
    #[error("bad repository URL {0:?}: {1}")]
    BadRepo(String, String),
    /// A host whose forge kresym does not know.
    #[error(
        "cannot tell which forge serves {1} (repository {0:?}); pass --forge cgit|github|gitlab|gitiles"
    )]
    UnknownHost(String, String),
    /// A `--forge` value that is not a known forge.
    #[error("unknown forge {0:?}; expected cgit, github, gitlab or gitiles")]
    UnknownForge(String),
    /// A `--commit` value that is not a sha or a safe ref name.
    #[error("bad commit {0:?}: expected a sha or a ref name")]
    BadCommit(String),
    /// A `--repo` value that is neither a URL nor a known tree name.
    #[error(
        "unknown tree {0:?}: give a clone URL or a tree name such as upstream, linux-next, net-next"
    )]
    UnknownTree(String),
    /// The source provider could not be set up.
    #[error("{0}")]
    Source(#[from] SourceError),
}

/// Where snippets come from.
#[derive(Debug, Clone, Default)]
pub enum SourceChoice {
    /// The forge's raw endpoint over HTTP, with the on-disk cache.
    #[default]
    Http,
    /// A local git repository: the blob at the commit (`--source-git`).
    Git(PathBuf),
    /// A plain source tree, taken to be at the right commit (`--source-dir`).
    Dir(PathBuf),
}

/// What a [`Linker`] links to and how.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Repository: a clone URL or a well-known tree name. When `None`, a
    /// syzbot email's `git tree:` is used.
    pub repo: Option<String>,
    /// Force the URL shape, for hosts kresym does not recognize.
    pub forge: Option<Forge>,
    /// Link everything at this commit instead of the one the input names.
    pub commit: Option<String>,
    /// Fetch source files and attach snippets.
    pub snippets: bool,
    /// Where snippets come from.
    pub source: SourceChoice,
    /// HTTP settings (timeouts, `--offline`, cache).
    pub http: HttpOptions,
    /// Lines of context either side of a frame's line.
    pub context: u32,
    /// How many files to fetch at once.
    pub jobs: usize,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            repo: None,
            forge: None,
            commit: None,
            snippets: false,
            source: SourceChoice::Http,
            http: HttpOptions::default(),
            context: 3,
            jobs: 8,
        }
    }
}

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
    /// Index into [`Document::lines`] (serialized as the 1-based line number).
    #[serde(serialize_with = "one_based")]
    pub line: usize,
    /// Its locations, in order.
    pub links: Vec<FrameLink>,
}

/// A commit named in the text (a bisection's tested commits, its culprit, an
/// email's HEAD commit), linked to its commit page.
#[derive(Debug, Clone, Serialize)]
pub struct CommitLink {
    /// Index into [`Document::lines`] (serialized as the 1-based line number).
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
    /// Index into [`Document::reports`].
    pub report: usize,
    /// The guilty file (see `kresym_report::guilty`).
    pub guilty_file: String,
    /// The sections covering it, most specific first.
    pub sections: Vec<maintainers::Section>,
}

/// A location found for a line by a symbolizer, not printed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Index into [`Document::lines`].
    pub line: usize,
    /// The `file:line`.
    pub location: SourceLocation,
    /// The function at that location (for the fit check); `None` takes the
    /// line's frame function.
    pub function: Option<String>,
}

/// Everything [`Linker::link_document`] found for one document.
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
            })
            .collect();
        self.link_located(doc, &extra)
    }

    /// Like [`Linker::link_locations`], with the function of each extra
    /// location (an inline chain names a different function per entry).
    pub fn link_located(&self, doc: &Document, extra: &[Located]) -> DocumentLinks {
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

        let mut per_line: BTreeMap<usize, Vec<FrameLink>> = BTreeMap::new();
        for (index, line) in doc.lines.iter().enumerate() {
            for (location, function, span) in self.printed_locations(doc, line) {
                let link =
                    self.make_link(&chooser, out.repo.as_ref(), index, location, function, span);
                per_line.entry(index).or_default().push(link);
            }
        }
        for Located {
            line: index,
            location,
            function,
        } in extra
        {
            let Some(line) = doc.lines.get(*index) else {
                out.warnings.push(format!(
                    "extra location for line index {index}, past the end"
                ));
                continue;
            };
            let function = function.clone().or_else(|| match &line.kind {
                LineKind::Frame(f) => Some(f.function.clone()),
                LineKind::InlineFrame(f) => Some(f.function.clone()),
                _ => None,
            });
            let link = self.make_link(
                &chooser,
                out.repo.as_ref(),
                *index,
                location.clone(),
                function,
                None,
            );
            per_line.entry(*index).or_default().push(link);
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
            let sections = file
                .covering(path, text.as_deref())
                .into_iter()
                .map(|c| c.section.clone())
                .collect();
            out.maintainers.push(ReportMaintainers {
                report: index,
                guilty_file: path.to_string(),
                sections,
            });
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
        let mut found = match &line.kind {
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
}
