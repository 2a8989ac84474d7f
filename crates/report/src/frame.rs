//! Recognizing what one line holds: a `func+0xOFF/0xSIZE` frame, an inline
//! frame, a bare `[<address>]`, or a stack marker.

use std::ops::Range;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use regex::bytes::Regex;

use crate::{
    Frame, FrameSpans, InlineFrame, LineKind, PcKind, RawAddressFrame, SourceLocation, StackMarker,
};

// The searches every line goes through, built once (`memmem::find`
// builds its searcher at every call).
/// What every frame holds.
static PLUS_HEX: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"+0x"));
/// What every inline frame holds.
static INLINE_MARK: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" [inline]"));
/// What every bare address holds.
static ADDRESS_OPEN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"[<"));

/// Where a frame's function name is: the core of syzkaller's
/// `linuxSymbolizeRe`, unanchored, first match per line, with `@` allowed in
/// names for the linker's stub symbols (arm64 erratum veneers such as
/// `e843419@07e3_0000c8a3_1114`) and `$` for arm64's prefixed mapping
/// symbols that kallsyms keeps (`__pi_$x`; Debian's 6.1 arm64 kernel).
///
/// [`frame_match_end`] finds its matches; the pattern is kept as their
/// definition, and the tests check that the two agree.
#[cfg(test)]
static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)(?:\[<(?:0x)?[0-9a-f]+>\])?[ \t]+\(?(?:[0-9]+:)?([a-zA-Z0-9_.@$]+)\+0x([0-9a-f]+)/0x([0-9a-f]+)",
    )
    .expect("frame regex")
});

/// A frame at the very start of a line's message, with no space before
/// it (`cm109_input_ev+0x1ea/0x230 drivers/input/misc/cm109.c:621`), which
/// syzkaller's pattern misses.
static FRAME_AT_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)^([a-zA-Z_][a-zA-Z0-9_.@$]*)\+0x([0-9a-f]+)/0x([0-9a-f]+)")
        .expect("frame at start regex")
});

/// Something that looks like a frame but is not a well-formed one
/// (`func+0x12/`, `func+0x12`), used only to warn.
static LOOSE_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)(?:^|[ \t(:])[a-zA-Z_][a-zA-Z0-9_.]*\+0x[0-9a-fA-F]*(?:/(?:0x)?[0-9a-fA-F]*)?",
    )
    .expect("loose frame regex")
});

/// A ` file:line` or ` file:line:col` annotation right after the size.
static ANNOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)^ ([A-Za-z0-9_.+\-/]*[A-Za-z0-9_]\.[A-Za-z]+):([0-9]+)(?::([0-9]+))?")
        .expect("annotation regex")
});

/// A ` [module]` or ` [module buildid]` suffix.
static MODULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)^ ?\[([a-zA-Z0-9_.\-]+)(?: ([0-9a-fA-F]+))?\]").expect("module regex")
});

/// The `[<address>]` printed before a function.
static ADDRESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)\[< *(?:0x)?([0-9a-f]+)>\]").expect("address regex"));

/// Text before a function name that marks the exact pc. `lr :` and `LR is
/// at` are return addresses and do not match.
/// Also the `WARNING: CPU: 0 PID: 1 at file:line func+off/size` header:
/// modern kernels print the address of the trapping `ud2`/`brk` there.
static EXACT_PC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)(?:(?:^|[^A-Za-z])(?:[RE]?IP|rIP):|(?:^|[^A-Za-z])[RE]?IP +\[<|(?:^|[^A-Za-z])pc ?:|PC is at |(?:^|[^A-Za-z])NIP(?:[^A-Za-z]|$)|WARNING: CPU: [0-9]+ PID: [0-9]+ at )")
        .expect("exact pc regex")
});

/// ` func file:line [inline]`, optionally followed by ` [module]`.
static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)(?:^|[ \t(])([a-zA-Z0-9_.]+) ([A-Za-z0-9_.+\-/]*[A-Za-z0-9_]\.[A-Za-z]+):([0-9]+)(?::([0-9]+))? \[inline\](?: \[([a-zA-Z0-9_.\-]+)\])?",
    )
    .expect("inline regex")
});

