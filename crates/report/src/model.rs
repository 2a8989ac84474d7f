//! The report model: what the parser finds in a kernel log, and where.
//!
//! Every position is a byte offset. [`Line`] offsets are absolute (into
//! [`Document::text`]); the spans inside a [`Frame`] or [`InlineFrame`] are
//! relative to the start of their line, so a frame can be re-assembled from
//! its line alone.

use std::ops::Range;

use serde::Serialize;

/// A parsed input: the exact bytes it came from, split into lines, and
/// everything recognized in them.
///
/// `text` is never modified; rendering a document with nothing changed
/// gives back `text` byte for byte.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The whole input, unchanged.
    #[serde(skip)]
    pub text: Vec<u8>,
    /// Every line of the input, in order. Their `range`s tile `text` exactly.
    pub lines: Vec<Line>,
    /// Crash reports found in the input, in order of their first line.
    pub reports: Vec<Report>,
    /// The syzbot bisection log, when the input is one.
    pub bisection: Option<Bisection>,
    /// The syzbot email headers, when the input carries them.
    pub email: Option<EmailHeaders>,
    /// The `Code:` lines that carry machine code, in order.
    pub code: Vec<crate::code::CodeBytes>,
    /// Lines that looked like something but could not be understood.
    pub warnings: Vec<Warning>,
}

/// One line of the input.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// 1-based line number.
    pub number: usize,
    /// Byte range in [`Document::text`], line terminator included.
    pub range: Range<usize>,
    /// Length of the line terminator at the end of `range`: 0 (last line
    /// without one), 1 (`\n`) or 2 (`\r\n`).
    pub terminator_len: usize,
    /// Length of the console prefix at the start of the line (`<4>`, the
    /// `[  12.345678]` timestamp and a `[  T123]`/`[ C1]` caller id), 0 if none.
    pub console_prefix_len: usize,
    /// What the line holds.
    pub kind: LineKind,
}

/// What a line holds.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LineKind {
    /// Anything that is not one of the below; passed through unchanged.
    Text,
    /// A stack frame `func+0xOFF/0xSIZE`, annotated or not.
    Frame(Frame),
    /// An inlined frame of an already symbolized report: ` func file:line [inline]`.
    InlineFrame(InlineFrame),
    /// A frame that is only an address, `[<ffffffff81234567>]` with no `func+off/size`.
    RawAddress(RawAddressFrame),
    /// A stack marker: `Call Trace:`, `<IRQ>`, `</TASK>`, ...
    Marker(StackMarker),
}

/// Whether a frame's address is the exact pc or a return address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PcKind {
    /// A call-trace frame: the address after a call; look up `pc - 1`.
    ReturnAddress,
    /// `RIP:`, `pc :`, `PC is at`, `NIP`, `IP:`: the exact pc.
    ExactPc,
}

/// A `func+0xOFF/0xSIZE` frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    /// The function name as printed, clone suffixes (`.cold`, `.isra.0`) included.
    pub function: String,
    /// Offset from the symbol start.
    pub offset: u64,
    /// The kallsyms size printed after the slash.
    pub size: u64,
    /// Module name from a ` [module]` or ` [module buildid]` suffix.
    pub module: Option<String>,
    /// Build id from a ` [module buildid]` suffix, as printed (hex).
    pub build_id: Option<String>,
    /// False for frames the kernel marks `? ` (found by stack scanning).
    pub reliable: bool,
    /// Exact pc or return address.
    pub pc_kind: PcKind,
    /// The address in a `[<ffffffff81234567>]` prefix, when printed.
    pub address: Option<u64>,
    /// The `file:line` already printed after the size, when present.
    pub annotation: Option<SourceLocation>,
    /// Where the parts of the frame are on its line.
    pub spans: FrameSpans,
}

/// Byte ranges of a frame's parts, relative to the start of its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrameSpans {
    /// The function name (`function`).
    pub function: Range<usize>,
    /// From the function name to the end of the hex size:
    /// `tcp_add_backlog+0x476/0xce0`. Symbolized text is inserted at `end`.
    pub symbol: Range<usize>,
    /// The existing ` file:line` annotation (leading space included), if any.
    pub annotation: Option<Range<usize>>,
    /// The ` [module]` or ` [module buildid]` suffix (leading space included), if any.
    pub module: Option<Range<usize>>,
}

