//! Round trip and bad input: parsing never panics and rendering a parsed
//! input with nothing changed gives back the input byte for byte.

use kresym_report::{LineKind, parse};
use proptest::prelude::*;

fn check_round_trip(bytes: &[u8]) {
    let doc = parse(bytes.to_vec());
    assert_eq!(doc.render_unchanged(), bytes);
    assert_eq!(doc.text, bytes);
    let mut start = 0;
    for (i, line) in doc.lines.iter().enumerate() {
        assert_eq!(line.number, i + 1);
        assert_eq!(line.range.start, start);
        assert!(line.range.end > line.range.start);
        assert!(line.console_prefix_len + line.terminator_len <= line.range.len());
        start = line.range.end;
        if let LineKind::Frame(f) = &line.kind {
            let content = doc.line_content(line);
            assert!(f.spans.symbol.end <= content.len());
            assert_eq!(&content[f.spans.function.clone()], f.function.as_bytes());
        }
    }
    assert_eq!(start, bytes.len());
    for r in &doc.reports {
        assert!(r.lines.start < r.lines.end && r.lines.end <= doc.lines.len());
    }
}

/// Bytes biased towards what kernel logs are made of.
fn log_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"[   12.345678][  T123] ".to_vec()),
        Just(b"<4>".to_vec()),
        Just(b" func+0x12/0x40".to_vec()),
        Just(b" ? ".to_vec()),
        Just(b"[<ffffffff81234567>]".to_vec()),
        Just(b" [mod 0123abcd]".to_vec()),
        Just(b" net/core/dev.c:12".to_vec()),
        Just(b" [inline]".to_vec()),
        Just(b"BUG: KASAN: use-after-free in ".to_vec()),
        Just(b"WARNING: CPU: 0 PID: 1 at a.c:1 ".to_vec()),
        Just(b"Call Trace:".to_vec()),
        Just(b"RIP: 0010:".to_vec()),
        Just(b"testing commit 0123456789abcdef0123456789abcdef01234567".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn arbitrary_bytes_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_round_trip(&bytes);
    }

    #[test]
    fn log_like_bytes_round_trip(bytes in log_bytes()) {
        check_round_trip(&bytes);
    }
}

#[test]
fn empty_input() {
    let doc = parse(Vec::new());
    assert!(doc.lines.is_empty() && doc.reports.is_empty() && doc.warnings.is_empty());
    assert!(doc.render_unchanged().is_empty());
}

#[test]
fn crlf_and_invalid_utf8() {
    let input =
        b"BUG: KASAN: use-after-free in f\xff+0x1/0x2\r\nCall Trace:\r\n \xfe g+0x10/0x20\r\n"
            .to_vec();
    check_round_trip(&input);
    let doc = parse(input);
    assert!(matches!(doc.lines[1].kind, LineKind::Marker(_)));
    let LineKind::Frame(f) = &doc.lines[2].kind else {
        panic!("{:?}", doc.lines[2].kind)
    };
    assert_eq!(f.function, "g");
}

#[test]
fn binary_garbage() {
    let mut state = 0x1234_5678_9abc_def0_u64;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    check_round_trip(&bytes);
}

#[test]
fn ten_megabyte_single_line() {
    let mut line = Vec::with_capacity(10 << 20);
    while line.len() < 10 << 20 {
        line.extend_from_slice(b" func+0x12/ BUG: x+0x1 [<ffff>] ");
    }
    let doc = parse(line.clone());
    assert_eq!(doc.lines.len(), 1);
    assert_eq!(doc.render_unchanged(), line);
}

#[test]
fn ten_megabyte_report_header() {
    for header in [
        &b"BUG: KASAN: use-after-free in "[..],
        b"WARNING: CPU: 0 PID: 1 at a.c:1 ",
        b"INFO: rcu_sched self-detected stall on CPU ",
        b"general protection fault ",
    ] {
        let mut line = header.to_vec();
        while line.len() < 10 << 20 {
            line.extend_from_slice(b"x+0x1/ [<ffff> ? Call Trace: at: ");
        }
        line.extend_from_slice(b"\n foo+0x1/0x2\n");
        let start = std::time::Instant::now();
        let doc = parse(line.clone());
        assert_eq!(doc.render_unchanged(), line);
        assert_eq!(doc.reports.len(), 1);
        assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
    }
}

#[test]
fn truncated_and_impossible_frames_are_warnings() {
    let doc = parse(
        b"Call Trace:\n func+0x12/\n func+0x12\n big+0x100/0x10\n huge+0x1/0x123456789abcdef012\n ok+0x1/0x2\n"
            .to_vec(),
    );
    for i in 1..=4 {
        assert!(matches!(doc.lines[i].kind, LineKind::Text), "line {i}");
        assert!(
            doc.warnings.iter().any(|w| w.line == i + 1),
            "no warning for line {}: {:?}",
            i + 1,
            doc.warnings
        );
    }
    assert!(matches!(doc.lines[5].kind, LineKind::Frame(_)));
}
