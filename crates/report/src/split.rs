//! Splitting a console log into crash reports.
//!
//! A report starts at a line with a start marker (`BUG:`, `WARNING:`,
//! `general protection fault`, a lockdep banner, ...) and runs until the
//! next report starts, an end marker (`---[ end trace`, `Kernel Offset:`,
//! the closing `=====` of a sanitizer report) or the end of the input.
//! Secondary markers (`Kernel panic`, `Oops:`, `invalid opcode:`, `NMI
//! backtrace for cpu`...) only start a report when none is open: after a
//! `WARNING:` they are part of it.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::bytes::Regex;

use crate::{Document, Report, ReportKind, guilty, release, title};

/// One kind of start marker.
struct StartMarker {
    re: Regex,
    kind: ReportKind,
    /// Only starts a report when none is open.
    secondary: bool,
}

fn marker(re: &str, kind: ReportKind, secondary: bool) -> StartMarker {
    StartMarker {
        re: Regex::new(&format!("(?-u)(?:^|[^A-Za-z0-9_])(?:{re})")).expect("start marker regex"),
        kind,
        secondary,
    }
}

/// Words one of which every start marker holds.
const MARKER_WORDS: &[&str] = &[
    "BUG",
    "WARNING",
    "INFO:",
    "general protection",
    "Oops",
    "Unable to handle",
    "Kernel panic",
    "sysrq: Show",
    "NMI backtrace",
    "divide error",
    "invalid opcode",
    "stack segment",
    "PANIC:",
    "Internal error",
    "Unhandled fault",
    "UBSAN:",
    "kernel stack overflow",
    "unregister_netdevice: waiting",
    "int3:",
];

/// Cheap test before the start markers.
static PREFILTER: LazyLock<AhoCorasick> =
    LazyLock::new(|| AhoCorasick::new(MARKER_WORDS).expect("marker words"));

/// Cheaper still, for every line: one search for a start marker's word or
/// an oops header (see [`title::starts_oops`]), one of which a line holds
/// to start a report.
static ANY_START: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let words = MARKER_WORDS.iter().map(|word| word.as_bytes());
    AhoCorasick::new(words.chain(title::oops_headers())).expect("start words")
});

/// Lines that look like start markers but are not.
static IGNORED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)BUG: no syscalls can create resource|WARNING: /etc/ssh/moduli|WARNING: workqueue cpumask|INFO: lockdep is turned off|INFO: Stall ended before state dump|INFO: NMI handler|INFO: recovery required|(?:handler|interrupt).*took too long|INFO: sys_.* is not present|INFO: no syscalls can create|_INFO::|ODEBUG:|DEBUG:|general protection fault ip:",
    )
    .expect("ignored regex")
});

static MARKERS: LazyLock<Vec<StartMarker>> = LazyLock::new(|| {
    use ReportKind::*;
    vec![
        marker("BUG: KASAN:", Kasan, false),
        marker("BUG: KCSAN:", Kcsan, false),
        marker("BUG: KMSAN:", Kmsan, false),
        marker(
            r"(?:WARNING|INFO|BUG): (?:possible circular locking dependency detected|possible irq lock inversion dependency detected|(?:SOFT|HARD)IRQ-safe -> (?:SOFT|HARD)IRQ-unsafe lock order detected|possible recursive locking detected|inconsistent lock state|bad unlock balance detected|held lock freed|lock held when returning to user space|.*still has locks held|[Nn]ested lock was not taken|suspicious RCU usage|lock held at task exit time|trying to register non-static key)",
            Lockdep,
            false,
        ),
        marker(
            r"INFO: task .* (?:blocked (?:in I/O wait )?for more than|can't die)",
            Hung,
            false,
        ),
        marker(
            r"INFO: rcu(?:_[a-z]+)? (?:self-)?detected(?: expedited)? stalls?",
            RcuStall,
            false,
        ),
        marker("BUG:(?: |$)", Bug, false),
        marker("BUG kmalloc-", Bug, false),
        marker("[kK]ernel BUG", KernelBug, false),
        marker(
            r"WARNING: (?:CPU: [0-9]+ PID: -?[0-9]+ at |(?:\[.*\] )?[^ ]+\.[a-zA-Z]+:[0-9]+ at |kernel stack |at )|WARNING:[ \t]*$",
            Warning,
            false,
        ),
        marker("general protection fault", GeneralProtectionFault, false),
        marker("Unable to handle kernel", Oops, false),
        marker("Oops:|Internal error:", Oops, true),
        marker("Kernel panic", Panic, true),
        marker("sysrq: Show", Sysrq, false),
        marker("NMI backtrace for cpu", NmiBacktrace, true),
        marker("INFO: ", Other, false),
        marker(
            "divide error:|stack segment: |Unhandled fault:|UBSAN:|kernel stack overflow|int3:",
            Other,
            false,
        ),
        marker(
            "invalid opcode:|PANIC: double fault|unregister_netdevice: waiting for",
            Other,
            true,
        ),
    ]
});

