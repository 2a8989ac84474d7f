//! The unit table: which compilation unit holds an address.
//!
//! `.debug_aranges` answers first, as it is read at once and small. For an
//! address it puts in no unit, every unit's ranges are read (once, on
//! first need, the units in parallel, each unit's root without its line
//! program) as addr2line chooses them (`ResUnits::parse` in its
//! `unit.rs`): the root's `DW_AT_ranges`, else the unit's `.debug_aranges`
//! entries, else the root's `DW_AT_low_pc`/`DW_AT_high_pc`, else its line
//! sequences. So a unit `.debug_aranges` leaves out (clang writes aranges
//! for C units only with `-gdwarf-aranges`) is found by its own ranges, and
//! an address no unit covers is known to be in none.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::lines::sequence_ranges;
use super::ranges::{RangeAttributes, partition_point_near};
use super::sections::{Reader, Sections, unit_without_lines};

/// Compilation units by address, named by their `.debug_info` offsets.
pub(crate) struct UnitTable {
    /// `.debug_aranges`' ranges, sorted by start.
    listed: Vec<Segment>,
    /// Every unit's ranges, read on first need (see [`UnitTable::unit_at`]).
    all: OnceLock<AllUnits>,
}

/// Addresses covered by the same units.
struct Segment {
    begin: u64,
    end: u64,
    /// The unit's `.debug_info` offset, or `None` when several units cover
    /// the range (then addr2line tries them in an order of its own).
    unit: Option<usize>,
}

/// Every unit's ranges as addr2line chooses them.
struct AllUnits {
    /// Disjoint, sorted by start; addresses between them are in no unit.
    segments: Vec<Segment>,
    /// Whether every unit's ranges were read: if not, an address in no
    /// segment may still lie in some unit.
    complete: bool,
}

impl UnitTable {
    /// Read `.debug_aranges`; what cannot be read is left out.
    pub(crate) fn read(sections: &Sections) -> UnitTable {
        let mut listed: Vec<Segment> = read_aranges(sections)
            .into_iter()
            .flat_map(|(offset, ranges)| {
                ranges.into_iter().map(move |range| Segment {
                    begin: range.begin,
                    end: range.end,
                    unit: Some(offset),
                })
            })
            .collect();
        listed.sort_by_key(|segment| segment.begin);
        UnitTable {
            listed,
            all: OnceLock::new(),
        }
    }

    /// The `.debug_info` offset of the one unit whose ranges cover `probe`:
    /// the unit `.debug_aranges` names, else, when exactly one unit's own
    /// ranges cover it, that unit; `None` when no unit or several do.
    pub(crate) fn unit_at(&self, sections: &Sections, probe: u64) -> Option<usize> {
        match segment_at(&self.listed, probe) {
            Some(segment) => segment.unit,
            None => segment_at(&self.all(sections).segments, probe)?.unit,
        }
    }

    /// [`UnitTable::unit_at`] for many probes in increasing order, each
    /// search going on from where the last one stopped.
    pub(crate) fn walk<'a>(&'a self, sections: &'a Sections) -> UnitWalk<'a> {
        UnitWalk {
            table: self,
            sections,
            listed: SegmentWalk::new(&self.listed),
            all: None,
        }
    }

    /// Whether `.debug_aranges` covers `probe`: then [`UnitTable::unit_at`]
    /// answers without reading every unit's ranges.
    pub(crate) fn is_listed(&self, probe: u64) -> bool {
        segment_at(&self.listed, probe).is_some()
    }

    /// Whether no compilation unit covers `probe`: then the lookup over the
    /// whole file (which reads each unit's ranges, as addr2line does) finds
    /// nothing either. `false` when unsure: some unit's ranges could not be
    /// read.
    pub(crate) fn in_no_unit(&self, sections: &Sections, probe: u64) -> bool {
        if segment_at(&self.listed, probe).is_some() {
            return false;
        }
        let all = self.all(sections);
        all.complete && segment_at(&all.segments, probe).is_none()
    }

    /// `probes` grouped by the one unit that covers them (see
    /// [`UnitTable::unit_at`]), as (unit offset, its probes in the order
    /// given); probes in no unit or in several are left out.
    pub(crate) fn probes_by_unit(
        &self,
        sections: &Sections,
        probes: &[u64],
    ) -> Vec<(usize, Vec<u64>)> {
        let mut groups: HashMap<usize, Vec<u64>> = HashMap::new();
        for &probe in probes {
            if let Some(unit) = self.unit_at(sections, probe) {
                groups.entry(unit).or_default().push(probe);
            }
        }
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_unstable_by_key(|(unit, _)| *unit);
        groups
    }

