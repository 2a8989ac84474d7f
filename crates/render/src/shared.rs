//! What the Markdown and HTML renderers share: the sections of a log, titles,
//! verdicts and short shas, and control characters made visible.

use std::borrow::Cow;
use std::ops::Range;

use kresym_link::{ChosenCommit, CommitSource, DocumentLinks};
use kresym_report::{BisectVerdict, Document};

/// The text of line `index` without its terminator (lossy UTF-8).
pub(crate) fn line_text(doc: &Document, index: usize) -> String {
    let line = &doc.lines[index];
    let bytes = doc.line_bytes(line);
    let bytes = &bytes[..bytes.len().saturating_sub(line.terminator_len)];
    String::from_utf8_lossy(bytes).into_owned()
}

/// `s` with every control character but the tab shown as a visible
/// character: C0 controls and DEL as their Unicode control pictures (`␍`
/// for a lone carriage return), C1 controls as `�`. A carriage return ends
/// a line in Markdown, so none may reach the output as it is.
pub(crate) fn visible_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\t' => c,
                '\0'..='\x1f' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
                '\x7f' => '\u{2421}',
                c if c.is_control() => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

/// A run of lines of a document: one report, or the text between reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// Indexes into [`Document::lines`].
    pub lines: Range<usize>,
    /// Index into [`Document::reports`], for a report's section.
    pub report: Option<usize>,
}

/// The document cut into sections: each report, and the text around them.
/// Lines that are all blank between two sections go with the one before.
pub(crate) fn sections(doc: &Document) -> Vec<Section> {
    let n = doc.lines.len();
    let mut reports: Vec<(usize, Range<usize>)> = doc
        .reports
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r.lines.start.min(n)..r.lines.end.min(n)))
        .collect();
    reports.sort_by_key(|(_, r)| r.start);
    let mut cut = Vec::new();
    let mut at = 0;
    for (i, r) in reports {
        let start = r.start.max(at);
        if start >= r.end {
            continue;
        }
        if start > at {
            cut.push(Section {
                lines: at..start,
                report: None,
            });
        }
        cut.push(Section {
            lines: start..r.end,
            report: Some(i),
        });
        at = r.end;
    }
    if at < n {
        cut.push(Section {
            lines: at..n,
            report: None,
        });
    }
    let blank = |s: &Section| {
        s.report.is_none() && s.lines.clone().all(|i| line_text(doc, i).trim().is_empty())
    };
    let mut out: Vec<Section> = Vec::with_capacity(cut.len());
    for s in cut {
        match out.last_mut() {
            Some(last) if blank(&s) => last.lines.end = s.lines.end,
            _ => out.push(s),
        }
    }
    out
}

/// The title of report `index`, or a stand-in.
pub(crate) fn report_title(doc: &Document, index: usize) -> &str {
    doc.reports
        .get(index)
        .and_then(|r| r.title.as_deref())
        .unwrap_or("untitled report")
}

/// Who to blame for report `index`: its guilty file, and the people and
/// lists of the `MAINTAINERS` sections covering it (each once, most
/// specific section first), as found by the linker.
pub(crate) struct Blame<'a> {
    /// The guilty file.
    pub file: &'a str,
    /// `M:` and `R:` entries (`Name <address>`), as written.
    pub people: Vec<&'a str>,
    /// `L:` entries.
    pub lists: Vec<&'a str>,
}

impl Blame<'_> {
    /// ` Maintainers: A, B. Lists: L.`, each part only when there is one,
    /// every entry escaped by `escape` for where it lands.
    pub fn people_and_lists(&self, escape: impl Fn(&str) -> String) -> String {
        let mut out = String::new();
        for (label, entries) in [("Maintainers", &self.people), ("Lists", &self.lists)] {
            if !entries.is_empty() {
                let entries: Vec<String> = entries.iter().map(|e| escape(e)).collect();
                out.push_str(&format!(" {label}: {}.", entries.join(", ")));
            }
        }
        out
    }
}

/// The heading of the `number`th report (from 1) of `total`: `Report 2 of
/// 3`, or `Report` when there is one.
pub(crate) fn report_label(number: usize, total: usize) -> String {
    if total > 1 {
        format!("Report {number} of {total}")
    } else {
        "Report".to_string()
    }
}

/// `1 warning`, `3 warnings`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// One tested commit of a bisection, as both tables show it.
pub(crate) struct TestRow<'a> {
    /// The line the test starts at (an index into `Document::lines`).
    pub line: usize,
    /// The sha as printed.
    pub commit: &'a str,
    /// Its commit page, when the repository is known.
    pub url: Option<&'a str>,
    /// The verdict, as a word.
    pub verdict: &'static str,
    /// Whether it is the culprit.
    pub culprit: bool,
    /// Its runs, summed up.
    pub results: String,
}

/// The rows of a bisection's test table, in test order (none when the
/// document is not a bisection or tested nothing).
pub(crate) fn test_rows<'a>(doc: &'a Document, links: &'a DocumentLinks) -> Vec<TestRow<'a>> {
    let Some(bisection) = &doc.bisection else {
        return Vec::new();
    };
    let link = |i: usize| links.tests.iter().find(|l| l.test == i);
    bisection
        .tests
        .iter()
        .enumerate()
        .map(|(i, t)| TestRow {
            line: t.line,
            commit: &t.commit,
            url: link(i).and_then(|l| l.url.as_deref()),
            verdict: verdict_word(link(i).and_then(|l| l.verdict).or(t.verdict)),
            culprit: link(i).is_some_and(|l| l.culprit),
            results: summarize_results(&t.results),
        })
        .collect()
}

