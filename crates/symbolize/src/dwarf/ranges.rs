//! The one decoder of the address ranges a DIE declares, used by the unit
//! table, the sweep and the index build; the table that tells when a
//! range holding an address is found whatever the order of equal keys;
//! and the search those tables share, which probes in increasing order
//! (the sweep's, the index build's) make cheap.
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
        // Most attributes are none of these: their values are not decoded.
        let name = attr.name();
        if !matches!(
            name,
            gimli::DW_AT_low_pc | gimli::DW_AT_high_pc | gimli::DW_AT_ranges
        ) {
            return Ok(());
        }
        match (name, attr.value()) {
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

/// Call `add` with every range of every DIE of the subtree at `root`, or
/// of the whole unit when `root` is `None`.
pub(crate) fn subtree_ranges(
    unit: UnitRef<'_>,
    root: Option<gimli::UnitOffset<usize>>,
    mut add: impl FnMut(&gimli::Range),
) -> gimli::Result<()> {
    let mut entries = unit.entries_raw(root)?;
    let depth = entries.next_depth();
    let mut first = true;
    while !entries.is_empty() {
        if root.is_some() && !std::mem::take(&mut first) && entries.next_depth() <= depth {
            break;
        }
        let Some(abbrev) = entries.read_abbreviation()? else {
            continue;
        };
        if !declares_ranges(abbrev) {
            entries.skip_attributes(abbrev.attributes())?;
            continue;
        }
        let mut ranges = RangeAttributes::default();
        for spec in abbrev.attributes() {
            ranges.note(unit, &entries.read_attribute(*spec)?)?;
        }
        ranges.for_each(unit, |range| add(&range))?;
    }
    Ok(())
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

/// Values with address ranges, sorted by start, searched for the one
/// range holding an address (see [`RangeTable::container`]).
pub(crate) struct RangeTable<T> {
    /// Sorted by start.
    entries: Vec<(gimli::Range, T)>,
    /// For each entry, the largest end among it and the entries before it.
    reach: Vec<u64>,
}

impl<T> RangeTable<T> {
    /// The table of `entries`, in any order.
    pub(crate) fn new(mut entries: Vec<(gimli::Range, T)>) -> Self {
        entries.sort_by_key(|(range, _)| range.begin);
        let reach = entries
            .iter()
            .scan(0, |reach, (range, _)| {
                *reach = range.end.max(*reach);
                Some(*reach)
            })
            .collect();
        RangeTable { entries, reach }
    }

    /// The ranges and their values, by start.
    pub(crate) fn entries(&self) -> &[(gimli::Range, T)] {
        &self.entries
    }

    /// Whether any range holds `probe`; `hint` as for
    /// [`partition_point_near`].
    pub(crate) fn holds(&self, probe: u64, hint: &mut usize) -> bool {
        let before = partition_point_near(&self.entries, hint, |(range, _)| range.begin <= probe);
        before > 0 && self.reach[before - 1] > probe
    }

    /// The range holding `probe`, when a binary search over the ranges
    /// finds it whatever order equal starts are in: it is the only range
    /// holding `probe`, and it starts after every other range that starts
    /// at or before `probe`. `hint` as for [`partition_point_near`].
    pub(crate) fn container(&self, probe: u64, hint: &mut usize) -> Container<'_, T> {
        let before = partition_point_near(&self.entries, hint, |(range, _)| range.begin <= probe);
        let Some(last) = before.checked_sub(1) else {
            return Container::None;
        };
        let (candidate, value) = &self.entries[last];
        let others_hold = last > 0 && self.reach[last - 1] > probe;
        let tied = last > 0 && self.entries[last - 1].0.begin == candidate.begin;
        match (candidate.end > probe, others_hold) {
            (true, false) if !tied => Container::One(value),
            (false, false) => Container::None,
            _ => Container::Unsure,
        }
    }
}

/// `slice.partition_point(pred)`, searched from `hint`, the point this
/// search found last, and left there: when the probes behind `pred` come in
/// increasing order, the point is at the hint or a few elements on, and
/// the search steps there instead of halving the whole slice. Any hint
/// gives the right answer.
pub(crate) fn partition_point_near<T>(
    slice: &[T],
    hint: &mut usize,
    pred: impl Fn(&T) -> bool,
) -> usize {
    let at = (*hint).min(slice.len());
    let point = if at > 0 && !pred(&slice[at - 1]) {
        // The point is before the hint: the probe went back.
        slice[..at].partition_point(pred)
    } else {
        let rest = &slice[at..];
        at + match rest.iter().take(4).position(|item| !pred(item)) {
            Some(step) => step,
            None => rest.partition_point(pred),
        }
    };
    *hint = point;
    point
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_near_a_hint_finds_what_a_search_of_the_whole_slice_finds() {
        // Repeated keys, and every probe from below the first to past the
        // last, in increasing order, repeated, going back, and from any hint.
        let keys = [2u64, 2, 3, 5, 5, 5, 8, 13, 21, 21, 34, 55, 89, 89, 144];
        let mut probes: Vec<u64> = (0..150).collect();
        probes.extend([150, 150, 4, 0, 89, 1000, 2]);
        for start in 0..=keys.len() + 2 {
            let mut hint = start;
            for &probe in &probes {
                assert_eq!(
                    partition_point_near(&keys, &mut hint, |&key| key <= probe),
                    keys.partition_point(|&key| key <= probe),
                    "probe {probe}, first hint {start}"
                );
            }
        }
        let mut hint = 3;
        assert_eq!(partition_point_near(&[] as &[u64], &mut hint, |_| true), 0);
    }
}
