//! Shared by the integration tests: syzkaller's frame pattern as an oracle
//! and the layout of syzkaller's test files.

#![allow(dead_code)]

use kresym_report::{LineKind, parse};
use regex::bytes::Regex;

/// syzkaller's `linuxSymbolizeRe` (pkg/report/linux.go), verbatim.
pub const SYZKALLER_FRAME: &str = r"(?:\[\<(?:(?:0x)?[0-9a-f]+)\>\])?[ \t]+\(?(?:[0-9]+:)?([a-zA-Z0-9_.]+)\+0x([0-9a-f]+)/0x([0-9a-f]+)( ?\[([a-zA-Z0-9_.]+)( .*)?\])?\)?";

/// The oracle: every line syzkaller's pattern finds is a frame with the same
/// function, offset and size, except offsets larger than sizes, which must
/// be warnings. Returns (frames found by kresym, lines found by syzkaller,
/// failures).
pub fn oracle(text: &[u8], name: &str) -> (usize, usize, Vec<String>) {
    oracle_doc(&parse(text.to_vec()), name)
}

/// [`oracle`] over an already parsed document.
pub fn oracle_doc(doc: &kresym_report::Document, name: &str) -> (usize, usize, Vec<String>) {
    let re = Regex::new(SYZKALLER_FRAME).unwrap();
    let mut failures = Vec::new();
    let mut matched = 0;
    for line in &doc.lines {
        let content = doc.line_content(line);
        let Some(c) = re.captures(content) else {
            continue;
        };
        matched += 1;
        let func = String::from_utf8_lossy(&c[1]).into_owned();
        let off = u64::from_str_radix(std::str::from_utf8(&c[2]).unwrap(), 16).ok();
        let size = u64::from_str_radix(std::str::from_utf8(&c[3]).unwrap(), 16).ok();
        let ok = match &line.kind {
            LineKind::Frame(f) => {
                f.function == func && Some(f.offset) == off && Some(f.size) == size
            }
            LineKind::Text => {
                let bad = match (off, size) {
                    (Some(o), Some(s)) => o > s,
                    _ => true,
                };
                bad && doc.warnings.iter().any(|w| w.line == line.number)
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{name}:{}: {:?} -> {:?}",
                line.number,
                String::from_utf8_lossy(content),
                line.kind
            ));
        }
    }
    (doc.frames().count(), matched, failures)
}

/// Split a syzkaller test file into its headers and the console log.
pub fn split_test_file(text: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let mut headers = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i + 1);
        let line = String::from_utf8_lossy(&text[pos..end])
            .trim_end()
            .to_string();
        pos = end;
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.to_string(), v.trim().to_string()));
        }
    }
    let log = &text[pos.min(text.len())..];
    let log = match memchr::memmem::find(log, b"\nREPORT:\n") {
        Some(i) => &log[..i + 1],
        None => log,
    };
    (headers, log)
}
