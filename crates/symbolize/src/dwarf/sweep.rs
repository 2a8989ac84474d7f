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
//! - the line program, once (run by [`super::line_rows`], faster than
//!   gimli's general reader), keeping while the unit is swept only the
//!   rows the addresses fall on (every row for the index build);
//! - and only the file names the answers use;
//!
//! then drops all of it. What it answers is exactly what
//! [`Lookup::with_raw_chain`] answers: the same rules pick the function, the
//! inline levels and the line row, and a sweep only answers where those
//! rules cannot depend on something it skipped or on the order of equal
//! keys. It leaves a probe unanswered, for `with_raw_chain` to answer, when
//! the unit is not C or assembly, declares no address range, is split
//! DWARF or fails to parse; when the address lies in more than one function
//! range or line sequence, or in inline ranges that start together; when
//! a name it needs lies behind a reference out of the unit; and in a
//! function holding a function of its own (a GNU C nested function, which
//! addr2line finds as a function).
//!
//! The index build sweeps every unit whole ([`UnitSweep::change_points`]
//! gives the addresses to ask at, [`UnitSweep::answer`] the answers, and
//! [`UnitSweep::answer_row`] the line row alone where nothing else can
//! have changed; see the [`tabulate`](super::tabulate) module).
//!
//! One assumption makes the jumps safe: in C, a function with code is a
//! child of its unit, or of another function (a nested function, declined
//! above). Sibling pointers are trusted as compilers write them: a corrupt
//! one that still lands on a DIE could hide functions from a sweep that the
//! one-by-one lookup, which reads every DIE, would find
//! (`tests/corrupt_dwarf.rs` finds no such case in its 128 corrupted
//! samples).

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::ops::Range;

use gimli::AttributeValue;

type UnitOffset = gimli::UnitOffset<usize>;
use rayon::prelude::*;
use smallvec::SmallVec;

use super::levels::{RawLevel, RawLocation};
use super::lines::{LineAnswer, Lines, Location, RowHints, RowsKept};
use super::lookup::Lookup;
use super::ranges::{
    Container, RangeAttributes, RangeTable, declares_ranges, partition_point_near, subtree_ranges,
};
use super::sections::Reader;

type UnitRef<'a> = gimli::UnitRef<'a, Reader>;

/// How deep `DW_AT_abstract_origin`/`DW_AT_specification` chains are followed for a name.
const NAME_DEPTH: usize = 16;

/// Levels of an answer held without a heap allocation: deeper nests are
/// rare (an answer is asked at every boundary of a kernel, 1.3M times).
const INLINE_LEVELS: usize = 8;

/// How deep inline calls nest before the sweep declines a function and
/// leaves it to the one-by-one lookup. Kernels nest a few dozen deep; the
/// walk recurses once per level, so hostile DWARF must not choose the depth.
const MAX_INLINE_DEPTH: usize = 256;

