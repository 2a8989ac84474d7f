//! Symbolize every frame of a parsed document.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use kresym_report::{Document, LineKind, PcKind};
use serde::Serialize;

use crate::frame::{FrameQuery, Resolution, Resolved};
use crate::symbolizer::Symbolizer;
use kresym_debuginfo::modules::normalize_name;

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

/// A finding about a document, said once rather than once per frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportCheck {
    /// Index into [`Document::reports`], or `None` for frames outside any
    /// report (or, for [`CheckKind::Unresolved`], for the whole document).
    pub report: Option<usize>,
    /// What kind of finding.
    pub kind: CheckKind,
    /// The module, for [`CheckKind::NotFromThisModule`].
    pub module: Option<String>,
    /// What is wrong and what to do, for a person.
    pub message: String,
}

/// The kinds of [`ReportCheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The vmlinux did not produce the report (printed sizes disagree with
    /// it, none of its functions is there, or the kernel release differs):
    /// every frame of the report is left unchanged.
    NotFromThisVmlinux,
    /// The module file found did not produce the report's frames in that
    /// module (sizes or build id disagree): those frames are left unchanged.
    NotFromThisModule,
    /// The vmlinux or a module did not produce the report, but
    /// [`SymbolizerBuilder::allow_mismatch`](crate::SymbolizerBuilder::allow_mismatch) annotated it anyway.
    MismatchAllowed,
    /// Why some frames could not be resolved (module not found, unknown or
    /// ambiguous symbol, ...) and what to do, one finding per cause.
    Unresolved,
}

impl ReportCheck {
    /// Whether frames were left unchanged because a binary did not produce
    /// their report.
    pub fn is_withheld(&self) -> bool {
        matches!(
            self.kind,
            CheckKind::NotFromThisVmlinux | CheckKind::NotFromThisModule
        )
    }
}

/// A document's symbolization, line by line.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSymbols {
    /// One entry per [`Document::lines`] entry.
    pub lines: Vec<LineSymbols>,
    /// Findings such as "this vmlinux did not produce this report", and
    /// why frames stayed unresolved.
    pub checks: Vec<ReportCheck>,
}

