//! Any bytes through the report parser: it never panics, and the lines tile
//! the input so that rendering it unchanged gives it back byte for byte.
#![no_main]

use kresym_report::{LineKind, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check(data));

/// The parser's invariants on one input.
pub fn check(data: &[u8]) {
    let doc = parse(data.to_vec());
    assert_eq!(doc.render_unchanged(), data);
    let mut start = 0;
    for (i, line) in doc.lines.iter().enumerate() {
        assert_eq!(line.number, i + 1);
        assert_eq!(line.range.start, start);
        assert!(line.console_prefix_len + line.terminator_len <= line.range.len());
        start = line.range.end;
        let content = doc.line_content(line);
        match &line.kind {
            LineKind::Frame(f) => {
                assert!(f.spans.symbol.end <= content.len());
                assert_eq!(&content[f.spans.function.clone()], f.function.as_bytes());
                let _ = doc.frame_prefix(line, f);
            }
            LineKind::InlineFrame(f) => assert!(f.function_span.end <= content.len()),
            LineKind::RawAddress(r) => assert!(r.span.end <= content.len()),
            _ => {}
        }
    }
    assert_eq!(start, data.len());
    for report in &doc.reports {
        assert!(report.lines.start < report.lines.end && report.lines.end <= doc.lines.len());
        let _ = doc.report_lines(report);
    }
}