/// Lines that end the open report (and belong to it).
static END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)---\[ end trace|---\[ end Kernel panic|^Kernel Offset:|^Rebooting in ")
        .expect("end regex")
});

/// What starts a report on this line, if anything: its kind and whether it
/// is secondary (see the module docs).
pub fn start_marker(message: &[u8]) -> Option<(ReportKind, bool)> {
    if !ANY_START.is_match(message) {
        return None;
    }
    let known = PREFILTER.is_match(message);
    // Any other line syzkaller takes for the start of an oops (a Go
    // runtime error, `SYZFAIL:`, a free-text `WARNING:`...).
    if !known && !title::starts_oops(message) || IGNORED.is_match(message) {
        return None;
    }
    // Email subjects and quotes name a crash without being one.
    const NOT_REPORTS: &[&[u8]] = &[b"Subject:", b"> ", b">>", b"crash: ", b"crashed: "];
    if NOT_REPORTS.iter().any(|p| message.starts_with(p)) {
        return None;
    }
    let marker = MARKERS.iter().find(|m| known && m.re.is_match(message));
    match marker {
        Some(m) => Some((m.kind, m.secondary)),
        None => title::starts_oops(message).then_some((ReportKind::Other, false)),
    }
}

fn is_separator(message: &[u8]) -> bool {
    let t = message.trim_ascii();
    t.len() >= 20 && t.iter().all(|&b| b == b'=')
}

/// Find the crash reports of `doc`, looking only at lines from index `from`.
pub fn find_reports(doc: &Document, from: usize) -> Vec<Report> {
    let mut reports: Vec<Report> = Vec::new();
    let mut open = false;
    // The lines that opened the current report: a symbolized title repeats
    // itself once per inline level (`BUG: KASAN: ... in f x.h:1 [inline]`).
    let mut title_lines: Option<(usize, &[u8])> = None;
    for (index, line) in doc.lines.iter().enumerate().skip(from) {
        let message = doc.line_message(line);
        if let Some((kind, secondary)) = start_marker(message) {
            let head = title_head(message);
            if open && title_lines.is_some_and(|(end, first)| end == index && first == head) {
                title_lines = Some((index + 1, head));
                continue;
            }
            if !(secondary && open) {
                title_lines = Some((index + 1, head));
                if let Some(last) = reports.last_mut() {
                    if open {
                        last.lines.end = index;
                    }
                }
                reports.push(Report {
                    lines: index..doc.lines.len(),
                    title: None,
                    kind,
                    kernel_release: None,
                    title_frame: None,
                    alt_titles: Vec::new(),
                    crash_type: crate::CrashType::Unknown,
                    corrupted: None,
                    title_function: None,
                    guilty_file: None,
                });
                open = true;
                continue;
            }
        }
        if !open {
            continue;
        }
        let Some(last) = reports.last_mut() else {
            continue;
        };
        let sanitizer = matches!(
            last.kind,
            ReportKind::Kasan | ReportKind::Kcsan | ReportKind::Kmsan
        );
        if END.is_match(message)
            || (sanitizer && index > last.lines.start + 2 && is_separator(message))
        {
            last.lines.end = index + 1;
            open = false;
        }
    }
    // A report that names no release has the one of the last boot before it.
    let (mut banner, mut scanned) = (None, 0);
    let next_ends: Vec<usize> = reports.iter().skip(1).map(|r| r.lines.end).collect();
    for (index, report) in reports.iter_mut().enumerate() {
        for line in &doc.lines[scanned..report.lines.start.max(scanned)] {
            if let Some(release) = banner_release(doc, line) {
                banner = Some(release);
            }
        }
        scanned = scanned.max(report.lines.start);
        report.kernel_release = kernel_release(doc, report).or_else(|| banner.clone());
        if let Some(c) = title::classify(doc, report.lines.clone()) {
            report.title = Some(c.title);
            report.title_frame = c.frame_line;
            report.alt_titles = c.alt_titles;
            report.crash_type = c.crash_type;
            report.corrupted = c.corrupted;
            report.title_function = c.function;
        }
        let mut lines: Vec<&[u8]> = doc
            .report_lines(report)
            .iter()
            .map(|l| doc.line_message(l))
            .collect();
        // syzkaller reads the file to blame past the next oops (its report
        // runs on): when this one names none, read on to the next one's end.
        if !guilty::blames(&lines) {
            let end = next_ends.get(index).copied().unwrap_or(report.lines.end);
            let more = doc.lines.get(report.lines.end..end).unwrap_or_default();
            lines.extend(more.iter().map(|l| doc.line_message(l)));
        }
        report.guilty_file = guilty::guilty_file(report.title.as_deref(), &lines);
    }
    reports
}

