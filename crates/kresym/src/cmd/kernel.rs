//! Which kernel the reports come from: the flags `kresym symbolize` and
//! `kresym verify` share, and opening the symbolizer they describe.

use std::path::PathBuf;

use anyhow::Result;
use kresym_symbolize::{Symbolizer, SymbolizerOptions};

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
        let symbolizer = Symbolizer::open(&found.vmlinux, options)?;
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
