//! The file to blame for a report: syzkaller's `extractGuiltyFile` rules.
//!
//! The guilty file is the first `file.c:N` or `file.h:N` of the report that
//! is not on an ignore list of files that only report or pass a bug on
//! (headers, `lib/`, KASAN, locking, the scheduler, ...), on a line that is
//! not a lockdep `at:` or `#N:` line. A deeper file in the same directory
//! further down the stack (`net/core/x.c` after `net/x.c`) takes its place.
//! RCU stalls are searched from the interrupt entry on, where the stalled
//! code is. With no such file, the first file of the report is named, so
//! that a report never goes to nobody.
//!
//! It needs a symbolized report: an unsymbolized one has no `file:N`.

use std::sync::LazyLock;

use regex::bytes::{Regex, RegexSet};

/// A `path/file.c:N` anywhere in a line (syzkaller's `filenameRe`).
static FILE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)([a-zA-Z0-9_\-\./]*[a-zA-Z0-9_\-]+\.(?:c|h)):[0-9]+").expect("file regex")
});

/// The file a line names, if any: [`FILE_LINE`], tried only on lines
/// holding `.c:` or `.h:` (most lines of an unsymbolized report do not).
fn file_of(line: &[u8]) -> Option<&[u8]> {
    static C: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b".c:"));
    static H: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b".h:"));
    if C.find(line).is_none() && H.find(line).is_none() {
        return None;
    }
    Some(FILE_LINE.captures(line)?.get(1)?.as_bytes())
}

/// What remains of a deeper path after its parent directory
/// (syzkaller's `deeperPathRe`).
static DEEPER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)^/[a-zA-Z0-9_\-\./]+/[a-zA-Z0-9_\-]+\.(?:c|h)$").expect("deeper regex")
});

/// Files that report or pass on bugs rather than cause them.
static IGNORED_FILES: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r".*\.h",
        r"^lib/.*",
        r"^virt/lib/.*",
        r"^mm/kasan/.*",
        r"^mm/kmsan/.*",
        r"^kernel/kcov.c",
        r"^mm/sl.b.c",
        r"^mm/filemap.c",
        r"^mm/folio-compat.c",
        r"^mm/truncate.c",
        r"^mm/memory.c",
        r"^mm/percpu.*",
        r"^mm/vmalloc.c",
        r"^mm/page_alloc.c",
        r"^mm/mempool.c",
        r"^mm/util.c",
        r"^kernel/rcu/.*",
        r"^arch/.*/kernel/traps.c",
        r"^arch/.*/kernel/unwind.*.c",
        r"^arch/.*/mm/fault.c",
        r"^arch/.*/mm/physaddr.c",
        r"^arch/.*/kernel/stacktrace.c",
        r"^arch/.*/kernel/apic/apic.c",
        r"^arch/arm64/kernel/entry.*.c",
        r"^arch/arm64/kernel/process\.c",
        r"^kernel/locking/.*",
        r"^kernel/panic.c",
        r"^kernel/printk/printk.*.c",
        r"^kernel/softirq.c",
        r"^kernel/kthread.c",
        r"^kernel/sched/.*.c",
        r"^kernel/stacktrace.c",
        r"^kernel/time/timer.c",
        r"^kernel/workqueue.c",
        r"^net/core/dev.c",
        r"^net/core/sock.c",
        r"^net/core/skbuff.c",
        r"^fs/proc/generic.c",
        r"^trusty/",
        r"^drivers/usb/core/urb.c",
        r"^arch/.*/lib/crc.*",
    ])
    .expect("ignored files")
});

/// Lines whose files say where a lock was taken or irqs were switched,
/// not where the bug is.
static IGNORED_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u)(?:hardirqs|softirqs)\s+last\s+(?:enabled|disabled)|,\s+at:\s+|^\s*#\d+:|^Register r\d+ information",
    )
    .expect("ignored line regex")
});

/// Where an RCU stall's interrupted code starts, tried in order.
const INTERRUPT_ENTRIES: [&[u8]; 3] = [
    b"apic_timer_interrupt+0x",
    b"el1h_64_irq+0x",
    b"Exception stack",
];

/// The guilty file of a report with title `title`, given its lines without
/// console prefixes or terminators.
pub fn guilty_file(title: Option<&str>, lines: &[&[u8]]) -> Option<String> {
    if title.is_some_and(|t| t.starts_with("INFO: rcu detected stall")) {
        for entry in INTERRUPT_ENTRIES {
            let from = lines
                .iter()
                .position(|l| memchr::memmem::find(l, entry).is_some());
            if let Some(from) = from {
                if let Some(file) = first_guilty(&lines[from..]) {
                    return Some(file);
                }
            }
        }
    }
    first_guilty(lines)
}