impl DocumentSymbols {
    /// Counts of frames: (frames, resolved with line info, unresolved), and
    /// of reports left unchanged.
    pub fn counts(&self) -> FrameCounts {
        let mut counts = FrameCounts {
            withheld_reports: self.checks.iter().filter(|c| c.is_withheld()).count(),
            ..FrameCounts::default()
        };
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

    /// The check that left the frames of `report` in `module` (`None`: the
    /// vmlinux) unchanged because a binary did not produce them, if any.
    pub fn withheld(&self, report: Option<usize>, module: Option<&str>) -> Option<&ReportCheck> {
        withholding(&self.checks, report, module)
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
    /// Reports (or a module's frames in them) left unchanged because the
    /// vmlinux or module did not produce them.
    pub withheld_reports: usize,
}

impl std::ops::AddAssign for FrameCounts {
    fn add_assign(&mut self, other: FrameCounts) {
        self.frames += other.frames;
        self.resolved += other.resolved;
        self.unresolved += other.unresolved;
        self.withheld_reports += other.withheld_reports;
    }
}

impl Symbolizer {
    /// Symbolize every frame in a document.
    ///
    /// A report the vmlinux did not produce (see [`CheckKind`]) is left
    /// unchanged, with one check saying why, unless
    /// [`SymbolizerBuilder::allow_mismatch`](crate::SymbolizerBuilder::allow_mismatch).
    pub fn symbolize_document(&self, document: &Document) -> DocumentSymbols {
        let mut lines: Vec<LineSymbols> = document
            .lines
            .iter()
            .map(|line| match &line.kind {
                LineKind::Frame(frame) => LineSymbols::Frame(self.resolve(FrameQuery::from(frame))),
                _ => LineSymbols::Unchanged,
            })
            .collect();
        let mut checks = self.check_reports(document, &lines);
        if !self.allow_mismatch {
            withhold(document, &mut lines, &checks);
        }
        let kaslr_offset = self.kaslr_offset(document, &lines);
        for (index, line) in document.lines.iter().enumerate() {
            match &line.kind {
                LineKind::RawAddress(raw) => {
                    let withheld = checks.iter().any(|c| {
                        c.kind == CheckKind::NotFromThisVmlinux
                            && c.report == document.report_of(index)
                    });
                    if let Some(offset) = kaslr_offset.filter(|_| !withheld) {
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
        let explanations = self.explain_unresolved(document, &lines, &checks);
        checks.extend(explanations);
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

    /// Which reports (and which modules' frames in them) the vmlinux and
    /// modules did not produce: a kernel release other than the vmlinux's,
    /// a printed size (or module build id) that disagrees, or frames none
    /// of whose functions the binary has. One check per report and binary.
    fn check_reports(&self, document: &Document, lines: &[LineSymbols]) -> Vec<ReportCheck> {
        let mut groups: BTreeMap<(Option<usize>, Option<String>), Group> = BTreeMap::new();
        for (index, symbols) in lines.iter().enumerate() {
            let (LineSymbols::Frame(resolution), LineKind::Frame(frame)) =
                (symbols, &document.lines[index].kind)
            else {
                continue;
            };
            let key = (
                document.report_of(index),
                frame.module.as_deref().map(normalize_name),
            );
            let group = groups.entry(key).or_default();
            group.frames += 1;
            let sizes = |actual: &mut dyn Iterator<Item = u64>| {
                let actual: Vec<_> = actual.map(|size| format!("0x{size:x}")).collect();
                format!(
                    "{} is {} bytes here, not 0x{:x}",
                    frame.function,
                    actual.join(" or "),
                    frame.size
                )
            };
            let problem = match resolution {
                Resolution::SizeMismatch { actual, .. } => Some(sizes(&mut actual.iter().copied())),
                Resolution::Resolved(r) if r.size_mismatch.is_some() => {
                    Some(sizes(&mut std::iter::once(r.symbol_size)))
                }
                Resolution::Ambiguous { candidates }
                    if candidates.iter().all(|c| c.size_mismatch.is_some()) =>
                {
                    Some(sizes(&mut candidates.iter().map(|c| c.symbol_size)))
                }
                Resolution::BuildIdMismatch { printed, found, .. } if !self.allow_mismatch => {
                    Some(format!(
                        "it prints build id {printed}, the files found have {}",
                        found.join(", ")
                    ))
                }
                Resolution::UnknownSymbol => {
                    group.unknown += 1;
                    group.unknown_names.insert(frame.function.clone());
                    let example = format!("{} is not there", frame.function);
                    if group.unknown_examples.len() < 3
                        && !group.unknown_examples.contains(&example)
                    {
                        group.unknown_examples.push(example);
                    }
                    None
                }
                _ => None,
            };
            if let Some(problem) = problem {
                group.mismatched += 1;
                if group.examples.len() < 3 && !group.examples.contains(&problem) {
                    group.examples.push(problem);
                }
            }
        }
        let mut checks = Vec::new();
        // The vmlinux first: when it did not produce a report, nothing in
        // the report is annotated, module frames included.
        let mut foreign = BTreeSet::new();
        let reports = document
            .reports
            .iter()
            .enumerate()
            .map(|(i, r)| (Some(i), Some(r)));
        for (report, details) in std::iter::once((None, None)).chain(reports) {
            let mut reasons = Vec::new();
            if let (Some(printed), Some(actual)) = (
                details.and_then(|r| r.kernel_release.as_deref()),
                self.release(),
            ) && printed != actual
            {
                reasons.push(format!(
                    "the report is from kernel {printed}, the vmlinux is {actual}"
                ));
            }
            if let Some(group) = groups.get(&(report, None)) {
                reasons.extend(group.disagreement());
            }
            if reasons.is_empty() {
                continue;
            }
            foreign.insert(report);
            let subject = match details {
                Some(report) => match &report.title {
                    Some(title) => format!("this report ({title})"),
                    None => "this report".to_owned(),
                },
                None => "the frames outside any report".to_owned(),
            };
            checks.push(self.mismatch_check(
                report,
                None,
                format!(
                    "this vmlinux did not produce {subject}: {}",
                    reasons.join("; ")
                ),
            ));
        }
        for ((report, module), group) in &groups {
            let Some(module) = module else { continue };
            if foreign.contains(report) {
                continue;
            }
            if let Some(reason) = group.disagreement() {
                checks.push(self.mismatch_check(
                    *report,
                    Some(module),
                    format!(
                        "the module {module} found did not produce this report's {module} frames: {reason}; pass --modules DIR with the {module} of the kernel that printed it"
                    ),
                ));
            }
        }
        checks.sort_by_key(|check| check.report);
        checks
    }

    /// A check that `module` (`None`: the vmlinux) did not produce frames:
    /// they are withheld, or annotated anyway when mismatches are allowed.
    fn mismatch_check(
        &self,
        report: Option<usize>,
        module: Option<&str>,
        message: String,
    ) -> ReportCheck {
        let (kind, consequence) = match (self.allow_mismatch, module) {
            (true, _) => (
                CheckKind::MismatchAllowed,
                "annotated anyway (--allow-mismatch)",
            ),
            (false, None) => (
                CheckKind::NotFromThisVmlinux,
                "left unchanged (--allow-mismatch annotates it anyway)",
            ),
            (false, Some(_)) => (
                CheckKind::NotFromThisModule,
                "those frames are left unchanged (--allow-mismatch annotates them anyway)",
            ),
        };
        ReportCheck {
            report,
            kind,
            module: module.map(str::to_owned),
            message: format!("{message}; {consequence}"),
        }
    }

    /// One check per reason frames stayed unresolved (a module not found,
    /// unknown or ambiguous symbols, ...), naming the frames and what to do;
    /// frames left unchanged because their report is not from the binary
    /// are already explained by that check.
    fn explain_unresolved(
        &self,
        document: &Document,
        lines: &[LineSymbols],
        checks: &[ReportCheck],
    ) -> Vec<ReportCheck> {
        let mut causes: BTreeMap<String, Cause> = BTreeMap::new();
        for (index, symbols) in lines.iter().enumerate() {
            let (LineSymbols::Frame(resolution), LineKind::Frame(frame)) =
                (symbols, &document.lines[index].kind)
            else {
                continue;
            };
            // Most frames have nothing to explain: skip them before
            // formatting anything.
            let explained = match resolution {
                Resolution::Resolved(r) => r.chain.is_empty(),
                Resolution::SizeMismatch { .. } | Resolution::Withheld(_) => false,
                _ => true,
            };
            if !explained
                || withholding(checks, document.report_of(index), frame.module.as_deref()).is_some()
            {
                continue;
            }
            let binary = match &frame.module {
                Some(module) => format!("module {module}"),
                None => "the vmlinux".to_owned(),
            };
            let text = match &frame.module {
                Some(module) => format!(
                    "{}+0x{:x}/0x{:x} [{module}]",
                    frame.function, frame.offset, frame.size
                ),
                None => format!("{}+0x{:x}/0x{:x}", frame.function, frame.offset, frame.size),
            };
            let (key, what, advice) = match resolution {
                Resolution::ModuleNotFound { module } => (
                    format!("module not found {}", normalize_name(module)),
                    format!("module {module} not found"),
                    format!(
                        "pass --modules DIR holding {module}.ko or {module}.ko.debug (or --debug-dir ROOT with ROOT/lib/modules/RELEASE/)"
                    ),
                ),
                Resolution::ModuleUnreadable { module, error } => (
                    format!("module unreadable {}", normalize_name(module)),
                    format!("module {module} cannot be used: {error}"),
                    format!("pass --modules DIR with a readable {module}.ko"),
                ),
                Resolution::BuildIdMismatch { module, printed, found } => (
                    format!("build id {} {printed}", normalize_name(module)),
                    format!(
                        "no {module} with build id {printed} (the files found have {})",
                        found.join(", ")
                    ),
                    "pass --modules DIR with the module of that build, or set DEBUGINFOD_URLS"
                        .to_owned(),
                ),
                Resolution::UnknownSymbol => (
                    format!("unknown {binary}"),
                    format!("functions not in {binary}"),
                    "code generated at run time (BPF programs, trampolines) is in no file; otherwise the file is not the one that printed the report (--vmlinux, --release, --modules)".to_owned(),
                ),
                Resolution::Ambiguous { candidates } => (
                    format!("ambiguous {binary} {} {}", frame.function, frame.size),
                    format!(
                        "{} functions named {} in {binary} {} and point at different source",
                        candidates.len(),
                        frame.function,
                        if candidates.iter().all(|c| c.size_mismatch.is_some()) {
                            format!("(none 0x{:x} bytes long)", frame.size)
                        } else {
                            format!("are 0x{:x} bytes long", frame.size)
                        }
                    ),
                    "nothing is guessed (--format json lists every candidate)".to_owned(),
                ),
                Resolution::OffsetOutOfRange { size } => (
                    format!("offset {text}"),
                    format!(
                        "the offset is past the end of {} (0x{size:x} bytes in {binary})",
                        frame.function
                    ),
                    "the frame is malformed".to_owned(),
                ),
                Resolution::Resolved(r) if r.chain.is_empty() => {
                    if frame.module.is_none() && !self.vmlinux.has_dwarf() {
                        continue; // said once when the vmlinux is opened
                    }
                    (
                        format!("no lines {binary}"),
                        format!("no line information in {binary}"),
                        format!("{binary} has no DWARF for that code"),
                    )
                }
                _ => continue,
            };
            let cause = causes.entry(key).or_insert_with(|| Cause {
                first: index,
                what,
                advice,
                frames: 0,
                functions: Vec::new(),
            });
            cause.frames += 1;
            if !cause.functions.contains(&text) && cause.functions.len() < 3 {
                cause.functions.push(text);
            }
        }
        let mut causes: Vec<_> = causes.into_values().collect();
        causes.sort_by_key(|cause| cause.first);
        causes
            .into_iter()
            .map(|cause| {
                let frames = if cause.frames == 1 {
                    format!("frame {}", cause.functions.join(", "))
                } else {
                    let more = if cause.frames > cause.functions.len() {
                        ", ..."
                    } else {
                        ""
                    };
                    format!(
                        "{} frames: {}{more}",
                        cause.frames,
                        cause.functions.join(", ")
                    )
                };
                ReportCheck {
                    report: None,
                    kind: CheckKind::Unresolved,
                    module: None,
                    message: format!("{}: {frames} not resolved: {}", cause.what, cause.advice),
                }
            })
            .collect()
    }
}

/// The frames of one report in one binary, for [`Symbolizer::check_reports`].
#[derive(Default)]
struct Group {
    frames: usize,
    /// Frames whose size or build id disagrees.
    mismatched: usize,
    examples: Vec<String>,
    /// Frames whose function the binary lacks.
    unknown: usize,
    unknown_names: BTreeSet<String>,
    unknown_examples: Vec<String>,
}

impl Group {
    /// Why the binary did not produce these frames, if it did not: any
    /// size or build id that disagrees, or none of two or more functions
    /// there (one unknown function alone may be code generated at run
    /// time, such as a BPF program).
    fn disagreement(&self) -> Option<String> {
        if self.mismatched > 0 {
            let mut examples = self.examples.clone();
            examples.extend(
                self.unknown_examples
                    .iter()
                    .take(3 - examples.len())
                    .cloned(),
            );
            let disagree = self.mismatched + self.unknown;
            return Some(format!(
                "{disagree} of {} frames disagree with it ({})",
                self.frames,
                examples.join("; ")
            ));
        }
        (self.unknown == self.frames && self.unknown_names.len() >= 2).then(|| {
            format!(
                "none of its {} frames is there ({})",
                self.frames,
                self.unknown_examples.join("; ")
            )
        })
    }
}

/// Frames that stayed unresolved for one reason, for one message.
struct Cause {
    /// The first frame's line index, to order the messages.
    first: usize,
    what: String,
    advice: String,
    frames: usize,
    /// The first few frames, as printed.
    functions: Vec<String>,
}

/// Leave the frames of reports a binary did not produce unchanged.
fn withhold(document: &Document, lines: &mut [LineSymbols], checks: &[ReportCheck]) {
    for (index, line) in document.lines.iter().enumerate() {
        let LineKind::Frame(frame) = &line.kind else {
            continue;
        };
        if withholding(checks, document.report_of(index), frame.module.as_deref()).is_none() {
            continue;
        }
        lines[index] = match std::mem::replace(&mut lines[index], LineSymbols::Unchanged) {
            LineSymbols::Frame(Resolution::Resolved(resolved)) => {
                LineSymbols::Frame(Resolution::Withheld(resolved))
            }
            other => other,
        };
    }
}

/// The check among `checks` that withholds the frames of `report` in
/// `module` (`None`: the vmlinux), if any.
fn withholding<'a>(
    checks: &'a [ReportCheck],
    report: Option<usize>,
    module: Option<&str>,
) -> Option<&'a ReportCheck> {
    checks.iter().find(|check| {
        check.report == report
            && match check.kind {
                CheckKind::NotFromThisVmlinux => true,
                CheckKind::NotFromThisModule => {
                    module.map(normalize_name) == check.module.as_deref().map(normalize_name)
                }
                _ => false,
            }
    })
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
