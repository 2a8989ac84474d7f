//! The table of Linux oops formats: which line starts a report, how its
//! title is made and where the title's function is found.
//!
//! The rules (header strings, title and report regexes, format strings,
//! stack sections and frames to skip) are syzkaller's, from
//! `pkg/report/linux.go` and `pkg/report/report.go` of
//! <https://github.com/google/syzkaller> (Apache-2.0), so that titles made
//! here group with the ones syzbot shows.

use std::sync::{LazyLock, OnceLock};

use regex::bytes::Regex;

use super::stack::{self, Extractor};

/// One kind of oops: the string that marks its first line, and the formats
/// tried on the report that follows.
pub(super) struct Oops {
    /// A line holding this string starts a report.
    pub header: &'static [u8],
    /// The formats, tried in order; the one matching earliest wins.
    pub formats: Vec<OopsFormat>,
    /// Lines holding the header that are not reports.
    pub suppressions: Vec<RuleRegex>,
}

/// How to make a title from a report.
pub(super) struct OopsFormat {
    /// Where the title starts; its groups are the first arguments of `fmt`.
    pub title: RuleRegex,
    /// When present, must match too (else the report is corrupted), and its
    /// groups replace the title's.
    pub report: Option<RuleRegex>,
    /// The title: `%[N]v` is the Nth argument (groups, then stack frames).
    pub fmt: &'static str,
    /// Alternative titles, in the same format.
    pub alt: &'static [&'static str],
    /// Where the title's function comes from.
    pub stack: Option<StackFmt>,
    /// The report is not expected to carry a stack trace.
    pub no_stack_trace: bool,
    /// A report of this format is always corrupted (a truncated header).
    pub corrupted: bool,
}

/// One step of a stack section.
pub(super) enum Part {
    /// Advance to the first line matching; its groups are frames.
    Line(RuleRegex),
    /// Read a stack trace from here.
    Trace,
}

/// Where a title's function is, and what to skip.
pub(super) struct StackFmt {
    /// Steps matched in order.
    pub parts: Vec<Part>,
    /// Tried when `parts` find no frame.
    pub parts2: Vec<Part>,
    /// Functions skipped: the common list and this format's.
    pub skip: stack::Skip,
    /// Picks the frame among all found (stalls, hangs); default: the first.
    pub extractor: Option<Extractor>,
}

/// A regex of the table, compiled on first use: a report meets few of the
/// table's rules, and compiling all of them (some 200) cost a single
/// report more than parsing it (20 ms of a 30-frame report's run).
pub(super) struct RuleRegex {
    source: String,
    compiled: OnceLock<Regex>,
}

impl RuleRegex {
    /// `source`, not compiled yet.
    pub(super) fn new(source: &str) -> Self {
        RuleRegex {
            source: source.to_owned(),
            compiled: OnceLock::new(),
        }
    }
}

impl std::ops::Deref for RuleRegex {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        self.compiled.get_or_init(|| compile(&self.source))
    }
}

/// Compile a rule regex, expanding syzkaller's placeholders. Matching is
/// byte-wise with ASCII classes, as Go's `regexp` on `[]byte`; Go's `\<`
/// and `\>` are plain `<` and `>` (word boundaries in Rust's syntax).
pub(super) fn compile(re: &str) -> Regex {
    let re = re
        .replace("{{ADDR}}", "0x[0-9a-f]+")
        .replace("{{PC}}", r"\[\<?(?:0x)?[0-9a-f]+\>?\]")
        .replace("{{FUNC}}", r"([a-zA-Z0-9_]+)(?:\.|\+)")
        .replace("{{SRC}}", r"([a-zA-Z0-9-_/.]+\.[a-z]+:[0-9]+)")
        .replace("{{TASK}}", r"[\s\S]{0,100}?")
        .replace(r"\<", "<")
        .replace(r"\>", ">");
    Regex::new(&format!("(?-u){re}")).unwrap_or_else(|e| panic!("rule regex {re}: {e}"))
}

/// The faulting pc line: `RIP:`, `pc :`, `PC is at`, `NIP`, `IP:`.
pub(super) const RIP_FRAME: &str = r"(?:IP|NIP|pc |PC is at):? (?:(?:[0-9]+:)?(?:{{PC}} +){0,2}{{FUNC}}|(?:[0-9]+:)?0x[0-9a-f]+|(?:[0-9]+:)?{{PC}} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))";

/// `Call Trace:`, `Call trace:`, `Backtrace:`.
pub(super) const CALL_TRACE: &str = r"(?:Call (?:T|t)race:)|(?:Backtrace:)";

fn format(title: &str, fmt: &'static str) -> OopsFormat {
    OopsFormat {
        title: RuleRegex::new(title),
        report: None,
        fmt,
        alt: &[],
        stack: None,
        no_stack_trace: false,
        corrupted: false,
    }
}

