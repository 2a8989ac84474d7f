//! A persisted index of one vmlinux or module: symbolizing
//! a frame without parsing any DWARF.
//!
//! Fuzzing farms symbolize thousands of reports against each kernel build.
//! Parsing that build's DWARF again for every batch costs seconds; the index
//! does it once. It is keyed by the file's GNU build id, built in
//! parallel ([`Index::build`]), written atomically to a cache directory as
//! `<build-id>.kri`, and loaded ([`Index::load`]) by mapping it under a
//! read lease: lookups read the page cache's copy, shared by every process,
//! and a writer that would cut the file short (`cp` or `rsync --inplace`
//! over it, which would kill a process that merely mapped it with
//! `SIGBUS`) waits until the process has put a private copy in place (see
//! the `lease` module). Where no lease can be had, the file is read into
//! memory whole. Loading a valid index sets its file's modification time,
//! so that [`Index::prune`] can keep a directory within a size by removing
//! the least recently used.
//!
//! # What it answers
//!
//! Exactly what the DWARF lookup answers, for every address: the index
//! holds the answer at every address where it may change, found by the
//! sweep, which answers exactly what the lookup answers, and by the lookup
//! itself where the sweep declines (see the `build` module). Tests compare
//! the two at every byte of the sample kernels, and the built file with
//! one built by asking the lookup at every boundary; the benchmark compares
//! them over 20,000 frames of a distribution kernel.
//!
//! # Validation
//!
//! [`Index::load`] refuses a file that has the wrong magic or format
//! version, that another kresym version wrote ([`IndexError::Stale`]), that
//! belongs to another build id, or whose checksum (XXH3-64 over everything
//! after the header) does not match ([`IndexError::Corrupt`]). Every read
//! is bounds-checked as well; a lookup that finds the file inconsistent
//! anyway returns `None` and the caller asks DWARF instead. A damaged index
//! can cost time, never a wrong line.
//!
//! # Layout (format version 3)
//!
//! Version 3 has version 2's layout: it only makes version 2 indexes stale,
//! whose paths of `O=` builds were absolute (#18).
//!
//! Little-endian throughout.
//!
//! | bytes | content |
//! |---|---|
//! | 0..8 | magic `KRESYMIX` |
//! | 8..12 | format version, `u32` |
//! | 12..16 | number of sections, `u32` (12) |
//! | 16..24 | XXH3-64 of every byte from 24 to the end |
//! | 24.. | section table: per section `u32` id, `u32` 0, `u64` offset, `u64` length |
//!
//! Sections start at 8-byte-aligned offsets, in this order:
//!
//! 1. **meta**: LEB128-counted byte strings and flags: the generator
//!    (`kresym-symbolize <version>`), the build id, a flag and the kernel
//!    release, a flag and the alternate end of the symbol table.
//! 2. **string offsets**: `u32` start of each string in the string data,
//!    plus its end.
//! 3. **string data**: UTF-8 function names and paths, each once.
//! 4. **symbols**: the text symbols sorted by address, 24 bytes each:
//!    address `u64`, kallsyms size `u64`, name string id `u32`, padding.
//! 5. **symbols by name**: `u32` symbol indices sorted by name, then address.
//! 6. **files**: 8 bytes each: the path as DWARF gives it and the path made
//!    tree-relative with the unit's compilation directory (string ids).
//!    `--strip-prefix` cleans the first; otherwise the second is used as is.
//! 7. **chain offsets** and 8. **chain data**: each inline chain (each
//!    compilation unit's once; the few two units share may be stored
//!    twice), LEB128: the number of levels (0 for the empty chain, and nothing
//!    follows); the innermost function (string id + 1, or 0); and with two
//!    levels or more, the id of the chain of the outer levels (which has one
//!    level less) and where the innermost function is called in the next
//!    level out (file entry + 1, line, column; or 0 when there is none).
//!    Chains share their outer levels, so a deep inline nest costs space in
//!    proportion to its depth, not to its square.
//! 9. **blocks** and 10. **records**: the address table. A record says what
//!    the lookup answers from its address up to the next record's: the
//!    innermost line row (file, line, column) and the chain. Records are
//!    LEB128-encoded in blocks of at most 16 (the builder ends a block
//!    early where the pieces it encodes in parallel meet), each block
//!    indexed by its first address (`u64`) and its offset into the records
//!    (`u64`); a lookup binary-searches the blocks and decodes one, up to
//!    the next block's offset. Within a block a record
//!    is: address delta; a tag byte (has row, new file, new chain); the new
//!    file entry; the signed line delta and the column; the new chain id.
//!    The first record is at address 0, so every address has an answer
//!    (chain 0 is the empty one).
//! 11. **name hash**: an open-addressing hash table (XXH3-64 of the name,
//!     linear probing, at most three quarters full) from a symbol name to
//!     its string id, its first position in *symbols by name* and how many
//!     symbols have it (12-byte slots, `u32` each, id + 1 so 0 is empty).
//! 12. **block buckets**: a shortcut into the blocks. From a base address
//!     (the second block's), buckets of 2^shift bytes (a page or more, at
//!     most 2^20 buckets): base `u64`, shift `u32`, count `u32`, and per
//!     bucket plus one the `u32` index of the block in force at the
//!     bucket's start, so a lookup searches a few blocks instead of all.

