//! Which kernel the reports come from: the flags `kresym symbolize` and
//! `kresym verify` share, and opening the symbolizer they describe.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use kresym_symbolize::{
    BATCH_FRAMES, Binary, Index, IndexDir, IndexError, IndexEvent, IndexPolicy, Symbolizer,
};

use crate::cmd::discover::{self, DiscoverArgs, Discovered};
use crate::session::Session;

/// The vmlinux, how to find it when it is not named, and the modules.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct KernelArgs {
    /// The vmlinux (with DWARF) that produced the reports; found by release
    /// or build id when not given (see --debug-dir, --build-id, --release).
    #[arg(long, value_name = "FILE")]
    pub vmlinux: Option<PathBuf>,
    /// Where to look when --vmlinux is not given.
    #[command(flatten)]
    pub discover: DiscoverArgs,
    /// Directory searched recursively for modules (.ko, .ko.debug, .ko.xz, .ko.zst; directory symlinks followed); repeatable.
    #[arg(long = "modules", value_name = "DIR")]
    pub modules: Vec<PathBuf>,
    /// Strip this prefix from DWARF paths instead of detecting the build directory; repeatable.
    #[arg(long = "strip-prefix", value_name = "PREFIX")]
    pub strip_prefix: Vec<String>,
    /// Annotate reports this vmlinux (or a module) did not produce anyway:
    /// frames whose printed /0xSIZE fits no symbol are resolved by name, and
    /// a --vmlinux of another release is accepted. Without it, such reports
    /// are left unchanged, said once each, and the exit status is 3.
    #[arg(long)]
    pub allow_mismatch: bool,
    /// The persisted indexes.
    #[command(flatten)]
    pub index: IndexArgs,
}

/// Whether and where the persisted indexes of the vmlinux and modules are used.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct IndexArgs {
    /// Never use or build a persisted index: symbolize from DWARF.
    #[arg(long)]
    pub no_index: bool,
    /// Build missing indexes (the vmlinux's now, a module's on its first
    /// frame) even for one report; without this, only a batch of 5,000
    /// frames or more builds them.
    #[arg(long, conflicts_with = "no_index")]
    pub build_index: bool,
    /// Where indexes are kept, one file per build id
    /// [default: $XDG_CACHE_HOME/kresym/index, else ~/.cache/kresym/index].
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
}

impl IndexArgs {
    /// The index directory, unless indexes are off or there is nowhere to keep them.
    pub fn dir(&self) -> Option<PathBuf> {
        if self.no_index {
            return None;
        }
        self.index_dir
            .clone()
            .or_else(|| crate::cmd::cache_dir("index"))
    }

    /// The index policy: load the indexes of the vmlinux and modules; build
    /// them when missing and the run `is_batch` (or --build-index); rebuild
    /// them when stale or corrupt. Failing that, DWARF is read, with a
    /// warning unless `quiet`.
    ///
    /// `loaded` is the vmlinux's index as [`Index::load`] of [`Self::dir`]
    /// answered it ahead, if it was asked.
    fn policy<'a>(
        &'a self,
        is_batch: impl FnOnce() -> bool + 'a,
        quiet: bool,
        loaded: Option<Result<Index, IndexError>>,
    ) -> IndexPolicy<'a> {
        let Some(dir) = self.dir() else {
            return IndexPolicy::Off;
        };
        let say = move |message: String| {
            if !quiet {
                say!("kresym: {message}");
            }
        };
        let dir = match loaded {
            Some(loaded) => IndexDir::new(dir).loaded(loaded),
            None => IndexDir::new(dir),
        };
        IndexPolicy::Dir(
            dir
                // Counting the inputs' frames reads them: only when an answer needs it.
                .build_missing(move || self.build_index || is_batch())
                .report(move |event| match event {
                    IndexEvent::Building { vmlinux } => say(format!(
                        "indexing {} once for this build (--no-index skips this)",
                        vmlinux.display()
                    )),
                    IndexEvent::Rebuilding(error) => say(format!("{error}; rebuilding it")),
                    IndexEvent::Built { index, elapsed } => say(format!(
                        "index written to {} ({}) in {:.1?}",
                        index.path().display(),
                        crate::cmd::file_size(index.size()),
                        elapsed
                    )),
                    IndexEvent::Unusable(error) => {
                        say(format!("warning: {error}; reading DWARF instead"))
                    }
                }),
        )
    }
}

/// An open symbolizer, with whatever discovery had to keep alive (a
/// downloaded module directory).
pub struct Kernel {
    /// The symbolizer for the vmlinux and modules found.
    pub symbolizer: Symbolizer,
    /// Held so that temporary files (a downloaded module directory) live
    /// as long as the symbolizer.
    _found: Discovered,
}

impl Kernel {
    /// Done: temporary files go, but the symbolizer's tables are left for
    /// the process exit to reclaim, which is faster than freeing them one by one.
    pub fn exit(self) {
        std::mem::forget(self.symbolizer);
    }
}

/// The vmlinux named by --vmlinux, and its index, being read on a thread
/// of their own (see [`KernelArgs::read_ahead`]).
pub struct ReadAhead {
    thread: Option<std::thread::JoinHandle<Option<Opened>>>,
}

/// A vmlinux read ahead.
struct Opened {
    vmlinux: Binary,
    /// Whether it is a vmlinux at all (see [`check_vmlinux`]).
    checked: Result<()>,
    /// What loading its index answered (when indexes are used and it has
    /// DWARF).
    index: Option<Result<Index, IndexError>>,
}

impl ReadAhead {
    /// What was read, if it is the vmlinux at `path`.
    fn take(self, path: &Path, named: Option<&Path>) -> Option<Opened> {
        self.thread
            .filter(|_| named == Some(path))
            .and_then(|thread| thread.join().ok().flatten())
    }
}

