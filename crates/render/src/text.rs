//! Symbolized text in syzkaller's format.
//!
//! For a frame `PREFIX func+0xOFF/0xSIZE REST` whose inline chain is
//! `inner … outer`, syzkaller prints one line per level, innermost first:
//!
//! ```text
//! PREFIX inner file.h:12 [inline] REST
//! PREFIX func+0xOFF/0xSIZE file.c:34 REST
//! ```
//!
//! `REST` keeps whatever followed the size (` [module]`, arm's `)`, the line
//! end); a ` [module buildid]` suffix is shortened to ` [module]`. The
//! frame's own line is always written: when its level has no line (line 0,
//! as ThinLTO often leaves it) it keeps its text without ` file:line`;
//! inlined levels without a line are left out. This module only formats:
//! every decision was made by the symbolizer.

use std::io::{self, Write};

use kresym_link::Located;
use kresym_report::{Document, Frame, LineKind, SourceLocation};
use kresym_symbolize::{DocumentSymbols, LineSymbols, Resolution, Resolved, SourceFrame};

/// Write `document` with every resolved frame annotated.
///
/// Lines that are not frames, and frames that did not resolve, are written
/// unchanged, byte for byte.
pub fn write_symbolized(
    out: &mut impl Write,
    document: &Document,
    symbols: &DocumentSymbols,
) -> io::Result<()> {
    write_symbolized_lines(out, document, symbols, 0..document.lines.len())
}

/// Like [`write_symbolized`], appending to `out`, and where each chain
/// level's `file:line` was printed: one [`Located`] per location, its
/// `line` the index of the line of `out` that holds it (counted from the
/// first byte this call writes), its `function` the name printed before it.
/// This is what linking a symbolized document reads, instead of parsing
/// the text again.
pub fn write_symbolized_located(
    out: &mut Vec<u8>,
    document: &Document,
    symbols: &DocumentSymbols,
) -> io::Result<Vec<Located>> {
    let mut locating = Locating::new(out);
    locating.write(out, document, symbols, 0..document.lines.len())?;
    Ok(locating.finish())
}

/// Writes ranges of a symbolized document to one `Vec<u8>`, noting where
/// each `file:line` lands, with anything else written between the ranges
/// (such as `Code:` listings) counted in the lines.
pub(crate) struct Locating {
    sink: Sink,
}

impl Locating {
    /// Notes locations written to `out` from its current end.
    pub(crate) fn new(out: &[u8]) -> Self {
        Locating {
            sink: Sink {
                base: out.len(),
                scanned: out.len(),
                lines: 0,
                line_start: out.len(),
                located: Vec::new(),
            },
        }
    }

    /// Writes the lines in `range`, as [`write_symbolized_lines`] does.
    pub(crate) fn write(
        &mut self,
        out: &mut Vec<u8>,
        document: &Document,
        symbols: &DocumentSymbols,
        range: std::ops::Range<usize>,
    ) -> io::Result<()> {
        write_lines(out, document, symbols, range, &mut self.sink)
    }

    /// The locations noted.
    pub(crate) fn finish(self) -> Vec<Located> {
        self.sink.located
    }
}

/// Like [`write_symbolized`], for the lines in `range` only (indexes into
/// [`Document::lines`]), such as one frame with its `[inline]` lines.
pub fn write_symbolized_lines(
    out: &mut impl Write,
    document: &Document,
    symbols: &DocumentSymbols,
    range: std::ops::Range<usize>,
) -> io::Result<()> {
    write_lines(out, document, symbols, range, &mut NoSink)
}

/// Where written `file:line`s are noted.
trait Note<W> {
    /// `location` of `function` is about to be written to `out`.
    fn note(&mut self, out: &W, location: &SourceLocation, function: &str);
}

/// Notes nothing.
struct NoSink;

impl<W> Note<W> for NoSink {
    fn note(&mut self, _: &W, _: &SourceLocation, _: &str) {}
}

