//! Hostile reports rendered as Markdown and HTML (issues #15 and #16).
//!
//! The Markdown is rendered to HTML by a real CommonMark implementation
//! (pulldown-cmark, every extension on, raw HTML allowed, as GitHub and
//! GitLab allow `<details>`), and both that HTML and the HTML renderer's
//! page are parsed as a browser would (html5ever, through scraper). Neither
//! may hold a script, an event attribute, a link that is not http(s) or an
//! in-page anchor, or any element the renderer does not itself write; and
//! every line of the input must come back whole inside a code block.

use std::path::Path;

use kresym_link::{
    ChosenCommit, CommitSource, DocumentLinks, Fit, Forge, FrameLink, LineLinks, LinkOptions,
    Linker, Repo, SourceChoice,
};
use kresym_render::{html, markdown};
use kresym_report::{Document, SourceLocation};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

const SHA: &str = "7bc3e6e55acf065500a24621f3b313e7e5998acf";
const SCRIPT_REPO: &str =
    "https://github.com/a/b)<script>alert(document.cookie)</script>[x](javascript:alert(1))";

/// Elements the CommonMark rendering of kresym's Markdown may contain.
const MARKDOWN_ELEMENTS: &[&str] = &[
    "html",
    "head",
    "body",
    "h1",
    "h2",
    "p",
    "ul",
    "li",
    "a",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "details",
    "summary",
    "strong",
    "blockquote",
    "br",
];

/// Elements the HTML page may contain.
const HTML_ELEMENTS: &[&str] = &[
    "html", "head", "body", "meta", "title", "style", "main", "header", "footer", "nav", "section",
    "h1", "h2", "h3", "dl", "dt", "dd", "p", "ol", "ul", "li", "a", "code", "span", "div",
    "strong", "details", "summary", "table", "thead", "tbody", "tr", "th", "td",
];

/// The lines a code block must reproduce: each input line with control
/// characters shown as their pictures.
fn shown(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => c,
            '\0'..='\x1f' => char::from_u32(0x2400 + c as u32).unwrap(),
            '\x7f' => '\u{2421}',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Render `md` with pulldown-cmark; check its links and code blocks.
/// Returns the HTML and the text of every `text` code block.
fn commonmark(md: &str) -> (String, String) {
    let events: Vec<Event> = Parser::new_ext(md, Options::all()).collect();
    let mut in_text_block = false;
    let mut blocks = String::new();
    for e in &events {
        match e {
            Event::Start(Tag::Link { dest_url, .. }) => {
                assert!(
                    dest_url.starts_with("https://") || dest_url.starts_with("http://"),
                    "link to {dest_url:?} in\n{md}"
                );
            }
            Event::Start(Tag::Image { dest_url, .. }) => panic!("image {dest_url:?} in\n{md}"),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                in_text_block = info.as_ref() == "text";
            }
            Event::End(TagEnd::CodeBlock) => in_text_block = false,
            Event::Text(t) if in_text_block => blocks.push_str(t),
            Event::Html(h) | Event::InlineHtml(h) => {
                let rest = h
                    .replace("<details>", "")
                    .replace("</details>", "")
                    .replace("<summary>", "")
                    .replace("</summary>", "");
                assert!(
                    !rest.contains('<'),
                    "raw HTML {h:?} the renderer did not write, in\n{md}"
                );
            }
            _ => {}
        }
    }
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events.into_iter());
    (out, blocks)
}