/// A `file:line` printed in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    /// The path as printed, e.g. `net/ipv4/tcp_ipv4.c`.
    pub file: String,
    /// 1-based line number.
    pub line: u32,
    /// Column, when printed (`file:line:col`).
    pub column: Option<u32>,
}

/// An inlined frame of an already symbolized report: ` func file:line [inline]`.
///
/// It belongs to the next [`Frame`] line below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineFrame {
    /// The inlined function's name.
    pub function: String,
    /// Where the call was, as printed.
    pub location: SourceLocation,
    /// Module name when the line ends in ` [module]`.
    pub module: Option<String>,
    /// The function name's byte range in its line.
    pub function_span: Range<usize>,
}

/// A frame printed only as an address, `[<ffffffff81234567>]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawAddressFrame {
    /// The address.
    pub address: u64,
    /// False for frames marked `? `.
    pub reliable: bool,
    /// The address's byte range in its line.
    pub span: Range<usize>,
}

/// Stack markers that split a trace into contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackMarker {
    /// `Call Trace:` / `Call trace:` / `Backtrace:`.
    CallTrace,
    /// `<IRQ>`.
    IrqStart,
    /// `</IRQ>` or `<EOI>`.
    IrqEnd,
    /// `<TASK>`.
    TaskStart,
    /// `</TASK>`.
    TaskEnd,
    /// `<NMI>`.
    NmiStart,
    /// `</NMI>`.
    NmiEnd,
    /// `<SOFTIRQ>`.
    SoftirqStart,
    /// `</SOFTIRQ>`.
    SoftirqEnd,
}

/// One crash report inside a document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Indexes into [`Document::lines`]: the report's first and one-past-last line.
    pub lines: Range<usize>,
    /// A syzkaller-style title, such as `possible deadlock in send_sigio`.
    pub title: Option<String>,
    /// The kind of report, from its start marker.
    pub kind: ReportKind,
    /// The kernel release from a `CPU: 0 PID: 1 Comm: x Not tainted 6.1.0 #1`
    /// line (or another shape [`crate::release`] knows), else from the last
    /// boot banner (`Linux version 6.1.0 ...`) before the report.
    pub kernel_release: Option<String>,
    /// Index into [`Document::lines`] of the frame the title's function came from.
    pub title_frame: Option<usize>,
    /// Other titles the same bug goes by (`bad-access in f`, `hang in f`,
    /// the title with syscall prefixes kept...), as syzkaller dedupes
    /// reports with them.
    pub alt_titles: Vec<String>,
    /// What kind of bug the title names.
    #[serde(rename = "type")]
    pub crash_type: CrashType,
    /// Why the report is truncated or garbled (its title may be wrong),
    /// or `None` when it is whole.
    pub corrupted: Option<String>,
    /// The function the title names (`f` in `WARNING in f`): syzkaller's
    /// `FRAME`.
    pub title_function: Option<String>,
    /// The source file to blame (syzkaller's rules, see [`crate::guilty`]);
    /// `None` until the report carries `file:line` annotations.
    pub guilty_file: Option<String>,
}

