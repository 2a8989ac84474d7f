//! syzkaller-style report titles and classification: the title
//! (`possible deadlock in send_sigio`), alternative titles, the crash type,
//! whether the report is corrupted and the function the title names.
//!
//! The rules are syzkaller's (`pkg/report` of
//! <https://github.com/google/syzkaller>, Apache-2.0), so that titles group
//! with the ones syzbot shows. They are a table (module `rules`): for each
//! oops kind, a header that starts the report and formats made of a title
//! regex, an optional report regex, a format string, alternative titles and
//! a stack section saying where the function is and which frames to skip
//! (module `stack`). A report's text is gathered as syzkaller does (module
//! `text`): console prefixes cut, other tasks' lines and `? ` frames left
//! out. The format matching earliest in the text wins; its groups and the
//! frames found fill the format string, and the title is made stable
//! (module `sanitize`: `NUM`, `ADDR`, printable ASCII, 120 bytes at most).

mod crash_type;
mod rules;
mod sanitize;
mod stack;
mod text;

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::{CrashType, Document};
use rules::{Oops, OopsFormat};
use stack::KeyFrame;
use text::ReportText;

/// What the title rules say of one report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    /// The title.
    pub title: String,
    /// Other titles of the same bug.
    pub alt_titles: Vec<String>,
    /// The kind of bug.
    pub crash_type: CrashType,
    /// Why the report is corrupted, if it is.
    pub corrupted: Option<String>,
    /// The function the title names.
    pub function: Option<String>,
    /// Index into [`Document::lines`] of the line the function was read from.
    pub frame_line: Option<usize>,
}

/// The function a title names: what follows its last ` in `.
static TITLE_FUNCTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r".* in ((?:<[a-zA-Z0-9_: ]+>)?[a-zA-Z0-9_:]+)").expect("title function regex")
});

/// The console connection of a cloud VM dropped: the report is cut.
const CONSOLE_HANGUP: &[u8] = b"serialport: VM disconnected.";

/// A title that swallowed a console timestamp is garbled.
static TIMESTAMP_IN_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[ *[0-9]+\.[0-9]+\]").expect("timestamp regex"));

/// Whether syzkaller takes `line` for the first line of an oops.
pub fn starts_oops(line: &[u8]) -> bool {
    text::oops_of(line).is_some()
}

/// The strings one of which a line holds when [`starts_oops`] says yes.
pub(crate) fn oops_headers() -> impl Iterator<Item = &'static [u8]> {
    rules::OOPSES.iter().map(|oops| oops.header)
}

/// Classify the report whose lines are `lines` (indexes into
/// [`Document::lines`]): the title is made from its first line that starts
/// an oops, and the text that follows it. `None` when no line does.
pub fn classify(doc: &Document, lines: Range<usize>) -> Option<Classification> {
    let (start, oops) = text::first_oops(doc, lines)?;
    let mut report = text::report_text(doc, start);
    let mut found = describe(&report, report.end, oops);
    if found.title.is_empty() {
        report = text::raw_text(doc, start, report.raw_end);
        found = describe(&report, report.end, oops);
    }
    let crash_type = crash_type::crash_type(&found.title);
    let mut corrupted = found
        .corrupted
        .or_else(|| corruption(&found.title, &report.text, found.format))
        .map(str::to_owned);
    if corrupted.is_none() && memchr::memmem::find(&doc.text, CONSOLE_HANGUP).is_some() {
        corrupted = Some("the console connection was lost (serialport: VM disconnected.)".into());
    }
    let title = sanitize::sanitize(&found.title);
    let function = TITLE_FUNCTION.captures(&title).map(|c| c[1].to_string());
    let frame_line = function.as_deref().and_then(|f| {
        found
            .frames
            .iter()
            .find(|k| k.canonical == f)
            .and_then(|k| k.line)
            .or_else(|| found.groups.iter().find(|(g, _)| g == f).and_then(|g| g.1))
    });
    Some(Classification {
        title,
        alt_titles: found
            .alt_titles
            .iter()
            .map(|t| sanitize::sanitize(t))
            .collect(),
        crash_type,
        corrupted,
        function,
        frame_line,
    })
}

/// The outcome of matching an oops's formats against a report.
#[derive(Default)]
struct Description {
    title: String,
    alt_titles: Vec<String>,
    corrupted: Option<&'static str>,
    format: Option<&'static OopsFormat>,
    frames: Vec<KeyFrame>,
    /// The regex groups, with the document line each was found on.
    groups: Vec<(String, Option<usize>)>,
}