/// Collects [`Located`]s, counting the lines written to a `Vec<u8>`.
struct Sink {
    /// Where this document's output starts.
    base: usize,
    /// How far `lines` and `line_start` have been counted.
    scanned: usize,
    /// Line ends between `base` and `scanned`.
    lines: usize,
    /// Where the line holding `scanned` starts.
    line_start: usize,
    located: Vec<Located>,
}

impl Note<Vec<u8>> for Sink {
    fn note(&mut self, out: &Vec<u8>, location: &SourceLocation, function: &str) {
        for (i, &b) in out[self.scanned..].iter().enumerate() {
            if b == b'\n' {
                self.lines += 1;
                self.line_start = self.scanned + i + 1;
            }
        }
        self.scanned = out.len();
        debug_assert!(self.line_start >= self.base);
        // After the space of ` file:line`.
        let start = out.len() + 1 - self.line_start;
        let printed = format!("{}:{}", location.file, location.line);
        self.located.push(Located {
            line: self.lines,
            location: SourceLocation {
                file: location.file.clone(),
                line: location.line,
                column: None,
            },
            function: Some(function.to_string()),
            span: Some(start..start + printed.len()),
        });
    }
}

fn write_lines<W: Write>(
    out: &mut W,
    document: &Document,
    symbols: &DocumentSymbols,
    range: std::ops::Range<usize>,
    sink: &mut impl Note<W>,
) -> io::Result<()> {
    let lines = document.lines.get(range.clone()).unwrap_or_default();
    let line_symbols = symbols.lines.get(range).unwrap_or_default();
    for (line, line_symbols) in lines.iter().zip(line_symbols) {
        let bytes = document.line_bytes(line);
        match (line_symbols, &line.kind) {
            (LineSymbols::Superseded, _) => {}
            (LineSymbols::Frame(Resolution::Resolved(resolved)), LineKind::Frame(frame))
                if has_location(resolved) =>
            {
                write_frame(out, bytes, frame, resolved, sink)?;
            }
            (LineSymbols::Address { resolved, .. }, LineKind::RawAddress(raw))
                if has_location(resolved) =>
            {
                let closing = bytes[raw.span.end.min(bytes.len())..]
                    .iter()
                    .position(|&b| b == b']')
                    .map_or(raw.span.end, |i| raw.span.end + i + 1);
                write_address(out, bytes, closing, resolved, sink)?;
            }
            _ => out.write_all(bytes)?,
        }
    }
    Ok(())
}

/// The symbolized lines of `range` (indexes into [`Document::lines`]),
/// each without its console prefix or line end: what the report says once
/// symbolized, for rules that read report text (such as the guilty file).
pub fn symbolized_messages(
    document: &Document,
    symbols: &DocumentSymbols,
    range: std::ops::Range<usize>,
) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    for index in range {
        let Some(line) = document.lines.get(index) else {
            break;
        };
        let mut bytes = Vec::new();
        if write_symbolized_lines(&mut bytes, document, symbols, index..index + 1).is_err() {
            continue;
        }
        for written in bytes.split_inclusive(|&b| b == b'\n') {
            let written = written.strip_suffix(b"\n").unwrap_or(written);
            let written = written.strip_suffix(b"\r").unwrap_or(written);
            messages.push(written[line.console_prefix_len.min(written.len())..].to_vec());
        }
    }
    messages
}

fn has_location(resolved: &Resolved) -> bool {
    resolved.chain.iter().any(|f| f.location.is_some())
}

/// Write ` file:line`, as syzkaller prints it (straight into `out`: a
/// batch writes one per chain level).
fn write_file_line(out: &mut impl Write, location: &SourceLocation) -> io::Result<()> {
    out.write_all(b" ")?;
    out.write_all(location.file.as_bytes())?;
    write!(out, ":{}", location.line)
}

