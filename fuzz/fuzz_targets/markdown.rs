//! Hostile reports and links rendered as Markdown, then rendered by a real
//! CommonMark implementation (pulldown-cmark, every extension): no raw HTML
//! but the renderer's own `<details>`/`<summary>`, no image, no link that is
//! not http(s), no carriage return (a line end to other implementations),
//! and the log's `text` code blocks give back every input line whole.
#![no_main]

#[path = "hostile_links.rs"]
mod hostile_links;

use libfuzzer_sys::fuzz_target;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

fuzz_target!(|data: &[u8]| {
    let Some((doc, links)) = hostile_links::document_and_links(data) else {
        return;
    };
    let md = kresym_render::markdown::render(&doc, &links);
    assert!(!md.contains('\r'), "carriage return in\n{md}");
    let mut in_log = false;
    let mut log = String::new();
    let mut html = String::new();
    let events: Vec<Event> = Parser::new_ext(&md, Options::all()).collect();
    for e in &events {
        match e {
            Event::Start(Tag::Link { dest_url, .. }) => {
                assert!(hostile_links::safe_href(dest_url), "link to {dest_url:?} in\n{md}");
                assert!(!dest_url.starts_with('#'), "in-page link {dest_url:?}");
            }
            Event::Start(Tag::Image { dest_url, .. }) => panic!("image {dest_url:?} in\n{md}"),
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                in_log = info.as_ref() == "text";
            }
            Event::End(TagEnd::CodeBlock) => in_log = false,
            Event::Text(t) if in_log => log.push_str(t),
            Event::Html(h) | Event::InlineHtml(h) => {
                let rest = h
                    .replace("<details>", "")
                    .replace("</details>", "")
                    .replace("<summary>", "")
                    .replace("</summary>", "");
                assert!(!rest.contains('<'), "raw HTML {h:?} in\n{md}");
            }
            _ => {}
        }
    }
    let want: String = hostile_links::shown_lines(&doc)
        .into_iter()
        .map(|l| l + "\n")
        .collect();
    assert_eq!(log, want, "the log's code blocks in\n{md}");
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
});
