//! Bad input never panics, and spans always point at their text.

use kresym_link::{LinkOptions, Linker, Repo};
use proptest::prelude::*;

fn linker() -> Linker {
    Linker::new(LinkOptions {
        repo: Some("upstream".into()),
        commit: Some("abcdef1".into()),
        ..Default::default()
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn repo_parse_never_panics(s in "\\PC{0,60}") {
        let _ = Repo::parse(&s, None);
        let _ = kresym_link::resolve_repo(&s, Some(kresym_link::Forge::Cgit));
    }

    #[test]
    fn link_document_never_panics_and_spans_fit(
        lines in prop::collection::vec(
            prop_oneof![
                "\\PC{0,40}",
                " [a-z_]{1,12}\\+0x[0-9a-f]{1,4}/0x[0-9a-f]{1,4} [a-z./_]{0,20}\\.[ch]:[0-9]{1,5}( \\[inline\\])?",
                "[a-z_]{1,10} [a-z/]{1,10}\\.c:[0-9]{1,6}(:[0-9]{1,3})? \\[inline\\]",
                "testing commit [0-9a-f]{40} with gcc",
                "WARNING: CPU: 0 PID: 1 at [a-z/.]{1,20}\\.c:[0-9]{1,4} f\\+0x1/0x2",
            ],
            0..20,
        )
    ) {
        let text = lines.join("\n");
        let doc = kresym_report::parse(text);
        let links = linker().link_document(&doc);
        for l in &links.lines {
            let bytes = doc.line_bytes(&doc.lines[l.line]);
            let line = String::from_utf8_lossy(bytes);
            for f in &l.links {
                if let Some(span) = &f.span {
                    let got = line.get(span.clone());
                    prop_assert!(got.is_some(), "span {span:?} out of {line:?}");
                    prop_assert!(got.unwrap().starts_with(&f.location.file));
                }
            }
        }
        let _ = kresym_link::DocumentLinks::all_warnings(&links);
    }
}
