//! syzkaller-style report titles, such as `possible deadlock in send_sigio`.
//!
//! The title's function is chosen as syzkaller does: from the faulting pc
//! (`RIP:`, `pc :`), the header line or the call trace, skipping frames of
//! reporting machinery (`dump_stack`, `kasan_*`, lockdep, locking and string
//! helpers...), and with syscall wrapper prefixes (`__x64_`, `SyS_`,
//! `__se_sys_`) stripped.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use crate::{Document, Frame, Line, LineKind, PcKind, Report};

/// Function-name substrings never used as the title function.
const SKIP: &[&str] = &[
    "__sanitizer",
    "__asan",
    "kasan",
    "__msan",
    "kmsan",
    "check_memory_region",
    "read_word_at_a_time",
    "print_address_description",
    "panic",
    "invalid_op",
    "report_bug",
    "fixup_bug",
    "do_error",
    "_trap",
    "dump_stack",
    "warn_slowpath",
    "warn_alloc",
    "__warn",
    "debug_object",
    "timer_is_static_object",
    "work_is_static_object",
    "lockdep",
    "perf_trace",
    "lock_acquire",
    "lock_release",
    "lock_class",
    "reacquire_held_locks",
    "spin_lock",
    "spin_trylock",
    "spin_unlock",
    "raw_read_lock",
    "raw_read_trylock",
    "raw_write_lock",
    "raw_write_trylock",
    "down",
    "down_read",
    "down_write",
    "up_read",
    "up_write",
    "mutex_lock",
    "mutex_trylock",
    "mutex_unlock",
    "mutex_remove_waiter",
    "osq_lock",
    "osq_unlock",
    "__wake_up",
    "refcount_add",
    "refcount_sub",
    "refcount_inc",
    "refcount_dec",
    "refcount_set",
    "refcount_read",
    "memcpy",
    "memcmp",
    "memset",
    "memchr",
    "memmove",
    "strcmp",
    "strncmp",
    "strcpy",
    "strlcpy",
    "strncpy",
    "strscpy",
    "strlen",
    "strnstr",
    "strnlen",
    "strchr",
    "copy_to_user",
    "copy_from_user",
    "put_user",
    "get_user",
    "might_fault",
    "might_sleep",
    "list_add",
    "list_del",
    "list_replace",
    "list_move",
    "list_splice",
    "_indirect_thunk_",
    "string",
    "pointer",
    "snprintf",
    "scnprintf",
    "kasprintf",
    "kvasprintf",
    "printk",
    "dev_info",
    "dev_notice",
    "dev_warn",
    "dev_err",
    "dev_alert",
    "dev_crit",
    "dev_emerg",
    "program_check_exception",
    "program_check_common",
    "del_timer",
    "flush_work",
    "__cancel_work_timer",
    "cancel_work_sync",
    "try_to_grab_pending",
    "flush_workqueue",
    "drain_workqueue",
    "destroy_workqueue",
    "finish_wait",
    "kthread_stop",
    "kobject_del",
    "kobject_put",
    "kobject_uevent_env",
    "add_uevent_var",
    "get_device_parent",
    "device_add",
    "device_del",
    "device_unregister",
    "device_destroy",
    "hwrng_unregister",
    "i2c_del_adapter",
    "__unregister_client",
    "device_for_each_child",
    "rollback_registered",
    "unregister_netdev",
    "sysfs_remove",
    "device_remove_file",
    "tty_unregister_device",
    "dummy_urb_enqueue",
    "usb_kill_urb",
    "usb_kill_anchored_urbs",
    "usb_control_msg",
    "usb_hcd_submit_urb",
    "usb_submit_urb",
    "kcsan",
    "kfence",
    "ubsan",
    "__ubsan",
    "fortify",
    "__kmsan",
    "dump_backtrace",
    "show_stack",
    "^rb_",
    "^__rb_",
    "kfree",
    "__alloc_pages",
    "alloc_frozen_pages",
    "ref_tracker",
    "klist_",
    "mutex_",
    "wait_for_completion",
    "va_format",
    "warn_bogus",
    "kmalloc_order",
    "kmalloc_large",
    "alloc_pages",
    "__local_bh_enable",
    "print_tainted",
    "kvfree",
    "do_kernel_fault",
    "walk_stackframe",
    "__hwasan",
    "read_once",
    "print_report",
    "do_tag_check_fault",
    "do_translation_fault",
    "do_mem_abort",
    "_atomic_dec_and",
    "atomic_read",
    "atomic_inc",
    "atomic_dec",
    "test_and_clear_bit",
    "test_and_set_bit",
    "kmem_cache_alloc",
    "__kmalloc",
    "trace_hardirqs",
    "__might_resched",
    "hex_dump",
    "_copy_to_iter",
    "bad_page",
    "__phys_addr",
    "__check_heap_object",
    "strstr",
    "stack_trace_consume",
    "el1_abort",
    "el1h_64_sync",
    "die_kernel_fault",
];

