//! Symbolize Linux kernel stack frames against the DWARF of the vmlinux and
//! modules that produced them.
//!
//! A [`Symbolizer`] is opened once per vmlinux, configured by a
//! [`SymbolizerBuilder`], and shared by every thread. Symbols are read on
//! first use; DWARF is parsed lazily, one compilation unit at a time, each
//! unit once for all threads, so a single report only pays for the units
//! its frames fall in. With persisted [`index`]es of the vmlinux and of the
//! modules ([`IndexPolicy`]) no DWARF is parsed at all, and the answers are
//! the same. A batch without an index is faster and leaner when its frames
//! are known up front: [`SymbolizerBuilder::prefetch`] looks them all up in
//! one sweep over the DWARF.
//!
//! ```no_run
//! use kresym_symbolize::{Binary, IndexDir, IndexPolicy, Symbolizer};
//!
//! let vmlinux = Binary::open("vmlinux".as_ref())?;
//! let symbolizer = Symbolizer::builder(vmlinux)
//!     .module_dirs(["/lib/modules/6.1.0/kernel".into()])
//!     .index(IndexPolicy::Dir(IndexDir::new("index".into())))
//!     .build()?;
//! let document = kresym_report::parse(std::fs::read("report.txt")?);
//! let symbolized = symbolizer.symbolize_document(&document);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate knows nothing of HTTP or of output formats.
//!
//! # Map
//!
//! Data flows down this list; no module imports one above it but through
//! the types this file defines.
//!
//! - `lib.rs`: [`Symbolizer`], what a frame asks ([`FrameQuery`]) and what
//!   it gets ([`Resolution`]); `builder.rs`: how a symbolizer is configured
//!   ([`SymbolizerBuilder`], [`IndexPolicy`]); `document.rs`: whole reports
//!   ([`DocumentSymbols`]), the checks that a binary produced them.
//! - `source.rs`: where a frame's symbols and chains come from (DWARF, the
//!   index, the prefetched chains); `modules.rs`: module files by name,
//!   loaded on first use; [`paths`]: DWARF paths made tree-relative.
//! - [`index`]: the persisted per-build index (format, build, lookups).
//! - `elf/`: one ELF file ([`Binary`]): opening and decompression
//!   (`decompress.rs`), the module loader's layout and DWARF relocation
//!   (`layout.rs`), text symbols and `linux_banner` (`symbols.rs`), kallsyms
//!   sizes and names ([`kallsyms`]). It hands its DWARF sections to `dwarf/`.
//! - `dwarf/`: the DWARF of one binary, without knowing ELF: the sections
//!   (`sections.rs`), the unit table (`units.rs`), the one range decoder
//!   (`ranges.rs`), kresym's line-program engine (`line_rows.rs`, `lines.rs`,
//!   with path rendering derived from addr2line), the one-by-one lookup
//!   through addr2line, which is the reference (`lookup.rs`), and the sweep
//!   that answers a batch exactly as it does (`sweep.rs`).

#![deny(missing_docs)]

mod builder;
mod document;
mod dwarf;
mod elf;
pub mod index;
mod modules;
pub mod paths;
mod source;

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};

use kresym_report::{Frame, PcKind, SourceLocation};
use serde::Serialize;

pub use builder::{
    BATCH_FRAMES, IndexDir, IndexEvent, IndexPolicy, PrintedFrame, SymbolizerBuilder,
};
pub use document::{CheckKind, DocumentSymbols, FrameCounts, LineSymbols, ReportCheck};
pub use elf::decompress::{DecompressError, DecompressionLimits};
pub use elf::kallsyms;
pub use elf::{Binary, ElfError};
pub use index::{Index, IndexError};
use kallsyms::TextSymbol;
use modules::{ModuleFile, ModuleIndex};
use paths::PathCleaner;
use source::{Dwarf, Indexed, Prefetch, SymbolSource};

