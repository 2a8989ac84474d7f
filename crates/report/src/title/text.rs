//! The text a title is made from: a report's lines from its first oops
//! line on, as syzkaller's `findReport` (`pkg/report/linux.go`, Apache-2.0)
//! gathers them.
//!
//! Console prefixes are cut. With `CONFIG_PRINTK_CALLER` (`[  T123]`),
//! only the lines of the oops's task are kept (and, after `Sending NMI
//! from CPU`, those of every CPU), wherever they are in the log; frames
//! marked `? ` are left out then. Without a caller id, the title is made
//! from the text before the next oops.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::rules::{OOPSES, Oops};
use super::stack::TextLine;
use crate::{Document, Line};

/// A timestamped console line, capturing the caller id.
static CONSOLE_OUTPUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:.* login: )?(?:<[0-9]+>)?\[ *[0-9]+\.[0-9]+\](\[ *(?:C|T)[0-9]+\])? ",
    )
    .expect("console regex")
});

static CPU_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)\[ *C[0-9]+\]").expect("cpu regex"));

/// Any oops header: a cheap test before the table.
static ANY_HEADER: LazyLock<regex::bytes::RegexSet> = LazyLock::new(|| {
    regex::bytes::RegexSet::new(
        OOPSES
            .iter()
            .map(|o| regex::escape(&String::from_utf8_lossy(o.header))),
    )
    .expect("header set")
});

/// Oops lines that do not start another report inside one.
static NOT_SECOND_REPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)invalid opcode: 0000|Kernel panic - not syncing|unregister_netdevice: waiting for|PANIC: double fault|Internal error:",
    )
    .expect("report start ignores")
});

/// Messages with a stack that are not bugs: a report they interrupt ends there.
const INFO_WITH_STACK: &[&[u8]] = &[
    b"vmalloc: allocation failure:",
    b"FAULT_INJECTION: forcing a failure",
    b"FAULT_FLAG_ALLOW_RETRY missing",
];

/// Substring searchers, built once, for the lines of every report.
struct Finders {
    header: Vec<memchr::memmem::Finder<'static>>,
    info_with_stack: Vec<memchr::memmem::Finder<'static>>,
    login: memchr::memmem::Finder<'static>,
    lock_debugging_off: memchr::memmem::Finder<'static>,
    nmi_traceback: memchr::memmem::Finder<'static>,
    panic: memchr::memmem::Finder<'static>,
    circular: memchr::memmem::Finder<'static>,
    replay: memchr::memmem::Finder<'static>,
}

static FINDERS: LazyLock<Finders> = LazyLock::new(|| {
    use memchr::memmem::Finder;
    Finders {
        header: OOPSES.iter().map(|o| Finder::new(o.header)).collect(),
        info_with_stack: INFO_WITH_STACK.iter().map(Finder::new).collect(),
        login: Finder::new(b" login: "),
        lock_debugging_off: Finder::new(b"Disabling lock debugging due to kernel taint"),
        nmi_traceback: Finder::new(b"Sending NMI from CPU"),
        panic: Finder::new(b"Kernel panic - not syncing"),
        circular: Finder::new(b"WARNING: possible circular locking dependency detected"),
        replay: Finder::new(b"** replaying previous printk message **"),
    }
});

/// Where a line came from, by its console prefix.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Context<'a> {
    /// No timestamp.
    None,
    /// A timestamp without caller id.
    Console,
    /// A `[  T123]` or `[ C1]` caller id.
    Caller(&'a [u8]),
}

fn context(line: &[u8]) -> Context<'_> {
    if let Some(ctx) = plain_context(line) {
        return ctx;
    }
    if !matches!(line.first(), Some(b'*')) && FINDERS.login.find(line).is_none() {
        return Context::None;
    }
    match CONSOLE_OUTPUT.captures(line) {
        None => Context::None,
        Some(c) => c
            .get(1)
            .map_or(Context::Console, |m| Context::Caller(m.as_bytes())),
    }
}

/// [`CONSOLE_OUTPUT`] without a regex for the usual shapes,
/// `<N>[  1.234567] ` and `[  1.234567][  T12] `; `None` for the others.
fn plain_context(line: &[u8]) -> Option<Context<'_>> {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let spaces = |s: &[u8]| s.iter().take_while(|&&b| b == b' ').count();
    let mut rest = line;
    if let Some(after) = rest.strip_prefix(b"<") {
        let n = digits(after);
        rest = after[n..].strip_prefix(b">").filter(|_| n > 0)?;
    }
    let after = rest.strip_prefix(b"[")?;
    let after = &after[spaces(after)..];
    let n = digits(after);
    let after = after[n..].strip_prefix(b".").filter(|_| n > 0)?;
    let n = digits(after);
    let after = after[n..].strip_prefix(b"]").filter(|_| n > 0)?;
    if after.starts_with(b" ") {
        return Some(Context::Console);
    }
    let caller = after.strip_prefix(b"[")?;
    let id = &caller[spaces(caller)..];
    id.first().filter(|b| matches!(b, b'C' | b'T'))?;
    let n = digits(&id[1..]);
    let close = caller.len() - id.len() + 1 + n;
    (n > 0 && caller.get(close..close + 2) == Some(b"] "))
        .then(|| Context::Caller(&after[..close + 2]))
}