/// The part of a title line that its symbolized copies repeat, one per
/// inline level: up to ` in ` (`BUG: KASAN: use-after-free`), up to the
/// function after ` at file:line ` (`WARNING: CPU: 1 PID: 9 at lib/x.c:38 `),
/// or whole.
fn title_head(message: &[u8]) -> &[u8] {
    if message.starts_with(b"WARNING: CPU: ") {
        if let Some(at) = memchr::memmem::find(message, b" at ") {
            let file_end = memchr::memchr(b' ', &message[at + 4..]).map(|i| at + 4 + i);
            if let Some(end) = file_end {
                return &message[..end];
            }
        }
    }
    memchr::memmem::find(message, b" in ").map_or(message, |i| &message[..i])
}

/// The release a report's first 200 lines name (see [`crate::release`]).
fn kernel_release(doc: &Document, report: &Report) -> Option<String> {
    doc.report_lines(report).iter().take(200).find_map(|line| {
        let message = String::from_utf8_lossy(doc.line_message(line));
        release::kernel_release(&message).map(str::to_owned)
    })
}

/// The release of a boot banner (`Linux version RELEASE ...`) on a line.
fn banner_release(doc: &Document, line: &crate::Line) -> Option<String> {
    let message = doc.line_message(line);
    memchr::memmem::find(message, b"Linux version ")?;
    release::boot_release(&String::from_utf8_lossy(message)).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        let kind = |s: &str| start_marker(s.as_bytes()).map(|m| m.0);
        assert_eq!(
            kind("BUG: KASAN: use-after-free in f+0x1/0x2"),
            Some(ReportKind::Kasan)
        );
        assert_eq!(
            kind("WARNING: possible circular locking dependency detected"),
            Some(ReportKind::Lockdep)
        );
        assert_eq!(
            kind("WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2"),
            Some(ReportKind::Warning)
        );
        assert_eq!(kind("ODEBUG: free active"), None);
        assert_eq!(
            kind("WARNING: the mand mount option is being deprecated"),
            None
        );
        assert_eq!(
            kind("WARNING: fs/dcache.c:829 at fast_dput+0x334/0x430, CPU#0: x"),
            Some(ReportKind::Warning)
        );
        assert_eq!(kind("rmt_storage:INFO:check_support: found"), None);
        assert_eq!(
            kind("traps: x[1] general protection fault ip:7feb96eb56a1 sp:20000fd0"),
            None
        );
        assert_eq!(
            kind("kernel BUG at mm/x.c:12!"),
            Some(ReportKind::KernelBug)
        );
        assert_eq!(
            kind("INFO: task syz:123 blocked for more than 143 seconds."),
            Some(ReportKind::Hung)
        );
        assert_eq!(
            kind("rcu: INFO: rcu_preempt self-detected stall on CPU"),
            Some(ReportKind::RcuStall)
        );
        assert_eq!(kind("sysrq: Show Blocked State"), Some(ReportKind::Sysrq));
        assert_eq!(
            kind("NMI backtrace for cpu 1"),
            Some(ReportKind::NmiBacktrace)
        );
        assert_eq!(kind("hello"), None);
        assert_eq!(
            kind("Subject: [syzbot] INFO: rcu detected stall in ipv6_rcv"),
            None
        );
        assert_eq!(kind("> general protection fault in foo"), None);
    }

    #[test]
    fn splits_console_log() {
        let log = "\
[    1.0] booting
[    2.0] WARNING: CPU: 0 PID: 1 at kernel/a.c:10 foo+0x10/0x20
[    2.1] Kernel panic - not syncing: panic_on_warn set ...
[    2.2] RIP: 0010:foo+0x10/0x20
[    2.3] Call Trace:
[    2.4]  bar+0x1/0x2
[    2.5] ---[ end trace 0000 ]---
[    3.0] noise
[    4.0] ==================================================================
[    4.1] BUG: KASAN: use-after-free in baz+0x1/0x2
[    4.2] Read of size 8 at addr ffff by task x/1
[    4.3] Call Trace:
[    4.4]  dump_stack+0x1/0x2
[    4.5]  baz+0x1/0x2
[    4.6] ==================================================================
[    5.0] Kernel panic - not syncing: Fatal exception
";
        let doc = crate::parse(log);
        let r: Vec<_> = doc
            .reports
            .iter()
            .map(|r| (r.lines.clone(), r.kind, r.title.clone()))
            .collect();
        assert_eq!(
            r,
            vec![
                (
                    1..7,
                    ReportKind::Warning,
                    Some("WARNING in foo".to_string())
                ),
                (
                    9..15,
                    ReportKind::Kasan,
                    Some("KASAN: use-after-free Read in baz".to_string())
                ),
                (
                    15..16,
                    ReportKind::Panic,
                    Some("kernel panic: Fatal exception".to_string())
                ),
            ]
        );
    }

    #[test]
    fn a_report_naming_no_file_to_blame_reads_on_into_the_next() {
        // The first oops names only an ignored file; syzkaller's report runs
        // on past the WARNING, where the driver is.
        let log = "\
trusty: panic (caller 0x1): ASSERT FAILED at (trusty/kernel/lib/trusty/ipc.c:472): x
WARNING: CPU: 0 PID: 36 at drivers/trusty/trusty.c:215 f+0x1/0x2 drivers/trusty/trusty.c:215
";
        let doc = crate::parse(log);
        assert_eq!(doc.reports.len(), 2);
        assert_eq!(
            doc.reports[0].title.as_deref(),
            Some("trusty: ASSERT FAILED: x")
        );
        assert_eq!(
            doc.reports[0].guilty_file.as_deref(),
            Some("drivers/trusty/trusty.c")
        );
    }

    #[test]
    fn symbolized_warning_header_stays_one_report() {
        // kresym's (and syzkaller's) symbolized WARNING header: one line per
        // inline level, each repeating `WARNING: CPU: N PID: N at file:line `.
        let log = "\
WARNING: CPU: 1 PID: 9 at lib/x.c:38 spin_unlock include/linux/spinlock.h:404 [inline]
WARNING: CPU: 1 PID: 9 at lib/x.c:38 x_exit+0x13/0x1e lib/x.c:37
RIP: 0010:x_exit+0x13/0x1e lib/x.c:38
Call Trace:
 y+0x1/0x2 net/y.c:5
WARNING: CPU: 1 PID: 9 at lib/z.c:1 z+0x1/0x2
";
        let doc = crate::parse(log);
        let lines: Vec<_> = doc.reports.iter().map(|r| r.lines.clone()).collect();
        assert_eq!(lines, vec![0..5, 5..6]);
        assert_eq!(doc.reports[0].guilty_file.as_deref(), Some("net/y.c"));
    }
}
