//! Line programs read for a batch of addresses: a unit's rows, the row
//! at each probe, the address ranges of its sequences, and file paths
//! rendered as addr2line renders them.
//!
//! Rows come from [`super::line_rows`], kresym's own line-program engine,
//! which the sweep and the index build share; the one-by-one lookup runs
//! addr2line's, which gimli's rows drive (see the `dwarf` module docs).

use std::ops::Range;

use gimli::Section as _;

use super::levels::RawLocation;
use super::line_rows;
use super::ranges::{Container, RangeTable, partition_point_near};
use super::sections::Reader;

type UnitRef<'a> = gimli::UnitRef<'a, Reader>;

/// A source location as DWARF gives it, any part possibly missing.
#[derive(Clone, Copy)]
pub(crate) struct Location<'a> {
    pub(crate) file: Option<&'a str>,
    pub(crate) line: Option<u32>,
    pub(crate) column: Option<u32>,
}

impl<'a> Location<'a> {
    /// The location kresym reports: one with both a file and a line.
    pub(crate) fn complete(self) -> Option<RawLocation<'a>> {
        Some(RawLocation {
            file: self.file?,
            line: self.line?,
            column: self.column.filter(|&c| c != 0),
        })
    }
}

/// One row of a line sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineRow {
    address: u64,
    pub(crate) file: u64,
    line: u32,
    column: u32,
}

impl LineRow {
    /// Whether `other` points at the same place: where the next row
    /// says what the row before it said, no answer changes.
    fn says_same(&self, other: &LineRow) -> bool {
        (self.file, self.line, self.column) == (other.file, other.line, other.column)
    }
}

/// Where [`Lines::row_at`] found the last probe's sequence and row.
#[derive(Default)]
pub(crate) struct RowHints {
    sequence: usize,
    row: usize,
}

/// The line row at one probe.
#[derive(Clone, Copy)]
pub(crate) enum LineAnswer {
    Row(LineRow),
    /// In no sequence, or before the first row of its sequence.
    NoRow,
    /// Overlapping sequences.
    Unsure,
}

/// Which rows [`Lines::read`] keeps.
#[derive(Clone, Copy)]
pub(crate) enum RowsKept<'p> {
    /// Every row: the index build asks at every row.
    All,
    /// Those that [`Lines::row_at`] gives at these addresses (sorted): a
    /// sweep of a few probes asks nowhere else, and a row is dropped as
    /// soon as the next one shows no probe falls on it.
    At(&'p [u64]),
}

/// A unit's line rows, and its file names.
pub(crate) struct Lines {
    program: gimli::IncompleteLineProgram<Reader>,
    /// The rows of every non-empty sequence, one per address (the last
    /// row at an address wins, as in addr2line) and none that says what
    /// the one before it says, sequence after sequence; with
    /// [`RowsKept::At`], only the rows the probes fall on, and of each
    /// sequence at least its last.
    rows: Vec<LineRow>,
    /// Whether `rows` holds every row (see [`RowsKept`]).
    every_row: bool,
    /// The address range of each non-empty sequence, and its rows.
    sequences: RangeTable<Range<usize>>,
    /// File paths by file index, rendered on demand.
    files: Vec<Option<String>>,
}

/// Add `new`, at or after the last row of the sequence whose rows start at
/// `first`: the last row at an address wins, and a row that says what the
/// row before it says is not kept (no answer changes there).
fn push_row(rows: &mut Vec<LineRow>, first: usize, new: LineRow) {
    match rows[first..].last_mut() {
        Some(last) if last.address == new.address => {
            *last = new;
            // Now perhaps saying what the row before it says.
            if let [.., before, last] = &rows[first..]
                && before.says_same(last)
            {
                rows.pop();
            }
        }
        Some(last) if last.says_same(&new) => {}
        _ => rows.push(new),
    }
}

