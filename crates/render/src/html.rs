//! One self-contained HTML page: the report with every `file:line` a link
//! to its source at the tested commit, snippets in collapsible blocks under
//! their frames, and a bisection's tested commits linked with their
//! verdicts, the culprit highlighted. No scripts, no external resources.
//!
//! Consumes a [`Document`] and the [`DocumentLinks`] that `kresym-link`
//! computed for it; decides nothing about what links where.

use std::fmt::Write;

use kresym_link::{CommitLink, DocumentLinks, Fit, FrameLink, Snippet};
use kresym_report::Document;

use crate::shared::{
    blame, commit_source_word, count, line_text, main_commit, report_label, report_title, sections,
    short, test_rows, title, verdict_word, visible_controls, why_no_links,
};

/// A piece of a line: plain text, a linked location or a linked commit.
enum Seg<'a> {
    Text(&'a str),
    Location(&'a FrameLink, &'a str),
    Commit(&'a CommitLink, &'a str),
}

/// Split `text` into segments at the spans of its links. Links whose span
/// is missing or does not fit the text are returned in the second list, to
/// be shown after the line.
fn segments<'a>(
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
    let mut marks: Vec<(std::ops::Range<usize>, Seg<'a>)> = Vec::new();
    let mut trailing = Vec::new();
    for f in frames {
        match &f.span {
            Some(r) if fits(r) => marks.push((r.clone(), Seg::Location(f, &text[r.clone()]))),
            _ => trailing.push(f),
        }
    }
    for c in commits {
        if fits(&c.span) {
            marks.push((c.span.clone(), Seg::Commit(c, &text[c.span.clone()])));
        }
    }
    marks.sort_by_key(|m| m.0.start);
    let mut out = Vec::new();
    let mut at = 0;
    for (r, seg) in marks {
        if r.start < at {
            continue; // overlapping: keep the first
        }
        if r.start > at {
            out.push(Seg::Text(&text[at..r.start]));
        }
        out.push(seg);
        at = r.end;
    }
    if at < text.len() {
        out.push(Seg::Text(&text[at..]));
    }
    (out, trailing)
}

