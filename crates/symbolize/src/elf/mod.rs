//! One ELF file with DWARF: a vmlinux or a kernel module.
//!
//! - this module: opening the file (mapped, or decompressed: [`decompress`])
//!   and handing its DWARF sections to [`crate::dwarf`];
//! - [`layout`]: where a module's sections are loaded, and its DWARF
//!   relocations applied against that layout;
//! - [`symbols`]: the text symbols (all, or only those some names print
//!   as), and symbols by name (the build id and the kernel release in
//!   `linux_banner` are read by `kresym-debuginfo`, the one reader of ELF
//!   ids);
//! - [`kallsyms`]: the table of text symbols with the sizes the kernel prints.
//!
//! A vmlinux (`ET_EXEC`) is memory-mapped and its DWARF sections are used in
//! place: its `.rela.debug_*` sections were already applied by the linker, so
//! they are never read. A module (`ET_REL`) is laid out the way the kernel's
//! module loader lays it out, and its DWARF relocations are applied against
//! that layout, so module addresses are unambiguous even across `.text` and
//! `.text.unlikely`.

pub(crate) mod decompress;
pub mod kallsyms;
mod layout;
mod symbols;

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use gimli::RunTimeEndian;
use object::elf;
use object::read::elf::{ElfFile64, FileHeader};
use object::{Object, ObjectSection};

use crate::dwarf::{DwarfInfo, NEEDED_SECTIONS, Sections};
pub use crate::error::ElfError;
use crate::error::{Error, Result};
use decompress::{DecompressError, DecompressionLimits};
use kallsyms::{NamedSymbols, SymbolTable, TextSymbol};
use layout::Layout;

/// The bytes of a binary: mapped from disk or decompressed into memory.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(vec) => vec,
        }
    }
}

/// A loaded vmlinux or module: symbols, DWARF, and shared lookup state.
///
/// Shared between threads: section data is read-only, and the symbol table,
/// the kernel release and the DWARF's lookup state are built on first use,
/// once, by whichever thread needs them first.
pub struct Binary {
    // Field order matters: everything borrowing from `owned` and `bytes`
    // must be dropped before them.
    dwarf: DwarfInfo,
    symbols: OnceLock<SymbolTable>,
    /// Some names' symbols, read without the whole table.
    named: OnceLock<NamedSymbols>,
    release: OnceLock<Option<String>>,
    elf: ElfFile64<'static, object::Endianness>,
    layout: Layout,
    build_id: Option<Vec<u8>>,
    has_dwarf: bool,
    path: PathBuf,
    _owned: Vec<Vec<u8>>,
    bytes: Bytes,
}

impl std::fmt::Debug for Binary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binary")
            .field("path", &self.path)
            .field("symbols", &self.symbols.get().map(SymbolTable::len))
            .field("has_dwarf", &self.has_dwarf)
            .finish_non_exhaustive()
    }
}

impl Binary {
    /// Load an ELF file: a vmlinux, or a module (`.ko`, `.ko.debug`,
    /// `.ko.xz`, `.ko.zst`).
    pub fn open(path: &Path) -> Result<Binary> {
        let io = |error| Error::Io {
            path: path.to_owned(),
            error,
        };
        let file = File::open(path).map_err(io)?;
        if file.metadata().map_err(io)?.is_dir() {
            return Err(Error::NotElf {
                path: path.to_owned(),
                reason: ElfError::Directory,
            });
        }
        // SAFETY: the map is read-only and private; like every symbolizer, we
        // rely on the file not being truncated while it is in use.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let limits = DecompressionLimits::from_env();
        let what = format!("file {}", path.display());
        let not_elf = |error: DecompressError| Error::NotElf {
            path: path.to_owned(),
            reason: ElfError::Decompress(error),
        };
        let bytes = if name.ends_with(".xz") {
            Bytes::Owned(decompress::xz(&map, &limits, &what).map_err(not_elf)?)
        } else if name.ends_with(".zst") {
            let decoder = ruzstd::decoding::StreamingDecoder::new(&map[..]).map_err(|e| {
                not_elf(DecompressError::Corrupt {
                    what: "zstd".into(),
                    error: Box::new(e),
                })
            })?;
            let compressed = map.len() as u64;
            Bytes::Owned(
                decompress::read_bounded(decoder, compressed, &limits, &what).map_err(not_elf)?,
            )
        } else {
            Bytes::Mapped(map)
        };
        Self::from_bytes(path.to_owned(), bytes)
    }

    /// Load an ELF file already in memory (uncompressed); `path` only names
    /// it in errors. For tests and fuzzing.
    pub fn from_vec(path: PathBuf, bytes: Vec<u8>) -> Result<Binary> {
        Self::from_bytes(path, Bytes::Owned(bytes))
    }