/// The address ranges of a unit's line sequences, which addr2line takes as
/// the unit's ranges when it declares none; fails as addr2line's line table
/// would (then addr2line gives the unit no ranges).
pub(crate) fn sequence_ranges(
    unit: UnitRef<'_>,
    program: gimli::IncompleteLineProgram<Reader>,
) -> gimli::Result<Vec<gimli::Range>> {
    Lines::read(unit, program, RowsKept::At(&[]))
        .map(|lines| lines.sequences.entries().iter().map(|s| s.0).collect())
}

impl Lines {
    /// Run the line program once, keeping the rows `kept` says; fails if
    /// the program or any file name is malformed.
    pub(crate) fn read(
        unit: UnitRef<'_>,
        program: gimli::IncompleteLineProgram<Reader>,
        kept: RowsKept<'_>,
    ) -> gimli::Result<Lines> {
        let mut sequences: Vec<(gimli::Range, Range<usize>)> = Vec::new();
        let mut rows: Vec<LineRow> = match kept {
            // Kernel programs spend about three bytes a row: reserved at
            // once rather than grown (and copied) a dozen times.
            RowsKept::All => Vec::with_capacity(program.header().raw_program_buf().len() / 3),
            RowsKept::At(probes) => Vec::with_capacity(probes.len() + 1),
        };
        // Where the current sequence's rows start, and its first row's
        // address (the first kept row may be a later one).
        let mut first = 0;
        let mut start = None;
        // With `RowsKept::At`: the first probe at or after the last kept
        // row of the sequence (its index, and it or `u64::MAX`).
        let (mut probe, mut bound) = (0, u64::MAX);
        line_rows::for_each_row(program.header(), |row| {
            if row.end_sequence {
                if let Some(start) = start.take() {
                    let end = row.address;
                    if start < end {
                        sequences.push((gimli::Range { begin: start, end }, first..rows.len()));
                    } else {
                        rows.truncate(first);
                    }
                }
                first = rows.len();
                return;
            }
            let new = LineRow {
                address: row.address,
                file: row.file,
                line: row.line as u32,
                column: row.column as u32,
            };
            start.get_or_insert(new.address);
            let RowsKept::At(probes) = kept else {
                push_row(&mut rows, first, new);
                return;
            };
            // Rows come in address order within a sequence: no probe falls
            // on the last row when none lies before the new one.
            let in_sequence = rows.len() > first;
            if in_sequence
                && bound >= new.address
                && let Some(last) = rows.last_mut()
            {
                *last = new;
                return;
            }
            if !in_sequence {
                probe = probes.partition_point(|&p| p < new.address);
            }
            while probes.get(probe).is_some_and(|&p| p < new.address) {
                probe += 1;
            }
            bound = probes.get(probe).copied().unwrap_or(u64::MAX);
            rows.push(new);
        })?;
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
                    readable(unit, directory)?;
                }
                readable(unit, file.path_name())?;
            }
        }
        Ok(Lines {
            program,
            rows,
            every_row: matches!(kept, RowsKept::All),
            sequences: RangeTable::new(sequences),
            files: vec![None; count as usize],
        })
    }

    /// The row at `probe`: the last row at or before it in the one
    /// sequence holding it. `hints` as for
    /// [`partition_point_near`].
    pub(crate) fn row_at(&self, probe: u64, hints: &mut RowHints) -> LineAnswer {
        match self.sequences.container(probe, &mut hints.sequence) {
            Container::One(rows) => {
                let rows = &self.rows[rows.clone()];
                match partition_point_near(rows, &mut hints.row, |row| row.address <= probe) {
                    0 => LineAnswer::NoRow,
                    after => LineAnswer::Row(rows[after - 1]),
                }
            }
            Container::None => LineAnswer::NoRow,
            Container::Unsure => LineAnswer::Unsure,
        }
    }

    /// The address of every row, and the end of every sequence, in
    /// program order.
    pub(crate) fn row_addresses(&self) -> impl Iterator<Item = u64> + '_ {
        debug_assert!(self.every_row, "the rows were read for some probes only");
        let rows = self.rows.iter().map(|row| row.address);
        rows.chain(self.sequences.entries().iter().map(|s| s.0.end))
    }

    /// Render the path of file `index`, if there is such a file.
    pub(crate) fn prepare(&mut self, unit: UnitRef<'_>, index: u64) -> gimli::Result<()> {
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
    pub(crate) fn file(&self, index: u64) -> Option<&str> {
        self.files.get(usize::try_from(index).ok()?)?.as_deref()
    }

    /// Where `row` points; its file must be prepared.
    pub(crate) fn location(&self, row: LineRow) -> Location<'_> {
        let line = (row.line != 0).then_some(row.line);
        Location {
            file: self.file(row.file),
            line,
            column: line.map(|_| row.column),
        }
    }
}

