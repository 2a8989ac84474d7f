//! Which kernel the reports come from: the flags `kresym symbolize` and
//! `kresym verify` share, and opening the symbolizer they describe.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use kresym_symbolize::policy::{self, BuildIndex, IndexEvent, IndexPolicy};
use kresym_symbolize::{Binary, Symbolizer, SymbolizerOptions};

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

    /// Where and when indexes are used (see [`policy::attach_index`]).
    fn policy(&self) -> Option<IndexPolicy> {
        Some(IndexPolicy {
            dir: self.dir()?,
            build: if self.build_index {
                BuildIndex::Always
            } else {
                BuildIndex::ForBatch
            },
        })
    }
}

/// Say what attaching the index did, unless `quiet`.
fn say_index(event: IndexEvent<'_>, quiet: bool) {
    if quiet {
        return;
    }
    match event {
        IndexEvent::Building(vmlinux) => say!(
            "kresym: indexing {} once for this build (--no-index skips this)",
            vmlinux.display()
        ),
        IndexEvent::Rebuilding(error) => say!("kresym: {error}; rebuilding it"),
        IndexEvent::Written {
            path,
            size,
            elapsed,
        } => say!(
            "kresym: index written to {} ({}) in {elapsed:.1?}",
            path.display(),
            crate::cmd::file_size(size)
        ),
        IndexEvent::Unusable(error) => say!("kresym: warning: {error}; reading DWARF instead"),
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

impl KernelArgs {
    /// Find (or check) the vmlinux and modules for the inputs of `session`
    /// and open them; attach the indexes and prefetch a batch's frames.
    ///
    /// The inputs are scanned as these questions need (see [`Session`]).
    /// Unless `quiet`, a vmlinux without DWARF is warned about once.
    pub fn open(&self, session: &mut Session, quiet: bool) -> Result<Kernel> {
        let found = discover::discover(
            &self.discover,
            self.vmlinux.as_deref(),
            &self.modules,
            session,
            self.allow_mismatch,
            quiet,
        )?;
        let options = SymbolizerOptions {
            module_dirs: self
                .modules
                .iter()
                .chain(&found.module_dirs)
                .cloned()
                .collect(),
            strip_prefixes: self.strip_prefix.clone(),
        };
        let mut symbolizer = Symbolizer::open(&found.vmlinux, options)
            .map_err(|error| vmlinux_error(&found.vmlinux, error))?;
        check_vmlinux(symbolizer.vmlinux())?;
        symbolizer.allow_mismatch(self.allow_mismatch);
        if let Some(index) = self.index.policy() {
            policy::attach_index(
                &mut symbolizer,
                &index,
                || session.frames(),
                |event| say_index(event, quiet),
            );
        }
        policy::prefetch(&mut symbolizer, || session.vmlinux_frames());
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
