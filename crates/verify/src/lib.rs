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

use std::ops::Range;

use kresym_report::{Document, Frame, LineKind};
use kresym_symbolize::{
    CheckKind, DocumentSymbols, LineSymbols, Resolution, SizeMismatch, Symbolizer,
};
use serde::Serialize;

/// What is wrong with a frame block, most fundamental first: the order of
/// the variants is the precedence (see the crate documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// The frame has no annotation at all: nothing to check.
    NotAnnotated,
    /// The vmlinux or module did not produce the frame's report: not checked.
    NotFromThisBinary,
    /// The printed symbol size differs from the binary's.
    SizeMismatch,
    /// The printed module build id matches no module file.
    BuildIdMismatch,
    /// No symbol of that name in the binary.
    UnknownSymbol,
    /// The frame cannot be checked (module missing, ambiguous name, no line info...).
    Unresolved,
    /// DWARF has inline levels the report lacks.
    MissingInline,
    /// The report has inline levels DWARF lacks.
    ExtraInline,
    /// The same inline functions in another order.
    InlineOrder,
    /// An inline level names another function.
    InlineName,
    /// A level's file is wrong.
    WrongFile,
    /// A level's line is wrong (the file is right).
    WrongLine,
    /// Everything agrees with DWARF.
    Ok,
}

impl VerdictKind {
    /// The verdict for a person: `wrong file`, `missing inline frames`...
    pub fn describe(self) -> &'static str {
        match self {
            VerdictKind::NotAnnotated => "not annotated",
            VerdictKind::NotFromThisBinary => "not checked",
            VerdictKind::SizeMismatch => "size mismatch",
            VerdictKind::BuildIdMismatch => "build id mismatch",
            VerdictKind::UnknownSymbol => "unknown symbol",
            VerdictKind::Unresolved => "cannot verify",
            VerdictKind::MissingInline => "missing inline frames",
            VerdictKind::ExtraInline => "extra inline frames",
            VerdictKind::InlineOrder => "inline frames out of order",
            VerdictKind::InlineName => "inline function name differs",
            VerdictKind::WrongFile => "wrong file",
            VerdictKind::WrongLine => "wrong line",
            VerdictKind::Ok => "ok",
        }
    }

    /// The JSON name: `wrong_file`, `missing_inline`...
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::NotAnnotated => "not_annotated",
            VerdictKind::NotFromThisBinary => "not_from_this_binary",
            VerdictKind::SizeMismatch => "size_mismatch",
            VerdictKind::BuildIdMismatch => "build_id_mismatch",
            VerdictKind::UnknownSymbol => "unknown_symbol",
            VerdictKind::Unresolved => "unresolved",
            VerdictKind::MissingInline => "missing_inline",
            VerdictKind::ExtraInline => "extra_inline",
            VerdictKind::InlineOrder => "inline_order",
            VerdictKind::InlineName => "inline_name",
            VerdictKind::WrongFile => "wrong_file",
            VerdictKind::WrongLine => "wrong_line",
            VerdictKind::Ok => "ok",
        }
    }

    /// Whether a frame with this verdict fails verification (everything
    /// but `ok`, `not annotated` and `not from this binary`).
    pub fn is_wrong(self) -> bool {
        !matches!(
            self,
            VerdictKind::Ok | VerdictKind::NotAnnotated | VerdictKind::NotFromThisBinary
        )
    }

    /// Whether re-symbolizing corrects the frame: the annotation is wrong
    /// but the frame itself matches the binary (missing inline frames
    /// through wrong line). A size mismatch, unknown symbol or unresolved
    /// frame has no trustworthy correction.
    pub fn is_correctable(self) -> bool {
        (VerdictKind::MissingInline..=VerdictKind::WrongLine).contains(&self)
    }
}

impl std::fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// One level of a frame block: a function and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Level {
    /// The function: for an inline level the inlined function; for the
    /// frame line, the symbol as printed (report side) or DWARF's name
    /// (DWARF side). `None` when DWARF has no name (printed as `??`).
    pub function: Option<String>,
    /// The file, kernel-tree-relative.
    pub file: String,
    /// The 1-based line.
    pub line: u32,
}

