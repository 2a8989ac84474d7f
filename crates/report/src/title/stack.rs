//! Finding the title's function in a report's stack traces.
//!
//! The common list of functions skipped, the shapes of frame lines and the
//! stall and hung-task rules are syzkaller's (`linuxStackParams`,
//! `linuxStallFrameExtractor`, `linuxHangTaskFrameExtractor` in
//! `pkg/report/linux.go`, Apache-2.0).

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::rules::{OopsFormat, Part, RuleRegex, StackFmt, compile};

/// Picks the title's frame among the (prefix-stripped) frames of one
/// stack: the frame to show and the index of the raw frame it stands for.
pub(super) type Extractor = fn(&[String]) -> Option<(String, usize)>;

/// Functions never named in titles: reporting machinery, allocators,
/// locking, string and list helpers...
const SKIP: &[&str] = &[
    "__sanitizer",
    "__asan",
    "kasan",
    "hwasan",
    "__msan",
    "kmsan",
    "kcsan_setup_watchpoint",
    "check_memory_region",
    "check_heap_object",
    "check_object",
    "read_word_at_a_time",
    "(read|write)_once_.*nocheck",
    "print_address_description",
    "panic",
    "invalid_op",
    "report_bug",
    "fixup_bug",
    "print_report",
    "print_usage_bug",
    "do_error",
    "invalid_op",
    "_trap$|do_trap",
    "show_stack",
    "dump_stack",
    "walk_stack",
    "dump_backtrace",
    "warn_slowpath",
    "warn_alloc",
    "warn_bogus",
    "__warn",
    "alloc_page",
    "k?v?(?:m|z|c)alloc",
    "krealloc",
    "kmem_cache",
    "allocate_slab",
    "__alloc_frozen_pages_noprof",
    "folio_(?:alloc|unlock)",
    "filemap_alloc_folio",
    "__filemap_get_folio",
    "find_or_create_page",
    "do_read_cache_folio",
    "read_cache_page",
    "pagecache_get_page",
    "grab_cache_page_write_begin",
    "slab_",
    "debug_object",
    "timer_is_static_object",
    "work_is_static_object",
    "__might_fault",
    "print_unlock",
    "imbalance_bug",
    "lockdep",
    "bh_enable",
    "bh_disable",
    "perf_trace",
    "lock_acquire",
    "lock_release",
    "lock_class",
    "mark_lock",
    "(reacquire|mark)_held_locks",
    "raw_spin_rq",
    "spin_lock",
    "spin_trylock",
    "spin_unlock",
    "read_lock",
    "read_trylock",
    "write_lock",
    "write_trylock",
    "read_unlock",
    "write_unlock",
    "^down$",
    "down_read",
    "down_write",
    "down_read_trylock",
    "down_write_trylock",
    "down_trylock",
    "up_read",
    "up_write",
    "^mutex_",
    "^__mutex_",
    "^rt_mutex_",
    "owner_on_cpu",
    "osq_lock",
    "osq_unlock",
    "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)",
    "(set|clear|change|test)_bit",
    "__wake_up",
    "^refcount_",
    "^kref_",
    "ref_tracker",
    "seqprop_assert",
    "memcpy",
    "memcmp",
    "memset",
    "memchr",
    "memmove",
    "memdup",
    "strcmp",
    "strncmp",
    "strcpy",
    "strlcpy",
    "strncpy",
    "strscpy",
    "strlen",
    "strstr",
    "strnstr",
    "strnlen",
    "strchr",
    "strdup",
    "strndup",
    "copy_to_user",
    "copy_from_user",
    "copy_to_iter",
    "copy_from_iter",
    "copy_page_to_iter",
    "copy_page_from_iter",
    "copy_folio_to_iter",
    "^copyin$",
    "^copyout$",
    "put_user",
    "get_user",
    "might_fault",
    "might_sleep",
    "list_add",
    "list_del",
    "list_replace",
    "list_move",
    "list_splice",
    "^rb_",
    "^__rb_",
    "_indirect_thunk_",
    "string",
    "pointer",
    "snprintf",
    "scnprintf",
    "kasprintf",
    "kvasprintf",
    "printk",
    "va_format",
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
    "queue_work",
    "finish_wait",
    "kthread_stop",
    "kobject_",
    "add_uevent_var",
    "get_device_parent",
    "device_add",
    "device_del",
    "device_unregister",
    "device_destroy",
    "device_release",
    "devres_release_all",
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
    "^complete$",
    "wait_for_completion",
    "^kv?free$",
    "kfree_skb",
    "readb$",
    "readw$",
    "readl$",
    "readq$",
    "writeb$",
    "writew$",
    "writel$",
    "writeq$",
    "logic_in",
    "logic_out",
    r"^crc\d+",
    "crc_itu_t",
    "__might_resched",
    "assertfail",
    "^iput$",
    "^iput_final$",
    "^ihold$",
    "hex_dump_to_buffer",
    "print_hex_dump",
    "^klist_",
    "(trace|lockdep)_(hard|soft)irq",
    "^(un)?lock_page",
    "stack_trace_consume_entry",
    "arch_stack_walk",
    "stack_trace_save",
    "insert_work",
    "__queue_delayed_work",
    "queue_delayed_work_on",
    "ida_free",
    "do_(kernel|translation)_fault",
    "do_mem_abort",
    "el1_abort",
    "el1h_64_sync(?:_handler)?",
    "print_tainted",
    "xas_(?:start|load|find)",
    "find_lock_entries",
    "truncate_inode_pages_range",
    "__phys_addr",
    "__fortify_report",
    "cleanup_srcu_struct",
    "rhashtable_lookup",
    "extract_(user|iter)_to_sg",
    "drop_nlink",
    "^get_taint$",
    "^put_device$",
    "lock_timer_base",
    "__timer_delete_sync",
    "sk_stop_timer_sync",
    "__mod_timer",
    "fast_dput",
    "dput",
    "mark_buffer_dirty",
];