impl OopsFormat {
    fn report(mut self, re: &str) -> Self {
        self.report = Some(RuleRegex::new(re));
        self
    }
    fn alt(mut self, alt: &'static [&'static str]) -> Self {
        self.alt = alt;
        self
    }
    fn stack(mut self, stack: StackFmt) -> Self {
        self.stack = Some(stack);
        self
    }
    fn no_stack_trace(mut self) -> Self {
        self.no_stack_trace = true;
        self
    }
    fn corrupted(mut self) -> Self {
        self.corrupted = true;
        self
    }
}

/// A stack section: `Some(re)` is a line step, `None` a stack trace.
fn stack_fmt(parts: &[Option<&str>], skip: &[&str]) -> StackFmt {
    StackFmt {
        parts: parts_of(parts),
        parts2: Vec::new(),
        skip: stack::Skip::new(skip),
        extractor: None,
    }
}

fn parts_of(parts: &[Option<&str>]) -> Vec<Part> {
    parts
        .iter()
        .map(|p| p.map_or(Part::Trace, |re| Part::Line(RuleRegex::new(re))))
        .collect()
}

impl StackFmt {
    fn parts2(mut self, parts: &[Option<&str>]) -> Self {
        self.parts2 = parts_of(parts);
        self
    }
    fn extractor(mut self, extractor: Extractor) -> Self {
        self.extractor = Some(extractor);
        self
    }
}

const TRACE: Option<&str> = None;
const RIP: Option<&str> = Some(RIP_FRAME);
const CALL: Option<&str> = Some(CALL_TRACE);

/// The stack of a WARNING: from the faulting pc (newer kernels trap), else
/// from `Call Trace:` (older kernels just print the stack).
fn warning_stack(skip: &[&str]) -> StackFmt {
    let rip = format!("(?:{RIP_FRAME}|--- interrupt: [0-9]+ at {{{{FUNC}}}})");
    stack_fmt(&[Some(&rip), TRACE], skip).parts2(&[CALL, TRACE])
}

/// A stack read from `Call Trace:`.
fn call_trace(skip: &[&str]) -> StackFmt {
    stack_fmt(&[CALL, TRACE], skip)
}

/// A stack read from the faulting pc, then `Call Trace:`.
fn rip_then_trace(skip: &[&str]) -> StackFmt {
    stack_fmt(&[RIP, CALL, TRACE], skip)
}

fn oops(header: &'static str, formats: Vec<OopsFormat>, suppressions: &[&str]) -> Oops {
    Oops {
        header: header.as_bytes(),
        formats,
        suppressions: suppressions.iter().map(|s| RuleRegex::new(s)).collect(),
    }
}

/// Every oops kind, in syzkaller's order.
pub(super) static OOPSES: LazyLock<Vec<Oops>> = LazyLock::new(|| {
    let mut all = vec![bug(), warning(), info()];
    all.extend(others());
    all.extend(common());
    all
});