/// The kind of bug a report title names: syzkaller's crash types
/// (`TYPE:` in its tests), serialized as syzkaller spells them
/// ([`CrashType::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CrashType {
    /// None of the below (`UNKNOWN`).
    #[default]
    Unknown,
    /// Sleeping in atomic context.
    AtomicSleep,
    /// `kernel BUG`, bad usercopy.
    Bug,
    /// The machine is down: panics, faults, `go runtime error`.
    DoS,
    /// Hung tasks, stalls, soft lockups.
    Hang,
    /// KASAN invalid or double free.
    KasanInvalidFree,
    /// KASAN NULL pointer read.
    KasanNullPtrDerefRead,
    /// KASAN NULL pointer write.
    KasanNullPtrDerefWrite,
    /// KASAN out-of-bounds read.
    KasanRead,
    /// Another KASAN report.
    KasanUnknown,
    /// KASAN use-after-free read.
    KasanUseAfterFreeRead,
    /// KASAN use-after-free write.
    KasanUseAfterFreeWrite,
    /// KASAN out-of-bounds write.
    KasanWrite,
    /// KCSAN assertion.
    KcsanAssert,
    /// KCSAN data race.
    KcsanDataRace,
    /// Another KCSAN report.
    KcsanUnknown,
    /// KFENCE invalid free.
    KfenceInvalidFree,
    /// KFENCE memory corruption.
    KfenceMemoryCorruption,
    /// KFENCE bad read.
    KfenceRead,
    /// Another KFENCE report.
    KfenceUnknown,
    /// KFENCE use-after-free read.
    KfenceUseAfterFreeRead,
    /// KFENCE use-after-free write.
    KfenceUseAfterFreeWrite,
    /// KFENCE bad write.
    KfenceWrite,
    /// KMSAN infoleak.
    KmsanInfoLeak,
    /// KMSAN uninit value.
    KmsanUninitValue,
    /// Another KMSAN report.
    KmsanUnknown,
    /// KMSAN use-after-free.
    KmsanUseAfterFreeRead,
    /// Lockdep reports.
    Lockdep,
    /// Memory leaks.
    MemoryLeak,
    /// Bad page accesses and corrupted lists.
    MemorySafetyBug,
    /// UBSAN out-of-bounds index.
    MemorySafetyUbsan,
    /// NULL pointer dereference.
    NullPtrDerefBug,
    /// refcount WARNING.
    RefcountWarning,
    /// Other UBSAN reports.
    Ubsan,
    /// WARNINGs.
    Warning,
    /// The test machine printed nothing.
    NoOutput,
    /// syzkaller's own failure.
    SyzFailure,
    /// The kernel rebooted.
    UnexpectedReboot,
}

impl CrashType {
    /// The name syzkaller gives the type (`KASAN-USE-AFTER-FREE-READ`,
    /// `UNKNOWN`).
    pub fn name(self) -> &'static str {
        use CrashType::*;
        match self {
            Unknown => "UNKNOWN",
            AtomicSleep => "ATOMIC_SLEEP",
            Bug => "BUG",
            DoS => "DoS",
            Hang => "HANG",
            KasanInvalidFree => "KASAN-INVALID-FREE",
            KasanNullPtrDerefRead => "KASAN-NULL-POINTER-DEREFERENCE-READ",
            KasanNullPtrDerefWrite => "KASAN-NULL-POINTER-DEREFERENCE-WRITE",
            KasanRead => "KASAN-READ",
            KasanUnknown => "KASAN-UNKNOWN",
            KasanUseAfterFreeRead => "KASAN-USE-AFTER-FREE-READ",
            KasanUseAfterFreeWrite => "KASAN-USE-AFTER-FREE-WRITE",
            KasanWrite => "KASAN-WRITE",
            KcsanAssert => "KCSAN-ASSERT",
            KcsanDataRace => "KCSAN-DATARACE",
            KcsanUnknown => "KCSAN-UNKNOWN",
            KfenceInvalidFree => "KFENCE-INVALID-FREE",
            KfenceMemoryCorruption => "KFENCE-MEMORY-CORRUPTION",
            KfenceRead => "KFENCE-READ",
            KfenceUnknown => "KFENCE-UNKNOWN",
            KfenceUseAfterFreeRead => "KFENCE-USE-AFTER-FREE-READ",
            KfenceUseAfterFreeWrite => "KFENCE-USE-AFTER-FREE-WRITE",
            KfenceWrite => "KFENCE-WRITE",
            KmsanInfoLeak => "KMSAN-INFO-LEAK",
            KmsanUninitValue => "KMSAN-UNINIT-VALUE",
            KmsanUnknown => "KMSAN-UNKNOWN",
            KmsanUseAfterFreeRead => "KMSAN-USE-AFTER-FREE-READ",
            Lockdep => "LOCKDEP",
            MemoryLeak => "LEAK",
            MemorySafetyBug => "MEMORY_SAFETY_BUG",
            MemorySafetyUbsan => "MEMORY_SAFETY_UBSAN",
            NullPtrDerefBug => "NULL-POINTER-DEREFERENCE",
            RefcountWarning => "REFCOUNT_WARNING",
            Ubsan => "UBSAN",
            Warning => "WARNING",
            NoOutput => "NO_OUTPUT",
            SyzFailure => "SYZ_FAILURE",
            UnexpectedReboot => "REBOOT",
        }
    }
}