impl Level {
    fn name(&self) -> &str {
        self.function.as_deref().unwrap_or("??")
    }

    fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    fn inline_text(&self) -> String {
        format!("{} {}", self.name(), self.location())
    }
}

/// How one level of a block compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelStatus {
    /// Agrees with DWARF.
    Ok,
    /// In DWARF, not in the report.
    Missing,
    /// In the report, not in DWARF.
    Extra,
    /// In both, at another position.
    Moved,
    /// Another function name than DWARF's at this position.
    WrongName,
    /// Another file than DWARF's.
    WrongFile,
    /// Same file, another line.
    WrongLine,
    /// Not compared: the frame itself did not verify (size mismatch,
    /// unknown symbol, unresolved).
    Unchecked,
}

/// One level of a frame block, as the report and as DWARF have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelCheck {
    /// The report line (1-based) of this level, when the report has it.
    pub line: Option<usize>,
    /// True for an `[inline]` level, false for the frame line.
    pub inline: bool,
    /// The comparison.
    pub status: LevelStatus,
    /// What the report says.
    pub found: Option<Level>,
    /// What DWARF says.
    pub expected: Option<Level>,
}

/// One thing wrong with a frame block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem.
    pub kind: VerdictKind,
    /// The report line (1-based) it is on: the inline line or the frame
    /// line (for a missing level, the frame line).
    pub line: usize,
    /// For a person, starting with the kind: `wrong line: report says
    /// kernel/kthread.c:56, DWARF says kernel/kthread.c:55`.
    pub message: String,
    /// What the report says at that level, if it is about one level.
    pub found: Option<Level>,
    /// What DWARF says at that level, if it is about one level (for a
    /// wrong line, `expected.line` is the right line).
    pub expected: Option<Level>,
}

/// The verdict on one frame block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameVerdict {
    /// The frame line, 1-based.
    pub line: usize,
    /// The first line of the block (the first `[inline]` line above the
    /// frame, or the frame line), 1-based.
    pub first_line: usize,
    /// The block as indexes into [`Document::lines`].
    #[serde(skip)]
    pub block: Range<usize>,
    /// Index into [`Document::reports`], or `None` outside any report.
    pub report: Option<usize>,
    /// `func+0xOFF/0xSIZE` as printed.
    pub symbol: String,
    /// The module, for a module frame.
    pub module: Option<String>,
    /// False for `? ` frames.
    pub reliable: bool,
    /// The most fundamental problem's kind, `ok` or `not_annotated`.
    pub verdict: VerdictKind,
    /// Every problem, most fundamental first; empty when `ok` or `not_annotated`.
    pub problems: Vec<Problem>,
    /// Every level, innermost first, report against DWARF.
    pub levels: Vec<LevelCheck>,
    /// The printed and actual sizes, when they differ.
    pub size_mismatch: Option<SizeMismatch>,
}

impl FrameVerdict {
    /// The problem that decided the verdict, if any.
    pub fn main_problem(&self) -> Option<&Problem> {
        self.problems.first()
    }
}

/// Frame counts of a verification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Frame blocks seen.
    pub frames: usize,
    /// Frames that verify.
    pub ok: usize,
    /// Annotated frames that do not verify.
    pub wrong: usize,
    /// Frames without any annotation.
    pub not_annotated: usize,
    /// Annotated frames not checked because the vmlinux or their module
    /// did not produce their report.
    pub not_checked: usize,
}

impl Summary {
    /// Add another summary's counts to this one.
    pub fn add(&mut self, other: &Summary) {
        self.frames += other.frames;
        self.ok += other.ok;
        self.wrong += other.wrong;
        self.not_annotated += other.not_annotated;
        self.not_checked += other.not_checked;
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} frame{}: {} ok, {} wrong, {} not annotated",
            self.frames,
            if self.frames == 1 { "" } else { "s" },
            self.ok,
            self.wrong,
            self.not_annotated
        )?;
        if self.not_checked > 0 {
            write!(
                f,
                ", {} not checked (not from this binary)",
                self.not_checked
            )?;
        }
        Ok(())
    }
}

