//! Building an index: the DWARF lookup's answer at every address where it
//! may change, written down.
//!
//! The `dwarf` side finds those addresses and the answers there, unit by
//! unit in parallel (`DwarfInfo::tabulate`: each unit read once by the
//! sweep, the one-by-one lookup `Lookup::with_raw_chain` answering where
//! the sweep declines). Between two consecutive such addresses the answer
//! is the same everywhere, so the index stores the answer at each, and
//! drops those where nothing changed. That is what makes the index give
//! exactly the DWARF lookup's output.
//!
//! Each part of the answers numbers its strings, files and chains itself;
//! the parts are then merged in address order, numbering everything in
//! order of first appearance in the address space, so the file is the
//! same whichever thread answered what.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::Hash;

use foldhash::HashMap;
use rayon::prelude::*;

use super::format::{
    BLOCK_RECORDS, CHECKSUM_OFFSET, FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_BUCKETS,
    MIN_BUCKET_SHIFT, NAME_SLOT_LEN, SECTION_ENTRY_LEN, SectionId, TAG_CHAIN, TAG_FILE, TAG_ROW,
    name_hash, push_sleb, push_uleb,
};
use super::{GENERATOR, IndexError};
use crate::Binary;
use crate::dwarf::RawLevel;
use crate::paths::PathCleaner;

/// String id meaning "none" (a unit without a compilation directory).
const NO_STRING: u32 = u32::MAX;

/// A part's id not yet given its number in the index.
const UNNUMBERED: u32 = u32::MAX;

/// One chain: the number of levels; the innermost function (string id + 1,
/// or 0); and with two levels or more, the chain of the outer levels (its
/// id) and where the innermost function is called in the next one (file
/// entry + 1, line, column; or three zeros).
type Chain = [u32; 6];

/// The chain with no levels: no DWARF answer at all.
const EMPTY_CHAIN: Chain = [0; 6];

/// Build the index of `binary` and return the bytes of the file.
pub(crate) fn build(binary: &Binary) -> Result<Vec<u8>, IndexError> {
    // The index holds the symbol table too: it is read meanwhile, on a
    // thread of its own (the tabulation stays on the caller's thread, whose
    // stack a deep inline nest may need).
    let parts = std::thread::scope(|scope| {
        scope.spawn(|| binary.symbols());
        binary.dwarf().tabulate(Part::default, Part::answer)
    })?;
    Ok(merge(parts).write(binary))
}