fn bug() -> Oops {
    let kasan_skip: &[&str] = &["kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"];
    let kfence_stack = || {
        stack_fmt(
            &[Some(r"BUG: KFENCE: (?:[a-z\- ]+) in {{FUNC}}"), TRACE],
            &[],
        )
    };
    let kmsan_origin = r"(Local variable .* created at:|Uninit was created at:)";
    oops(
        "BUG:",
        vec![
            format("BUG: KASAN:", "KASAN: %[1]v %[3]v in %[4]v")
                .report(r"BUG: KASAN: ([a-z\-]+) in {{FUNC}}(?:.*\n)+?.*(Read|Write) (?:of size|at addr) (?:[0-9a-f]+)")
                .alt(&["bad-access in %[4]v"])
                .stack(stack_fmt(
                    &[Some(r"BUG: KASAN: (?:[a-z\-]+) in {{FUNC}}"), CALL, TRACE],
                    kasan_skip,
                )),
            format("BUG: KASAN:", "KASAN: invalid-free in %[2]v")
                .report(r"BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}")
                .alt(&["invalid-free in %[2]v"])
                .stack(stack_fmt(
                    &[
                        Some(r"BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {{FUNC}}"),
                        CALL,
                        TRACE,
                    ],
                    &["slab_", "kfree", "vunmap", "vfree"],
                )),
            format(
                r"BUG: KASAN: ([a-z\-]+) on address(?:.*\n)+?.*(Read|Write) of size ([0-9]+)",
                "KASAN: %[1]v %[2]v",
            ),
            format("BUG: KASAN: (.*)", "KASAN: %[1]v").corrupted(),
            format("BUG: KMSAN: kernel-usb-infoleak", "KMSAN: kernel-usb-infoleak in %[2]v")
                .report("BUG: KMSAN: kernel-usb-infoleak in {{FUNC}}")
                .alt(&["KMSAN origin in %[3]v"])
                .stack(stack_fmt(
                    &[TRACE, Some(kmsan_origin), TRACE],
                    &[
                        "alloc_skb",
                        "usb_submit_urb",
                        "usb_start_wait_urb",
                        "usb_bulk_msg",
                        "usb_interrupt_msg",
                        "usb_control_msg",
                    ],
                ))
                .no_stack_trace(),
            format("BUG: KMSAN:", "KMSAN: %[1]v in %[3]v")
                .report(r"BUG: KMSAN: ([a-z\-]+) in {{FUNC}}")
                .alt(&["bad-access in %[3]v"])
                .stack(stack_fmt(
                    &[TRACE, Some(kmsan_origin), TRACE],
                    &[
                        "alloc_skb",
                        "netlink_ack",
                        "netlink_rcv_skb",
                        "_encrypt$",
                        "^(?:crypto|cipher|drbg|rng)_",
                    ],
                ))
                .no_stack_trace(),
            format("BUG: KCSAN: data-race", "KCSAN: %[1]v")
                .report("BUG: KCSAN: (.*)")
                .no_stack_trace(),
            format("BUG: KCSAN:", "KCSAN: %[1]v")
                .report("BUG: KCSAN: (.*)")
                .no_stack_trace(),
            format(
                r"BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in {{FUNC}}",
                "KFENCE: %[1]v %[2]v in %[4]v",
            )
            .alt(&["bad-access in %[4]v"])
            .stack(kfence_stack()),
            format("BUG: KFENCE: invalid free in {{FUNC}}", "KFENCE: invalid free in %[2]v")
                .alt(&["invalid-free in %[2]v"])
                .no_stack_trace()
                .stack(kfence_stack()),
            format(
                "BUG: KFENCE: invalid (read|write) in {{FUNC}}",
                "KFENCE: invalid %[1]v in %[3]v",
            )
            .alt(&["bad-access in %[3]v"])
            .stack(kfence_stack()),
            format(
                "BUG: KFENCE: memory corruption in {{FUNC}}",
                "KFENCE: memory corruption in %[2]v",
            )
            .no_stack_trace()
            .stack(kfence_stack()),
            format(
                "BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|Unable to handle kernel data access)",
                "BUG: unable to handle kernel paging request in %[1]v",
            )
            .alt(&["bad-access in %[1]v"])
            .stack(rip_then_trace(&[])),
            format(
                "BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|Kernel NULL pointer dereference)",
                "BUG: unable to handle kernel NULL pointer dereference in %[1]v",
            )
            .alt(&["bad-access in %[1]v"])
            .stack(rip_then_trace(&[])),
            // The second half of the header is a separate printk, often lost.
            format(
                "BUG: (?:unable to handle kernel|Unable to handle kernel)",
                "BUG: unable to handle kernel",
            )
            .corrupted(),
            format(
                "BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP)",
                "BUG: %[1]v %[2]v in %[3]v",
            )
            .stack(call_trace(&["spin_", "_lock", "_unlock"])),
            format("BUG: soft lockup", "BUG: soft lockup in %[1]v")
                .alt(&["stall in %[1]v"])
                .stack(rip_then_trace(&[]).extractor(stack::stall_frame)),
            format("BUG: .*still has locks held!", "BUG: still has locks held in %[1]v")
                .report(r"BUG: .*still has locks held!(?:.*\n)+?.*{{PC}} +{{FUNC}}"),
            format(
                "BUG: scheduling while atomic",
                "BUG: scheduling while atomic in %[1]v",
            )
            .stack(call_trace(&["schedule"])),
            format(
                "BUG: lock held when returning to user space",
                "BUG: lock held when returning to user space in %[1]v",
            )
            .report(r"BUG: lock held when returning to user space(?:.*\n)+?.*leaving the kernel with locks still held(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}")
            .no_stack_trace(),
            format(
                "BUG: bad unlock balance detected!",
                "BUG: bad unlock balance in %[1]v",
            )
            .stack(stack_fmt(&[Some("{{PC}} +{{FUNC}}"), CALL, TRACE], &[])),
            format("BUG: held lock freed!", "BUG: held lock freed in %[1]v")
                .report(r"BUG: held lock freed!(?:.*\n)+?.*{{PC}} +{{FUNC}}"),
            format("BUG: Bad rss-counter state", "BUG: Bad rss-counter state").no_stack_trace(),
            format(
                "BUG: non-zero nr_ptes on freeing mm",
                "BUG: non-zero nr_ptes on freeing mm",
            )
            .no_stack_trace(),
            format(
                "BUG: non-zero nr_pmds on freeing mm",
                "BUG: non-zero nr_pmds on freeing mm",
            )
            .no_stack_trace(),
            // Block device and filesystem names make duplicates: left out.
            format("BUG: Dentry .* still in use", "BUG: Dentry still in use in %[1]v")
                .report(r"BUG: Dentry .* still in use \([0-9]+\) \[(unmount) of ([^\]]+)\]")
                .alt(&["BUG: Dentry still in use [%[1]v of %[2]v]"]),
            format("BUG: Bad page (state|cache)", "BUG: Bad page %[1]v in %[2]v").stack(
                stack_fmt(
                    &[Some("page last allocated"), TRACE],
                    &[
                        "(free|put|get|update|release)_page",
                        "free_unref",
                        "^_*folio",
                        "truncate_inode_pages",
                        "page_frag_free",
                        "alloc",
                        "vmap",
                        "page_owner",
                    ],
                ),
            ),
            format("BUG: Bad page map", "BUG: Bad page map"),
            format("BUG: workqueue lockup", "BUG: workqueue lockup").no_stack_trace(),
            format(
                "BUG: sleeping function called from invalid context at (.*)",
                "BUG: sleeping function called from invalid context in %[2]v",
            )
            .stack(call_trace(&[])),
            format(
                r"BUG: using ([a-z_]+)\(\) in preemptible",
                "BUG: using %[1]v() in preemptible code in %[2]v",
            )
            .stack(call_trace(&[
                "dump_stack",
                "preemption",
                "preempt",
                "debug_",
                "processor_id",
                "this_cpu",
            ])),
            format(
                "BUG: workqueue leaked lock or atomic",
                "BUG: workqueue leaked lock or atomic in %[1]v",
            )
            .report(r"BUG: workqueue leaked lock or atomic(?:.*\n)+?.*last function: ([a-zA-Z0-9_]+)\n")
            .no_stack_trace(),
            format("BUG: memory leak", "memory leak in %[1]v").stack(stack_fmt(
                &[Some(r"backtrace(?: \(crc [[:xdigit:]]*\))?:"), TRACE],
                &[
                    "kmemleak",
                    "mmap",
                    "kmem",
                    "slab",
                    "alloc",
                    "create_object",
                    "idr_get",
                    "list_lru_init",
                    "kasprintf",
                    "kvasprintf",
                    "pcpu_create",
                    "strdup",
                    "strndup",
                    "memdup",
                ],
            )),
            format(
                "BUG: .*stack guard page was hit at",
                "BUG: stack guard page was hit in %[1]v",
            )
            .alt(&["stack-overflow in %[1]v"])
            .stack(rip_then_trace(&[]).extractor(stack::stall_frame)),
            // arm's way of saying what x86 calls a locking bug.
            format("BUG: Invalid wait context", "WARNING: locking bug in %[1]v")
                .stack(call_trace(&["lock_sock", "release_sock"])),
            format(r"BUG:[[:space:]]*(?:\n|$)", "BUG: corrupted").corrupted(),
        ],
        &[
            "ODEBUG:",
            "Boot_DEBUG:",
            "xlog_status:",
            "DEBUG:",
            "BUG: no syscalls can create resource",
        ],
    )
}

