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
//! Each part of the answers numbers its strings, files and chains itself.
//! Then, still in parallel, every part's strings and files are put in
//! tables [`Shared`] by all parts, where equal ones get one provisional
//! id. One thread then numbers strings and files in the order the parts
//! (in unit order) first use them, by provisional id, no text compared
//! again; each part's chains follow the chains of the parts before it. A
//! chain names one unit's functions and call sites, so parts rarely share
//! one (6,000 of Debian 6.1's 328,000 chains are equal to another part's):
//! those few are stored twice rather than every chain hashed once more.
//! Last, in parallel again, the chains are encoded part by part, and the
//! records in pieces of the answers in address order. So the file is the
//! same whichever thread answered what.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::{BuildHasher, Hash};
use std::ops::Range;
use std::sync::Mutex;

use foldhash::HashMap;
use hashbrown::HashTable;
use rayon::prelude::*;

use super::format::{
    BLOCK_RECORDS, FORMAT_VERSION, HEADER_LEN, MAGIC, MAX_BUCKETS, MIN_BUCKET_SHIFT, NAME_SLOT_LEN,
    SECTION_ENTRY_LEN, SectionId, TAG_CHAIN, TAG_FILE, TAG_ROW, name_hash, push_sleb, push_uleb,
};
use super::{GENERATOR, IndexError};
use crate::Binary;
use crate::dwarf::{Answers, RawLevel, RawLocation};
use crate::paths::PathCleaner;

/// String id meaning "none" (a unit without a compilation directory).
const NO_STRING: u32 = u32::MAX;

/// An id not yet given its number in the index.
const UNNUMBERED: u32 = u32::MAX;

/// One chain: the number of levels; the innermost function (string id + 1,
/// or 0); and with two levels or more, the chain of the outer levels (its
/// id) and where the innermost function is called in the next one (file
/// entry + 1, line, column; or three zeros).
type Chain = [u32; 6];

/// The chain with no levels: no DWARF answer at all.
const EMPTY_CHAIN: Chain = [0; 6];

/// Build the index of `binary` and return the bytes of the file.
pub(crate) fn build(binary: &Binary) -> Result<Sections, IndexError> {
    // The index holds the symbol table too: it is read meanwhile, on a
    // thread of its own (the tabulation stays on the caller's thread, whose
    // stack a deep inline nest may need).
    let parts = std::thread::scope(|scope| {
        scope.spawn(|| binary.symbols());
        binary.dwarf().tabulate(Part::with_capacity)
    })?;
    // The rest of the build reads nothing more from the DWARF than the
    // source tree's roots the paths are cleaned with: found now, and the
    // DWARF's pages are unmapped meanwhile (see `Binary::unmap_pages`).
    binary.source_roots();
    Ok(std::thread::scope(|scope| {
        scope.spawn(|| binary.unmap_pages());
        write(parts, binary)
    }))
}

/// The index file of `binary` with the answers of `parts`.
fn write(parts: Vec<Part>, binary: &Binary) -> Sections {
    let mut shared = Shared::for_parts(&parts, binary.symbols().len());
    let symbol_names: Vec<&str> = binary.symbols().iter().map(|s| &*s.name).collect();
    let (parts, names) = rayon::join(
        || {
            (parts.into_par_iter())
                .map(|part| part.share(&shared))
                .collect::<Vec<_>>()
        },
        || {
            (symbol_names.par_iter())
                .map(|name| shared.strings.intern_str(name))
                .collect::<Vec<_>>()
        },
    );
    // Numbering is one thread's work: meanwhile the others put the answers
    // in address order and sort the symbols by name.
    let ((mut tables, numbers), (runs, by_name)) = rayon::join(
        || {
            let (mut tables, numbers) = Tables::number(&parts, &mut shared);
            tables.chains = encode_chains(&parts, &numbers);
            (tables, numbers)
        },
        || {
            let runs = address_order(&parts);
            let mut by_name: Vec<u32> = (0..symbol_names.len() as u32).collect();
            by_name.par_sort_unstable_by_key(|&index| (symbol_names[index as usize], index));
            (runs, by_name)
        },
    );
    tables.records = records(&parts, &numbers, &runs);
    // Dropping the parts' many answers takes a while: meanwhile.
    let write = || tables.write(binary, shared, &names, &by_name);
    rayon::join(|| drop(parts), write).1
}

/// A stretch of one part's answers with no other part's among them.
#[derive(Debug, Clone)]
struct Run {
    part: usize,
    answers: Range<usize>,
}