/// Errors opening a symbolizer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why (in the message, not chained: said once).
        error: std::io::Error,
    },
    /// A file is not an ELF file kresym can use.
    #[error("{path} cannot be used: {reason}")]
    NotElf {
        /// The file.
        path: PathBuf,
        /// Why (in the message, not chained: said once).
        reason: ElfError,
    },
    /// The DWARF could not be parsed.
    #[error("malformed DWARF: {0}")]
    Dwarf(#[from] gimli::Error),
    /// The index asked for ([`IndexPolicy::Build`]) could not be built.
    #[error(transparent)]
    Index(Box<IndexError>),
}

/// Why a module file has no index ([`Symbolizer::index_modules`]).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ModuleIndexError {
    /// The file cannot be read.
    #[error(transparent)]
    Unreadable(std::sync::Arc<Error>),
    /// It has no build id to key an index by.
    #[error("no GNU build id")]
    NoBuildId,
    /// It has no DWARF, or its DWARF could not be indexed.
    #[error("no DWARF, or it could not be indexed")]
    NotIndexed,
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The plain options of [`Symbolizer::open`], the shorthand for a
/// [`SymbolizerBuilder`] without an index or a prefetch.
#[derive(Debug, Clone, Default)]
pub struct SymbolizerOptions {
    /// Directories searched recursively for `.ko`, `.ko.debug`, `.ko.xz` and `.ko.zst` files.
    pub module_dirs: Vec<PathBuf>,
    /// Path prefixes to strip from DWARF file names instead of the automatic
    /// build-directory detection.
    pub strip_prefixes: Vec<String>,
}

/// Symbolizes frames against one vmlinux and its modules.
#[derive(Debug)]
pub struct Symbolizer {
    vmlinux: Binary,
    index: Option<Index>,
    /// Where module indexes are looked up, and whether missing ones are built.
    module_indexes: Option<(PathBuf, bool)>,
    modules: ModuleIndex,
    strip: Option<PathCleaner>,
    /// vmlinux inline chains looked up ahead ([`SymbolizerBuilder::prefetch`]), by probe address.
    prefetched: HashMap<u64, Vec<SourceFrame>>,
    /// What the prefetch did.
    prefetch_counts: Prefetched,
    /// Annotate frames whose printed size disagrees with the binary, and
    /// reports the binary did not produce (see [`SymbolizerBuilder::allow_mismatch`]).
    allow_mismatch: bool,
}

/// What [`SymbolizerBuilder::prefetch`] did ([`Symbolizer::prefetched`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prefetched {
    /// Distinct vmlinux addresses the frames need.
    pub addresses: usize,
    /// How many of them the sweep answered; the others are looked up one
    /// by one, as their frames come.
    pub answered: usize,
}

/// What a frame asks for: the parts of a `func+0xOFF/0xSIZE [module]` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameQuery<'a> {
    /// Symbol name as printed.
    pub function: &'a str,
    /// Offset from the symbol start.
    pub offset: u64,
    /// Printed kallsyms size.
    pub size: u64,
    /// Module name, `None` for the vmlinux.
    pub module: Option<&'a str>,
    /// Module build id as printed (hex), if any.
    pub build_id: Option<&'a str>,
    /// Exact pc or return address.
    pub pc_kind: PcKind,
}

impl<'a> FrameQuery<'a> {
    /// A vmlinux frame `function+offset/size`.
    pub fn vmlinux(function: &'a str, offset: u64, size: u64, pc_kind: PcKind) -> Self {
        FrameQuery {
            function,
            offset,
            size,
            module: None,
            build_id: None,
            pc_kind,
        }
    }

    /// The pc this frame names in `symbol`, and the address to look up
    /// there: one byte back for a return address.
    fn pcs_in(&self, symbol: &TextSymbol) -> (u64, u64) {
        let pc = symbol.address.wrapping_add(self.offset);
        if self.padded_function(symbol).is_some() {
            return (pc, pc);
        }
        let lookup_pc = match self.pc_kind {
            // Saturating: a return address of 0 (a module's first function, or
            // a huge printed offset wrapping around) must not probe u64::MAX.
            PcKind::ReturnAddress => pc.saturating_sub(1),
            PcKind::ExactPc => pc,
        };
        (pc, lookup_pc)
    }