/// For each of `probes` a sweep can answer, `visit(chain)` with the
/// chain [`Lookup::with_raw_chain`] would give, where `visit` is what
/// `visitor(comp_dir)` made for the probe's compilation unit; the
/// results, in no particular order. Probes left out must be asked with
/// `with_raw_chain`. Units are swept in parallel on the current rayon pool,
/// those `.debug_aranges` names at once, while every unit's ranges are
/// read for the other probes.
pub(crate) fn sweep<T: Send, V: FnMut(&[RawLevel<'_>]) -> T>(
    lookup: Lookup<'_>,
    probes: &[u64],
    visitor: impl Fn(Option<&str>) -> V + Sync,
) -> Vec<(u64, T)> {
    // Probes `.debug_aranges` places are swept at once; the others need
    // every unit's own ranges, which are read meanwhile.
    let (listed, unlisted): (Vec<u64>, Vec<u64>) = probes
        .iter()
        .partition(|&&probe| lookup.units.is_listed(probe));
    let (mut answers, others) = rayon::join(
        || sweep_groups(lookup, &listed, &visitor),
        || {
            let mut answers = sweep_groups(lookup, &unlisted, &visitor);
            // In no unit at all: addr2line finds nothing.
            let mut visit = visitor(None);
            answers.extend(
                unlisted
                    .iter()
                    .filter(|&&probe| lookup.units.in_no_unit(lookup.sections, probe))
                    .map(|&probe| (probe, visit(&[]))),
            );
            answers
        },
    );
    answers.extend(others);
    answers
}

/// The sweep's answers at those of `probes` that lie in exactly one unit,
/// the units swept in parallel, largest first: a large unit left for last
/// would keep one thread busy while the others wait.
fn sweep_groups<T: Send, V: FnMut(&[RawLevel<'_>]) -> T>(
    lookup: Lookup<'_>,
    probes: &[u64],
    visitor: &(impl Fn(Option<&str>) -> V + Sync),
) -> Vec<(u64, T)> {
    let mut groups = lookup.units.probes_by_unit(lookup.sections, probes);
    groups.sort_by_cached_key(|(offset, _)| {
        let size = lookup.sections.unit_header(*offset);
        std::cmp::Reverse(size.map_or(0, |header| header.length_including_self()))
    });
    groups
        .par_iter()
        .with_max_len(1)
        .flat_map_iter(|(offset, probes)| {
            let mut probes = probes.clone();
            probes.sort_unstable();
            probes.dedup();
            // A unit that cannot be swept is left to `with_raw_chain`.
            with_unit(lookup, *offset, RowsKept::At(&probes), |unit| {
                let Some(unit) = unit else {
                    return Vec::new();
                };
                let mut visit = visitor(unit.comp_dir().as_deref());
                (probes.iter())
                    .filter_map(|&probe| Some((probe, unit.answer(probe, &mut visit)?)))
                    .collect()
            })
        })
        .collect()
}

/// Run `sweep` with the unit at `offset` read for sweeping (its line
/// rows as `rows` says), or with `None` when it cannot be swept: it is not
/// a C or assembly compilation unit, declares no address range, is split
/// DWARF, or fails to parse.
pub(crate) fn with_unit<T>(
    lookup: Lookup<'_>,
    offset: usize,
    rows: RowsKept<'_>,
    sweep: impl FnOnce(Option<&mut UnitSweep<'_>>) -> T,
) -> T {
    let dwarf = lookup.sections.gimli();
    let unit = lookup
        .sections
        .unit_header(offset)
        // Any reference out of the unit that matters is declined later.
        .filter(|header| header.type_() == gimli::UnitType::Compilation)
        .and_then(|header| dwarf.unit(header).ok())
        .filter(|unit| unit.dwo_id.is_none());
    let Some(unit) = unit else {
        return sweep(None);
    };
    let unit = UnitRef::new(&dwarf, &unit);
    match UnitSweep::read(unit, rows) {
        Some(mut swept) => sweep(Some(&mut swept)),
        None => sweep(None),
    }
}

/// One compilation unit read for sweeping: its top level and line rows,
/// and its functions, parsed when first needed.
pub(crate) struct UnitSweep<'a> {
    unit: UnitRef<'a>,
    tree: TopLevel,
    lines: Option<Lines>,
    /// Functions parsed so far, by offset; `None` for those declined.
    functions: foldhash::HashMap<UnitOffset, Option<Function>>,
    names: Names,
    /// Where the last answer's searches ended: answers are asked in
    /// increasing address order.
    hints: Hints,
    /// Whether the last answer was the sweep's, with a function (see
    /// [`UnitSweep::answer_row`]).
    last_in_function: bool,
}

/// Where [`UnitSweep::answer`]'s searches ended last (see
/// [`partition_point_near`]).
#[derive(Default)]
struct Hints {
    unit_ranges: usize,
    functions: usize,
    rows: RowHints,
}

impl<'a> UnitSweep<'a> {
    /// Read the top level and the line program, keeping the rows `rows`
    /// says; `None` when the unit cannot be swept.
    fn read(unit: UnitRef<'a>, rows: RowsKept<'_>) -> Option<Self> {
        let tree = TopLevel::read(unit).ok()??;
        let lines = match &unit.line_program {
            Some(program) => Some(Lines::read(unit, program.clone(), rows).ok()?),
            None => None,
        };
        Some(UnitSweep {
            unit,
            tree,
            lines,
            functions: Default::default(),
            names: Names::default(),
            hints: Hints::default(),
            last_in_function: false,
        })
    }

    /// The unit's compilation directory.
    pub(crate) fn comp_dir(&self) -> Option<Cow<'a, str>> {
        self.unit
            .comp_dir
            .map(|dir| String::from_utf8_lossy(dir.slice()))
    }

    /// The function at `offset`, parsed on first need; `None` when declined.
    fn function(&mut self, offset: UnitOffset) -> Option<&Function> {
        parsed(&mut self.functions, self.unit, &mut self.names, offset)
    }

    /// Call `range_end` with every address where a range may start or end:
    /// the unit's ranges, its functions' ranges and their inline calls'
    /// ranges; and `row` with every address where a line row or sequence
    /// ends. The answers in this unit change only there. Every function is
    /// parsed; for one the sweep declines, `range_end` gets the start and
    /// end of every range of every DIE in its subtree, which is what the
    /// one-by-one lookup may read there.
    pub(crate) fn change_points(
        &mut self,
        mut range_end: impl FnMut(u64),
        row: impl FnMut(u64),
    ) -> gimli::Result<()> {
        let mut range = |range: &gimli::Range| {
            range_end(range.begin);
            range_end(range.end);
        };
        self.tree
            .unit_ranges
            .entries()
            .iter()
            .for_each(|e| range(&e.0));
        let functions: Vec<(gimli::Range, UnitOffset)> = self.tree.functions.entries().to_vec();
        for (function_range, offset) in functions {
            range(&function_range);
            match self.function(offset) {
                Some(function) => function.call_ranges.iter().for_each(|c| range(&c.range)),
                None => subtree_ranges(self.unit, Some(offset), &mut range)?,
            }
        }
        if let Some(lines) = &self.lines {
            lines.row_addresses().for_each(row);
        }
        Ok(())
    }

    /// `visit(chain)` with the chain [`Lookup::with_raw_chain`] would give
    /// at `probe`; `None` when the sweep cannot be sure of it.
    pub(crate) fn answer<T>(
        &mut self,
        probe: u64,
        visit: impl FnOnce(&[RawLevel<'_>]) -> T,
    ) -> Option<T> {
        self.last_in_function = false;
        let hints = &mut self.hints;
        if !self.tree.unit_ranges.holds(probe, &mut hints.unit_ranges) {
            // In no range of the unit: addr2line finds nothing.
            return Some(visit(&[]));
        }
        let row = match (self.lines.as_ref()).map(|lines| lines.row_at(probe, &mut hints.rows)) {
            Some(LineAnswer::Row(row)) => Some(row),
            Some(LineAnswer::NoRow) | None => None,
            Some(LineAnswer::Unsure) => return None,
        };
        let found = match self.tree.functions.container(probe, &mut hints.functions) {
            Container::One(&offset) => Some(offset),
            Container::Unsure => return None,
            Container::None => None,
        };
        let unit = self.unit;
        let function = match found {
            // Not `self.function`: the line rows are borrowed beside it.
            Some(offset) => Some(parsed(&mut self.functions, unit, &mut self.names, offset)?),
            None => None,
        };
        let inlined = match function.map(|function| function.inlined_at(probe)) {
            Some(None) => return None,
            Some(Some(inlined)) => inlined,
            None => SmallVec::new(),
        };
        if let Some(lines) = self.lines.as_mut() {
            let files = row.map(|row| row.file);
            let call_files = inlined.iter().filter_map(|call| call.call_file);
            for file in files.into_iter().chain(call_files) {
                lines.prepare(unit, file).ok()?;
            }
        }
        let lines = self.lines.as_ref();
        let location = row.and_then(|row| Some(lines?.location(row)));
        let Some(function) = function else {
            // Line information without a function.
            return Some(match location {
                Some(location) => visit(&[RawLevel {
                    function: None,
                    location: location.complete(),
                }]),
                None => visit(&[]),
            });
        };
        let mut levels: SmallVec<[RawLevel<'_>; INLINE_LEVELS]> = SmallVec::new();
        let mut next = location;
        for call in inlined.iter().rev() {
            levels.push(RawLevel {
                function: call.name.as_deref().map(Cow::Borrowed),
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
            function: function.name.as_deref().map(Cow::Borrowed),
            location: next.and_then(Location::complete),
        });
        let answer = visit(&levels);
        self.last_in_function = true;
        Some(answer)
    }

    /// Where the innermost level points at `probe`, the rest of the
    /// answer being the last [`UnitSweep::answer`]'s: the caller vouches
    /// that no range of the unit, its functions or their inline calls
    /// starts or ends after that answer's probe, up to this one, so only
    /// the line row can differ (see [`UnitSweep::change_points`]). `None`
    /// where that answer was not the sweep's or found no function, or
    /// where the line row is unsure: ask [`UnitSweep::answer`] then.
    pub(crate) fn answer_row(&mut self, probe: u64) -> Option<Option<RawLocation<'_>>> {
        if !self.last_in_function {
            return None;
        }
        let Some(lines) = self.lines.as_mut() else {
            return Some(None);
        };
        let row = match lines.row_at(probe, &mut self.hints.rows) {
            LineAnswer::Row(row) => row,
            LineAnswer::NoRow => return Some(None),
            LineAnswer::Unsure => return None,
        };
        lines.prepare(self.unit, row.file).ok()?;
        Some(lines.location(row).complete())
    }
}

/// The function at `offset` in `functions`, parsed on first need; `None`
/// when declined.
fn parsed<'f>(
    functions: &'f mut foldhash::HashMap<UnitOffset, Option<Function>>,
    unit: UnitRef<'_>,
    names: &mut Names,
    offset: UnitOffset,
) -> Option<&'f Function> {
    (functions.entry(offset))
        .or_insert_with(|| Function::parse(unit, offset, names).ok())
        .as_ref()
}

/// What a unit's root and top-level DIEs say about addresses.
struct TopLevel {
    /// The unit's own ranges.
    unit_ranges: RangeTable<()>,
    /// Every range of every function found, with the function's offset.
    functions: RangeTable<UnitOffset>,
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
        if !ranges.for_each(unit, |range| unit_ranges.push((range, ())))? {
            // addr2line would take the ranges from the line program.
            return Ok(None);
        }
        let mut functions = Vec::new();
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
                        functions.push((range, offset));
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
        Ok(Some(TopLevel {
            unit_ranges: RangeTable::new(unit_ranges),
            functions: RangeTable::new(functions),
        }))
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

/// A name as the answers give it, checked as UTF-8 once.
type Name = Option<Cow<'static, str>>;

/// The text of a name read from DWARF (checked by `str::from_utf8`, whose
/// ASCII fast path `from_utf8_lossy` lacks; an invalid name is made valid
/// as `from_utf8_lossy` makes it).
fn text(name: Option<Reader>) -> Name {
    name.map(|name| match std::str::from_utf8(name.slice()) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(name.slice()),
    })
}

/// One function's name and inline calls.
struct Function {
    name: Name,
    /// Inline calls, in DIE order.
    calls: Vec<InlinedCall>,
    /// Their ranges, sorted by call depth, then start.
    call_ranges: Vec<CallRange>,
    /// Whether two ranges at one depth start together (so the sort order
    /// of equal keys would matter).
    tied: bool,
    /// Each depth's ranges; `None` where two ranges at one depth overlap
    /// (or one ends before it starts), so that which of them a binary
    /// search meets could matter.
    depths: Option<Vec<Depth>>,
}

/// One call depth's ranges in [`Function::call_ranges`], and where
/// [`Function::inlined_near`]'s last search among them ended.
struct Depth {
    ranges: Range<usize>,
    hint: Cell<usize>,
}

/// One `DW_TAG_inlined_subroutine`.
struct InlinedCall {
    name: Name,
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
        read_wanted(
            &mut entries,
            abbrev.attributes(),
            names_a_function,
            |attr| note_name(unit, &attr, &mut name, names),
        )?;
        let mut function = Function {
            name: text(name),
            calls: Vec::new(),
            call_ranges: Vec::new(),
            tied: false,
            depths: None,
        };
        function.parse_children(unit, &mut entries, depth, 0, names)?;
        function.sort_call_ranges();
        Ok(function)
    }

    /// Sort the call ranges and note how they may be searched.
    fn sort_call_ranges(&mut self) {
        let ranges = &mut self.call_ranges;
        ranges.sort_by_key(|a| (a.depth, a.range.begin));
        self.tied = ranges.windows(2).any(|pair| {
            (pair[0].depth, pair[0].range.begin) == (pair[1].depth, pair[1].range.begin)
        });
        let disjoint = ranges.iter().all(|r| r.range.begin <= r.range.end)
            && (ranges.windows(2)).all(|pair| {
                pair[0].depth != pair[1].depth || pair[0].range.end <= pair[1].range.begin
            });
        if disjoint {
            let count = ranges.last().map_or(0, |r| r.depth + 1);
            let start = |depth| ranges.partition_point(|r| r.depth < depth);
            let depths = (0..count).map(|depth| Depth {
                ranges: start(depth)..start(depth + 1),
                hint: Cell::new(0),
            });
            self.depths = Some(depths.collect());
        }
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
                gimli::DW_TAG_subprogram if declares_ranges(abbrev) => {
                    // A nested function (GNU C), which addr2line finds as
                    // a function of its own: declined.
                    return Err(gimli::Error::UnsupportedOffset);
                }
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
                    let mut name = None;
                    let mut call = InlinedCall {
                        name: None,
                        call_file: None,
                        call_line: None,
                        call_column: None,
                    };
                    let wanted = |at: gimli::DwAt| {
                        names_a_function(at)
                            || matches!(
                                at,
                                gimli::DW_AT_low_pc
                                    | gimli::DW_AT_high_pc
                                    | gimli::DW_AT_ranges
                                    | gimli::DW_AT_call_file
                                    | gimli::DW_AT_call_line
                                    | gimli::DW_AT_call_column
                            )
                    };
                    read_wanted(entries, abbrev.attributes(), wanted, |attr| {
                        ranges.note(unit, &attr)?;
                        note_name(unit, &attr, &mut name, names)?;
                        match attr.name() {
                            gimli::DW_AT_call_file => {
                                // In DWARF 5, file 0 is a real file.
                                if let AttributeValue::FileIndex(index) = attr.value()
                                    && (index > 0 || unit.header.version() >= 5)
                                {
                                    call.call_file = Some(index);
                                }
                            }
                            gimli::DW_AT_call_line => {
                                call.call_line = nonzero(attr.udata_value());
                            }
                            gimli::DW_AT_call_column => {
                                call.call_column = nonzero(attr.udata_value());
                            }
                            _ => {}
                        }
                        Ok(())
                    })?;
                    call.name = text(name);
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
    fn inlined_at(&self, probe: u64) -> Option<SmallVec<[&InlinedCall; INLINE_LEVELS]>> {
        if self.tied {
            return None;
        }
        Some(match &self.depths {
            Some(depths) => self.inlined_near(depths, probe),
            None => self.inlined_by_search(probe),
        })
    }

    /// What [`Function::inlined_by_search`] finds, where no two ranges at
    /// one depth overlap: at each depth at most one range holds the probe,
    /// the first that ends after it if it starts at or before it. Each
    /// depth's search starts where its last one ended (the probes mostly
    /// come in increasing order).
    fn inlined_near(
        &self,
        depths: &[Depth],
        probe: u64,
    ) -> SmallVec<[&InlinedCall; INLINE_LEVELS]> {
        let mut found = SmallVec::new();
        for depth in depths {
            let ranges = &self.call_ranges[depth.ranges.clone()];
            let mut at = depth.hint.get();
            let point = partition_point_near(ranges, &mut at, |r| r.range.end <= probe);
            depth.hint.set(at);
            match ranges.get(point) {
                Some(range) if range.range.begin <= probe => found.push(&self.calls[range.call]),
                _ => break,
            }
        }
        found
    }

    /// The inline calls holding `probe` as addr2line finds them: a binary
    /// search at each depth in turn, among the ranges after the one found
    /// at the depth before.
    fn inlined_by_search(&self, probe: u64) -> SmallVec<[&InlinedCall; INLINE_LEVELS]> {
        let mut found = SmallVec::new();
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
                return found;
            };
            found.push(&self.calls[rest[index].call]);
            rest = &rest[index + 1..];
        }
    }
}