/// The [`Blame`] of report `index`, when it has a guilty file.
pub(crate) fn blame<'a>(
    doc: &'a Document,
    links: &'a DocumentLinks,
    index: usize,
) -> Option<Blame<'a>> {
    let file = doc.reports.get(index)?.guilty_file.as_deref()?;
    let mut blame = Blame {
        file,
        people: Vec::new(),
        lists: Vec::new(),
    };
    let sections = links
        .maintainers
        .iter()
        .filter(|m| m.report == index)
        .flat_map(|m| &m.sections);
    for section in sections {
        for person in section.maintainers.iter().chain(&section.reviewers) {
            if !blame.people.contains(&person.as_str()) {
                blame.people.push(person);
            }
        }
        for list in &section.lists {
            if !blame.lists.contains(&list.as_str()) {
                blame.lists.push(list);
            }
        }
    }
    Some(blame)
}

/// The verdict as a word.
pub(crate) fn verdict_word(v: Option<BisectVerdict>) -> &'static str {
    match v {
        Some(BisectVerdict::Good) => "good",
        Some(BisectVerdict::Bad) => "bad",
        Some(BisectVerdict::Skip) => "skip",
        None => "unknown",
    }
}

/// Why a commit was chosen, in a few words.
pub(crate) fn commit_source_word(source: CommitSource) -> &'static str {
    match source {
        CommitSource::Explicit => "given",
        CommitSource::EmailHead => "HEAD commit",
        CommitSource::Culprit => "bisection culprit",
        CommitSource::Tested(_) => "tested commit",
        CommitSource::BisectionStart => "bisection start",
    }
}

/// The title to show: the final report's, else the first report's.
pub(crate) fn title(doc: &Document) -> String {
    let idx = doc
        .bisection
        .as_ref()
        .and_then(|b| b.final_report)
        .or(if doc.reports.is_empty() {
            None
        } else {
            Some(0)
        });
    idx.and_then(|i| doc.reports.get(i))
        .and_then(|r| r.title.clone())
        .unwrap_or_else(|| "Kernel report".to_string())
}

/// A short form of a sha for display.
pub(crate) fn short(sha: &str) -> &str {
    if sha.len() > 12 && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        &sha[..12]
    } else {
        sha
    }
}

/// The commit most links point at (the final report's), for the header.
pub(crate) fn main_commit(links: &DocumentLinks) -> Option<&ChosenCommit> {
    links.all_links().filter_map(|l| l.commit.as_ref()).last()
}

/// When there are locations but not one of them got a link: why, from the
/// document's warnings (or, failing those, the first link's own).
pub(crate) fn why_no_links(links: &DocumentLinks) -> Option<Vec<String>> {
    let mut all = links.all_links().peekable();
    all.peek()?;
    if links.all_links().any(|l| l.url.is_some()) {
        return None;
    }
    let mut why = links.warnings.clone();
    if why.is_empty() {
        why.extend(
            links
                .all_links()
                .flat_map(|l| l.warnings.first())
                .take(1)
                .cloned(),
        );
    }
    Some(why)
}

/// One line summing up a test's runs.
pub(crate) fn summarize_results(results: &[String]) -> String {
    match results {
        [] => String::new(),
        [one] => one.clone(),
        many => {
            let crashed = many.iter().filter(|r| r.contains("crashed")).count();
            let ok = many.iter().filter(|r| r.ends_with(": OK")).count();
            let other = many.len() - crashed - ok;
            let first_crash = many
                .iter()
                .find(|r| r.contains("crashed"))
                .and_then(|r| r.split_once("crashed: "))
                .map(|(_, t)| format!(" ({t})"))
                .unwrap_or_default();
            format!(
                "{} runs: {crashed} crashed{first_crash}, {ok} OK, {other} other",
                many.len()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_become_visible() {
        assert_eq!(visible_controls("a\tb"), "a\tb");
        assert_eq!(visible_controls("a\rb\0\x1b\x7f\u{85}"), "a␍b␀␛␡\u{fffd}");
    }

    #[test]
    fn sections_cover_every_line_once() {
        let doc = kresym_report::parse(
            "boot\n\nBUG: KASAN: use-after-free in f\nCall Trace:\n f+0x1/0x2\n\n\nsome text\nWARNING: CPU: 0 PID: 1 at a.c:1 g+0x1/0x2\n g+0x1/0x2\n",
        );
        let s = sections(&doc);
        let mut next = 0;
        for sec in &s {
            assert_eq!(sec.lines.start, next, "{s:?}");
            next = sec.lines.end;
        }
        assert_eq!(next, doc.lines.len());
        assert!(
            s.iter().filter(|s| s.report.is_some()).count() >= 2,
            "{s:?}"
        );
        // Blank lines never make a section of their own.
        assert!(s.iter().all(|sec| {
            sec.report.is_some() || sec.lines.clone().any(|i| !line_text(&doc, i).is_empty())
        }));
    }
}
