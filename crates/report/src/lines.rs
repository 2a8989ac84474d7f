//! Splitting the input into lines and recognizing console prefixes.

use std::sync::LazyLock;

use regex::bytes::Regex;

use crate::Line;
use crate::LineKind;

/// Console prefix: `** N printk messages dropped ** `, a `<N>` syslog level,
/// a `[  12.345678]` timestamp and a `[  T123]`/`[ C1]` caller id, with the
/// one space that follows them.
static CONSOLE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\](?: ?\[ *[CT][0-9]+\])?|<[0-9]+>(?:\[ *[CT][0-9]+\])?|\[ *[CT][0-9]+\]) ?",
    )
    .expect("console prefix regex")
});

/// Split `text` into lines, each with its terminator (`\n` or `\r\n`), and
/// measure the console prefix of each.
pub(crate) fn split_lines(text: &[u8]) -> Vec<Line> {
    let mut lines = Vec::with_capacity(memchr::memchr_iter(b'\n', text).count() + 1);
    let mut start = 0;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i + 1);
        let terminator_len = match &text[start..end] {
            [.., b'\r', b'\n'] => 2,
            [.., b'\n'] => 1,
            _ => 0,
        };
        let content = &text[start..end - terminator_len];
        lines.push(Line {
            number: lines.len() + 1,
            range: start..end,
            terminator_len,
            console_prefix_len: console_prefix_len(content),
            kind: LineKind::Text,
        });
        start = end;
    }
    lines
}

/// Length of the console prefix at the start of `content` (a line without
/// its terminator), 0 if there is none.
pub fn console_prefix_len(content: &[u8]) -> usize {
    match content.first() {
        Some(b'[' | b'<' | b'*') => CONSOLE_PREFIX.find(content).map_or(0, |m| m.end()),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let cases: &[(&str, usize)] = &[
            ("[   12.345678] foo", 15),
            ("[   50.509230][    C1] BUG: x", 23),
            ("[   50.509230][T10420] x", 23),
            ("<4>[   12.345678] x", 18),
            ("<4>x", 3),
            ("[  T123] x", 9),
            ("** 4418 printk messages dropped ** [   96.048505] INFO", 50),
            ("[<ffffffff8110424c>] ? 0xffffffff8110424c", 0),
            (" dump_stack+0x1/0x2", 0),
            ("", 0),
        ];
        for (line, len) in cases {
            assert_eq!(console_prefix_len(line.as_bytes()), *len, "{line:?}");
        }
    }

    #[test]
    fn split_keeps_terminators() {
        let lines = split_lines(b"a\r\nb\nc");
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].terminator_len, 2);
        assert_eq!(lines[1].terminator_len, 1);
        assert_eq!(lines[2].terminator_len, 0);
        assert_eq!(lines[2].range, 5..6);
    }
}
