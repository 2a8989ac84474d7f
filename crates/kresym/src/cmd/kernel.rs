//! Which kernel the reports come from: the flags `kresym symbolize` and
//! `kresym verify` share, and opening the symbolizer they describe.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use kresym_symbolize::{IndexError, Symbolizer, SymbolizerOptions};

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
    /// Directory searched recursively for modules (.ko, .ko.debug, .ko.xz, .ko.zst); repeatable.
    #[arg(long = "modules", value_name = "DIR")]
    pub modules: Vec<PathBuf>,
    /// Strip this prefix from DWARF paths instead of detecting the build directory; repeatable.
    #[arg(long = "strip-prefix", value_name = "PREFIX")]
    pub strip_prefix: Vec<String>,
    /// The persisted vmlinux index.
    #[command(flatten)]
    pub index: IndexArgs,
}

/// Whether and where the persisted vmlinux index is used.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct IndexArgs {
    /// Never use or build a persisted index: symbolize from DWARF.
    #[arg(long)]
    pub no_index: bool,
    /// Build the vmlinux's index now if there is none, even for one report
    /// (without this, only a batch builds one: 20 or more inputs, or 4 MiB).
    #[arg(long, conflicts_with = "no_index")]
    pub build_index: bool,
    /// Where indexes are kept, one file per build id
    /// [default: $XDG_CACHE_HOME/kresym/index, else ~/.cache/kresym/index].
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
}

/// A run this large builds the index when there is none.
const BATCH_INPUTS: usize = 20;
/// ... or when its inputs add up to this many bytes.
const BATCH_BYTES: u64 = 4 << 20;

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

    /// Use the vmlinux's index: load it; build it when missing and `batch`
    /// (or --build-index); rebuild it when stale or corrupt. Failing that,
    /// the symbolizer keeps reading DWARF, with a warning unless `quiet`.
    fn attach(&self, symbolizer: &mut Symbolizer, batch: bool, quiet: bool) {
        let Some(dir) = self.dir() else { return };
        if !symbolizer.vmlinux().has_dwarf() {
            return;
        }
        let say = |message: String| {
            if !quiet {
                eprintln!("kresym: {message}");
            }
        };
        match symbolizer.load_index(&dir) {
            Ok(_) | Err(IndexError::NoBuildId(_)) => return,
            Err(IndexError::Missing(_)) if !(batch || self.build_index) => return,
            Err(IndexError::Missing(_)) => say(format!(
                "indexing {} once for this build (--no-index skips this)",
                symbolizer.vmlinux().path().display()
            )),
            Err(error) if error.needs_rebuild() => say(format!("{error}; rebuilding it")),
            Err(error) => {
                say(format!("warning: {error}; reading DWARF instead"));
                return;
            }
        }
        let started = Instant::now();
        match symbolizer.build_index(&dir) {
            Ok(index) => say(format!(
                "index written to {} ({:.1} MiB) in {:.1?}",
                index.path().display(),
                index.size() as f64 / (1 << 20) as f64,
                started.elapsed()
            )),
            Err(error) => say(format!("warning: {error}; reading DWARF instead")),
        }
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
        let mut symbolizer = Symbolizer::open(&found.vmlinux, options)?;
        let batch = inputs.len() >= BATCH_INPUTS
            || inputs.iter().filter_map(Input::size).sum::<u64>() >= BATCH_BYTES;
        self.index.attach(&mut symbolizer, batch, quiet);
        if !symbolizer.vmlinux().has_dwarf() && !quiet {
            eprintln!(
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
