//! The lookup's answer at every address where it may change: what a
//! persisted index stores.
//!
//! What [`Lookup::with_raw_chain`] answers at an address depends only on
//! how the address compares with a finite set of boundaries: where the
//! unit table's choice of unit changes (`.debug_aranges`, or for addresses
//! it puts in no unit, the units' own ranges; see [`super::units`]), and
//! within the unit it picks, where the unit's ranges, its functions'
//! ranges and their inline calls' ranges start and end, and where its
//! line rows and sequences are. Between two consecutive boundaries the
//! answer is the same everywhere.
//!
//! Each unit is read once, by the sweep ([`UnitSweep`](super::sweep::UnitSweep)): its top level,
//! every function and its line program. The sweep then answers at the
//! unit's boundaries that the unit table puts in the unit; where it
//! declines (see the [`sweep`](super::sweep) module), `with_raw_chain`
//! answers. Most boundaries are line rows where no range starts or ends:
//! from one range boundary to the next, the function and its inline calls
//! stay what they were, and at such a row only the line row is looked up
//! ([`Answers::answer_row`]). A unit the sweep cannot read at all has the
//! start and end of every range of every DIE and every line row as
//! boundaries, all answered by `with_raw_chain`. So do the boundaries the
//! table puts in no unit (or in several), whichever unit they come from.
//!
//! A unit's boundaries that the unit table puts in another unit are left
//! out: there the answer depends on that other unit alone, whose own
//! boundaries are all there.

use gimli::UnitHeader;
use rayon::prelude::*;

use super::levels::{RawLevel, RawLocation};
use super::line_rows::for_each_row;
use super::lines::RowsKept;
use super::lookup::Lookup;
use super::ranges::subtree_ranges;
use super::sections::Reader;
use super::sweep::with_unit;

/// Boundaries in no unit's aranges evaluated per parallel task.
const CHUNK: usize = 1 << 12;

/// What [`tabulate`] hands its answers to: one part of them.
pub(crate) trait Answers {
    /// Take down the answer at `address`: `comp_dir` and `chain` are what
    /// [`Lookup::with_raw_chain`] gives (no directory and no level where
    /// it gives nothing).
    fn answer(&mut self, address: u64, comp_dir: Option<&str>, chain: &[RawLevel<'_>]);

    /// Take down the answer at `address`: the last one taken down, with a
    /// function, its innermost level now at `location` (most boundaries
    /// are line rows, where nothing else changes).
    fn answer_row(&mut self, address: u64, location: Option<&RawLocation<'_>>);
}

/// The answers at every boundary (see the module docs), in parts: each
/// part, made by `part(count)` for `count` answers, gets some of the
/// boundaries' answers, in increasing address order; every boundary goes
/// to exactly one part. Units are read in parallel on the current rayon
/// pool. Fails when a unit's DIEs or line program cannot be read where a
/// boundary might be: a unit only partly readable here might still be
/// partly readable by the lookup, and the answers must not guess.
pub(crate) fn tabulate<P: Answers + Send>(
    lookup: Lookup<'_>,
    part: impl Fn(usize) -> P + Sync,
) -> gimli::Result<Vec<P>> {
    let dwarf = lookup.sections.gimli();
    let mut offsets = Vec::new();
    let mut headers = dwarf.units();
    while let Some(header) = headers.next()? {
        offsets.extend(header.debug_info_offset().map(|offset| offset.0));
    }
    // Where the unit choice changes, with the unit each boundary is in.
    let mut chosen: Vec<(Option<usize>, u64)> =
        (lookup.units.boundaries(lookup.sections).into_iter())
            .chain([0])
            .map(|address| (owner(lookup, address), address))
            .collect();
    chosen.sort_unstable();
    let extra = |offset: usize| {
        let first = chosen.partition_point(|&(owner, _)| owner < Some(offset));
        let last = chosen.partition_point(|&(owner, _)| owner <= Some(offset));
        chosen[first..last].iter().map(|&(_, address)| address)
    };
    let per_unit: Vec<(P, Vec<u64>)> = offsets
        .par_iter()
        .map(|&offset| tabulate_unit(lookup, offset, extra(offset), &part))
        .collect::<gimli::Result<_>>()?;
    let (mut parts, nowhere): (Vec<P>, Vec<Vec<u64>>) = per_unit.into_iter().unzip();
    let mut nowhere: Vec<u64> = nowhere.into_iter().flatten().collect();
    nowhere.extend(extra_in_no_unit(&chosen));
    nowhere.sort_unstable();
    nowhere.dedup();
    parts.par_extend(nowhere.par_chunks(CHUNK).map(|chunk| {
        let mut out = part(chunk.len());
        for &address in chunk {
            ask(lookup, address, |dir, chain| {
                out.answer(address, dir, chain)
            });
        }
        out
    }));
    Ok(parts)
}

/// The `.debug_info` offset of the one unit the lookup picks for
/// `address` (see [`UnitTable::unit_at`](super::units::UnitTable::unit_at)).
fn owner(lookup: Lookup<'_>, address: u64) -> Option<usize> {
    lookup.units.unit_at(lookup.sections, address)
}

/// The unit-choice boundaries in no unit.
fn extra_in_no_unit(chosen: &[(Option<usize>, u64)]) -> impl Iterator<Item = u64> + '_ {
    chosen
        .iter()
        .take_while(|(owner, _)| owner.is_none())
        .map(|&(_, address)| address)
}

/// Answer at the boundaries of the unit at `offset` that are in it, and at
/// `extra` (the unit-choice boundaries in it), in a part of their own; return
/// it with the unit's boundaries in no unit.
fn tabulate_unit<P: Answers>(
    lookup: Lookup<'_>,
    offset: usize,
    extra: impl Iterator<Item = u64>,
    part: impl FnOnce(usize) -> P,
) -> gimli::Result<(P, Vec<u64>)> {
    with_unit(lookup, offset, RowsKept::All, |mut swept| {
        // Where ranges start or end, and where only the line row may change.
        let (mut ranges, mut rows) = (Vec::new(), Vec::new());
        match swept.as_deref_mut() {
            Some(swept) => swept.change_points(|a| ranges.push(a), |a| rows.push(a))?,
            None => every_boundary(lookup, offset, &mut ranges)?,
        }
        ranges.extend(extra);
        let mut boundaries = merge(ranges, rows);
        let mut nowhere = Vec::new();
        let mut units = lookup.units.walk(lookup.sections);
        boundaries.retain(|&(address, _)| match units.unit_at(address) {
            Some(owner) => owner == offset,
            None => {
                nowhere.push(address);
                false
            }
        });
        let comp_dir = swept.as_ref().and_then(|swept| swept.comp_dir());
        let mut out = part(boundaries.len());
        for (address, row_only) in boundaries {
            if let Some(swept) = swept.as_deref_mut().filter(|_| row_only)
                && let Some(location) = swept.answer_row(address)
            {
                out.answer_row(address, location.as_ref());
                continue;
            }
            let answered = swept.as_deref_mut().and_then(|swept| {
                swept.answer(address, |chain| {
                    out.answer(address, comp_dir.as_deref(), chain)
                })
            });
            if answered.is_none() {
                ask(lookup, address, |dir, chain| {
                    out.answer(address, dir, chain)
                });
            }
        }
        Ok((out, nowhere))
    })
}

/// `ranges` and `rows` in increasing order, each address once, with
/// whether it is in `rows` alone.
fn merge(mut ranges: Vec<u64>, mut rows: Vec<u64>) -> Vec<(u64, bool)> {
    // Mostly long sorted runs (line rows, a function's ranges): the
    // stable sort merges runs it finds, where the unstable one does not.
    ranges.sort();
    ranges.dedup();
    rows.sort();
    rows.dedup();
    let mut merged = Vec::with_capacity(ranges.len() + rows.len());
    let (mut ranges, mut rows) = (ranges.into_iter().peekable(), rows.into_iter().peekable());
    loop {
        let next = match (ranges.peek(), rows.peek()) {
            (Some(&range), Some(&row)) if row < range => (rows.next(), true),
            (Some(&range), Some(&row)) => {
                if row == range {
                    rows.next();
                }
                (ranges.next(), false)
            }
            (Some(_), None) => (ranges.next(), false),
            (None, Some(_)) => (rows.next(), true),
            (None, None) => return merged,
        };
        if let (Some(address), row_only) = next {
            merged.push((address, row_only));
        }
    }
}

/// `visit` with what [`Lookup::with_raw_chain`] answers at `address`; with
/// no directory and no level where it gives nothing.
fn ask(lookup: Lookup<'_>, address: u64, visit: impl FnOnce(Option<&str>, &[RawLevel<'_>])) {
    let mut visit = Some(visit);
    lookup.with_raw_chain(address, |dir, chain| {
        if let Some(visit) = visit.take() {
            visit(dir, chain);
        }
    });
    if let Some(visit) = visit {
        visit(None, &[]);
    }
}