    /// For a return address `__pfx_X+0x10/0x10` (x86's padding before `X`,
    /// Linux 6.2 and later) or `__cfi_X+0x10/0x10` (clang's kCFI preamble,
    /// laid out the same way): `X`, whose entry the address is. Its own
    /// first line is looked up there, not the padding's last byte, which
    /// belongs to no line of `X`.
    fn padded_function<'s>(&self, symbol: &'s TextSymbol) -> Option<&'s str> {
        let function =
            (symbol.name.strip_prefix("__pfx_")).or_else(|| symbol.name.strip_prefix("__cfi_"))?;
        (self.pc_kind == PcKind::ReturnAddress
            && !function.is_empty()
            && self.offset == symbol.size
            && self.offset > 0)
            .then_some(function)
    }
}

impl<'a> From<&'a Frame> for FrameQuery<'a> {
    fn from(frame: &'a Frame) -> Self {
        FrameQuery {
            function: &frame.function,
            offset: frame.offset,
            size: frame.size,
            module: frame.module.as_deref(),
            build_id: frame.build_id.as_deref(),
            pc_kind: frame.pc_kind,
        }
    }
}

/// One level of an inline chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFrame {
    /// The function, from DWARF.
    pub function: Option<String>,
    /// Where, kernel-tree-relative.
    pub location: Option<SourceLocation>,
    /// Whether this level was inlined into the next one.
    pub inlined: bool,
}

/// A frame resolved to an address and its inline chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The symbol the frame names (or, for a bare address, the one containing it).
    pub symbol: String,
    /// Its start address (for a module: in the module's load layout).
    pub symbol_address: u64,
    /// Its kallsyms size in this binary.
    pub symbol_size: u64,
    /// `symbol_address + offset`.
    pub pc: u64,
    /// The address looked up: `pc - 1` for return addresses, `pc` otherwise.
    pub lookup_pc: u64,
    /// The inline chain, innermost first; the last entry is the real
    /// function. Empty when there is no line information.
    pub chain: Vec<SourceFrame>,
    /// Set when the printed size differs from this binary's (only with
    /// [`SymbolizerBuilder::allow_mismatch`]): the binary did not produce the report.
    pub size_mismatch: Option<SizeMismatch>,
    /// How many other symbols have the same name and printed size and
    /// resolve to exactly the same inline chain (out-of-line copies of a
    /// header's `static inline` function): nothing was guessed, any of them
    /// gives this answer. 0 when the symbol is unique.
    pub equivalent_symbols: usize,
    /// Set for a return address `__pfx_X+0x10/0x10` or `__cfi_X+0x10/0x10`, the end of the
    /// padding before `X`: the address is `X`'s entry, and `chain` is
    /// `X`'s first line there (`lookup_pc` is `pc`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub padding_entry: bool,
}

/// A printed size that disagrees with the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SizeMismatch {
    /// Size printed in the report.
    pub printed: u64,
    /// Size in the binary.
    pub actual: u64,
}

