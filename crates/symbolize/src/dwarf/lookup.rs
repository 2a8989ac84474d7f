//! The one-by-one lookup: addr2line's answer at an address, from a context
//! over the single compilation unit the unit table names for it.
//!
//! This is the reference every faster path is checked against: the sweep
//! answers only where it is sure to agree with it, and the index stores its
//! answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use addr2line::Context;

use super::levels::{RawLevel, RawLocation};
use super::sections::{Reader, Sections};
use super::units::UnitTable;

/// A context built on first use; `None` inside when it cannot be built.
type LazyContext = OnceLock<Option<Mutex<Context<Reader>>>>;

/// addr2line contexts, each built on first use: one per unit the unit
/// table names, and one over the whole file for what no unit context can
/// answer.
#[derive(Default)]
pub(crate) struct Contexts {
    /// By unit offset; `None` inside when the unit cannot stand alone.
    per_unit: Mutex<HashMap<usize, Arc<LazyContext>>>,
    whole: LazyContext,
}

impl Contexts {
    /// The context of the unit at `offset`, built or not.
    fn unit(&self, offset: usize) -> Arc<LazyContext> {
        let mut per_unit = self.per_unit.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(per_unit.entry(offset).or_default())
    }
}

/// The DWARF a lookup reads: the sections, their unit table and the
/// contexts built so far.
#[derive(Clone, Copy)]
pub(crate) struct Lookup<'a> {
    pub(crate) sections: &'a Sections,
    pub(crate) units: &'a UnitTable,
    pub(crate) contexts: &'a Contexts,
}

