//! Markdown with every `file:line` a link to its source at the tested
//! commit, snippets in collapsible blocks under their frames, and a
//! bisection's tested commits linked with their verdicts.
//!
//! Consumes a [`Document`] and the [`DocumentLinks`] that `kresym-link`
//! computed for it; decides nothing about what links where.

use std::fmt::Write;

use kresym_link::{CommitLink, DocumentLinks, Fit, FrameLink, Snippet};
use kresym_report::{BisectVerdict, Document};

/// A piece of a line: plain text, a linked location or a linked commit.
pub(crate) enum Seg<'a> {
    Text(&'a str),
    Location(&'a FrameLink, &'a str),
    Commit(&'a CommitLink, &'a str),
}

/// The text of line `index` without its terminator (lossy UTF-8).
pub(crate) fn line_text(doc: &Document, index: usize) -> String {
    let line = &doc.lines[index];
    let bytes = doc.line_bytes(line);
    let bytes = &bytes[..bytes.len().saturating_sub(line.terminator_len)];
    String::from_utf8_lossy(bytes).into_owned()
}

/// Split `text` into segments at the spans of its links. Links whose span
/// is missing or does not fit the text are returned in the second list, to
/// be shown after the line.
pub(crate) fn segments<'a>(
    text: &'a str,
    frames: &'a [FrameLink],
    commits: impl Iterator<Item = &'a CommitLink>,
) -> (Vec<Seg<'a>>, Vec<&'a FrameLink>) {
    let fits = |r: &std::ops::Range<usize>| {
        r.start < r.end
            && r.end <= text.len()
            && text.is_char_boundary(r.start)
            && text.is_char_boundary(r.end)
    };
    let mut marks: Vec<(
        std::ops::Range<usize>,
        Option<&FrameLink>,
        Option<&CommitLink>,
    )> = Vec::new();
    let mut trailing = Vec::new();
    for f in frames {
        match &f.span {
            Some(r) if fits(r) => marks.push((r.clone(), Some(f), None)),
            _ => trailing.push(f),
        }
    }
    for c in commits {
        if fits(&c.span) {
            marks.push((c.span.clone(), None, Some(c)));
        }
    }
    marks.sort_by_key(|m| m.0.start);
    let mut out = Vec::new();
    let mut at = 0;
    for (r, f, c) in marks {
        if r.start < at {
            continue; // overlapping: keep the first
        }
        if r.start > at {
            out.push(Seg::Text(&text[at..r.start]));
        }
        let piece = &text[r.clone()];
        match (f, c) {
            (Some(f), _) => out.push(Seg::Location(f, piece)),
            (_, Some(c)) => out.push(Seg::Commit(c, piece)),
            _ => {}
        }
        at = r.end;
    }
    if at < text.len() {
        out.push(Seg::Text(&text[at..]));
    }
    (out, trailing)
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
pub(crate) fn main_commit(links: &DocumentLinks) -> Option<&kresym_link::ChosenCommit> {
    links.all_links().filter_map(|l| l.commit.as_ref()).last()
}

fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    // Keep indentation: inline code collapses leading spaces.
    let lead = s.len() - s.trim_start_matches(' ').len();
    let s = format!("{}{}", "\u{a0}".repeat(lead), &s[lead..]);
    let fence = if s.contains("``") {
        "```"
    } else if s.contains('`') {
        "``"
    } else {
        "`"
    };
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(
            ch,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '(' | ')' | '~'
        ) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn link(text: &str, url: &str) -> String {
    let url = if url.contains([' ', '(', ')', '<', '>']) {
        url.replace(' ', "%20")
            .replace('(', "%28")
            .replace(')', "%29")
            .replace('<', "%3C")
            .replace('>', "%3E")
    } else {
        url.to_string()
    };
    format!("[{}]({url})", escape_text(text))
}

fn snippet_block(out: &mut String, f: &FrameLink, s: &Snippet) {
    let commit = f.commit.as_ref().map(|c| short(&c.commit)).unwrap_or("?");
    let flag = match &s.fit {
        Some(Fit::Mismatch { .. }) => " ⚠ does not fit its frame",
        _ => "",
    };
    let _ = write!(
        out,
        "<details><summary>{}:{} at {commit}{flag}</summary>\n\n",
        html_escape(&f.location.file),
        f.location.line
    );
    let width = (s.first_line as usize + s.lines.len()).to_string().len();
    let fence = if s.lines.iter().any(|l| l.contains("```")) {
        "~~~~"
    } else {
        "```"
    };
    let _ = writeln!(out, "{fence}c");
    for (n, hit, l) in s.numbered() {
        let mark = if hit { '>' } else { ' ' };
        let _ = writeln!(out, "{mark}{n:>width$} | {l}");
    }
    let _ = writeln!(out, "{fence}\n");
    for w in &f.warnings {
        let _ = writeln!(out, "> ⚠ {}\n", escape_text(w));
    }
    out.push_str("</details>\n\n");
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Render `doc` as Markdown, with the links of `links`.
pub fn render(doc: &Document, links: &DocumentLinks) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", escape_text(&title(doc)));
    if let Some(repo) = &links.repo {
        let _ = writeln!(out, "- Repository: <{}>", repo.base);
    }
    if let Some(c) = main_commit(links) {
        let text = code(short(&c.commit));
        match &links.repo {
            Some(r) => {
                let _ = writeln!(out, "- Linked at: [{text}]({})", r.commit_url(&c.commit));
            }
            None => {
                let _ = writeln!(out, "- Linked at: {text}");
            }
        }
    }
    if let Some(e) = &doc.email {
        for (k, v) in [
            ("HEAD commit", e.head_commit.as_deref()),
            ("git tree", e.git_tree.as_deref()),
            ("dashboard link", e.dashboard_link.as_deref()),
            ("compiler", e.compiler.as_deref()),
        ] {
            if let Some(v) = v {
                let _ = writeln!(out, "- {k}: {}", escape_text(v));
            }
        }
    }
    out.push('\n');

    if let Some(b) = &doc.bisection
        && !b.tests.is_empty()
    {
        out.push_str("## Bisection\n\n");
        if let Some(c) = &b.culprit {
            let sha = match &links.culprit_url {
                Some(u) => format!("[{}]({u})", code(&c.commit)),
                None => code(&c.commit),
            };
            let _ = writeln!(
                out,
                "**Culprit:** {sha} {}\n",
                escape_text(c.subject.as_deref().unwrap_or(""))
            );
            if let Some(a) = &c.author {
                let _ = writeln!(out, "Author: {}  ", escape_text(a));
            }
            if let Some(d) = &c.date {
                let _ = writeln!(out, "Date: {}  ", escape_text(d));
            }
            out.push('\n');
        }
        out.push_str("| # | Commit | Verdict | Results |\n|---:|---|---|---|\n");
        for (i, t) in b.tests.iter().enumerate() {
            let tl = links.tests.iter().find(|l| l.test == i);
            let culprit = tl.is_some_and(|l| l.culprit);
            let sha = match tl.and_then(|l| l.url.as_deref()) {
                Some(u) => format!("[{}]({u})", code(short(&t.commit))),
                None => code(short(&t.commit)),
            };
            let verdict = verdict_word(tl.and_then(|l| l.verdict).or(t.verdict));
            let verdict = if culprit {
                format!("**{verdict} — culprit**")
            } else {
                verdict.to_string()
            };
            let results = summarize_results(&t.results);
            let _ = writeln!(
                out,
                "| {} | {sha} | {verdict} | {} |",
                i + 1,
                escape_text(&results)
            );
        }
        out.push('\n');
    }

    let warnings = links.all_warnings();
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} warning{}</summary>\n",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        );
        for w in &warnings {
            let _ = writeln!(out, "- {}", escape_text(w));
        }
        out.push_str("\n</details>\n\n");
    }

    out.push_str("## Report\n\n");
    let mut in_fence = false;
    for index in 0..doc.lines.len() {
        let text = line_text(doc, index);
        let frames = links.for_line(index);
        let has_commits = links.commits_for_line(index).next().is_some();
        if frames.is_empty() && !has_commits {
            if !in_fence {
                out.push_str("```text\n");
                in_fence = true;
            }
            out.push_str(&text.replace("```", "`\u{200b}``"));
            out.push('\n');
            continue;
        }
        if in_fence {
            out.push_str("```\n\n");
            in_fence = false;
        }
        let (segs, trailing) = segments(&text, frames, links.commits_for_line(index));
        let mut line = String::new();
        for seg in segs {
            match seg {
                Seg::Text(t) => line.push_str(&code(t)),
                Seg::Location(f, t) => match &f.url {
                    Some(u) => line.push_str(&link(t, u)),
                    None => line.push_str(&code(t)),
                },
                Seg::Commit(c, t) => {
                    let l = format!("[{}]({})", code(t), c.url);
                    if c.culprit {
                        line.push_str(&format!("**{l}**"));
                    } else {
                        line.push_str(&l);
                    }
                }
            }
        }
        for f in &trailing {
            let t = format!("{}:{}", f.location.file, f.location.line);
            match &f.url {
                Some(u) => {
                    line.push(' ');
                    line.push_str(&link(&t, u));
                }
                None => {
                    line.push(' ');
                    line.push_str(&code(&t));
                }
            }
        }
        if let Some(i) = doc
            .bisection
            .as_ref()
            .and_then(|b| b.tests.iter().position(|t| t.line == index))
        {
            let tl = links.tests.iter().find(|l| l.test == i);
            let v = verdict_word(tl.and_then(|l| l.verdict));
            if tl.is_some_and(|l| l.culprit) {
                let _ = write!(line, " — **{v}, culprit**");
            } else {
                let _ = write!(line, " — *{v}*");
            }
        }
        if line.is_empty() {
            line.push('\u{a0}');
        }
        out.push_str(&line);
        out.push_str("\n\n");
        for f in frames {
            if let Some(s) = &f.snippet {
                snippet_block(&mut out, f, s);
            }
        }
    }
    if in_fence {
        out.push_str("```\n");
    }
    out
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
    use kresym_link::{LinkOptions, Linker};

    #[test]
    fn frames_become_links_and_plain_text_stays_fenced() {
        let doc = kresym_report::parse(
            "BUG: something\nCall Trace:\n send_sigio+0x8a/0x270 fs/fcntl.c:798\nend\n",
        );
        let linker = Linker::new(LinkOptions {
            repo: Some("upstream".into()),
            commit: Some("7bc3e6e55acf065500a24621f3b313e7e5998acf".into()),
            ..Default::default()
        })
        .unwrap();
        let links = linker.link_document(&doc);
        let md = render(&doc, &links);
        assert!(md.contains(
            "[fs/fcntl.c:798](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/fs/fcntl.c?id=7bc3e6e55acf065500a24621f3b313e7e5998acf#n798)"
        ), "{md}");
        assert!(
            md.contains("```text\nBUG: something\nCall Trace:\n```"),
            "{md}"
        );
        assert!(md.contains("`\u{a0}send_sigio+0x8a/0x270 `"), "{md}");
    }

    #[test]
    fn code_spans_escape_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("  x"), "`\u{a0}\u{a0}x`");
        assert_eq!(escape_text("a[b]"), "a\\[b\\]");
    }
}