/// The outcome of symbolizing one frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Resolution {
    /// Found; `chain` may still be empty when the binary has no line info there.
    Resolved(Resolved),
    /// Several symbols have this name and the printed size does not pick
    /// exactly one: all candidates, not a guess.
    Ambiguous {
        /// Every candidate, resolved.
        candidates: Vec<Resolved>,
    },
    /// No text symbol of this name in the binary.
    UnknownSymbol,
    /// The printed `/0xSIZE` fits no symbol of this name in the binary: the
    /// frame does not come from this binary, and is not annotated (unless
    /// [`SymbolizerBuilder::allow_mismatch`]).
    SizeMismatch {
        /// The size printed in the report.
        printed: u64,
        /// The kallsyms size of each symbol of that name in the binary.
        actual: Vec<u64>,
    },
    /// The frame resolved, but the binary did not produce its report (see
    /// [`DocumentSymbols::checks`]): it is left unchanged, as printed.
    Withheld(Resolved),
    /// The offset is past the end of the symbol.
    OffsetOutOfRange {
        /// The symbol's kallsyms size in the binary.
        size: u64,
    },
    /// The frame names a module that was not found.
    ModuleNotFound {
        /// The module name.
        module: String,
    },
    /// The module file exists but could not be used.
    ModuleUnreadable {
        /// The module name.
        module: String,
        /// Why: the [`Error`]'s message (a resolution is report data,
        /// serialized as text).
        error: String,
    },
    /// The frame's build id matches none of the module files found.
    BuildIdMismatch {
        /// The module name.
        module: String,
        /// Build id printed in the report.
        printed: String,
        /// Build ids of the files found.
        found: Vec<String>,
    },
}

impl Symbolizer {
    /// How to open a symbolizer over `vmlinux` (see [`SymbolizerBuilder`]).
    pub fn builder<'a>(vmlinux: Binary) -> SymbolizerBuilder<'a> {
        SymbolizerBuilder::new(vmlinux)
    }

    /// Open a vmlinux and list the module files in the module directories:
    /// the builder with `options`, no index and no prefetch.
    ///
    /// Only the ELF headers are read here: the symbol table on first use,
    /// DWARF one compilation unit at a time, as frames need it.
    pub fn open(vmlinux: &Path, options: SymbolizerOptions) -> Result<Symbolizer> {
        Symbolizer::builder(Binary::open(vmlinux)?)
            .module_dirs(options.module_dirs)
            .strip_prefixes(options.strip_prefixes)
            .build()
    }

    /// A symbolizer without an index: what [`SymbolizerBuilder::build`] starts from.
    fn new(
        vmlinux: Binary,
        module_dirs: &[PathBuf],
        strip_prefixes: Vec<String>,
        allow_mismatch: bool,
    ) -> Result<Symbolizer> {
        // A module whose own line tables show no tree takes the vmlinux's.
        let roots = match module_dirs.is_empty() {
            true => Vec::new(),
            false => vmlinux.source_roots().to_vec(),
        };
        let modules = ModuleIndex::scan(module_dirs, roots).map_err(|error| Error::Io {
            path: module_dirs.first().cloned().unwrap_or_default(),
            error,
        })?;
        let strip =
            (!strip_prefixes.is_empty()).then(|| PathCleaner::with_prefixes(strip_prefixes));
        Ok(Symbolizer {
            vmlinux,
            index: None,
            module_indexes: None,
            modules,
            strip,
            prefetched: HashMap::new(),
            prefetch_counts: Prefetched::default(),
            allow_mismatch,
        })
    }

    /// The vmlinux.
    pub fn vmlinux(&self) -> &Binary {
        &self.vmlinux
    }

    /// The kernel release of the vmlinux (from its index when there is one,
    /// which spares reading the ELF symbol table).
    pub fn release(&self) -> Option<&str> {
        match &self.index {
            Some(index) => index.release(),
            None => self.vmlinux.release(),
        }
    }

    /// Build the index of the vmlinux into `dir` (in parallel, on the
    /// current rayon pool), and symbolize vmlinux frames from it from now on.
    ///
    /// The DWARF parsed for the build is dropped afterwards.
    fn build_index(&mut self, dir: &Path) -> Result<&Index, IndexError> {
        let fresh = Binary::open(self.vmlinux.path()).map_err(|e| IndexError::Open(Box::new(e)))?;
        let index = Index::build(dir, &fresh)?;
        Ok(self.index.insert(index))
    }

    /// The index vmlinux frames are symbolized from, if any.
    pub fn index(&self) -> Option<&Index> {
        self.index.as_ref()
    }

    /// What the prefetch did ([`SymbolizerBuilder::prefetch`]).
    pub fn prefetched(&self) -> Prefetched {
        self.prefetch_counts
    }

