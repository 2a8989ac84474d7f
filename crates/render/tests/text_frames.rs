//! The text writer never loses an input line: a frame whose own level has
//! no line (line 0, common with ThinLTO) keeps its text below its
//! `[inline]` lines, as syzkaller's `symbolizeLine` keeps every level.

use kresym_render::text::{write_symbolized, write_symbolized_located};
use kresym_report::{LineKind, SourceLocation, parse};
use kresym_symbolize::{DocumentSymbols, LineSymbols, Resolution, Resolved, SourceFrame};

fn level(function: &str, location: Option<(&str, u32)>, inlined: bool) -> SourceFrame {
    SourceFrame {
        function: Some(function.to_owned()),
        location: location.map(|(file, line)| SourceLocation {
            file: file.to_owned(),
            line,
            column: None,
        }),
        inlined,
    }
}

fn resolved(symbol: &str, chain: Vec<SourceFrame>) -> Resolution {
    Resolution::Resolved(Resolved {
        symbol: symbol.to_owned(),
        symbol_address: 0xffff_ffff_8100_0000,
        symbol_size: 0x40,
        pc: 0xffff_ffff_8100_0010,
        lookup_pc: 0xffff_ffff_8100_000f,
        chain,
        size_mismatch: None,
        equivalent_symbols: 0,
        padding_entry: false,
    })
}

fn symbolize(text: &str, mut answer: impl FnMut(&str) -> Resolution) -> String {
    let document = parse(text.as_bytes().to_vec());
    let lines = document
        .lines
        .iter()
        .map(|line| match &line.kind {
            LineKind::Frame(frame) => LineSymbols::Frame(answer(&frame.function)),
            _ => LineSymbols::Unchanged,
        })
        .collect();
    let symbols = DocumentSymbols {
        lines,
        checks: Vec::new(),
    };
    let mut out = Vec::new();
    write_symbolized(&mut out, &document, &symbols).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_frame_without_a_line_keeps_its_own_line_under_its_inline_lines() {
    let text = "Call Trace:\n <TASK>\n ext4_lookup+0x10/0x40\n do_one+0x22/0x80\n </TASK>\n";
    let out = symbolize(text, |function| match function {
        // ThinLTO: the outer level (the call site) has line 0.
        "ext4_lookup" => resolved(
            "ext4_lookup",
            vec![
                level("inner_helper", Some(("fs/ext4/namei.h", 12)), true),
                level("ext4_lookup", None, false),
            ],
        ),
        _ => resolved(
            "do_one",
            vec![level("do_one", Some(("fs/ext4/super.c", 7)), false)],
        ),
    });
    assert_eq!(
        out,
        "Call Trace:\n <TASK>\n inner_helper fs/ext4/namei.h:12 [inline]\n ext4_lookup+0x10/0x40\n do_one+0x22/0x80 fs/ext4/super.c:7\n </TASK>\n"
    );
}

#[test]
fn every_input_line_survives_whatever_the_chain() {
    // Hostile chains: no locations at all, only inner ones, only the outer one.
    let text = "Call Trace:\n a+0x1/0x40\n b+0x2/0x40\n c+0x3/0x40 [mod]\n d+0x4/0x40\n";
    let out = symbolize(text, |function| match function {
        "a" => resolved("a", vec![level("a", None, false)]),
        "b" => resolved(
            "b",
            vec![
                level("x", Some(("x.h", 1)), true),
                level("y", None, true),
                level("b", None, false),
            ],
        ),
        "c" => resolved(
            "c",
            vec![level("z", Some(("z.h", 3)), true), level("c", None, false)],
        ),
        _ => Resolution::UnknownSymbol,
    });
    for line in text.lines() {
        assert!(
            out.lines().any(|l| l == line),
            "input line {line:?} lost from:\n{out}"
        );
    }
    assert!(
        out.contains(" z z.h:3 [inline] [mod]\n c+0x3/0x40 [mod]\n"),
        "{out}"
    );
}

/// Linking reads where the writer printed each `file:line`: every noted
/// span holds exactly that location in the written text, on the line
/// noted, even when a last line without a line end makes its chain's
/// lines run together, and after `\r\n` line ends.
#[test]
fn every_noted_location_is_where_it_was_written() {
    let text =
        "<4>[ 1.0] Call Trace:\r\n<4>[ 1.0]  a+0x1/0x40\r\n ptr\n b+0x2/0x40 [mod]\n c+0x3/0x40";
    let document = parse(text.as_bytes().to_vec());
    let lines = document
        .lines
        .iter()
        .map(|line| match &line.kind {
            LineKind::Frame(frame) => LineSymbols::Frame(match frame.function.as_str() {
                "a" => resolved(
                    "a",
                    vec![
                        level("in_a", Some(("include/a.h", 3)), true),
                        level("a", Some(("kernel/a.c", 10)), false),
                    ],
                ),
                "b" => resolved("b", vec![level("b", Some(("drivers/b.c", 200)), false)]),
                _ => resolved(
                    "c",
                    vec![
                        level("in_c", Some(("include/c.h", 1)), true),
                        level("c", Some(("mm/c.c", 99)), false),
                    ],
                ),
            }),
            _ => LineSymbols::Unchanged,
        })
        .collect();
    let symbols = DocumentSymbols {
        lines,
        checks: Vec::new(),
    };
    let mut out = b"earlier output\n".to_vec();
    let located = write_symbolized_located(&mut out, &document, &symbols).unwrap();
    let written = String::from_utf8(out).unwrap();
    let written: Vec<&str> = written
        .strip_prefix("earlier output\n")
        .unwrap()
        .split('\n')
        .collect();
    let noted: Vec<(usize, &str, &str)> = located
        .iter()
        .map(|l| {
            let span = l.span.clone().unwrap();
            let at = &written[l.line][span];
            assert_eq!(at, format!("{}:{}", l.location.file, l.location.line));
            (l.line, at, l.function.as_deref().unwrap())
        })
        .collect();
    assert_eq!(
        noted,
        [
            (1, "include/a.h:3", "in_a"),
            (2, "kernel/a.c:10", "a"),
            (4, "drivers/b.c:200", "b"),
            (5, "include/c.h:1", "in_c"),
            (5, "mm/c.c:99", "c"),
        ],
        "{written:#?}"
    );
}