/// The parts' answers in address order, as runs. A part's answers mostly
/// come in long runs no other part's answer falls into (a unit's code is
/// mostly in one piece): each is found whole.
fn address_order(parts: &[SharedPart]) -> Vec<Run> {
    // The parts by their next answer's address.
    let mut next: BinaryHeap<Reverse<(u64, usize)>> = (parts.iter().enumerate())
        .filter_map(|(number, part)| Some(Reverse((part.part.answers.first()?.address, number))))
        .collect();
    let mut taken = vec![0; parts.len()];
    let mut runs = Vec::new();
    while let Some(Reverse((_, part))) = next.pop() {
        let until = next
            .peek()
            .map_or(u64::MAX, |Reverse((address, _))| *address);
        let answers = &parts[part].part.answers;
        let start = taken[part];
        let end = start
            + answers[start..]
                .partition_point(|answer| answer.address < until)
                .max(1);
        runs.push(Run {
            part,
            answers: start..end,
        });
        taken[part] = end;
        if let Some(answer) = answers.get(end) {
            next.push(Reverse((answer.address, part)));
        }
    }
    runs
}

/// Answers encoded by one task: the address table is encoded in pieces
/// of about this many answers, in parallel, each starting a block of its
/// own (fixed in size, so that the file does not depend on the number of
/// threads).
const PIECE_ANSWERS: usize = 1 << 16;

/// The address table of the answers of `parts`, in the order of `runs`,
/// in pieces.
fn records(parts: &[SharedPart], numbers: &[Numbers], runs: &[Run]) -> Vec<RecordWriter> {
    // The runs, cut into pieces.
    let mut pieces: Vec<Vec<Run>> = vec![Vec::new()];
    let mut in_piece = 0;
    for run in runs {
        let mut run = run.clone();
        while !run.answers.is_empty() {
            if in_piece == PIECE_ANSWERS {
                pieces.push(Vec::new());
                in_piece = 0;
            }
            let take = run.answers.len().min(PIECE_ANSWERS - in_piece);
            let end = run.answers.start + take;
            (pieces.last_mut().expect("a piece")).push(Run {
                part: run.part,
                answers: run.answers.start..end,
            });
            in_piece += take;
            run.answers.start = end;
        }
    }
    let record =
        |part: usize, answer: usize| numbers[part].record(&parts[part].part.answers[answer]);
    (pieces.par_iter().enumerate())
        .map(|(number, piece)| {
            let mut writer = RecordWriter::with_capacity(PIECE_ANSWERS);
            // A record that says what the last one said is left out, also
            // where a piece starts.
            let before = number.checked_sub(1).and_then(|n| pieces[n].last());
            writer.last = before.map(|run| {
                let last = record(run.part, run.answers.end - 1);
                (last.row, last.chain)
            });
            for run in piece {
                for answer in run.answers.clone() {
                    writer.push(record(run.part, answer));
                }
            }
            writer
        })
        .collect()
}

/// [`SectionId::ChainOffsets`] and [`SectionId::ChainData`]: the empty
/// chain, then every part's chains in the index's numbering (encoded part
/// by part, in parallel).
fn encode_chains(parts: &[SharedPart], numbers: &[Numbers]) -> (Vec<u8>, Vec<u8>) {
    let encoded: Vec<(Vec<u32>, Vec<u8>)> = (parts.par_iter().zip(numbers))
        .map(|(part, numbers)| {
            // Every part's chain 0 is the empty chain, the index's chain 0.
            let chains = &part.part.chains.items[1..];
            let mut offsets = Vec::with_capacity(chains.len());
            let mut data = Vec::with_capacity(chains.len() * 6);
            for chain in chains {
                offsets.push(data.len() as u32);
                encode_chain(&mut data, numbers.chain_node(chain));
            }
            (offsets, data)
        })
        .collect();
    let total = |of: fn(&(Vec<u32>, Vec<u8>)) -> usize| encoded.iter().map(of).sum::<usize>();
    let mut offsets = Vec::with_capacity((total(|e| e.0.len()) + 2) * 4);
    let mut data = Vec::with_capacity(total(|e| e.1.len()) + 1);
    offsets.extend(0u32.to_le_bytes());
    encode_chain(&mut data, EMPTY_CHAIN);
    for (starts, piece) in encoded {
        let base = data.len() as u32;
        offsets.extend(starts.iter().flat_map(|start| (base + start).to_le_bytes()));
        data.extend(piece);
    }
    offsets.extend((data.len() as u32).to_le_bytes());
    (offsets, data)
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

/// Values numbered in order of first appearance, each kept once.
#[derive(Debug, Default)]
struct Interner<K> {
    /// Ids, hashed by their values.
    ids: HashTable<u32>,
    items: Vec<K>,
    /// The items' hashes ([`VALUE_HASH`]): the table grows, and a
    /// [`Sharded`] table takes the items in, without hashing them again.
    hashes: Vec<u64>,
}

impl<K> Interner<K> {
    fn with_capacity(count: usize) -> Self {
        Interner {
            ids: HashTable::with_capacity(count),
            items: Vec::with_capacity(count),
            hashes: Vec::with_capacity(count),
        }
    }

    /// The id of `key`, numbering it (as `make(key)`) if new.
    fn intern_as<Q>(&mut self, key: &Q, make: impl FnOnce(&Q) -> K) -> u32
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.intern_hashed(key, VALUE_HASH.hash_one(key), make)
    }

    /// [`Interner::intern_as`], where `hash` is `key`'s [`VALUE_HASH`].
    fn intern_hashed<Q>(&mut self, key: &Q, hash: u64, make: impl FnOnce(&Q) -> K) -> u32
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let Interner { ids, items, .. } = self;
        match ids.find(hash, |&id| items[id as usize].borrow() == key) {
            Some(&id) => id,
            None => self.push(make(key), hash),
        }
    }

    /// [`Interner::intern_hashed`] for a key the table may keep as it is.
    fn intern_owned(&mut self, key: K, hash: u64) -> u32
    where
        K: Eq,
    {
        let Interner { ids, items, .. } = self;
        match ids.find(hash, |&id| items[id as usize] == key) {
            Some(&id) => id,
            None => self.push(key, hash),
        }
    }

    /// Number `item`, which is new, of [`VALUE_HASH`] `hash`.
    fn push(&mut self, item: K, hash: u64) -> u32 {
        let Interner { ids, items, hashes } = self;
        let id = items.len() as u32;
        items.push(item);
        hashes.push(hash);
        ids.insert_unique(hash, id, |&id| hashes[id as usize]);
        id
    }
}