/// `md` rendered by cmark-gfm, GitHub's own Markdown implementation (raw
/// HTML allowed, GitHub's extensions but its tag filter). `None` when it is
/// not installed, outside CI; under `CI` a missing cmark-gfm fails.
fn cmark_gfm(md: &str) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let child = Command::new("cmark-gfm")
        .args([
            "--unsafe",
            "-e",
            "table",
            "-e",
            "autolink",
            "-e",
            "strikethrough",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            let in_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
            assert!(
                !in_ci,
                "CI=true but cmark-gfm cannot run ({e}): apt-get install -y cmark-gfm"
            );
            eprintln!("SKIP the cmark-gfm check: {e} (apt-get install -y cmark-gfm)");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(md.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Parse `page` as a browser would and check every element and attribute.
fn check_dom(page: &str, allowed: &[&str], what: &str) {
    assert!(
        !page.to_ascii_lowercase().contains("<script"),
        "{what}: `<script` in\n{page}"
    );
    let dom = scraper::Html::parse_document(page);
    let mut styles = 0;
    for node in dom.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name();
        assert!(
            allowed.contains(&name),
            "{what}: element <{name}> in\n{page}"
        );
        if name == "style" {
            styles += 1;
        }
        for (attr, value) in el.attrs() {
            let attr = attr.to_ascii_lowercase();
            assert!(
                !attr.starts_with("on"),
                "{what}: event attribute {attr}={value:?}"
            );
            assert!(
                !matches!(
                    attr.as_str(),
                    "src" | "srcset" | "action" | "formaction" | "srcdoc"
                ),
                "{what}: attribute {attr}={value:?}"
            );
            // pulldown-cmark aligns table columns with a style attribute
            // (cmark-gfm with `align`).
            if attr == "style" {
                assert!(
                    [
                        "text-align: left",
                        "text-align: right",
                        "text-align: center"
                    ]
                    .contains(&value),
                    "{what}: style {value:?}"
                );
            }
            if attr == "href" {
                let v = value.trim().to_ascii_lowercase();
                // GitHub's autolink extension makes e-mail addresses
                // (an author's, say) mailto: links.
                assert!(
                    v.starts_with("https://")
                        || v.starts_with("http://")
                        || v.starts_with('#')
                        || (v.starts_with("mailto:") && what.ends_with("(cmark-gfm)")),
                    "{what}: href {value:?}"
                );
            }
            if name == "meta" {
                assert!(
                    matches!(attr.as_str(), "charset" | "name" | "content"),
                    "{what}: meta {attr}={value:?}"
                );
                assert_ne!(value.to_ascii_lowercase(), "refresh", "{what}");
            }
        }
    }
    assert!(styles <= 1, "{what}: {styles} style elements");
}

/// Render `doc` with `links` both ways and check both.
fn check_both(doc: &Document, links: &DocumentLinks, what: &str) -> (String, String) {
    let md = markdown::render(doc, links);
    // CommonMark (and cmark-gfm, which GitHub runs) ends a line at a lone
    // carriage return; pulldown-cmark does not, so check for it here.
    assert!(!md.contains('\r'), "{what}: carriage return in\n{md}");
    let (md_html, blocks) = commonmark(&md);
    check_dom(&md_html, MARKDOWN_ELEMENTS, &format!("{what} (Markdown)"));
    if let Some(gfm) = cmark_gfm(&md) {
        check_dom(&gfm, MARKDOWN_ELEMENTS, &format!("{what} (cmark-gfm)"));
    }
    let want: String = (0..doc.lines.len())
        .map(|i| {
            let l = &doc.lines[i];
            let bytes = doc.line_bytes(l);
            let bytes = &bytes[..bytes.len() - l.terminator_len];
            shown(&String::from_utf8_lossy(bytes)) + "\n"
        })
        .collect();
    assert_eq!(blocks, want, "{what}: the log's code blocks\n{md}");
    let page = html::render(doc, links);
    check_dom(&page, HTML_ELEMENTS, &format!("{what} (HTML)"));
    // Every line of the log shows its text whole (links and badges follow).
    let dom = scraper::Html::parse_document(&page);
    let tx = scraper::Selector::parse("div.ln > span.tx").unwrap();
    let shown_lines: Vec<String> = dom.select(&tx).map(|e| e.text().collect()).collect();
    assert_eq!(shown_lines.len(), doc.lines.len(), "{what}: HTML lines");
    for (got, want) in shown_lines.iter().zip(want.lines()) {
        assert!(
            got.starts_with(want),
            "{what}: HTML line {got:?} is not {want:?}"
        );
    }
    (md, page)
}

fn linker(repo: Option<&str>, commit: Option<&str>) -> Linker {
    Linker::new(LinkOptions {
        repo: repo.map(str::to_string),
        commit: commit.map(str::to_string),
        ..Default::default()
    })
    .unwrap()
}

/// The email of issue #15: its `git tree:` would have been written into
/// `- Repository:` and every link. It is ignored, with a warning.
#[test]
fn email_whose_git_tree_smuggles_a_script() {
    let doc = kresym_report::parse(format!(
        "HEAD commit:    3b07ec4c1a2b Merge <img src=x onerror=alert(1)> [x](javascript:alert(1))\n\
         git tree:       {SCRIPT_REPO}\n\
         dashboard link: javascript:alert(1)\n\
         compiler:       <script>alert(5)</script> {{onclick=alert(6)}}\n\
         \n\
         BUG: KASAN: use-after-free in tcp_v4_rcv\n\
         Call Trace:\n \
         tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:12\n"
    ));
    assert!(doc.email.is_some());
    let links = linker(None, None).link_document(&doc);
    assert!(links.repo.is_none());
    let (md, page) = check_both(&doc, &links, "hostile email");
    assert!(!md.contains("- Repository:"), "{md}");
    assert!(
        md.contains("**No source links:** ignored the email"),
        "{md}"
    );
    assert!(
        page.contains("<p class=\"nolinks\"><strong>No source links:</strong> ignored the email")
    );
    // The same string as --repo is refused.
    let err = Linker::new(LinkOptions {
        repo: Some(SCRIPT_REPO.into()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("bad repository URL"), "{err}");
}

/// Issue #15 from the renderer's side: whatever the linker hands over (a
/// repository, URLs, file and function names, warnings, snippet lines and
/// commits that are all hostile), nothing reaches the page as markup.
#[test]
fn hostile_links_are_escaped_wherever_they_land() {
    let doc = kresym_report::parse(
        "BUG: KASAN: use-after-free in f\nCall Trace:\n f+0x1/0x2 a.c:1\n g+0x1/0x2 b.c:2\n",
    );
    let repo = Repo {
        forge: Forge::GitHub,
        base: SCRIPT_REPO.into(),
        scheme: "https".into(),
        host: "github.com".into(),
        path: "/a/b".into(),
    };
    let hostile_commit = ChosenCommit {
        commit: "`</summary><script>alert(7)</script>".into(),
        source: CommitSource::Explicit,
    };
    let snippet = kresym_link::Snippet {
        first_line: 1,
        lines: vec![
            "```".into(),
            "</details><script>alert(8)</script>".into(),
            "x\r```\r<script>alert(9)</script>".into(),
            "~~~~ <img src=x onerror=alert(10)>".into(),
        ],
        target_line: 2,
        fit: Some(Fit::Mismatch {
            message: "<b onmouseover=alert(11)>x</b>".into(),
        }),
    };
    let frame = |file: &str, url: &str, function: &str| FrameLink {
        location: SourceLocation {
            file: file.into(),
            line: 1,
            column: None,
        },
        function: Some(function.into()),
        span: None,
        commit: Some(hostile_commit.clone()),
        url: Some(url.into()),
        snippet: Some(snippet.clone()),
        warnings: vec!["<script>alert(12)</script> | [x](javascript:alert(13))".into()],
    };
    let links = DocumentLinks {
        repo: Some(repo),
        lines: vec![
            LineLinks {
                line: 2,
                links: vec![
                    frame(
                        "a/<img src=x onerror=alert(14)>.c",
                        "javascript:alert(15)",
                        "f`|<script>",
                    ),
                    frame(
                        "a/](javascript:alert(16)).c",
                        "https://x.example/\" onmouseover=\"alert(17)\" a=\")<script>",
                        "``` ```",
                    ),
                ],
            },
            LineLinks {
                line: 3,
                links: vec![frame(
                    "b.c\r<script>alert(18)</script>",
                    "data:text/html,<script>alert(19)</script>",
                    "g\r# h {onclick=alert(20)}",
                )],
            },
        ],
        commits: Vec::new(),
        tests: Vec::new(),
        culprit_url: Some("javascript:alert(21)".into()),
        maintainers: {
            let file = kresym_link::maintainers::Maintainers::parse(
                "X <script>alert(30)</script>\nM:\t<script>alert(31)</script> <a@b>\n\
                 R:\t[x](javascript:alert(32))\nL:\t`` <img src=x onerror=alert(33)>\nF:\t*\nF:\t*/\n",
            );
            (0..4)
                .map(|report| kresym_link::ReportMaintainers {
                    report,
                    guilty_file: "x.c".into(),
                    sections: file
                        .covering("a/x.c", None)
                        .into_iter()
                        .map(|c| c.section.clone())
                        .collect(),
                })
                .collect()
        },
        warnings: vec!["</details><script>alert(22)</script>".into()],
        ignored_tree: None,
    };
    let (md, html) = check_both(&doc, &links, "hostile links");
    // The hostile MAINTAINERS entries were shown, as text.
    assert!(
        md.contains("Maintainers:") && html.contains("Maintainers:"),
        "{md}"
    );
}

/// Issue #15, part 2: a frame line with a triple backtick closed the
/// inline code span it was written into.
#[test]
fn backticks_in_frame_lines_stay_inside_the_code() {
    let doc = kresym_report::parse(
        "BUG: KASAN: use-after-free in tcp_v4_rcv\nCall Trace:\n \
         ```<script>alert(2)</script>``` tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:12\n \
         ```` send_sigio+0x8a/0x270 fs/fcntl.c:798\n\
         ````\n\
         ```text\n\
         `\n\
         <script>alert(23)</script>\n\
         \x20  ```\n\
         ~~~\n\
         line\rwith\rcarriage <script>alert(24)</script>\r```\n\
         \x1b[31m colour \x00 nul \u{85} next-line\n",
    );
    let links = linker(Some("upstream"), Some(SHA)).link_document(&doc);
    assert!(links.all_links().count() >= 2);
    let (md, _) = check_both(&doc, &links, "backticks");
    assert!(md.contains("[net/ipv4/tcp\\_ipv4.c:12]("), "{md}");
}

/// Report titles are made of report text: in a heading, `{onclick=...}`
/// at the end is an attribute block to some Markdown implementations.
#[test]
fn hostile_titles() {
    let doc = kresym_report::parse(
        "WARNING: CPU: 0 PID: 1 at net/<x>.c:1 f+0x1/0x2 {onclick=alert(37)}\n\
         Call Trace:\n f+0x1/0x2 net/core/dev.c:1\n\
         BUG: KASAN: slab-out-of-bounds in <script>alert(38)</script> #\n\
         Call Trace:\n g+0x1/0x2 net/core/dev.c:2\n",
    );
    assert!(
        doc.reports[0]
            .title
            .as_deref()
            .unwrap()
            .contains("{onclick=alert")
    );
    let links = linker(Some("upstream"), Some(SHA)).link_document(&doc);
    check_both(&doc, &links, "hostile titles");
}

/// Bisection subjects, authors, dates and results that are hostile.
#[test]
fn hostile_bisection_headers() {
    let doc = kresym_report::parse(format!(
        "bisecting cause commit starting from {SHA}\n\
         testing commit {SHA} with gcc (GCC) 8.1.0\n\
         all runs: crashed: <script>alert(25)</script>\n\
         # git bisect bad {SHA}\n\
         {SHA} is the first bad commit\n\
         commit {SHA}\n\
         Author: Mallory <script>alert(26)</script> <m@x> [x](javascript:alert(27))\n\
         Date:   <img src=x onerror=alert(28)>\n\
         \n    \
         </details><script>alert(29)</script> | subject\n\
         \n\
         crash: WARNING in <script>alert(30)</script> {{onclick=alert(31)}}\n\
         WARNING: CPU: 0 PID: 1 at net/<x>.c:1 f+0x1/0x2\n\
         Call Trace:\n \
         f+0x1/0x2 net/core/dev.c:1\n\
         BUG: unable to handle kernel <script>alert(32)</script> # {{onclick=alert(33)}}\n\
         Call Trace:\n \
         g+0x1/0x2 net/core/dev.c:2\n"
    ));
    let links = linker(Some("upstream"), None).link_document(&doc);
    check_both(&doc, &links, "hostile bisection");
}

/// Snippet text from the source tree (or a forge) is hostile too.
#[test]
fn hostile_snippets() {
    let dir = tempfile::tempdir().unwrap();
    let net = dir.path().join("net/ipv4");
    std::fs::create_dir_all(&net).unwrap();
    let mut src = String::new();
    for i in 1..=20 {
        src.push_str(match i {
            10 => "int tcp_v4_rcv(void) { /* ``` */\n",
            11 => "</details><script>alert(34)</script>\n",
            12 => "\treturn x; ```\r</details>\r<script>alert(35)</script>\r```\n",
            13 => "\r~~~~\r<script>alert(36)</script>\n",
            14 => "``````````\n",
            _ => "\tstep();\n",
        });
    }
    std::fs::write(net.join("tcp_ipv4.c"), src).unwrap();
    let doc = kresym_report::parse(
        "BUG: KASAN: use-after-free in tcp_v4_rcv\nCall Trace:\n tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:12\n",
    );
    let links = Linker::new(LinkOptions {
        repo: Some("upstream".into()),
        commit: Some(SHA.into()),
        snippets: true,
        source: SourceChoice::Dir(dir.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap()
    .link_document(&doc);
    let s = links.all_links().next().unwrap().snippet.as_ref().unwrap();
    assert!(s.lines.iter().any(|l| l.contains("alert(35)")));
    let (md, page) = check_both(&doc, &links, "hostile snippet");
    // The snippet comes back whole, in a code block of its own.
    let (_, _) = commonmark(&md);
    let code: String = Parser::new_ext(&md, Options::all())
        .scan(false, |in_c, e| {
            Some(match e {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                    *in_c = info.as_ref() == "c";
                    None
                }
                Event::End(TagEnd::CodeBlock) => {
                    *in_c = false;
                    None
                }
                Event::Text(t) if *in_c => Some(t.into_string()),
                _ => None,
            })
        })
        .flatten()
        .collect();
    assert!(
        code.contains(">12 | \treturn x; ```␍</details>␍<script>alert(35)</script>␍```\n"),
        "{code}"
    );
    assert!(code.contains(" 14 | ``````````\n"), "{code}");
    // The summary of the HTML snippet is its own line, not the location again.
    assert!(
        page.contains("<summary><code>return x; ```␍&lt;/details&gt;␍&lt;script&gt;alert(35)&lt;/script&gt;␍```</code>"),
        "{page}"
    );
}

/// Every seed and sample report, linked, renders safely, and Markdown's
/// code blocks give back every line.
#[test]
fn seeds_and_samples_render_whole() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut inputs: Vec<std::path::PathBuf> = Vec::new();
    for dir in [
        root.join("vmlinux-samples/reports"),
        root.join("../shared/corpus/seeds"),
    ] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            inputs.extend(rd.flatten().map(|e| e.path()));
        }
    }
    assert!(
        !inputs.is_empty(),
        "no sample reports under {}",
        root.display()
    );
    for path in inputs {
        let doc = kresym_report::parse(std::fs::read(&path).unwrap());
        let links = linker(Some("upstream"), None).link_document(&doc);
        check_both(&doc, &links, &path.display().to_string());
    }
}

/// Found by the `html` fuzz target: the reason a location has no link was
/// written right after it, inside the line's text; it goes after the line.
#[test]
fn reasons_for_missing_links_follow_the_line() {
    let doc = kresym_report::parse(
        "BUG: KASAN: x\nCall Trace:\n __sk_add_backlog include/net/sock.h:907 [inline]\n",
    );
    let mut links = linker(Some("upstream"), Some(SHA)).link_document(&doc);
    let f = &mut links.lines[0].links[0];
    assert!(f.span.is_some());
    f.url = None;
    f.warnings.push("<b>no</b> source".into());
    let (md, page) = check_both(&doc, &links, "missing link");
    assert!(
        page.contains("[inline] <span class=\"why\">include/net/sock.h:907: no link: &lt;b&gt;no&lt;/b&gt; source</span>"),
        "{page}"
    );
    assert!(
        md.contains("| 3 | `__sk_add_backlog` | `include/net/sock.h:907` (no link: \\<b\\>no\\</b\\> source) |"),
        "{md}"
    );
}