fn warning() -> Oops {
    let deadlock_at = "at: (?:{{PC}} +)?{{FUNC}}";
    oops(
        "WARNING:",
        vec![
            format(
                r"WARNING: .*lib/debugobjects\.c.* (?:debug_print|debug_check|at)",
                "WARNING: ODEBUG bug in %[1]v",
            )
            .stack(warning_stack(&[
                "debug_",
                "rcu",
                "hrtimer_",
                "timer_",
                "work_",
                "percpu_",
                "vunmap",
                "vfree",
                "__free_",
                "debug_check",
                "kobject_",
            ])),
            format(
                r"WARNING: .*mm/usercopy\.c.* (?:usercopy_warn|at)",
                "WARNING: bad usercopy in %[1]v",
            )
            .stack(warning_stack(&["usercopy", "__check"])),
            format(
                r"WARNING: .*lib/kobject\.c.* (?:kobject_|at)",
                "WARNING: kobject bug in %[1]v",
            )
            .stack(warning_stack(&["kobject_"])),
            format(
                r"WARNING: .*fs/proc/generic\.c.* (?:proc_register|at)",
                "WARNING: proc registration bug in %[1]v",
            )
            .stack(warning_stack(&["proc_"])),
            format(
                r"WARNING: .*lib/refcount\.c.* (?:refcount_|at)",
                "WARNING: refcount bug in %[1]v",
            )
            .stack(warning_stack(&["refcount", "kobject_"])),
            format(
                r"WARNING: .*kernel/locking/lockdep\.c.*lock_",
                "WARNING: locking bug in %[1]v",
            )
            .stack(warning_stack(&["lock_sock", "release_sock"])),
            format(
                "WARNING: .*still has locks held!",
                "WARNING: still has locks held in %[1]v",
            )
            .report(r"WARNING: .*still has locks held!(?:.*\n)+?.*at: {{FUNC}}"),
            format(
                "WARNING: Nested lock was not taken",
                "WARNING: nested lock was not taken in %[1]v",
            )
            .stack(warning_stack(&[])),
            format(
                "WARNING: lock held when returning to user space",
                "WARNING: lock held when returning to user space in %[1]v",
            )
            .report(r"WARNING: lock held when returning to user space(?:.*\n)+?.*leaving the kernel with locks still held(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}")
            .no_stack_trace(),
            format(r"WARNING: .*mm/.*\.c.* k?.?malloc", "WARNING: kmalloc bug in %[1]v")
                .stack(warning_stack(&["kmalloc", "krealloc", "slab", "kmem"])),
            format(
                "WARNING: .*mm/vmalloc.c.*__vmalloc_node",
                "WARNING: zero-size vmalloc in %[1]v",
            )
            .stack(warning_stack(&[])),
            format("WARNING: .* usb_submit_urb", "WARNING in %[1]v/usb_submit_urb").stack(
                warning_stack(&[
                    "usb_submit_urb",
                    "usb_start_wait_urb",
                    "usb_bulk_msg",
                    "usb_interrupt_msg",
                    "usb_control_msg",
                ]),
            ),
            // `WARNING: file:line at 0x0, CPU#0: comm/pid` (Linux 6.19 and later).
            format(r"WARNING: {{SRC}} at 0x\d+, CPU#\d+", "WARNING in %[2]v")
                .stack(warning_stack(&[])),
            format("WARNING: .* at {{SRC}} {{FUNC}}", "WARNING in %[3]v")
                .stack(warning_stack(&[])),
            format("WARNING: {{SRC}} at {{FUNC}}", "WARNING in %[3]v").stack(warning_stack(&[])),
            format(r"WARNING: \[.*\] {{SRC}} at {{FUNC}}.*", "WARNING in %[3]v")
                .stack(warning_stack(&[])),
            format(
                "WARNING: possible circular locking dependency detected",
                "possible deadlock in %[1]v",
            )
            .report(r"WARNING: possible circular locking dependency detected(?:.*\n)+?.*is trying to acquire lock")
            .stack(stack_fmt(
                &[Some(deadlock_at), Some(deadlock_at), TRACE],
                // Work-item locks: such deadlocks belong to the work subsystem.
                &[
                    "process_one_work",
                    "flush_workqueue",
                    "drain_workqueue",
                    "destroy_workqueue",
                ],
            )),
            format(
                "WARNING: possible irq lock inversion dependency detected",
                "possible deadlock in %[1]v",
            )
            .report(r"WARNING: possible irq lock inversion dependency detected(?:.*\n)+?.*just changed the state of lock(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"),
            format(
                "WARNING: .*-safe -> .*-unsafe lock order detected",
                "possible deadlock in %[1]v",
            )
            .stack(stack_fmt(&[Some("which became (?:.*) at:"), TRACE], &[])),
            format(
                "WARNING: possible recursive locking detected",
                "possible deadlock in %[1]v",
            )
            .report(r"WARNING: possible recursive locking detected(?:.*\n)+?.*is trying to acquire lock(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}"),
            format(
                "WARNING: inconsistent lock state",
                "inconsistent lock state in %[2]v",
            )
            .report(r"WARNING: inconsistent lock state(?:.*\n)+?.*takes(?:.*\n)+?.*at: (?:{{PC}} +)?{{FUNC}}")
            .stack(call_trace(&[])),
            format(
                "WARNING: suspicious RCU usage",
                "WARNING: suspicious RCU usage in %[2]v",
            )
            .report("WARNING: suspicious RCU usage(?:.*\n)+?.*?{{SRC}}")
            .stack(call_trace(&["rcu", "kmem", "slab"])),
            format(
                "WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value",
                "WARNING: kernel stack regs has bad '%[1]v' value",
            )
            .no_stack_trace(),
            format(
                "WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value",
                "WARNING: kernel stack frame pointer has bad value",
            )
            .no_stack_trace(),
            format(
                "WARNING: bad unlock balance detected!",
                "WARNING: bad unlock balance in %[1]v",
            )
            .stack(stack_fmt(&[Some("{{PC}} +{{FUNC}}"), CALL, TRACE], &[])),
            format("WARNING: held lock freed!", "WARNING: held lock freed in %[1]v")
                .report(r"WARNING: held lock freed!(?:.*\n)+?.*at:(?: {{PC}})? +{{FUNC}}"),
            format(
                "WARNING: kernel stack regs .* has bad 'bp' value",
                "WARNING: kernel stack regs has bad value",
            )
            .no_stack_trace(),
            format(
                "WARNING: kernel stack frame pointer .* has bad value",
                "WARNING: kernel stack regs has bad value",
            )
            .no_stack_trace(),
            format(r"WARNING:[[:space:]]*(?:\n|$)", "WARNING: corrupted").corrupted(),
        ],
        &[
            "WARNING: /etc/ssh/moduli does not exist, using fixed modulus",
            "WARNING: workqueue cpumask: online intersect > possible intersect",
            "WARNING: [Tt]he mand mount option",
            r"WARNING: Unsupported flag value\(s\) of 0x%x in DT_FLAGS_1",
            "WARNING: Unprivileged eBPF is enabled with eIBRS",
            r"WARNING: fbcon: Driver '(.*)' missed to adjust virtual screen size (\((?:\d+)x(?:\d+) vs\. (?:\d+)x(?:\d+)\))",
            "WARNING: See https.* for mitigation options.",
            "WARNING: kernel not compiled with CPU_SRSO",
            r"EXT4-[Ff][Ss](?: \(.*\))?:",
            "(?i)warning: .* uses (deprecated v2 capabilities|wireless extensions)",
            r"XFS \(\w+\): WARNING",
        ],
    )
}