/// Fail where `attr_string` fails on `value`. A string given by offset
/// into `.debug_str` or `.debug_line_str` can be read when a NUL follows
/// it in the section, that is when it starts at or before the section's
/// last NUL: checked so, without walking the string (a unit names a few
/// hundred files, and the sweep reads most units).
fn readable(unit: UnitRef<'_>, value: gimli::AttributeValue<Reader>) -> gimli::Result<()> {
    let ends_in = |section: &[u8], offset: usize| {
        section
            .iter()
            .rposition(|&byte| byte == 0)
            .is_some_and(|last| offset <= last)
    };
    let dwarf = unit.dwarf;
    match value {
        gimli::AttributeValue::String(_) => Ok(()),
        gimli::AttributeValue::DebugStrRef(offset)
            if ends_in(dwarf.debug_str.reader().slice(), offset.0) =>
        {
            Ok(())
        }
        gimli::AttributeValue::DebugLineStrRef(offset)
            if ends_in(dwarf.debug_line_str.reader().slice(), offset.0) =>
        {
            Ok(())
        }
        value => unit.attr_string(value).map(drop),
    }
}

/// A file's path as addr2line renders it: the compilation directory, then
/// the file's directory (unless it is directory 0, the compilation
/// directory itself), then its name; an absolute part replaces what came before.
///
/// Derived from addr2line 0.27 (`render_file` in its `line.rs`, Apache-2.0
/// or MIT): the sweep must render paths exactly as the one-by-one lookup,
/// which runs addr2line, does. Keep the two in step when addr2line changes.
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
///
/// Derived from addr2line 0.27 (`path_push`, `has_forward_slash_root` and
/// `has_backward_slash_root` in its `line.rs`), for the reason above.
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A sequence's rows as a line program gives them: addresses that never
    /// go down, often repeated, and few distinct places.
    fn program_rows() -> impl Strategy<Value = Vec<LineRow>> {
        prop::collection::vec((0u64..3, 0u64..2, 0u32..3, 0u32..2), 0..40).prop_map(|steps| {
            let mut address = 0x1000;
            (steps.into_iter())
                .map(|(advance, file, line, column)| {
                    address += advance;
                    LineRow {
                        address,
                        file,
                        line,
                        column,
                    }
                })
                .collect()
        })
    }

    /// Where a row points.
    fn place(row: &LineRow) -> (u64, u32, u32) {
        (row.file, row.line, row.column)
    }

    proptest! {
        /// At every address, the row the kept rows give points where the
        /// last row at or before it in the program points; and no kept
        /// row repeats the one before it or shares its address.
        #[test]
        fn kept_rows_answer_as_every_row_does(program in program_rows(), before in 0usize..3) {
            // Rows of an earlier sequence, which must stay as they are.
            let earlier: Vec<LineRow> = (0..before as u64)
                .map(|n| LineRow { address: n, file: 0, line: 1, column: 0 })
                .collect();
            let mut rows = earlier.clone();
            for &row in &program {
                push_row(&mut rows, earlier.len(), row);
            }
            prop_assert_eq!(fields(&rows[..earlier.len()]), fields(&earlier));
            let kept = &rows[earlier.len()..];
            for pair in kept.windows(2) {
                prop_assert!(pair[0].address < pair[1].address);
                prop_assert!(!pair[0].says_same(&pair[1]));
            }
            prop_assert_eq!(kept.first().map(|r| r.address), program.first().map(|r| r.address));
            // Every address from the first row to past the last.
            for probe in 0x1000..=0x1000 + 2 * 40 + 1 {
                let every = program.iter().rev().find(|row| row.address <= probe);
                let at = kept.partition_point(|row| row.address <= probe);
                let kept_row = at.checked_sub(1).map(|at| &kept[at]);
                prop_assert_eq!(every.map(place), kept_row.map(place), "at {:#x}", probe);
            }
        }
    }

    /// Where the row at `probe` points, as `lines` answers.
    fn answer_at(lines: &Lines, probe: u64) -> Option<Option<(u64, u32, u32)>> {
        match lines.row_at(probe, &mut RowHints::default()) {
            LineAnswer::Row(row) => Some(Some(place(&row))),
            LineAnswer::NoRow => Some(None),
            LineAnswer::Unsure => None,
        }
    }

    /// The address ranges of the sequences of `lines`, by start.
    fn ranges(lines: &Lines) -> Vec<gimli::Range> {
        lines.sequences.entries().iter().map(|s| s.0).collect()
    }

    /// The non-empty sequences of `program` as gimli's rows give them
    /// (from the first row to the end), by start.
    fn gimli_sequences(program: gimli::IncompleteLineProgram<Reader>) -> Vec<gimli::Range> {
        let mut rows = program.rows();
        let (mut sequences, mut start) = (Vec::new(), None);
        while let Some((_, row)) = rows.next_row().unwrap() {
            if !row.end_sequence() {
                start.get_or_insert(row.address());
            } else if let Some(begin) = start.take().filter(|&begin| begin < row.address()) {
                sequences.push(gimli::Range {
                    begin,
                    end: row.address(),
                });
            }
        }
        sequences.sort_by_key(|range| range.begin);
        sequences
    }

    /// In every unit of the sample kernels, the rows kept for some probes
    /// give, at each of them, what every row gives; the sequences are
    /// gimli's either way.
    #[test]
    fn rows_kept_at_probes_answer_as_every_row_does() {
        use std::path::Path;
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples/build");
        for name in ["vmlinux-dwarf5", "vmlinux-dwarf4", "samplemod.ko"] {
            let binary = crate::Binary::open(&samples.join(name)).unwrap();
            let dwarf = binary.dwarf().gimli();
            let mut units = dwarf.units();
            let mut asked = 0;
            while let Some(header) = units.next().unwrap() {
                let unit = dwarf.unit(header).unwrap();
                let Some(program) = unit.line_program.clone() else {
                    continue;
                };
                let unit = gimli::UnitRef::new(&dwarf, &unit);
                let every = Lines::read(unit, program.clone(), RowsKept::All).unwrap();
                assert_eq!(ranges(&every), gimli_sequences(program.clone()), "{name}");
                // Around every row and sequence end, then some of those.
                let mut around: Vec<u64> = (every.row_addresses())
                    .flat_map(|a| [a.wrapping_sub(1), a, a.wrapping_add(1)])
                    .collect();
                around.sort_unstable();
                around.dedup();
                for step in [1, 2, 3, 7, 50] {
                    let probes: Vec<u64> = around.iter().copied().step_by(step).collect();
                    let kept = Lines::read(unit, program.clone(), RowsKept::At(&probes)).unwrap();
                    assert_eq!(ranges(&kept), ranges(&every), "{name}: sequences differ");
                    for &probe in &probes {
                        let (got, expected) = (answer_at(&kept, probe), answer_at(&every, probe));
                        assert_eq!(got, expected, "{name} at {probe:#x}, every {step}");
                        asked += 1;
                    }
                    assert!(kept.rows.len() <= probes.len() + kept.sequences.entries().len());
                }
            }
            assert!(asked > 100, "{name}: {asked} probes asked");
        }
    }

    /// The rows, every field.
    fn fields(rows: &[LineRow]) -> Vec<(u64, u64, u32, u32)> {
        rows.iter()
            .map(|r| (r.address, r.file, r.line, r.column))
            .collect()
    }
}