/// Read the attributes `specs` of the entry at `entries` whose names are
/// `wanted`, each passed to `each`, and step over the others (a run of them
/// at a time), leaving `entries` after the entry's attributes.
fn read_wanted(
    entries: &mut gimli::EntriesRaw<'_, Reader>,
    specs: &[gimli::AttributeSpecification],
    wanted: impl Fn(gimli::DwAt) -> bool,
    mut each: impl FnMut(gimli::Attribute<Reader>) -> gimli::Result<()>,
) -> gimli::Result<()> {
    let mut unread = 0;
    for (index, spec) in specs.iter().enumerate() {
        if !wanted(spec.name()) {
            continue;
        }
        entries.skip_attributes(&specs[unread..index])?;
        unread = index + 1;
        each(entries.read_attribute(*spec)?)?;
    }
    entries.skip_attributes(&specs[unread..])
}

/// Whether an attribute may name a function (see [`note_name`]).
fn names_a_function(at: gimli::DwAt) -> bool {
    matches!(
        at,
        gimli::DW_AT_linkage_name
            | gimli::DW_AT_MIPS_linkage_name
            | gimli::DW_AT_name
            | gimli::DW_AT_abstract_origin
            | gimli::DW_AT_specification
    )
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A function with one inline call per range (depth, start, length),
    /// each call told apart by its line.
    fn function(ranges: &[(usize, u64, u64)]) -> Function {
        let mut function = Function {
            name: None,
            calls: Vec::new(),
            call_ranges: Vec::new(),
            tied: false,
            depths: None,
        };
        for (call, &(depth, begin, length)) in ranges.iter().enumerate() {
            function.calls.push(InlinedCall {
                name: None,
                call_file: None,
                call_line: Some(call as u32),
                call_column: None,
            });
            function.call_ranges.push(CallRange {
                range: gimli::Range {
                    begin,
                    end: begin + length,
                },
                depth,
                call,
            });
        }
        function.sort_call_ranges();
        function
    }

    /// Ranges that do not overlap at any depth (gaps and lengths may be
    /// 0), and now and then one more anywhere, which may overlap.
    fn call_ranges() -> impl Strategy<Value = Vec<(usize, u64, u64)>> {
        let depth = prop::collection::vec((0u64..4, 0u64..6), 0..6);
        let extra = prop::option::weighted(0.2, (0usize..3, 0u64..40, 0u64..10));
        (prop::collection::vec(depth, 1..4), extra).prop_map(|(depths, extra)| {
            let mut ranges = Vec::new();
            for (depth, steps) in depths.into_iter().enumerate() {
                let mut end = 0;
                for (gap, length) in steps {
                    ranges.push((depth, end + gap, length));
                    end += gap + length;
                }
            }
            ranges.extend(extra);
            ranges
        })
    }

    /// The lines of the calls found.
    fn lines(calls: &[&InlinedCall]) -> Vec<Option<u32>> {
        calls.iter().map(|call| call.call_line).collect()
    }

    proptest! {
        /// The search near the last one finds the calls addr2line's binary
        /// search finds, at every probe, in increasing order and going back.
        #[test]
        fn inline_calls_are_found_as_the_binary_search_finds_them(
            ranges in call_ranges(),
            back in prop::collection::vec(0u64..50, 0..8),
        ) {
            let function = function(&ranges);
            let probes = (0..50).chain(back);
            for probe in probes {
                let found = function.inlined_at(probe);
                if function.tied {
                    prop_assert!(found.is_none());
                    continue;
                }
                let found = found.expect("not tied");
                prop_assert_eq!(
                    lines(&found),
                    lines(&function.inlined_by_search(probe)),
                    "at {}", probe
                );
            }
        }
    }

    /// Ranges that overlap at one depth are searched as addr2line searches
    /// them; disjoint ones near the last search.
    #[test]
    fn only_disjoint_ranges_are_searched_near_the_last_search() {
        assert!(
            function(&[(0, 0, 4), (0, 4, 4), (1, 1, 2)])
                .depths
                .is_some()
        );
        assert!(function(&[(0, 0, 4), (0, 3, 4)]).depths.is_none());
    }

    /// A level as plain values.
    type Level = (Option<String>, Option<(String, u32, Option<u32>)>);

    fn level(level: &RawLevel<'_>) -> Level {
        let location = level.location.as_ref();
        (
            level.function.as_deref().map(str::to_owned),
            location.map(|l| (l.file.to_owned(), l.line, l.column)),
        )
    }

    /// At every line row of every unit of the sample kernels, a row
    /// answer is given only after an answer with a function, and says
    /// where that answer's innermost level is.
    #[test]
    fn a_row_answer_follows_an_answer_with_a_function() {
        use std::path::Path;
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples/build");
        for name in ["vmlinux-dwarf5", "vmlinux-dwarf4"] {
            let binary = crate::Binary::open(&samples.join(name)).unwrap();
            let lookup = binary.dwarf().lookup();
            let mut headers = lookup.sections.gimli().units();
            let (mut in_function, mut elsewhere) = (0, 0);
            while let Some(header) = headers.next().unwrap() {
                let offset = header.debug_info_offset().unwrap().0;
                with_unit(lookup, offset, RowsKept::All, |swept| {
                    let Some(swept) = swept else { return };
                    let mut rows = Vec::new();
                    swept.change_points(|_| {}, |row| rows.push(row)).unwrap();
                    // Address 0 is in no unit of a kernel: no function.
                    assert_eq!(swept.answer(0, |chain| chain.len()), Some(0));
                    if let Some(&first) = rows.first() {
                        assert!(swept.answer_row(first).is_none(), "{name}");
                    }
                    for probe in rows {
                        let levels = swept.answer(probe, |chain| {
                            chain.iter().map(level).collect::<Vec<Level>>()
                        });
                        let row = swept.answer_row(probe).map(|location| {
                            location.map(|l| (l.file.to_owned(), l.line, l.column))
                        });
                        match (levels.as_deref(), row) {
                            (Some([innermost, ..]), Some(row)) => {
                                assert_eq!(innermost.1, row, "{name} at {probe:#x}");
                                in_function += 1;
                            }
                            (Some([(None, _)] | []) | None, None) => elsewhere += 1,
                            (levels, row) => panic!("{name} at {probe:#x}: {levels:?} {row:?}"),
                        }
                    }
                });
            }
            assert!(
                in_function > 100 && elsewhere > 0,
                "{name}: {in_function} {elsewhere}"
            );
        }
    }
}
