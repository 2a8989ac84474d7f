//! Markdown for people, as GitHub and GitLab render it: a header naming the
//! repository and the commit links point at, a bisection's tested commits
//! in a table, then the log section by section, each report under its own
//! heading. A section's lines are one fenced block, exactly as printed;
//! under it a table links every `file:line` in it to its source at the
//! tested commit (or says why it has no link), and snippets are folded
//! below the table.
//!
//! Everything taken from the input (titles, lines, file and function names,
//! email headers, commits, snippet text) is escaped for where it lands:
//! fenced blocks and code spans get a fence longer than any backtick run in
//! them; text and link text get every markup character backslash-escaped;
//! link destinations must be http(s) URLs and are percent-encoded; text
//! inside raw HTML is HTML-escaped; control characters (a lone carriage
//! return ends a Markdown line) are shown as their Unicode pictures.
//!
//! Consumes a [`Document`] and the [`DocumentLinks`] that `kresym-link`
//! computed for it; decides nothing about what links where.

use std::fmt::Write;

use kresym_link::{DocumentLinks, Fit, FrameLink};
use kresym_report::Document;

use crate::shared::{
    Section, blame, commit_source_word, count, line_text, main_commit, report_label, report_title,
    sections, short, test_rows, title, visible_controls, why_no_links,
};

/// Render `doc` as Markdown, with the links of `links`.
pub fn render(doc: &Document, links: &DocumentLinks) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", text(&title(doc)));
    header(&mut out, doc, links);
    bisection(&mut out, doc, links);

    if let Some(why) = why_no_links(links) {
        let _ = writeln!(out, "> **No source links:** {}\n", text(&why.join("; ")));
    } else if links.lines.is_empty() {
        out.push_str("> No `file:line` in the input to link.\n\n");
    }
    let warnings = links.all_warnings();
    if !warnings.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n",
            count(warnings.len(), "warning")
        );
        for w in &warnings {
            let _ = writeln!(out, "- {}", text(w));
        }
        out.push_str("\n</details>\n\n");
    }

    let sections = sections(doc);
    let reports = sections.iter().filter(|s| s.report.is_some()).count();
    let mut report_no = 0;
    for section in &sections {
        let (first, last) = (section.lines.start + 1, section.lines.end);
        let span = if first == last {
            format!("Line {first}")
        } else {
            format!("Lines {first}–{last}")
        };
        match section.report {
            Some(r) => {
                report_no += 1;
                let which = report_label(report_no, reports);
                let _ = writeln!(
                    out,
                    "## {which}: {}\n\n{span}.\n",
                    text(report_title(doc, r))
                );
                if let Some(blame) = blame(doc, links, r) {
                    let _ = write!(
                        out,
                        "Guilty file: {}.{}\n\n",
                        code(blame.file),
                        blame.people_and_lists(text)
                    );
                }
            }
            None if reports == 0 => out.push_str("## Log\n\n"),
            None => {
                let _ = writeln!(out, "## {span}\n");
            }
        }
        section_md(&mut out, doc, links, section);
    }
    out
}

/// The header list: repository, commit, email headers.
fn header(out: &mut String, doc: &Document, links: &DocumentLinks) {
    if let Some(repo) = &links.repo {
        let repo_md = link(&text(&repo.base), &repo.base).unwrap_or_else(|| code(&repo.base));
        let _ = writeln!(out, "- Repository: {repo_md}");
    }
    if let Some(c) = main_commit(links) {
        let sha = code(short(&c.commit));
        let sha = links
            .repo
            .as_ref()
            .and_then(|r| link(&sha, &r.commit_url(&c.commit)))
            .unwrap_or(sha);
        let _ = writeln!(out, "- Linked at: {sha} ({})", commit_source_word(c.source));
    }
    if let Some(e) = &doc.email {
        if let Some(h) = &e.head_commit {
            let subject = e.head_subject.as_deref().map(text).unwrap_or_default();
            let _ = writeln!(out, "- HEAD commit: {} {subject}", code(h));
        }
        if let Some(v) = &e.git_tree {
            let _ = writeln!(out, "- git tree: {}", text(v));
        }
        if let Some(v) = &e.dashboard_link {
            let v_md = link(&text(v), v).unwrap_or_else(|| text(v));
            let _ = writeln!(out, "- dashboard link: {v_md}");
        }
        if let Some(v) = &e.compiler {
            let _ = writeln!(out, "- compiler: {}", text(v));
        }
    }
    out.push('\n');
}

