//! Where output goes: standard output, and files written atomically.
//!
//! Every write to standard output goes through [`Stdout`], which marks its
//! errors so that `main` can tell them from any other: a reader that closed
//! the pipe (`kresym ... | head -1`) ends the run quietly with exit status
//! 0, as ripgrep does; a closed (`>&-`) or full (`>/dev/full`) standard
//! output is an error. Rust's runtime replaces a closed standard output with
//! `/dev/null` before `main` runs, so whether it was closed is checked
//! earlier, by [`STDOUT_CLOSED_AT_START`].
//!
//! Files (`--out-dir` outputs, `verify --fix --in-place`, `link -o`) are
//! written by [`AtomicFile`]: a new temporary file with a random name,
//! created exclusively (never through a symlink planted in advance) in the
//! target's directory, renamed over the target once complete. An interrupted
//! run leaves no partial output, at most a hidden `.kresym-*.tmp` file,
//! which directory inputs skip.

use std::collections::HashMap;
use std::fmt;
use std::fs::Permissions;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use anyhow::{Context, Result, bail};

use crate::input::Input;

/// Prefix of the names of kresym's temporary files (they are hidden).
pub const TEMPORARY_PREFIX: &str = ".kresym-";

/// Suffix of the names of kresym's temporary files.
pub const TEMPORARY_SUFFIX: &str = ".tmp";

/// Whether file descriptor 1 was closed when the process started.
static STDOUT_WAS_CLOSED: AtomicBool = AtomicBool::new(false);

/// The process's umask, read at start.
static UMASK: AtomicU32 = AtomicU32::new(0o022);

extern "C" fn at_start() {
    // SAFETY: F_GETFD on a file descriptor only asks whether it is open.
    if unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } == -1 {
        STDOUT_WAS_CLOSED.store(true, Ordering::Relaxed);
    }
    // SAFETY: umask swaps the file mode mask, put back at once; no other
    // thread exists yet to create a file meanwhile.
    let mask = unsafe {
        let mask = libc::umask(0o022);
        libc::umask(mask);
        mask
    };
    UMASK.store(mask, Ordering::Relaxed);
}

/// Runs [`at_start`] before `main`, single-threaded, and before Rust's
/// runtime reopens a closed standard output on `/dev/null`.
#[used]
#[unsafe(link_section = ".init_array")]
static STDOUT_CLOSED_AT_START: extern "C" fn() = at_start;

/// Writing standard output failed.
#[derive(Debug)]
pub struct StdoutError(io::Error);

impl fmt::Display for StdoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to standard output: {}", self.0)
    }
}

impl std::error::Error for StdoutError {}

impl StdoutError {
    /// Whether the reader closed the pipe: the run ends quietly.
    pub fn is_closed_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// The standard-output failure behind `error`, if that is what it is.
pub fn stdout_error(error: &anyhow::Error) -> Option<&StdoutError> {
    error.chain().find_map(|cause| {
        cause.downcast_ref::<StdoutError>().or_else(|| {
            cause
                .downcast_ref::<io::Error>()?
                .get_ref()?
                .downcast_ref::<StdoutError>()
        })
    })
}

fn mark(error: io::Error) -> io::Error {
    io::Error::new(error.kind(), StdoutError(error))
}

/// Buffered standard output whose errors are [`StdoutError`]s.
pub struct Stdout {
    inner: BufWriter<io::StdoutLock<'static>>,
}

impl Stdout {
    /// Lock standard output for the whole run.
    pub fn lock() -> Self {
        Stdout {
            inner: BufWriter::with_capacity(64 << 10, io::stdout().lock()),
        }
    }