impl<K: Hash + Eq + Copy> Interner<K> {
    fn intern(&mut self, key: K) -> u32 {
        self.intern_as(&key, |&key| key)
    }
}

impl Interner<Box<str>> {
    fn intern_str(&mut self, text: &str) -> u32 {
        self.intern_as(text, |text| text.into())
    }

    /// The id of `text`: `guess` (or [`NO_STRING`]) if that is its id,
    /// found without hashing.
    #[inline(always)]
    fn intern_guessed(&mut self, text: &str, guess: u32) -> u32 {
        match self.items.get(guess as usize) {
            Some(known) if **known == *text => guess,
            _ => self.intern_str(text),
        }
    }
}

/// How [`Interner`]s hash their values.
const VALUE_HASH: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0);

/// Bits of a provisional id that name its shard.
const SHARD_BITS: u32 = 6;

/// A value's id in a [`Sharded`] table: its number in its shard, shifted,
/// plus the shard (64 bits, so that no shard's numbers can overflow it).
type Provisional = u64;

/// Provisional id meaning "none" (see [`NO_STRING`]).
const NO_PROVISIONAL: Provisional = u64::MAX;

/// An [`Interner`] threads share, in shards of their own locks: a value's
/// provisional id is its number in its shard, shifted, plus the shard.
/// Which provisional id a value gets depends on which thread came first;
/// only that equal values get the same one matters.
struct Sharded<K> {
    shards: Vec<Mutex<Interner<K>>>,
}

impl<K> Sharded<K> {
    /// Room for about `count` values without growing.
    fn with_capacity(count: usize) -> Self {
        let per_shard = count.div_ceil(1 << SHARD_BITS);
        Sharded {
            shards: (0..1 << SHARD_BITS)
                .map(|_| Mutex::new(Interner::with_capacity(per_shard)))
                .collect(),
        }
    }

    /// The shard of a value of [`VALUE_HASH`] `hash`, locked. Bits the
    /// shard's own table reads neither for its buckets (the low ones) nor
    /// for its tags (the top seven) pick it.
    fn shard(&self, hash: u64) -> (usize, std::sync::MutexGuard<'_, Interner<K>>) {
        let shard = (hash >> 32) as usize & ((1 << SHARD_BITS) - 1);
        let lock = self.shards[shard]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (shard, lock)
    }

    /// One more than the largest provisional id given so far.
    fn id_bound(&mut self) -> usize {
        let longest = self.shards.iter_mut().map(|shard| {
            let shard = shard.get_mut();
            shard
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .items
                .len()
        });
        longest.max().unwrap_or(0) << SHARD_BITS
    }

    /// The value of provisional id `id` (no lock: no other thread has
    /// the table any more).
    fn get(&mut self, id: Provisional) -> &K {
        let shard = self.shards[shard_of(id)]
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        &shard.items[index_in_shard(id)]
    }

    /// The values, by shard and number in the shard.
    fn into_items(self) -> Vec<Vec<K>> {
        (self.shards.into_iter())
            .map(|shard| {
                let shard = shard.into_inner();
                shard.unwrap_or_else(|poisoned| poisoned.into_inner()).items
            })
            .collect()
    }
}

