//! The one decoder of the address ranges a DIE declares, used by the unit
//! table, the sweep and the index build; and the search that tells when a
//! range holding an address is found whatever the order of equal keys.
//!
//! The rules are addr2line's (`RangeAttributes::for_each_range` in its
//! `function.rs`, which the one-by-one lookup runs): `DW_AT_ranges` wins,
//! then `DW_AT_low_pc` with `DW_AT_high_pc` as an address, then with
//! `DW_AT_high_pc` as a size; empty ranges are dropped. Addresses given as
//! `.debug_addr` indexes (`DW_FORM_addrx`) and range lists given as
//! `.debug_rnglists` indexes are resolved through the unit's bases.

use gimli::AttributeValue;

use super::sections::Reader;

type UnitRef<'a> = gimli::UnitRef<'a, Reader>;

/// The address ranges a DIE declares: `DW_AT_low_pc` with `DW_AT_high_pc`
/// (an address or a size), or `DW_AT_ranges`.
#[derive(Default)]
pub(crate) struct RangeAttributes {
    low_pc: Option<u64>,
    high_pc: Option<u64>,
    size: Option<u64>,
    ranges: Option<gimli::RangeListsOffset<usize>>,
}

impl RangeAttributes {
    /// Note `attr` if it is one of the range attributes.
    pub(crate) fn note(
        &mut self,
        unit: UnitRef<'_>,
        attr: &gimli::Attribute<Reader>,
    ) -> gimli::Result<()> {
        match (attr.name(), attr.value()) {
            (gimli::DW_AT_low_pc, AttributeValue::Addr(address)) => self.low_pc = Some(address),
            (gimli::DW_AT_low_pc, AttributeValue::DebugAddrIndex(index)) => {
                self.low_pc = Some(unit.address(index)?);
            }
            (gimli::DW_AT_high_pc, AttributeValue::Addr(address)) => self.high_pc = Some(address),
            (gimli::DW_AT_high_pc, AttributeValue::DebugAddrIndex(index)) => {
                self.high_pc = Some(unit.address(index)?);
            }
            (gimli::DW_AT_high_pc, AttributeValue::Udata(size)) => self.size = Some(size),
            (gimli::DW_AT_ranges, value) => self.ranges = unit.attr_ranges_offset(value)?,
            _ => {}
        }
        Ok(())
    }

    /// Whether `DW_AT_ranges` was noted.
    pub(crate) fn has_list(&self) -> bool {
        self.ranges.is_some()
    }

    /// Call `add` for each non-empty range, `DW_AT_ranges` first; whether
    /// there was any.
    pub(crate) fn for_each(
        &self,
        unit: UnitRef<'_>,
        mut add: impl FnMut(gimli::Range),
    ) -> gimli::Result<bool> {
        let mut any = false;
        let mut push = |range: gimli::Range| {
            if range.begin < range.end {
                add(range);
                any = true;
            }
        };
        if let Some(offset) = self.ranges {
            let mut list = unit.ranges(offset)?;
            while let Some(range) = list.next()? {
                push(range);
            }
        } else if let (Some(begin), Some(end)) = (self.low_pc, self.high_pc) {
            push(gimli::Range { begin, end });
        } else if let (Some(begin), Some(size)) = (self.low_pc, self.size) {
            push(gimli::Range {
                begin,
                end: begin.wrapping_add(size),
            });
        }
        Ok(any)
    }
}

/// Whether an abbreviation declares any range attribute.
pub(crate) fn declares_ranges(abbrev: &gimli::Abbreviation) -> bool {
    abbrev.attributes().iter().any(|spec| {
        matches!(
            spec.name(),
            gimli::DW_AT_low_pc | gimli::DW_AT_high_pc | gimli::DW_AT_ranges
        )
    })
}

/// What a binary search over ranges sorted by start is sure to find.
pub(crate) enum Container<'a, T> {
    /// Exactly this range holds the address, and the search finds it.
    One(&'a T),
    /// No range holds the address.
    None,
    /// Overlapping ranges, or ties in start, could make the search's
    /// answer depend on the order of equal keys.
    Unsure,
}

/// The range of `sorted` (by start) holding `probe`, when a binary search
/// over them finds it whatever order equal starts are in: it is the only
/// range holding `probe`, and it starts after every other range that starts
/// at or before `probe`.
pub(crate) fn unique_container<T>(
    sorted: &[T],
    probe: u64,
    range: impl Fn(&T) -> gimli::Range,
) -> Container<'_, T> {
    let before = sorted.partition_point(|item| range(item).begin <= probe);
    let Some(last) = before.checked_sub(1) else {
        return Container::None;
    };
    let candidate = range(&sorted[last]);
    let others_hold = sorted[..last].iter().any(|item| range(item).end > probe);
    let tied = last > 0 && range(&sorted[last - 1]).begin == candidate.begin;
    match (candidate.end > probe, others_hold) {
        (true, false) if !tied => Container::One(&sorted[last]),
        (false, false) => Container::None,
        _ => Container::Unsure,
    }
}