/// One output line per chain level, assembled from the frame's own line.
fn write_frame<W: Write>(
    out: &mut W,
    line: &[u8],
    frame: &Frame,
    resolved: &Resolved,
    sink: &mut impl Note<W>,
) -> io::Result<()> {
    let spans = &frame.spans;
    let prefix = &line[..spans.function.start];
    let symbol = &line[spans.function.start..spans.symbol.end];
    let tail = frame_tail(line, frame);
    for level in &resolved.chain {
        match (&level.location, level.inlined) {
            // An inlined level without a line says nothing worth a line.
            (None, true) => continue,
            (Some(location), true) => {
                out.write_all(prefix)?;
                out.write_all(inline_name(level).as_bytes())?;
                sink.note(out, location, inline_name(level));
                write_file_line(out, location)?;
                out.write_all(b" [inline]")?;
            }
            // The frame's own line is never dropped: without a line of its
            // own (line 0) it keeps its text, so the `[inline]` lines above
            // still belong to it.
            (location, false) => {
                out.write_all(prefix)?;
                out.write_all(symbol)?;
                if let Some(location) = location {
                    sink.note(out, location, &frame.function);
                    write_file_line(out, location)?;
                }
            }
        }
        out.write_all(&tail)?;
    }
    Ok(())
}

/// What follows the size, without any old annotation, with a
/// ` [module buildid]` suffix shortened to ` [module]`.
fn frame_tail(line: &[u8], frame: &Frame) -> Vec<u8> {
    let spans = &frame.spans;
    let mut tail = Vec::with_capacity(line.len() - spans.symbol.end + 8);
    let mut position = spans.symbol.end;
    let mut cuts: Vec<(std::ops::Range<usize>, Option<Vec<u8>>)> = Vec::new();
    if let Some(annotation) = &spans.annotation {
        cuts.push((annotation.clone(), None));
    }
    if let (Some(module_span), Some(module), Some(_)) =
        (&spans.module, &frame.module, &frame.build_id)
    {
        cuts.push((
            module_span.clone(),
            Some(format!(" [{module}]").into_bytes()),
        ));
    }
    cuts.sort_by_key(|(range, _)| range.start);
    for (range, replacement) in cuts {
        if range.start < position || range.end > line.len() {
            continue;
        }
        tail.extend_from_slice(&line[position..range.start]);
        if let Some(replacement) = replacement {
            tail.extend_from_slice(&replacement);
        }
        position = range.end;
    }
    tail.extend_from_slice(&line[position..]);
    tail
}

fn inline_name(level: &SourceFrame) -> &str {
    level.function.as_deref().unwrap_or("??")
}

/// A bare `[<address>]` frame: the symbol and chain go right after the
/// address's closing bracket (`address_end`).
fn write_address<W: Write>(
    out: &mut W,
    line: &[u8],
    address_end: usize,
    resolved: &Resolved,
    sink: &mut impl Note<W>,
) -> io::Result<()> {
    let (head, rest) = line.split_at(address_end.min(line.len()));
    for level in &resolved.chain {
        match (&level.location, level.inlined) {
            (None, true) => continue,
            (Some(location), true) => {
                out.write_all(head)?;
                write!(out, " {}", inline_name(level))?;
                sink.note(out, location, inline_name(level));
                write_file_line(out, location)?;
                out.write_all(b" [inline]")?;
            }
            // As for a `func+off/size` frame, the address's own line stays.
            (location, false) => {
                out.write_all(head)?;
                write!(
                    out,
                    " {}+0x{:x}/0x{:x}",
                    resolved.symbol,
                    resolved.pc - resolved.symbol_address,
                    resolved.symbol_size,
                )?;
                if let Some(location) = location {
                    sink.note(out, location, &resolved.symbol);
                    write_file_line(out, location)?;
                }
            }
        }
        out.write_all(rest)?;
    }
    Ok(())
}