    /// Every address where `.debug_aranges` or some unit's own ranges start
    /// or end: where the choice of lookup context may change.
    pub(crate) fn boundaries(&self, sections: &Sections) -> Vec<u64> {
        self.listed
            .iter()
            .chain(&self.all(sections).segments)
            .flat_map(|segment| [segment.begin, segment.end])
            .collect()
    }

    /// Every unit's ranges, read now on first call (see
    /// [`get_or_compute`](crate::once::get_or_compute)).
    fn all(&self, sections: &Sections) -> &AllUnits {
        crate::once::get_or_compute(&self.all, || read_all(sections, &self.listed))
    }
}

/// [`UnitTable::unit_at`] over probes in increasing order (see
/// [`UnitTable::walk`]).
pub(crate) struct UnitWalk<'a> {
    table: &'a UnitTable,
    sections: &'a Sections,
    listed: SegmentWalk<'a>,
    /// Every unit's ranges, once a probe is not in `.debug_aranges`.
    all: Option<SegmentWalk<'a>>,
}

impl UnitWalk<'_> {
    /// What [`UnitTable::unit_at`] answers at `probe`.
    pub(crate) fn unit_at(&mut self, probe: u64) -> Option<usize> {
        if let Some(segment) = self.listed.at(probe) {
            return segment.unit;
        }
        let (table, sections) = (self.table, self.sections);
        let all = (self.all).get_or_insert_with(|| SegmentWalk::new(&table.all(sections).segments));
        all.at(probe)?.unit
    }
}

/// [`segment_at`] over probes in increasing order (see
/// [`partition_point_near`]).
struct SegmentWalk<'a> {
    segments: &'a [Segment],
    /// How many segments start at or before the last probe.
    started: usize,
}

impl<'a> SegmentWalk<'a> {
    fn new(segments: &'a [Segment]) -> Self {
        SegmentWalk {
            segments,
            started: 0,
        }
    }

    /// [`segment_at`]`(segments, probe)`.
    fn at(&mut self, probe: u64) -> Option<&'a Segment> {
        let started = partition_point_near(self.segments, &mut self.started, |s| s.begin <= probe);
        let segment = &self.segments[started.checked_sub(1)?];
        (probe < segment.end).then_some(segment)
    }
}

/// The segment of `segments` (sorted by start) holding `probe`, of those
/// starting last at or before it.
fn segment_at(segments: &[Segment], probe: u64) -> Option<&Segment> {
    let index = segments
        .partition_point(|s| s.begin <= probe)
        .checked_sub(1)?;
    let segment = &segments[index];
    (probe < segment.end).then_some(segment)
}

/// Every compilation unit's ranges as addr2line chooses them, the units
/// read in parallel; `listed` is the table's `.debug_aranges`.
fn read_all(sections: &Sections, listed: &[Segment]) -> AllUnits {
    // `.debug_aranges` again, by unit: what the table already holds.
    let mut aranges: HashMap<usize, Vec<gimli::Range>> = HashMap::new();
    for segment in listed {
        if let Some(unit) = segment.unit {
            let range = gimli::Range {
                begin: segment.begin,
                end: segment.end,
            };
            aranges.entry(unit).or_default().push(range);
        }
    }
    let mut headers = Vec::new();
    let mut complete = true;
    let mut units = sections.gimli().units();
    loop {
        match units.next() {
            Ok(Some(header)) => headers.push(header),
            Ok(None) => break,
            Err(_) => {
                complete = false;
                break;
            }
        }
    }
    let read: Vec<Option<Vec<(gimli::Range, usize)>>> = headers
        .into_par_iter()
        .filter_map(|header| {
            let offset = header.debug_info_offset()?.0;
            let listed = aranges.get(&offset).map(Vec::as_slice);
            let own = match header.type_() {
                gimli::UnitType::Compilation | gimli::UnitType::Skeleton(_) => {
                    own_ranges(sections, header, listed)
                }
                gimli::UnitType::Partial | gimli::UnitType::Type { .. } => return None,
                _ => None,
            };
            Some(own.map(|own| own.into_iter().map(|range| (range, offset)).collect()))
        })
        .collect();
    complete &= read.iter().all(Option::is_some);
    AllUnits {
        segments: segments(read.into_iter().flatten().flatten().collect()),
        complete,
    }
}

/// The non-empty `.debug_aranges` ranges by unit offset; a unit may have
/// several sets (addr2line takes them all). What cannot be read is left
/// out.
fn read_aranges(sections: &Sections) -> HashMap<usize, Vec<gimli::Range>> {
    let mut by_unit: HashMap<usize, Vec<gimli::Range>> = HashMap::new();
    let mut headers = gimli::DebugAranges::new(sections.aranges(), sections.endian).headers();
    while let Ok(Some(header)) = headers.next() {
        let listed = by_unit.entry(header.debug_info_offset().0).or_default();
        let mut entries = header.entries();
        while let Ok(Some(entry)) = entries.next() {
            let range = entry.range();
            if range.begin < range.end {
                listed.push(range);
            }
        }
    }
    by_unit
}