/// Frames that dispatch work: for stalls, the frame just above the first of
/// these names the stalled code. `^` anchors at the name start.
const STALL_ANCHORS: &[&str] = &[
    "process_one_work",
    "do_syscall_",
    "do_fast_syscall_",
    "sysenter_dispatch",
    "tracesys_phase2",
    "netif_receive_skb",
    "do_softirq",
    "call_timer_fn",
    "_run_timers",
    "run_timer_softirq",
    "run_ksoftirqd",
    "smpboot_thread_fn",
    "^kthread$",
    "start_secondary",
    "cpu_startup_entry",
    "ret_from_fork",
    "vfs_write",
    "vfs_read",
    "vfs_iter_read",
    "vfs_iter_write",
    "do_iter_read",
    "do_iter_write",
    "vfs_ioctl",
    "blkdev_driver_ioctl",
    "blkdev_ioctl",
    "^call_read_iter",
    "^call_write_iter",
    "do_iter_readv_writev",
    "^call_mmap",
    "mmap_region",
    "do_mmap",
    "do_dentry_open",
    "vfs_open",
    "^sock_sendmsg",
    "^sock_recvmsg",
    "^sock_release",
    "^__sock_release",
    "__sys_setsockopt",
    "kernel_setsockopt",
    "sock_common_setsockopt",
    "__sys_listen",
    "kernel_listen",
    "sk_common_release",
    "^sock_mmap",
    "__sys_accept",
    "kernel_accept",
    "^sock_do_ioctl",
    "^sock_ioctl",
    "^compat_sock_ioctl",
    "^nfnetlink_rcv_msg",
    "^rtnetlink_rcv_msg",
    "^genl_family_rcv_msg",
    "__do_fault",
    "__run_hrtimer",
    "^tasklet_action",
    "__fput",
    "task_work_run",
    "exit_to_usermode",
    "el0_svc",
    "invoke_syscall",
    "do_el0_svc",
    "entry_SYSCALL",
    "compat_ioctl",
    "new_sync_read",
    "new_sync_write",
    "^netlink_dump",
];

/// [`STALL_ANCHORS`] as one regex (`^` and `$` anchor at the name's ends).
static STALL_ANCHOR_RE: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<String> = STALL_ANCHORS
        .iter()
        .map(|a| {
            let (start, a) = a.strip_prefix('^').map_or(("", *a), |a| ("^", a));
            let (end, a) = a.strip_suffix('$').map_or(("", a), |a| ("$", a));
            format!("{start}{}{end}", regex::escape(a))
        })
        .collect();
    Regex::new(&alternatives.join("|")).expect("stall anchor regex")
});

/// Syscall entry points whose caller is more telling than they are.
static STALL_SYSCALL_ANCHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:__ia32_|__x64_|__arm64_)?(?:compat_)?(?:SYSC|SyS|__sys|___sys|__do_sys|__se_sys|__x64_sys|ksys|sys|__do_compat_sys|__se_compat_sys)_(?:socketpair|connect|ioctl)").expect("re")
});

/// Prefixes of syscall wrappers, stripped in order as syzkaller does:
/// `__x64_sys_foo` becomes `sys_foo`; `sys_foo`, `SyS_foo` and
/// `__se_sys_foo` become `foo`.
const SYSCALL_PREFIXES: &[&str] = &[
    "sys_",
    "__x64_",
    "__ia32_",
    "__arm64_",
    "__riscv_",
    "__s390x_",
    "__s390_",
    "compat_SYSC_",
    "compat_SyS_",
    "SYSC_",
    "SyS_",
    "__se_compat_sys_",
    "__do_compat_sys_",
    "__se_sys_",
    "__do_sys_",
];

static STACK_PREFIX: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r"(?-u)^[ \t]*(?:\[<? *(?:0x)?[0-9a-f]+>?\][ \t]*){0,2}(?:\([a-zA-Z0-9_.]+\) from \[<[0-9a-f]+>\] \()?$",
    )
    .expect("re")
});

/// arm's `Unable to handle kernel paging request at virtual address ...`.
static UNABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Unable to handle kernel (paging request|NULL pointer dereference|access to user memory|execute from non-executable memory|write to read-only memory)").expect("re")
});

/// `WARNING: kernel stack regs at ... has bad 'bp' value`.
static BAD_REG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value").expect("re")
});

/// Allocation functions whose warnings are `WARNING: kmalloc bug`.
static KMALLOC_FUNC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^k?.?malloc").expect("re"));

/// `+0xOFF/0xSIZE` after a function name.
static OFFSET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\+0x[0-9a-f]+/0x[0-9a-f]+").expect("re"));

/// Lines that start a new stack in syzkaller's eyes.
static STACK_START: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r"(?-u)Call Trace|Allocated by task|Freed by task|Allocated:|Freed:|backtrace:",
    )
    .expect("re")
});

static KASAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"BUG: KASAN: ([a-z\-]+) (in|on address|on|at addr)").expect("re"));
static ACCESS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(Read|Write) (?:of size|at addr)").expect("re"));
static KMSAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"BUG: KMSAN: ([a-z\-]+)").expect("re"));
static KFENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"BUG: KFENCE: (.*?) in ").expect("re"));
static WARNING_AT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"WARNING: (?:CPU: [0-9]+ PID: [0-9]+ at |\[.*\] |)([a-zA-Z0-9_\-/.]+\.[a-zA-Z]+):[0-9]+(?: at)? ([a-zA-Z0-9_.]+)?").expect("re")
});
static THIS_CPU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"BUG: using (__this_cpu_[a-z_]+\(\)|smp_processor_id\(\)) in preemptible")
        .expect("re")
});
static SPINLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|bad magic|wrong owner|wrong CPU)").expect("re")
});
static LAST_FUNCTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"last function: ([a-zA-Z0-9_]+)").expect("re"));
static STACK_PROTECTOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"stack-protector: Kernel stack is corrupted in: ([a-zA-Z0-9_]+)").expect("re")
});
static PANIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Kernel panic - not syncing: ?(.*)").expect("re"));
static KERNEL_BUG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[kK]ernel BUG at ([^ !:]+)").expect("re"));
static UBSAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"UBSAN: ([a-zA-Z\- ]+?) in ").expect("re"));

/// The lines of one report, with the helpers titles are made from.
struct Ctx<'a> {
    doc: &'a Document,
    /// Index in `doc.lines` of the first line of the report.
    base: usize,
    lines: &'a [Line],
}

/// A function picked for a title: its display name and its line index.
type Pick = (String, usize);

impl<'a> Ctx<'a> {
    fn message(&self, i: usize) -> Cow<'a, str> {
        let bytes = self.doc.line_message(&self.lines[i]);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        String::from_utf8_lossy(bytes)
    }

    fn frame(&self, i: usize) -> Option<&'a Frame> {
        match &self.lines.get(i)?.kind {
            LineKind::Frame(f) => Some(f),
            _ => None,
        }
    }

    /// A frame syzkaller would read as a call-trace entry: reliable, and
    /// nothing but addresses before it.
    fn stack_frame(&self, i: usize) -> Option<&'a Frame> {
        let f = self.frame(i)?;
        if !f.reliable || f.pc_kind == PcKind::ExactPc {
            return None;
        }
        let line = &self.lines[i];
        let prefix = self.doc.frame_prefix(line, f);
        let prefix = prefix.get(line.console_prefix_len..).unwrap_or(prefix);
        STACK_PREFIX.is_match(prefix).then_some(f)
    }

    fn is_stack_start(&self, i: usize) -> bool {
        if matches!(
            self.lines[i].kind,
            LineKind::Marker(crate::StackMarker::CallTrace)
        ) {
            return true;
        }
        let m = self.doc.line_message(&self.lines[i]);
        match STACK_START.find(m) {
            Some(found) => {
                !(found.as_bytes() == b"backtrace:" && m[..found.start()].ends_with(b"stack "))
            }
            None => false,
        }
    }

    /// Stack frames from line `from` until the next stack start. A fault
    /// injection frame (`should_fail`) mixed into the stack makes it
    /// unusable, as for syzkaller: the result is then empty.
    fn stack_from(&self, from: usize) -> Vec<(&'a Frame, usize)> {
        let mut out = Vec::new();
        for i in from..self.lines.len() {
            if i > from && self.is_stack_start(i) {
                break;
            }
            if let Some(f) = self.frame(i) {
                if f.function.starts_with("should_fail") {
                    return Vec::new();
                }
            }
            if let Some(f) = self.stack_frame(i) {
                out.push((f, i));
            }
        }
        out
    }

    fn find_line(&self, from: usize, pred: impl Fn(&str) -> bool) -> Option<usize> {
        (from..self.lines.len()).find(|&i| pred(&self.message(i)))
    }

    fn call_trace(&self) -> Option<usize> {
        (0..self.lines.len()).find(|&i| {
            matches!(
                self.lines[i].kind,
                LineKind::Marker(crate::StackMarker::CallTrace)
            ) || self.message(i).contains("Call Trace")
        })
    }

    fn pick(&self, frames: &[(&Frame, usize)], skip: &[&str]) -> Option<Pick> {
        frames
            .iter()
            .find(|(f, _)| !skipped(&f.function, skip))
            .map(|(f, i)| (canonical(&f.function), self.base + i))
    }

    /// First non-skipped frame after `Call Trace:`.
    fn trace(&self, skip: &[&str]) -> Option<Pick> {
        let start = self.call_trace()?;
        self.pick(&self.stack_from(start + 1), skip)
    }

    /// The first exact-pc frame (`RIP:`, `pc :`, `PC is at`, `NIP`).
    fn rip(&self, from: usize) -> Option<(&'a Frame, usize)> {
        (from..self.lines.len()).find_map(|i| {
            let f = self.frame(i)?;
            (f.pc_kind == PcKind::ExactPc).then_some((f, i))
        })
    }

    /// The faulting pc when not skipped, else the call trace.
    fn rip_then_trace(&self, skip: &[&str]) -> Option<Pick> {
        if let Some((f, i)) = self.rip(0) {
            if !skipped(&f.function, skip) {
                return Some((canonical(&f.function), self.base + i));
            }
            let after = self.stack_from(i + 1);
            if let Some(p) = self.pick(&after, skip) {
                return Some(p);
            }
        }
        self.trace(skip)
    }

    /// The first frame after the first line (from 1) containing `trigger`.
    fn frame_after(&self, trigger: &str) -> Option<Pick> {
        let t = self.find_line(1, |m| m.contains(trigger)).unwrap_or(0);
        ((t + 1)..self.lines.len()).find_map(|i| {
            let f = self.frame(i)?;
            Some((canonical(&f.function), self.base + i))
        })
    }
}

