//! What verification finds: a verdict per frame block, its problems, each
//! level as the report and DWARF give it, and the counts.

use std::ops::Range;

use kresym_symbolize::{DocumentSymbols, SizeMismatch};
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
    pub(crate) fn name(&self) -> &str {
        self.function.as_deref().unwrap_or("??")
    }

    pub(crate) fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    pub(crate) fn inline_text(&self) -> String {
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
    /// The block as indexes into [`kresym_report::Document::lines`].
    #[serde(skip)]
    pub block: Range<usize>,
    /// Index into [`kresym_report::Document::reports`], or `None` outside any report.
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