fn info() -> Oops {
    let at_pc = "at: {{PC}} +{{FUNC}}";
    oops(
        "INFO:",
        vec![
            format(
                "INFO: possible circular locking dependency detected",
                "possible deadlock in %[1]v",
            )
            .report(&format!(r"INFO: possible circular locking dependency detected \](?:.*\n)+?.*is trying to acquire lock(?:.*\n)+?.*{at_pc}")),
            format(
                "INFO: possible irq lock inversion dependency detected",
                "possible deadlock in %[1]v",
            )
            .report(&format!(r"INFO: possible irq lock inversion dependency detected \](?:.*\n)+?.*just changed the state of lock(?:.*\n)+?.*{at_pc}")),
            format(
                "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected",
                "possible deadlock in %[1]v",
            )
            .report(&format!(r"INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \](?:.*\n)+?.*is trying to acquire(?:.*\n)+?.*{at_pc}")),
            format(
                "INFO: possible recursive locking detected",
                "possible deadlock in %[1]v",
            )
            .report(&format!(r"INFO: possible recursive locking detected \](?:.*\n)+?.*is trying to acquire lock(?:.*\n)+?.*{at_pc}")),
            format(
                "INFO: inconsistent lock state",
                "inconsistent lock state in %[1]v",
            )
            .report(&format!(r"INFO: inconsistent lock state \](?:.*\n)+?.*takes(?:.*\n)+?.*{at_pc}")),
            format(
                "INFO: rcu_(?:preempt|sched|bh|tasks) (?:self-)?detected(?: expedited)? stall",
                "INFO: rcu detected stall in %[1]v",
            )
            .alt(&["stall in %[1]v"])
            .stack(
                stack_fmt(&[Some("apic_timer_interrupt"), RIP, TRACE], &["apic_timer_interrupt", "rcu"])
                    .parts2(&[Some("(?:apic_timer_interrupt|Exception stack|el1h_64_irq)"), TRACE])
                    .extractor(stack::stall_frame),
            ),
            format(
                "INFO: trying to register non-static key",
                "INFO: trying to register non-static key in %[1]v",
            )
            .stack(call_trace(&["stack", "lock", "IRQ"])),
            format(
                "INFO: suspicious RCU usage",
                "INFO: suspicious RCU usage in %[2]v",
            )
            .report("INFO: suspicious RCU usage(?:.*\n)+?.*?{{SRC}}")
            .stack(call_trace(&["rcu", "kmem", "slab"])),
            format(
                "INFO: task {{TASK}} blocked (?:in I/O wait )?for more than [0-9]+ seconds",
                "INFO: task hung in %[1]v",
            )
            .alt(&["hang in %[1]v"])
            .stack(call_trace(&[]).extractor(stack::hung_task_frame)),
            format(
                "INFO: task {{TASK}} can't die for more than .* seconds",
                "INFO: task can't die in %[1]v",
            )
            .alt(&["hang in %[1]v"])
            .stack(call_trace(&["schedule"])),
            // What is left of a corrupted old-style KASAN report.
            format("INFO: (Freed|Allocated) in (.*)", "INFO: %[1]v in %[2]v").corrupted(),
            format(r"INFO:[[:space:]]*(?:\n|$)", "INFO: corrupted").corrupted(),
        ],
        &[
            "INFO: lockdep is turned off",
            "INFO: Stall ended before state dump start",
            "INFO: NMI handler",
            "INFO: recovery required on readonly filesystem",
            "(handler|interrupt).*took too long",
            "INFO: sys_.* is not present in /proc/kallsyms",
            "INFO: no syscalls can create resource",
            "rmt_storage:INFO:",
            "_INFO:",
        ],
    )
}