    fn check_open() -> io::Result<()> {
        if STDOUT_WAS_CLOSED.load(Ordering::Relaxed) {
            return Err(mark(io::Error::from_raw_os_error(libc::EBADF)));
        }
        Ok(())
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Self::check_open()?;
        self.inner.write(buf).map_err(mark)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        Self::check_open()?;
        self.inner.write_all(buf).map_err(mark)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(mark)
    }
}

/// A file replaced atomically: written to a fresh temporary file in the
/// same directory, renamed over `path` by [`AtomicFile::commit`]. Dropped
/// without a commit, the temporary file is removed.
pub struct AtomicFile {
    path: PathBuf,
    file: BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Start writing `path` (its directory must exist).
    pub fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let file = tempfile::Builder::new()
            .prefix(TEMPORARY_PREFIX)
            .suffix(TEMPORARY_SUFFIX)
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        Ok(AtomicFile {
            path: path.to_owned(),
            file: BufWriter::with_capacity(1 << 20, file),
        })
    }

    /// Replace the target with what was written, with `permissions` (else
    /// the temporary file's: 0600). `durable` syncs the data first, so that
    /// a crash leaves either the old file or the new one.
    pub fn commit(self, permissions: Option<Permissions>, durable: bool) -> Result<()> {
        let path = self.path;
        let file = self
            .file
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", path.display()))?;
        if let Some(permissions) = permissions {
            file.as_file()
                .set_permissions(permissions)
                .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
        }
        if durable {
            file.as_file()
                .sync_all()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        file.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot replace {}", path.display()))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Write `contents` to `path` atomically, with the mode a new file gets.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(contents)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.commit(Some(default_permissions()), false)
}

/// The mode a new output file gets: 0666 less the umask, as `File::create`
/// would give it.
pub fn default_permissions() -> Permissions {
    use std::os::unix::fs::PermissionsExt;
    Permissions::from_mode(0o666 & !UMASK.load(Ordering::Relaxed))
}

/// Where `--out-dir DIR` puts the output of each input: `DIR/RELATIVE`
/// (`DIR/stdin` for standard input), `extension` appended; `None` for an
/// input that cannot be read.
///
/// Refused, before anything is written, when two inputs would write the
/// same file or an output would replace an input.
pub fn plan_out_dir(
    dir: &Path,
    inputs: &[Input],
    extension: Option<&str>,
) -> Result<Vec<Option<PathBuf>>> {
    let mut planned = Vec::with_capacity(inputs.len());
    let mut by_output: HashMap<PathBuf, &Input> = HashMap::new();
    let read: HashMap<PathBuf, &Input> = inputs
        .iter()
        .filter_map(|input| match input {
            Input::File { path, .. } => Some((std::fs::canonicalize(path).ok()?, input)),
            _ => None,
        })
        .collect();
    let resolved_dir = resolve(dir);
    for input in inputs {
        let relative = match input {
            Input::Stdin => Path::new("stdin"),
            Input::File { relative, .. } => relative.as_path(),
            Input::Unreadable { .. } => {
                planned.push(None);
                continue;
            }
        };
        let mut path = dir.join(relative);
        if let Some(extension) = extension {
            let mut name = path.file_name().unwrap_or_default().to_owned();
            name.push(extension);
            path.set_file_name(name);
        }
        let resolved = match path.strip_prefix(dir) {
            Ok(rest) => resolve(&resolved_dir.join(rest)),
            Err(_) => resolve(&path),
        };
        if let Some(other) = by_output.insert(resolved.clone(), input) {
            bail!(
                "--out-dir: {} and {} would both be written to {}; name them through one directory, or run them separately",
                other.name(),
                input.name(),
                path.display()
            );
        }
        if let Some(source) = read.get(&resolved) {
            bail!(
                "--out-dir: the output of {} would replace the input {}; choose another output directory",
                input.name(),
                source.name()
            );
        }
        planned.push(Some(path));
    }
    Ok(planned)
}

/// `path` with symlinks resolved as far as it exists.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(resolved) = std::fs::canonicalize(path) {
        return resolved;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => resolve(parent).join(name),
        _ => std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_owned()),
    }
}

/// Write one `--out-dir` output atomically, creating its directory.
pub fn write_output(path: &Path, contents: &[u8]) -> Result<()> {
    create_parent(path)?;
    write_file(path, contents)
}

/// Create the directory `path` goes in.
pub fn create_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    Ok(())
}