/// A document's verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// One verdict per frame block, in input order.
    pub frames: Vec<FrameVerdict>,
    /// Counts.
    pub summary: Summary,
    /// Report-wide findings, for a person: the symbolizer's (e.g. "this
    /// vmlinux did not produce this report") and `[inline]` lines that
    /// belong to no frame.
    pub checks: Vec<String>,
    /// The fresh symbolization: render it with
    /// `kresym_render::text::write_symbolized` for the corrected report.
    #[serde(skip)]
    pub symbols: DocumentSymbols,
}

impl Verification {
    /// True when every annotated frame verifies.
    pub fn is_clean(&self) -> bool {
        self.summary.wrong == 0 && self.summary.not_checked == 0
    }

    /// The frames that do not verify.
    pub fn wrong_frames(&self) -> impl Iterator<Item = &FrameVerdict> {
        self.frames.iter().filter(|f| f.verdict.is_wrong())
    }
}

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
        let mut verdict = verify_block(document, start..index + 1, frame, symbols.lines.get(index));
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

/// What the report says in one block: inline levels with their line
/// numbers, innermost first, then the frame line's annotation.
struct Found {
    inline: Vec<(usize, Level)>,
    outer: Option<Level>,
    frame_line: usize,
}

/// What DWARF says: inline levels innermost first, then the function's own.
struct Expected {
    inline: Vec<Level>,
    outer: Option<Level>,
}

fn verify_block(
    document: &Document,
    block: Range<usize>,
    frame: &Frame,
    symbols: Option<&LineSymbols>,
) -> FrameVerdict {
    let frame_index = block.end - 1;
    let frame_line = &document.lines[frame_index];
    let content = document.line_content(frame_line);
    let symbol = content
        .get(frame.spans.symbol.clone())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_else(|| format!("{}+0x{:x}/0x{:x}", frame.function, frame.offset, frame.size));
    let found = Found {
        inline: document.lines[block.clone()]
            .iter()
            .filter_map(|line| match &line.kind {
                LineKind::InlineFrame(inline) => Some((
                    line.number,
                    Level {
                        function: Some(inline.function.clone()),
                        file: inline.location.file.clone(),
                        line: inline.location.line,
                    },
                )),
                _ => None,
            })
            .collect(),
        outer: frame.annotation.as_ref().map(|a| Level {
            function: Some(frame.function.clone()),
            file: a.file.clone(),
            line: a.line,
        }),
        frame_line: frame_line.number,
    };
    let mut verdict = FrameVerdict {
        line: frame_line.number,
        first_line: document.lines[block.start].number,
        block,
        report: document.report_of(frame_index),
        symbol,
        module: frame.module.clone(),
        reliable: frame.reliable,
        verdict: VerdictKind::Ok,
        problems: Vec::new(),
        levels: Vec::new(),
        size_mismatch: None,
    };
    if found.inline.is_empty() && found.outer.is_none() {
        verdict.verdict = VerdictKind::NotAnnotated;
        return verdict;
    }
    let (problems, levels) = match expected_levels(frame, symbols) {
        Ok(expected) => compare(&found, &expected),
        Err((problem, size_mismatch)) => {
            verdict.size_mismatch = size_mismatch;
            let problem = Problem {
                kind: problem.0,
                line: found.frame_line,
                message: format!("{}: {}", problem.0.describe(), problem.1),
                found: None,
                expected: None,
            };
            (vec![problem], unchecked_levels(&found))
        }
    };
    verdict.verdict = problems.first().map_or(VerdictKind::Ok, |p| p.kind);
    verdict.problems = problems;
    verdict.levels = levels;
    verdict
}

/// The report's levels when the frame itself could not be checked.
fn unchecked_levels(found: &Found) -> Vec<LevelCheck> {
    let mut levels: Vec<_> = found
        .inline
        .iter()
        .map(|(line, level)| LevelCheck {
            line: Some(*line),
            inline: true,
            status: LevelStatus::Unchecked,
            found: Some(level.clone()),
            expected: None,
        })
        .collect();
    levels.push(LevelCheck {
        line: Some(found.frame_line),
        inline: false,
        status: LevelStatus::Unchecked,
        found: found.outer.clone(),
        expected: None,
    });
    levels
}

type FrameFailure = ((VerdictKind, String), Option<SizeMismatch>);

