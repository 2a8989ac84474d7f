//! Symbolize every frame of a parsed document.

use std::collections::HashMap;

use kresym_report::{Document, LineKind, PcKind};
use serde::Serialize;

use crate::{FrameQuery, Resolution, Resolved, Symbolizer};

/// What symbolizing found for one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineSymbols {
    /// Not a frame; output it unchanged.
    Unchanged,
    /// A `func+off/size` frame and what it resolved to.
    Frame(Resolution),
    /// A bare `[<address>]` frame resolved through the report's KASLR offset.
    Address {
        /// The KASLR offset subtracted from the printed address.
        kaslr_offset: u64,
        /// What the address resolved to.
        resolved: Resolved,
    },
    /// An existing `[inline]` line whose frame below was re-symbolized:
    /// the fresh inline chain replaces it.
    Superseded,
}

/// A per-report finding, said once per report rather than once per frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportCheck {
    /// Index into [`Document::reports`], or `None` for frames outside any report.
    pub report: Option<usize>,
    /// What is wrong, for a person.
    pub message: String,
}

/// A document's symbolization, line by line.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSymbols {
    /// One entry per [`Document::lines`] entry.
    pub lines: Vec<LineSymbols>,
    /// Findings such as "this vmlinux did not produce this report".
    pub checks: Vec<ReportCheck>,
}

impl DocumentSymbols {
    /// Counts of frames: (frames, resolved with line info, unresolved).
    pub fn counts(&self) -> FrameCounts {
        let mut counts = FrameCounts::default();
        for line in &self.lines {
            match line {
                LineSymbols::Frame(Resolution::Resolved(r))
                | LineSymbols::Address { resolved: r, .. } => {
                    counts.frames += 1;
                    if r.chain.is_empty() {
                        counts.unresolved += 1;
                    } else {
                        counts.resolved += 1;
                    }
                }
                LineSymbols::Frame(_) => {
                    counts.frames += 1;
                    counts.unresolved += 1;
                }
                LineSymbols::Unchanged | LineSymbols::Superseded => {}
            }
        }
        counts
    }
}

/// How many frames a document had and how they fared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FrameCounts {
    /// Frames seen.
    pub frames: usize,
    /// Frames resolved to at least one `file:line`.
    pub resolved: usize,
    /// Frames not resolved.
    pub unresolved: usize,
}

impl Symbolizer {
    /// Symbolize every frame in a document.
    pub fn symbolize_document(&self, document: &Document) -> DocumentSymbols {
        let mut lines: Vec<LineSymbols> = document
            .lines
            .iter()
            .map(|line| match &line.kind {
                LineKind::Frame(frame) => LineSymbols::Frame(self.resolve(FrameQuery::from(frame))),
                _ => LineSymbols::Unchanged,
            })
            .collect();
        let kaslr_offset = self.kaslr_offset(document, &lines);
        for (index, line) in document.lines.iter().enumerate() {
            match &line.kind {
                LineKind::RawAddress(raw) => {
                    if let Some(offset) = kaslr_offset {
                        let kind = PcKind::ReturnAddress;
                        if let Some(resolved) =
                            self.resolve_address(raw.address.wrapping_sub(offset), kind)
                        {
                            lines[index] = LineSymbols::Address {
                                kaslr_offset: offset,
                                resolved,
                            };
                        }
                    }
                }
                LineKind::Frame(_) => supersede_inline_lines(document, &mut lines, index),
                _ => {}
            }
        }
        let checks = self.check_reports(document, &lines);
        DocumentSymbols { lines, checks }
    }

    /// The KASLR offset shown by frames that print both `[<address>]` and
    /// `func+off`: the most common `address - (symbol + off)`.
    fn kaslr_offset(&self, document: &Document, lines: &[LineSymbols]) -> Option<u64> {
        let mut votes: HashMap<u64, usize> = HashMap::new();
        for (line, symbols) in document.lines.iter().zip(lines) {
            if let (LineKind::Frame(frame), LineSymbols::Frame(Resolution::Resolved(r))) =
                (&line.kind, symbols)
                && frame.module.is_none()
                && let Some(address) = frame.address
            {
                *votes.entry(address.wrapping_sub(r.pc)).or_default() += 1;
            }
        }
        votes
            .into_iter()
            .max_by_key(|&(offset, count)| (count, std::cmp::Reverse(offset)))
            .map(|(offset, _)| offset)
    }

    fn check_reports(&self, document: &Document, lines: &[LineSymbols]) -> Vec<ReportCheck> {
        let mut checks = Vec::new();
        for (index, report) in document.reports.iter().enumerate() {
            if let (Some(printed), Some(actual)) = (&report.kernel_release, self.release())
                && printed != actual
            {
                checks.push(ReportCheck {
                    report: Some(index),
                    message: format!(
                        "this vmlinux did not produce this report: the report is from kernel {printed}, the vmlinux is {actual}"
                    ),
                });
            }
        }
        // Size mismatches and unknown symbols, counted per report.
        let mut bad: HashMap<Option<usize>, (usize, usize, Vec<String>)> = HashMap::new();
        for (index, symbols) in lines.iter().enumerate() {
            let LineSymbols::Frame(resolution) = symbols else {
                continue;
            };
            let LineKind::Frame(frame) = &document.lines[index].kind else {
                continue;
            };
            let entry = bad.entry(document.report_of(index)).or_default();
            entry.0 += 1;
            let problem = match resolution {
                Resolution::Resolved(r) => r.size_mismatch.map(|m| {
                    format!(
                        "{} is 0x{:x} bytes here, not 0x{:x}",
                        frame.function, m.actual, m.printed
                    )
                }),
                Resolution::UnknownSymbol if frame.module.is_none() => {
                    Some(format!("{} is not in the vmlinux", frame.function))
                }
                Resolution::BuildIdMismatch { module, .. } => {
                    Some(format!("module {module} has a different build id"))
                }
                _ => None,
            };
            if let Some(problem) = problem {
                entry.1 += 1;
                if entry.2.len() < 3 {
                    entry.2.push(problem);
                }
            }
        }
        let mut bad: Vec<_> = bad.into_iter().filter(|(_, (_, n, _))| *n > 0).collect();
        bad.sort_by_key(|(report, _)| *report);
        for (report, (frames, mismatched, examples)) in bad {
            checks.push(ReportCheck {
                report,
                message: format!(
                    "this vmlinux did not produce this report: {mismatched} of {frames} frames disagree with it ({})",
                    examples.join("; ")
                ),
            });
        }
        checks
    }
}

/// Mark the `[inline]` lines just above a re-symbolized frame as replaced.
fn supersede_inline_lines(document: &Document, lines: &mut [LineSymbols], frame_index: usize) {
    let LineSymbols::Frame(Resolution::Resolved(resolved)) = &lines[frame_index] else {
        return;
    };
    if resolved.chain.is_empty() {
        return;
    }
    let mut index = frame_index;
    while index > 0 && matches!(document.lines[index - 1].kind, LineKind::InlineFrame(_)) {
        index -= 1;
        lines[index] = LineSymbols::Superseded;
    }
}