    fn from_bytes(path: PathBuf, bytes: Bytes) -> Result<Binary> {
        let not_elf = |reason: ElfError| Error::NotElf {
            path: path.clone(),
            reason,
        };
        // SAFETY: `bytes` is moved into the returned `Binary` and never
        // mutated; its heap or mapped memory does not move, and every
        // borrow of it is stored in fields dropped before it.
        let data: &'static [u8] = unsafe { std::mem::transmute(bytes.as_slice()) };
        check_elf_class(data).map_err(not_elf)?;
        let file = ElfFile64::<object::Endianness>::parse(data)
            .map_err(|e| not_elf(ElfError::Malformed(e)))?;
        let endian = if file.is_little_endian() {
            RunTimeEndian::Little
        } else {
            RunTimeEndian::Big
        };
        let relocatable = file.elf_header().e_type(file.endian()) == elf::ET_REL;
        let layout = if relocatable {
            Layout::module(&file)
        } else {
            Layout::linked(&file)
        };
        let limits = DecompressionLimits::from_env();
        let mut owned: Vec<Vec<u8>> = Vec::new();
        let mut has_dwarf = false;
        let sections = gimli::DwarfSections::load(|id| -> Result<&'static [u8]> {
            if !NEEDED_SECTIONS.contains(&id) {
                return Ok(&[]);
            }
            let Some(section) = file.section_by_name(id.name()) else {
                return Ok(&[]);
            };
            has_dwarf |= id == gimli::SectionId::DebugInfo;
            let data = section
                .compressed_data()
                .map_err(|error| ElfError::Section {
                    section: id.name(),
                    error,
                })
                .and_then(|data| Ok(decompress::section_data(data, &limits, id.name())?))
                .map_err(not_elf)?;
            let data = if relocatable {
                let mut data = data.into_owned();
                layout.relocate(&file, &section, &mut data);
                Cow::Owned(data)
            } else {
                data
            };
            let slice = match data {
                Cow::Borrowed(slice) => slice,
                Cow::Owned(vec) => {
                    // SAFETY: the Vec's heap buffer is kept alive in `owned`
                    // (moved into the Binary) and never touched again.
                    let slice: &'static [u8] = unsafe { std::mem::transmute(vec.as_slice()) };
                    owned.push(vec);
                    slice
                }
            };
            Ok(slice)
        })?;
        let build_id = kresym_debuginfo::elf::build_id(&file)
            .ok()
            .flatten()
            .map(<[u8]>::to_vec);
        Ok(Binary {
            dwarf: DwarfInfo::new(Sections::new(sections, endian)),
            symbols: OnceLock::new(),
            named: OnceLock::new(),
            release: OnceLock::new(),
            elf: file,
            layout,
            build_id,
            has_dwarf,
            path,
            _owned: owned,
            bytes,
        })
    }

    /// The file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Text symbols with kallsyms sizes, read on first use.
    pub fn symbols(&self) -> &SymbolTable {
        self.symbols
            .get_or_init(|| symbols::read_text_symbols(&self.elf, &self.layout))
    }

    /// Read the symbols a report may print under `names` (see
    /// [`Self::symbols_named`]) without reading the whole symbol table:
    /// for a report of a few frames, what its names need costs a tenth of
    /// the table. Nothing when the table is read already, for a module
    /// (whose table is small), or when this was done before.
    pub fn read_symbols_named<'a>(&self, names: impl IntoIterator<Item = &'a str>) {
        if self.symbols.get().is_none() && !self.layout.relocatable {
            self.named
                .get_or_init(|| symbols::read_named_text_symbols(&self.elf, &self.layout, names));
        }
    }

    /// Every text symbol a report may print as `name`, in address order:
    /// of this exact name, or cut to it as the kernel prints ThinLTO's
    /// `.llvm.<hash>` names (see [`SymbolTable::by_name`]). From the names
    /// [`Self::read_symbols_named`] read when `name` was among them, else
    /// from the whole table (read now if it was not).
    pub fn symbols_named(&self, name: &str) -> Vec<&TextSymbol> {
        if self.symbols.get().is_none()
            && let Some(found) = self.named.get().and_then(|named| named.by_name(name))
        {
            return found.iter().collect();
        }
        self.symbols().by_name(name).collect()
    }

    /// Whether a printed `/0xSIZE` fits `symbol` (see
    /// [`SymbolTable::size_matches`]; only a module's needs the table).
    pub fn size_matches(&self, symbol: &TextSymbol, printed: u64) -> bool {
        match self.layout.relocatable {
            true => self.symbols().size_matches(symbol, printed),
            false => symbol.size == printed,
        }
    }

    /// The GNU build id, if the file has one.
    pub fn build_id(&self) -> Option<&[u8]> {
        self.build_id.as_deref()
    }

    /// The kernel release from `linux_banner` (`6.1.0-53-cloud-amd64`), for a vmlinux.
    pub fn release(&self) -> Option<&str> {
        self.release
            .get_or_init(|| kresym_debuginfo::elf::release(&self.elf))
            .as_deref()
    }

    /// Whether this is a relocatable object (`ET_REL`: a module), not a
    /// linked image.
    pub fn is_relocatable(&self) -> bool {
        self.elf.elf_header().e_type(self.elf.endian()) == elf::ET_REL
    }

    /// Whether the ELF symbol table defines `name` (one pass over it,
    /// without reading the text symbols).
    pub fn defines(&self, name: &str) -> bool {
        !symbols::symbols_by_name(&self.elf, name).is_empty()
    }

    /// Whether the file has DWARF line information at all.
    pub fn has_dwarf(&self) -> bool {
        self.has_dwarf
    }

    /// The source and object tree roots its DWARF shows.
    pub(crate) fn source_roots(&self) -> &[String] {
        self.dwarf.source_roots()
    }

    /// See [`DwarfInfo::fall_back_to_source_roots`].
    pub(crate) fn fall_back_to_source_roots(&self, roots: &[String]) {
        self.dwarf.fall_back_to_source_roots(roots);
    }

    pub(crate) fn dwarf(&self) -> &DwarfInfo {
        &self.dwarf
    }

    /// Let the kernel drop this process's mappings of the file's pages: the
    /// page cache keeps them, and a later read maps them again. Tearing
    /// down the mappings of a kernel's DWARF, all read, takes about 13 ms
    /// (Debian's 588 MB vmlinux), which the process otherwise pays when it
    /// unmaps the file or exits; the index build has it done on a thread
    /// of its own while it writes. Nothing for a decompressed file.
    pub(crate) fn unmap_pages(&self) {
        if let Bytes::Mapped(map) = &self.bytes {
            // SAFETY: the map is read-only and private, so none of its
            // pages was ever written: dropping them loses nothing, and a
            // later read maps the file's same bytes again.
            let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }
}