/// A line that is only an address: `[<ffffffff8110424c>] ? 0xffffffff8110424c`.
static RAW_ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)^[ \t]*(?:(\?)[ \t]+)?\[<[ \t]*(?:0x)?([0-9a-f]{1,16})>\](?:[ \t]+(\?)?[ \t]*(?:0x[0-9a-f]+|\(null\))?)?[ \t]*$",
    )
    .expect("raw address regex")
});

/// What one line holds, and a warning when it looked like a frame but was not one.
#[derive(Debug, Clone)]
pub struct Classified {
    /// What the line holds.
    pub kind: LineKind,
    /// Why a frame-like line was left as text.
    pub warning: Option<String>,
}

impl Classified {
    fn kind(kind: LineKind) -> Self {
        Classified {
            kind,
            warning: None,
        }
    }
}

/// Recognize what one line holds.
///
/// `line` is the line without its terminator; `content_start` is the length
/// of its console prefix. Spans in the result are relative to the start of
/// `line`, console prefix included.
pub fn classify_line(line: &[u8], content_start: usize) -> Classified {
    let content_start = content_start.min(line.len());
    let has_plus_hex = PLUS_HEX.find(line).is_some();
    if has_plus_hex {
        match parse_frame(line, content_start) {
            Ok(Some(frame)) => return Classified::kind(LineKind::Frame(frame)),
            Err(warning) => {
                return Classified {
                    kind: LineKind::Text,
                    warning: Some(warning),
                };
            }
            Ok(None) => {}
        }
    }
    if INLINE_MARK.find(line).is_some() {
        if let Some(inline) = parse_inline(line) {
            return Classified::kind(LineKind::InlineFrame(inline));
        }
    }
    let content = &line[content_start..];
    if let Some(marker) = parse_marker(content) {
        return Classified::kind(LineKind::Marker(marker));
    }
    if ADDRESS_OPEN.find(content).is_some() {
        if let Some(raw) = parse_raw_address(content, content_start) {
            return Classified::kind(LineKind::RawAddress(raw));
        }
    }
    if has_plus_hex {
        if let Some(m) = LOOSE_FRAME.find(&line[content_start..]) {
            let text = String::from_utf8_lossy(m.as_bytes());
            return Classified {
                kind: LineKind::Text,
                warning: Some(format!(
                    "malformed frame `{}`: expected func+0xOFF/0xSIZE",
                    text.trim_start_matches([' ', '\t', '(', ':'])
                )),
            };
        }
    }
    Classified::kind(LineKind::Text)
}

/// At most 16 hex digits of either case, after an optional `+`, as
/// `u64::from_str_radix(text, 16)` reads them (without its UTF-8 check and
/// general radix loop: two per frame line).
fn parse_hex(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 16 {
        return None;
    }
    let digits = text.strip_prefix(b"+").unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |value, &byte| {
        let digit = char::from(byte).to_digit(16)?;
        Some(value << 4 | u64::from(digit))
    })
}

/// `bytes` as a string, invalid UTF-8 replaced; valid text (every name a
/// kernel prints) is only checked and copied.
fn lossy(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn parse_dec(text: &[u8]) -> Option<u32> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn shift(range: Range<usize>, by: usize) -> Range<usize> {
    range.start + by..range.end + by
}

/// The end of the first `FRAME` match in `line`, found without the
/// regex engine, which took a tenth of a batch's time: the first `+0x`
/// with what the pattern asks around it. Forward, hex digits, `/0x` and
/// hex digits (the match ends after the last); backward, a name (the whole
/// run of name characters, as none of the characters the pattern allows
/// before a name is one), optionally `N:` and `(`, and a blank before.
/// A `[<address>]` before the blank is optional, so it changes nothing.
fn frame_match_end(line: &[u8]) -> Option<usize> {
    let hex = |b: &u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
    let name = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'$');
    let run =
        |from: usize, class: fn(&u8) -> bool| line[from..].iter().take_while(|b| class(b)).count();
    let run_back = |to: usize, class: fn(&u8) -> bool| {
        line[..to].iter().rev().take_while(|b| class(b)).count()
    };
    for plus in PLUS_HEX.find_iter(line) {
        let offset = plus + 3;
        let offset_len = run(offset, hex);
        let slash = offset + offset_len;
        if offset_len == 0 || line.get(slash..slash + 3) != Some(b"/0x") {
            continue;
        }
        let size_len = run(slash + 3, hex);
        let name_len = run_back(plus, name);
        if size_len == 0 || name_len == 0 {
            continue;
        }
        let mut before = plus - name_len;
        if before > 0 && line[before - 1] == b':' {
            let digits = run_back(before - 1, u8::is_ascii_digit);
            if digits == 0 {
                continue;
            }
            before -= 1 + digits;
        }
        if before > 0 && line[before - 1] == b'(' {
            before -= 1;
        }
        if before > 0 && matches!(line[before - 1], b' ' | b'\t') {
            return Some(slash + 3 + size_len);
        }
    }
    None
}