/// [`SKIP`] as one regex.
static SKIP_RE: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<String> = SKIP
        .iter()
        .map(|s| match s.strip_prefix('^') {
            Some(s) => format!("^{}", regex::escape(s)),
            None => regex::escape(s),
        })
        .collect();
    Regex::new(&alternatives.join("|")).expect("skip regex")
});

fn skipped(function: &str, extra: &[&str]) -> bool {
    let name = function.split('.').next().unwrap_or(function);
    SKIP_RE.is_match(name)
        || extra.iter().any(|s| match s.strip_prefix('^') {
            Some(s) => name.starts_with(s),
            None => name.contains(s),
        })
}

/// The function name as syzkaller puts it in titles: clone suffixes
/// (`.isra.0`, `.cold`) cut, syscall wrappers reduced to `sys_foo`.
pub fn canonical(function: &str) -> String {
    let mut name = function.split('.').next().unwrap_or(function);
    for prefix in SYSCALL_PREFIXES {
        match name.strip_prefix(prefix) {
            Some(rest) if !rest.is_empty() => name = rest,
            _ => {}
        }
    }
    name.to_string()
}

fn stall(frames: &[(&Frame, usize)], base: usize) -> Option<Pick> {
    let mut prev = frames.first()?;
    for entry in frames {
        // Cross-CPU calls stall waiting for other CPUs: one bucket for all.
        if entry.0.function.starts_with("smp_call_function") {
            return Some(("smp_call_function".into(), base + entry.1));
        }
        let name = entry.0.function.split('.').next().unwrap_or("");
        let anchor = STALL_ANCHOR_RE.is_match(name) || STALL_SYSCALL_ANCHOR.is_match(name);
        if anchor {
            return Some((canonical(&prev.0.function), base + prev.1));
        }
        prev = entry;
    }
    None
}

fn hung(frames: &[(&Frame, usize)], base: usize) -> Option<Pick> {
    for (f, i) in frames {
        let name = f.function.split('.').next().unwrap_or("");
        if name.starts_with("rtnl_lock") {
            return Some(("rtnl_lock".into(), base + i));
        }
        if [
            "synchronize_rcu",
            "synchronize_srcu",
            "synchronize_net",
            "synchronize_sched",
        ]
        .iter()
        .any(|a| name.starts_with(a))
        {
            return Some(("synchronize_rcu".into(), base + i));
        }
    }
    const SKIP_HUNG: &[&str] = &[
        "sched",
        "_lock",
        "_slowlock",
        "down",
        "completion",
        "kthread",
        "wait",
        "synchronize",
        "context_switch",
        "__switch_to",
        "cancel_delayed_work",
        "rwsem",
        "freezer",
        "mutex",
    ];
    frames
        .iter()
        .find(|(f, _)| !SKIP_HUNG.iter().any(|s| f.function.contains(s)))
        .map(|(f, i)| (canonical(&f.function), base + i))
}

/// Make the title of a report, and tell which line the function came from.
///
/// Numbers that are not part of a name become `NUM`, as in syzkaller's
/// titles (`kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)`).
pub fn title(doc: &Document, report: &Report) -> (Option<String>, Option<usize>) {
    let (title, frame) = raw_title(doc, report);
    let title = title.map(|t| {
        NUMBER
            .replace_all(&OFFSET.replace_all(&t, ""), "NUM")
            .into_owned()
    });
    (title, frame)
}

/// Standalone decimal numbers in a title.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[0-9]+\b").expect("re"));

static FREED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"INFO: (Freed|Allocated) in (.*)").expect("re"));