/// A bisection's culprit and tested commits.
fn bisection(out: &mut String, doc: &Document, links: &DocumentLinks) {
    let Some(b) = doc.bisection.as_ref().filter(|b| !b.tests.is_empty()) else {
        return;
    };
    out.push_str("## Bisection\n\n");
    if let Some(c) = &b.culprit {
        let sha = code(&c.commit);
        let sha = links
            .culprit_url
            .as_deref()
            .and_then(|u| link(&sha, u))
            .unwrap_or(sha);
        let _ = writeln!(
            out,
            "**Culprit:** {sha} {}\n",
            text(c.subject.as_deref().unwrap_or(""))
        );
        if let Some(a) = &c.author {
            let _ = writeln!(out, "Author: {}  ", text(a));
        }
        if let Some(d) = &c.date {
            let _ = writeln!(out, "Date: {}  ", text(d));
        }
        out.push('\n');
    }
    out.push_str("| # | Commit | Verdict | Results |\n|---:|---|---|---|\n");
    for (i, row) in test_rows(doc, links).iter().enumerate() {
        let sha = cell_code(short(row.commit));
        let sha = row.url.and_then(|u| link(&sha, u)).unwrap_or(sha);
        let verdict = if row.culprit {
            format!("**{} — culprit**", row.verdict)
        } else {
            row.verdict.to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {sha} | {verdict} | {} |",
            i + 1,
            text(&row.results)
        );
    }
    out.push('\n');
}

/// One section: its lines in a fenced block, the table of its links, its
/// snippets folded.
fn section_md(out: &mut String, doc: &Document, links: &DocumentLinks, section: &Section) {
    let lines: Vec<String> = section
        .lines
        .clone()
        .map(|i| visible_controls(&line_text(doc, i)).into_owned())
        .collect();
    let fence = "`".repeat(longest_run(lines.iter().map(String::as_str), '`').max(2) + 1);
    let _ = writeln!(out, "{fence}text");
    for l in &lines {
        out.push_str(l);
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}\n");

    let linked: Vec<(usize, &FrameLink)> = section
        .lines
        .clone()
        .flat_map(|i| links.for_line(i).iter().map(move |f| (i, f)))
        .collect();
    if linked.is_empty() {
        return;
    }
    out.push_str("| Line | Function | Source |\n|---:|---|---|\n");
    for (i, f) in &linked {
        let function = f.function.as_deref().map(cell_code).unwrap_or_default();
        let _ = writeln!(out, "| {} | {function} | {} |", i + 1, location(f));
    }
    out.push('\n');

    let snippets: Vec<&(usize, &FrameLink)> =
        linked.iter().filter(|(_, f)| f.snippet.is_some()).collect();
    if snippets.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Source of {} frame{}</summary>\n",
        snippets.len(),
        if snippets.len() == 1 { "" } else { "s" }
    );
    for (i, f) in snippets {
        snippet_md(out, *i, f);
    }
    out.push_str("</details>\n\n");
}

/// A location: its link, or its text and why it has no link.
fn location(f: &FrameLink) -> String {
    let label = format!("{}:{}", f.location.file, f.location.line);
    let mismatch = f
        .snippet
        .as_ref()
        .is_some_and(|s| matches!(s.fit, Some(Fit::Mismatch { .. })));
    let flag = if mismatch {
        " ⚠ does not fit its frame"
    } else {
        ""
    };
    match f.url.as_deref().and_then(|u| link(&text(&label), u)) {
        Some(l) => format!("{l}{flag}"),
        None => match f.warnings.first() {
            Some(w) => format!("{} (no link: {})", cell_code(&label), text(w)),
            None => cell_code(&label),
        },
    }
}