/// Every boundary a unit the sweep cannot read may have: the start and end
/// of every range of every DIE, and its line rows (by kresym's line
/// engine, or gimli's where that one declines the program).
fn every_boundary(lookup: Lookup<'_>, offset: usize, out: &mut Vec<u64>) -> gimli::Result<()> {
    let dwarf = lookup.sections.gimli();
    let header: UnitHeader<Reader> =
        gimli::DebugInfo::new(lookup.sections.info(), lookup.sections.endian)
            .header_from_offset(gimli::DebugInfoOffset(offset))?;
    let unit = dwarf.unit(header)?;
    let unit = gimli::UnitRef::new(&dwarf, &unit);
    subtree_ranges(unit, None, |range| out.extend([range.begin, range.end]))?;
    if let Some(program) = unit.line_program.clone() {
        let start = out.len();
        if for_each_row(program.header(), |row| out.push(row.address)).is_err() {
            out.truncate(start);
            let mut rows = program.rows();
            while let Some((_, row)) = rows.next_row()? {
                out.push(row.address());
            }
        }
    }
    Ok(())
}

/// Every boundary of every unit, as the index build took them before it
/// used the sweep (the start and end of every range of every DIE, every
/// line row, every unit-choice boundary, and 0), each answered by
/// [`Lookup::with_raw_chain`], in address order: the reference
/// [`tabulate`] is checked against.
#[cfg(test)]
pub(crate) fn per_boundary(
    lookup: Lookup<'_>,
    mut visit: impl FnMut(u64, Option<&str>, &[RawLevel<'_>]),
) -> gimli::Result<()> {
    let mut boundaries = lookup.units.boundaries(lookup.sections);
    boundaries.push(0);
    let mut headers = lookup.sections.gimli().units();
    while let Some(header) = headers.next()? {
        if let Some(offset) = header.debug_info_offset() {
            every_boundary(lookup, offset.0, &mut boundaries)?;
        }
    }
    boundaries.sort_unstable();
    boundaries.dedup();
    for address in boundaries {
        ask(lookup, address, |dir, chain| visit(address, dir, chain));
    }
    Ok(())
}
