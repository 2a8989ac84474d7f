//! The unit table: which compilation unit holds an address, from
//! `.debug_aranges`, and for an address it puts in no unit, whether any
//! unit covers it at all (read from each unit's root the way addr2line
//! reads it).

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use super::lines::sequence_ranges;
use super::ranges::RangeAttributes;
use super::sections::Sections;

/// Compilation units by address, from `.debug_aranges`.
pub(crate) struct UnitTable {
    /// Address ranges sorted by start.
    ranges: Vec<UnitRange>,
    /// By unit number: the unit's `.debug_info` offset.
    offsets: Vec<usize>,
    /// The ranges every unit declares itself, read on first need (see
    /// [`UnitTable::in_no_unit`]); `None` inside when some unit cannot be
    /// read that way.
    own_ranges: OnceLock<Option<Vec<gimli::Range>>>,
}

/// An address range of one compilation unit.
struct UnitRange {
    begin: u64,
    end: u64,
    /// The unit's number.
    unit: usize,
}

impl UnitTable {
    /// Read `.debug_aranges`; what cannot be read is left out.
    pub(crate) fn read(sections: &Sections) -> UnitTable {
        let mut ranges = Vec::new();
        let mut offsets = Vec::new();
        let mut headers = gimli::DebugAranges::new(sections.aranges(), sections.endian).headers();
        while let Ok(Some(header)) = headers.next() {
            let unit = offsets.len();
            offsets.push(header.debug_info_offset().0);
            let mut entries = header.entries();
            while let Ok(Some(entry)) = entries.next() {
                let range = entry.range();
                if range.begin < range.end {
                    ranges.push(UnitRange {
                        begin: range.begin,
                        end: range.end,
                        unit,
                    });
                }
            }
        }
        ranges.sort_by_key(|r| r.begin);
        UnitTable {
            ranges,
            offsets,
            own_ranges: OnceLock::new(),
        }
    }

    /// How many units `.debug_aranges` names.
    pub(crate) fn len(&self) -> usize {
        self.offsets.len()
    }

    /// The `.debug_info` offset of unit number `unit`.
    pub(crate) fn offset(&self, unit: usize) -> usize {
        self.offsets[unit]
    }

    /// The number of the unit whose ranges cover `probe`.
    pub(crate) fn unit_at(&self, probe: u64) -> Option<usize> {
        let index = self
            .ranges
            .partition_point(|r| r.begin <= probe)
            .checked_sub(1)?;
        let range = &self.ranges[index];
        (probe < range.end).then_some(range.unit)
    }

    /// Whether no compilation unit covers `probe`, for a probe `.debug_aranges`
    /// puts in no unit: then the lookup over the whole file (which reads
    /// each unit's own ranges, as addr2line does) finds nothing either.
    /// `false` when unsure: some unit states its ranges in a way this does
    /// not read.
    pub(crate) fn in_no_unit(&self, sections: &Sections, probe: u64) -> bool {
        if self.unit_at(probe).is_some() {
            return false;
        }
        let own = self
            .own_ranges
            .get_or_init(|| self.read_own_ranges(sections));
        own.as_ref()
            .is_some_and(|ranges| !ranges.iter().any(|r| r.begin <= probe && probe < r.end))
    }

    /// The ranges every compilation unit declares on its root DIE
    /// (`DW_AT_ranges`, else `DW_AT_low_pc`/`DW_AT_high_pc` for units
    /// without aranges), or failing both its line sequences, the way
    /// addr2line chooses them; `None` when a unit cannot be read this way.
    fn read_own_ranges(&self, sections: &Sections) -> Option<Vec<gimli::Range>> {
        let dwarf = sections.gimli();
        let with_aranges: HashSet<usize> = self
            .ranges
            .iter()
            .map(|range| self.offsets[range.unit])
            .collect();
        let mut ranges = Vec::new();
        let mut headers = dwarf.units();
        while let Some(header) = headers.next().ok()? {
            let offset = header.debug_info_offset()?.0;
            match header.type_() {
                gimli::UnitType::Compilation | gimli::UnitType::Skeleton(_) => {}
                gimli::UnitType::Partial | gimli::UnitType::Type { .. } => continue,
                _ => return None,
            }
            // The root's abbreviation alone spares parsing the unit's table.
            let abbreviations = Arc::new(sections.root_abbreviation(&header)?);
            let unit = gimli::Unit::new_with_abbreviations(&dwarf, header, abbreviations).ok()?;
            let unit = gimli::UnitRef::new(&dwarf, &unit);
            let mut entries = unit.entries_raw(None).ok()?;
            let root = entries.read_abbreviation().ok()??;
            let mut declared = RangeAttributes::default();
            for spec in root.attributes() {
                let attr = entries.read_attribute(*spec).ok()?;
                declared.note(unit, &attr).ok()?;
            }
            if !declared.has_list() && with_aranges.contains(&offset) {
                // addr2line takes this unit's ranges from its aranges,
                // which do not hold the probe.
                continue;
            }
            let mut own = Vec::new();
            declared.for_each(unit, |range| own.push(range)).ok()?;
            if own.is_empty() {
                // Declared none: addr2line takes the line program's sequences.
                if let Some(program) = unit.line_program.clone() {
                    own = sequence_ranges(unit, program).ok()?;
                }
            }
            ranges.extend(own);
        }
        Some(ranges)
    }

    /// `probes` grouped by the compilation unit `.debug_aranges` puts them
    /// in, as (unit offset, its probes in the order given); probes in no
    /// unit are left out.
    pub(crate) fn probes_by_unit(&self, probes: &[u64]) -> Vec<(usize, Vec<u64>)> {
        let mut groups: Vec<Vec<u64>> = Vec::new();
        groups.resize_with(self.offsets.len(), Vec::new);
        for &probe in probes {
            if let Some(unit) = self.unit_at(probe) {
                groups[unit].push(probe);
            }
        }
        groups
            .into_iter()
            .enumerate()
            .filter(|(_, probes)| !probes.is_empty())
            .map(|(unit, probes)| (self.offsets[unit], probes))
            .collect()
    }

    /// Every address where `.debug_aranges` starts or ends a unit's range:
    /// where the choice of lookup context may change.
    pub(crate) fn boundaries(&self) -> Vec<u64> {
        self.ranges
            .iter()
            .flat_map(|range| [range.begin, range.end])
            .collect()
    }
}