    /// Make sure every module file in the module directories has a valid
    /// index in `dir`, building the missing, stale and corrupt ones in
    /// parallel; `done` is called after each module. Returns each file with
    /// its index's size, or why it has none (no build id, no DWARF, ...).
    pub fn index_modules(
        &self,
        dir: &Path,
        done: &(dyn Fn() + Sync),
    ) -> Vec<(PathBuf, Result<u64, ModuleIndexError>)> {
        use rayon::prelude::*;
        let files: Vec<_> = self.modules.all_files().collect();
        files
            .par_iter()
            .map(|file| {
                let outcome = match file.build_id() {
                    Err(error) => Err(ModuleIndexError::Unreadable(error)),
                    Ok(None) => Err(ModuleIndexError::NoBuildId),
                    Ok(Some(_)) => file
                        .index(dir, true)
                        .map(Index::size)
                        .ok_or(ModuleIndexError::NotIndexed),
                };
                done();
                (file.path.clone(), outcome)
            })
            .collect()
    }

    /// How many module files the module directories hold.
    pub fn module_file_count(&self) -> usize {
        self.modules.all_files().count()
    }

    /// Look up at once, from DWARF, the inline chains the vmlinux frames
    /// among `frames` will need (see [`SymbolizerBuilder::prefetch`]).
    fn prefetch<'a>(&mut self, frames: impl IntoIterator<Item = FrameQuery<'a>>) {
        if self.index.is_some() || !self.vmlinux.has_dwarf() {
            return;
        }
        let symbols = self.vmlinux.symbols();
        let mut probes = Vec::new();
        for frame in frames {
            if frame.module.is_some() {
                continue;
            }
            for symbol in symbols.by_name(frame.function) {
                if frame.offset > symbol.size.max(frame.size) {
                    continue;
                }
                probes.push(frame.pcs_in(symbol).1);
            }
        }
        probes.sort_unstable();
        probes.dedup();
        probes.retain(|probe| !self.prefetched.contains_key(probe));
        let strip = self.strip.as_ref();
        let roots = self.vmlinux.source_roots();
        let answers = self.vmlinux.dwarf().sweep(&probes, |comp_dir| {
            let mut chains = source::UnitChains::new(strip, comp_dir, roots);
            move |levels: &[_]| chains.chain(levels)
        });
        self.prefetch_counts.addresses += probes.len();
        self.prefetch_counts.answered += answers.len();
        self.prefetched.extend(answers);
    }

    /// Where vmlinux symbols and chains come from.
    fn vmlinux_source(&self) -> Prefetch<'_, Indexed<'_>> {
        Prefetch {
            chains: &self.prefetched,
            source: Indexed {
                index: self.index.as_ref(),
                dwarf: Dwarf::Loaded(&self.vmlinux),
            },
        }
    }

    /// How many distinct modules the module directories hold.
    pub fn module_count(&self) -> usize {
        self.modules.len()
    }

    /// Symbolize one `func+off/size` frame.
    pub fn resolve(&self, frame: FrameQuery<'_>) -> Resolution {
        self.with_source(frame.module, frame.build_id, |source| {
            Ok(resolve_in(
                source,
                self.strip.as_ref(),
                frame,
                self.allow_mismatch,
            ))
        })
        .unwrap_or_else(|resolution| resolution)
    }

    /// Symbolize `function+offset` given without a size, as the kernel's
    /// `faddr2line` does: one answer per symbol of that name whose kallsyms
    /// size holds the offset, in address order (several for duplicate
    /// static functions: none is chosen). `frame.size` is ignored. The
    /// error says why there is no answer (unknown symbol, offset past every
    /// symbol of the name, module not found, ...).
    pub fn resolve_every(&self, frame: FrameQuery<'_>) -> Result<Vec<Resolved>, Resolution> {
        self.with_source(frame.module, frame.build_id, |source| {
            let symbols = source.symbols_named(frame.function);
            let Some(largest) = symbols.iter().map(|symbol| symbol.size).max() else {
                return Err(Resolution::UnknownSymbol);
            };
            let answers: Vec<_> = symbols
                .iter()
                .filter(|symbol| offset_in_range(frame.pc_kind, frame.offset, symbol.size))
                .map(|symbol| Resolved {
                    size_mismatch: None,
                    ..resolve_symbol(source, self.strip.as_ref(), symbol, frame)
                })
                .collect();
            if answers.is_empty() {
                return Err(Resolution::OffsetOutOfRange { size: largest });
            }
            Ok(answers)
        })
    }

    /// Ask the binary a frame is in: the vmlinux, or the module named (by
    /// its index when there is one, else its DWARF, loaded now).
    fn with_source<T>(
        &self,
        module: Option<&str>,
        build_id: Option<&str>,
        ask: impl FnOnce(&dyn SymbolSource) -> Result<T, Resolution>,
    ) -> Result<T, Resolution> {
        let Some(module) = module else {
            return ask(&self.vmlinux_source());
        };
        let file = self.module(module, build_id)?;
        let index = self
            .module_indexes
            .as_ref()
            .and_then(|(dir, build)| file.index(dir, *build));
        if index.is_none()
            && let Err(error) = file.load()
        {
            return Err(Resolution::ModuleUnreadable {
                module: module.to_owned(),
                error: error.to_string(),
            });
        }
        ask(&Indexed {
            index,
            dwarf: Dwarf::Module(file),
        })
    }

    /// Symbolize a bare vmlinux address (already corrected for KASLR).
    pub fn resolve_address(&self, address: u64, pc_kind: PcKind) -> Option<Resolved> {
        let source = self.vmlinux_source();
        let symbol = source.symbol_at(address)?;
        let query =
            FrameQuery::vmlinux(&symbol.name, address - symbol.address, symbol.size, pc_kind);
        Some(resolve_symbol(&source, self.strip.as_ref(), &symbol, query))
    }

    /// The module file for a frame: by name, and by build id when one is
    /// printed (a file of another name with that build id is accepted too,
    /// since module files are often renamed, e.g. `x.ko.debug`). Build ids
    /// are read from the files' notes; nothing is loaded here.
    fn module(&self, name: &str, build_id: Option<&str>) -> Result<&ModuleFile, Resolution> {
        let files = self.modules.files(name);
        let mut last_error = None;
        let mut found_ids = Vec::new();
        for file in files {
            match file.build_id() {
                Ok(id) => match build_id {
                    None => return Ok(file),
                    Some(wanted) => {
                        let id = id.map(hex).unwrap_or_default();
                        if id.eq_ignore_ascii_case(wanted) {
                            return Ok(file);
                        }
                        found_ids.push(id);
                    }
                },
                Err(error) => last_error = Some(error),
            }
        }
        if let Some(wanted) = build_id
            && let Some(file) = self.modules.all_files().find(|file| {
                file.build_id()
                    .ok()
                    .flatten()
                    .is_some_and(|id| hex(id).eq_ignore_ascii_case(wanted))
            })
        {
            return Ok(file);
        }
        match (build_id, last_error) {
            _ if files.is_empty() => Err(Resolution::ModuleNotFound {
                module: name.to_owned(),
            }),
            (Some(printed), _) if !found_ids.is_empty() => Err(Resolution::BuildIdMismatch {
                module: name.to_owned(),
                printed: printed.to_owned(),
                found: found_ids,
            }),
            (_, error) => Err(Resolution::ModuleUnreadable {
                module: name.to_owned(),
                error: error.map(|error| error.to_string()).unwrap_or_default(),
            }),
        }
    }
}

