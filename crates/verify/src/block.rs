//! One frame block: what the report says (its `[inline]` lines and frame
//! line), what DWARF says (the fresh symbolization), and the verdict.

use std::ops::Range;

use kresym_report::{Document, Frame, LineKind};
use kresym_symbolize::{LineSymbols, Resolution, SizeMismatch};

use crate::compare::{Expected, Found, compare};
use crate::verdict::{FrameVerdict, Level, LevelCheck, LevelStatus, Problem, VerdictKind};

/// The verdict on one frame block (`block`: indexes into
/// [`Document::lines`], the frame line last).
pub(crate) fn verify_block(
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