/// DWARF's levels for a frame, or why the frame cannot be checked.
fn expected_levels(frame: &Frame, symbols: Option<&LineSymbols>) -> Result<Expected, FrameFailure> {
    let binary = match &frame.module {
        Some(module) => format!("module {module}"),
        None => "the vmlinux".to_owned(),
    };
    let resolution = match symbols {
        Some(LineSymbols::Frame(resolution)) => resolution,
        _ => {
            return Err((
                (
                    VerdictKind::Unresolved,
                    "the frame was not symbolized".to_owned(),
                ),
                None,
            ));
        }
    };
    let resolved = match resolution {
        Resolution::Resolved(resolved) => resolved,
        Resolution::Ambiguous { candidates } => {
            return Err((
                (
                    VerdictKind::Unresolved,
                    format!(
                        "{} symbols named {} in {binary} and the size 0x{:x} does not pick one",
                        candidates.len(),
                        frame.function,
                        frame.size
                    ),
                ),
                None,
            ));
        }
        Resolution::SizeMismatch { printed, actual } => {
            let sizes: Vec<_> = actual.iter().map(|size| format!("0x{size:x}")).collect();
            return Err((
                (
                    VerdictKind::SizeMismatch,
                    format!(
                        "{} is {} bytes in {binary}, the report says 0x{printed:x}: the report does not come from this {}",
                        frame.function,
                        sizes.join(" or "),
                        if frame.module.is_some() {
                            "module"
                        } else {
                            "vmlinux"
                        }
                    ),
                ),
                match actual.as_slice() {
                    [actual] => Some(SizeMismatch {
                        printed: *printed,
                        actual: *actual,
                    }),
                    _ => None,
                },
            ));
        }
        Resolution::Withheld(_) => {
            return Err((
                (
                    VerdictKind::NotFromThisBinary,
                    format!("{binary} did not produce this report"),
                ),
                None,
            ));
        }
        Resolution::UnknownSymbol => {
            return Err((
                (
                    VerdictKind::UnknownSymbol,
                    format!("no function {} in {binary}", frame.function),
                ),
                None,
            ));
        }
        Resolution::OffsetOutOfRange { size } => {
            return Err((
                (
                    VerdictKind::Unresolved,
                    format!(
                        "offset 0x{:x} is past the end of {} (0x{size:x} bytes in {binary})",
                        frame.offset, frame.function
                    ),
                ),
                None,
            ));
        }
        Resolution::ModuleNotFound { module } => {
            return Err((
                (
                    VerdictKind::Unresolved,
                    format!("module {module} not found (see --modules)"),
                ),
                None,
            ));
        }
        Resolution::ModuleUnreadable { module, error } => {
            return Err((
                (
                    VerdictKind::Unresolved,
                    format!("module {module} cannot be read: {error}"),
                ),
                None,
            ));
        }
        Resolution::BuildIdMismatch {
            module,
            printed,
            found,
        } => {
            return Err((
                (
                    VerdictKind::BuildIdMismatch,
                    format!(
                        "the report's {module} has build id {printed}, the files found have {}: the report does not come from this module",
                        found.join(", ")
                    ),
                ),
                None,
            ));
        }
    };
    if let Some(mismatch) = resolved.size_mismatch {
        return Err((
            (
                VerdictKind::SizeMismatch,
                format!(
                    "{} is 0x{:x} bytes in {binary}, the report says 0x{:x}: the report does not come from this {}",
                    resolved.symbol,
                    mismatch.actual,
                    mismatch.printed,
                    if frame.module.is_some() {
                        "module"
                    } else {
                        "vmlinux"
                    }
                ),
            ),
            Some(mismatch),
        ));
    }
    let mut expected = Expected {
        inline: Vec::new(),
        outer: None,
    };
    for level in &resolved.chain {
        let Some(location) = &level.location else {
            continue;
        };
        let level_out = Level {
            function: level.function.clone(),
            file: location.file.clone(),
            line: location.line,
        };
        if level.inlined {
            expected.inline.push(level_out);
        } else {
            expected.outer = Some(level_out);
        }
    }
    if expected.inline.is_empty() && expected.outer.is_none() {
        return Err((
            (
                VerdictKind::Unresolved,
                format!(
                    "no line information for 0x{:x} in {binary}",
                    resolved.lookup_pc
                ),
            ),
            None,
        ));
    }
    Ok(expected)
}