/// Resolve a frame against one binary; unless `allow_mismatch`, a printed
/// size that fits no symbol of the name is a [`Resolution::SizeMismatch`].
fn resolve_in(
    source: &dyn SymbolSource,
    strip: Option<&PathCleaner>,
    frame: FrameQuery<'_>,
    allow_mismatch: bool,
) -> Resolution {
    let candidates = source.symbols_named(frame.function);
    let matching: Vec<_> = candidates
        .iter()
        .filter(|s| source.size_matches(s, frame.size))
        .collect();
    if matching.is_empty() && !candidates.is_empty() && !allow_mismatch {
        return Resolution::SizeMismatch {
            printed: frame.size,
            actual: candidates.iter().map(|s| s.size).collect(),
        };
    }
    let chosen = match (candidates.as_slice(), matching.as_slice()) {
        ([], _) => return Resolution::UnknownSymbol,
        (_, [one]) => *one,
        ([only], []) => only,
        (_, []) | (_, [_, _, ..]) => {
            let pool: Vec<&TextSymbol> = if matching.is_empty() {
                candidates.iter().collect()
            } else {
                matching.clone()
            };
            let mut candidates: Vec<_> = pool
                .into_iter()
                .map(|symbol| resolve_symbol(source, strip, symbol, frame))
                .collect();
            // Copies that all say the same thing leave nothing to guess.
            let same_source = !matching.is_empty()
                && !candidates[0].chain.is_empty()
                && candidates.iter().all(|c| c.chain == candidates[0].chain);
            if same_source {
                let mut resolved = candidates.swap_remove(0);
                resolved.equivalent_symbols = candidates.len();
                return Resolution::Resolved(resolved);
            }
            return Resolution::Ambiguous { candidates };
        }
    };
    // A return address may equal the size: the kernel's `%pB` looks up
    // `address - 1`, so a call ending a noreturn function prints `f+0x10/0x10`.
    if !offset_in_range(frame.pc_kind, frame.offset, chosen.size.max(frame.size)) {
        return Resolution::OffsetOutOfRange { size: chosen.size };
    }
    Resolution::Resolved(resolve_symbol(source, strip, chosen, frame))
}