/// A header whose only format takes the function from the faulting pc.
fn rip_only(header: &'static str, title: &str, fmt: &'static str) -> Oops {
    oops(
        header,
        vec![format(title, fmt).stack(stack_fmt(&[RIP], &[]))],
        &[],
    )
}

/// A header whose only format reads the pc, then the call trace.
fn rip_trace(header: &'static str, fmt: &'static str, alt: &'static [&'static str]) -> Oops {
    oops(
        header,
        vec![format(header, fmt).alt(alt).stack(rip_then_trace(&[]))],
        &[],
    )
}

fn others() -> Vec<Oops> {
    let ubsan_skip: &[&str] = &["ubsan", "overflow"];
    vec![
        oops(
            "Unable to handle kernel",
            vec![format(
                "Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)",
                "BUG: unable to handle kernel %[1]v in %[2]v",
            )
            .alt(&["bad-access in %[2]v"])
            .stack(rip_then_trace(&[]))],
            &[],
        ),
        oops(
            "general protection fault",
            vec![format("general protection fault.*:", "general protection fault in %[1]v")
                .alt(&["bad-access in %[1]v"])
                .stack(rip_then_trace(&[]))],
            &[r"general protection fault .* error:\d+ in "],
        ),
        rip_trace("stack segment: ", "stack segment fault in %[1]v", &[]),
        oops(
            "Kernel panic",
            vec![
                // The kernel may fail to name the function or unwind the stack.
                format(
                    "Kernel panic - not syncing: stack-protector:",
                    "kernel panic: stack is corrupted in %[1]v",
                )
                .report("Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: {{FUNC}}")
                .no_stack_trace(),
                format(
                    "Kernel panic - not syncing: stack-protector:",
                    "kernel panic: stack is corrupted in %[1]v",
                )
                .report("Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: [a-f0-9]+")
                .stack(call_trace(&["stack_chk"])),
                format(
                    "Kernel panic - not syncing: corrupted stack end",
                    "kernel panic: corrupted stack end in %[1]v",
                )
                .report("Kernel panic - not syncing: corrupted stack end detected inside scheduler")
                .alt(&["stack-overflow in %[1]v"])
                .stack(call_trace(&["schedule", "retint_kernel"]).extractor(stack::stall_frame)),
                format(
                    "Kernel panic - not syncing: kernel stack overflow",
                    "kernel stack overflow in %[1]v",
                )
                .alt(&["stack-overflow in %[1]v"])
                .stack(call_trace(&["bad_stack"]).extractor(stack::stall_frame)),
                format(
                    "Kernel panic - not syncing: Attempted to kill init!",
                    "kernel panic: Attempted to kill init!",
                ),
                format(
                    "Kernel panic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+",
                    "kernel panic: Couldn't open N_TTY ldisc",
                ),
                // Printed after a BUG, WARNING or hung task whose header
                // was lost: the report is truncated.
                format(
                    "Kernel panic - not syncing: Fatal exception",
                    "kernel panic: Fatal exception",
                )
                .corrupted(),
                format(
                    "Kernel panic - not syncing: panic_on_warn set",
                    "kernel panic: panic_on_warn set",
                )
                .corrupted(),
                format(
                    "Kernel panic - not syncing: hung_task: blocked tasks",
                    "kernel panic: hung_task: blocked tasks",
                )
                .corrupted(),
                format("Kernel panic - not syncing: (.*)", "kernel panic: %[1]v"),
            ],
            &[],
        ),
        rip_only("PANIC: double fault", "PANIC: double fault", "PANIC: double fault in %[1]v"),
        oops(
            "rust_kernel: panicked",
            vec![format("rust_kernel: panicked", "%[1]v in %[2]v")
                .report("rust_kernel: panicked at [^\n]*?\n(.+?)\n")
                .stack(call_trace(&[r"__rustc::rust_begin_unwind"]))],
            &[],
        ),
        oops(
            "kernel BUG",
            vec![
                format("kernel BUG at mm/usercopy.c", "BUG: bad usercopy in %[1]v")
                    .stack(call_trace(&["usercopy", "__check"])),
                format("kernel BUG at lib/list_debug.c", "BUG: corrupted list in %[1]v")
                    .alt(&["bad-access in %[1]v"])
                    .stack(call_trace(&[])),
                // skb wrappers BUG_ON, but the bug is in their caller.
                format("kernel BUG at (.*)", "kernel BUG in %[2]v").stack(rip_then_trace(&["^skb_"])),
            ],
            &[],
        ),
        oops(
            "Kernel BUG",
            vec![format("Kernel BUG (.*)", "kernel BUG %[1]v")],
            &[],
        ),
        oops(
            "BUG kmalloc-",
            vec![format(
                "BUG kmalloc-.*: Object already free",
                "BUG: Object already free",
            )],
            &[],
        ),
        rip_only("divide error:", "divide error: ", "divide error in %[1]v"),
        // Misspelt in Linux 5.8 (9d06c4027f21).
        rip_only("divide_error:", "divide_error: ", "divide error in %[1]v"),
        rip_only("invalid opcode:", "invalid opcode: ", "invalid opcode in %[1]v"),
        oops(
            "int3:",
            vec![format("int3: ", "int3 in %[1]v").stack(rip_then_trace(&[]))],
            &[],
        ),
        oops(
            "UBSAN:",
            vec![
                format("UBSAN:", "UBSAN: undefined-behaviour in %[1]v")
                    .report("UBSAN: Undefined behaviour in")
                    .stack(call_trace(ubsan_skip)),
                format(
                    "UBSAN: array-index-out-of-bounds in",
                    "UBSAN: array-index-out-of-bounds in %[1]v",
                )
                .alt(&["bad-access in %[1]v"])
                .stack(call_trace(ubsan_skip)),
                format("UBSAN:", "UBSAN: %[1]v in %[2]v")
                    .report("UBSAN: (.*?) in")
                    .stack(call_trace(ubsan_skip)),
            ],
            &[],
        ),
        oops(
            "Booting the kernel.",
            vec![format("^Booting the kernel", "unexpected kernel reboot").no_stack_trace()],
            // A boot message echoed back as a mount option is no reboot.
            &["Parsing ELF|Decompressing Linux|Unknown parameter '"],
        ),
        oops(
            "unregister_netdevice: waiting for",
            vec![format(
                "unregister_netdevice: waiting for (?:.*) to become free",
                "unregister_netdevice: waiting for DEV to become free",
            )
            .no_stack_trace()],
            &[],
        ),
        oops(
            "VFS: Close: file count is 0",
            vec![format(
                "VFS: Close: file count is 0",
                "VFS: Close: file count is zero (use-after-free)",
            )
            .no_stack_trace()],
            &[],
        ),
        oops(
            "VFS: Busy inodes after unmount",
            vec![format(
                "VFS: Busy inodes after unmount",
                "VFS: Busy inodes after unmount (use-after-free)",
            )
            .no_stack_trace()],
            &[],
        ),
        // arm64's synchronous external abort is arm's paging request.
        rip_trace("Internal error:", "Internal error in %[1]v", &["bad-access in %[1]v"]),
        // arm's page domain fault is x86's general protection fault.
        rip_trace("Unhandled fault:", "Unhandled fault in %[1]v", &["bad-access in %[1]v"]),
        rip_trace("Alignment trap:", "Alignment trap in %[1]v", &[]),
        oops(
            "trusty: panic",
            vec![
                format("trusty: panic.* ASSERT FAILED", "trusty: ASSERT FAILED: %[1]v")
                    .report(r"trusty: panic \(.*?\):(?: DEBUG)? ASSERT FAILED at \(.*?\): (.+)")
                    .no_stack_trace(),
                format("trusty: panic.* ASSERT FAILED.*: *(.*)", "trusty: ASSERT FAILED: %[1]v")
                    .corrupted(),
                format("trusty: panic", "trusty: panic: %[1]v")
                    .report(r"trusty: panic \(.*?\): (.+)")
                    .no_stack_trace(),
            ],
            &[],
        ),
        oops(
            "fatal error:",
            vec![format("fatal error:", "go runtime error").no_stack_trace()],
            &["ALSA", "fatal error: cannot create timer"],
        ),
    ]
}

