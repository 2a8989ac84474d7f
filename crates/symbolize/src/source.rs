//! Where symbols and inline chains come from: a binary's DWARF, or a
//! vmlinux's persisted index.

use foldhash::{HashMap, HashMapExt};
use std::borrow::Cow;

use kresym_report::SourceLocation;

use crate::dwarf::RawLevel;
use crate::elf::Binary;
use crate::elf::kallsyms::TextSymbol;
use crate::frame::SourceFrame;
use crate::index::Index;
use crate::modules::ModuleFile;
use crate::paths::PathCleaner;

/// What resolving a frame needs to know about one binary.
pub(crate) trait SymbolSource {
    /// Every text symbol a report may print as `name`, in address order:
    /// of this exact name, or cut to it as the kernel prints ThinLTO's
    /// `.llvm.<hash>` names (see [`crate::kallsyms::printed_name`]).
    fn symbols_named(&self, name: &str) -> Vec<TextSymbol>;
    /// The text symbol containing `address`.
    fn symbol_at(&self, address: u64) -> Option<TextSymbol>;
    /// Whether a printed `/0xSIZE` fits `symbol`.
    fn size_matches(&self, symbol: &TextSymbol, printed: u64) -> bool;
    /// The inline chain at `probe`, innermost first; paths made
    /// tree-relative with `strip` when given, otherwise from the
    /// compilation directory of the unit `probe` falls in.
    fn inline_chain(&self, strip: Option<&PathCleaner>, probe: u64) -> Vec<SourceFrame>;
}

impl SymbolSource for Binary {
    fn symbols_named(&self, name: &str) -> Vec<TextSymbol> {
        Binary::symbols_named(self, name)
            .into_iter()
            .cloned()
            .collect()
    }

    fn symbol_at(&self, address: u64) -> Option<TextSymbol> {
        self.symbols().by_address(address).cloned()
    }

    fn size_matches(&self, symbol: &TextSymbol, printed: u64) -> bool {
        Binary::size_matches(self, symbol, printed)
    }

    fn inline_chain(&self, strip: Option<&PathCleaner>, probe: u64) -> Vec<SourceFrame> {
        self.dwarf()
            .with_raw_chain(probe, |comp_dir, levels| {
                UnitChains::new(strip, comp_dir, self.source_roots()).chain(levels)
            })
            .unwrap_or_default()
    }
}

/// Builds the chains of one compilation unit, cleaning each distinct
/// path once.
pub(crate) struct UnitChains<'a> {
    paths: Cow<'a, PathCleaner>,
    /// Cleaned paths by DWARF path.
    files: HashMap<String, String>,
}

impl<'a> UnitChains<'a> {
    /// Paths made tree-relative with `strip`, or else from the binary's
    /// tree `roots` and the unit's compilation directory `comp_dir`.
    pub(crate) fn new(
        strip: Option<&'a PathCleaner>,
        comp_dir: Option<&str>,
        roots: &[String],
    ) -> Self {
        UnitChains {
            paths: match strip {
                Some(strip) => Cow::Borrowed(strip),
                None => Cow::Owned(PathCleaner::from_comp_dirs(comp_dir).with_roots(roots)),
            },
            files: HashMap::new(),
        }
    }

    /// DWARF's levels as a chain; the outermost is not inlined.
    pub(crate) fn chain(&mut self, levels: &[RawLevel<'_>]) -> Vec<SourceFrame> {
        let mut chain: Vec<SourceFrame> = levels
            .iter()
            .map(|level| SourceFrame {
                function: level.function.as_deref().map(str::to_owned),
                location: level.location.as_ref().map(|l| SourceLocation {
                    file: self.clean(l.file),
                    line: l.line,
                    column: l.column,
                }),
                inlined: true,
            })
            .collect();
        if let Some(outer) = chain.last_mut() {
            outer.inlined = false;
        }
        chain
    }

    fn clean(&mut self, file: &str) -> String {
        if let Some(clean) = self.files.get(file) {
            return clean.clone();
        }
        let clean = self.paths.clean(file);
        self.files.insert(file.to_owned(), clean.clone());
        clean
    }
}

/// A source with some inline chains already looked up, by probe address.
pub(crate) struct Prefetch<'a, S> {
    /// The chains looked up ahead.
    pub(crate) chains: &'a HashMap<u64, Vec<SourceFrame>>,
    /// Where everything else comes from.
    pub(crate) source: S,
}

impl<S: SymbolSource> SymbolSource for Prefetch<'_, S> {
    fn symbols_named(&self, name: &str) -> Vec<TextSymbol> {
        self.source.symbols_named(name)
    }

    fn symbol_at(&self, address: u64) -> Option<TextSymbol> {
        self.source.symbol_at(address)
    }

    fn size_matches(&self, symbol: &TextSymbol, printed: u64) -> bool {
        self.source.size_matches(symbol, printed)
    }

    fn inline_chain(&self, strip: Option<&PathCleaner>, probe: u64) -> Vec<SourceFrame> {
        match self.chains.get(&probe) {
            Some(chain) => chain.clone(),
            None => self.source.inline_chain(strip, probe),
        }
    }
}

/// Where the DWARF behind an index is: a loaded binary, or a module file
/// loaded only if the index cannot answer.
pub(crate) enum Dwarf<'a> {
    /// Already loaded (the vmlinux).
    Loaded(&'a Binary),
    /// A module file, loaded on first need.
    Module(&'a ModuleFile),
}

impl Dwarf<'_> {
    fn with<T>(&self, ask: impl FnOnce(&Binary) -> T) -> Option<T> {
        match self {
            Dwarf::Loaded(binary) => Some(ask(binary)),
            Dwarf::Module(file) => file.load().ok().map(|binary| ask(&binary)),
        }
    }
}

/// A binary through its index when there is one, with DWARF answering
/// whatever the index cannot (only ever an index damaged in a way its
/// checksum missed).
pub(crate) struct Indexed<'a> {
    /// The index, if one is in use.
    pub(crate) index: Option<&'a Index>,
    /// The binary it indexes.
    pub(crate) dwarf: Dwarf<'a>,
}

impl SymbolSource for Indexed<'_> {
    fn symbols_named(&self, name: &str) -> Vec<TextSymbol> {
        self.index
            .and_then(|index| {
                let mut symbols = index.symbols_named(name)?;
                symbols.extend(index.symbols_printed_as(name));
                symbols.sort_by(|a, b| a.address.cmp(&b.address).then_with(|| a.name.cmp(&b.name)));
                Some(symbols)
            })
            .or_else(|| self.dwarf.with(|b| SymbolSource::symbols_named(b, name)))
            .unwrap_or_default()
    }

    fn symbol_at(&self, address: u64) -> Option<TextSymbol> {
        self.index
            .and_then(|index| index.symbol_at(address))
            .or_else(|| self.dwarf.with(|b| b.symbol_at(address)))
            .flatten()
    }

    fn size_matches(&self, symbol: &TextSymbol, printed: u64) -> bool {
        match self.index {
            Some(index) => index.size_matches(symbol, printed),
            None => self
                .dwarf
                .with(|b| b.size_matches(symbol, printed))
                .unwrap_or(false),
        }
    }

    fn inline_chain(&self, strip: Option<&PathCleaner>, probe: u64) -> Vec<SourceFrame> {
        self.index
            .and_then(|index| index.inline_chain(strip, probe))
            .or_else(|| self.dwarf.with(|b| b.inline_chain(strip, probe)))
            .unwrap_or_default()
    }
}