impl Lookup<'_> {
    /// Run `lookup` with an addr2line context covering `probe`.
    ///
    /// Contexts are per compilation unit: the unit table names the unit,
    /// and only that unit is parsed, once, whichever thread needs it first;
    /// so a lookup never pays for the whole DWARF, and threads never parse
    /// the same unit twice. A `Context` is `Send` but not `Sync`, so each
    /// sits behind its own lock; threads working on different units do not
    /// wait for each other. A unit whose DIEs may refer into other units, or
    /// an address no unit or several units cover, uses a context over the
    /// whole file.
    pub(crate) fn with_context<T>(
        self,
        probe: u64,
        lookup: impl FnOnce(&Context<Reader>) -> T,
    ) -> Option<T> {
        let unit =
            (self.units.unit_at(self.sections, probe)).map(|at| (at, self.contexts.unit(at)));
        if let Some((offset, lazy)) = &unit
            && let Some(context) = lazy.get_or_init(|| self.unit_context(*offset).map(Mutex::new))
        {
            let context = context.lock().unwrap_or_else(PoisonError::into_inner);
            return Some(lookup(&context));
        }
        let whole = self
            .contexts
            .whole
            .get_or_init(|| {
                Context::from_dwarf(self.sections.gimli())
                    .ok()
                    .map(Mutex::new)
            })
            .as_ref()?;
        let context = whole.lock().unwrap_or_else(PoisonError::into_inner);
        Some(lookup(&context))
    }

    /// A context over the single unit at `offset`, or `None` when the unit
    /// cannot stand alone.
    pub(crate) fn unit_context(self, offset: usize) -> Option<Context<Reader>> {
        let header = self.sections.standalone_unit(offset)?;
        let data = &self.sections.info()[offset..];
        let mut dwarf = self.sections.gimli();
        dwarf.debug_info = gimli::DebugInfo::new(
            data.get(..header.length_including_self())?,
            self.sections.endian,
        );
        dwarf.debug_aranges = gimli::DebugAranges::new(&[], self.sections.endian);
        Context::from_dwarf(dwarf).ok()
    }

    /// Run `visit` with the inline chain at `probe`, innermost first, and the
    /// compilation directory of the unit `probe` falls in; `None` when the
    /// file has no usable DWARF.
    ///
    /// This is the one place kresym asks DWARF what is at an address: the
    /// lookup and the persisted index both go through it.
    pub(crate) fn with_raw_chain<T>(
        self,
        probe: u64,
        visit: impl FnOnce(Option<&str>, &[RawLevel<'_>]) -> T,
    ) -> Option<T> {
        if self.units.in_no_unit(self.sections, probe) {
            // addr2line finds nothing there, and would first read every
            // unit of the file to be sure.
            return Some(visit(None, &[]));
        }
        self.with_context(probe, |context| {
            let comp_dir = context
                .find_dwarf_and_unit(probe)
                .skip_all_loads()
                .and_then(|unit| {
                    unit.comp_dir
                        .map(|dir| String::from_utf8_lossy(dir.slice()))
                });
            let mut levels = Vec::new();
            if let Ok(mut frames) = context.find_frames(probe).skip_all_loads() {
                while let Ok(Some(frame)) = frames.next() {
                    levels.push(RawLevel {
                        function: frame
                            .function
                            .as_ref()
                            .map(|f| String::from_utf8_lossy(f.name.slice())),
                        location: frame.location.and_then(|l| {
                            Some(RawLocation {
                                file: l.file?,
                                line: l.line?,
                                column: l.column.filter(|&c| c != 0),
                            })
                        }),
                    });
                }
            }
            visit(comp_dir.as_deref(), &levels)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::Binary;

    /// (function, file, line) of every level at `probe`.
    fn levels(context: &Context<Reader>, probe: u64) -> Vec<(String, String, u32)> {
        let mut out = Vec::new();
        let Ok(mut frames) = context.find_frames(probe).skip_all_loads() else {
            return out;
        };
        while let Ok(Some(frame)) = frames.next() {
            let name = frame
                .function
                .and_then(|f| f.raw_name().ok().map(|n| n.into_owned()))
                .unwrap_or_default();
            let (file, line) = frame
                .location
                .map(|l| (l.file.unwrap_or_default().to_owned(), l.line.unwrap_or(0)))
                .unwrap_or_default();
            out.push((name, file, line));
        }
        out
    }

    /// Each sample kernel, with addr2line's context over its whole file: gcc
    /// DWARF 5 and 4, and clang's, whose `.debug_aranges` names only the
    /// assembler units.
    fn samples() -> Vec<(&'static str, Binary, Context<Reader>)> {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples");
        [
            "build/vmlinux-dwarf5",
            "build/vmlinux-dwarf4",
            "variants/clang-dwarf5/vmlinux",
        ]
        .into_iter()
        .map(|name| {
            let binary = Binary::open(&samples.join(name)).unwrap();
            let whole = Context::from_dwarf(binary.dwarf().gimli()).unwrap();
            (name, binary, whole)
        })
        .collect()
    }

    #[test]
    fn unit_contexts_agree_with_the_whole_file_context() {
        for (name, binary, whole) in samples() {
            let lookup = binary.dwarf().lookup();
            let (mut probes, mut by_unit) = (0, 0);
            for symbol in binary.symbols().iter() {
                // The last symbol's size runs to the end of the text region.
                let end = symbol.address + symbol.size.min(0x400);
                for probe in (symbol.address..end).step_by(3) {
                    let expected = levels(&whole, probe);
                    let found = lookup.with_context(probe, |c| levels(c, probe));
                    assert_eq!(found.as_ref(), Some(&expected), "{name} at 0x{probe:x}");
                    probes += 1;
                    if (lookup.units.unit_at(lookup.sections, probe))
                        .and_then(|offset| lookup.unit_context(offset))
                        .is_some()
                    {
                        by_unit += 1;
                    }
                }
            }
            // Most lookups must take the per-unit path, in clang's kernel
            // too, whose C units have no `.debug_aranges` entries.
            assert!(
                by_unit * 10 > probes * 9,
                "{name}: {by_unit} of {probes} by unit"
            );
        }
    }
    #[test]
    fn addresses_in_no_unit_are_where_the_whole_file_context_finds_nothing() {
        for (name, binary, whole) in samples() {
            let symbols: Vec<_> = binary.symbols().iter().cloned().collect();
            let first = symbols.first().unwrap().address - 0x40;
            let last = symbols.last().unwrap().address + 0x400;
            let lookup = binary.dwarf().lookup();
            let mut nowhere = 0;
            for probe in first..last {
                if lookup.units.in_no_unit(lookup.sections, probe) {
                    nowhere += 1;
                    assert!(levels(&whole, probe).is_empty(), "{name} at 0x{probe:x}");
                    let location = whole.find_location(probe).ok().flatten();
                    assert!(location.is_none(), "{name} at 0x{probe:x}");
                }
            }
            // Before the text, past its end and between units.
            assert!(nowhere > 0x40, "{name}: {nowhere}");
        }
    }
}