/// Whether `lines` name a file to blame: one that is not on the ignore
/// list, on a line that is not ignored. Without one, the first file is
/// named only so that the report goes to someone.
pub fn blames(lines: &[&[u8]]) -> bool {
    lines.iter().any(|line| {
        file_of(line)
            .is_some_and(|file| !IGNORED_FILES.is_match(file) && !IGNORED_LINE.is_match(line))
    })
}

fn first_guilty(lines: &[&[u8]]) -> Option<String> {
    let files = || {
        lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| Some((index, *line, file_of(line)?)))
    };
    let ignored =
        |line: &[u8], file: &[u8]| IGNORED_FILES.is_match(file) || IGNORED_LINE.is_match(line);
    let mut guilty: Option<String> = None;
    let mut rest = lines.len();
    for (index, line, file) in files() {
        if guilty.is_none() {
            guilty = Some(String::from_utf8_lossy(file).into_owned());
        }
        if ignored(line, file) {
            continue;
        }
        guilty = Some(clean(file));
        rest = index + 1;
        break;
    }
    let mut guilty = guilty?;
    // A deeper file in the same directory further down takes the blame.
    let mut deepest = parent(&guilty).to_string();
    for (_, line, file) in files().filter(|(index, _, _)| *index >= rest) {
        if ignored(line, file) {
            continue;
        }
        let path = clean(file);
        if let Some(suffix) = path.strip_prefix(deepest.as_str()) {
            if DEEPER.is_match(suffix.as_bytes()) {
                deepest = parent(&path).to_string();
                guilty = path;
            }
        }
    }
    Some(guilty)
}

/// Go's `filepath.Dir`: everything before the last `/`, or `.`.
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) => "/",
        Some(i) => &path[..i],
        None => ".",
    }
}

/// Go's `filepath.Clean` for the relative paths reports print: no `.`
/// components, `..` folded into its parent, no doubled `/`.
fn clean(file: &[u8]) -> String {
    let path = String::from_utf8_lossy(file);
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guilty(title: &str, text: &str) -> Option<String> {
        let lines: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
        guilty_file(Some(title), &lines)
    }

    #[test]
    fn skips_reporting_files_and_lockdep_lines() {
        let text = "\
BUG: KASAN: use-after-free in ip6_send_skb+0x2f5/0x330 net/ipv6/ip6_output.c:1748
 __dump_stack lib/dump_stack.c:16 [inline]
 kasan_report+0x230/0x340 mm/kasan/report.c:408
 ip6_send_skb+0x2f5/0x330 net/ipv6/ip6_output.c:1748
";
        // The title line's file is the first one not ignored.
        assert_eq!(guilty("t", text).as_deref(), Some("net/ipv6/ip6_output.c"));
        let text = "\
 #0: (&sb->s_type->i_mutex_key#9){+.+.}, at: [<ffffffff81>] inode_lock include/linux/fs.h:771
 hardirqs last  enabled at (0): [<ffffffff81>] copy_process.part.0+0x1/0x2 kernel/fork.c:1
 lock_acquire+0x1/0x2 kernel/locking/lockdep.c:3
 do_sys_open+0x1/0x2 fs/open.c:1070
";
        assert_eq!(guilty("t", text).as_deref(), Some("fs/open.c"));
    }

    #[test]
    fn deeper_file_in_the_same_directory_wins() {
        let text = " a+0x1/0x2 net/x.c:1\n b+0x1/0x2 fs/y.c:2\n c+0x1/0x2 net/core/z.c:3\n";
        assert_eq!(guilty("t", text).as_deref(), Some("net/core/z.c"));
        // net/core/dev.c is ignored, so it cannot win either.
        let text = " a+0x1/0x2 net/x.c:1\n c+0x1/0x2 net/core/dev.c:3\n";
        assert_eq!(guilty("t", text).as_deref(), Some("net/x.c"));
    }

    #[test]
    fn falls_back_to_the_first_file() {
        let text = " a+0x1/0x2 lib/a.c:1\n b+0x1/0x2 include/linux/b.h:2\n";
        assert_eq!(guilty("t", text).as_deref(), Some("lib/a.c"));
        assert_eq!(guilty("t", " no files here\n"), None);
    }

    #[test]
    fn rcu_stalls_start_at_the_interrupt() {
        let text = "\
 rcu_sched_clock_irq+0x1/0x2 kernel/time/tick.c:1
 apic_timer_interrupt+0x1/0x2 arch/x86/entry/entry_64.S:1
 stalled_fn+0x1/0x2 fs/stall.c:5
";
        assert_eq!(
            guilty("INFO: rcu detected stall in sys_x", text).as_deref(),
            Some("fs/stall.c")
        );
        assert_eq!(guilty("other", text).as_deref(), Some("kernel/time/tick.c"));
    }

    #[test]
    fn paths_are_cleaned() {
        assert_eq!(clean(b"./net/../fs//a.c"), "fs/a.c");
        assert_eq!(clean(b"../a.c"), "../a.c");
        assert_eq!(parent("net/core/a.c"), "net/core");
    }
}