/// The provisional id of value `id` of shard `shard`.
fn provisional(shard: usize, id: u32) -> Provisional {
    (Provisional::from(id) << SHARD_BITS) | shard as Provisional
}

/// The shard of a provisional id.
fn shard_of(id: Provisional) -> usize {
    (id & ((1 << SHARD_BITS) - 1)) as usize
}

/// A provisional id's number in its shard.
fn index_in_shard(id: Provisional) -> usize {
    (id >> SHARD_BITS) as usize
}

impl<K: Hash + Eq + Copy> Sharded<K> {
    fn intern(&self, key: K) -> Provisional {
        let hash = VALUE_HASH.hash_one(key);
        let (shard, mut interner) = self.shard(hash);
        provisional(shard, interner.intern_hashed(&key, hash, |&key| key))
    }
}

impl Sharded<Box<str>> {
    fn intern_str(&self, text: &str) -> Provisional {
        let hash = VALUE_HASH.hash_one(text);
        let (shard, mut interner) = self.shard(hash);
        provisional(
            shard,
            interner.intern_hashed(text, hash, |text| text.into()),
        )
    }

    /// [`Sharded::intern_str`] for a string the table may keep, where
    /// `hash` is its [`VALUE_HASH`].
    fn intern_boxed(&self, text: Box<str>, hash: u64) -> Provisional {
        let (shard, mut interner) = self.shard(hash);
        provisional(shard, interner.intern_owned(text, hash))
    }
}

/// Strings and file entries of every part, by provisional id.
struct Shared {
    strings: Sharded<Box<str>>,
    /// (raw path string, compilation directory string or
    /// [`NO_PROVISIONAL`]).
    files: Sharded<(Provisional, Provisional)>,
}

impl Shared {
    /// Room for the strings and files of `parts` and `symbols` more
    /// strings.
    fn for_parts(parts: &[Part], symbols: usize) -> Self {
        let count = |of: fn(&Part) -> usize| parts.iter().map(of).sum::<usize>();
        Shared {
            strings: Sharded::with_capacity(count(|part| part.strings.items.len()) + symbols),
            files: Sharded::with_capacity(count(|part| part.files.items.len())),
        }
    }
}

/// Strings and file entries numbered in the order the parts first use
/// them; the chains and records encoded in that numbering.
///
/// Chains share their outer levels: each is its innermost level plus the
/// id of the chain of its outer levels, so a chain of depth `n` costs one
/// entry beyond the `n - 1` levels already stored, not `n` levels again.
struct Tables {
    /// By provisional id: the number in the index, or [`UNNUMBERED`].
    string_numbers: Vec<u32>,
    file_numbers: Vec<u32>,
    /// The provisional ids of the strings, in the index's order.
    strings: Vec<Provisional>,
    /// (raw path string, compilation directory string or [`NO_STRING`]).
    files: Vec<(u32, u32)>,
    /// [`SectionId::ChainOffsets`] and [`SectionId::ChainData`].
    chains: (Vec<u8>, Vec<u8>),
    /// The address table, in pieces.
    records: Vec<RecordWriter>,
}

/// One part of the answers (see [`crate::dwarf::DwarfInfo::tabulate`]),
/// with its own numbering of strings, files and chains.
#[derive(Debug)]
struct Part {
    strings: Interner<Box<str>>,
    /// (raw path string, compilation directory string or [`NO_STRING`]).
    files: Interner<(u32, u32)>,
    /// Every chain is interned after the chain of its outer levels.
    chains: Interner<Chain>,
    /// In address order.
    answers: Vec<Answer>,
    /// The last answer's compilation directory and levels, outermost
    /// first: the next answer usually repeats most of them, and finds their
    /// numbers here by comparing text instead of hashing it.
    last_comp_dir: u32,
    last: Vec<Level>,
}

/// A part, and the provisional ids in [`Shared`] of its strings and
/// files, by its own ids.
struct SharedPart {
    part: Part,
    strings: Vec<Provisional>,
    files: Vec<Provisional>,
}

/// The answer at one address, in a part's numbering: 24 bytes, where
/// an `Option<Row>` would make it 32 (a kernel's answers take 31 MB).
#[derive(Debug)]
struct Answer {
    address: u64,
    /// The line row; its file is [`NO_ROW`] where there is none.
    row: Row,
    chain: u32,
}

/// [`Answer::row`]'s file where the answer has no line row.
const NO_ROW: u32 = u32::MAX;

/// [`Answer::row`] where the answer has no line row.
const NO_ROW_ANSWER: Row = Row {
    file: NO_ROW,
    line: 0,
    column: 0,
};

