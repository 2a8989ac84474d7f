//! Index files mapped from the page cache, under a read lease.
//!
//! Reading an index into private memory costs a batch more than its
//! lookups on a machine where fresh memory is dear (a VM whose host takes
//! freed pages back: 17 MiB took 40-60 ms there after another large
//! process had exited), and every process holds its own copy. Mapping the
//! file shares the page cache's copy and costs nothing up front, but a
//! writer that cuts the file short (`cp` or `rsync --inplace` over it)
//! would kill every process that has it mapped with `SIGBUS`.
//!
//! A read lease (`fcntl(F_SETLEASE, F_RDLCK)`) closes that hole: while it
//! is held, every other open of the file for writing, and every
//! truncation, waits, and the kernel tells the holder with a signal that
//! names the file's descriptor. On that signal a watcher thread copies
//! that index into private memory, moves the copy over the mapping at the
//! same addresses (`mremap`), and releases the lease; the writer then
//! proceeds. Lookups never stop: they read the same bytes before and
//! after, from the page cache and then from the copy.
//!
//! Where a lease cannot be had or cannot be trusted (another user's file, a
//! file open for writing, leases disabled, the signal taken by someone
//! else, a network or FUSE file system, whose writers on other machines no
//! local lease holds back), [`map`] gives the file back, and the caller
//! reads it into memory instead.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// An index file's bytes, mapped under a read lease.
pub(super) struct Leased {
    map: memmap2::Mmap,
    /// Its entry in [`LEASED`].
    id: u64,
}

impl std::ops::Deref for Leased {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Leased {
    /// Whether lookups still read the file's pages (no writer has come yet).
    pub(super) fn is_mapped(&self) -> bool {
        leased()
            .iter()
            .any(|entry| entry.id == self.id && entry.file.is_some())
    }
}

impl Drop for Leased {
    fn drop(&mut self) {
        // Closes the file; the lease goes with the mapping, right after (a
        // mapping holds the file open).
        leased().retain(|entry| entry.id != self.id);
    }
}

/// A leased mapping the watcher must copy when a writer comes.
struct Entry {
    id: u64,
    address: usize,
    len: usize,
    /// The leased file, until the copy is in place.
    file: Option<File>,
}

impl Entry {
    /// The leased file's descriptor, until the copy is in place.
    fn fd(&self) -> Option<libc::c_int> {
        self.file.as_ref().map(File::as_raw_fd)
    }

    /// Put a private copy in place of the mapping, then release the lease.
    fn copy_and_release(&mut self) {
        let Some(file) = self.file.take() else {
            return;
        };
        // Failing to copy (no memory) leaves the mapping, and the lease is
        // released all the same: the writer would wait for the kernel's
        // lease-break timeout, then go ahead anyway.
        let _ = replace_with_copy(self.address, self.len);
        // Explicitly: while the file is mapped, closing it would not.
        unlease(file);
    }
}

/// Every leased mapping of this process.
static LEASED: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

fn leased() -> MutexGuard<'static, Vec<Entry>> {
    LEASED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `fcntl`'s command that names the signal a lease break is told with
/// (`<asm-generic/fcntl.h>`, x86-64 and arm64 alike; the libc crate lacks it).
const F_SETSIG: libc::c_int = 10;

/// The write end of the pipe the signal handler wakes the watcher through.
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// The signal a lease break is told with (the default, `SIGIO`, would end
/// the process); a real-time one, so that breaks queue.
fn break_signal() -> libc::c_int {
    libc::SIGRTMIN() + 4
}

/// Whether leases can be used: the handler and the watcher are set up
/// once per process.
fn ready() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    *READY.get_or_init(|| set_up().is_ok())
}

/// Install the lease-break signal's handler and start the watcher; an
/// error where the signal already has a handler (it is not ours to take).
fn set_up() -> std::io::Result<()> {
    let signal = break_signal();
    // SAFETY: sigaction is plain data, and with a null new action the call
    // only reads the current one.
    let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
    check(unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) })?;
    if current.sa_sigaction != libc::SIG_DFL {
        return Err(std::io::Error::other("the lease signal has a handler"));
    }
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two new descriptors, owned from here on.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The handler must never block on a full pipe.
    // SAFETY: fcntl on a descriptor owned here.
    check(unsafe { libc::fcntl(write.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) })?;
    std::thread::Builder::new()
        .name("kresym-index-lease".into())
        .spawn(move || watch(File::from(read)))?;
    // Kept open for the life of the process, as the handler is.
    WAKE.store(write.into_raw_fd(), Ordering::SeqCst);
    // SAFETY: a zeroed sigaction with an empty mask and a handler that
    // only writes to the pipe is a valid action.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_break as *const () as usize;
    action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    check(unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) })
}

/// `si_code` of a signal the kernel sends for a lease break (`POLL_MSG`;
/// the libc crate lacks it).
const POLL_MSG: libc::c_int = 3;

/// The descriptor a lease-break signal names, or -1 when it names none (a
/// signal sent by `kill`): `si_fd`, after `si_band` in the siginfo union,
/// which starts 16 bytes in on 64-bit Linux.
///
/// # Safety
///
/// `info` is the siginfo the kernel passed to an `SA_SIGINFO` handler.
unsafe fn broken_fd(info: *const libc::siginfo_t) -> libc::c_int {
    const SI_FD: usize = 16 + std::mem::size_of::<libc::c_long>();
    // SAFETY: the kernel's siginfo is 128 bytes; si_code is a field.
    unsafe {
        if cfg!(target_pointer_width = "64") && (*info).si_code == POLL_MSG {
            info.cast::<u8>()
                .add(SI_FD)
                .cast::<libc::c_int>()
                .read_unaligned()
        } else {
            -1
        }
    }
}