mod build;
mod format;
mod lease;

use foldhash::{HashMap, HashMapExt};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kresym_report::SourceLocation;

use crate::Binary;
use crate::SourceFrame;
pub use crate::error::IndexError;
use crate::error::{Corruption, Staleness};
use crate::kallsyms::TextSymbol;
use crate::paths::PathCleaner;
use format::{
    BLOCK_LEN, CHECKSUM_OFFSET, Cursor, FILE_LEN, FORMAT_VERSION, HEADER_LEN, MAGIC, NAME_SLOT_LEN,
    SECTION_ENTRY_LEN, SYMBOL_LEN, SectionId, TAG_CHAIN, TAG_FILE, TAG_ROW, name_hash, u32_at,
    u64_at,
};

/// Who wrote an index; an index from another kresym version is stale.
const GENERATOR: &str = concat!("kresym-symbolize ", env!("CARGO_PKG_VERSION"));

/// File name extension of index files.
const EXTENSION: &str = "kri";

/// An index's bytes: built here, mapped from its file under a lease, or
/// read from it into memory.
enum Bytes {
    Built(Vec<u8>),
    /// The file's pages in the page cache, until a writer comes (see the
    /// `lease` module).
    Leased(lease::Leased),
    /// Read into anonymous memory asked to be backed by huge pages where
    /// the kernel allows (`MADV_HUGEPAGE`), where the file cannot be
    /// leased: a copy that nothing done to the file afterwards (cut short,
    /// rewritten in place) can pull away.
    Read(memmap2::Mmap),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Built(bytes) => bytes,
            Bytes::Leased(bytes) => bytes,
            Bytes::Read(bytes) => bytes,
        }
    }
}

/// Open an index file to read it; `None` when it is no regular file (a
/// FIFO another user left in a shared directory would block the open, and
/// so every run, forever: it is opened without waiting).
fn open_file(path: &Path) -> std::io::Result<Option<std::fs::File>> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    Ok(file.metadata()?.is_file().then_some(file))
}

/// An index file's bytes: mapped under a read lease where the file can be
/// leased, else read whole into anonymous memory (huge pages when the
/// kernel gives them; the advice is only a hint, so a refusal is no error).
/// `None` when it is no regular file.
fn file_bytes(path: &Path) -> std::io::Result<Option<Bytes>> {
    use std::io::Read;
    let Some(file) = open_file(path)? else {
        return Ok(None);
    };
    let mut file = match lease::map(file) {
        Ok(leased) => return Ok(Some(Bytes::Leased(leased))),
        Err(file) => file,
    };
    let len = usize::try_from(file.metadata()?.len())
        .map_err(|_| std::io::Error::other("index file too large"))?;
    if len == 0 {
        return Ok(Some(Bytes::Built(Vec::new())));
    }
    let mut bytes = memmap2::MmapOptions::new().len(len).map_anon()?;
    let _ = bytes.advise(memmap2::Advice::HugePage);
    // A file cut short meanwhile fails here; one grown meanwhile fails its
    // checksum.
    file.read_exact(&mut bytes)?;
    Ok(Some(Bytes::Read(bytes.make_read_only()?)))
}