fn raw_title(doc: &Document, report: &Report) -> (Option<String>, Option<usize>) {
    let lines = doc.report_lines(report);
    if lines.is_empty() {
        return (None, None);
    }
    let ctx = Ctx {
        doc,
        base: report.lines.start,
        lines,
    };
    let header = ctx.message(0);
    let with = |prefix: &str, pick: Option<Pick>| -> (Option<String>, Option<usize>) {
        match pick {
            Some((f, i)) => (Some(format!("{prefix} in {f}")), Some(i)),
            None => (Some(format!("{prefix} in corrupted")), None),
        }
    };
    let h: &str = &header;

    if h.contains("BUG: KASAN: double-free or invalid-free") {
        let skip = ["kmem_", "slab_", "kfree", "vunmap", "vfree"];
        return with("KASAN: invalid-free", header_or_trace(&ctx, &skip));
    }
    if let Some(c) = KASAN.captures(h) {
        let kind = &c[1];
        let on_address = &c[2] != "in";
        let access = (0..lines.len().min(40))
            .find_map(|i| ACCESS.captures(&ctx.message(i)).map(|c| c[1].to_string()));
        if kind == "double-free"
            || kind == "invalid-free"
            || h.contains("double-free or invalid-free")
        {
            let skip = ["kmem_", "slab_", "kfree", "vunmap", "vfree"];
            let pick = header_or_trace(&ctx, &skip);
            return with("KASAN: invalid-free", pick);
        }
        if on_address && ctx.frame(0).is_none() {
            return (
                Some(match access {
                    Some(a) => format!("KASAN: {kind} {a}"),
                    None => format!("KASAN: {kind}"),
                }),
                None,
            );
        }
        if h.contains(" at addr ") && access.is_none() {
            // Old reports keep the function as printed, clone suffix included.
            let pick = match ctx.frame(0) {
                Some(f) => Some((f.function.clone(), ctx.base)),
                None => header_or_trace(&ctx, &[]),
            };
            let (t, i) = with(&format!("KASAN: {kind}"), pick);
            return (t.map(|t| format!("{t} at addr ADDR")), i);
        }
        let prefix = match access {
            Some(a) => format!("KASAN: {kind} {a}"),
            None => format!("KASAN: {kind}"),
        };
        return with(&prefix, header_or_trace(&ctx, &[]));
    }
    if let Some(rest) = h.split("BUG: KCSAN: ").nth(1) {
        return (
            Some(format!("KCSAN: {}", OFFSET.replace_all(rest.trim(), ""))),
            None,
        );
    }
    if let Some(c) = KMSAN.captures(h) {
        let kind = c[1].to_string();
        let skip: &[&str] = if kind == "kernel-usb-infoleak" {
            &[
                "usb_submit_urb",
                "usb_start_wait_urb",
                "usb_bulk_msg",
                "usb_interrupt_msg",
                "usb_control_msg",
            ]
        } else {
            &["copy_to_user", "_copy_to_user", "instrument_copy"]
        };
        let pick = header_or_trace(&ctx, skip).or_else(|| ctx.pick(&ctx.stack_from(1), skip));
        return with(&format!("KMSAN: {kind}"), pick);
    }
    if let Some(c) = KFENCE.captures(h) {
        let kind = c[1].to_string();
        return with(&format!("KFENCE: {kind}"), header_or_trace(&ctx, &[]));
    }
    // Lockdep.
    const LOCKDEP: &[(&str, &str, &str)] = &[
        (
            "possible circular locking dependency detected",
            "possible deadlock",
            "is trying to acquire",
        ),
        (
            "possible irq lock inversion dependency detected",
            "possible deadlock",
            "just changed the state of lock",
        ),
        ("-safe -> ", "possible deadlock", "is trying to acquire"),
        (
            "possible recursive locking detected",
            "possible deadlock",
            "is trying to acquire",
        ),
        (
            "inconsistent lock state",
            "inconsistent lock state",
            "takes",
        ),
    ];
    for (banner, prefix, trigger) in LOCKDEP {
        if h.contains(banner) && (h.contains("WARNING:") || h.contains("INFO:")) {
            if *banner == "possible circular locking dependency detected" && !h.contains("INFO:") {
                return with(prefix, circular(&ctx));
            }
            return with(prefix, ctx.frame_after(trigger));
        }
    }
    for (banner, name, trigger) in [
        (
            "bad unlock balance detected",
            "bad unlock balance",
            "is trying to release lock",
        ),
        ("held lock freed", "held lock freed", "held lock freed"),
        (
            "lock held when returning to user space",
            "lock held when returning to user space",
            "leaving the kernel with locks still held",
        ),
        (
            "still has locks held",
            "still has locks held",
            "still has locks held",
        ),
    ] {
        if h.contains(banner) {
            let level = if h.contains("BUG:") { "BUG" } else { "WARNING" };
            return with(&format!("{level}: {name}"), ctx.frame_after(trigger));
        }
    }
    if h.contains("ested lock was not taken") {
        return with(
            "WARNING: nested lock was not taken",
            ctx.frame_after("is trying to lock"),
        );
    }
    if h.contains("suspicious RCU usage") {
        let level = if h.contains("INFO:") {
            "INFO"
        } else {
            "WARNING"
        };
        let skip = [
            "rcu", "kmem", "slab", "kmalloc", "vmalloc", "kcalloc", "kzalloc",
        ];
        return with(&format!("{level}: suspicious RCU usage"), ctx.trace(&skip));
    }
    if h.contains("trying to register non-static key") {
        return with(
            "INFO: trying to register non-static key",
            ctx.trace(&["stack", "lock", "IRQ"]),
        );
    }
    if h.contains("INFO: task ") && h.contains(" for more than") && h.contains("blocked") {
        let frames = ctx
            .call_trace()
            .map(|s| ctx.stack_from(s + 1))
            .unwrap_or_default();
        let frames: Vec<_> = frames
            .into_iter()
            .filter(|(f, _)| !skipped(&f.function, &[]))
            .collect();
        return with("INFO: task hung", hung(&frames, ctx.base));
    }
    if let Some(c) = FREED.captures(h) {
        return (Some(format!("INFO: {} in {}", &c[1], c[2].trim())), None);
    }
    if h.contains("INFO: task ") && h.contains("can't die") {
        return with("INFO: task can't die", ctx.trace(&["schedule"]));
    }
    if report.kind == crate::ReportKind::RcuStall {
        return with("INFO: rcu detected stall", rcu_stall(&ctx));
    }
    if h.contains("BUG: soft lockup") {
        let mut frames = Vec::new();
        let mut from = 0;
        if let Some((f, i)) = ctx.rip(0) {
            frames.push((f, i));
            from = i + 1;
        }
        if let Some(s) = ctx.find_line(from, |m| {
            m.contains("Call Trace") || m.contains("Call trace")
        }) {
            frames.extend(ctx.stack_from(s + 1));
        }
        let frames: Vec<_> = frames
            .into_iter()
            .filter(|(f, _)| !skipped(&f.function, &[]))
            .collect();
        return with("BUG: soft lockup", stall(&frames, ctx.base));
    }
    if h.contains("general protection fault") {
        return with("general protection fault", ctx.rip_then_trace(&[]));
    }
    if h.contains("BUG: unable to handle kernel paging request")
        || h.contains("BUG: unable to handle page fault for address")
        || h.contains("BUG: Unable to handle kernel data access")
    {
        return with(
            "BUG: unable to handle kernel paging request",
            ctx.rip_then_trace(&[]),
        );
    }
    if h.contains("NULL pointer dereference") && h.contains("BUG:") {
        return with(
            "BUG: unable to handle kernel NULL pointer dereference",
            ctx.rip_then_trace(&[]),
        );
    }
    if let Some(c) = UNABLE.captures(h) {
        let what = c[1].trim_end_matches(" at virtual address").to_string();
        return with(
            &format!("BUG: unable to handle kernel {what}"),
            ctx.rip_then_trace(&[]),
        );
    }
    if h.contains("BUG: unable to handle kernel") || h.contains("BUG: Unable to handle kernel") {
        return (Some("BUG: unable to handle kernel".into()), None);
    }
    if let Some(c) = SPINLOCK.captures(h) {
        return with(
            &format!("BUG: {} {}", &c[1], &c[2]),
            ctx.trace(&["spin_", "_lock"]),
        );
    }
    if let Some(c) = THIS_CPU.captures(h) {
        return with(
            &format!("BUG: using {} in preemptible code", &c[1]),
            ctx.trace(&[
                "dump_stack",
                "preemption",
                "preempt",
                "debug_",
                "processor_id",
            ]),
        );
    }
    if h.contains("BUG: sleeping function called from invalid context") {
        return with(
            "BUG: sleeping function called from invalid context",
            ctx.trace(&[]),
        );
    }
    if h.contains("BUG: scheduling while atomic") {
        return with(
            "BUG: scheduling while atomic",
            ctx.trace(&["schedule", "preempt"]),
        );
    }
    if h.contains("BUG: workqueue leaked lock or atomic") {
        let f = (0..lines.len()).find_map(|i| {
            LAST_FUNCTION
                .captures(&ctx.message(i))
                .map(|c| (c[1].to_string(), ctx.base + i))
        });
        return with("BUG: workqueue leaked lock or atomic", f);
    }
    if h.contains("BUG: memory leak") {
        let skip = [
            "kmemleak",
            "kmalloc",
            "kcalloc",
            "kzalloc",
            "vmalloc",
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
        ];
        let start = ctx.find_line(0, |m| m.contains("backtrace:"));
        let pick = start.and_then(|s| ctx.pick(&ctx.stack_from(s + 1), &skip));
        return with("memory leak", pick);
    }
    if h.contains("BUG: stack guard page was hit") {
        return with(
            "BUG: stack guard page was hit",
            ctx.rip(0)
                .map(|(f, i)| (canonical(&f.function), ctx.base + i)),
        );
    }
    for fixed in [
        "BUG: Bad rss-counter state",
        "BUG: non-zero nr_ptes on freeing mm",
        "BUG: non-zero nr_pmds on freeing mm",
        "BUG: workqueue lockup",
        "BUG: MAX_STACK_TRACE_ENTRIES too low!",
        "BUG: MAX_LOCKDEP_KEYS too low!",
        "BUG: MAX_LOCKDEP_ENTRIES too low!",
        "BUG: MAX_LOCKDEP_CHAINS too low!",
        "BUG: MAX_LOCKDEP_CHAIN_HLOCKS too low!",
    ] {
        if h.contains(fixed) {
            return (Some(fixed.into()), None);
        }
    }
    if h.contains("BUG: Bad page state") {
        return with(
            "BUG: Bad page state",
            ctx.trace(&["free_", "__free", "put_page", "release_pages", "page_frag"]),
        );
    }
    if h.contains("BUG kmalloc-") && h.contains("Object already free") {
        return (Some("BUG: Object already free".into()), None);
    }
    if h.contains("BUG: Bad page map") {
        return (Some("BUG: Bad page map".into()), None);
    }
    if let Some(c) = KERNEL_BUG.captures(h) {
        let file = &c[1];
        if file.starts_with("mm/usercopy.c") {
            return with(
                "BUG: bad usercopy",
                ctx.rip_then_trace(&["usercopy", "__check"]),
            );
        }
        if file.starts_with("lib/list_debug.c") {
            return with(
                "BUG: corrupted list",
                ctx.rip_then_trace(&["list_debug", "__list"]),
            );
        }
        let skip = ["skb_over_panic", "skb_under_panic", "skb_put", "skb_push"];
        return with("kernel BUG", ctx.rip_then_trace(&skip));
    }
    if h.contains("WARNING:") {
        return warning_title(&ctx, h);
    }
    if let Some(c) = PANIC.captures(h) {
        let what = c[1].trim().to_string();
        if what.starts_with("stack-protector:") {
            let pick = STACK_PROTECTOR
                .captures(h)
                .filter(|c| !c[1].bytes().all(|b| b.is_ascii_hexdigit()))
                .map(|c| (canonical(&c[1]), ctx.base))
                .or_else(|| ctx.trace(&["stack_chk"]));
            return with("kernel panic: stack is corrupted", pick);
        }
        if what.starts_with("corrupted stack end") {
            let frames = ctx
                .call_trace()
                .map(|s| ctx.stack_from(s + 1))
                .unwrap_or_default();
            let frames: Vec<_> = frames
                .into_iter()
                .filter(|(f, _)| !skipped(&f.function, &["schedule", "retint_kernel"]))
                .collect();
            return with(
                "kernel panic: corrupted stack end",
                stall(&frames, ctx.base),
            );
        }
        for short in [
            "Attempted to kill init!",
            "Fatal exception",
            "panic_on_warn set",
            "hung_task: blocked tasks",
            "Couldn't open N_TTY ldisc",
            "sysrq triggered crash",
            "bad mode",
        ] {
            if what.starts_with(short) {
                return (Some(format!("kernel panic: {short}")), None);
            }
        }
        return (Some(format!("kernel panic: {what}")), None);
    }
    if h.contains("PANIC: double fault") {
        return with(
            "PANIC: double fault",
            ctx.rip(0)
                .map(|(f, i)| (canonical(&f.function), ctx.base + i)),
        );
    }
    for (marker, prefix) in [
        ("divide error:", "divide error"),
        ("stack segment: ", "stack segment fault"),
        ("invalid opcode:", "invalid opcode"),
        ("int3:", "int3"),
        ("kernel stack overflow", "kernel stack overflow"),
        ("Unhandled fault:", "Unhandled fault"),
    ] {
        if h.contains(marker) {
            return with(prefix, ctx.rip_then_trace(&[]));
        }
    }
    if let Some(c) = UBSAN.captures(h) {
        let kind = c[1].trim().to_lowercase().replace(' ', "-");
        return with(
            &format!("UBSAN: {kind}"),
            ctx.trace(&["ubsan", "handle_overflow"]),
        );
    }
    if h.contains("unregister_netdevice: waiting for") {
        return (
            Some("unregister_netdevice: waiting for DEV to become free".into()),
            None,
        );
    }
    (None, None)
}

