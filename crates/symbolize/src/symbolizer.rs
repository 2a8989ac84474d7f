//! The [`Symbolizer`]: one vmlinux and its modules, and how a frame is
//! resolved against them (the symbol, then its inline chain from the
//! index, the prefetched chains or the DWARF).

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};

use kresym_report::PcKind;

use crate::elf::Binary;
use crate::elf::kallsyms::TextSymbol;
use crate::error::{Error, IndexError, ModuleIndexError, Result, SharedError};
use crate::frame::{FrameQuery, Resolution, Resolved, SizeMismatch, SourceFrame};
use crate::index::Index;
use crate::modules::{ModuleFile, ModuleIndex};
use crate::paths::PathCleaner;
use crate::source::{self, Dwarf, Indexed, Prefetch, SymbolSource};

/// Symbolizes frames against one vmlinux and its modules.
#[derive(Debug)]
pub struct Symbolizer {
    pub(crate) vmlinux: Binary,
    pub(crate) index: Option<Index>,
    /// Where module indexes are looked up, and whether missing ones are built.
    pub(crate) module_indexes: Option<(PathBuf, bool)>,
    pub(crate) modules: ModuleIndex,
    pub(crate) strip: Option<PathCleaner>,
    /// vmlinux inline chains looked up ahead ([`SymbolizerBuilder::prefetch`](crate::SymbolizerBuilder::prefetch)), by probe address.
    pub(crate) prefetched: HashMap<u64, Vec<SourceFrame>>,
    /// What the prefetch did.
    pub(crate) prefetch_counts: Prefetched,
    /// Annotate frames whose printed size disagrees with the binary, and
    /// reports the binary did not produce (see [`SymbolizerBuilder::allow_mismatch`](crate::SymbolizerBuilder::allow_mismatch)).
    pub(crate) allow_mismatch: bool,
}

/// What [`SymbolizerBuilder::prefetch`](crate::SymbolizerBuilder::prefetch) did ([`Symbolizer::prefetched`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prefetched {
    /// Distinct vmlinux addresses the frames need.
    pub addresses: usize,
    /// How many of them the sweep answered; the others are looked up one
    /// by one, as their frames come.
    pub answered: usize,
}

impl Symbolizer {
    /// A symbolizer without an index: what [`SymbolizerBuilder::build`](crate::SymbolizerBuilder::build) starts from.
    pub(crate) fn new(
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
    pub(crate) fn build_index(&mut self, dir: &Path) -> Result<&Index, IndexError> {
        let fresh = Binary::open(self.vmlinux.path()).map_err(|e| IndexError::Open(Box::new(e)))?;
        let index = Index::build(dir, &fresh)?;
        Ok(self.index.insert(index))
    }

    /// The index vmlinux frames are symbolized from, if any.
    pub fn index(&self) -> Option<&Index> {
        self.index.as_ref()
    }

    /// What the prefetch did ([`SymbolizerBuilder::prefetch`](crate::SymbolizerBuilder::prefetch)).
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
    /// among `frames` will need (see [`SymbolizerBuilder::prefetch`](crate::SymbolizerBuilder::prefetch)).
    pub(crate) fn prefetch(&mut self, frames: &[FrameQuery<'_>]) {
        use rayon::prelude::*;
        if self.index.is_some() || !self.vmlinux.has_dwarf() {
            return;
        }
        let vmlinux = &self.vmlinux;
        let mut probes: Vec<u64> = frames
            .par_iter()
            .filter(|frame| frame.module.is_none())
            .flat_map_iter(|frame| {
                (vmlinux.symbols_named(frame.function).into_iter())
                    .filter(|symbol| frame.offset <= symbol.size.max(frame.size))
                    .map(|symbol| frame.pcs_in(symbol).1)
            })
            .collect();
        probes.par_sort_unstable();
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
                error: SharedError(error),
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
                        let id = id.map(hex::encode).unwrap_or_default();
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
                    .is_some_and(|id| hex::encode(id).eq_ignore_ascii_case(wanted))
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
            (_, Some(error)) => Err(Resolution::ModuleUnreadable {
                module: name.to_owned(),
                error: SharedError(error),
            }),
            // Not reached: with files, each either gave a build id (the
            // first is taken when none is printed, else it is in
            // `found_ids`) or an error.
            (_, None) => Err(Resolution::ModuleNotFound {
                module: name.to_owned(),
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