/// One snippet, under a line naming its frame.
fn snippet_md(out: &mut String, line_index: usize, f: &FrameLink) {
    let Some(s) = &f.snippet else { return };
    let commit = f.commit.as_ref().map(|c| short(&c.commit)).unwrap_or("?");
    let function = f
        .function
        .as_deref()
        .map(|n| format!(" in {}", code(n)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "Line {}: {}{function} at {}\n",
        line_index + 1,
        text(&format!("{}:{}", f.location.file, f.location.line)),
        code(commit)
    );
    let width = (s.first_line as usize + s.lines.len()).to_string().len();
    let body: Vec<String> = s
        .numbered()
        .map(|(n, hit, l)| {
            let mark = if hit { '>' } else { ' ' };
            format!("{mark}{n:>width$} | {}", visible_controls(l))
        })
        .collect();
    let fence = "`".repeat(longest_run(body.iter().map(String::as_str), '`').max(2) + 1);
    let _ = writeln!(out, "{fence}c");
    for l in &body {
        out.push_str(l);
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}\n");
    for w in &f.warnings {
        let _ = writeln!(out, "> ⚠ {}\n", text(w));
    }
}

/// The longest run of `c` in any of `lines`.
fn longest_run<'a>(lines: impl Iterator<Item = &'a str>, c: char) -> usize {
    lines
        .flat_map(|l| l.split(|x| x != c).map(str::len))
        .max()
        .unwrap_or(0)
}

/// `s` as an inline code span: the fence is one backtick longer than the
/// longest backtick run in `s` (CommonMark closes a span at the first run
/// of exactly its fence's length). Leading spaces become no-break spaces,
/// which a code span keeps.
fn code(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let s = visible_controls(s);
    let lead = s.len() - s.trim_start_matches(' ').len();
    let s = format!("{}{}", "\u{a0}".repeat(lead), &s[lead..]);
    let fence = "`".repeat(longest_run(std::iter::once(s.as_str()), '`') + 1);
    // A span that starts or ends with a backtick needs a space between it
    // and the fence; CommonMark strips one space from each side.
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A code span in a table cell, where GFM splits cells at every `|` that is
/// not backslash-escaped, inside code spans too.
fn cell_code(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// `s` as Markdown text: every ASCII punctuation character that can start
/// markup (emphasis, links, HTML, entities, tables, headings' attribute
/// blocks, math, mentions) backslash-escaped, control characters visible.
fn text(s: &str) -> String {
    let s = visible_controls(s);
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if ch.is_ascii_punctuation()
            && !matches!(
                ch,
                '.' | ',' | '/' | ':' | ';' | '\'' | '"' | '?' | '%' | '-' | '=' | '+'
            )
        {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// A link with `label` (already Markdown) to `url`, when `url` is an
/// http(s) URL; every byte that could end or change the destination is
/// percent-encoded.
fn link(label: &str, url: &str) -> Option<String> {
    let scheme_ok = ["https://", "http://"].iter().any(|p| {
        url.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    });
    if !scheme_ok {
        return None;
    }
    let mut dest = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/?#@+,;=%".contains(&b) {
            dest.push(b as char);
        } else {
            let _ = write!(dest, "%{b:02X}");
        }
    }
    Some(format!("[{label}]({dest})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kresym_link::{LinkOptions, Linker};

    #[test]
    fn frames_are_one_block_with_a_table_of_links_under_it() {
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
        assert!(
            md.contains(
                "```text\nBUG: something\nCall Trace:\n send_sigio+0x8a/0x270 fs/fcntl.c:798\nend\n```\n"
            ),
            "{md}"
        );
        assert!(md.contains(
            "| 3 | `send_sigio` | [fs/fcntl.c:798](https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/fs/fcntl.c?id=7bc3e6e55acf065500a24621f3b313e7e5998acf#n798) |"
        ), "{md}");
    }

    #[test]
    fn code_spans_outlast_every_backtick_run() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("```x```"), "```` ```x``` ````");
        assert_eq!(code("  x"), "`\u{a0}\u{a0}x`");
        assert_eq!(code("a\rb"), "`a␍b`");
        assert_eq!(cell_code("a|b"), "`a\\|b`");
        assert_eq!(text("a[b]<c>"), "a\\[b\\]\\<c\\>");
        assert_eq!(link("x", "javascript:alert(1)"), None);
        assert_eq!(
            link("x", "https://h/a b)<c>").unwrap(),
            "[x](https://h/a%20b%29%3Cc%3E)"
        );
    }
}
