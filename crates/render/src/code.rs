//! `Code:` disassembly listings (from `kresym_disasm`), shown after their
//! `Code:` line in text and carried structured in JSON.
//!
//! Kept apart from the other views: [`write_symbolized_with_code`] wraps
//! [`crate::text::write_symbolized_lines`], and [`CodeEntry`] is what JSON
//! carries. Which lines get a listing was decided by the caller.

use std::io::{self, Write};

use kresym_disasm::Listing;
use kresym_link::Located;
use kresym_report::Document;
use kresym_report::code::CodeArch;
use kresym_symbolize::DocumentSymbols;
use serde::Serialize;

/// The listing of the `Code:` line at `line` (an index into
/// [`Document::lines`]).
#[derive(Debug, Clone)]
pub struct CodeListing {
    /// Index into [`Document::lines`] of the `Code:` line.
    pub line: usize,
    /// Its disassembly.
    pub listing: Listing,
}

/// Like [`crate::text::write_symbolized`], each listing written (as
/// [`Listing::to_text`]) right after its `Code:` line; every input line is
/// kept. `listings` are in line order.
pub fn write_symbolized_with_code(
    out: &mut impl Write,
    document: &Document,
    symbols: &DocumentSymbols,
    listings: &[CodeListing],
) -> io::Result<()> {
    interleave(out, document, listings, |out, range| {
        crate::text::write_symbolized_lines(out, document, symbols, range)
    })
}

/// Like [`write_symbolized_with_code`], noting where each `file:line` was
/// written, as [`crate::text::write_symbolized_located`] does.
pub fn write_symbolized_located_with_code(
    out: &mut Vec<u8>,
    document: &Document,
    symbols: &DocumentSymbols,
    listings: &[CodeListing],
) -> io::Result<Vec<Located>> {
    let mut locating = crate::text::Locating::new(out);
    interleave(out, document, listings, |out, range| {
        locating.write(out, document, symbols, range)
    })?;
    Ok(locating.finish())
}

/// Writes the document's lines through `write_range`, each listing right
/// after its `Code:` line.
fn interleave<W: Write>(
    out: &mut W,
    document: &Document,
    listings: &[CodeListing],
    mut write_range: impl FnMut(&mut W, std::ops::Range<usize>) -> io::Result<()>,
) -> io::Result<()> {
    let mut next = 0;
    for listing in listings {
        let end = (listing.line + 1).min(document.lines.len());
        if end <= next {
            continue;
        }
        write_range(out, next..end)?;
        if document.lines[end - 1].terminator_len == 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(listing.listing.to_text().as_bytes())?;
        next = end;
    }
    write_range(out, next..document.lines.len())
}

/// One `Code:` line's disassembly in JSON.
#[derive(Debug, Serialize)]
pub struct CodeEntry<'a> {
    /// 1-based line of the `Code:` line.
    pub line: usize,
    /// `x86_64` or `arm64`.
    pub arch: CodeArch,
    /// Leading bytes left out so an instruction starts at the trap.
    pub skipped: usize,
    /// Index into `instructions` of the trapping instruction.
    pub trap: Option<usize>,
    /// The instructions: `offset` (from the first byte kept), `bytes`
    /// (hex), `text` (as objdump prints it), `bad`.
    pub instructions: Vec<InstructionEntry<'a>>,
}

/// One instruction in JSON.
#[derive(Debug, Serialize)]
pub struct InstructionEntry<'a> {
    /// Offset from the first byte kept.
    pub offset: usize,
    /// The bytes, as hex digits.
    pub bytes: String,
    /// The instruction as objdump prints it.
    pub text: &'a str,
    /// Whether it is no valid instruction.
    pub bad: bool,
}

/// The JSON entries of `listings` (1-based line numbers).
pub fn code_entries<'a>(document: &Document, listings: &'a [CodeListing]) -> Vec<CodeEntry<'a>> {
    listings
        .iter()
        .map(|l| CodeEntry {
            line: document
                .lines
                .get(l.line)
                .map_or(l.line + 1, |line| line.number),
            arch: l.listing.arch,
            skipped: l.listing.skipped,
            trap: l.listing.trap,
            instructions: l
                .listing
                .instructions
                .iter()
                .map(|i| InstructionEntry {
                    offset: i.offset,
                    bytes: i.bytes.iter().map(|b| format!("{b:02x}")).collect(),
                    text: &i.text,
                    bad: i.bad,
                })
                .collect(),
        })
        .collect()
}