/// How the report's inline levels pair with DWARF's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Same names in the same order: paired by position.
    Same,
    /// Same names in another order: paired by name.
    Reordered,
    /// As many levels, other names: paired by position.
    Renamed,
    /// Another number of levels: paired along the longest common subsequence.
    Different,
}

/// A report level paired with a DWARF level (indexes; `None` when one side lacks it).
type Pair = (Option<usize>, Option<usize>);

/// Pairs of (report index, DWARF index), in display order.
fn align(found: &[&str], expected: &[&str]) -> (Shape, Vec<Pair>) {
    if found.len() == expected.len() {
        let positional = (0..found.len()).map(|i| (Some(i), Some(i))).collect();
        if found == expected {
            return (Shape::Same, positional);
        }
        let mut a = found.to_vec();
        let mut b = expected.to_vec();
        a.sort_unstable();
        b.sort_unstable();
        if a != b {
            return (Shape::Renamed, positional);
        }
        let mut used = vec![false; expected.len()];
        let pairs = found
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let j = (0..expected.len())
                    .find(|&j| !used[j] && expected[j] == *name)
                    .unwrap_or(i);
                used[j] = true;
                (Some(i), Some(j))
            })
            .collect();
        return (Shape::Reordered, pairs);
    }
    // Longest common subsequence of names.
    let (n, m) = (found.len(), expected.len());
    let mut table = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if found[i] == expected[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let mut pairs = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && found[i] == expected[j] {
            pairs.push((Some(i), Some(j)));
            i += 1;
            j += 1;
        } else if j < m && (i == n || table[i][j + 1] >= table[i + 1][j]) {
            pairs.push((None, Some(j)));
            j += 1;
        } else {
            pairs.push((Some(i), None));
            i += 1;
        }
    }
    (Shape::Different, pairs)
}

/// Same file, allowing one side to carry leading directories the other
/// lacks (a build directory not stripped).
fn same_file(a: &str, b: &str) -> bool {
    let a = a.strip_prefix("./").unwrap_or(a);
    let b = b.strip_prefix("./").unwrap_or(b);
    a == b
        || (a.len() > b.len() && a.ends_with(b) && a.as_bytes()[a.len() - b.len() - 1] == b'/')
        || (b.len() > a.len() && b.ends_with(a) && b.as_bytes()[b.len() - a.len() - 1] == b'/')
}

/// Compare one paired level; `None` when it agrees.
fn compare_level(
    found: &Level,
    expected: &Level,
    compare_names: bool,
) -> Option<(LevelStatus, VerdictKind)> {
    if compare_names && found.name() != expected.name() {
        Some((LevelStatus::WrongName, VerdictKind::InlineName))
    } else if !same_file(&found.file, &expected.file) {
        Some((LevelStatus::WrongFile, VerdictKind::WrongFile))
    } else if found.line != expected.line {
        Some((LevelStatus::WrongLine, VerdictKind::WrongLine))
    } else {
        None
    }
}