/// Circular dependencies: the lock being acquired, else the lock held, else
/// the stack, skipping workqueue functions that take work-item locks.
fn circular(ctx: &Ctx<'_>) -> Option<Pick> {
    let skip = [
        "process_one_work",
        "flush_workqueue",
        "drain_workqueue",
        "destroy_workqueue",
    ];
    let t = ctx
        .find_line(1, |m| m.contains("is trying to acquire"))
        .unwrap_or(0);
    let mut frames = Vec::new();
    let mut i = t + 1;
    while i < ctx.lines.len() && frames.len() < 2 {
        if let Some(f) = ctx.frame(i) {
            let line = &ctx.lines[i];
            if memchr::memmem::find(ctx.doc.frame_prefix(line, f), b"at: ").is_some() {
                frames.push((f, i));
            }
        }
        i += 1;
    }
    if let Some(p) = ctx.pick(&frames, &skip) {
        return Some(p);
    }
    ctx.pick(&ctx.stack_from(i), &skip)
}

fn header_or_trace(ctx: &Ctx, skip: &[&str]) -> Option<Pick> {
    if let Some(f) = ctx.frame(0) {
        if !skipped(&f.function, skip) {
            return Some((canonical(&f.function), ctx.base));
        }
    }
    ctx.trace(skip)
}