/// The ranges addr2line gives a compilation unit: its root's
/// `DW_AT_ranges`, else `listed` (its `.debug_aranges` entries) when there
/// are any, else its root's `DW_AT_low_pc`/`DW_AT_high_pc`, else its line
/// sequences; `None` when the unit cannot be read this way.
fn own_ranges(
    sections: &Sections,
    header: gimli::UnitHeader<Reader>,
    listed: Option<&[gimli::Range]>,
) -> Option<Vec<gimli::Range>> {
    let dwarf = sections.gimli();
    // The root's abbreviation alone spares parsing the unit's table, and a
    // unit without its line program spares parsing the program's header.
    let abbreviations = Arc::new(sections.root_abbreviation(&header)?);
    let unit = unit_without_lines(&dwarf, header, abbreviations)?;
    let unit = gimli::UnitRef::new(&dwarf, &unit);
    let mut entries = unit.entries_raw(None).ok()?;
    let root = entries.read_abbreviation().ok()??;
    let mut declared = RangeAttributes::default();
    for spec in root.attributes() {
        let attr = entries.read_attribute(*spec).ok()?;
        declared.note(unit, &attr).ok()?;
    }
    if !declared.has_list()
        && let Some(listed) = listed.filter(|listed| !listed.is_empty())
    {
        return Some(listed.to_vec());
    }
    let mut own = Vec::new();
    declared.for_each(unit, |range| own.push(range)).ok()?;
    if own.is_empty() {
        // Declared none: addr2line takes the line program's sequences.
        let unit = dwarf.unit(header).ok()?;
        if let Some(program) = unit.line_program.clone() {
            own = sequence_ranges(unit.unit_ref(&dwarf), program).ok()?;
        }
    }
    Some(own)
}

/// The disjoint segments `ranges` (range, unit offset) make, each with
/// the one unit covering it or `None` for several; adjacent segments of
/// the same unit are merged.
fn segments(ranges: Vec<(gimli::Range, usize)>) -> Vec<Segment> {
    let mut events: Vec<(u64, bool, usize)> = ranges
        .into_iter()
        .filter(|(range, _)| range.begin < range.end)
        .flat_map(|(range, unit)| [(range.begin, true, unit), (range.end, false, unit)])
        .collect();
    events.sort_unstable();
    // How many ranges of each unit cover the current address.
    let mut open: HashMap<usize, usize> = HashMap::new();
    let mut segments: Vec<Segment> = Vec::new();
    let mut at = 0;
    while at < events.len() {
        let address = events[at].0;
        while let Some(&(_, starts, unit)) = events.get(at).filter(|e| e.0 == address) {
            if starts {
                *open.entry(unit).or_default() += 1;
            } else if let Some(count) = open.get_mut(&unit) {
                *count -= 1;
                if *count == 0 {
                    open.remove(&unit);
                }
            }
            at += 1;
        }
        let Some(&(end, _, _)) = events.get(at) else {
            break;
        };
        let unit = match open.len() {
            0 => continue,
            1 => open.keys().next().copied(),
            _ => None,
        };
        match segments.last_mut() {
            Some(last) if last.end == address && last.unit == unit => last.end = end,
            _ => segments.push(Segment {
                begin: address,
                end,
                unit,
            }),
        }
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_finds_the_segment_a_search_finds() {
        // Overlapping and adjacent segments, gaps, a long run of small ones.
        let mut segments = vec![
            (0x100, 0x200, Some(1)),
            (0x180, 0x190, Some(2)),
            (0x200, 0x210, None),
            (0x400, 0x800, Some(3)),
        ];
        segments.extend((0..40).map(|i| (0x1000 + i * 0x10, 0x1008 + i * 0x10, Some(i as usize))));
        let segments: Vec<Segment> = (segments.into_iter())
            .map(|(begin, end, unit)| Segment { begin, end, unit })
            .collect();
        let unit = |segment: Option<&Segment>| segment.map(|s| (s.begin, s.unit));
        let mut probes: Vec<u64> = (0..0x1400).step_by(3).collect();
        // Probes repeat, and one goes back.
        probes.extend([0x1400, 0x1400, 0x150, 0x185, 0x1200]);
        let mut walk = SegmentWalk::new(&segments);
        for probe in probes {
            assert_eq!(
                unit(walk.at(probe)),
                unit(segment_at(&segments, probe)),
                "{probe:#x}"
            );
        }
    }
}