fn compare(found: &Found, expected: &Expected) -> (Vec<Problem>, Vec<LevelCheck>) {
    let found_names: Vec<&str> = found.inline.iter().map(|(_, l)| l.name()).collect();
    let expected_names: Vec<&str> = expected.inline.iter().map(Level::name).collect();
    let (shape, pairs) = align(&found_names, &expected_names);
    let mut problems = Vec::new();
    let mut levels = Vec::new();
    if shape == Shape::Reordered {
        problems.push(Problem {
            kind: VerdictKind::InlineOrder,
            line: found.frame_line,
            message: format!(
                "{}: report says {}; DWARF says {}",
                VerdictKind::InlineOrder.describe(),
                found_names.join(", "),
                expected_names.join(", ")
            ),
            found: None,
            expected: None,
        });
    }
    for (fi, ei) in pairs {
        let found_level = fi.map(|i| &found.inline[i]);
        let expected_level = ei.map(|j| &expected.inline[j]);
        let line = found_level.map(|(n, _)| *n);
        let (status, problem) = match (found_level, expected_level) {
            (Some((n, f)), None) => (
                LevelStatus::Extra,
                Some(Problem {
                    kind: VerdictKind::ExtraInline,
                    line: *n,
                    message: format!(
                        "{}: L{n} {} [inline] is not in DWARF",
                        VerdictKind::ExtraInline.describe(),
                        f.inline_text()
                    ),
                    found: Some(f.clone()),
                    expected: None,
                }),
            ),
            (None, Some(e)) => (
                LevelStatus::Missing,
                Some(Problem {
                    kind: VerdictKind::MissingInline,
                    line: found.frame_line,
                    message: format!(
                        "{}: DWARF has {} [inline]",
                        VerdictKind::MissingInline.describe(),
                        e.inline_text()
                    ),
                    found: None,
                    expected: Some(e.clone()),
                }),
            ),
            (Some((n, f)), Some(e)) => {
                if shape == Shape::Reordered && fi != ei {
                    (LevelStatus::Moved, None)
                } else {
                    match compare_level(f, e, shape == Shape::Renamed) {
                        None => (LevelStatus::Ok, None),
                        Some((status, kind)) => (
                            status,
                            Some(level_problem(kind, *n, Some(f), Some(e), true)),
                        ),
                    }
                }
            }
            (None, None) => continue,
        };
        problems.extend(problem);
        levels.push(LevelCheck {
            line,
            inline: true,
            status,
            found: found_level.map(|(_, l)| l.clone()),
            expected: expected_level.cloned(),
        });
    }
    // The frame line itself.
    let outer = match (&found.outer, &expected.outer) {
        (Some(f), Some(e)) => compare_level(f, e, false),
        (None, None) => None,
        _ => Some((LevelStatus::WrongFile, VerdictKind::WrongFile)),
    };
    let status = match outer {
        None => LevelStatus::Ok,
        Some((status, kind)) => {
            problems.push(level_problem(
                kind,
                found.frame_line,
                found.outer.as_ref(),
                expected.outer.as_ref(),
                false,
            ));
            status
        }
    };
    levels.push(LevelCheck {
        line: Some(found.frame_line),
        inline: false,
        status,
        found: found.outer.clone(),
        expected: expected.outer.clone(),
    });
    problems.sort_by_key(|p| p.kind);
    (problems, levels)
}