const STYLE: &str = r#"
:root { --fg:#1f2328; --muted:#656d76; --bg:#ffffff; --panel:#f6f8fa; --border:#d0d7de;
  --link:#0550ae; --good:#1a7f37; --bad:#cf222e; --skip:#6e7781; --culprit:#fff8c5;
  --culprit-border:#d4a72c; --hit:#fff5b1; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font: 15px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--border); }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .log, .mono { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 13px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 8px 0 0; color: var(--muted); }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  line-height: 18px; color: #fff; vertical-align: 1px; font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
.badge.good { background: var(--good); } .badge.bad { background: var(--bad); }
.badge.skip, .badge.unknown { background: var(--skip); }
.badge.culprit { background: var(--culprit-border); color: #000; }
.culprit-card { background: var(--culprit); border: 1px solid var(--culprit-border); border-radius: 8px;
  padding: 10px 14px; margin: 0 0 14px; }
.culprit-card .subject { font-weight: 600; }
.culprit-card .who { color: var(--muted); font-size: 13px; }
table.tests { border-collapse: collapse; width: 100%; font-size: 14px; }
table.tests th, table.tests td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
table.tests th { background: var(--panel); font-weight: 600; }
table.tests td.n { color: var(--muted); text-align: right; width: 3em; }
table.tests tr.culprit td { background: var(--culprit); }
table.tests td.res { color: var(--muted); }
details.warnings { background: #fff8f0; border: 1px solid #f0d5b0; border-radius: 8px; padding: 6px 12px; }
details.warnings summary { cursor: pointer; color: var(--warn); font-weight: 600; }
details.warnings li { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.log { background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 8px 0; overflow-x: auto; }
.ln { display: flex; white-space: pre; min-height: 1.45em; line-height: 1.45; }
.ln .no { flex: none; width: 4.2em; padding-right: 12px; text-align: right; color: #8c959f; user-select: none; }
.ln .tx { flex: 1; padding-right: 12px; }
.ln.rep { background: #ffffff; }
.ln.frame .tx a.loc { font-weight: 600; }
.ln a.loc.nolink { color: var(--fg); }
.ln a.sha { background: #ddf4ff; border-radius: 3px; padding: 0 2px; }
.ln mark.culprit, .ln a.sha.culprit { background: var(--culprit); outline: 1px solid var(--culprit-border); border-radius: 3px; }
.ln .warnflag { color: var(--bad); font-weight: 700; }
details.snip { margin: 2px 16px 6px calc(4.2em + 12px); background: #fff; border: 1px solid var(--border);
  border-radius: 6px; white-space: normal; }
details.snip > summary { cursor: pointer; padding: 3px 10px; color: var(--muted); font-size: 12.5px;
  font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
details.snip.mismatch { border-color: var(--bad); }
details.snip.mismatch > summary { color: var(--bad); }
table.src { border-collapse: collapse; width: 100%; border-top: 1px solid var(--border); }
table.src td { padding: 0 10px; white-space: pre; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; line-height: 1.45; }
table.src td.n { text-align: right; color: #8c959f; width: 4em; user-select: none; border-right: 1px solid var(--border); }
table.src tr.hit td { background: var(--hit); }
table.src tr.hit td.n { color: var(--fg); font-weight: 700; }
p.snipwarn { margin: 0; padding: 4px 10px; color: var(--bad); font-size: 12.5px; border-top: 1px solid var(--border); }
p.nolinks { margin: 12px 0 0; padding: 8px 12px; background: #fff8f0; border: 1px solid #f0d5b0; border-radius: 8px; }
nav.reports ol { margin: 0; padding-left: 2.2em; }
nav.reports .lines { color: var(--muted); font-size: 13px; }
h3.rephead { font-size: 15px; margin: 10px 12px 4px; padding: 6px 0 2px; border-top: 1px solid var(--border);
  font-family: -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
h3.rephead:first-child { border-top: 0; margin-top: 0; }
.ln .why { color: var(--warn); font-size: 12px; }
details.snip > summary code { color: var(--fg); }
details.snip > summary .at { margin-left: 1.5em; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
"#;

/// `s` as HTML text or attribute value: markup characters escaped,
/// control characters made visible.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in visible_controls(s).chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Only http(s) URLs become `href`s.
fn href(url: &str) -> Option<String> {
    (url.starts_with("https://") || url.starts_with("http://")).then(|| esc(url))
}

fn snippet_html(out: &mut String, f: &FrameLink, s: &Snippet, open: bool) {
    let mismatch = matches!(s.fit, Some(Fit::Mismatch { .. }));
    let commit = f.commit.as_ref().map(|c| short(&c.commit)).unwrap_or("?");
    // The location is the link just above: the summary shows its source
    // line instead.
    let _ = write!(
        out,
        "<details class=\"snip{}\"{}><summary><code>{}</code><span class=\"at\">at {}{}</span></summary><table class=\"src\">",
        if mismatch { " mismatch" } else { "" },
        if open && !mismatch { " open" } else { "" },
        esc(s.target_text().unwrap_or("").trim()),
        esc(commit),
        if mismatch {
            " — ⚠ does not fit its frame"
        } else {
            ""
        }
    );
    for (n, hit, l) in s.numbered() {
        let _ = write!(
            out,
            "<tr{}><td class=\"n\">{n}</td><td>{}</td></tr>",
            if hit { " class=\"hit\"" } else { "" },
            esc(l)
        );
    }
    out.push_str("</table>");
    for w in &f.warnings {
        let _ = write!(out, "<p class=\"snipwarn\">⚠ {}</p>", esc(w));
    }
    out.push_str("</details>");
}

/// Render `doc` as one self-contained HTML page, with the links of `links`.
pub fn render(doc: &Document, links: &DocumentLinks) -> String {
    let title = title(doc);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<header>\n<h1>{}</h1>\n<dl class=\"meta\">",
        esc(&title),
        esc(&title)
    );
    if let Some(repo) = &links.repo {
        let _ = write!(
            out,
            "<dt>Repository</dt><dd><a href=\"{}\">{}</a></dd>",
            href(&repo.base).unwrap_or_default(),
            esc(&repo.base)
        );
    }
    if let Some(c) = main_commit(links) {
        let commit = match links
            .repo
            .as_ref()
            .and_then(|r| href(&r.commit_url(&c.commit)))
        {
            Some(u) => format!("<a class=\"mono\" href=\"{u}\">{}</a>", esc(&c.commit)),
            None => format!("<span class=\"mono\">{}</span>", esc(&c.commit)),
        };
        let _ = write!(
            out,
            "<dt>Linked at</dt><dd>{commit} ({})</dd>",
            commit_source_word(c.source)
        );
    }
    if let Some(e) = &doc.email {
        for (k, v) in [
            ("HEAD commit", e.head_commit.as_deref()),
            ("git tree", e.git_tree.as_deref()),
            ("dashboard", e.dashboard_link.as_deref()),
            ("compiler", e.compiler.as_deref()),
        ] {
            if let Some(v) = v {
                // Only the dashboard is a link: the git tree is shown as
                // written (the repository above is what links use).
                let v = match href(v).filter(|_| k == "dashboard") {
                    Some(u) => format!("<a href=\"{u}\">{}</a>", esc(v)),
                    None => esc(v),
                };
                let _ = write!(out, "<dt>{k}</dt><dd>{v}</dd>");
            }
        }
    }
    out.push_str("</dl>\n");
    if let Some(why) = why_no_links(links) {
        let _ = writeln!(
            out,
            "<p class=\"nolinks\"><strong>No source links:</strong> {}</p>",
            esc(&why.join("; "))
        );
    } else if links.lines.is_empty() {
        out.push_str("<p class=\"nolinks\">No <code>file:line</code> in the input to link.</p>\n");
    }
    out.push_str("</header>\n");
    let sections = sections(doc);
    let reports: Vec<_> = sections
        .iter()
        .filter_map(|s| s.report.map(|r| (r, s)))
        .collect();
    if reports.len() > 1 {
        let _ = writeln!(
            out,
            "<nav class=\"reports\">\n<h2>{} reports</h2>\n<ol>",
            reports.len()
        );
        for (n, (r, s)) in reports.iter().enumerate() {
            let _ = writeln!(
                out,
                "<li><a href=\"#report-{}\">{}</a> <span class=\"lines\">lines {}–{}</span></li>",
                n + 1,
                esc(report_title(doc, *r)),
                s.lines.start + 1,
                s.lines.end
            );
        }
        out.push_str("</ol>\n</nav>\n");
    }

    if let Some(b) = &doc.bisection
        && !b.tests.is_empty()
    {
        out.push_str("<section class=\"bisection\">\n<h2>Bisection</h2>\n");
        if let Some(c) = &b.culprit {
            let sha = match links.culprit_url.as_deref().and_then(href) {
                Some(u) => format!("<a class=\"mono\" href=\"{u}\">{}</a>", esc(&c.commit)),
                None => format!("<span class=\"mono\">{}</span>", esc(&c.commit)),
            };
            let _ = writeln!(
                out,
                "<div class=\"culprit-card\" id=\"culprit\"><span class=\"badge culprit\">culprit</span> {sha}\
                 <div class=\"subject\">{}</div><div class=\"who\">{}{}</div></div>",
                esc(c.subject.as_deref().unwrap_or("")),
                esc(c.author.as_deref().unwrap_or("")),
                c.date
                    .as_deref()
                    .map(|d| format!(" · {}", esc(d)))
                    .unwrap_or_default()
            );
        }
        out.push_str(
            "<table class=\"tests\"><thead><tr><th>#</th><th>Commit</th><th>Verdict</th><th>Results</th></tr></thead><tbody>\n",
        );
        for (i, row) in test_rows(doc, links).iter().enumerate() {
            let culprit = row.culprit;
            let sha = match row.url.and_then(href) {
                Some(u) => format!(
                    "<a class=\"mono\" href=\"{u}\">{}</a>",
                    esc(short(row.commit))
                ),
                None => format!("<span class=\"mono\">{}</span>", esc(short(row.commit))),
            };
            let v = row.verdict;
            let _ = writeln!(
                out,
                "<tr{}><td class=\"n\"><a href=\"#L{}\">{}</a></td><td>{sha}</td><td><span class=\"badge {v}\">{v}</span>{}</td><td class=\"res\">{}</td></tr>",
                if culprit { " class=\"culprit\"" } else { "" },
                row.line + 1,
                i + 1,
                if culprit {
                    " <span class=\"badge culprit\">culprit</span>"
                } else {
                    ""
                },
                esc(&row.results)
            );
        }
        out.push_str("</tbody></table>\n</section>\n");
    }

    let warnings = links.all_warnings();
    if !warnings.is_empty() {
        let _ = write!(
            out,
            "<h2>Warnings</h2>\n<details class=\"warnings\"><summary>{}</summary><ul>",
            count(warnings.len(), "warning")
        );
        for w in &warnings {
            let _ = write!(out, "<li>{}</li>", esc(w));
        }
        out.push_str("</ul></details>\n");
    }

    out.push_str("<section class=\"report\">\n<h2>Log</h2>\n<div class=\"log\">\n");
    let in_report = |i: usize| doc.reports.iter().any(|r| r.lines.contains(&i));
    let mut opened_first = false;
    let mut report_no = 0;
    for section in &sections {
        if let Some(r) = section.report {
            report_no += 1;
            let which = report_label(report_no, reports.len());
            let _ = writeln!(
                out,
                "<h3 class=\"rephead\" id=\"report-{report_no}\"><a href=\"#report-{report_no}\">{which}</a>: {}</h3>",
                esc(report_title(doc, r))
            );
            if let Some(blame) = blame(doc, links, r) {
                let _ = writeln!(
                    out,
                    "<p class=\"blame\">Guilty file: <code>{}</code>.{}</p>",
                    esc(blame.file),
                    blame.people_and_lists(esc)
                );
            }
        }
        for index in section.lines.clone() {
            line_html(
                &mut out,
                doc,
                links,
                index,
                in_report(index),
                &mut opened_first,
            );
        }
    }
    out.push_str(
        "</div>\n</section>\n<footer>Rendered by kresym.</footer>\n</main>\n</body>\n</html>\n",
    );
    out
}

/// One line of the log, with its links, and the snippets of its frames
/// under it (the first snippet of a report open).
fn line_html(
    out: &mut String,
    doc: &Document,
    links: &DocumentLinks,
    index: usize,
    in_report: bool,
    opened_first: &mut bool,
) {
    let text = line_text(doc, index);
    let frames = links.for_line(index);
    let (segs, trailing) = segments(&text, frames, links.commits_for_line(index));
    let mut classes = vec!["ln"];
    if in_report {
        classes.push("rep");
    }
    if !frames.is_empty() {
        classes.push("frame");
    }
    let _ = write!(
        out,
        "<div class=\"{}\" id=\"L{n}\"><a class=\"no\" href=\"#L{n}\">{n}</a><span class=\"tx\">",
        classes.join(" "),
        n = index + 1
    );
    for seg in segs {
        match seg {
            Seg::Text(t) => out.push_str(&esc(t)),
            Seg::Location(f, t) => loc_html(out, f, t),
            Seg::Commit(c, t) => {
                let cls = if c.culprit { "sha culprit" } else { "sha" };
                match href(&c.url) {
                    Some(u) => {
                        let _ = write!(out, "<a class=\"{cls}\" href=\"{u}\">{}</a>", esc(t));
                    }
                    None => out.push_str(&esc(t)),
                }
            }
        }
    }
    for f in trailing {
        out.push(' ');
        loc_html(out, f, &format!("{}:{}", f.location.file, f.location.line));
    }
    // Why a location has no link, after the line's own text.
    for f in frames {
        if let (None, Some(w)) = (f.url.as_deref().and_then(href), f.warnings.first()) {
            let _ = write!(
                out,
                " <span class=\"why\">{}:{}: no link: {}</span>",
                esc(&f.location.file),
                f.location.line,
                esc(w)
            );
        }
    }
    if let Some(b) = &doc.bisection
        && let Some(i) = b.tests.iter().position(|t| t.line == index)
    {
        let tl = links.tests.iter().find(|l| l.test == i);
        let v = verdict_word(tl.and_then(|l| l.verdict).or(b.tests[i].verdict));
        let _ = write!(out, "  <span class=\"badge {v}\">{v}</span>");
        if tl.is_some_and(|l| l.culprit) {
            out.push_str(" <span class=\"badge culprit\">culprit</span>");
        }
    }
    out.push_str("</span></div>\n");
    for f in frames {
        if let Some(s) = &f.snippet {
            let open = !*opened_first && in_report;
            *opened_first |= open;
            snippet_html(out, f, s, open);
            out.push('\n');
        }
    }
}

fn loc_html(out: &mut String, f: &FrameLink, text: &str) {
    let flag = if f
        .snippet
        .as_ref()
        .is_some_and(|s| matches!(s.fit, Some(Fit::Mismatch { .. })))
    {
        " <span class=\"warnflag\" title=\"does not fit its frame\">⚠</span>"
    } else {
        ""
    };
    match f.url.as_deref().and_then(href) {
        Some(u) => {
            let _ = write!(out, "<a class=\"loc\" href=\"{u}\">{}</a>{flag}", esc(text));
        }
        None => {
            let _ = write!(out, "<span class=\"loc nolink\">{}</span>{flag}", esc(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kresym_link::{LinkOptions, Linker};

    #[test]
    fn escapes_and_links() {
        let doc = kresym_report::parse(
            "BUG: <script>alert(1)</script>\n send_sigio+0x8a/0x270 fs/fcntl.c:798\n",
        );
        let linker = Linker::new(LinkOptions {
            repo: Some("upstream".into()),
            commit: Some("7bc3e6e55acf065500a24621f3b313e7e5998acf".into()),
            ..Default::default()
        })
        .unwrap();
        let html = render(&doc, &linker.link_document(&doc));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains(
            "<a class=\"loc\" href=\"https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/fs/fcntl.c?id=7bc3e6e55acf065500a24621f3b313e7e5998acf#n798\">fs/fcntl.c:798</a>"
        ), "{html}");
        assert!(!html.contains("src=\"http"), "self-contained");
        assert_eq!(href("javascript:alert(1)"), None);
    }

    /// Opens the page of a linked bisection log in headless Chromium:
    /// the links must be in the DOM and a screenshot must render.
    /// Skips without `/usr/bin/chromium`, except under CI, where it fails
    /// (see `kresym_test_support`).
    #[test]
    fn chromium_shows_links_and_renders_a_screenshot() {
        use std::process::Stdio;
        use std::time::{Duration, Instant};

        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("shot.png");
        let Some(mut chromium) =
            kresym_test_support::headless_chromium(&dir.path().join("profile"), &png)
        else {
            return;
        };
        let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/seeds/bisect-deadlock-send_sigio.txt");
        let bytes = std::fs::read(&seed);
        if !kresym_test_support::require(bytes.is_ok(), &format!("seed {}", seed.display())) {
            return;
        }
        let bytes = bytes.unwrap();
        let doc = kresym_report::parse(bytes);

        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("fs")).unwrap();
        let mut fcntl = String::new();
        for i in 1..=820 {
            fcntl.push_str(match i {
                780 => "void send_sigio(struct fown_struct *fown, int fd, int band)\n",
                781 => "{\n",
                798 => "\t\tread_lock(&tasklist_lock);\n",
                _ => "\tstep();\n",
            });
        }
        std::fs::write(src.join("fs/fcntl.c"), fcntl).unwrap();
        let linker = Linker::new(LinkOptions {
            repo: Some("https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git".into()),
            snippets: true,
            source: kresym_link::SourceChoice::Dir(src),
            ..Default::default()
        })
        .unwrap();
        let links = linker.link_document(&doc);
        let page = dir.path().join("report.html");
        std::fs::write(&page, render(&doc, &links)).unwrap();

        let mut child = chromium
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
            s
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish in 120 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let dom = reader.join().unwrap();
        let sha = "7bc3e6e55acf065500a24621f3b313e7e5998acf";
        let korg = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";
        assert!(
            dom.contains(&format!("href=\"{korg}/tree/fs/fcntl.c?id={sha}#n798\"")),
            "fs/fcntl.c:798 link missing from the DOM"
        );
        assert!(dom.contains(&format!("href=\"{korg}/commit/?id={sha}\"")));
        assert!(dom.contains("class=\"culprit-card\""));
        assert!(dom.contains("<details class=\"snip\""));
        let n_links = dom.matches("class=\"loc\" href=").count();
        assert!(n_links > 100, "{n_links} links");

        let shot = std::fs::read(&png).expect("screenshot written");
        assert!(shot.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        let width = u32::from_be_bytes(shot[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(shot[20..24].try_into().unwrap());
        assert_eq!((width, height), (1280, 1600));
        // A blank page compresses to almost nothing; this one has text.
        assert!(shot.len() > 50_000, "screenshot only {} bytes", shot.len());
    }
}