impl KernelArgs {
    /// Start opening the vmlinux named by --vmlinux, checking it is one and
    /// reading its index on another thread, when there is more than one
    /// worker thread: that is most of what a batch from an index waits for
    /// before its first frame, and meanwhile the inputs are listed and
    /// discovery checks the vmlinux's release. (Without an index, the
    /// symbol table is read later, while the inputs are parsed: see
    /// [`SymbolizerBuilder::prefetch`](kresym_symbolize::SymbolizerBuilder::prefetch).)
    /// Whatever goes wrong there is left for [`Self::open_with`] to meet
    /// again and report.
    pub fn read_ahead(&self) -> ReadAhead {
        let thread = self
            .vmlinux
            .clone()
            .filter(|_| rayon::current_num_threads() > 1)
            .and_then(|path| {
                let dir = self.index.dir();
                // No thread to spare: the vmlinux is read when opened.
                std::thread::Builder::new()
                    .spawn(move || {
                        let vmlinux = Binary::open(&path).ok()?;
                        // The check reads the ELF symbol table, the index
                        // a file of its own: both at once.
                        std::thread::scope(|scope| {
                            let checked = scope.spawn(|| check_vmlinux(&vmlinux));
                            let index = dir
                                .filter(|_| vmlinux.has_dwarf())
                                .map(|dir| Index::load(&dir, &vmlinux));
                            let checked = checked.join().ok()?;
                            Some((checked, index))
                        })
                        .map(|(checked, index)| Opened {
                            vmlinux,
                            checked,
                            index,
                        })
                    })
                    .ok()
            });
        ReadAhead { thread }
    }

    /// Find (or check) the vmlinux and modules for the inputs of `session`
    /// and open them; attach the indexes and prefetch a batch's frames.
    ///
    /// The inputs are scanned as these questions need (see [`Session`]).
    /// Unless `quiet`, a vmlinux without DWARF is warned about once.
    pub fn open(&self, session: &mut Session, quiet: bool) -> Result<Kernel> {
        self.open_with(session, quiet, self.read_ahead())
    }

    /// [`Self::open`], with the vmlinux and index read `ahead`.
    pub fn open_with(
        &self,
        session: &mut Session,
        quiet: bool,
        ahead: ReadAhead,
    ) -> Result<Kernel> {
        let found = discover::discover(
            &self.discover,
            self.vmlinux.as_deref(),
            &self.modules,
            session,
            self.allow_mismatch,
            quiet,
        )?;
        let ahead = ahead.take(&found.vmlinux, self.vmlinux.as_deref());
        self.open_found(found, ahead, session, quiet)
    }

    /// Open the symbolizer for what discovery `found`, with the vmlinux
    /// and index read `ahead` if they were.
    fn open_found(
        &self,
        found: Discovered,
        ahead: Option<Opened>,
        session: &mut Session,
        quiet: bool,
    ) -> Result<Kernel> {
        let (vmlinux, loaded) = match ahead {
            Some(opened) => {
                opened.checked?;
                (opened.vmlinux, opened.index)
            }
            None => {
                let vmlinux = Binary::open(&found.vmlinux)
                    .map_err(|error| vmlinux_error(&found.vmlinux, error))?;
                check_vmlinux(&vmlinux)?;
                (vmlinux, None)
            }
        };
        // The index policy and the prefetch ask the session in turn.
        let session = std::sync::Mutex::new(session);
        let session = || {
            session
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        let input_size = session().input_size();
        let symbolizer = Symbolizer::builder(vmlinux)
            .module_dirs(self.modules.iter().chain(&found.module_dirs).cloned())
            .strip_prefixes(self.strip_prefix.iter().cloned())
            .allow_mismatch(self.allow_mismatch)
            .index(
                self.index
                    .policy(|| session().frames() >= BATCH_FRAMES, quiet, loaded),
            )
            .prefetch(|| session().vmlinux_frames().into_iter().collect())
            .input_size(input_size)
            .build()
            .map_err(|error| vmlinux_error(&found.vmlinux, error))?;
        if !symbolizer.vmlinux().has_dwarf() && !quiet {
            say!(
                "kresym: warning: {} has no DWARF line information; frames keep their symbol names only",
                found.vmlinux.display()
            );
        }
        Ok(Kernel {
            symbolizer,
            _found: found,
        })
    }
}

/// An error opening the symbolizer, naming the vmlinux as such.
fn vmlinux_error(vmlinux: &Path, error: kresym_symbolize::Error) -> anyhow::Error {
    use kresym_symbolize::Error;
    match error {
        Error::Io { path, error } if path == vmlinux => {
            anyhow!("cannot read the vmlinux {}: {error}", path.display())
        }
        Error::NotElf { path, reason } if path == vmlinux => {
            anyhow!("the vmlinux {} cannot be used: {reason}", path.display())
        }
        error => error.into(),
    }
}

/// Refuse a file that is not a vmlinux: a module or other relocatable
/// object, or a file without the kernel's `start_kernel` symbol (a program,
/// a stripped or compressed kernel image).
fn check_vmlinux(vmlinux: &Binary) -> Result<()> {
    let path = vmlinux.path().display();
    if vmlinux.is_relocatable() {
        bail!(
            "{path} is a relocatable object (a kernel module?), not a vmlinux: pass the kernel's vmlinux with --vmlinux, and modules with --modules DIR"
        );
    }
    if !vmlinux.defines("start_kernel") {
        bail!(
            "{path} is not a vmlinux: it defines no start_kernel symbol (a program, or a stripped or compressed kernel image such as vmlinuz); pass the kernel's vmlinux with its symbols"
        );
    }
    Ok(())
}