impl Serialize for CrashType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// What started a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// `BUG: KASAN:`.
    Kasan,
    /// `BUG: KCSAN:`.
    Kcsan,
    /// `BUG: KMSAN:`.
    Kmsan,
    /// Any other `BUG:` line.
    Bug,
    /// `kernel BUG at`.
    KernelBug,
    /// `WARNING:` (not a lockdep banner).
    Warning,
    /// A lockdep banner (`WARNING: possible circular locking dependency detected`, ...).
    Lockdep,
    /// `general protection fault`.
    GeneralProtectionFault,
    /// `Oops:` / `Unable to handle kernel`.
    Oops,
    /// `INFO: task ... blocked for more than`.
    Hung,
    /// `INFO: rcu detected stall` and other RCU stalls.
    RcuStall,
    /// `Kernel panic`.
    Panic,
    /// `sysrq: Show ...` dumps.
    Sysrq,
    /// NMI backtraces (`NMI backtrace for cpu`).
    NmiBacktrace,
    /// Anything else that starts a report.
    Other,
}

/// A syzbot bisection log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Bisection {
    /// `bisecting cause commit starting from SHA` / `bisecting fixing commit ...`.
    pub start_commit: Option<String>,
    /// Whether this bisects the cause or the fix.
    pub fixing: bool,
    /// Every `testing commit` block, in order.
    pub tests: Vec<BisectionTest>,
    /// The first bad (or first good, for fix bisections) commit.
    pub culprit: Option<CulpritCommit>,
    /// `revisions tested: N`.
    pub revisions_tested: Option<u32>,
    /// Index into [`Document::reports`] of the crash report at the end of
    /// the log (the first one after the `crash:` line), produced at the culprit.
    pub final_report: Option<usize>,
    /// Index into [`Document::lines`] of the line after the `crash: TITLE`
    /// line, where the final report starts; equal to the number of lines
    /// when the log ends with the `crash:` line.
    pub crash_line: Option<usize>,
    /// The title on the `crash:` line.
    pub crash_title: Option<String>,
    /// The commit the final report was produced at (the culprit's sha).
    pub final_report_commit: Option<String>,
}

/// One `testing commit <sha> with <compiler>` block.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BisectionTest {
    /// Index into [`Document::lines`] of the `testing commit` line.
    pub line: usize,
    /// The commit tested.
    pub commit: String,
    /// The release named by a `testing release vX.Y` line just before, if any.
    pub release: Option<String>,
    /// The compiler, e.g. `gcc (GCC) 8.1.0`.
    pub compiler: Option<String>,
    /// `kernel signature: ...`.
    pub kernel_signature: Option<String>,
    /// Per-run results: `all runs: OK`, `run #0: crashed: ...`.
    pub results: Vec<String>,
    /// The `# git bisect good|bad|skip` verdict that followed.
    pub verdict: Option<BisectVerdict>,
}

/// A `# git bisect` verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BisectVerdict {
    /// `# git bisect good`.
    Good,
    /// `# git bisect bad`.
    Bad,
    /// `# git bisect skip`.
    Skip,
}

/// The commit a bisection ended at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CulpritCommit {
    /// Full sha.
    pub commit: String,
    /// Subject line.
    pub subject: Option<String>,
    /// `Author:` value.
    pub author: Option<String>,
    /// `Date:` value.
    pub date: Option<String>,
}

/// Headers of a syzbot email.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EmailHeaders {
    /// `HEAD commit:` sha (abbreviated as printed).
    pub head_commit: Option<String>,
    /// The subject printed after the sha on the `HEAD commit:` line.
    pub head_subject: Option<String>,
    /// `git tree:` value: a tree name (`upstream`, `net-next`) or a URL.
    pub git_tree: Option<String>,
    /// `console output:` URL.
    pub console_output: Option<String>,
    /// `kernel config:` URL.
    pub kernel_config: Option<String>,
    /// `dashboard link:` URL.
    pub dashboard_link: Option<String>,
    /// `compiler:` value.
    pub compiler: Option<String>,
    /// `syz repro:` URL.
    pub syz_repro: Option<String>,
    /// `C reproducer:` URL.
    pub c_repro: Option<String>,
}

/// Something the parser noticed but could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}
