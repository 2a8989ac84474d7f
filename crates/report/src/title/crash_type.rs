//! The crash type of a title (syzkaller's `crash.TitleToType`,
//! `pkg/report/crash`, Apache-2.0): the first prefix that matches decides.

use crate::CrashType::{self, *};

/// Title prefixes and their type, in order; earlier rows win.
const BY_PREFIX: &[(&[&str], CrashType)] = &[
    (&["KFENCE: use-after-free write"], KfenceUseAfterFreeWrite),
    (
        &["KFENCE: use-after-free read", "KFENCE: use-after-free"],
        KfenceUseAfterFreeRead,
    ),
    (
        &["KFENCE: invalid write", "KFENCE: out-of-bounds write"],
        KfenceWrite,
    ),
    (
        &[
            "KFENCE: invalid read",
            "KFENCE: out-of-bounds read",
            "KFENCE: out-of-bounds",
        ],
        KfenceRead,
    ),
    (&["KFENCE: memory corruption"], KfenceMemoryCorruption),
    (&["KFENCE: invalid free"], KfenceInvalidFree),
    (&["KMSAN: uninit-value"], KmsanUninitValue),
    (
        &[
            "KMSAN: kernel-infoleak-after-free",
            "KMSAN: kernel-usb-infoleak-after-free",
            "KMSAN: use-after-free",
        ],
        KmsanUseAfterFreeRead,
    ),
    (
        &["KMSAN: kernel-infoleak", "KMSAN: kernel-usb-infoleak"],
        KmsanInfoLeak,
    ),
    (&["KASAN: null-ptr-deref Write"], KasanNullPtrDerefWrite),
    (&["KASAN: null-ptr-deref Read"], KasanNullPtrDerefRead),
    (
        &["BUG: unable to handle kernel NULL pointer dereference in"],
        NullPtrDerefBug,
    ),
    (
        &[
            "KASAN: global-out-of-bounds Write",
            "KASAN: out-of-bounds Write",
            "KASAN: slab-out-of-bounds Write",
            "KASAN: stack-out-of-bounds Write",
            "KASAN: user-memory-access Write",
            "KASAN: vmalloc-out-of-bounds Write",
            "KASAN: wild-memory-access Write",
        ],
        KasanWrite,
    ),
    (
        &[
            "KASAN: global-out-of-bounds Read",
            "KASAN: invalid-access Read",
            "KASAN: out-of-bounds Read",
            "KASAN: slab-out-of-bounds Read",
            "KASAN: slab-out-of-bounds",
            "KASAN: stack-out-of-bounds Read",
            "KASAN: stack-out-of-bounds",
            "KASAN: unknown-crash Read",
            "KASAN: user-memory-access Read",
            "KASAN: vmalloc-out-of-bounds Read",
            "KASAN: wild-memory-access Read",
            "KASAN: wild-memory-access",
        ],
        KasanRead,
    ),
    (
        &["KASAN: double-free or invalid-free", "KASAN: invalid-free"],
        KasanInvalidFree,
    ),
    (
        &[
            "KASAN: slab-use-after-free Write",
            "KASAN: use-after-free Write",
        ],
        KasanUseAfterFreeWrite,
    ),
    (
        &[
            "KASAN: slab-use-after-free Read",
            "KASAN: use-after-free Read",
            "KASAN: use-after-free",
        ],
        KasanUseAfterFreeRead,
    ),
    (
        &[
            "BUG: corrupted list",
            "BUG: unable to handle kernel paging request",
        ],
        MemorySafetyBug,
    ),
    (&["WARNING: refcount bug"], RefcountWarning),
    (&["UBSAN: array-index-out-of-bounds"], MemorySafetyUbsan),
    (&["KCSAN: data-race"], KcsanDataRace),
    (&["KCSAN: assert: race in"], KcsanAssert),
    (
        &[
            "BUG: bad unlock balance in",
            "BUG: held lock freed in",
            "BUG: rwlock",
            "BUG: spinlock",
            "BUG: still has locks held in",
            "BUG: using",
            "WARNING: bad unlock balance in",
            "WARNING: held lock freed in",
            "WARNING: lock held",
            "WARNING: locking bug in",
            "WARNING: nested lock was not taken in",
            "WARNING: still has locks held in",
            "WARNING: suspicious RCU usage in",
            "inconsistent lock state in",
            "possible deadlock in",
        ],
        Lockdep,
    ),
    (
        &[
            "BUG: scheduling while atomic in",
            "BUG: sleeping function called from invalid context in",
        ],
        AtomicSleep,
    ),
    (&["memory leak in"], MemoryLeak),
    (&["BUG: bad usercopy in", "kernel BUG"], Bug),
    (&["WARNING in"], Warning),
    // printk()s, of no type.
    (
        &[
            "BUG: stack guard page was hit in",
            "WARNING: corrupted",
            "WARNING: kernel stack frame pointer has bad value",
            "WARNING: kernel stack regs has bad",
        ],
        Unknown,
    ),
    (
        &[
            "BUG: soft lockup in",
            "INFO: rcu detected stall in",
            "INFO: task can't die in",
            "INFO: task hung in",
        ],
        Hang,
    ),
    (
        &[
            "Alignment trap in",
            "BUG: Object already free",
            "Internal error in",
            "PANIC: double fault",
            "Unhandled fault in",
            "VFS: Busy inodes after unmount (use-after-free)",
            "VFS: Close: file count is zero (use-after-free)",
            "divide error in",
            "general protection fault in",
            "go runtime error",
            "int3 in",
            "invalid opcode in",
            "kernel panic:",
            "kernel stack overflow",
            "panic:",
            "rust_kernel panicked",
            "stack segment fault in",
            "trusty:",
            "unregister_netdevice: waiting for DEV to become free",
        ],
        DoS,
    ),
    (&["no output from test machine"], NoOutput),
    (&["unexpected kernel reboot"], UnexpectedReboot),
    (&["SYZFAIL", "SYZFATAL:"], SyzFailure),
    // Defaults.
    (&["WARNING:"], Warning),
    (&["BUG:", "INFO:"], Unknown),
    (&["KASAN:"], KasanUnknown),
    (&["KFENCE:"], KfenceUnknown),
    (&["KMSAN:"], KmsanUnknown),
    (&["UBSAN:"], Ubsan),
    (&["KCSAN:"], KcsanUnknown),
];

/// The crash type of `title`.
pub(super) fn crash_type(title: &str) -> CrashType {
    BY_PREFIX
        .iter()
        .find(|(prefixes, _)| prefixes.iter().any(|p| title.starts_with(p)))
        .map_or(Unknown, |(_, t)| *t)
}
