//! Building an index: ask DWARF once at every address where its answer may
//! change, and write the answers down.
//!
//! What the DWARF lookup returns at an address depends only on how the
//! address compares with a finite set of boundaries: the start and end of
//! every range a DIE has (units, functions, inlined calls, lexical blocks),
//! the address of every line-table row, and the start and end of every
//! `.debug_aranges` range (which picks the lookup context). Between two
//! consecutive boundaries the answer is the same everywhere, so the index
//! stores the answer at each boundary, found by the very code the DWARF
//! lookup runs (`Lookup::with_raw_chain` in the `dwarf` module), and drops the boundaries where
//! nothing changed. That is what makes the index give exactly the DWARF
//! lookup's output.

use std::collections::HashMap;
use std::hash::Hash;

use gimli::UnitHeader;
use rayon::prelude::*;

use super::format::{
    BLOCK_RECORDS, CHECKSUM_OFFSET, FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_BUCKETS,
    MIN_BUCKET_SHIFT, NAME_SLOT_LEN, SECTION_ENTRY_LEN, SectionId, TAG_CHAIN, TAG_FILE, TAG_ROW,
    name_hash, push_sleb, push_uleb,
};
use super::{GENERATOR, IndexError};
use crate::Binary;
use crate::dwarf::{RangeAttributes, RawLevel, Reader, declares_ranges, for_each_row};
use crate::paths::PathCleaner;

/// Boundaries evaluated per parallel task.
const CHUNK: usize = 1 << 14;

/// String id meaning "none" (a unit without a compilation directory).
const NO_STRING: u32 = u32::MAX;

/// One chain: the number of levels; the innermost function (string id + 1,
/// or 0); and with two levels or more, the chain of the outer levels (its
/// id) and where the innermost function is called in the next one (file
/// entry + 1, line, column; or three zeros).
type Chain = [u32; 6];

/// The chain with no levels: no DWARF answer at all.
const EMPTY_CHAIN: Chain = [0; 6];

/// Build the index of `binary` and return the bytes of the file.
pub(crate) fn build(binary: &Binary) -> Result<Vec<u8>, IndexError> {
    let boundaries = boundaries(binary)?;
    let chunks: Vec<Tables> = boundaries
        .par_chunks(CHUNK)
        .map(|chunk| evaluate(binary, chunk))
        .collect();
    let mut tables = Tables::default();
    // Id 0 is the empty chain: no DWARF answer at all.
    tables.chains.intern(EMPTY_CHAIN);
    for chunk in chunks {
        tables.absorb(chunk);
    }
    Ok(tables.write(binary))
}

/// Every address where the DWARF lookup's answer may change, sorted, from 0.
fn boundaries(binary: &Binary) -> Result<Vec<u64>, IndexError> {
    let dwarf = binary.dwarf().gimli();
    let mut headers: Vec<UnitHeader<Reader>> = Vec::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        headers.push(header);
    }
    let per_unit: Vec<Vec<u64>> = headers
        .into_par_iter()
        .map(|header| unit_boundaries(&dwarf, header))
        .collect::<gimli::Result<_>>()?;
    let mut all: Vec<u64> = per_unit.into_iter().flatten().collect();
    all.extend(binary.dwarf().unit_range_boundaries());
    all.push(0);
    all.par_sort_unstable();
    all.dedup();
    Ok(all)
}

/// One unit's DIE range starts and ends, and its line rows.
///
/// Ranges are read by the decoder the sweep and the unit table use
/// (addr2line's rules: a DIE's `DW_AT_ranges` wins over its
/// `DW_AT_low_pc`/`DW_AT_high_pc`, as in the lookup); rows by kresym's own
/// line-program engine, or gimli's where that one declines a program.
/// Any error fails the build: a unit this walk cannot read might still be
/// partly readable by the lookup, and the index must not guess.
fn unit_boundaries(
    dwarf: &gimli::Dwarf<Reader>,
    header: UnitHeader<Reader>,
) -> gimli::Result<Vec<u64>> {
    let unit = dwarf.unit(header)?;
    let unit = gimli::UnitRef::new(dwarf, &unit);
    let mut out = Vec::new();
    let mut entries = unit.entries_raw(None)?;
    while !entries.is_empty() {
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
        ranges.for_each(unit, |range| out.extend([range.begin, range.end]))?;
    }
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
    Ok(out)
}

