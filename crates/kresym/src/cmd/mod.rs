//! One module per subcommand.

pub mod discover;
pub mod docs;
pub mod format;
pub mod index;
pub mod kernel;
pub mod link;
pub mod lookup;
pub mod parse;
pub mod serve;
pub mod symbolize;
pub mod verify;

/// The inputs (or queries) a command could not read or answer, each said
/// as it failed while the others went on. Any makes the exit status 1
/// (`kresym verify`'s 1 means wrong frames: it says 2).
#[derive(Debug, Default)]
pub struct Failures(usize);

impl Failures {
    /// Count one and say `error` on stderr.
    pub fn say(&mut self, error: &anyhow::Error) {
        self.add();
        say!("kresym: error: {error:#}");
    }

    /// Count one whose error is said elsewhere.
    pub fn add(&mut self) {
        self.0 += 1;
    }

    /// How many failed.
    pub fn count(&self) -> usize {
        self.0
    }

    /// The exit status: 1 when any failed, else `otherwise`.
    pub fn exit_code(&self, otherwise: std::process::ExitCode) -> std::process::ExitCode {
        if self.0 > 0 {
            std::process::ExitCode::from(1)
        } else {
            otherwise
        }
    }
}

/// Stack of each worker thread. DWARF lookups recurse once per level of
/// inline nesting (addr2line's too); 64 MiB of address space, touched only
/// as deep as a binary nests, covers tens of thousands of levels where the
/// default 2 MiB aborted the run at about a thousand.
pub const WORKER_STACK: usize = 64 << 20;

/// Start the global worker pool: `-j N` threads, or one per core.
pub fn start_workers(jobs: Option<usize>) -> anyhow::Result<()> {
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(WORKER_STACK);
    if let Some(jobs) = jobs {
        pool = pool.num_threads(jobs.max(1));
    }
    pool.build_global()
        .map_err(|e| anyhow::anyhow!("cannot start worker threads: {e}"))
}

/// `NAME` in kresym's cache: `$XDG_CACHE_HOME/kresym/NAME`, else
/// `~/.cache/kresym/NAME`; `None` when neither is set to an absolute path.
pub fn cache_dir(name: &str) -> Option<std::path::PathBuf> {
    let absolute = |var| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = absolute("XDG_CACHE_HOME").or_else(|| Some(absolute("HOME")?.join(".cache")))?;
    Some(base.join("kresym").join(name))
}

/// A file size for a person: KiB below a MiB, MiB above.
pub fn file_size(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
    }
}