/// The function, offset and size of the `FRAME` match ending at `end`.
///
/// Walking back from the end finds the same groups the pattern captures:
/// each part is a run of one character class between fixed separators
/// (`+0x`, `/0x`) that are not in it. This spares the regex capture engine,
/// which is most of the time of parsing a console log.
fn frame_parts(line: &[u8], end: usize) -> (Range<usize>, Range<usize>, Range<usize>) {
    let run_back = |mut i: usize, class: fn(&u8) -> bool| {
        while i > 0 && class(&line[i - 1]) {
            i -= 1;
        }
        i
    };
    let hex = |b: &u8| matches!(b, b'0'..=b'9' | b'a'..=b'f');
    let name = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'$');
    let size_start = run_back(end, hex);
    let off_end = size_start.saturating_sub(3); // "/0x"
    let off_start = run_back(off_end, hex);
    let func_end = off_start.saturating_sub(3); // "+0x"
    let func_start = run_back(func_end, name);
    (func_start..func_end, off_start..off_end, size_start..end)
}

/// Parse the first `func+0xOFF/0xSIZE` of a line. `Ok(None)` when there is
/// none, `Err` with a warning when there is one that cannot be used.
fn parse_frame(line: &[u8], content_start: usize) -> Result<Option<Frame>, String> {
    let groups = |c: regex::bytes::Captures<'_>, by: usize| {
        let g = |i| {
            c.get(i)
                .map_or(0..0, |m: regex::bytes::Match<'_>| shift(m.range(), by))
        };
        (g(1), g(2), g(3))
    };
    let (func, off, size) = if let Some(end) = frame_match_end(line) {
        frame_parts(line, end)
    } else if let Some(c) = FRAME_AT_START.captures(&line[content_start..]) {
        groups(c, content_start)
    } else {
        return Ok(None);
    };
    let function = lossy(&line[func.clone()]);
    let (Some(offset), Some(size_value)) = (parse_hex(&line[off]), parse_hex(&line[size.clone()]))
    else {
        return Err(format!(
            "frame `{function}`: offset or size does not fit in 64 bits"
        ));
    };
    if offset > size_value {
        return Err(format!(
            "frame `{function}+0x{offset:x}/0x{size_value:x}`: offset is larger than size"
        ));
    }
    let prefix = &line[..func.start];
    let mut pos = size.end;
    let mut annotation = None;
    let mut annotation_span = None;
    if line.get(pos) != Some(&b' ') {
        // Neither an annotation nor a module: nothing to look at.
    } else if let Some(c) = ANNOTATION.captures(&line[pos..]) {
        let whole = c.get(0).map_or(0..0, |m| m.range());
        let next = line.get(pos + whole.end).copied();
        let line_no = c.get(2).and_then(|m| parse_dec(m.as_bytes()));
        if let (Some(file), Some(line_no)) = (c.get(1), line_no) {
            if !next.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                annotation = Some(SourceLocation {
                    file: lossy(file.as_bytes()),
                    line: line_no,
                    column: c.get(3).and_then(|m| parse_dec(m.as_bytes())),
                });
                annotation_span = Some(shift(whole.clone(), pos));
                pos += whole.end;
            }
        }
    }
    let mut module = None;
    let mut build_id = None;
    let mut module_span = None;
    let module_caps = match line.get(pos) {
        Some(b' ' | b'[') => MODULE.captures(&line[pos..]),
        _ => None,
    };
    if let Some(c) = module_caps {
        let name = c.get(1).map(|m| m.as_bytes()).unwrap_or_default();
        if name != b"inline" {
            module = Some(lossy(name));
            build_id = c.get(2).map(|m| lossy(m.as_bytes()));
            module_span = c.get(0).map(|m| shift(m.range(), pos));
        }
    }
    let before = prefix.get(content_start..).unwrap_or(prefix);
    let trimmed = trim_end(before);
    let questionable = trimmed.last() == Some(&b'?')
        && (trimmed.len() == 1 || matches!(trimmed[trimmed.len() - 2], b' ' | b'\t' | b']'));
    let unreliable_suffix = memchr::memmem::find(&line[size.end..], b"(unreliable)").is_some();
    // arm64 since 6.14 marks a frame taken from the registers' pc ` (P)`.
    let after = module_span.as_ref().map_or(pos, |span| span.end);
    let pc_kind = if EXACT_PC.is_match(before) || line[after..].starts_with(b" (P)") {
        PcKind::ExactPc
    } else {
        PcKind::ReturnAddress
    };
    let address = memchr::memmem::find(before, b"[<")
        .and_then(|_| ADDRESS.captures_iter(before).last())
        .and_then(|c| c.get(1))
        .and_then(|m| parse_hex(m.as_bytes()));
    Ok(Some(Frame {
        function,
        offset,
        size: size_value,
        module,
        build_id,
        reliable: !questionable && !unreliable_suffix,
        pc_kind,
        address,
        annotation,
        spans: FrameSpans {
            symbol: func.start..size.end,
            function: func,
            annotation: annotation_span,
            module: module_span,
        },
    }))
}

