//! Many lookups at once: the inline chains at a batch of addresses, read
//! from DWARF one compilation unit at a time, in parallel.
//!
//! A lookup through addr2line parses every DIE and every line row of each
//! unit it touches, and keeps them for later lookups. For a batch whose
//! addresses are known up front, that is wasted: a sweep visits each unit
//! once, for all of the batch's addresses in it, and reads
//!
//! - the unit's top-level DIEs, jumping over each subtree by its
//!   `DW_AT_sibling` (gcc and clang emit it), except the subtrees of the
//!   functions that contain an address; most are stepped over by their
//!   abbreviation alone (attributes of fixed sizes, a sibling pointer at a
//!   fixed place), worked out once per abbreviation;
//! - the line program, once, keeping only the current sequence's rows
//!   (run by [`crate::line_rows`], faster than gimli's general reader);
//! - and only the file names the answers use;
//!
//! then drops all of it. What it answers is exactly what
//! [`Binary::with_raw_chain`] answers: the same rules pick the function, the
//! inline levels and the line row, and a sweep only answers where those
//! rules cannot depend on something it skipped or on the order of equal
//! keys. It leaves a probe unanswered, for `with_raw_chain` to answer, when
//! the unit is not C or assembly, declares no address range, is split
//! DWARF or fails to parse; when the address lies in more than one function
//! range or line sequence, or in inline ranges that start together; and
//! when a name it needs lies behind a reference out of the unit.
//!
//! One assumption makes the jumps safe: in C, a function with code is a
//! child of its unit, unless it is a GNU C nested function, whose DIE sits
//! inside its parent's subtree. The kernel has none (it must build with
//! clang, which has no nested functions); in a unit that had one, an address
//! in the nested function would be answered with its line alone, where
//! addr2line names the nested function. Sibling pointers are trusted as
//! compilers write them: a corrupt one that still lands on a DIE could hide
//! functions from a sweep that the one-by-one lookup, which reads every DIE,
//! would find (`tests/corrupt_dwarf.rs` finds no such case in its 128
//! corrupted samples).

use std::cmp::Ordering;

use gimli::AttributeValue;

type UnitOffset = gimli::UnitOffset<usize>;
use rayon::prelude::*;

use crate::binary::{Binary, RawLevel, RawLocation, Reader};

type UnitRef<'a> = gimli::UnitRef<'a, Reader>;

/// How deep `DW_AT_abstract_origin`/`DW_AT_specification` chains are followed for a name.
const NAME_DEPTH: usize = 16;

/// How deep inline calls nest before the sweep declines a function and
/// leaves it to the one-by-one lookup. Kernels nest a few dozen deep; the
/// walk recurses once per level, so hostile DWARF must not choose the depth.
const MAX_INLINE_DEPTH: usize = 256;