impl Answer {
    fn row(&self) -> Option<Row> {
        (self.row.file != NO_ROW).then_some(self.row)
    }
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

impl Part {
    /// A part for `answers` answers.
    fn with_capacity(answers: usize) -> Self {
        let mut chains = Interner::default();
        chains.intern(EMPTY_CHAIN);
        Part {
            strings: Interner::default(),
            files: Interner::default(),
            chains,
            answers: Vec::with_capacity(answers),
            last_comp_dir: NO_STRING,
            last: Vec::new(),
        }
    }

    /// `location` in the part's numbering, with its path's string id;
    /// `known` (a level of the last answer) saves the hashing where it
    /// points at the same file.
    #[inline(always)]
    fn locate(
        &mut self,
        location: &RawLocation<'_>,
        known: Option<(Row, u32)>,
        comp_dir: u32,
    ) -> (Row, u32) {
        let guess = known.map_or(NO_STRING, |(_, path)| path);
        let path = self.strings.intern_guessed(location.file, guess);
        let file = match known {
            Some((row, known)) if known == path => row.file,
            _ => self.files.intern((path, comp_dir)),
        };
        let row = Row {
            file,
            line: location.line,
            column: location.column.unwrap_or(0),
        };
        (row, path)
    }

    /// The part, with its strings (moved), files and chains put in `shared`.
    fn share(mut self, shared: &Shared) -> SharedPart {
        let Interner { items, hashes, .. } = std::mem::take(&mut self.strings);
        let strings: Vec<Provisional> = (items.into_iter().zip(hashes))
            .map(|(text, hash)| shared.strings.intern_boxed(text, hash))
            .collect();
        let string = |id: u32| match id {
            NO_STRING => NO_PROVISIONAL,
            id => strings[id as usize],
        };
        let files: Vec<Provisional> = (self.files.items.iter())
            .map(|&(raw, dir)| shared.files.intern((string(raw), string(dir))))
            .collect();
        SharedPart {
            part: self,
            strings,
            files,
        }
    }
}

impl Answers for Part {
    fn answer(&mut self, address: u64, comp_dir: Option<&str>, levels: &[RawLevel<'_>]) {
        let comp_dir = (comp_dir).map_or(NO_STRING, |dir| {
            self.strings.intern_guessed(dir, self.last_comp_dir)
        });
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
                    self.strings.intern_guessed(name, known) + 1
                }
                None => 0,
            };
            let known = last.and_then(|last| last.location);
            let location = (level.location.as_ref()).map(|l| self.locate(l, known, comp_dir));
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
                    self.chains.intern(node)
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
            row: row.unwrap_or(NO_ROW_ANSWER),
            chain,
        });
    }

    fn answer_row(&mut self, address: u64, location: Option<&RawLocation<'_>>) {
        let Some(known) = self.last.last().map(|innermost| innermost.location) else {
            unreachable!("a row answer follows an answer with a function");
        };
        let location = location.map(|l| self.locate(l, known, self.last_comp_dir));
        let innermost = self.last.last_mut().expect("checked above");
        innermost.location = location;
        self.answers.push(Answer {
            address,
            row: location.map_or(NO_ROW_ANSWER, |(row, _)| row),
            chain: innermost.chain,
        });
    }
}

/// A part's ids as the index numbers them.
struct Numbers {
    /// By the part's string id.
    strings: Vec<u32>,
    /// By the part's file id.
    files: Vec<u32>,
    /// The index's chain ids of the part's chains are theirs plus this
    /// (chain 0, the empty chain, excepted).
    chain_base: u32,
}

impl Numbers {
    /// The index's chain id of the part's chain `id`.
    fn chain(&self, id: u32) -> u32 {
        match id {
            0 => 0,
            id => self.chain_base + id,
        }
    }

    /// A chain of the part, in the index's numbering.
    fn chain_node(&self, chain: &Chain) -> Chain {
        let [count, function, outer, call, line, column] = *chain;
        let function = match function {
            0 => 0,
            function => self.strings[function as usize - 1] + 1,
        };
        let call = match call {
            0 => 0,
            call => self.files[call as usize - 1] + 1,
        };
        let outer = if count >= 2 { self.chain(outer) } else { 0 };
        [count, function, outer, call, line, column]
    }

    /// The record of one of the part's answers.
    fn record(&self, answer: &Answer) -> Record {
        Record {
            address: answer.address,
            row: answer.row().map(|row| Row {
                file: self.files[row.file as usize],
                ..row
            }),
            chain: self.chain(answer.chain),
        }
    }
}