/// The lease-break signal's handler: hand the broken lease's descriptor to
/// the watcher (async-signal-safe: one 4-byte `write`, which a pipe never
/// splits; errno kept).
extern "C" fn on_break(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    let wake = WAKE.load(Ordering::SeqCst);
    if wake >= 0 {
        // SAFETY: info is the kernel's; errno is this thread's; the write
        // is of four local bytes.
        unsafe {
            let errno = *libc::__errno_location();
            let fd = broken_fd(info).to_ne_bytes();
            let _ = libc::write(wake, fd.as_ptr().cast(), fd.len());
            *libc::__errno_location() = errno;
        }
    }
}

/// The watcher: for every broken lease, copy that index and release it
/// (every leased index, for a signal that names no descriptor).
fn watch(mut wake: File) {
    let mut message = [0u8; 4];
    loop {
        match wake.read_exact(&mut message) {
            Ok(()) => {
                let fd = libc::c_int::from_ne_bytes(message);
                leased()
                    .iter_mut()
                    .filter(|entry| fd < 0 || entry.fd() == Some(fd))
                    .for_each(Entry::copy_and_release);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Map `file` under a read lease; the file back when it cannot be leased
/// or mapped.
pub(super) fn map(file: File) -> Result<Leased, File> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    if !ready() || !on_local_file_system(&file) {
        return Err(file);
    }
    let fd = file.as_raw_fd();
    // The break is told to the process (its main thread's id), not to the
    // thread taking the lease, which the kernel would name otherwise and
    // which may be gone by then (a read-ahead thread): the signal would go
    // nowhere, and the writer wait for the lease-break timeout.
    // SAFETY: fcntl on a descriptor this function owns; getpid cannot fail.
    if unsafe { libc::fcntl(fd, libc::F_SETOWN, libc::getpid()) } != 0
        || unsafe { libc::fcntl(fd, F_SETSIG, break_signal()) } != 0
    {
        return Err(file);
    }
    // Held from the lease on: a break meanwhile waits for the entry.
    let mut leased = leased();
    if unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_RDLCK) } != 0 {
        return Err(file);
    }
    let len = match file.metadata() {
        Ok(metadata) if metadata.len() > 0 => metadata.len(),
        _ => return Err(unlease(file)),
    };
    // SAFETY: under the lease nobody can write or truncate the file; when
    // someone is about to, the mapping is replaced by a copy first.
    let Ok(map) = (unsafe { memmap2::MmapOptions::new().len(len as usize).map(&file) }) else {
        return Err(unlease(file));
    };
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    leased.push(Entry {
        id,
        address: map.as_ptr() as usize,
        len: map.len(),
        file: Some(file),
    });
    Ok(Leased { map, id })
}

/// Whether `file` is on a local disk or in memory (ext2/3/4, XFS, Btrfs,
/// tmpfs), where every writer is on this machine and so waits for the
/// lease. A lease on a network or FUSE file system may be granted locally
/// while a writer elsewhere goes ahead: such files are read instead.
fn on_local_file_system(file: &File) -> bool {
    // SAFETY: statfs is plain data, filled by fstatfs on an open descriptor.
    let mut stat: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut stat) } != 0 {
        return false;
    }
    // Magic numbers are 32 bits; the field's type differs between targets.
    let magic = stat.f_type as u32;
    [
        libc::EXT4_SUPER_MAGIC as u32,
        libc::XFS_SUPER_MAGIC as u32,
        libc::BTRFS_SUPER_MAGIC as u32,
        libc::TMPFS_MAGIC as u32,
    ]
    .contains(&magic)
}

/// Release the lease on `file` and give it back.
fn unlease(file: File) -> File {
    // SAFETY: fcntl on a descriptor the caller owns.
    unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLEASE, libc::F_UNLCK) };
    file
}

/// Copy `len` mapped bytes at `address` into private memory and move the
/// copy over them, so that the same addresses read the same bytes.
fn replace_with_copy(address: usize, len: usize) -> std::io::Result<()> {
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
    let span = len.div_ceil(page) * page;
    // SAFETY: a new private mapping, filled from the leased mapping (which
    // nobody can change while the lease is held), then moved over it whole
    // by one mremap: a reader sees the file's pages or the copy's, never a
    // hole.
    unsafe {
        let copy = libc::mmap(
            std::ptr::null_mut(),
            span,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if copy == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        std::ptr::copy_nonoverlapping(address as *const u8, copy.cast::<u8>(), len);
        let moved = libc::mprotect(copy, span, libc::PROT_READ) == 0
            && libc::mremap(
                copy,
                span,
                span,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED,
                address as *mut libc::c_void,
            ) != libc::MAP_FAILED;
        if !moved {
            let error = std::io::Error::last_os_error();
            libc::munmap(copy, span);
            return Err(error);
        }
    }
    Ok(())
}

fn check(result: libc::c_int) -> std::io::Result<()> {
    match result {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}