/// Syscall wrapper prefixes: a frame is shown with the one that shortens
/// it most cut (`__x64_sys_foo` is `sys_foo`, `SyS_foo` is `foo`).
pub(super) const STRIP_PREFIXES: &[&str] = &[
    "SYSC_",
    "SyS_",
    "sys_",
    "__x64_",
    "__ia32_",
    "__arm64_",
    "____sys_",
    "___sys_",
    "__sys_",
    "__se_",
    "__se_sys_",
    "__do_sys_",
    "compat_SYSC_",
    "compat_SyS_",
    "ksys_",
];

/// [`SKIP`] as one regex, compiled once.
static COMMON_SKIP: LazyLock<Regex> = LazyLock::new(|| compile(&SKIP.join("|")));

/// Functions a stack section skips: the common list and its own (compiled
/// on first use, as every rule regex is).
pub(super) struct Skip(pub(super) Option<RuleRegex>);

impl Skip {
    /// The common list and `extra`.
    pub(super) fn new(extra: &[&str]) -> Skip {
        Skip((!extra.is_empty()).then(|| RuleRegex::new(&extra.join("|"))))
    }

    fn skips(&self, name: &[u8]) -> bool {
        COMMON_SKIP.is_match(name) || self.0.as_ref().is_some_and(|re| re.is_match(name))
    }
}

/// Lines that start a stack trace.
const STACK_STARTS: &[&str] = &[
    "Call (?:T|t)race",
    "Allocated:",
    "Allocated by task [0-9]+:",
    "Freed:",
    "Freed by task [0-9]+:",
    // Not `stack backtrace:`; kmemleak adds a crc.
    r"[^k] backtrace(?: \(crc [[:xdigit:]]*\))?:",
    "Backtrace:",
    "Uninit was stored to memory at",
    RISCV_STACK_START,
];