impl Tables {
    /// The strings and files of `parts` numbered in the order the parts
    /// (in unit order) first use them; and the parts' ids in that
    /// numbering, the chains one part after another.
    fn number(parts: &[SharedPart], shared: &mut Shared) -> (Self, Vec<Numbers>) {
        let mut tables = Tables {
            string_numbers: vec![UNNUMBERED; shared.strings.id_bound()],
            file_numbers: vec![UNNUMBERED; shared.files.id_bound()],
            strings: Vec::new(),
            files: Vec::new(),
            chains: Default::default(),
            records: Vec::new(),
        };
        let mut chain_base = 0;
        let numbers = (parts.iter())
            .map(|part| {
                let strings: Vec<u32> = (part.strings.iter())
                    .map(|&id| tables.number_shared_string(id))
                    .collect();
                let string = |id: u32| match id {
                    NO_STRING => NO_STRING,
                    id => strings[id as usize],
                };
                let files = (part.part.files.items.iter().zip(&part.files))
                    .map(|(&(raw, dir), &id)| {
                        let number = &mut tables.file_numbers[id as usize];
                        if *number == UNNUMBERED {
                            *number = tables.files.len() as u32;
                            tables.files.push((string(raw), string(dir)));
                        }
                        *number
                    })
                    .collect();
                let numbers = Numbers {
                    strings,
                    files,
                    chain_base,
                };
                chain_base += part.part.chains.items.len() as u32 - 1;
                numbers
            })
            .collect();
        (tables, numbers)
    }

    /// The number of the string of provisional id `id`.
    fn number_shared_string(&mut self, id: Provisional) -> u32 {
        if id as usize >= self.string_numbers.len() {
            // A string first put in after the numbering (a cleaned path).
            self.string_numbers.resize(id as usize + 1, UNNUMBERED);
        }
        let number = &mut self.string_numbers[id as usize];
        if *number == UNNUMBERED {
            *number = self.strings.len() as u32;
            self.strings.push(id);
        }
        *number
    }