/// Find the format of `oops` that matches earliest in `report.text[..end]`
/// and make its title.
fn describe(report: &ReportText, end: usize, oops: &'static Oops) -> Description {
    let text = &report.text[..end];
    let mut out = Description::default();
    let mut start = text.len();
    let mut matched_title = false;
    for format in &oops.formats {
        if start == 0 && !out.title.is_empty() {
            // Only a match starting earlier could replace this title.
            break;
        }
        let Some(found) = format.title.find(text) else {
            continue;
        };
        if found.start() > start || (found.start() == start && !out.title.is_empty()) {
            continue;
        }
        if found.start() < start {
            out.title.clear();
            out.format = None;
            start = found.start();
        }
        matched_title = true;
        let captures = match &format.report {
            Some(re) => re.captures(text),
            None => format.title.captures(text),
        };
        let Some(captures) = captures else {
            continue;
        };
        let at = captures.get(0).map_or(0, |m| m.start());
        let groups: Vec<(String, Option<usize>)> = captures
            .iter()
            .skip(1)
            .map(|g| match g {
                Some(g) => (
                    String::from_utf8_lossy(g.as_bytes()).into_owned(),
                    report.line_at(g.start()),
                ),
                None => (String::new(), None),
            })
            .collect();
        out.corrupted = None;
        let mut frames = Vec::new();
        if let Some(stack) = &format.stack {
            let (found, ok) = stack::extract(stack, &report.lines_between(at, end));
            frames = found;
            if !ok {
                out.corrupted = Some("extracted no frames");
            }
        }
        let prefix: Vec<String> = groups.iter().map(|g| g.0.clone()).collect();
        let mut args = prefix.clone();
        args.extend(frames.iter().map(|f| f.canonical.clone()));
        out.title = sanitize::fill(format.fmt, &args);
        for alt in format.alt {
            out.alt_titles.push(sanitize::fill(alt, &args));
        }
        // The title with frames as printed, and with each syscall prefix
        // cut alone, also names the bug.
        for args in partially_stripped(&prefix, &frames) {
            let alt = sanitize::fill(format.fmt, &args);
            if alt != out.title {
                out.alt_titles.push(alt);
            }
            for alt in format.alt {
                out.alt_titles.push(sanitize::fill(alt, &args));
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.alt_titles.retain(|t| seen.insert(t.clone()));
        out.format = Some(format);
        out.frames = frames;
        out.groups = groups;
    }
    if out.title.is_empty() {
        if matched_title {
            out.corrupted = Some("matched title but not report regexp");
        }
        // No format: the header line is the title.
        let Some(at) = memchr::memmem::find(text, oops.header) else {
            return out;
        };
        let line_end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
        out.title = String::from_utf8_lossy(&text[at..line_end]).into_owned();
    }
    if out.corrupted.is_none() && out.format.is_some_and(|f| f.corrupted) {
        out.corrupted = Some("report format is marked as corrupted");
    }
    out
}

/// Argument lists with the frames as printed, then with each syscall
/// prefix cut alone (only those where it changes a frame).
fn partially_stripped(prefix: &[String], frames: &[KeyFrame]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for cut in std::iter::once("").chain(stack::STRIP_PREFIXES.iter().copied()) {
        let mut changed = cut.is_empty();
        let mut args = prefix.to_vec();
        for frame in frames {
            let trimmed = frame.raw.strip_prefix(cut).unwrap_or(&frame.raw);
            changed |= trimmed.len() != frame.raw.len();
            args.push(trimmed.to_owned());
        }
        if changed {
            out.push(args);
        }
    }
    out
}

/// Why a report is corrupted, when its title or missing stack says so.
fn corruption(title: &str, report: &[u8], format: Option<&OopsFormat>) -> Option<&'static str> {
    if TIMESTAMP_IN_TITLE.is_match(title) {
        return Some("title matches corrupted regexp");
    }
    stack::missing_stack(format?, report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_text(text: &str) -> Classification {
        let doc = crate::parse(text);
        classify(&doc, 0..doc.lines.len()).expect("a report")
    }

    #[test]
    fn syscall_prefixes_are_cut_and_kept_as_alternatives() {
        let c = classify_text(
            "INFO: task syz:1 blocked for more than 143 seconds.\n\
             Call Trace:\n schedule+0x1/0x2\n __x64_sys_rmdir+0x1/0x2\n do_syscall_64+0x1/0x2\n",
        );
        assert_eq!(c.title, "INFO: task hung in sys_rmdir");
        assert_eq!(c.crash_type, CrashType::Hang);
        assert!(
            c.alt_titles
                .contains(&"INFO: task hung in __x64_sys_rmdir".to_string())
        );
        assert!(c.alt_titles.contains(&"hang in sys_rmdir".to_string()));
        assert_eq!(c.function.as_deref(), Some("sys_rmdir"));
        assert_eq!(c.frame_line, Some(3));
        assert_eq!(c.corrupted, None);
    }

    #[test]
    fn control_bytes_and_long_lines_stay_out_of_titles() {
        // Text that would clear the terminal and set its title when
        // `kresym parse` prints the title.
        let title = |text: &str| crate::parse(text).reports[0].title.clone().unwrap();
        let t = title("Kernel panic - not syncing: \x1b]0;owned\x07\x1b[2Jgone \u{202e}x\n");
        assert_eq!(t, "kernel panic: ]NUM;owned[2Jgone x");
        let t = title("WARNING: \x1b[2J\r\n");
        assert!(t.bytes().all(|b| (0x20..0x7f).contains(&b)), "{t:?}");
        let long = format!("Kernel panic - not syncing: {}\n", "A".repeat(100_000));
        assert_eq!(title(&long).len(), 120);
        let doc = crate::parse(&b"kernel BUG at \xff\xfe.c:1!\n"[..]);
        assert_eq!(
            doc.reports[0].title.as_deref(),
            Some("kernel BUG in corrupted")
        );
    }

    #[test]
    fn lines_syzkaller_takes_for_oopses_start_reports() {
        let doc = crate::parse("boot\nfatal error: concurrent map writes\ngoroutine 1\n");
        assert_eq!(doc.reports.len(), 1);
        assert_eq!(doc.reports[0].title.as_deref(), Some("go runtime error"));
        assert_eq!(doc.reports[0].crash_type, CrashType::DoS);
        assert!(!starts_oops(
            b"WARNING: /etc/ssh/moduli does not exist, using fixed modulus"
        ));
        assert!(starts_oops(b"SYZFAIL: negative running"));
    }

    #[test]
    fn a_report_without_frames_is_corrupted() {
        let c = classify_text("general protection fault: 0000 [#1] SMP KASAN\nCall Trace:\n");
        assert_eq!(c.title, "general protection fault in corrupted");
        assert_eq!(c.corrupted.as_deref(), Some("extracted no frames"));
        assert_eq!(c.function.as_deref(), Some("corrupted"));
        assert_eq!(c.frame_line, None);
    }
}