/// [`STACK_STARTS`], each on its own.
static STACK_START: LazyLock<Vec<Regex>> =
    LazyLock::new(|| STACK_STARTS.iter().map(|s| compile(s)).collect());

/// Whether a line starts a stack trace: [`STACK_STARTS`] as one regex.
fn starts_stack(line: &[u8]) -> bool {
    static ANY: LazyLock<Regex> = LazyLock::new(|| compile(&STACK_STARTS.join("|")));
    ANY.is_match(line)
}

/// The last line riscv's `show_regs` prints before a stack with no header.
pub(super) const RISCV_STACK_START: &str =
    "status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}";

/// Lines holding one frame (the function is captured); arm's `(f) from
/// [<pc>] (g` names two.
pub(super) static FRAME_LINE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    vec![
        compile("^ *(?:{{PC}} ){0,2}{{FUNC}}"),
        compile(r"^ *{{PC}} \(([a-zA-Z0-9_.]+)\) from {{PC}} \({{FUNC}}"),
    ]
});

/// A fault-injection stack mixed into the report: what follows is not
/// the crash's stack.
static CORRUPTED_LINE: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"^( \[\<?(?:0x)?[0-9a-f]+\>?\])? should_fail(slab)?(\.[a-z0-9.]+)?\+0x")
});

/// A frame read from a report, with the index of its line in the
/// document when known.
#[derive(Clone, Debug)]
pub(super) struct RawFrame {
    pub name: String,
    pub line: Option<usize>,
}

/// The frame chosen from one stack section.
#[derive(Clone, Debug)]
pub(super) struct KeyFrame {
    /// As shown in the title: prefix-stripped, or `corrupted`.
    pub canonical: String,
    /// As printed.
    pub raw: String,
    /// Its line in the document.
    pub line: Option<usize>,
}

/// Cut the syscall wrapper prefix that shortens `name` most.
pub(super) fn strip_frame(name: &str) -> &str {
    STRIP_PREFIXES
        .iter()
        .filter_map(|p| name.strip_prefix(p))
        .min_by_key(|s| s.len())
        .unwrap_or(name)
}

/// One line of report text: its bytes and its line in the document.
pub(super) type TextLine<'a> = (&'a [u8], Option<usize>);