/// A line as syzkaller reads it: without its `\n` (a `\r` stays).
fn raw_line<'a>(doc: &'a Document, line: &Line) -> &'a [u8] {
    let bytes = doc.line_bytes(line);
    bytes.strip_suffix(b"\n").unwrap_or(bytes)
}

/// Whether `line` starts a report of kind `oops`.
fn matches_oops(line: &[u8], index: usize, oops: &Oops) -> bool {
    FINDERS.header[index].find(line).is_some()
        && !oops.suppressions.iter().any(|re| re.is_match(line))
}

/// The first oops kind `line` starts, if any.
pub(super) fn oops_of(line: &[u8]) -> Option<&'static Oops> {
    if !ANY_HEADER.is_match(line) {
        return None;
    }
    let index = (0..OOPSES.len()).find(|&i| matches_oops(line, i, &OOPSES[i]))?;
    Some(&OOPSES[index])
}

/// Whether the line after `index` says the kernel replays an old message:
/// the oops line is a repeat.
fn replayed(doc: &Document, index: usize) -> bool {
    doc.lines
        .get(index + 1)
        .is_some_and(|l| FINDERS.replay.find(raw_line(doc, l)).is_some())
}

/// The first line in `range` that starts an oops, with its kind.
pub(super) fn first_oops(
    doc: &Document,
    range: std::ops::Range<usize>,
) -> Option<(usize, &'static Oops)> {
    range.into_iter().find_map(|i| {
        let oops = oops_of(raw_line(doc, doc.lines.get(i)?))?;
        (!replayed(doc, i)).then_some((i, oops))
    })
}

/// Report text with the document line of each of its lines.
#[derive(Default)]
pub(super) struct ReportText {
    /// The lines, each followed by `\n`.
    pub text: Vec<u8>,
    /// Start offset in `text` and document line of each line.
    pub lines: Vec<(usize, Option<usize>)>,
    /// Where the text of the first report ends (the next oops starts).
    pub end: usize,
    /// One past the last document line that starts an oops.
    pub raw_end: usize,
}

impl ReportText {
    fn push(&mut self, bytes: &[u8], line: Option<usize>) {
        self.lines.push((self.text.len(), line));
        self.text.extend_from_slice(bytes);
        self.text.push(b'\n');
    }

    /// The text's lines from byte `at` to byte `end` (a line end), the
    /// first one cut at `at`, each with its document line.
    pub fn lines_between(&self, at: usize, end: usize) -> Vec<TextLine<'_>> {
        let first = self
            .lines
            .partition_point(|&(start, _)| start <= at)
            .saturating_sub(1);
        let last = self.lines.partition_point(|&(start, _)| start < end);
        let mut out = Vec::with_capacity(last.saturating_sub(first) + 1);
        for (i, &(start, line)) in self.lines.iter().enumerate().take(last).skip(first) {
            let line_end = self.lines.get(i + 1).map_or(self.text.len(), |n| n.0) - 1;
            out.push((&self.text[start.max(at).min(line_end)..line_end], line));
        }
        // Like splitting text that ends in a newline: an empty last line.
        out.push((&[], None));
        out
    }

    /// The document line holding byte `at`.
    pub fn line_at(&self, at: usize) -> Option<usize> {
        let i = self
            .lines
            .partition_point(|&(start, _)| start <= at)
            .checked_sub(1)?;
        self.lines[i].1
    }
}

/// How many lines may follow the oops line before a `Kernel panic` or a
/// lockdep report ends the report.
fn min_lines(oops_line: &[u8]) -> usize {
    if memchr::memmem::find(oops_line, b"BUG: KMSAN:").is_some() {
        16
    } else {
        22
    }
}

/// The lines scanned at most for one report: a console log may hold
/// thousands of reports.
const MAX_SCAN: usize = 20_000;

/// The lines scanned past the next oops: what follows it only serves the
/// corruption check and, with caller ids, the oops's own task. Each report
/// scans at most this far into the next, so a log of many reports is
/// scanned in linear time.
const AFTER_NEXT_OOPS: usize = 200;