/// Whether `offset` is inside a function of `size` bytes; a return
/// address may equal the size (see [`resolve_in`]).
fn offset_in_range(pc_kind: PcKind, offset: u64, size: u64) -> bool {
    match pc_kind {
        PcKind::ReturnAddress => offset <= size,
        PcKind::ExactPc => offset < size,
    }
}

fn resolve_symbol(
    source: &dyn SymbolSource,
    strip: Option<&PathCleaner>,
    symbol: &TextSymbol,
    frame: FrameQuery<'_>,
) -> Resolved {
    let (pc, lookup_pc) = frame.pcs_in(symbol);
    let entry_of = frame.padded_function(symbol);
    let mut chain = source.inline_chain(strip, lookup_pc);
    // Where DWARF names no function for the real one (arm64's
    // `-fpatchable-function-entry` NOPs before a function's DWARF range),
    // the symbol names it, as llvm-symbolizer does.
    if let Some(outer) = chain.last_mut()
        && outer.function.is_none()
    {
        outer.function = Some(entry_of.unwrap_or(&symbol.name).to_owned());
    }
    // Rust in the kernel: DWARF names functions by their mangled linkage
    // names (v0 `_R...` or legacy `_ZN...E`); people read them demangled.
    // The symbol itself stays as the kernel printed it.
    // Only those prefixes can demangle: asking rustc-demangle about every C
    // name cost a tenth of a batch from the index.
    for level in &mut chain {
        if let Some(name) = &level.function
            && (name.starts_with("_R") || name.starts_with("_ZN"))
            && let Ok(demangled) = rustc_demangle::try_demangle(name)
        {
            level.function = Some(format!("{demangled:#}"));
        }
    }
    Resolved {
        symbol: symbol.name.clone(),
        symbol_address: symbol.address,
        symbol_size: symbol.size,
        pc,
        lookup_pc,
        chain,
        size_mismatch: (!source.size_matches(symbol, frame.size)).then_some(SizeMismatch {
            printed: frame.size,
            actual: symbol.size,
        }),
        equivalent_symbols: 0,
        padding_entry: entry_of.is_some(),
    }
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}