    /// The index file; `names` are the provisional string ids of the
    /// symbols' names, in the symbol table's order, and `by_name` the
    /// symbols' indices sorted by name.
    fn write(
        mut self,
        binary: &Binary,
        mut shared: Shared,
        names: &[Provisional],
        by_name: &[u32],
    ) -> Sections {
        // Symbols, with names in the string table.
        let table = binary.symbols();
        let mut symbols = Vec::with_capacity(table.len() * super::format::SYMBOL_LEN);
        let names: Vec<u32> = (table.iter().zip(names))
            .map(|(symbol, &name)| {
                let name = self.number_shared_string(name);
                symbols.extend(symbol.address.to_le_bytes());
                symbols.extend(symbol.size.to_le_bytes());
                symbols.extend(name.to_le_bytes());
                symbols.extend([0; 4]);
                name
            })
            .collect();

        // Files: the raw path, and the path cleaned as the lookup cleans it.
        let mut cleaners: HashMap<u32, PathCleaner> = HashMap::default();
        let mut files = Vec::with_capacity(self.files.len() * super::format::FILE_LEN);
        for (raw, dir) in std::mem::take(&mut self.files) {
            let cleaner = cleaners.entry(dir).or_insert_with(|| {
                let dir =
                    (dir != NO_STRING).then(|| shared.strings.get(self.strings[dir as usize]));
                PathCleaner::from_comp_dirs(dir.map(|dir| &**dir)).with_roots(binary.source_roots())
            });
            let clean = cleaner.clean(shared.strings.get(self.strings[raw as usize]));
            let clean = self.number_shared_string(shared.strings.intern_str(&clean));
            files.extend(raw.to_le_bytes());
            files.extend(clean.to_le_bytes());
        }

        // The sections do not depend on each other: encoded in parallel.
        let texts = shared.strings.into_items();
        let strings: Vec<&str> = (self.strings.iter())
            .map(|&id| &*texts[shard_of(id)][index_in_shard(id)])
            .collect();
        let strings = &strings;
        let ((starts, blocks), (strings, name_hash)) = rayon::join(
            || RecordWriter::blocks(&self.records),
            || {
                (
                    encode_strings(strings),
                    encode_name_hash(by_name, &names, |name| strings[name as usize]),
                )
            },
        );
        let block_buckets = encode_block_buckets(&starts);
        let records = self
            .records
            .into_iter()
            .map(|piece| piece.records)
            .collect();
        let (chain_offsets, chain_data) = self.chains;
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

        Sections(vec![
            (SectionId::Meta, vec![meta]),
            (SectionId::StringOffsets, vec![string_offsets]),
            (SectionId::StringData, vec![string_data]),
            (SectionId::Symbols, vec![symbols]),
            (SectionId::SymbolsByName, vec![by_name]),
            (SectionId::Files, vec![files]),
            (SectionId::ChainOffsets, vec![chain_offsets]),
            (SectionId::ChainData, vec![chain_data]),
            (SectionId::Blocks, vec![blocks]),
            (SectionId::Records, records),
            (SectionId::NameHash, vec![name_hash]),
            (SectionId::BlockBuckets, vec![block_buckets]),
        ])
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

fn encode_strings(strings: &[&str]) -> (Vec<u8>, Vec<u8>) {
    let mut offsets = Vec::with_capacity((strings.len() + 1) * 4);
    let mut data = Vec::new();
    for string in strings {
        offsets.extend((data.len() as u32).to_le_bytes());
        data.extend(string.as_bytes());
    }
    offsets.extend((data.len() as u32).to_le_bytes());
    (offsets, data)
}

/// Append `chain` to `data`.
fn encode_chain(data: &mut Vec<u8>, chain: Chain) {
    let [count, function, outer, call, line, column] = chain;
    push_uleb(data, count.into());
    if count == 0 {
        return;
    }
    push_uleb(data, function.into());
    if count >= 2 {
        push_uleb(data, outer.into());
        push_uleb(data, call.into());
        if call != 0 {
            push_uleb(data, line.into());
            push_uleb(data, column.into());
        }
    }
}

/// The address table, encoded as the records come: in blocks of at most
/// [`BLOCK_RECORDS`], each starting afresh, so a lookup decodes one block
/// only.
#[derive(Default)]
struct RecordWriter {
    /// [`SectionId::Records`].
    records: Vec<u8>,
    /// The first address of every block.
    starts: Vec<u64>,
    /// Where in `records` every block starts.
    offsets: Vec<u64>,
    /// Records in the current block so far.
    in_block: usize,
    /// The current block's last address, file and line, and chain.
    address: u64,
    file: Option<u32>,
    line: i64,
    chain: Option<u32>,
    /// The last record's row and chain.
    last: Option<(Option<Row>, u32)>,
}

impl RecordWriter {
    /// A writer for at most `records` records (each takes about 5 bytes;
    /// room is kept for 6).
    fn with_capacity(records: usize) -> Self {
        let blocks = records.div_ceil(BLOCK_RECORDS) + 1;
        RecordWriter {
            records: Vec::with_capacity(records * 6),
            starts: Vec::with_capacity(blocks),
            offsets: Vec::with_capacity(blocks),
            ..RecordWriter::default()
        }
    }

    /// The first address of every block of `pieces` (the records of each
    /// following those of the one before), and [`SectionId::Blocks`].
    fn blocks(pieces: &[RecordWriter]) -> (Vec<u64>, Vec<u8>) {
        let count = pieces.iter().map(|piece| piece.starts.len()).sum::<usize>();
        let mut starts = Vec::with_capacity(count);
        let mut blocks = Vec::with_capacity(count * super::format::BLOCK_LEN);
        let mut base = 0;
        for piece in pieces {
            for (&start, offset) in piece.starts.iter().zip(&piece.offsets) {
                starts.push(start);
                blocks.extend(start.to_le_bytes());
                blocks.extend((base + offset).to_le_bytes());
            }
            base += piece.records.len() as u64;
        }
        (starts, blocks)
    }

    /// Append a record unless it says what the last one said.
    fn push(&mut self, record: Record) {
        if self.last == Some((record.row, record.chain)) {
            return;
        }
        self.last = Some((record.row, record.chain));
        if self.starts.is_empty() || self.in_block == BLOCK_RECORDS {
            self.starts.push(record.address);
            self.offsets.push(self.records.len() as u64);
            (self.address, self.file, self.line, self.chain) = (record.address, None, 0, None);
            self.in_block = 0;
        }
        self.in_block += 1;
        let data = &mut self.records;
        push_uleb(data, record.address - self.address);
        self.address = record.address;
        let mut tag = 0;
        if record.row.is_some() {
            tag |= TAG_ROW;
        }
        let new_file = record.row.map(|r| r.file).filter(|&f| Some(f) != self.file);
        if new_file.is_some() {
            tag |= TAG_FILE;
        }
        if self.chain != Some(record.chain) {
            tag |= TAG_CHAIN;
        }
        data.push(tag);
        if let Some(new) = new_file {
            push_uleb(data, new.into());
            self.file = Some(new);
        }
        if let Some(row) = record.row {
            push_sleb(data, i64::from(row.line) - self.line);
            self.line = row.line.into();
            push_uleb(data, row.column.into());
        }
        if tag & TAG_CHAIN != 0 {
            push_uleb(data, record.chain.into());
            self.chain = Some(record.chain);
        }
    }
}

/// Buckets over the addresses of the blocks after the first (which starts
/// at 0): for each, the block in force at its start.
fn encode_block_buckets(starts: &[u64]) -> Vec<u8> {
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

/// A built index's sections, in file order: the file is written from
/// them piece by piece, never gathered in one buffer (17 MiB of fresh
/// memory for Debian's kernel, copied once more into the file).
pub(crate) struct Sections(Vec<(SectionId, Vec<Vec<u8>>)>);

impl Sections {
    /// Write the file: header, section table, sections at 8-aligned
    /// offsets; the header's checksum covers everything after it.
    pub(crate) fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        const PADDING: [u8; 8] = [0; 8];
        // Each section with the padding that aligns it, and its table entry.
        let mut table = Vec::with_capacity(SECTION_ENTRY_LEN * self.0.len());
        let mut offset = HEADER_LEN + SECTION_ENTRY_LEN * self.0.len();
        let mut pieces = Vec::with_capacity(self.0.len());
        for (id, section) in &self.0 {
            let padding = &PADDING[..offset.next_multiple_of(8) - offset];
            offset += padding.len();
            let len: usize = section.iter().map(Vec::len).sum();
            table.extend((*id as u32).to_le_bytes());
            table.extend([0; 4]);
            table.extend((offset as u64).to_le_bytes());
            table.extend((len as u64).to_le_bytes());
            offset += len;
            pieces.push(padding);
            pieces.extend(section.iter().map(|piece| &piece[..]));
        }
        let mut checksum = xxhash_rust::xxh3::Xxh3Default::new();
        checksum.update(&table);
        for piece in &pieces {
            checksum.update(piece);
        }
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend(MAGIC);
        header.extend(FORMAT_VERSION.to_le_bytes());
        header.extend((self.0.len() as u32).to_le_bytes());
        header.extend(checksum.digest().to_le_bytes());
        debug_assert_eq!(header.len(), HEADER_LEN);
        out.write_all(&header)?;
        out.write_all(&table)?;
        for piece in pieces {
            out.write_all(piece)?;
        }
        Ok(())
    }

    /// The file's bytes.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let len = HEADER_LEN
            + SECTION_ENTRY_LEN * self.0.len()
            + (self.0.iter())
                .map(|(_, section)| section.iter().map(Vec::len).sum::<usize>() + 8)
                .sum::<usize>();
        let mut out = Vec::with_capacity(len);
        self.write_to(&mut out).expect("writing to memory");
        out
    }
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

    /// An index file opened as a lookup would open it.
    fn open(bytes: Vec<u8>, binary: &Binary) -> super::super::Index {
        let build_id = binary.build_id().unwrap();
        let path = PathBuf::from("test.kri");
        super::super::Index::validate(super::super::Bytes::Built(bytes), path, build_id).unwrap()
    }

    /// The index built from the sweep's parts answers what the index built
    /// by asking the one-by-one lookup at every boundary of every unit (as
    /// the index build did before it used the sweep) answers, at every one
    /// of those boundaries, with both cleaning paths as built and with a
    /// prefix given, and holds the same symbols. (The files differ in
    /// bytes: the sweep's parts store a chain two parts share twice.)
    #[test]
    fn the_index_answers_as_the_one_asked_at_every_boundary() {
        let samples = samples();
        assert!(samples.len() >= 10, "{samples:?}");
        for path in samples {
            let binary = Binary::open(&path).unwrap();
            let mut part = Part::with_capacity(0);
            let mut boundaries = Vec::new();
            crate::dwarf::per_boundary(binary.dwarf().lookup(), |address, dir, chain| {
                boundaries.push(address);
                part.answer(address, dir, chain)
            })
            .unwrap();
            let asked = open(write(vec![part], &binary).to_bytes(), &binary);
            let built = open(build(&binary).unwrap().to_bytes(), &binary);
            let strip = PathCleaner::with_prefixes(["/work/".to_owned()]);
            let mut answered = 0;
            for address in boundaries {
                for strip in [None, Some(&strip)] {
                    let (built, asked) = (
                        built.inline_chain(strip, address),
                        asked.inline_chain(strip, address),
                    );
                    assert!(built.is_some(), "{}: {address:#x}", path.display());
                    assert_eq!(built, asked, "{}: {address:#x}", path.display());
                    answered += usize::from(built.is_some_and(|chain| !chain.is_empty()));
                }
            }
            assert!(answered > 0, "{}", path.display());
            assert_eq!(built.symbol_count(), asked.symbol_count());
            for index in 0..built.symbol_count() {
                assert_eq!(built.symbol(index), asked.symbol(index));
            }
            assert_eq!(built.release(), asked.release());
            assert_eq!(built.alternate_end, asked.alternate_end);
        }
    }

    /// Which thread answered what leaves no trace: an index built twice is
    /// the same file.
    #[test]
    fn building_twice_gives_the_same_file() {
        for path in samples() {
            let binary = Binary::open(&path).unwrap();
            assert!(
                build(&binary).unwrap().to_bytes() == build(&binary).unwrap().to_bytes(),
                "{}",
                path.display()
            );
        }
    }
}