/// Messages of syzkaller itself and of Go programs.
fn common() -> Vec<Oops> {
    vec![
        oops(
            "SYZFAIL:",
            vec![format("SYZFAIL:(.*)", "SYZFAIL:%[1]v").no_stack_trace()],
            &[],
        ),
        oops(
            "SYZFATAL:",
            vec![
                format("SYZFATAL:(.*)()", "SYZFATAL:%[1]v")
                    .alt(&["SYZFATAL%[2]s"])
                    .no_stack_trace(),
            ],
            &[],
        ),
        oops(
            "panic:",
            vec![
                format(
                    "panic: Sentry detected .* stuck task",
                    "panic: Sentry detected stuck tasks",
                )
                .no_stack_trace(),
                format("panic:(.*)", "panic:%[1]v").no_stack_trace(),
            ],
            // Kernel functions (skb_panic) and Android boot messages.
            &[
                "_panic:",
                "xlog_status:",
                r"ddb\.onpanic:",
                "evtlog_status:",
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every regex of the table compiles: they are compiled on first use,
    /// so a bad one would otherwise show only on a report that reaches it.
    #[test]
    fn every_rule_regex_compiles() {
        let mut compiled = 0;
        let mut check = |re: &RuleRegex| {
            assert!(!re.as_str().is_empty());
            compiled += 1;
        };
        for oops in OOPSES.iter() {
            oops.suppressions.iter().for_each(&mut check);
            for format in &oops.formats {
                check(&format.title);
                format.report.iter().for_each(&mut check);
                for part in format
                    .stack
                    .iter()
                    .flat_map(|s| s.parts.iter().chain(&s.parts2))
                {
                    if let Part::Line(re) = part {
                        check(re);
                    }
                }
                format
                    .stack
                    .iter()
                    .flat_map(|s| &s.skip.0)
                    .for_each(&mut check);
            }
        }
        assert!(compiled > 100, "{compiled} regexes");
    }
}