fn trim_end(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    trim_end(bytes)
}

fn parse_inline(line: &[u8]) -> Option<InlineFrame> {
    let c = INLINE.captures(line)?;
    let func = c.get(1)?;
    Some(InlineFrame {
        function: lossy(func.as_bytes()),
        location: SourceLocation {
            file: lossy(c.get(2)?.as_bytes()),
            line: parse_dec(c.get(3)?.as_bytes())?,
            column: c.get(4).and_then(|m| parse_dec(m.as_bytes())),
        },
        module: c.get(5).map(|m| lossy(m.as_bytes())),
        function_span: func.range(),
    })
}

/// Recognize a stack marker line (`Call Trace:`, `<IRQ>`, ...), given the
/// line's content after its console prefix.
pub fn parse_marker(content: &[u8]) -> Option<StackMarker> {
    let text = trim(content);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    Some(match text {
        b"Call Trace:" | b"Call trace:" | b"Backtrace:" => StackMarker::CallTrace,
        b"<IRQ>" => StackMarker::IrqStart,
        b"</IRQ>" | b"<EOI>" => StackMarker::IrqEnd,
        b"<TASK>" => StackMarker::TaskStart,
        b"</TASK>" => StackMarker::TaskEnd,
        b"<NMI>" => StackMarker::NmiStart,
        b"</NMI>" => StackMarker::NmiEnd,
        b"<SOFTIRQ>" => StackMarker::SoftirqStart,
        b"</SOFTIRQ>" => StackMarker::SoftirqEnd,
        _ => return None,
    })
}