/// Gather the report starting at line `start`.
pub(super) fn report_text(doc: &Document, start: usize) -> ReportText {
    let oops_line = raw_line(doc, &doc.lines[start]);
    let ctx = context(oops_line);
    let keep_all = matches!(ctx, Context::Caller(_));
    let mut out = ReportText {
        raw_end: start + 1,
        ..ReportText::default()
    };
    let mut second_report = false;
    let mut text_lines = 0;
    let (mut skip_text, mut cpu_traceback) = (false, false);
    let mut after_second = 0;
    for (index, line) in doc.lines.iter().enumerate().skip(start).take(MAX_SCAN) {
        let line = raw_line(doc, line);
        let is_oops_line = index == start;
        let line_ctx = context(line);
        let (stripped, questionable) = strip_prefix(line, line_ctx);
        // Oops lines: the last one ends the raw text; the first after the
        // report's own ends its title text (past it, only where the raw
        // text ends could change, and only for the rare fallback).
        if !second_report && oops_of(line).is_some() && !replayed(doc, index) {
            out.raw_end = index + 1;
            if !is_oops_line && !NOT_SECOND_REPORT.is_match(line) {
                second_report = true;
            }
        }
        if !is_oops_line
            && !second_report
            && FINDERS
                .info_with_stack
                .iter()
                .any(|f| f.find(line).is_some())
        {
            second_report = true;
        }
        if second_report {
            after_second += 1;
            if after_second > AFTER_NEXT_OOPS {
                break;
            }
        }
        let foreign = line_ctx != ctx
            && !(cpu_traceback
                && matches!(line_ctx, Context::Caller(c) if CPU_CONTEXT.is_match(c)));
        if !is_oops_line && (questionable || foreign) {
            continue;
        }
        text_lines += 1;
        let mut skip_line = skip_text;
        let finders = &*FINDERS;
        if finders.lock_debugging_off.find(line).is_some() {
            skip_line = true;
        } else if finders.nmi_traceback.find(line).is_some() {
            cpu_traceback = true;
        } else if (finders.panic.find(line).is_some() || finders.circular.find(line).is_some())
            && text_lines > min_lines(oops_line)
        {
            // panic_on_warn's panic repeats the report's stack, and oops
            // reporting itself makes lockdep complain: enough is known.
            skip_text = true;
            skip_line = true;
        }
        if !is_oops_line && skip_line {
            continue;
        }
        out.push(stripped, Some(index));
        if !second_report || keep_all {
            out.end = out.text.len();
        }
    }
    out
}

/// The raw lines from `start` to the last oops line seen, unstripped.
pub(super) fn raw_text(doc: &Document, start: usize, end: usize) -> ReportText {
    let mut out = ReportText::default();
    for (index, line) in doc.lines.iter().enumerate().take(end).skip(start) {
        out.push(raw_line(doc, line), Some(index));
    }
    out.end = out.text.len();
    out
}

/// Cut the console prefix; tell whether the line is a `? ` frame.
fn strip_prefix<'a>(line: &'a [u8], ctx: Context<'_>) -> (&'a [u8], bool) {
    if ctx == Context::None {
        return (line, false);
    }
    let start = memchr::memmem::find(line, b"] ").map_or(1, |i| i + 2);
    let line = line.get(start..).unwrap_or_default();
    if memchr::memmem::find(line, b"<EOI>").is_none() {
        // A frame the kernel marks unreliable: `? f+0x1/0x2` (syzkaller's
        // `(\[<[0-9a-f]+>\])? \? `, whose optional part never decides).
        if let Some(at) = memchr::memmem::find(line, b" ? ") {
            return (&line[at + 2..], true);
        }
        if let Some(rest) = line.strip_suffix(b" (unreliable)") {
            return (rest, true);
        }
    }
    (line, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The regex alone, as syzkaller reads a prefix.
    fn regex_context(line: &[u8]) -> Context<'_> {
        match CONSOLE_OUTPUT.captures(line) {
            None => Context::None,
            Some(c) => c
                .get(1)
                .map_or(Context::Console, |m| Context::Caller(m.as_bytes())),
        }
    }

    #[test]
    fn a_report_reads_a_bounded_way_into_the_next() {
        // Thousands of one-line oopses of one task: each report's text must
        // not run to the end of the log (quadratic over the log).
        let log: String = (0..5000)
            .map(|i| format!("[    1.000000][    T1] WARNING: x{i}\n"))
            .collect();
        let doc = crate::parse(log);
        assert_eq!(doc.reports.len(), 5000);
        let text = report_text(&doc, 0);
        assert!(
            text.lines.len() <= AFTER_NEXT_OOPS + 2,
            "{}",
            text.lines.len()
        );
        assert_eq!(doc.reports[4999].title.as_deref(), Some("WARNING: x4999"));
    }

    #[test]
    fn the_fast_prefix_reader_agrees_with_the_regex() {
        let lines: &[&[u8]] = &[
            b"[   12.345678] BUG: x",
            b"[   12.345678][  T123] BUG: x",
            b"[   12.345678][ C1] x",
            b"<4>[ 1.2] x",
            b"<4>[ 1.2][T1] x",
            b"<>[ 1.2] x",
            b"<4[ 1.2] x",
            b"[ 1.2][T1]x",
            b"[ 1.2][X1] x",
            b"[ 1.2][T] x",
            b"[ 1.2]x",
            b"[1.] x",
            b"[.2] x",
            b"[ 1.2][ T12 ] x",
            b"syzkaller login: [   1.2] x",
            b"** 3 printk messages dropped ** [  1.2][  T9] x",
            b"** 3 printk messages dropped ** x",
            b"no prefix",
            b"",
            b"[",
            b"<",
            b"[ 1.2][",
            b"[ 1.2][T1",
        ];
        for line in lines {
            assert_eq!(
                context(line),
                regex_context(line),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }
}
