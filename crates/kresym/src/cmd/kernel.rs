//! Which kernel the reports come from: the flags `kresym symbolize` and
//! `kresym verify` share, and opening the symbolizer they describe.

use foldhash::{HashSet, HashSetExt};
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use kresym_report::{LineKind, PcKind, frame};
use kresym_symbolize::{Binary, IndexDir, IndexEvent, IndexPolicy, Symbolizer};
use rayon::prelude::*;

use crate::cmd::discover::{self, DiscoverArgs, Discovered};
use crate::input::Input;

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

/// A run with this many frames builds the index when there is none.
/// Building costs about eight times what sweeping 20,000 frames through
/// DWARF does (3.8 s against 0.47 s on Debian's 6.1 kernel, 2 cores), so
/// the first such run is slower; but a run this large is usually one of
/// many against a build, and each later one reads no DWARF (0.06 s).
const BATCH_FRAMES: usize = 5_000;

/// Whether `inputs` hold at least [`BATCH_FRAMES`] frames, counting
/// `+0x` in each file (a streamed file counts as large; stdin is not read).
fn is_batch(inputs: &[Input]) -> bool {
    let mut frames = 0;
    for input in inputs {
        let Input::File { path, .. } = input else {
            continue;
        };
        if input
            .size()
            .is_some_and(|size| size > crate::stream::STREAM_ABOVE)
        {
            return true;
        }
        if let Ok(bytes) = std::fs::read(path) {
            frames += memchr::memmem::find_iter(&bytes, b"+0x").count();
            if frames >= BATCH_FRAMES {
                return true;
            }
        }
    }
    false
}

/// The vmlinux frames of the input files, for the symbolizer to look up all
/// at once when no index is in use (see [`kresym_symbolize::SymbolizerBuilder::prefetch`]):
/// reading the files an extra time costs far less than looking their frames
/// up one by one. Standard input cannot be read twice; its frames are looked
/// up as they come.
fn prefetch_frames(inputs: &[Input]) -> Vec<FrameKey> {
    let frames: HashSet<FrameKey> = inputs
        .par_iter()
        .filter(|input| matches!(input, Input::File { .. }))
        .flat_map_iter(|input| vmlinux_frames(input).unwrap_or_default())
        .collect();
    frames.into_iter().collect()
}

/// What a vmlinux frame asks for: function, offset, printed size, pc kind.
type FrameKey = (String, u64, u64, PcKind);

/// The distinct vmlinux frames of one input, read line by line.
fn vmlinux_frames(input: &Input) -> Result<HashSet<FrameKey>> {
    let mut frames = HashSet::new();
    crate::stream::for_each_line(input.reader()?, |line| {
        if memchr::memmem::find(line, b"+0x").is_some() {
            let (content, prefix) = crate::stream::content(line);
            if let LineKind::Frame(frame) = frame::classify_line(content, prefix).kind
                && frame.module.is_none()
            {
                frames.insert((frame.function, frame.offset, frame.size, frame.pc_kind));
            }
        }
    })?;
    Ok(frames)
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
    fn policy<'a>(&'a self, is_batch: impl FnOnce() -> bool + 'a, quiet: bool) -> IndexPolicy<'a> {
        let Some(dir) = self.dir() else {
            return IndexPolicy::Off;
        };
        let say = move |message: String| {
            if !quiet {
                say!("kresym: {message}");
            }
        };
        IndexPolicy::Dir(
            IndexDir::new(dir)
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
/// downloaded module directory, a copy of standard input).
pub struct Kernel {
    /// The symbolizer for the vmlinux and modules found.
    pub symbolizer: Symbolizer,
    /// Held so that temporary files (a downloaded module directory, a copy
    /// of standard input) live as long as the symbolizer.
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
    /// Find (or check) the vmlinux and modules for `inputs` and open them.
    ///
    /// `inputs` may change: standard input is copied to a temporary file
    /// when only its text can name the kernel. Unless `quiet`, a vmlinux
    /// without DWARF is warned about once.
    pub fn open(&self, inputs: &mut [Input], quiet: bool) -> Result<Kernel> {
        let found = discover::discover(
            &self.discover,
            self.vmlinux.as_deref(),
            &self.modules,
            inputs,
            self.allow_mismatch,
            quiet,
        )?;
        let vmlinux =
            Binary::open(&found.vmlinux).map_err(|error| vmlinux_error(&found.vmlinux, error))?;
        check_vmlinux(&vmlinux)?;
        let inputs = &*inputs;
        let symbolizer = Symbolizer::builder(vmlinux)
            .module_dirs(self.modules.iter().chain(&found.module_dirs).cloned())
            .strip_prefixes(self.strip_prefix.iter().cloned())
            .allow_mismatch(self.allow_mismatch)
            .index(self.index.policy(|| is_batch(inputs), quiet))
            .prefetch(|| prefetch_frames(inputs))
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