fn parse_raw_address(content: &[u8], content_start: usize) -> Option<RawAddressFrame> {
    let c = RAW_ADDRESS.captures(content)?;
    let addr = c.get(2)?;
    Some(RawAddressFrame {
        address: parse_hex(addr.as_bytes())?,
        reliable: c.get(1).is_none() && c.get(3).is_none(),
        span: shift(addr.range(), content_start),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;

    /// Whether [`frame_match_end`] finds what [`FRAME`] finds in `line`.
    fn agrees(line: &[u8]) -> bool {
        frame_match_end(line) == FRAME.find(line).map(|m| m.end())
    }

    #[test]
    fn frame_matches_are_the_patterns_on_real_lines() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut lines = 0;
        for dir in ["tests/fixtures", "../../../shared/corpus"] {
            let mut pending = vec![root.join(dir)];
            while let Some(path) = pending.pop() {
                if let Ok(entries) = std::fs::read_dir(&path) {
                    pending.extend(entries.flatten().map(|entry| entry.path()));
                } else if let Ok(text) = std::fs::read(&path) {
                    for line in text.split(|&b| b == b'\n') {
                        assert!(
                            agrees(line),
                            "{path:?}: {:?}",
                            String::from_utf8_lossy(line)
                        );
                        lines += 1;
                    }
                }
            }
        }
        assert!(lines > 1000, "{lines} lines");
    }

    /// Lines of pieces the pattern cares about around two near-frames
    /// (a blank or not, a name, `+0x`, hex, `/0x`, hex, each possibly off).
    fn near_frame_lines() -> impl Strategy<Value = Vec<u8>> {
        fn one_of(pieces: &'static [&'static [u8]]) -> impl Strategy<Value = Vec<u8>> + Clone {
            proptest::sample::select(pieces).prop_map(<[u8]>::to_vec)
        }
        let junk = proptest::collection::vec(
            one_of(&[
                b" ",
                b"\t",
                b"(",
                b")",
                b":",
                b"12",
                b"[<ffff8101>]",
                b"[<0x1f>]",
                b"+0x",
                b"/0x",
                b"1f",
                b"a",
                b"Z",
                b"x",
                b"_f.o$@",
                b"+",
                b"/",
                b"0x",
                b"[",
                b"]",
                b"?",
                b"\xff",
            ]),
            0..4,
        )
        .prop_map(|pieces| pieces.concat());
        let frame = (
            one_of(&[b" ", b"\t", b" (", b" 12:", b"(", b":", b"", b"x"]),
            one_of(&[b"a", b"_f.o$@", b"x9", b"", b"-"]),
            one_of(&[b"+0x", b"+0x", b"+", b"+0X"]),
            one_of(&[b"1f", b"a", b"", b"Z"]),
            one_of(&[b"/0x", b"/0x", b"/", b"/0X"]),
            one_of(&[b"1f", b"0", b"", b"g"]),
        )
            .prop_map(|(a, b, c, d, e, f)| [a, b, c, d, e, f].concat());
        (junk.clone(), frame.clone(), junk.clone(), frame, junk)
            .prop_map(|(a, b, c, d, e)| [a, b, c, d, e].concat())
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn frame_matches_are_the_patterns_on_random_lines(line in near_frame_lines()) {
            let line = &line[..];
            prop_assert_eq!(frame_match_end(line), FRAME.find(line).map(|m| m.end()));
        }

        #[test]
        fn hex_is_read_as_the_standard_library_reads_it(
            text in proptest::collection::vec(
                proptest::sample::select(b"+-0159afAFgx \xff".to_vec()),
                0..19,
            )
        ) {
            let std = std::str::from_utf8(&text)
                .ok()
                .filter(|_| !text.is_empty() && text.len() <= 16)
                .and_then(|t| u64::from_str_radix(t, 16).ok());
            prop_assert_eq!(parse_hex(&text), std);
        }

        #[test]
        fn text_is_read_as_from_utf8_lossy_reads_it(bytes in proptest::collection::vec(any::<u8>(), 0..12)) {
            prop_assert_eq!(lossy(&bytes), String::from_utf8_lossy(&bytes));
        }
    }

    fn frame(line: &str) -> Frame {
        let prefix = crate::lines::console_prefix_len(line.as_bytes());
        match classify_line(line.as_bytes(), prefix).kind {
            LineKind::Frame(f) => f,
            other => panic!("{line:?}: not a frame: {other:?}"),
        }
    }

    fn text(line: &str) -> Classified {
        let c = classify_line(line.as_bytes(), 0);
        assert!(matches!(c.kind, LineKind::Text), "{line:?}: {:?}", c.kind);
        c
    }

    #[test]
    fn call_trace_frames() {
        let f = frame(" tcp_add_backlog+0x476/0xce0 net/ipv4/tcp_ipv4.c:1759");
        assert_eq!(f.function, "tcp_add_backlog");
        assert_eq!((f.offset, f.size), (0x476, 0xce0));
        assert_eq!(f.spans.symbol, 1..28);
        assert_eq!(f.spans.annotation, Some(28..53));
        let loc = f.annotation.unwrap();
        assert_eq!((loc.file.as_str(), loc.line), ("net/ipv4/tcp_ipv4.c", 1759));
        assert!(f.reliable);
        assert_eq!(f.pc_kind, PcKind::ReturnAddress);

        let f = frame("[   50.554292][    C1]  ? pn533_send_complete.cold+0x47/0x6c");
        assert_eq!(f.function, "pn533_send_complete.cold");
        assert!(!f.reliable);
        assert_eq!(f.spans.function.start, 26);

        let f = frame("[   37.930900]  [<ffffffff810996ad>] ? trace_hardirqs_on_caller+0xfd/0x1e0");
        assert_eq!(f.address, Some(0xffffffff810996ad));
        assert!(!f.reliable);
    }

    #[test]
    fn modules() {
        let f = frame(" kmalloc_oob_right+0xac/0xc3 [test_kasan]");
        assert_eq!(f.module.as_deref(), Some("test_kasan"));
        assert_eq!(f.spans.module, Some(28..41));
        let f = frame(" foo+0x10/0x20 [kvm 0123456789abcdef]");
        assert_eq!(f.module.as_deref(), Some("kvm"));
        assert_eq!(f.build_id.as_deref(), Some("0123456789abcdef"));
        let f = frame(" x+0x5/0x10 dir/x.c:22 [m]");
        assert_eq!(f.module.as_deref(), Some("m"));
        assert_eq!(f.annotation.unwrap().line, 22);
        assert_eq!(f.spans.annotation, Some(11..22));
        assert_eq!(f.spans.module, Some(22..26));
    }

    #[test]
    fn arm64_unwind_source_markers() {
        // 6.14+: ` (P)` is the registers' pc, every other marker a return
        // address; the marker stays after an annotation or a module.
        for line in [
            " tcp_v4_rcv+0x2a/0x50 (P)",
            " tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:100 (P)",
            " x+0x5/0x10 [m] (P)",
            " x+0x5/0x10 dir/x.c:22 [m 0123abcd] (P)",
        ] {
            assert_eq!(frame(line).pc_kind, PcKind::ExactPc, "{line}");
        }
        for line in [
            " tcp_v4_rcv+0x2a/0x50 (L)",
            " tcp_v4_rcv+0x2a/0x50 (C)",
            " tcp_v4_rcv+0x2a/0x50 (T)",
            " tcp_v4_rcv+0x2a/0x50 x (P)",
        ] {
            assert_eq!(frame(line).pc_kind, PcKind::ReturnAddress, "{line}");
        }
    }

    #[test]
    fn linker_stub_names() {
        let f = frame(" e843419@07e3_0000c8a3_1114+0x6/0x1000");
        assert_eq!(f.function, "e843419@07e3_0000c8a3_1114");
        assert_eq!((f.offset, f.size), (6, 0x1000));
        let f = frame("e835769@0001_00000002_3+0x0/0x8");
        assert_eq!(f.function, "e835769@0001_00000002_3");
        // arm64's position-independent early code keeps its mapping
        // symbols under a prefix, and kallsyms prints them.
        let f = frame(" __pi_$x+0x7e/0xac");
        assert_eq!(f.function, "__pi_$x");
        assert_eq!((f.offset, f.size), (0x7e, 0xac));
    }

    #[test]
    fn exact_pc_lines() {
        for line in [
            "RIP: 0010:default_idle+0x28/0x2e0",
            "[    4.499760][    T1] pc : clear_page+0x14/0x28",
            "PC is at __sanitizer_cov_trace_pc+0x4c/0x78",
            "NIP [c000000000a2a5e0] foo+0x20/0x40",
            "[  12.3] RIP  [<ffffffff8123487f>] __lock_acquire+0x61f/0x4b50",
            "IP: strlen+0x0/0x30",
            "RIP: 0010:[<ffffffff8123487f>]  [<ffffffff8123487f>] __lock_acquire+0x61f/0x4b50",
        ] {
            assert_eq!(frame(line).pc_kind, PcKind::ExactPc, "{line}");
        }
        assert_eq!(
            frame("WARNING: CPU: 0 PID: 12 at net/ipv4/tcp_ipv4.c:106 tcp_add_backlog+0xa0/0xd0")
                .pc_kind,
            PcKind::ExactPc
        );
        let f = frame("RIP: 0010:default_idle+0x28/0x2e0");
        assert_eq!(f.function, "default_idle");
        assert_eq!(
            frame("lr : kernel_init_free_pages+0x7c/0x190").pc_kind,
            PcKind::ReturnAddress
        );
        assert_eq!(
            frame("LR is at trace_hardirqs_off+0x6c/0x120").pc_kind,
            PcKind::ReturnAddress
        );
    }

    #[test]
    fn lockdep_warning_arm_forms() {
        let f = frame(
            " #7: ffff8880a7463420 (&f->f_owner.lock){.+.?}, at: send_sigio+0x1f/0x270 fs/fcntl.c:784",
        );
        assert_eq!(f.function, "send_sigio");
        let f = frame(
            "hardirqs last  enabled at (35855): [<ffffffff874a1734>] _raw_spin_unlock_irqrestore+0x74/0xc0",
        );
        assert_eq!(f.function, "_raw_spin_unlock_irqrestore");
        let f = frame(
            "WARNING: CPU: 0 PID: 1 at fs/dcache.c:1445 umount_check+0x246/0x2c0 fs/dcache.c:1436",
        );
        assert_eq!(f.function, "umount_check");
        assert_eq!(f.annotation.unwrap().line, 1436);
        let f = frame(
            "[<817b2528>] (dump_backtrace) from [<817b261c>] (show_stack+0x18/0x1c arch/arm/kernel/traps.c:256)",
        );
        assert_eq!(f.function, "show_stack");
        assert_eq!(f.annotation.unwrap().file, "arch/arm/kernel/traps.c");
        let f = frame("[c00000003ae5b800] [c00000000135c19c] dump_stack+0x128/0x1cc (unreliable)");
        assert!(!f.reliable);
        let f =
            frame("WARNING: CPU: 1 PID: 36348 at mm/slab_common.c:903 kmalloc_slab+0x89/0xa0()");
        assert_eq!(f.function, "kmalloc_slab");
        let f = frame(" link_path_walk.part.40+0x3c4/0xdc0 fs/namei.c:2238");
        assert_eq!(f.function, "link_path_walk.part.40");
    }

    #[test]
    fn inline_frames() {
        let c = classify_line(b" sk_add_backlog include/net/sock.h:938 [inline]", 0);
        let LineKind::InlineFrame(i) = c.kind else {
            panic!("{:?}", c.kind)
        };
        assert_eq!(i.function, "sk_add_backlog");
        assert_eq!(i.function_span, 1..15);
        assert_eq!(i.location.line, 938);
        let c = classify_line(b" foo drivers/x.c:12 [inline] [kvm]", 0);
        let LineKind::InlineFrame(i) = c.kind else {
            panic!()
        };
        assert_eq!(i.module.as_deref(), Some("kvm"));
        let c = classify_line(
            b" #0: ffffffff88ba5600 (rcu_read_lock){....}, at: __write_once_size include/linux/compiler.h:226 [inline]",
            0,
        );
        let LineKind::InlineFrame(i) = c.kind else {
            panic!()
        };
        assert_eq!(i.function, "__write_once_size");
    }

    #[test]
    fn markers_and_raw() {
        for (line, m) in [
            ("Call Trace:", StackMarker::CallTrace),
            (" <IRQ>", StackMarker::IrqStart),
            (" </TASK>", StackMarker::TaskEnd),
            (" <NMI>", StackMarker::NmiStart),
            (" <SOFTIRQ>", StackMarker::SoftirqStart),
        ] {
            assert!(
                matches!(classify_line(line.as_bytes(), 0).kind, LineKind::Marker(x) if x == m)
            );
        }
        let c = classify_line(b"[<ffffffff8110424c>] ? 0xffffffff8110424c", 0);
        let LineKind::RawAddress(r) = c.kind else {
            panic!()
        };
        assert_eq!(r.address, 0xffffffff8110424c);
        assert!(!r.reliable);
        assert_eq!(r.span, 2..18);
    }

    #[test]
    fn malformed() {
        assert!(text(" func+0x12/").warning.is_some());
        assert!(text(" func+0x12/0x10").warning.is_some());
        assert!(text(" func+0x12/0x11111111111111111").warning.is_some());
        assert!(text("plain text").warning.is_none());
        let f = frame("[  1.0] cm109_input_ev+0x1ea/0x230 drivers/input/misc/cm109.c:621");
        assert_eq!(f.function, "cm109_input_ev");
        assert_eq!(f.spans.function, 8..22);
    }
}
