//! Hostile reports and links rendered as the HTML page, parsed as a browser
//! would (html5ever, through scraper): no element but those the renderer
//! writes (no script), no event attribute, no `src`, no link that is not
//! http(s) or in-page, one style element, and every log line's text whole.
#![no_main]

#[path = "hostile_links.rs"]
mod hostile_links;

use libfuzzer_sys::fuzz_target;

const ELEMENTS: &[&str] = &[
    "html", "head", "body", "meta", "title", "style", "main", "header", "footer", "nav", "section",
    "h1", "h2", "h3", "dl", "dt", "dd", "p", "ol", "ul", "li", "a", "code", "span", "div",
    "strong", "details", "summary", "table", "thead", "tbody", "tr", "th", "td",
];

fuzz_target!(|data: &[u8]| {
    let Some((doc, links)) = hostile_links::document_and_links(data) else {
        return;
    };
    let page = kresym_render::html::render(&doc, &links);
    assert!(!page.to_ascii_lowercase().contains("<script"), "{page}");
    let dom = scraper::Html::parse_document(&page);
    let mut styles = 0;
    for node in dom.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        assert!(ELEMENTS.contains(&el.name()), "<{}> in\n{page}", el.name());
        styles += usize::from(el.name() == "style");
        for (attr, value) in el.attrs() {
            let attr = attr.to_ascii_lowercase();
            assert!(!attr.starts_with("on"), "{attr}={value:?}");
            assert!(!matches!(attr.as_str(), "src" | "srcset" | "style" | "srcdoc"), "{attr}");
            if attr == "href" {
                assert!(hostile_links::safe_href(value), "href {value:?}");
            }
        }
    }
    assert_eq!(styles, 1);
    let tx = scraper::Selector::parse("div.ln > span.tx").unwrap();
    let shown: Vec<String> = dom.select(&tx).map(|e| e.text().collect()).collect();
    let want = hostile_links::shown_lines(&doc);
    assert_eq!(shown.len(), want.len());
    for (got, want) in shown.iter().zip(&want) {
        assert!(got.starts_with(want.as_str()), "{got:?} is not {want:?}");
    }
});
