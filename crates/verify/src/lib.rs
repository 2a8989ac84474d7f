//! Check the `file:line` and `[inline]` annotations of an already
//! symbolized kernel report against the DWARF of the vmlinux and modules
//! that produced it, frame by frame.
//!
//! [`verify_document`] re-symbolizes a parsed [`Document`] with a
//! [`Symbolizer`] and compares, for every *frame block*, what the report
//! says with what DWARF says. A frame block is the run of
//! [`LineKind::InlineFrame`] lines directly above a [`LineKind::Frame`] line,
//! plus that frame line: innermost inline level first, the frame line last,
//! exactly the shape `kresym symbolize` (and syzkaller) print.
//!
//! # Verdicts and their precedence
//!
//! Every frame block gets one [`FrameVerdict`]. Its [`VerdictKind`] is the
//! most fundamental of the [`Problem`]s found, in this order (the order of
//! [`VerdictKind`]'s variants):
//!
//! 1. **not annotated** — the frame line has no `file:line` and no
//!    `[inline]` line above it: there is nothing to check. Never a failure.
//! - **not from this binary** — the vmlinux (or the frame's module) did
//!   not produce the frame's report (see
//!   [`kresym_symbolize::CheckKind`]): the frame is not checked, and the
//!   report gets one check saying why instead of a verdict per frame.
//!   Counted as "not checked", neither ok nor wrong.
//! 2. **size mismatch** — the printed `/0xSIZE` differs from the symbol's
//!    kallsyms size in the binary: the report does not come from this
//!    vmlinux (or module), so nothing below is checked.
//! 3. **build id mismatch** — the printed module build id matches no module
//!    file found.
//! 4. **unknown symbol** — no text symbol of that name in the binary.
//! 5. **unresolved** — the frame cannot be checked: module not found or
//!    unreadable, several symbols of that name and the size picks none,
//!    offset past the end of the symbol, or no line information there.
//! 6. **missing inline frames** — DWARF has inline levels the block lacks.
//! 7. **extra inline frames** — the block has inline levels DWARF lacks.
//! 8. **inline frames out of order** — the same inline functions, in
//!    another order.
//! 9. **inline function name differs** — as many inline levels as DWARF,
//!    but a level names another function.
//! 10. **wrong file** — a level's file differs from DWARF's.
//! 11. **wrong line** — a level's file is right but its line is not; the
//!     problem carries the expected line.
//! 12. **ok**.
//!
//! Levels are paired before they are compared: by position when the block
//! has as many inline levels as DWARF (by name, occurrence by occurrence,
//! when only their order differs), otherwise along the longest common
//! subsequence of inline function names, so one missing level does not make
//! every level below it look wrong. The frame line is always paired with
//! DWARF's outermost level; its function name is not compared (the report
//! keeps the symbol name as printed, e.g. `kthread` or `foo.cold`).
//!
//! Each paired level yields at most one problem, its most fundamental
//! (name, then file, then line). Every problem of the block is kept in
//! [`FrameVerdict::problems`], most fundamental first, and
//! [`FrameVerdict::levels`] lists every level with what the report and
//! DWARF say, so nothing is hidden by the precedence.
//!
//! Files compare equal when they are the same path, or when one is the
//! other with leading directories (a build directory the report or the
//! symbolizer did not strip): `net/ipv4/tcp_ipv4.c` matches
//! `/build/linux/net/ipv4/tcp_ipv4.c` but not `ipv4/tcp_ipv4.c.orig`.
//! Columns are ignored: syzkaller does not print them.
//!
//! This crate knows nothing of the command line or of output formats; the
//! corrected text is [`Verification::symbols`] rendered by `kresym-render`.

#![deny(missing_docs)]

mod block;
mod compare;
mod verdict;

use kresym_report::{Document, LineKind};
use kresym_symbolize::{CheckKind, DocumentSymbols, Symbolizer};

pub use verdict::{
    FrameVerdict, Level, LevelCheck, LevelStatus, Problem, Summary, VerdictKind, Verification,
};

/// Re-symbolize `document` and check every frame block's annotations.
pub fn verify_document(symbolizer: &Symbolizer, document: &Document) -> Verification {
    let symbols = symbolizer.symbolize_document(document);
    verify_symbols(document, symbols)
}

/// Check every frame block of `document` against an existing
/// symbolization of it (`symbols` must come from
/// [`Symbolizer::symbolize_document`] on the same document; lines it lacks
/// count as unresolved).
pub fn verify_symbols(document: &Document, symbols: DocumentSymbols) -> Verification {
    let mut frames = Vec::new();
    let mut summary = Summary::default();
    for (index, line) in document.lines.iter().enumerate() {
        let LineKind::Frame(frame) = &line.kind else {
            continue;
        };
        let mut start = index;
        while start > 0 && matches!(document.lines[start - 1].kind, LineKind::InlineFrame(_)) {
            start -= 1;
        }
        let mut verdict =
            block::verify_block(document, start..index + 1, frame, symbols.lines.get(index));
        if verdict.verdict != VerdictKind::NotAnnotated
            && let Some(check) = symbols.withheld(verdict.report, frame.module.as_deref())
        {
            // Said once, by the report's check.
            verdict.verdict = VerdictKind::NotFromThisBinary;
            verdict
                .problems
                .retain(|p| p.kind != VerdictKind::NotFromThisBinary);
            verdict.problems.insert(
                0,
                Problem {
                    kind: VerdictKind::NotFromThisBinary,
                    line: verdict.line,
                    message: format!("not checked: {}", check.message),
                    found: None,
                    expected: None,
                },
            );
        }
        summary.frames += 1;
        match verdict.verdict {
            VerdictKind::Ok => summary.ok += 1,
            VerdictKind::NotAnnotated => summary.not_annotated += 1,
            VerdictKind::NotFromThisBinary => summary.not_checked += 1,
            _ => summary.wrong += 1,
        }
        frames.push(verdict);
    }
    // Why frames stayed unresolved is in each frame's verdict already.
    let mut checks: Vec<String> = symbols
        .checks
        .iter()
        .filter(|c| c.kind != CheckKind::Unresolved)
        .map(|c| c.message.clone())
        .collect();
    checks.extend(orphan_inline_lines(document));
    Verification {
        frames,
        summary,
        checks,
        symbols,
    }
}

/// Runs of `[inline]` lines not followed by a frame line: they belong to
/// no frame and are not checked.
fn orphan_inline_lines(document: &Document) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run: Option<(usize, usize)> = None;
    for line in &document.lines {
        match &line.kind {
            LineKind::InlineFrame(_) => {
                let first = run.map_or(line.number, |(first, _)| first);
                run = Some((first, line.number));
            }
            LineKind::Frame(_) => run = None,
            _ => runs.extend(run.take()),
        }
    }
    runs.extend(run);
    runs.into_iter()
        .map(|(first, last)| {
            let lines = if first == last {
                format!("L{first}")
            } else {
                format!("L{first}-L{last}")
            };
            format!("{lines}: [inline] lines not followed by a frame line are not checked")
        })
        .collect()
}