impl Binary {
    /// For each of `probes` a sweep can answer, `visit(chain)` with the
    /// chain [`Binary::with_raw_chain`] would give, where `visit` is what
    /// `visitor(comp_dir)` made for the probe's compilation unit; the
    /// results, in no particular order. Probes left out must be asked with
    /// `with_raw_chain`. Units are swept in parallel on the current rayon pool.
    pub(crate) fn sweep<T: Send, V: FnMut(&[RawLevel<'_>]) -> T>(
        &self,
        probes: &[u64],
        visitor: impl Fn(Option<&str>) -> V + Sync,
    ) -> Vec<(u64, T)> {
        let groups = self.probes_by_unit(probes);
        let (nowhere, mut answers) = rayon::join(
            || {
                // In no unit at all: addr2line finds nothing.
                let mut visit = visitor(None);
                probes
                    .iter()
                    .filter(|&&probe| self.in_no_unit(probe))
                    .map(|&probe| (probe, visit(&[])))
                    .collect::<Vec<_>>()
            },
            || {
                groups
                    .par_iter()
                    .flat_map_iter(|(offset, probes)| {
                        let mut answers = Vec::new();
                        // A unit that fails anywhere is left to `with_raw_chain`.
                        let _ = self.sweep_unit(*offset, probes, &visitor, &mut answers);
                        answers
                    })
                    .collect::<Vec<_>>()
            },
        );
        answers.extend(nowhere);
        answers
    }

    /// Answer what can be answered of `probes` in the unit at `offset`.
    fn sweep_unit<T, V: FnMut(&[RawLevel<'_>]) -> T>(
        &self,
        offset: usize,
        probes: &[u64],
        visitor: impl Fn(Option<&str>) -> V,
        answers: &mut Vec<(u64, T)>,
    ) -> Option<()> {
        // Any reference out of the unit that matters is declined below.
        let header = self.unit_header(offset)?;
        if header.type_() != gimli::UnitType::Compilation {
            return None;
        }
        let dwarf = self.dwarf();
        let unit = dwarf.unit(header).ok()?;
        if unit.dwo_id.is_some() {
            return None;
        }
        let unit = UnitRef::new(&dwarf, &unit);
        let tree = TopLevel::read(unit).ok()??;
        let mut probes = probes.to_vec();
        probes.sort_unstable();
        probes.dedup();
        let mut lines = match &unit.line_program {
            Some(program) => Some(Lines::read(unit, program.clone(), &probes).ok()?),
            None => None,
        };
        let comp_dir = unit
            .comp_dir
            .map(|dir| String::from_utf8_lossy(dir.slice()));
        let mut visit = visitor(comp_dir.as_deref());
        let mut answer = |probe, levels: &[RawLevel<'_>]| answers.push((probe, visit(levels)));
        let mut functions: Vec<(UnitOffset, Function)> = Vec::new();
        let mut names = Names::default();
        'probes: for (position, &probe) in probes.iter().enumerate() {
            if !tree
                .unit_ranges
                .iter()
                .any(|r| r.begin <= probe && probe < r.end)
            {
                // In no range of the unit: addr2line finds nothing.
                answer(probe, &[]);
                continue;
            }
            let row = match lines.as_ref().map(|lines| lines.answers[position]) {
                Some(LineAnswer::Row(row)) => Some(row),
                Some(LineAnswer::NoRow) | None => None,
                Some(LineAnswer::Unsure) => continue,
            };
            let found = match unique_container(&tree.functions, probe, |f| f.range) {
                Container::One(function) => Some(function.offset),
                Container::Unsure => continue,
                Container::None => None,
            };
            let function = match found {
                None => None,
                Some(offset) => match functions.iter().position(|(at, _)| *at == offset) {
                    Some(known) => Some(&functions[known].1),
                    None => {
                        let Ok(parsed) = Function::parse(unit, offset, &mut names) else {
                            continue;
                        };
                        functions.push((offset, parsed));
                        functions.last().map(|(_, function)| function)
                    }
                },
            };
            let inlined = match function.map(|function| function.inlined_at(probe)) {
                Some(None) => continue,
                Some(Some(inlined)) => inlined,
                None => Vec::new(),
            };
            if let Some(lines) = lines.as_mut() {
                let files = row.map(|row| row.file);
                let call_files = inlined.iter().filter_map(|call| call.call_file);
                for file in files.into_iter().chain(call_files) {
                    if lines.prepare(unit, file).is_err() {
                        continue 'probes;
                    }
                }
            }
            let lines = lines.as_ref();
            let location = row.and_then(|row| Some(lines?.location(row)));
            let Some(function) = function else {
                // Line information without a function.
                match location {
                    Some(location) => answer(
                        probe,
                        &[RawLevel {
                            function: None,
                            location: location.complete(),
                        }],
                    ),
                    None => answer(probe, &[]),
                }
                continue;
            };
            let mut levels = Vec::with_capacity(inlined.len() + 1);
            let mut next = location;
            for call in inlined.iter().rev() {
                levels.push(RawLevel {
                    function: call.name.map(|name| String::from_utf8_lossy(name.slice())),
                    location: next.and_then(Location::complete),
                });
                next = Some(Location {
                    file: call
                        .call_file
                        .zip(lines)
                        .and_then(|(index, lines)| lines.file(index)),
                    line: call.call_line,
                    column: call.call_column,
                });
            }
            levels.push(RawLevel {
                function: function
                    .name
                    .map(|name| String::from_utf8_lossy(name.slice())),
                location: next.and_then(Location::complete),
            });
            answer(probe, &levels);
        }
        Some(())
    }
}

/// What a binary search over ranges sorted by start is sure to find.
enum Container<'a, T> {
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
fn unique_container<T>(
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

/// The address ranges a DIE declares: `DW_AT_low_pc` with `DW_AT_high_pc`
/// (an address or a size), or `DW_AT_ranges`.
#[derive(Default)]
struct RangeAttributes {
    low_pc: Option<u64>,
    high_pc: Option<u64>,
    size: Option<u64>,
    ranges: Option<gimli::RangeListsOffset<usize>>,
}

impl RangeAttributes {
    /// Note `attr` if it is one of the range attributes.
    fn note(&mut self, unit: UnitRef<'_>, attr: &gimli::Attribute<Reader>) -> gimli::Result<()> {
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

    /// Call `add` for each non-empty range, `DW_AT_ranges` first; whether
    /// there was any.
    fn for_each(
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

/// A function's range, from the unit's top level.
struct FunctionRange {
    range: gimli::Range,
    offset: UnitOffset,
}

/// What a unit's root and top-level DIEs say about addresses.
struct TopLevel {
    /// The unit's own ranges.
    unit_ranges: Vec<gimli::Range>,
    /// Every range of every function found, sorted by start.
    functions: Vec<FunctionRange>,
}

/// Whether a `DW_AT_language` is C or assembly, where functions with code
/// are children of the unit (see the module docs).
fn is_c_or_assembly(language: gimli::DwLang) -> bool {
    matches!(
        language,
        gimli::DW_LANG_C89
            | gimli::DW_LANG_C
            | gimli::DW_LANG_C99
            | gimli::DW_LANG_C11
            | gimli::DW_LANG_C17
            | gimli::DW_LANG_Mips_Assembler
    )
}

impl TopLevel {
    /// The unit's ranges and functions; `None` when the unit is not C or
    /// assembly, or declares no range.
    fn read(unit: UnitRef<'_>) -> gimli::Result<Option<TopLevel>> {
        let mut entries = unit.entries_raw(None)?;
        let root = entries
            .read_abbreviation()?
            .ok_or(gimli::Error::MissingUnitDie)?;
        let mut ranges = RangeAttributes::default();
        let mut language = None;
        for spec in root.attributes() {
            let attr = entries.read_attribute(*spec)?;
            if let AttributeValue::Language(value) = attr.value() {
                language = Some(value);
            }
            ranges.note(unit, &attr)?;
        }
        if !language.is_some_and(is_c_or_assembly) {
            return Ok(None);
        }
        let mut unit_ranges = Vec::new();
        if !ranges.for_each(unit, |range| unit_ranges.push(range))? {
            // addr2line would take the ranges from the line program.
            return Ok(None);
        }
        let mut tree = TopLevel {
            unit_ranges,
            functions: Vec::new(),
        };
        let mut skim = Skim::new(unit);
        let mut next = Some(entries.next_offset());
        while let Some(at) = next {
            // Step over what needs no parsing; parse the DIE after that, and
            // its subtree unless its sibling pointer jumps over it.
            let Some(at) = skim.next_to_parse(at)? else {
                break;
            };
            next = None;
            let mut entries = unit.entries_raw(Some(at))?;
            while !entries.is_empty() {
                let depth = entries.next_depth();
                let offset = entries.next_offset();
                if depth < 0 || (depth == 0 && offset != at) {
                    // Back at the top level.
                    next = Some(offset);
                    break;
                }
                let Some(abbrev) = entries.read_abbreviation()? else {
                    continue;
                };
                let is_function = abbrev.tag() == gimli::DW_TAG_subprogram;
                let wanted = |spec: &gimli::AttributeSpecification| match spec.name() {
                    gimli::DW_AT_sibling => depth == 0 && abbrev.has_children(),
                    gimli::DW_AT_low_pc | gimli::DW_AT_high_pc | gimli::DW_AT_ranges => is_function,
                    _ => false,
                };
                let specs = abbrev.attributes();
                let mut ranges = RangeAttributes::default();
                let mut sibling = None;
                // Unwanted attributes are skipped a run at a time.
                let mut unread = 0;
                for (index, spec) in specs.iter().enumerate() {
                    if !wanted(spec) {
                        continue;
                    }
                    entries.skip_attributes(&specs[unread..index])?;
                    unread = index + 1;
                    let attr = entries.read_attribute(*spec)?;
                    match attr.value() {
                        AttributeValue::UnitRef(target) if attr.name() == gimli::DW_AT_sibling => {
                            sibling = Some(target).filter(|s| s.0 > entries.next_offset().0);
                            if sibling.is_some() && !is_function {
                                // Nothing more is needed of this DIE.
                                break;
                            }
                        }
                        _ => ranges.note(unit, &attr)?,
                    }
                }
                if is_function {
                    ranges.for_each(unit, |range| {
                        tree.functions.push(FunctionRange { range, offset });
                    })?;
                }
                // Jump over the children, when the sibling pointer is sane.
                if sibling.is_some() {
                    next = sibling;
                    break;
                }
                entries.skip_attributes(&specs[unread..])?;
            }
        }
        tree.functions.sort_by_key(|f| f.range.begin);
        Ok(Some(tree))
    }
}

/// How to step over a top-level DIE of one abbreviation without parsing it.
#[derive(Clone, Copy)]
enum Step {
    /// No children, and attributes of fixed sizes adding up to this.
    Fixed(usize),
    /// Children, and a `DW_AT_sibling` of this fixed-size form this many
    /// bytes into the attributes, after attributes of fixed sizes.
    Sibling { at: usize, form: gimli::DwForm },
    /// Anything else, and functions with code: parse it.
    Parse,
}

/// Steps over a unit's top-level DIEs by their abbreviations alone, with
/// each abbreviation's [`Step`] worked out once.
struct Skim<'a> {
    unit: UnitRef<'a>,
    /// Steps by abbreviation code, for the first codes.
    steps: Vec<Option<Step>>,
}

impl<'a> Skim<'a> {
    /// Codes below this have their step remembered (gcc numbers them from 1).
    const REMEMBERED: u64 = 4096;

    fn new(unit: UnitRef<'a>) -> Self {
        Skim {
            unit,
            steps: Vec::new(),
        }
    }

    /// From the top-level DIE at `at`, the first one that must be parsed,
    /// or `None` at the end of the top level.
    fn next_to_parse(&mut self, mut at: UnitOffset) -> gimli::Result<Option<UnitOffset>> {
        use gimli::Reader as _;
        loop {
            if at.0 >= self.unit.header.length_including_self() {
                // The end of the unit (after a root without children).
                return Ok(None);
            }
            let mut input = self.unit.header.range_from(at..)?;
            let length = input.len();
            let code = input.read_uleb128()?;
            if code == 0 {
                return Ok(None);
            }
            match self.step(code) {
                Step::Fixed(size) => at = gimli::UnitOffset(at.0 + (length - input.len()) + size),
                Step::Sibling { at: before, form } => {
                    input.skip(before)?;
                    let target = match form {
                        gimli::DW_FORM_ref1 => u64::from(input.read_u8()?),
                        gimli::DW_FORM_ref2 => u64::from(input.read_u16()?),
                        gimli::DW_FORM_ref4 => u64::from(input.read_u32()?),
                        _ => input.read_u64()?,
                    };
                    let after = at.0 + (length - input.len());
                    match usize::try_from(target) {
                        // Sane: past the pointer itself.
                        Ok(target) if target > after => at = gimli::UnitOffset(target),
                        _ => return Ok(Some(at)),
                    }
                }
                Step::Parse => return Ok(Some(at)),
            }
        }
    }

    /// The step for abbreviation `code`.
    fn step(&mut self, code: u64) -> Step {
        let slot = usize::try_from(code)
            .ok()
            .filter(|_| code < Self::REMEMBERED);
        if let Some(Some(step)) = slot.and_then(|slot| self.steps.get(slot)) {
            return *step;
        }
        let step = self
            .unit
            .abbreviations
            .get(code)
            .map_or(Step::Parse, |abbrev| self.step_of(abbrev));
        if let Some(slot) = slot {
            if self.steps.len() <= slot {
                self.steps.resize(slot + 1, None);
            }
            self.steps[slot] = Some(step);
        }
        step
    }

    /// How to step over a top-level DIE of this abbreviation.
    fn step_of(&self, abbrev: &gimli::Abbreviation) -> Step {
        let specs = abbrev.attributes();
        let has_code = |spec: &gimli::AttributeSpecification| {
            matches!(
                spec.name(),
                gimli::DW_AT_low_pc | gimli::DW_AT_high_pc | gimli::DW_AT_ranges
            )
        };
        if abbrev.tag() == gimli::DW_TAG_subprogram && specs.iter().any(has_code) {
            return Step::Parse;
        }
        let mut at = 0;
        for spec in specs {
            let fixed_reference = matches!(
                spec.form(),
                gimli::DW_FORM_ref1
                    | gimli::DW_FORM_ref2
                    | gimli::DW_FORM_ref4
                    | gimli::DW_FORM_ref8
            );
            if abbrev.has_children() && spec.name() == gimli::DW_AT_sibling && fixed_reference {
                return Step::Sibling {
                    at,
                    form: spec.form(),
                };
            }
            match spec.size(&self.unit.header) {
                Some(size) => at += size,
                None => return Step::Parse,
            }
        }
        if abbrev.has_children() {
            Step::Parse
        } else {
            Step::Fixed(at)
        }
    }
}

/// One function's name and inline calls.
struct Function {
    name: Option<Reader>,
    /// Inline calls, in DIE order.
    calls: Vec<InlinedCall>,
    /// Their ranges, sorted by call depth, then start.
    call_ranges: Vec<CallRange>,
    /// Whether two ranges at one depth start together (so the sort order
    /// of equal keys would matter).
    tied: bool,
}

/// One `DW_TAG_inlined_subroutine`.
struct InlinedCall {
    name: Option<Reader>,
    call_file: Option<u64>,
    call_line: Option<u32>,
    call_column: Option<u32>,
}

/// One range of an inline call.
struct CallRange {
    range: gimli::Range,
    depth: usize,
    call: usize,
}

impl Function {
    /// The function at `offset`: its name and every inline call in it,
    /// skipping nested functions.
    fn parse(unit: UnitRef<'_>, offset: UnitOffset, names: &mut Names) -> gimli::Result<Function> {
        let mut entries = unit.entries_raw(Some(offset))?;
        let depth = entries.next_depth();
        let abbrev = entries
            .read_abbreviation()?
            .ok_or(gimli::Error::NoEntryAtGivenOffset(offset.0 as u64))?;
        let mut name = None;
        for spec in abbrev.attributes() {
            let attr = entries.read_attribute(*spec)?;
            note_name(unit, &attr, &mut name, names)?;
        }
        let mut function = Function {
            name,
            calls: Vec::new(),
            call_ranges: Vec::new(),
            tied: false,
        };
        function.parse_children(unit, &mut entries, depth, 0, names)?;
        function
            .call_ranges
            .sort_by_key(|a| (a.depth, a.range.begin));
        function.tied = function.call_ranges.windows(2).any(|pair| {
            (pair[0].depth, pair[0].range.begin) == (pair[1].depth, pair[1].range.begin)
        });
        Ok(function)
    }

    fn parse_children(
        &mut self,
        unit: UnitRef<'_>,
        entries: &mut gimli::EntriesRaw<'_, Reader>,
        depth: isize,
        call_depth: usize,
        names: &mut Names,
    ) -> gimli::Result<()> {
        loop {
            let next_depth = entries.next_depth();
            if next_depth <= depth {
                return Ok(());
            }
            let Some(abbrev) = entries.read_abbreviation()? else {
                continue;
            };
            match abbrev.tag() {
                gimli::DW_TAG_subprogram => {
                    entries.skip_attributes(abbrev.attributes())?;
                    while entries.next_depth() > next_depth {
                        if let Some(abbrev) = entries.read_abbreviation()? {
                            entries.skip_attributes(abbrev.attributes())?;
                        }
                    }
                }
                gimli::DW_TAG_inlined_subroutine => {
                    let mut ranges = RangeAttributes::default();
                    let mut call = InlinedCall {
                        name: None,
                        call_file: None,
                        call_line: None,
                        call_column: None,
                    };
                    for spec in abbrev.attributes() {
                        let attr = entries.read_attribute(*spec)?;
                        ranges.note(unit, &attr)?;
                        note_name(unit, &attr, &mut call.name, names)?;
                        match (attr.name(), attr.value()) {
                            // In DWARF 5, file 0 is a real file.
                            (gimli::DW_AT_call_file, AttributeValue::FileIndex(index))
                                if index > 0 || unit.header.version() >= 5 =>
                            {
                                call.call_file = Some(index);
                            }
                            (gimli::DW_AT_call_line, _) => {
                                call.call_line = nonzero(attr.udata_value());
                            }
                            (gimli::DW_AT_call_column, _) => {
                                call.call_column = nonzero(attr.udata_value());
                            }
                            _ => {}
                        }
                    }
                    let index = self.calls.len();
                    self.calls.push(call);
                    ranges.for_each(unit, |range| {
                        self.call_ranges.push(CallRange {
                            range,
                            depth: call_depth,
                            call: index,
                        });
                    })?;
                    if call_depth >= MAX_INLINE_DEPTH {
                        // Declined (see MAX_INLINE_DEPTH).
                        return Err(gimli::Error::StackFull);
                    }
                    self.parse_children(unit, entries, next_depth, call_depth + 1, names)?;
                }
                _ => entries.skip_attributes(abbrev.attributes())?,
            }
        }
    }

    /// The inline calls holding `probe`, outermost first; `None` when the
    /// answer could depend on the order of equal keys.
    fn inlined_at(&self, probe: u64) -> Option<Vec<&InlinedCall>> {
        if self.tied {
            return None;
        }
        let mut found = Vec::new();
        let mut rest = &self.call_ranges[..];
        loop {
            let depth = found.len();
            let search = rest.binary_search_by(|r| {
                r.depth.cmp(&depth).then_with(|| {
                    if r.range.begin > probe {
                        Ordering::Greater
                    } else if r.range.end <= probe {
                        Ordering::Less
                    } else {
                        Ordering::Equal
                    }
                })
            });
            let Ok(index) = search else {
                return Some(found);
            };
            found.push(&self.calls[rest[index].call]);
            rest = &rest[index + 1..];
        }
    }
}

/// A line or column attribute, `None` when absent or 0.
fn nonzero(value: Option<u64>) -> Option<u32> {
    value.map(|v| v as u32).filter(|&v| v != 0)
}

/// The names abstract origins and specifications lead to, by the offset
/// of the DIE referred to: inline helpers are called many times.
type Names = foldhash::HashMap<UnitOffset, Option<Reader>>;

/// Update a function's name from one of its attributes: the linkage name
/// wins, then `DW_AT_name`, then the name of the DIE an abstract origin or
/// specification points to.
fn note_name(
    unit: UnitRef<'_>,
    attr: &gimli::Attribute<Reader>,
    name: &mut Option<Reader>,
    names: &mut Names,
) -> gimli::Result<()> {
    match attr.name() {
        gimli::DW_AT_linkage_name | gimli::DW_AT_MIPS_linkage_name => {
            if let Ok(value) = unit.attr_string(attr.value()) {
                *name = Some(value);
            }
        }
        gimli::DW_AT_name if name.is_none() => *name = unit.attr_string(attr.value()).ok(),
        gimli::DW_AT_abstract_origin | gimli::DW_AT_specification if name.is_none() => {
            *name = match attr.value() {
                AttributeValue::UnitRef(offset) => match names.get(&offset) {
                    Some(known) => *known,
                    None => {
                        let found = referenced_name(unit, attr.value(), NAME_DEPTH)?;
                        names.insert(offset, found);
                        found
                    }
                },
                value => referenced_name(unit, value, NAME_DEPTH)?,
            };
        }
        _ => {}
    }
    Ok(())
}

/// The name of the DIE `target` refers to, following further references
/// up to `depth` times. A reference out of the unit (to another unit, a
/// type unit or a supplementary file) fails: the sweep leaves it to the
/// one-by-one lookup, which can follow it.
fn referenced_name(
    unit: UnitRef<'_>,
    target: AttributeValue<Reader>,
    depth: usize,
) -> gimli::Result<Option<Reader>> {
    let offset = match target {
        AttributeValue::UnitRef(offset) => offset,
        AttributeValue::DebugInfoRef(_)
        | AttributeValue::DebugInfoRefSup(_)
        | AttributeValue::DebugTypesRef(_) => return Err(gimli::Error::UnsupportedOffset),
        _ => return Ok(None),
    };
    if depth == 0 {
        return Ok(None);
    }
    let mut entries = unit.entries_raw(Some(offset))?;
    let abbrev = entries
        .read_abbreviation()?
        .ok_or(gimli::Error::NoEntryAtGivenOffset(offset.0 as u64))?;
    let mut name = None;
    let mut next = None;
    for spec in abbrev.attributes() {
        let attr = entries.read_attribute(*spec)?;
        match attr.name() {
            gimli::DW_AT_linkage_name | gimli::DW_AT_MIPS_linkage_name => {
                if let Ok(value) = unit.attr_string(attr.value()) {
                    return Ok(Some(value));
                }
            }
            gimli::DW_AT_name => {
                if let Ok(value) = unit.attr_string(attr.value()) {
                    name = Some(value);
                }
            }
            gimli::DW_AT_abstract_origin | gimli::DW_AT_specification => {
                next = Some(attr.value());
            }
            _ => {}
        }
    }
    match (name, next) {
        (Some(name), _) => Ok(Some(name)),
        (None, Some(next)) => referenced_name(unit, next, depth - 1),
        (None, None) => Ok(None),
    }
}

/// A source location as DWARF gives it, any part possibly missing.
#[derive(Clone, Copy)]
struct Location<'a> {
    file: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
}

impl<'a> Location<'a> {
    /// The location kresym reports: one with both a file and a line.
    fn complete(self) -> Option<RawLocation<'a>> {
        Some(RawLocation {
            file: self.file?,
            line: self.line?,
            column: self.column.filter(|&c| c != 0),
        })
    }
}

/// One row of a line sequence.
#[derive(Clone, Copy)]
struct LineRow {
    address: u64,
    file: u64,
    line: u32,
    column: u32,
}

/// The line row at one probe.
#[derive(Clone, Copy)]
enum LineAnswer {
    Row(LineRow),
    /// In no sequence, or before the first row of its sequence.
    NoRow,
    /// Overlapping sequences.
    Unsure,
}

/// The line rows at a unit's probes, and its file names.
struct Lines {
    program: gimli::IncompleteLineProgram<Reader>,
    /// One per probe, in probe order.
    answers: Vec<LineAnswer>,
    /// File paths by file index, rendered on demand.
    files: Vec<Option<String>>,
    /// The address ranges of its non-empty sequences, by start address.
    ranges: Vec<gimli::Range>,
}

/// The address ranges of a unit's line sequences, which addr2line takes as
/// the unit's ranges when it declares none; fails as addr2line's line table
/// would (then addr2line gives the unit no ranges).
pub(crate) fn sequence_ranges(
    unit: UnitRef<'_>,
    program: gimli::IncompleteLineProgram<Reader>,
) -> gimli::Result<Vec<gimli::Range>> {
    Lines::read(unit, program, &[]).map(|lines| lines.ranges)
}

impl Lines {
    /// Run the line program once, answering every probe (sorted); fails
    /// if the program or any file name is malformed.
    fn read(
        unit: UnitRef<'_>,
        program: gimli::IncompleteLineProgram<Reader>,
        probes: &[u64],
    ) -> gimli::Result<Lines> {
        // (probe position, sequence number, row), for each sequence holding a probe.
        let mut hits: Vec<(usize, usize, Option<LineRow>)> = Vec::new();
        let mut sequences: Vec<(gimli::Range, usize)> = Vec::new();
        let mut rows: Vec<LineRow> = Vec::new();
        crate::line_rows::for_each_row(program.header(), |row| {
            if row.end_sequence {
                let Some(start) = rows.first().map(|r| r.address) else {
                    return;
                };
                let end = row.address;
                if start < end {
                    let number = sequences.len();
                    sequences.push((gimli::Range { begin: start, end }, number));
                    let first = probes.partition_point(|&p| p < start);
                    let last = probes.partition_point(|&p| p < end);
                    for (position, probe) in probes.iter().enumerate().take(last).skip(first) {
                        let row = match rows.binary_search_by(|r| r.address.cmp(probe)) {
                            Ok(found) => Some(rows[found]),
                            Err(0) => None,
                            Err(after) => Some(rows[after - 1]),
                        };
                        hits.push((position, number, row));
                    }
                }
                rows.clear();
                return;
            }
            let new = LineRow {
                address: row.address,
                file: row.file,
                line: row.line as u32,
                column: row.column as u32,
            };
            match rows.last_mut() {
                Some(last) if last.address == new.address => *last = new,
                _ => rows.push(new),
            }
        })?;
        sequences.sort_by_key(|(range, _)| range.begin);
        let answers = probes
            .iter()
            .enumerate()
            .map(
                |(position, &probe)| match unique_container(&sequences, probe, |s| s.0) {
                    Container::One(&(_, number)) => hits
                        .iter()
                        .find(|hit| hit.0 == position && hit.1 == number)
                        .map_or(LineAnswer::Unsure, |hit| {
                            hit.2.map_or(LineAnswer::NoRow, LineAnswer::Row)
                        }),
                    Container::None => LineAnswer::NoRow,
                    Container::Unsure => LineAnswer::Unsure,
                },
            )
            .collect();
        // Every file name must be readable, or the unit has no lines at all.
        let header = program.header();
        let mut count = 1;
        while header.file(count).is_some() {
            count += 1;
        }
        for index in 0..count {
            if let Some(file) = header.file(index) {
                if file.directory_index() != 0
                    && let Some(directory) = file.directory(header)
                {
                    unit.attr_string(directory)?;
                }
                unit.attr_string(file.path_name())?;
            }
        }
        Ok(Lines {
            program,
            answers,
            files: vec![None; count as usize],
            ranges: sequences.into_iter().map(|(range, _)| range).collect(),
        })
    }

    /// Render the path of file `index`, if there is such a file.
    fn prepare(&mut self, unit: UnitRef<'_>, index: u64) -> gimli::Result<()> {
        let Some(slot) = usize::try_from(index)
            .ok()
            .and_then(|index| self.files.get_mut(index))
        else {
            return Ok(());
        };
        if slot.is_none() {
            let header = self.program.header();
            *slot = Some(match header.file(index) {
                Some(file) => render_file(unit, file, header)?,
                // DWARF before version 5 has no file 0.
                None => String::new(),
            });
        }
        Ok(())
    }

    /// The path of file `index`, once prepared.
    fn file(&self, index: u64) -> Option<&str> {
        self.files.get(usize::try_from(index).ok()?)?.as_deref()
    }

    /// Where `row` points; its file must be prepared.
    fn location(&self, row: LineRow) -> Location<'_> {
        let line = (row.line != 0).then_some(row.line);
        Location {
            file: self.file(row.file),
            line,
            column: line.map(|_| row.column),
        }
    }
}

/// A file's path as addr2line renders it: the compilation directory, then
/// the file's directory (unless it is directory 0, the compilation
/// directory itself), then its name; an absolute part replaces what came before.
fn render_file(
    unit: UnitRef<'_>,
    file: &gimli::FileEntry<Reader>,
    header: &gimli::LineProgramHeader<Reader>,
) -> gimli::Result<String> {
    let mut path = unit
        .comp_dir
        .map(|dir| String::from_utf8_lossy(dir.slice()).into_owned())
        .unwrap_or_default();
    if file.directory_index() != 0
        && let Some(directory) = file.directory(header)
    {
        push_path(
            &mut path,
            &String::from_utf8_lossy(unit.attr_string(directory)?.slice()),
        );
    }
    push_path(
        &mut path,
        &String::from_utf8_lossy(unit.attr_string(file.path_name())?.slice()),
    );
    Ok(path)
}

/// Append `part` to `path` with a separator, or replace `path` when `part`
/// is absolute (Unix or Windows style).
fn push_path(path: &mut String, part: &str) {
    let windows_root = |p: &str| p.starts_with('\\') || p.get(1..3) == Some(":\\");
    let unix_root = |p: &str| p.starts_with('/') || p.get(1..3) == Some(":/");
    if unix_root(part) || windows_root(part) {
        *path = part.to_owned();
        return;
    }
    let separator = if windows_root(path) { '\\' } else { '/' };
    if !path.is_empty() && !path.ends_with(separator) {
        path.push(separator);
    }
    path.push_str(part);
}
