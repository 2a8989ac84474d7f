//! Parse Linux kernel crash reports into a lossless model.
//!
//! [`parse`] takes the raw bytes of a single report, a whole console log, a
//! syzbot email or a syzbot bisection log, and returns a [`Document`]: every
//! line with what it holds (stack frames, inline frames, stack markers),
//! the crash reports among them with syzkaller-style titles, and the
//! bisection or email metadata. Nothing is lost: [`Document::text`] is the
//! input unchanged, and the line ranges tile it exactly.
//!
//! Modules: [`lines`] (line splitting, console prefixes), [`frame`] (what a
//! line holds), [`split`] (report boundaries and kinds), [`title`]
//! (syzkaller's titles and classification), [`guilty`] (the file to blame), [`bisection`]
//! and [`email`].
//!
//! This crate knows nothing of DWARF or HTTP.
//!
//! ```
//! use kresym_report::{LineKind, parse};
//!
//! let doc = parse(&b"[  1.0] BUG: KASAN: use-after-free in foo+0x10/0x20\r\n\
//! [  1.1] Read of size 8 at addr ffff888000000000 by task x/1\r\n\
//! [  1.2] Call Trace:\r\n\
//! [  1.3]  foo+0x10/0x20 net/foo.c:12\r\n"[..]);
//! assert_eq!(doc.reports[0].title.as_deref(), Some("KASAN: use-after-free Read in foo"));
//! let LineKind::Frame(frame) = &doc.lines[3].kind else { panic!() };
//! assert_eq!((frame.function.as_str(), frame.offset, frame.size), ("foo", 0x10, 0x20));
//! assert_eq!(doc.frame_prefix(&doc.lines[3], frame), b"[  1.3]  ");
//! assert_eq!(doc.render_unchanged(), doc.text);
//! ```

#![deny(missing_docs)]

pub mod bisection;
pub mod code;
pub mod email;
pub mod frame;
pub mod guilty;
pub mod lines;
mod model;
pub mod release;
pub mod split;
pub mod title;

pub use model::*;

/// Parse an input of any kind into a [`Document`].
///
/// Never fails: what is not understood stays [`LineKind::Text`], and lines
/// that look like frames but are malformed add a [`Warning`].
pub fn parse(text: impl Into<Vec<u8>>) -> Document {
    let text = text.into();
    let mut lines = lines::split_lines(&text);
    let mut warnings = Vec::new();
    for line in &mut lines {
        let content_end = line.range.end - line.terminator_len;
        let bytes = &text[line.range.start..content_end];
        let classified = frame::classify_line(bytes, line.console_prefix_len);
        line.kind = classified.kind;
        if let Some(message) = classified.warning {
            warnings.push(Warning {
                line: line.number,
                message,
            });
        }
    }
    let mut doc = Document {
        text,
        lines,
        reports: Vec::new(),
        bisection: None,
        email: None,
        code: Vec::new(),
        warnings,
    };
    doc.bisection = bisection::parse_bisection(&doc);
    doc.email = email::parse_email(&doc);
    let first_line = doc
        .bisection
        .as_ref()
        .and_then(|b| b.crash_line)
        .unwrap_or(0);
    doc.reports = split::find_reports(&doc, first_line);
    let (code, code_warnings) = find_code(&doc);
    doc.code = code;
    doc.warnings.extend(code_warnings);
    doc.warnings.sort_by_key(|w| w.line);
    if let Some(b) = doc.bisection.as_mut() {
        // The first report after the `crash:` line (a panic may follow it).
        b.final_report = b
            .crash_line
            .and_then(|c| doc.reports.iter().position(|r| r.lines.start >= c));
        if b.final_report.is_some() {
            b.final_report_commit = b.culprit.as_ref().map(|c| c.commit.clone());
        }
    }
    doc
}

/// Every `Code:` line of a document that carries bytes, and a warning for
/// each that could not be read. The architecture evidence is the register
/// dump seen since the start of the line's report.
fn find_code(doc: &Document) -> (Vec<code::CodeBytes>, Vec<Warning>) {
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    let mut evidence = code::ArchEvidence::None;
    let mut user_rip = false;
    let mut starts = doc.reports.iter().map(|r| r.lines.start).peekable();
    for (index, line) in doc.lines.iter().enumerate() {
        if starts.next_if(|&start| start <= index).is_some() {
            evidence = code::ArchEvidence::None;
        }
        let message = doc.line_message(line);
        if let Some(payload) = code::code_payload(message) {
            match code::parse_code(payload, index, evidence, user_rip) {
                Ok(Some(bytes)) => found.push(bytes),
                Ok(None) => {}
                Err(error) => warnings.push(Warning {
                    line: line.number,
                    message: error.to_string(),
                }),
            }
        }
        evidence = evidence.see(message);
        user_rip = code::is_user_rip(message);
    }
    (found, warnings)
}

impl Document {
    /// The bytes of one line, terminator included.
    pub fn line_bytes(&self, line: &Line) -> &[u8] {
        &self.text[line.range.clone()]
    }

    /// The bytes of one line without its terminator.
    pub fn line_content(&self, line: &Line) -> &[u8] {
        &self.text[line.range.start..line.range.end - line.terminator_len]
    }

    /// The bytes of one line after its console prefix, without terminator.
    pub fn line_message(&self, line: &Line) -> &[u8] {
        let content = self.line_content(line);
        &content[line.console_prefix_len.min(content.len())..]
    }

    /// The text before a frame's function name on its line (console prefix,
    /// address, `? ` marker...): what a symbolized line must repeat.
    pub fn frame_prefix(&self, line: &Line, frame: &Frame) -> &[u8] {
        let content = self.line_content(line);
        &content[..frame.spans.function.start.min(content.len())]
    }

    /// Re-assemble the input from its lines, with nothing changed: equal to
    /// [`Document::text`] byte for byte.
    pub fn render_unchanged(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len());
        for line in &self.lines {
            out.extend_from_slice(self.line_bytes(line));
        }
        out
    }

    /// Every frame line, in input order, with its line.
    pub fn frames(&self) -> impl Iterator<Item = (&Line, &Frame)> {
        self.lines.iter().filter_map(|l| match &l.kind {
            LineKind::Frame(f) => Some((l, f)),
            _ => None,
        })
    }

    /// The index into [`Document::reports`] of the report holding line
    /// `line` (an index into [`Document::lines`]), if any.
    ///
    /// A binary search: reports are in order and never overlap, and a
    /// console log may hold thousands of them.
    pub fn report_of(&self, line: usize) -> Option<usize> {
        let index = self
            .reports
            .partition_point(|r| r.lines.start <= line)
            .checked_sub(1)?;
        self.reports[index].lines.contains(&line).then_some(index)
    }

    /// The lines of one report.
    pub fn report_lines(&self, report: &Report) -> &[Line] {
        let end = report.lines.end.min(self.lines.len());
        &self.lines[report.lines.start.min(end)..end]
    }
}