fn rcu_stall(ctx: &Ctx<'_>) -> Option<Pick> {
    let skip = ["apic_timer_interrupt", "rcu", "write_comp_data"];
    let Some(apic) = ctx.find_line(0, |m| m.contains("apic_timer_interrupt")) else {
        // No timer interrupt (arm): the first stack that is not the RCU
        // grace-period kthread's own.
        return (0..ctx.lines.len())
            .filter(|&i| ctx.is_stack_start(i))
            .find_map(|start| {
                let mut frames = ctx.stack_from(start + 1);
                if frames
                    .iter()
                    .any(|(f, _)| f.function.starts_with("rcu_gp_"))
                {
                    return None;
                }
                frames.retain(|(f, _)| !skipped(&f.function, &skip));
                stall(&frames, ctx.base)
            });
    };
    let mut frames = Vec::new();
    if let Some((f, i)) = ctx.rip(apic) {
        frames.push((f, i));
        frames.extend(ctx.stack_from(i + 1));
    }
    frames.retain(|(f, _)| !skipped(&f.function, &skip));
    if let Some(p) = stall(&frames, ctx.base) {
        return Some(p);
    }
    let mut frames = ctx.stack_from(apic + 1);
    frames.retain(|(f, _)| !skipped(&f.function, &skip));
    stall(&frames, ctx.base)
}