/// Merge the parts' answers in address order into the tables of the index.
fn merge(parts: Vec<Part>) -> Tables {
    let mut numbers: Vec<Numbers> = parts.iter().map(Numbers::new).collect();
    let mut tables = Tables::default();
    // Id 0 is the empty chain: no DWARF answer at all.
    tables.chains.intern(EMPTY_CHAIN);
    // The parts by their next answer's address. A part's answers mostly
    // come in long runs no other part's answer falls into (a unit's code is
    // mostly in one piece): each run is taken whole.
    let mut next: BinaryHeap<Reverse<(u64, usize)>> = (parts.iter().enumerate())
        .filter_map(|(number, part)| Some(Reverse((part.answers.first()?.address, number))))
        .collect();
    let mut taken = vec![0; parts.len()];
    while let Some(Reverse((_, number))) = next.pop() {
        let until = next
            .peek()
            .map_or(u64::MAX, |Reverse((address, _))| *address);
        let (part, numbers) = (&parts[number], &mut numbers[number]);
        let answers = &part.answers[taken[number]..];
        let run = answers
            .partition_point(|answer| answer.address < until)
            .max(1);
        for answer in &answers[..run] {
            let record = tables.number(part, numbers, answer);
            tables.push(record);
        }
        taken[number] += run;
        if let Some(answer) = answers.get(run) {
            next.push(Reverse((answer.address, number)));
        }
    }
    // Dropping the parts' many small strings takes a while: in parallel.
    parts.into_par_iter().for_each(drop);
    tables
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
            ids: HashMap::default(),
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

/// One part of the answers (see [`crate::dwarf::DwarfInfo::tabulate`]),
/// with its own numbering of strings, files and chains.
#[derive(Debug)]
struct Part {
    tables: Tables,
    /// In address order.
    answers: Vec<Answer>,
    /// The last answer's compilation directory and levels, outermost
    /// first: the next answer usually repeats most of them, and finds their
    /// numbers here by comparing text instead of hashing it.
    last_comp_dir: u32,
    last: Vec<Level>,
}

/// The answer at one address, in a part's numbering.
#[derive(Debug)]
struct Answer {
    address: u64,
    /// The compilation directory, or [`NO_STRING`].
    comp_dir: u32,
    row: Option<Row>,
    chain: u32,
}

/// One level of an answer, in a part's numbering.
#[derive(Debug, Clone, Copy)]
struct Level {
    /// Function string id + 1, or 0.
    function: u32,
    /// The chain of this level and the ones outside it.
    chain: u32,
    /// The location, and its file's path string id.
    location: Option<(Row, u32)>,
}

impl Default for Part {
    fn default() -> Self {
        let mut tables = Tables::default();
        tables.chains.intern(EMPTY_CHAIN);
        Part {
            tables,
            answers: Vec::new(),
            last_comp_dir: NO_STRING,
            last: Vec::new(),
        }
    }
}

impl Part {
    /// Take down the answer at `address`.
    fn answer(&mut self, address: u64, comp_dir: Option<&str>, levels: &[RawLevel<'_>]) {
        let tables = &mut self.tables;
        let string = |tables: &mut Tables, text: &str, last: u32| {
            let known = (last != NO_STRING).then(|| &tables.strings.items[last as usize]);
            match known {
                Some(known) if **known == *text => last,
                _ => tables.strings.intern_str(text),
            }
        };
        let comp_dir = comp_dir.map_or(NO_STRING, |dir| string(tables, dir, self.last_comp_dir));
        // The last answer's levels are of use while this one repeats them.
        let mut same = comp_dir == self.last_comp_dir;
        self.last_comp_dir = comp_dir;
        // From the outermost level in: each chain refers to the one outside it.
        let (mut chain, mut call, mut row) = (0, None, None);
        for (depth, level) in levels.iter().enumerate().rev() {
            let outside = levels.len() - 1 - depth;
            let last = self.last.get(outside).copied().filter(|_| same);
            let function = match level.function.as_deref() {
                Some(name) => {
                    let known = last.map_or(NO_STRING, |last| last.function.wrapping_sub(1));
                    string(tables, name, known) + 1
                }
                None => 0,
            };
            let location = level.location.as_ref().map(|l| {
                let known = last
                    .and_then(|last| last.location)
                    .map_or(NO_STRING, |(_, path)| path);
                let path = string(tables, l.file, known);
                let file = match last.and_then(|last| last.location) {
                    Some((row, known)) if known == path => row.file,
                    _ => tables.files.intern((path, comp_dir)),
                };
                let row = Row {
                    file,
                    line: l.line,
                    column: l.column.unwrap_or(0),
                };
                (row, path)
            });
            let count = (outside + 1) as u32;
            chain = match last {
                Some(last) if last.function == function => last.chain,
                _ => {
                    same = false;
                    let node = match (count, call) {
                        (1, _) => [1, function, 0, 0, 0, 0],
                        (_, Some(Row { file, line, column })) => {
                            [count, function, chain, file + 1, line, column]
                        }
                        (_, None) => [count, function, chain, 0, 0, 0],
                    };
                    tables.chains.intern(node)
                }
            };
            let level = Level {
                function,
                chain,
                location,
            };
            // Inner levels repeat the last answer's only below the same call.
            same &= last.is_some_and(|last| last.location.map(|l| l.0) == location.map(|l| l.0));
            if outside < self.last.len() {
                self.last[outside] = level;
            } else {
                self.last.push(level);
            }
            let location = location.map(|(row, _)| row);
            if depth == 0 {
                row = location;
            } else {
                call = location;
            }
        }
        self.last.truncate(levels.len());
        self.answers.push(Answer {
            address,
            comp_dir,
            row,
            chain,
        });
    }
}

/// A part's ids numbered in the index so far ([`UNNUMBERED`] if not yet).
struct Numbers {
    strings: Vec<u32>,
    files: Vec<u32>,
    chains: Vec<u32>,
}

impl Numbers {
    fn new(part: &Part) -> Self {
        let tables = &part.tables;
        Numbers {
            strings: vec![UNNUMBERED; tables.strings.items.len()],
            files: vec![UNNUMBERED; tables.files.items.len()],
            chains: vec![UNNUMBERED; tables.chains.items.len()],
        }
    }
}

impl Tables {
    /// The record of a part's answer, numbering what it uses for the first
    /// time in the order [`Part::answer`] met it: the compilation
    /// directory; then from the outermost level in, the file of the call
    /// site (the location of the level outside) and the function; then the
    /// file of the row.
    fn number(&mut self, part: &Part, numbers: &mut Numbers, answer: &Answer) -> Record {
        if answer.comp_dir != NO_STRING {
            self.number_string(part, numbers, answer.comp_dir);
        }
        let chain = self.number_chain(part, numbers, answer.chain);
        Record {
            address: answer.address,
            row: answer.row.map(|row| Row {
                file: self.number_file(part, numbers, row.file),
                ..row
            }),
            chain,
        }
    }

    fn number_string(&mut self, part: &Part, numbers: &mut Numbers, id: u32) -> u32 {
        let number = &mut numbers.strings[id as usize];
        if *number == UNNUMBERED {
            *number = self
                .strings
                .intern_str(&part.tables.strings.items[id as usize]);
        }
        *number
    }

    fn number_file(&mut self, part: &Part, numbers: &mut Numbers, id: u32) -> u32 {
        if numbers.files[id as usize] == UNNUMBERED {
            let (raw, dir) = part.tables.files.items[id as usize];
            let raw = self.number_string(part, numbers, raw);
            let dir = match dir {
                NO_STRING => NO_STRING,
                dir => self.number_string(part, numbers, dir),
            };
            numbers.files[id as usize] = self.files.intern((raw, dir));
        }
        numbers.files[id as usize]
    }

    fn number_chain(&mut self, part: &Part, numbers: &mut Numbers, id: u32) -> u32 {
        // The chain and its outer chains not numbered yet, innermost first.
        let mut new = Vec::new();
        let mut next = id;
        while numbers.chains[next as usize] == UNNUMBERED {
            new.push(next);
            let [count, _, outer, ..] = part.tables.chains.items[next as usize];
            if count < 2 {
                break;
            }
            next = outer;
        }
        for &id in new.iter().rev() {
            let [count, function, outer, call, line, column] =
                part.tables.chains.items[id as usize];
            let outer = if count >= 2 {
                numbers.chains[outer as usize]
            } else {
                0
            };
            let call = match call {
                0 => 0,
                call => self.number_file(part, numbers, call - 1) + 1,
            };
            let function = match function {
                0 => 0,
                function => self.number_string(part, numbers, function - 1) + 1,
            };
            numbers.chains[id as usize] = self
                .chains
                .intern([count, function, outer, call, line, column]);
        }
        numbers.chains[id as usize]
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
        by_name.par_sort_by(|&a, &b| {
            let (x, y) = (names[a as usize], names[b as usize]);
            self.strings.items[x as usize]
                .cmp(&self.strings.items[y as usize])
                .then(a.cmp(&b))
        });

        // Files: the raw path, and the path cleaned as the lookup cleans it.
        let mut cleaners: HashMap<u32, PathCleaner> = HashMap::default();
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

        // The sections do not depend on each other: encoded in parallel.
        let strings = &self.strings.items;
        let (((chain_offsets, chain_data), (blocks, records)), (block_buckets, strings, name_hash)) =
            rayon::join(
                || {
                    rayon::join(
                        || encode_chains(&self.chains.items),
                        || encode_records(&self.records),
                    )
                },
                || {
                    (
                        encode_block_buckets(&self.records),
                        encode_strings(strings),
                        encode_name_hash(&by_name, &names, |name| &strings[name as usize]),
                    )
                },
            );
        let (string_offsets, string_data) = strings;
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

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// Every sample kernel and module.
    fn samples() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples");
        let mut dirs = vec![root.join("build")];
        for variant in std::fs::read_dir(root.join("variants")).unwrap() {
            dirs.push(variant.unwrap().path());
        }
        let mut found = Vec::new();
        for dir in dirs {
            for file in std::fs::read_dir(dir).unwrap() {
                let path = file.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy();
                if name.starts_with("vmlinux") || name.ends_with(".ko") {
                    found.push(path);
                }
            }
        }
        found.sort();
        found
    }

    /// The index built from the sweep's parts is byte for byte the one built
    /// by asking the one-by-one lookup at every boundary of every unit, as
    /// the index build did before it used the sweep.
    #[test]
    fn the_index_equals_the_one_asked_at_every_boundary() {
        let samples = samples();
        assert!(samples.len() >= 10, "{samples:?}");
        for path in samples {
            let binary = Binary::open(&path).unwrap();
            let mut part = Part::default();
            crate::dwarf::per_boundary(binary.dwarf().lookup(), |address, dir, chain| {
                part.answer(address, dir, chain)
            })
            .unwrap();
            let asked = merge(vec![part]).write(&binary);
            let built = build(&binary).unwrap();
            assert!(built == asked, "{}", path.display());
        }
    }
}
