//! Symbolization results as JSON, for machines.
//!
//! One object per input: its reports, the per-report checks, and one entry
//! per frame line with the original text, the parsed frame, the outcome and
//! the inline chain (innermost first). The schema is documented in the
//! README.

use kresym_link::DocumentLinks;
use kresym_report::{Document, LineKind, PcKind, ReportKind, guilty};
use kresym_symbolize::{DocumentSymbols, LineSymbols, ReportCheck, Resolution, Resolved};
use serde::Serialize;

use crate::text;

/// The JSON view of one symbolized input.
#[derive(Debug, Serialize)]
pub struct SymbolizedInput<'a> {
    /// Where the input came from (a path, or `-` for stdin).
    pub source: &'a str,
    /// Reports found in the input.
    pub reports: Vec<ReportSummary<'a>>,
    /// Per-report findings, such as a vmlinux that did not produce the report.
    pub checks: &'a [ReportCheck],
    /// Every frame line, in input order.
    pub frames: Vec<FrameEntry<'a>>,
    /// Source links, when asked for; their line numbers refer to the
    /// symbolized text, not to the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<&'a DocumentLinks>,
    /// `Code:` disassembly, when asked for (`--disassemble`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Vec<crate::code::CodeEntry<'a>>>,
}

/// A report's title and position.
#[derive(Debug, Serialize)]
pub struct ReportSummary<'a> {
    /// syzkaller-style title, if one could be made.
    pub title: Option<&'a str>,
    /// What kind of report it is.
    pub kind: ReportKind,
    /// 1-based first line.
    pub first_line: usize,
    /// 1-based last line.
    pub last_line: usize,
    /// Kernel release printed in the report.
    pub kernel_release: Option<&'a str>,
    /// The source file to blame, by syzkaller's rules, read from the
    /// symbolized report (see `kresym_report::guilty`).
    pub guilty_file: Option<String>,
}

/// One frame line and what it resolved to.
#[derive(Debug, Serialize)]
pub struct FrameEntry<'a> {
    /// 1-based line number in the input.
    pub line: usize,
    /// The original line, without its line end (invalid UTF-8 replaced).
    pub text: String,
    /// Function name as printed (for a bare address: the symbol found).
    pub function: Option<&'a str>,
    /// Offset as printed.
    pub offset: Option<u64>,
    /// Size as printed.
    pub size: Option<u64>,
    /// Module, if any.
    pub module: Option<&'a str>,
    /// Whether the kernel considered the frame reliable (no `?`).
    pub reliable: bool,
    /// Exact pc or return address.
    pub pc_kind: PcKind,
    /// The outcome: resolved, ambiguous, unknown_symbol, ...
    #[serde(flatten)]
    pub resolution: Outcome<'a>,
}

/// How a frame fared.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outcome<'a> {
    /// A `func+off/size` frame.
    Frame(&'a Resolution),
    /// A bare address resolved through the KASLR offset.
    Address {
        /// `"resolved"`.
        status: &'static str,
        /// The offset subtracted from the printed address.
        kaslr_offset: u64,
        /// What it resolved to.
        #[serde(flatten)]
        resolved: &'a Resolved,
    },
}

impl<'a> SymbolizedInput<'a> {
    /// Build the JSON view of a symbolized document.
    pub fn new(source: &'a str, document: &'a Document, symbols: &'a DocumentSymbols) -> Self {
        let reports = document
            .reports
            .iter()
            .map(|report| {
                let messages = text::symbolized_messages(document, symbols, report.lines.clone());
                let messages: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
                ReportSummary {
                    title: report.title.as_deref(),
                    kind: report.kind,
                    first_line: report.lines.start + 1,
                    last_line: report.lines.end,
                    kernel_release: report.kernel_release.as_deref(),
                    guilty_file: guilty::guilty_file(report.title.as_deref(), &messages),
                }
            })
            .collect();
        let mut frames = Vec::new();
        for (line, line_symbols) in document.lines.iter().zip(&symbols.lines) {
            let text = String::from_utf8_lossy(
                &document.line_bytes(line)[..line.range.len() - line.terminator_len],
            )
            .into_owned();
            let entry = match (&line.kind, line_symbols) {
                (LineKind::Frame(frame), LineSymbols::Frame(resolution)) => FrameEntry {
                    line: line.number,
                    text,
                    function: Some(&frame.function),
                    offset: Some(frame.offset),
                    size: Some(frame.size),
                    module: frame.module.as_deref(),
                    reliable: frame.reliable,
                    pc_kind: frame.pc_kind,
                    resolution: Outcome::Frame(resolution),
                },
                (
                    LineKind::RawAddress(raw),
                    LineSymbols::Address {
                        kaslr_offset,
                        resolved,
                    },
                ) => FrameEntry {
                    line: line.number,
                    text,
                    function: Some(&resolved.symbol),
                    offset: None,
                    size: None,
                    module: None,
                    reliable: raw.reliable,
                    pc_kind: PcKind::ReturnAddress,
                    resolution: Outcome::Address {
                        status: "resolved",
                        kaslr_offset: *kaslr_offset,
                        resolved,
                    },
                },
                _ => continue,
            };
            frames.push(entry);
        }
        SymbolizedInput {
            source,
            reports,
            checks: &symbols.checks,
            frames,
            links: None,
            code: None,
        }
    }

    /// Add the `Code:` disassembly listings.
    pub fn with_code(mut self, code: Vec<crate::code::CodeEntry<'a>>) -> Self {
        self.code = Some(code);
        self
    }

    /// Add the source links of the symbolized text.
    pub fn with_links(mut self, links: &'a DocumentLinks) -> Self {
        self.links = Some(links);
        self
    }
}