/// A wrong name, file or line at one level.
fn level_problem(
    kind: VerdictKind,
    line: usize,
    found: Option<&Level>,
    expected: Option<&Level>,
    inline: bool,
) -> Problem {
    let say = |level: Option<&Level>, what: &str| match (level, kind) {
        (None, _) => format!("{what} nothing"),
        (Some(l), VerdictKind::InlineName) => format!("{what} {}", l.name()),
        (Some(l), _) => format!("{what} {}", l.location()),
    };
    let at = if inline {
        let name = found.or(expected).map_or("??", Level::name);
        format!(" at L{line} ({name} [inline])")
    } else {
        String::new()
    };
    Problem {
        kind,
        line,
        message: format!(
            "{}{at}: {}, {}",
            kind.describe(),
            say(found, "report says"),
            say(expected, "DWARF says")
        ),
        found: found.cloned(),
        expected: expected.cloned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(function: &str, file: &str, line: u32) -> Level {
        Level {
            function: Some(function.to_owned()),
            file: file.to_owned(),
            line,
        }
    }

    fn found(inline: &[Level], outer: Level) -> Found {
        Found {
            inline: inline
                .iter()
                .enumerate()
                .map(|(i, l)| (10 + i, l.clone()))
                .collect(),
            outer: Some(outer),
            frame_line: 10 + inline.len(),
        }
    }

    fn expected(inline: &[Level], outer: Level) -> Expected {
        Expected {
            inline: inline.to_vec(),
            outer: Some(outer),
        }
    }

    fn chain() -> Vec<Level> {
        vec![
            level("a", "a.h", 1),
            level("b", "b.h", 2),
            level("c", "c.h", 3),
        ]
    }

    fn kinds(problems: &[Problem]) -> Vec<VerdictKind> {
        problems.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn identical_blocks_are_ok() {
        let outer = level("f", "f.c", 9);
        let (problems, levels) =
            compare(&found(&chain(), outer.clone()), &expected(&chain(), outer));
        assert!(problems.is_empty());
        assert_eq!(levels.len(), 4);
        assert!(levels.iter().all(|l| l.status == LevelStatus::Ok));
    }

    #[test]
    fn one_missing_level_does_not_shift_the_others() {
        let outer = level("f", "f.c", 9);
        let mut short = chain();
        short.remove(1);
        let (problems, levels) = compare(&found(&short, outer.clone()), &expected(&chain(), outer));
        assert_eq!(kinds(&problems), [VerdictKind::MissingInline]);
        assert_eq!(problems[0].expected, Some(level("b", "b.h", 2)));
        let statuses: Vec<_> = levels.iter().map(|l| l.status).collect();
        assert_eq!(
            statuses,
            [
                LevelStatus::Ok,
                LevelStatus::Missing,
                LevelStatus::Ok,
                LevelStatus::Ok
            ]
        );
    }

    #[test]
    fn extra_level_and_wrong_line_are_both_kept_most_fundamental_first() {
        let outer = level("f", "f.c", 9);
        let mut long = chain();
        long.insert(0, level("x", "x.h", 7));
        let (problems, _) = compare(
            &found(&long, level("f", "f.c", 8)),
            &expected(&chain(), outer),
        );
        assert_eq!(
            kinds(&problems),
            [VerdictKind::ExtraInline, VerdictKind::WrongLine]
        );
        assert_eq!(problems[0].line, 10);
        assert_eq!(problems[1].expected.as_ref().map(|l| l.line), Some(9));
    }

    #[test]
    fn reordered_levels_are_out_of_order_not_renamed() {
        let outer = level("f", "f.c", 9);
        let mut swapped = chain();
        swapped.swap(0, 2);
        let (problems, _) = compare(&found(&swapped, outer.clone()), &expected(&chain(), outer));
        assert_eq!(kinds(&problems), [VerdictKind::InlineOrder]);
        assert!(
            problems[0]
                .message
                .contains("report says c, b, a; DWARF says a, b, c")
        );
    }

    #[test]
    fn renamed_level_is_a_name_problem() {
        let outer = level("f", "f.c", 9);
        let mut renamed = chain();
        renamed[1].function = Some("z".to_owned());
        let (problems, _) = compare(&found(&renamed, outer.clone()), &expected(&chain(), outer));
        assert_eq!(kinds(&problems), [VerdictKind::InlineName]);
        assert_eq!(problems[0].line, 11);
        assert_eq!(
            problems[0].message,
            "inline function name differs at L11 (z [inline]): report says z, DWARF says b"
        );
    }

    #[test]
    fn wrong_file_wins_over_wrong_line() {
        let (problems, _) = compare(
            &found(&[], level("kthread", "kernel/kthread.c", 55)),
            &expected(&[], level("kthread", "drivers/block/aoe/aoecmd.c", 88)),
        );
        assert_eq!(kinds(&problems), [VerdictKind::WrongFile]);
        assert_eq!(
            problems[0].message,
            "wrong file: report says kernel/kthread.c:55, DWARF says drivers/block/aoe/aoecmd.c:88"
        );
    }

    #[test]
    fn build_directories_do_not_make_files_differ() {
        assert!(same_file(
            "net/ipv4/tcp_ipv4.c",
            "/build/linux/net/ipv4/tcp_ipv4.c"
        ));
        assert!(same_file("./net/ipv4/tcp_ipv4.c", "net/ipv4/tcp_ipv4.c"));
        assert!(!same_file("net/ipv4/tcp_ipv4.c", "ipv4/tcp_ipv4.c.orig"));
        assert!(!same_file("kernel/kthread.c", "drivers/block/aoe/aoecmd.c"));
        assert!(!same_file("a/xkthread.c", "kthread.c"));
    }

    #[test]
    fn align_handles_empty_sides() {
        let (shape, pairs) = align(&[], &["a", "b"]);
        assert_eq!(shape, Shape::Different);
        assert_eq!(pairs, [(None, Some(0)), (None, Some(1))]);
        let (_, pairs) = align(&["a"], &[]);
        assert_eq!(pairs, [(Some(0), None)]);
    }
}