/// The frames named by the stack sections of `stack`, read from `lines`
/// (the report from where its format matched), and whether every section
/// found one.
pub(super) fn extract(stack: &StackFmt, lines: &[TextLine<'_>]) -> (Vec<KeyFrame>, bool) {
    let (frames, ok) = extract_parts(stack, &stack.parts, lines);
    if ok || stack.parts2.is_empty() {
        return (frames, ok);
    }
    extract_parts(stack, &stack.parts2, lines)
}

fn key_frame(stack: &StackFmt, raw: &[RawFrame]) -> Option<KeyFrame> {
    let first = raw.first()?;
    let Some(extractor) = stack.extractor else {
        return Some(KeyFrame {
            canonical: strip_frame(&first.name).to_owned(),
            raw: first.name.clone(),
            line: first.line,
        });
    };
    let stripped: Vec<String> = raw
        .iter()
        .map(|f| strip_frame(&f.name).to_owned())
        .collect();
    let (canonical, index) = extractor(&stripped)?;
    let source = raw.get(index)?;
    Some(KeyFrame {
        canonical,
        raw: source.name.clone(),
        line: source.line,
    })
}

/// A Rust (`_R...`, `_ZN...E`) or C++ (`_Z...`) symbol demangled,
/// without hashes or parameters; other names as they are.
fn demangle(name: String) -> String {
    if name.starts_with("_R") {
        if let Ok(d) = rustc_demangle::try_demangle(&name) {
            return format!("{d:#}");
        }
    }
    if name.starts_with("_Z") {
        let options = cpp_demangle::DemangleOptions::new()
            .no_params()
            .no_return_type();
        if let Some(d) = cpp_demangle::Symbol::new(name.as_bytes())
            .ok()
            .and_then(|s| s.demangle_with_options(&options).ok())
        {
            return d;
        }
        if let Ok(d) = rustc_demangle::try_demangle(&name) {
            return format!("{d:#}");
        }
    }
    name
}

/// Add the frames a matching line captures, unless skipped.
fn push_captures(frames: &mut Vec<RawFrame>, re: &Regex, line: TextLine<'_>, skip: &Skip) -> bool {
    let Some(caps) = re.captures(line.0) else {
        return false;
    };
    for name in caps.iter().skip(1).flatten() {
        let name = demangle(String::from_utf8_lossy(name.as_bytes()).into_owned());
        if !skip.skips(name.as_bytes()) {
            frames.push(RawFrame { name, line: line.1 });
        }
    }
    true
}

fn extract_parts(
    stack: &StackFmt,
    parts: &[Part],
    lines: &[TextLine<'_>],
) -> (Vec<KeyFrame>, bool) {
    let mut next = 0;
    let mut raw: Vec<RawFrame> = Vec::new();
    let mut keys = Vec::new();
    let mut ok = true;
    let mut traces = 0;
    let mut index = 0;
    loop {
        let at_trace = matches!(parts.get(index), Some(Part::Trace));
        if index == parts.len() || (at_trace && traces > 0) {
            let key = key_frame(stack, &raw).unwrap_or_else(|| {
                ok = false;
                KeyFrame {
                    canonical: "corrupted".into(),
                    raw: "corrupted".into(),
                    line: None,
                }
            });
            keys.push(key);
            raw.clear();
        }
        let Some(part) = parts.get(index) else {
            break;
        };
        match part {
            Part::Trace => {
                traces += 1;
                // The step after this trace, tried on each line: it ends the trace.
                let until = match parts.get(index + 1) {
                    Some(Part::Line(re)) => Some(re),
                    _ => None,
                };
                while let Some(&line) = lines.get(next) {
                    next += 1;
                    if CORRUPTED_LINE.is_match(line.0) {
                        ok = false;
                        break;
                    }
                    if starts_stack(line.0) {
                        break;
                    }
                    if let Some(re) = until {
                        if push_captures(&mut raw, re, line, &stack.skip) {
                            index += 1;
                            break;
                        }
                    }
                    // Without an extractor only the first frame is used:
                    // the rest of the trace is only read for its end.
                    if stack.extractor.is_none() && !raw.is_empty() {
                        continue;
                    }
                    for re in FRAME_LINE.iter() {
                        if push_captures(&mut raw, re, line, &stack.skip) {
                            break;
                        }
                    }
                }
            }
            Part::Line(re) => {
                while let Some(&line) = lines.get(next) {
                    next += 1;
                    if CORRUPTED_LINE.is_match(line.0) {
                        ok = false;
                        break;
                    }
                    if push_captures(&mut raw, re, line, &stack.skip) {
                        break;
                    }
                }
            }
        }
        index += 1;
    }
    (keys, ok)
}

/// Functions that dispatch work: a stall is named after the frame just
/// above the first of these.
static STALL_ANCHORS: LazyLock<Regex> = LazyLock::new(|| {
    compile(
        &[
            "process_one_work",
            "do_syscall_",
            "do_fast_syscall_",
            "sysenter_dispatch",
            "tracesys_phase2",
            "el0_svc_handler",
            "invoke_syscall",
            "ret_fast_syscall",
            "netif_receive_skb",
            "do_softirq",
            "call_timer_fn",
            "_run_timers",
            "run_timer_softirq",
            "hrtimer_run",
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
            "call_read_iter",
            "call_write_iter",
            "new_sync_read",
            "new_sync_write",
            "vfs_ioctl",
            "ksys_ioctl",
            "compat_ioctl",
            "compat_sys_ioctl",
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
            "^setsockopt$",
            "kernel_setsockopt",
            "sock_common_setsockopt",
            "^listen$",
            "kernel_listen",
            "sk_common_release",
            "^sock_mmap",
            "^accept$",
            "kernel_accept",
            "^sock_do_ioctl",
            "^sock_ioctl",
            "^compat_sock_ioctl",
            "^nfnetlink_rcv_msg",
            "^rtnetlink_rcv_msg",
            "^netlink_dump",
            "^(sys_)?(socketpair|connect|ioctl)",
            "__do_fault",
            "do_page_fault",
            "^page_fault$",
            "__fput",
            "task_work_run",
            "exit_to_usermode",
            "smp_call_function",
            "tasklet_action",
            "tasklet_hi_action",
        ]
        .map(|a| format!("(?:{a})"))
        .join("|"),
    )
});

/// Stalls loop over several functions and stop at a random one: name them
/// after the frame above the first dispatcher (syscall entry, workqueue,
/// timer...) instead, or `smp_call_function` for cross-CPU calls.
pub(super) fn stall_frame(frames: &[String]) -> Option<(String, usize)> {
    let mut prev = (frames.first()?.clone(), 0);
    for (i, frame) in frames.iter().enumerate() {
        if STALL_ANCHORS.is_match(frame.as_bytes()) {
            if frame.contains("smp_call_function") {
                return Some(("smp_call_function".into(), i));
            }
            return Some(prev);
        }
        prev = (frame.clone(), i);
    }
    None
}

/// Hung tasks are victims: hangs in `synchronize_*` are one bucket, hangs
/// in `rtnl_lock` another; else the first frame that is not waiting.
pub(super) fn hung_task_frame(frames: &[String]) -> Option<(String, usize)> {
    const ANCHORS: &[(&str, &str)] = &[
        ("rtnl_lock", ""),
        ("synchronize_rcu", "synchronize_rcu"),
        ("synchronize_srcu", "synchronize_rcu"),
        ("synchronize_net", "synchronize_rcu"),
        ("synchronize_sched", "synchronize_rcu"),
    ];
    for (i, frame) in frames.iter().enumerate() {
        if let Some((_, bucket)) = ANCHORS.iter().find(|(a, _)| frame.contains(a)) {
            let name = if bucket.is_empty() { frame } else { *bucket };
            return Some((name.to_string(), i));
        }
    }
    const WAITING: &[&str] = &[
        "sched",
        "_lock",
        "_slowlock",
        "down",
        "rwsem",
        "completion",
        "kthread",
        "wait",
        "synchronize",
        "context_switch",
        "__switch_to",
        "cancel_delayed_work",
        "rcu_barrier",
    ];
    frames
        .iter()
        .enumerate()
        .find(|(_, f)| !WAITING.iter().any(|w| f.contains(w)))
        .map(|(i, f)| (f.clone(), i))
}

/// Whether a format's report lacks the frames its stack sections need
/// (`None`), else why it is corrupted.
pub(super) fn missing_stack(format: &OopsFormat, report: &[u8]) -> Option<&'static str> {
    if format.no_stack_trace {
        return None;
    }
    let lines_from = |at: usize| report[at..].split(|&b| b == b'\n');
    let mut has_stack = false;
    for (index, start) in STACK_START.iter().enumerate() {
        let Some(found) = start.find(report) else {
            continue;
        };
        let mut lines = lines_from(found.start());
        if lines.clone().take(4).count() < 4 {
            return Some("call trace is missed");
        }
        lines.next();
        let mut corrupted = true;
        for line in lines.take(15) {
            if starts_stack(line) {
                break;
            }
            if memchr::memmem::find(line, b"(stack is not available)").is_some()
                || FRAME_LINE.iter().any(|re| re.is_match(line))
            {
                has_stack = true;
                corrupted = false;
                break;
            }
        }
        let riscv = index == STACK_START.len() - 1;
        if !riscv && corrupted {
            return Some("no frames in a stack trace");
        }
    }
    (!has_stack).then_some("no stack trace in report")
}
