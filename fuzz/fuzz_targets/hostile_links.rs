//! A hostile report and hostile links, made from one fuzz input: shared by
//! the `markdown` and `html` targets, with the checks both outputs must pass.
//!
//! Input: one flags byte, then the report, then (after the first `0xff`
//! byte) text that is served as every source file for snippets and, with
//! flag 4, cut into lines that replace every link's file, function, URL
//! and warning, whatever the linker made of them.

use kresym_link::{DocumentLinks, LinkOptions, Linker, Repo, SourceError, SourceProvider};
use kresym_report::Document;

/// Serves the same text as every file.
struct Served(String);

impl SourceProvider for Served {
    fn fetch(&self, _: Option<&Repo>, _: &str, _: &str) -> Result<String, SourceError> {
        Ok(self.0.clone())
    }
}

/// The document and links a fuzz input stands for.
pub fn document_and_links(data: &[u8]) -> Option<(Document, DocumentLinks)> {
    let (&flags, rest) = data.split_first()?;
    let (report, source) = match rest.iter().position(|&b| b == 0xff) {
        Some(i) => (&rest[..i], String::from_utf8_lossy(&rest[i + 1..]).into_owned()),
        None => (rest, String::new()),
    };
    let doc = kresym_report::parse(report.to_vec());
    let options = LinkOptions {
        // Flag 1: the email's `git tree:` (hostile or not) instead of --repo.
        repo: (flags & 1 == 0).then(|| "upstream".to_string()),
        commit: (flags & 8 == 0).then(|| "7bc3e6e55acf065500a24621f3b313e7e5998acf".to_string()),
        snippets: true,
        context: 2,
        jobs: 1,
        ..Default::default()
    };
    // Flag 2: snippets from the served text.
    let provider: Option<Box<dyn SourceProvider>> =
        (flags & 2 != 0).then(|| Box::new(Served(source.clone())) as Box<dyn SourceProvider>);
    let linker = Linker::with_provider(options, provider).ok()?;
    let mut links = linker.link_document(&doc);
    if flags & 4 != 0 {
        let mut pieces = source.split('\n').cycle();
        for f in links.lines.iter_mut().flat_map(|l| l.links.iter_mut()) {
            f.location.file = pieces.next().unwrap_or_default().to_string();
            f.function = Some(pieces.next().unwrap_or_default().to_string());
            f.url = Some(pieces.next().unwrap_or_default().to_string());
            f.warnings.push(pieces.next().unwrap_or_default().to_string());
        }
        links.culprit_url = Some(pieces.next().unwrap_or_default().to_string());
    }
    Some((doc, links))
}

/// Each line of `doc` as the renderers must show it: control characters
/// but the tab as their pictures.
pub fn shown_lines(doc: &Document) -> Vec<String> {
    doc.lines
        .iter()
        .map(|l| {
            let bytes = doc.line_bytes(l);
            let bytes = &bytes[..bytes.len() - l.terminator_len];
            String::from_utf8_lossy(bytes)
                .chars()
                .map(|c| match c {
                    '\t' => c,
                    '\0'..='\x1f' => char::from_u32(0x2400 + c as u32).unwrap(),
                    '\x7f' => '\u{2421}',
                    c if c.is_control() => '\u{fffd}',
                    c => c,
                })
                .collect()
        })
        .collect()
}

/// Whether `url` is one a rendered page may link to.
pub fn safe_href(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://") || u.starts_with('#')
}
