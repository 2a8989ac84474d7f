//! The DWARF of one binary: its sections, the unit table, and the ways to
//! ask what is at an address. Nothing here knows ELF: the `elf` side loads
//! (and for a module, relocates) the sections and hands them over.
//!
//! - [`sections`]: the section bytes, unit headers and abbreviations read
//!   straight from them;
//! - [`units`]: the unit table (`.debug_aranges`, and for addresses it
//!   puts in no unit, each unit's own ranges, as addr2line picks them);
//! - [`ranges`]: the one decoder of `DW_AT_low_pc`/`DW_AT_high_pc`/
//!   `DW_AT_ranges`, used by the unit table, the sweep and the index build,
//!   and the table that finds the one range holding an address;
//! - [`line_rows`]: kresym's line-program engine, used by the sweep and the
//!   index build; [`lines`] keeps a unit's rows with it, answers probes and
//!   renders paths as addr2line does;
//! - [`source_root`]: where the source and object trees are, from the
//!   paths the line tables name (for tree-relative paths);
//! - [`lookup`]: the one-by-one lookup through addr2line, the reference;
//! - [`sweep`]: a batch of lookups in one pass over each unit, answering
//!   exactly what the lookup answers;
//! - [`tabulate`]: the lookup's answer at every address where it may
//!   change, for the index: every unit swept whole, the lookup answering
//!   where the sweep declines.
//!
//! Two line-program engines remain: the lookup's is addr2line's (gimli's
//! rows), because the lookup *is* addr2line, the reference the others are
//! compared with; kresym's own runs everywhere else (the sweep, the unit
//! table, and the index build, which falls back to gimli's rows only for a
//! unit the sweep cannot read whose program kresym's engine declines:
//! `DW_LNE_define_file` or VLIW `op_index`, which no kernel has).

mod levels;
mod line_rows;
mod lines;
mod lookup;
mod ranges;
mod sections;
mod source_root;
mod sweep;
mod tabulate;
mod units;

use std::sync::OnceLock;

use crate::once::get_or_compute;

pub(crate) use levels::{RawLevel, RawLocation};
pub(crate) use lookup::Lookup;
pub(crate) use sections::{NEEDED_SECTIONS, Reader, Sections};
pub(crate) use tabulate::Answers;

#[cfg(test)]
pub(crate) use tabulate::per_boundary;

use lookup::Contexts;
use units::UnitTable;

/// The DWARF of one binary, shared between threads: the sections are
/// read-only, and the unit table and each unit's addr2line context are
/// built on first use, once, by whichever thread needs them first.
pub(crate) struct DwarfInfo {
    // Contexts borrow the sections' bytes: dropped first.
    lookup: OnceLock<(UnitTable, Contexts)>,
    source_roots: OnceLock<Vec<String>>,
    sections: Sections,
}

impl DwarfInfo {
    /// The DWARF in `sections` (see [`NEEDED_SECTIONS`]).
    pub(crate) fn new(sections: Sections) -> Self {
        DwarfInfo {
            lookup: OnceLock::new(),
            source_roots: OnceLock::new(),
            sections,
        }
    }

    /// The source and object tree roots the line tables show, read once
    /// (see [`source_root`] and [`get_or_compute`]).
    pub(crate) fn source_roots(&self) -> &[String] {
        get_or_compute(&self.source_roots, || source_root::detect(&self.sections)).as_slice()
    }

    /// Take `roots` as the tree roots when the line tables show none (a
    /// module whose units name no `arch/*/include` header takes the
    /// vmlinux's).
    pub(crate) fn fall_back_to_source_roots(&self, roots: &[String]) {
        get_or_compute(&self.source_roots, || {
            let own = source_root::detect(&self.sections);
            if own.is_empty() { roots.to_vec() } else { own }
        });
    }

    /// gimli's view of the sections.
    #[cfg(test)]
    pub(crate) fn gimli(&self) -> gimli::Dwarf<Reader> {
        self.sections.gimli()
    }

    /// The sections, the unit table (read now, on first call) and the
    /// contexts: what a lookup or a sweep reads.
    pub(crate) fn lookup(&self) -> Lookup<'_> {
        let (units, contexts) = self.lookup.get_or_init(|| {
            let units = UnitTable::read(&self.sections);
            let contexts = Contexts::default();
            (units, contexts)
        });
        Lookup {
            sections: &self.sections,
            units,
            contexts,
        }
    }

    /// Run `visit` with the inline chain at `probe` (see
    /// [`Lookup::with_raw_chain`]).
    pub(crate) fn with_raw_chain<T>(
        &self,
        probe: u64,
        visit: impl FnOnce(Option<&str>, &[RawLevel<'_>]) -> T,
    ) -> Option<T> {
        self.lookup().with_raw_chain(probe, visit)
    }

    /// The answers a sweep can give at `probes` (see [`sweep::sweep`]).
    pub(crate) fn sweep<T: Send, V: FnMut(&[RawLevel<'_>]) -> T>(
        &self,
        probes: &[u64],
        visitor: impl Fn(Option<&str>) -> V + Sync,
    ) -> Vec<(u64, T)> {
        sweep::sweep(self.lookup(), probes, visitor)
    }

    /// The lookup's answers at every address where they may change, in
    /// parts (see [`tabulate::tabulate`]).
    pub(crate) fn tabulate<P: Answers + Send>(
        &self,
        part: impl Fn(usize) -> P + Sync,
    ) -> gimli::Result<Vec<P>> {
        tabulate::tabulate(self.lookup(), part)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::mpsc;
    use std::time::Duration;

    use rayon::prelude::*;

    use crate::Binary;

    /// A thread outside the pool asking for the roots while every pool
    /// thread asks too gets them, as do the pool threads: reading them
    /// runs on the pool, so no pool thread may wait for a lock held while
    /// they are read.
    #[test]
    fn roots_asked_for_in_and_out_of_the_pool_at_once_are_found() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../vmlinux-samples/build/vmlinux-dwarf5");
        let expected = Binary::open(&path).unwrap().source_roots().to_vec();
        assert!(!expected.is_empty());
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            for _ in 0..10 {
                let binary = Binary::open(&path).unwrap();
                let (outside, inside) = std::thread::scope(|scope| {
                    // Every pool thread busy, then asking.
                    let inside = scope.spawn(|| {
                        let threads = rayon::current_num_threads();
                        (0..4 * threads)
                            .into_par_iter()
                            .map(|_| {
                                std::thread::sleep(Duration::from_millis(20));
                                binary.source_roots().to_vec()
                            })
                            .collect::<Vec<_>>()
                    });
                    // Meanwhile, a thread outside the pool asks first.
                    std::thread::sleep(Duration::from_millis(5));
                    let outside = binary.source_roots().to_vec();
                    (outside, inside.join().unwrap())
                });
                assert_eq!(outside, expected);
                assert!(inside.iter().all(|roots| *roots == expected));
            }
            done.send(()).unwrap();
        });
        finished
            .recv_timeout(Duration::from_secs(120))
            .expect("the threads asking for the roots are stuck");
    }
}