/// The GNU build id of an uncompressed ELF file, read from its notes
/// without loading anything else; `Err` says why the file is unusable.
pub(crate) fn read_build_id(path: &Path) -> Result<Option<Vec<u8>>> {
    let io = |error| Error::Io {
        path: path.to_owned(),
        error,
    };
    let file = File::open(path).map_err(io)?;
    // SAFETY: read-only private map, dropped before returning.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    let not_elf = |reason| Error::NotElf {
        path: path.to_owned(),
        reason,
    };
    check_elf_class(&map).map_err(not_elf)?;
    let elf = ElfFile64::<object::Endianness>::parse(&map[..])
        .map_err(|e| not_elf(ElfError::Malformed(e)))?;
    Ok(kresym_debuginfo::elf::build_id(&elf)
        .ok()
        .flatten()
        .map(<[u8]>::to_vec))
}

/// Refuse what this symbolizer cannot read, with a reason a person understands.
fn check_elf_class(data: &[u8]) -> std::result::Result<(), ElfError> {
    if data.len() < 16 || &data[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    // e_ident: magic (4 bytes), class, data encoding.
    if data[4] != elf::ELFCLASS64.0 {
        return Err(ElfError::Class32);
    }
    if data[5] != elf::ELFDATA2LSB.0 {
        return Err(ElfError::BigEndian);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::kallsyms::printed_name;
    use super::*;

    /// The symbols read for some names alone are the whole table's for
    /// those names, in every linked sample kernel (duplicate statics,
    /// ThinLTO's `.llvm.` names, arm64's mapping symbols): asked for every
    /// symbol's name, its printed name, prefixes of names (shorter than the
    /// eight bytes names are first compared by) and names of no symbol.
    #[test]
    fn symbols_read_by_name_are_the_tables() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples");
        let mut kernels = vec![
            root.join("build/vmlinux-dwarf4"),
            root.join("build/vmlinux-dwarf5"),
        ];
        for variant in std::fs::read_dir(root.join("variants")).unwrap() {
            kernels.push(variant.unwrap().path().join("vmlinux"));
        }
        let mut llvm_names = 0;
        for path in kernels {
            let whole = Binary::open(&path).unwrap();
            let table = whole.symbols();
            let mut names: Vec<String> = Vec::new();
            for symbol in table.iter() {
                let name = &symbol.name;
                names.push(name.clone());
                names.push(printed_name(name).to_owned());
                names.extend(
                    (1..name.len().min(10))
                        .filter_map(|len| name.get(..len))
                        .map(str::to_owned),
                );
                llvm_names += usize::from(printed_name(name) != name);
            }
            names.extend(["", "no_such_function", "$x", ".L0", "_etext"].map(str::to_owned));
            let named = Binary::open(&path).unwrap();
            named.read_symbols_named(names.iter().map(String::as_str));
            for name in &names {
                let expected: Vec<&TextSymbol> = table.by_name(name).collect();
                assert_eq!(
                    named.symbols_named(name),
                    expected,
                    "{} {name:?}",
                    path.display()
                );
            }
            assert!(named.symbols.get().is_none(), "the whole table was read");
        }
        assert!(llvm_names > 0, "no sample has ThinLTO names");
    }
}