/// Whether a file name is one [`Index::path_in`] gives: hex digits in
/// pairs (a build id) and the index extension.
fn is_index_name(name: &std::ffi::OsStr) -> bool {
    let name = name.as_encoded_bytes();
    let Some(id) = name.strip_suffix(format!(".{EXTENSION}").as_bytes()) else {
        return false;
    };
    !id.is_empty()
        && id.len() % 2 == 0
        && id.len() <= 128
        && id.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What [`Index::prune`] did.
#[derive(Debug)]
pub struct Pruned {
    /// The index files removed, with their sizes.
    pub removed: Vec<(PathBuf, u64)>,
    /// How many bytes the index files left take.
    pub kept_bytes: u64,
    /// How many index files are left.
    pub kept_files: usize,
}

/// An open, validated index of one vmlinux or module.
pub struct Index {
    bytes: Bytes,
    /// Byte range of each section, in [`SectionId::ALL`] order.
    sections: [Range<usize>; SectionId::ALL.len()],
    release: Option<String>,
    alternate_end: Option<u64>,
    path: PathBuf,
    /// Symbols by the name a kernel prints, for those whose name differs
    /// (ThinLTO's `.llvm.<hash>`), worked out on first need.
    printed_names: OnceLock<HashMap<String, Vec<u32>>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("path", &self.path)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

/// One decoded chain: its innermost level and the chain outside it.
#[derive(Debug, Clone, Copy)]
struct ChainNode {
    levels: u32,
    /// String id + 1, or 0.
    function: u32,
    /// The chain of the outer levels (when `levels` is 2 or more).
    outer: u32,
    /// Where the innermost function is called in the next level out.
    call: Option<(u32, u32, u32)>,
}

/// One decoded address record.
#[derive(Debug, Clone, Copy)]
struct Record {
    row: Option<(u32, u32, u32)>,
    chain: u32,
}

impl Index {
    /// Where the index of a build id lives in `dir`.
    pub fn path_in(dir: &Path, build_id: &[u8]) -> PathBuf {
        dir.join(format!("{}.{EXTENSION}", hex::encode(build_id)))
    }

    /// Open the index of `binary` (a vmlinux or a module) in `dir` and
    /// validate it.
    pub fn load(dir: &Path, binary: &Binary) -> Result<Index, IndexError> {
        let build_id = binary
            .build_id()
            .ok_or_else(|| IndexError::NoBuildId(binary.path().to_owned()))?;
        Self::load_by_id(dir, build_id)
    }

    /// Open the index of the file with this GNU build id in `dir` and
    /// validate it, without reading the file itself.
    ///
    /// A valid index's modification time is set to now, where the file is
    /// this user's: [`Index::prune`] removes the least recently used first.
    pub fn load_by_id(dir: &Path, build_id: &[u8]) -> Result<Index, IndexError> {
        let path = Self::path_in(dir, build_id);
        let bytes = match file_bytes(&path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                let reason = Corruption::NotAFile;
                return Err(IndexError::Corrupt { path, reason });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(IndexError::Missing(path));
            }
            Err(error) => return Err(IndexError::Io { path, error }),
        };
        let index = Self::validate(bytes, path, build_id)?;
        // Another user's file, or a read-only directory: left as it is.
        if let Ok(Some(file)) = open_file(&index.path) {
            let _ = file.set_modified(std::time::SystemTime::now());
        }
        Ok(index)
    }

    /// Remove index files from `dir`, least recently used (built or
    /// loaded) first, until those left take at most `max_bytes`; the
    /// files in `keep` stay whatever their age. Only regular files named
    /// as an index is (`<hex build id>.kri`) are counted or removed:
    /// symbolic links, directories and other files are left alone, and so
    /// is a file that cannot be removed (another user's in a shared
    /// directory). An index removed while a run reads it costs that run
    /// nothing: the removed file lives on for the runs that have it mapped
    /// or hold a copy.
    pub fn prune(dir: &Path, max_bytes: u64, keep: &[PathBuf]) -> std::io::Result<Pruned> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            // The entry's own type: a symbolic link is not followed.
            if !entry.file_type()?.is_file() || !is_index_name(&entry.file_name()) {
                continue;
            }
            let Ok(metadata) = entry.metadata() else {
                continue; // removed meanwhile
            };
            let used = metadata.modified().unwrap_or(std::time::UNIX_EPOCH);
            found.push((used, entry.path(), metadata.len()));
        }
        // Oldest first; the name breaks ties, so the order is the same every time.
        found.sort();
        let mut pruned = Pruned {
            removed: Vec::new(),
            kept_bytes: found.iter().map(|(_, _, len)| len).sum(),
            kept_files: found.len(),
        };
        for (_, path, len) in found {
            if pruned.kept_bytes <= max_bytes {
                break;
            }
            if keep.contains(&path) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => pruned.removed.push((path, len)),
                // Another process pruned it first: it is gone all the same.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => continue,
            }
            pruned.kept_bytes -= len;
            pruned.kept_files -= 1;
        }
        Ok(pruned)
    }

    /// Build the index of `binary` (a vmlinux or a module), write it into `dir`
    /// atomically and open it. When a valid index of the build appeared in
    /// `dir` meanwhile (written by another process), that one is kept and
    /// opened; a stale or corrupt one is replaced.
    ///
    /// Every compilation unit is parsed, in parallel on the current rayon
    /// pool: open a fresh [`Binary`] for this if the one in hand should stay
    /// small.
    pub fn build(dir: &Path, binary: &Binary) -> Result<Index, IndexError> {
        let build_id = binary
            .build_id()
            .ok_or_else(|| IndexError::NoBuildId(binary.path().to_owned()))?;
        let sections = build::build(binary)?;
        let path = Self::path_in(dir, build_id);
        let io = |error| IndexError::Io {
            path: dir.to_owned(),
            error,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        sections.write_to(&mut temp).map_err(io)?;
        // Readable by all, like any cache: other users may share the directory.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let readable = std::fs::Permissions::from_mode(0o644);
            temp.as_file().set_permissions(readable).map_err(io)?;
        }
        match temp.persist_noclobber(&path) {
            Ok(_) => {}
            // Another process sharing the directory wrote it first: its
            // valid index is kept (first write wins), a stale or corrupt
            // one replaced.
            Err(error) if error.error.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Ok(index) = Self::load_by_id(dir, build_id) {
                    return Ok(index);
                }
                error.file.persist(&path).map_err(|e| io(e.error))?;
            }
            Err(error) => return Err(io(error.error)),
        }
        // The file just written, from the page cache (see `lease`); the
        // sections themselves if it cannot be loaded (replaced meanwhile).
        Self::load_by_id(dir, build_id)
            .or_else(|_| Self::validate(Bytes::Built(sections.to_bytes()), path, build_id))
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether lookups read the file's own pages, mapped under a read
    /// lease, rather than a private copy (see the module documentation).
    pub fn is_mapped(&self) -> bool {
        matches!(&self.bytes, Bytes::Leased(leased) if leased.is_mapped())
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes().len() as u64
    }

    /// The kernel release of the indexed vmlinux (`None` for a module).
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn section(&self, id: SectionId) -> &[u8] {
        let range = self.sections[id.slot()].clone();
        self.bytes().get(range).unwrap_or_default()
    }

    /// Check everything about a file that can be checked once.
    fn validate(bytes: Bytes, path: PathBuf, build_id: &[u8]) -> Result<Index, IndexError> {
        let data = &bytes[..];
        let corrupt = |reason: Corruption| IndexError::Corrupt {
            path: path.clone(),
            reason,
        };
        if data.len() < HEADER_LEN || &data[..8] != MAGIC {
            return Err(corrupt(Corruption::NotAnIndex));
        }
        let version = u32_at(data, 2).unwrap_or_default();
        if version != FORMAT_VERSION {
            return Err(IndexError::Stale {
                path,
                reason: Staleness::FormatVersion {
                    found: version,
                    reads: FORMAT_VERSION,
                },
            });
        }
        let stored = u64_at(data, CHECKSUM_OFFSET).unwrap_or_default();
        if xxhash_rust::xxh3::xxh3_64(&data[HEADER_LEN..]) != stored {
            return Err(corrupt(Corruption::Checksum));
        }
        if u32_at(data, 3) != Some(SectionId::ALL.len() as u32) {
            return Err(corrupt(Corruption::SectionCount));
        }
        let mut sections: [Range<usize>; SectionId::ALL.len()] = Default::default();
        for (slot, id) in SectionId::ALL.iter().enumerate() {
            let entry = HEADER_LEN + slot * SECTION_ENTRY_LEN;
            let (Some(found), Some(offset), Some(len)) = (
                u32_at(data, entry / 4),
                u64_at(data, entry + 8),
                u64_at(data, entry + 16),
            ) else {
                return Err(corrupt(Corruption::TruncatedSectionTable));
            };
            let range = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(len).ok())
                .and_then(|(start, len)| Some(start..start.checked_add(len)?))
                .filter(|range| range.end <= data.len());
            match range {
                Some(range) if found == *id as u32 => sections[slot] = range,
                _ => return Err(corrupt(Corruption::SectionTable)),
            }
        }
        let section = |id: SectionId| &data[sections[id.slot()].clone()];
        let sizes_ok = section(SectionId::StringOffsets).len() % 4 == 0
            && !section(SectionId::StringOffsets).is_empty()
            && section(SectionId::Symbols).len() % SYMBOL_LEN == 0
            && section(SectionId::SymbolsByName).len() * SYMBOL_LEN
                == section(SectionId::Symbols).len() * 4
            && section(SectionId::Files).len() % FILE_LEN == 0
            && section(SectionId::ChainOffsets).len() % 4 == 0
            && !section(SectionId::ChainOffsets).is_empty()
            && section(SectionId::Blocks).len() % BLOCK_LEN == 0
            && !section(SectionId::Blocks).is_empty()
            && (section(SectionId::NameHash).len() / NAME_SLOT_LEN).is_power_of_two()
            && section(SectionId::NameHash).len() % NAME_SLOT_LEN == 0
            && section(SectionId::BlockBuckets).len() >= 20;
        if !sizes_ok {
            return Err(corrupt(Corruption::SectionSizes));
        }
        let mut meta = Cursor::new(section(SectionId::Meta));
        let generator = meta.counted().ok_or_else(|| corrupt(Corruption::Meta))?;
        if generator != GENERATOR.as_bytes() {
            return Err(IndexError::Stale {
                path,
                reason: Staleness::Generator {
                    found: String::from_utf8_lossy(generator).into_owned(),
                    this: GENERATOR,
                },
            });
        }
        let indexed = meta.counted().ok_or_else(|| corrupt(Corruption::Meta))?;
        if indexed != build_id {
            return Err(corrupt(Corruption::OtherBuild {
                indexed: hex::encode(indexed),
                wanted: hex::encode(build_id),
            }));
        }
        let release = match meta.u8() {
            Some(0) => None,
            Some(1) => meta
                .counted()
                .and_then(|r| std::str::from_utf8(r).ok())
                .map(str::to_owned),
            _ => return Err(corrupt(Corruption::Meta)),
        };
        let alternate_end = match meta.u8() {
            Some(0) => None,
            Some(1) => Some(meta.uleb().ok_or_else(|| corrupt(Corruption::Meta))?),
            _ => return Err(corrupt(Corruption::Meta)),
        };
        Ok(Index {
            bytes,
            sections,
            release,
            alternate_end,
            path,
            printed_names: OnceLock::new(),
        })
    }

    /// String `id`.
    fn string(&self, id: u32) -> Option<&str> {
        std::str::from_utf8(self.string_bytes(id)?).ok()
    }

    /// The bytes of string `id`.
    fn string_bytes(&self, id: u32) -> Option<&[u8]> {
        let offsets = self.section(SectionId::StringOffsets);
        let start = u32_at(offsets, id as usize)? as usize;
        let end = u32_at(offsets, id as usize + 1)? as usize;
        self.section(SectionId::StringData).get(start..end)
    }

    fn symbol_count(&self) -> usize {
        self.section(SectionId::Symbols).len() / SYMBOL_LEN
    }

    /// Symbol `index` (in address order) and its name's string id.
    fn symbol_entry(&self, index: usize) -> Option<(u64, u64, u32)> {
        let symbols = self.section(SectionId::Symbols);
        let base = index.checked_mul(SYMBOL_LEN)?;
        Some((
            u64_at(symbols, base)?,
            u64_at(symbols, base + 8)?,
            u32_at(symbols, base / 4 + 4)?,
        ))
    }

    fn symbol(&self, index: usize) -> Option<TextSymbol> {
        let (address, size, name) = self.symbol_entry(index)?;
        Some(TextSymbol {
            name: self.string(name)?.to_owned(),
            address,
            size,
        })
    }

    /// The symbols whose name differs from the one a kernel prints and is
    /// printed as `name` (see [`crate::kallsyms::printed_name`]), in
    /// address order.
    pub(crate) fn symbols_printed_as(&self, name: &str) -> Vec<TextSymbol> {
        let printed = self.printed_names.get_or_init(|| {
            let mut printed: HashMap<String, Vec<u32>> = HashMap::new();
            // Most kernels (every gcc-built one) have no such name: one
            // scan of the strings says so, instead of one per symbol.
            let strings = self.section(SectionId::StringData);
            if memchr::memmem::find(strings, b".llvm.").is_none() {
                return printed;
            }
            for index in 0..self.symbol_count() {
                let Some((_, _, name)) = self.symbol_entry(index) else {
                    continue;
                };
                let Some(name) = self.string(name) else {
                    continue;
                };
                let cut = crate::kallsyms::printed_name(name);
                if cut.len() != name.len() {
                    printed
                        .entry(cut.to_owned())
                        .or_default()
                        .push(index as u32);
                }
            }
            printed
        });
        printed
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|&index| self.symbol(index as usize))
            .collect()
    }

    /// Every symbol with this exact name, in address order; `None` if the
    /// index is inconsistent.
    pub(crate) fn symbols_named(&self, name: &str) -> Option<Vec<TextSymbol>> {
        let table = self.section(SectionId::NameHash);
        let slots = table.len() / NAME_SLOT_LEN;
        let mut slot = name_hash(name.as_bytes()) as usize & slots.checked_sub(1)?;
        // The table is at most three quarters full: an empty slot ends every probe.
        for _ in 0..slots {
            let entry = slot * NAME_SLOT_LEN / 4;
            let id = match u32_at(table, entry)? {
                0 => return Some(Vec::new()),
                id => id - 1,
            };
            if self.string_bytes(id)? == name.as_bytes() {
                let first = u32_at(table, entry + 1)? as usize;
                let count = u32_at(table, entry + 2)? as usize;
                let by_name = self.section(SectionId::SymbolsByName);
                return (first..first.checked_add(count)?)
                    .map(|position| {
                        let (address, size, symbol_name) =
                            self.symbol_entry(u32_at(by_name, position)? as usize)?;
                        (symbol_name == id).then(|| TextSymbol {
                            name: name.to_owned(),
                            address,
                            size,
                        })
                    })
                    .collect();
            }
            slot = (slot + 1) & (slots - 1);
        }
        None
    }

    /// The symbol containing `address`, as [`crate::kallsyms::SymbolTable::by_address`]
    /// finds it; the outer `None` if the index is inconsistent.
    pub(crate) fn symbol_at(&self, address: u64) -> Option<Option<TextSymbol>> {
        let (mut low, mut high) = (0, self.symbol_count());
        while low < high {
            let middle = low + (high - low) / 2;
            if self.symbol_entry(middle)?.0 <= address {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let Some(index) = low.checked_sub(1) else {
            return Some(None);
        };
        let symbol = self.symbol(index)?;
        Some((address - symbol.address < symbol.size.max(1)).then_some(symbol))
    }

    /// Whether a printed size fits `symbol`, as
    /// [`crate::kallsyms::SymbolTable::size_matches`] decides.
    pub(crate) fn size_matches(&self, symbol: &TextSymbol, printed: u64) -> bool {
        let last = self.symbol_count().checked_sub(1);
        symbol.size == printed
            || self.alternate_end.is_some_and(|end| {
                last.and_then(|last| self.symbol_entry(last)).map(|s| s.0) == Some(symbol.address)
                    && end.checked_sub(symbol.address) == Some(printed)
            })
    }

    /// A narrower range of blocks to search for `probe`, from the buckets:
    /// the block in force at `probe` is in `low - 1..high`.
    fn candidate_blocks(&self, probe: u64) -> Option<(usize, usize)> {
        let buckets = self.section(SectionId::BlockBuckets);
        let base = u64_at(buckets, 0)?;
        let shift = u32_at(buckets, 2)?;
        let count = u64::from(u32_at(buckets, 3)?);
        let bucket = probe.checked_sub(base)?.checked_shr(shift)?;
        if bucket >= count {
            return None;
        }
        let first = u32_at(buckets, 4 + bucket as usize)? as usize;
        let last = u32_at(buckets, 5 + bucket as usize)? as usize;
        Some((first + 1, last + 1))
    }

    /// The record in force at `probe`.
    fn record_at(&self, probe: u64) -> Option<Record> {
        let blocks = self.section(SectionId::Blocks);
        let records = self.section(SectionId::Records);
        let count = blocks.len() / BLOCK_LEN;
        let (mut low, mut high) = self.candidate_blocks(probe).unwrap_or((0, count));
        high = high.min(count);
        while low < high {
            let middle = low + (high - low) / 2;
            if u64_at(blocks, middle * BLOCK_LEN)? <= probe {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let block = low.checked_sub(1)?;
        let mut address = u64_at(blocks, block * BLOCK_LEN)?;
        let start = usize::try_from(u64_at(blocks, block * BLOCK_LEN + 8)?).ok()?;
        let end = match block + 1 < count {
            true => usize::try_from(u64_at(blocks, (block + 1) * BLOCK_LEN + 8)?).ok()?,
            false => records.len(),
        };
        let mut cursor = Cursor::new(records.get(start..end)?);
        let (mut file, mut line, mut found) = (None, 0i64, None);
        let mut chain = None;
        while !cursor.is_empty() {
            address = address.checked_add(cursor.uleb()?)?;
            if address > probe {
                break;
            }
            let tag = cursor.u8()?;
            if tag & TAG_FILE != 0 {
                file = Some(cursor.uleb32()?);
            }
            let row = if tag & TAG_ROW != 0 {
                line = line.checked_add(cursor.sleb()?)?;
                Some((file?, u32::try_from(line).ok()?, cursor.uleb32()?))
            } else {
                None
            };
            if tag & TAG_CHAIN != 0 {
                chain = Some(cursor.uleb32()?);
            }
            found = Some(Record { row, chain: chain? });
        }
        found
    }

    /// A file entry's path: cleaned with `strip` when given, otherwise the
    /// path cleaned at build time with the unit's compilation directory.
    fn location(
        &self,
        file: u32,
        line: u32,
        column: u32,
        strip: Option<&PathCleaner>,
    ) -> Option<SourceLocation> {
        let files = self.section(SectionId::Files);
        let raw = u32_at(files, file as usize * 2)?;
        let clean = u32_at(files, file as usize * 2 + 1)?;
        let file = match strip {
            Some(strip) => strip.clean(self.string(raw)?),
            None => self.string(clean)?.to_owned(),
        };
        Some(SourceLocation {
            file,
            line,
            column: (column != 0).then_some(column),
        })
    }

    /// Chain `id`.
    fn chain(&self, id: u32) -> Option<ChainNode> {
        let offsets = self.section(SectionId::ChainOffsets);
        let start = u32_at(offsets, id as usize)? as usize;
        let end = u32_at(offsets, id as usize + 1)? as usize;
        let mut cursor = Cursor::new(self.section(SectionId::ChainData).get(start..end)?);
        let mut node = ChainNode {
            levels: cursor.uleb32()?,
            function: 0,
            outer: 0,
            call: None,
        };
        if node.levels > 0 {
            node.function = cursor.uleb32()?;
        }
        if node.levels > 1 {
            node.outer = cursor.uleb32()?;
            node.call = match cursor.uleb32()? {
                0 => None,
                file => Some((file - 1, cursor.uleb32()?, cursor.uleb32()?)),
            };
        }
        cursor.is_empty().then_some(node)
    }

    /// A chain level's function name: `Some(None)` for none, `None` if the
    /// index is inconsistent.
    fn function(&self, id: u32) -> Option<Option<String>> {
        match id {
            0 => Some(None),
            id => Some(Some(self.string(id - 1)?.to_owned())),
        }
    }

    /// The inline chain at `probe`, innermost first, exactly as the DWARF
    /// lookup gives it; `None` if the index is inconsistent.
    pub(crate) fn inline_chain(
        &self,
        strip: Option<&PathCleaner>,
        probe: u64,
    ) -> Option<Vec<SourceFrame>> {
        let record = self.record_at(probe)?;
        let mut node = self.chain(record.chain)?;
        let mut chain = Vec::with_capacity(node.levels.min(64) as usize);
        if node.levels == 0 {
            return Some(chain);
        }
        let location = match record.row {
            Some((file, line, column)) => Some(self.location(file, line, column, strip)?),
            None => None,
        };
        chain.push(SourceFrame {
            function: self.function(node.function)?,
            location,
            inlined: true,
        });
        // Each outer chain has one level less, so this walk ends.
        while node.levels > 1 {
            let outer = self.chain(node.outer)?;
            if outer.levels != node.levels - 1 {
                return None;
            }
            let location = match node.call {
                Some((file, line, column)) => Some(self.location(file, line, column, strip)?),
                None => None,
            };
            chain.push(SourceFrame {
                function: self.function(outer.function)?,
                location,
                inlined: true,
            });
            node = outer;
        }
        if let Some(outer) = chain.last_mut() {
            outer.inlined = false;
        }
        Some(chain)
    }
}