fn warning_title(ctx: &Ctx, h: &str) -> (Option<String>, Option<usize>) {
    let with = |prefix: &str, pick: Option<Pick>| match pick {
        Some((f, i)) => (Some(format!("{prefix} in {f}")), Some(i)),
        None => (Some(format!("{prefix} in corrupted")), None),
    };
    let Some(c) = WARNING_AT.captures(h) else {
        let rest = h.split("WARNING:").nth(1).unwrap_or("").trim();
        if rest.is_empty() {
            return (Some("WARNING: corrupted".into()), None);
        }
        if rest.contains("kernel stack regs") && rest.contains("has bad") {
            let title = match BAD_REG.captures(rest) {
                Some(c) => format!("WARNING: kernel stack regs has bad '{}' value", &c[1]),
                None => "WARNING: kernel stack regs has bad value".into(),
            };
            return (Some(title), None);
        }
        if rest.contains("kernel stack frame pointer") {
            return (
                Some("WARNING: kernel stack frame pointer has bad value".into()),
                None,
            );
        }
        return (Some(format!("WARNING: {rest}")), None);
    };
    let file = c.get(1).map_or("", |m| m.as_str());
    let func = c.get(2).map_or("", |m| m.as_str());
    let categories: &[(&str, &str, &str, &[&str])] = &[
        (
            "lib/debugobjects.c",
            "debug_",
            "WARNING: ODEBUG bug",
            &[
                "debug_",
                "rcu",
                "hrtimer_",
                "timer_",
                "work_",
                "percpu_",
                "kmem_",
                "slab_",
                "kfree",
                "vunmap",
                "vfree",
                "__free_",
                "debug_check",
                "kobject_",
            ],
        ),
        (
            "mm/usercopy.c",
            "usercopy",
            "WARNING: bad usercopy",
            &["usercopy", "__check"],
        ),
        (
            "lib/kobject.c",
            "kobject_",
            "WARNING: kobject bug",
            &["kobject_"],
        ),
        (
            "fs/proc/generic.c",
            "proc_register",
            "WARNING: proc registration bug",
            &["proc_"],
        ),
        (
            "lib/refcount.c",
            "refcount",
            "WARNING: refcount bug",
            &["refcount", "kobject_"],
        ),
        (
            "kernel/locking/lockdep.c",
            "lock",
            "WARNING: locking bug",
            &["lock_sock", "release_sock"],
        ),
    ];
    for (src, fprefix, title, skip) in categories {
        // Newer kernels may print `at 0x0` instead of the function.
        let func_ok = func.is_empty() || func.starts_with("0x") || func.contains(fprefix);
        if file.ends_with(src) && func_ok {
            return with(title, warning_stack(ctx, skip));
        }
    }
    if file.ends_with("mm/vmalloc.c") && func.contains("vmalloc") {
        let skip = [
            "vmalloc", "vzalloc", "kvmalloc", "kvzalloc", "kmalloc", "kzalloc",
        ];
        return with("WARNING: zero-size vmalloc", warning_stack(ctx, &skip));
    }
    if file.starts_with("mm/") && KMALLOC_FUNC.is_match(func) {
        let skip = [
            "kmalloc", "kcalloc", "kzalloc", "krealloc", "vmalloc", "slab", "kmem",
        ];
        return with("WARNING: kmalloc bug", warning_stack(ctx, &skip));
    }
    if func.contains("usb_submit_urb") {
        let skip = [
            "usb_submit_urb",
            "usb_start_wait_urb",
            "usb_bulk_msg",
            "usb_interrupt_msg",
            "usb_control_msg",
        ];
        return match warning_stack(ctx, &skip) {
            Some((f, i)) => (Some(format!("WARNING in {f}/usb_submit_urb")), Some(i)),
            None => (Some("WARNING in corrupted".into()), None),
        };
    }
    with("WARNING", warning_stack(ctx, &[]))
}

/// syzkaller's WARNING stack: the faulting pc and what follows it, or else
/// the call trace.
fn warning_stack(ctx: &Ctx, skip: &[&str]) -> Option<Pick> {
    if let Some((f, i)) = ctx.rip(1) {
        if !skipped(&f.function, skip) {
            return Some((canonical(&f.function), ctx.base + i));
        }
    }
    ctx.trace(skip)
}

#[cfg(test)]
mod tests {
    use super::canonical;

    #[test]
    fn canonical_names() {
        assert_eq!(canonical("__x64_sys_rmdir"), "sys_rmdir");
        assert_eq!(canonical("SyS_sendto"), "sendto");
        assert_eq!(canonical("sys_openat2"), "openat2");
        assert_eq!(canonical("__se_sys_mremap"), "mremap");
        assert_eq!(canonical("link_path_walk.part.40"), "link_path_walk");
        assert_eq!(canonical("sys_"), "sys_");
        assert_eq!(canonical("send_sigio"), "send_sigio");
    }
}