/// What the lookup answers from one boundary to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    address: u64,
    /// The innermost level's line row.
    row: Option<Row>,
    /// The chain: functions, and the call sites of the outer levels.
    chain: u32,
}

/// A line row: file entry, line, column (0 when unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Row {
    file: u32,
    line: u32,
    column: u32,
}

/// Values numbered in order of first appearance.
#[derive(Debug)]
struct Interner<K> {
    ids: HashMap<K, u32>,
    items: Vec<K>,
}

impl<K> Default for Interner<K> {
    fn default() -> Self {
        Interner {
            ids: HashMap::new(),
            items: Vec::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Interner<K> {
    fn intern(&mut self, key: K) -> u32 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.items.len() as u32;
        self.items.push(key.clone());
        self.ids.insert(key, id);
        id
    }
}

impl Interner<Box<str>> {
    fn intern_str(&mut self, text: &str) -> u32 {
        match self.ids.get(text) {
            Some(&id) => id,
            None => self.intern(text.into()),
        }
    }
}

/// Strings, file entries, chains and the records that use them.
///
/// Chains share their outer levels: each is its innermost level plus the
/// id of the chain of its outer levels, so a chain of depth `n` costs one
/// entry beyond the `n - 1` levels already stored, not `n` levels again.
#[derive(Debug, Default)]
struct Tables {
    strings: Interner<Box<str>>,
    /// (raw path string, compilation directory string or [`NO_STRING`]).
    files: Interner<(u32, u32)>,
    /// Every chain is interned after the chain of its outer levels.
    chains: Interner<Chain>,
    records: Vec<Record>,
}

/// Ask DWARF at each boundary of `chunk`; keep the records that change the answer.
fn evaluate(binary: &Binary, chunk: &[u64]) -> Tables {
    let mut tables = Tables::default();
    let empty = tables.chains.intern(EMPTY_CHAIN);
    for &address in chunk {
        let record = binary
            .dwarf()
            .with_raw_chain(address, |comp_dir, levels| {
                tables.record(address, comp_dir, levels)
            })
            .unwrap_or(Record {
                address,
                row: None,
                chain: empty,
            });
        tables.push(record);
    }
    tables
}

impl Tables {
    fn record(&mut self, address: u64, comp_dir: Option<&str>, levels: &[RawLevel<'_>]) -> Record {
        let comp_dir = comp_dir.map_or(NO_STRING, |dir| self.strings.intern_str(dir));
        // From the outermost level in: each chain refers to the one outside it.
        let (mut chain, mut call, mut row) = (0, None, None);
        for (depth, level) in levels.iter().enumerate().rev() {
            let function = level
                .function
                .as_deref()
                .map_or(0, |name| self.strings.intern_str(name) + 1);
            let location = level.location.as_ref().map(|l| Row {
                file: self
                    .files
                    .intern((self.strings.intern_str(l.file), comp_dir)),
                line: l.line,
                column: l.column.unwrap_or(0),
            });
            let count = (levels.len() - depth) as u32;
            let node = match (count, call) {
                (1, _) => [1, function, 0, 0, 0, 0],
                (_, Some(Row { file, line, column })) => {
                    [count, function, chain, file + 1, line, column]
                }
                (_, None) => [count, function, chain, 0, 0, 0],
            };
            chain = self.chains.intern(node);
            if depth == 0 {
                row = location;
            } else {
                call = location;
            }
        }
        Record {
            address,
            row,
            chain,
        }
    }

    /// Append a record unless it says what the last one said.
    fn push(&mut self, record: Record) {
        if self
            .records
            .last()
            .is_some_and(|last| last.row == record.row && last.chain == record.chain)
        {
            return;
        }
        self.records.push(record);
    }

    /// Merge a chunk's tables and records into these, renumbering its ids.
    fn absorb(&mut self, chunk: Tables) {
        let strings: Vec<u32> = chunk
            .strings
            .items
            .iter()
            .map(|s| self.strings.intern_str(s))
            .collect();
        let string = |id: u32| {
            if id == NO_STRING {
                NO_STRING
            } else {
                strings[id as usize]
            }
        };
        let files: Vec<u32> = chunk
            .files
            .items
            .iter()
            .map(|&(raw, dir)| self.files.intern((string(raw), string(dir))))
            .collect();
        // Outer chains come first, so they are renumbered before they are used.
        let mut chains: Vec<u32> = Vec::with_capacity(chunk.chains.items.len());
        for &[count, function, outer, call, line, column] in &chunk.chains.items {
            let optional =
                |id: u32, map: &[u32]| if id == 0 { 0 } else { map[id as usize - 1] + 1 };
            let outer = if count >= 2 {
                chains[outer as usize]
            } else {
                0
            };
            let renumbered = [
                count,
                optional(function, &strings),
                outer,
                optional(call, &files),
                line,
                column,
            ];
            chains.push(self.chains.intern(renumbered));
        }
        for record in chunk.records {
            self.push(Record {
                address: record.address,
                row: record.row.map(|row| Row {
                    file: files[row.file as usize],
                    ..row
                }),
                chain: chains[record.chain as usize],
            });
        }
    }

    /// The index file.
    fn write(mut self, binary: &Binary) -> Vec<u8> {
        // Symbols, with names in the string table.
        let table = binary.symbols();
        let mut symbols = Vec::with_capacity(table.len() * super::format::SYMBOL_LEN);
        let mut names = Vec::with_capacity(table.len());
        for symbol in table.iter() {
            let name = self.strings.intern_str(&symbol.name);
            symbols.extend(symbol.address.to_le_bytes());
            symbols.extend(symbol.size.to_le_bytes());
            symbols.extend(name.to_le_bytes());
            symbols.extend([0; 4]);
            names.push(name);
        }
        let mut by_name: Vec<u32> = (0..names.len() as u32).collect();
        by_name.sort_by(|&a, &b| {
            let (x, y) = (names[a as usize], names[b as usize]);
            self.strings.items[x as usize]
                .cmp(&self.strings.items[y as usize])
                .then(a.cmp(&b))
        });

        // Files: the raw path, and the path cleaned as the lookup cleans it.
        let mut cleaners: HashMap<u32, PathCleaner> = HashMap::new();
        let mut files = Vec::with_capacity(self.files.items.len() * super::format::FILE_LEN);
        for &(raw, dir) in &self.files.items.clone() {
            let cleaner = cleaners.entry(dir).or_insert_with(|| {
                let dir = (dir != NO_STRING).then(|| &*self.strings.items[dir as usize]);
                PathCleaner::from_comp_dirs(dir).with_roots(binary.source_roots())
            });
            let clean = cleaner.clean(&self.strings.items[raw as usize]);
            let clean = self.strings.intern_str(&clean);
            files.extend(raw.to_le_bytes());
            files.extend(clean.to_le_bytes());
        }

        let (chain_offsets, chain_data) = encode_chains(&self.chains.items);
        let (blocks, records) = encode_records(&self.records);
        let block_buckets = encode_block_buckets(&self.records);
        let (string_offsets, string_data) = encode_strings(&self.strings.items);
        let name_hash =
            encode_name_hash(&by_name, &names, |name| &self.strings.items[name as usize]);
        let by_name: Vec<u8> = by_name.iter().flat_map(|i| i.to_le_bytes()).collect();

        let mut meta = Vec::new();
        let counted = |out: &mut Vec<u8>, bytes: &[u8]| {
            push_uleb(out, bytes.len() as u64);
            out.extend(bytes);
        };
        counted(&mut meta, GENERATOR.as_bytes());
        counted(&mut meta, binary.build_id().unwrap_or_default());
        match binary.release() {
            Some(release) => {
                meta.push(1);
                counted(&mut meta, release.as_bytes());
            }
            None => meta.push(0),
        }
        match table.alternate_end() {
            Some(end) => {
                meta.push(1);
                push_uleb(&mut meta, end);
            }
            None => meta.push(0),
        }

        let sections: [(SectionId, &[u8]); SectionId::ALL.len()] = [
            (SectionId::Meta, &meta),
            (SectionId::StringOffsets, &string_offsets),
            (SectionId::StringData, &string_data),
            (SectionId::Symbols, &symbols),
            (SectionId::SymbolsByName, &by_name),
            (SectionId::Files, &files),
            (SectionId::ChainOffsets, &chain_offsets),
            (SectionId::ChainData, &chain_data),
            (SectionId::Blocks, &blocks),
            (SectionId::Records, &records),
            (SectionId::NameHash, &name_hash),
            (SectionId::BlockBuckets, &block_buckets),
        ];
        assemble(&sections)
    }
}

/// The name hash table over `by_name` (symbol indices sorted by name;
/// `names` gives each symbol's name string id, `text` a string's text).
fn encode_name_hash<'a>(by_name: &[u32], names: &[u32], text: impl Fn(u32) -> &'a str) -> Vec<u8> {
    // Runs of one name: (name string id, first position, length).
    let mut runs: Vec<(u32, u32, u32)> = Vec::new();
    for (position, &index) in by_name.iter().enumerate() {
        let name = names[index as usize];
        match runs.last_mut() {
            Some(run) if run.0 == name => run.2 += 1,
            _ => runs.push((name, position as u32, 1)),
        }
    }
    // At most three quarters full, so every probe ends at an empty slot.
    let slots = (runs.len() * 4 / 3 + 1).next_power_of_two();
    let mut table = vec![0u8; slots * NAME_SLOT_LEN];
    for (name, position, count) in runs {
        let mut slot = name_hash(text(name).as_bytes()) as usize & (slots - 1);
        while table[slot * NAME_SLOT_LEN..][..4] != [0; 4] {
            slot = (slot + 1) & (slots - 1);
        }
        let entry = &mut table[slot * NAME_SLOT_LEN..][..NAME_SLOT_LEN];
        entry[..4].copy_from_slice(&(name + 1).to_le_bytes());
        entry[4..8].copy_from_slice(&position.to_le_bytes());
        entry[8..].copy_from_slice(&count.to_le_bytes());
    }
    table
}

fn encode_strings(strings: &[Box<str>]) -> (Vec<u8>, Vec<u8>) {
    let mut offsets = Vec::with_capacity((strings.len() + 1) * 4);
    let mut data = Vec::new();
    for string in strings {
        offsets.extend((data.len() as u32).to_le_bytes());
        data.extend(string.as_bytes());
    }
    offsets.extend((data.len() as u32).to_le_bytes());
    (offsets, data)
}

fn encode_chains(chains: &[Chain]) -> (Vec<u8>, Vec<u8>) {
    let mut offsets = Vec::with_capacity((chains.len() + 1) * 4);
    let mut data = Vec::new();
    for &[count, function, outer, call, line, column] in chains {
        offsets.extend((data.len() as u32).to_le_bytes());
        push_uleb(&mut data, count.into());
        if count == 0 {
            continue;
        }
        push_uleb(&mut data, function.into());
        if count >= 2 {
            push_uleb(&mut data, outer.into());
            push_uleb(&mut data, call.into());
            if call != 0 {
                push_uleb(&mut data, line.into());
                push_uleb(&mut data, column.into());
            }
        }
    }
    offsets.extend((data.len() as u32).to_le_bytes());
    (offsets, data)
}

/// Records in blocks of [`BLOCK_RECORDS`]; each block starts afresh, so a
/// lookup decodes one block only.
fn encode_records(records: &[Record]) -> (Vec<u8>, Vec<u8>) {
    let mut blocks = Vec::new();
    let mut data = Vec::new();
    for block in records.chunks(BLOCK_RECORDS) {
        blocks.extend(block[0].address.to_le_bytes());
        blocks.extend((data.len() as u64).to_le_bytes());
        let (mut address, mut file, mut line, mut chain) = (block[0].address, None, 0i64, None);
        for record in block {
            push_uleb(&mut data, record.address - address);
            address = record.address;
            let mut tag = 0;
            if record.row.is_some() {
                tag |= TAG_ROW;
            }
            let new_file = record.row.map(|r| r.file).filter(|&f| Some(f) != file);
            if new_file.is_some() {
                tag |= TAG_FILE;
            }
            if chain != Some(record.chain) {
                tag |= TAG_CHAIN;
            }
            data.push(tag);
            if let Some(new) = new_file {
                push_uleb(&mut data, new.into());
                file = Some(new);
            }
            if let Some(row) = record.row {
                push_sleb(&mut data, i64::from(row.line) - line);
                line = row.line.into();
                push_uleb(&mut data, row.column.into());
            }
            if tag & TAG_CHAIN != 0 {
                push_uleb(&mut data, record.chain.into());
                chain = Some(record.chain);
            }
        }
    }
    (blocks, data)
}

/// Buckets over the addresses of the blocks after the first (which starts
/// at 0): for each, the block in force at its start.
fn encode_block_buckets(records: &[Record]) -> Vec<u8> {
    let starts: Vec<u64> = records
        .chunks(BLOCK_RECORDS)
        .map(|block| block[0].address)
        .collect();
    let base = starts.get(1).copied().unwrap_or(0);
    let span = starts.last().copied().unwrap_or(0).saturating_sub(base);
    let mut shift = MIN_BUCKET_SHIFT;
    while span >> shift >= MAX_BUCKETS {
        shift += 1;
    }
    let count = (span >> shift) + 1;
    let mut out = Vec::with_capacity(16 + 4 * (count as usize + 1));
    out.extend(base.to_le_bytes());
    out.extend(shift.to_le_bytes());
    out.extend((count as u32).to_le_bytes());
    let mut block = 0;
    for bucket in 0..=count {
        let start = base.saturating_add(bucket << shift);
        while block + 1 < starts.len() && starts[block + 1] <= start {
            block += 1;
        }
        out.extend((block as u32).to_le_bytes());
    }
    out
}

/// Header, section table, 8-aligned sections; then the checksum.
fn assemble(sections: &[(SectionId, &[u8])]) -> Vec<u8> {
    let table_end = HEADER_LEN + SECTION_ENTRY_LEN * sections.len();
    let mut out =
        Vec::with_capacity(table_end + sections.iter().map(|s| s.1.len() + 8).sum::<usize>());
    out.extend(MAGIC);
    out.extend(FORMAT_VERSION.to_le_bytes());
    out.extend((sections.len() as u32).to_le_bytes());
    out.extend([0; 8]);
    let mut offset = table_end;
    for (id, bytes) in sections {
        offset = offset.next_multiple_of(8);
        out.extend((*id as u32).to_le_bytes());
        out.extend([0; 4]);
        out.extend((offset as u64).to_le_bytes());
        out.extend((bytes.len() as u64).to_le_bytes());
        offset += bytes.len();
    }
    for (_, bytes) in sections {
        out.resize(out.len().next_multiple_of(8), 0);
        out.extend(*bytes);
    }
    let checksum = xxhash_rust::xxh3::xxh3_64(&out[HEADER_LEN..]);
    out[CHECKSUM_OFFSET..HEADER_LEN].copy_from_slice(&checksum.to_le_bytes());
    out
}
