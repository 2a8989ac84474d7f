//! One ELF file with DWARF: a vmlinux or a kernel module.
//!
//! A vmlinux (`ET_EXEC`) is memory-mapped and its DWARF sections are used in
//! place: its `.rela.debug_*` sections were already applied by the linker, so
//! they are never read. A module (`ET_REL`) is laid out the way the kernel's
//! module loader lays it out, and its DWARF relocations are applied against
//! that layout, so module addresses are unambiguous even across `.text` and
//! `.text.unlikely`.

use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};

use addr2line::Context;
use gimli::{EndianSlice, Reader as _, RunTimeEndian};
use object::elf;
use object::read::elf::{ElfFile64, FileHeader, SectionHeader, Sym as _};
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionIndex};

use crate::decompress::{self, DecompressionLimits};
use crate::kallsyms::SymbolTable;
use crate::{Error, Result};

/// The DWARF reader used for every binary.
pub(crate) type Reader = EndianSlice<'static, RunTimeEndian>;

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
/// the kernel release and each compilation unit's addr2line [`Context`] are
/// built on first use, once, by whichever thread needs them first.
pub struct Binary {
    // Field order matters: everything borrowing from `owned` and `bytes`
    // must be dropped before them.
    units: OnceLock<UnitIndex>,
    own_ranges: OnceLock<Option<Vec<gimli::Range>>>,
    whole: OnceLock<Option<Mutex<Context<Reader>>>>,
    sections: gimli::DwarfSections<&'static [u8]>,
    raw: RawSections,
    endian: RunTimeEndian,
    symbols: OnceLock<SymbolTable>,
    release: OnceLock<Option<String>>,
    source_roots: OnceLock<Vec<String>>,
    elf: ElfFile64<'static, object::Endianness>,
    layout: Layout,
    build_id: Option<Vec<u8>>,
    has_dwarf: bool,
    path: PathBuf,
    _owned: Vec<Vec<u8>>,
    _bytes: Bytes,
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

/// DWARF sections addr2line needs for file:line and inline lookups.
const NEEDED_SECTIONS: &[gimli::SectionId] = &[
    gimli::SectionId::DebugAbbrev,
    gimli::SectionId::DebugAddr,
    gimli::SectionId::DebugAranges,
    gimli::SectionId::DebugInfo,
    gimli::SectionId::DebugLine,
    gimli::SectionId::DebugLineStr,
    gimli::SectionId::DebugRanges,
    gimli::SectionId::DebugRngLists,
    gimli::SectionId::DebugStr,
    gimli::SectionId::DebugStrOffsets,
];

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
                reason: "it is a directory".into(),
            });
        }
        // SAFETY: the map is read-only and private; like every symbolizer, we
        // rely on the file not being truncated while it is in use.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let limits = DecompressionLimits::from_env();
        let what = format!("file {}", path.display());
        let not_elf = |reason| Error::NotElf {
            path: path.to_owned(),
            reason,
        };
        let bytes = if name.ends_with(".xz") {
            Bytes::Owned(decompress::xz(&map, &limits, &what).map_err(not_elf)?)
        } else if name.ends_with(".zst") {
            let decoder = ruzstd::decoding::StreamingDecoder::new(&map[..])
                .map_err(|e| not_elf(format!("cannot decompress zstd: {e}")))?;
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
        let not_elf = |reason: String| Error::NotElf {
            path: path.clone(),
            reason,
        };
        // SAFETY: `bytes` is moved into the returned `Binary` and never
        // mutated; its heap or mapped memory does not move, and every
        // borrow of it is stored in fields dropped before it.
        let data: &'static [u8] = unsafe { std::mem::transmute(bytes.as_slice()) };
        check_elf_class(data).map_err(not_elf)?;
        let file = ElfFile64::<object::Endianness>::parse(data)
            .map_err(|e| not_elf(format!("malformed ELF: {e}")))?;
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
        let mut raw = RawSections {
            info: &[],
            abbrev: &[],
            aranges: &[],
        };
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
                .map_err(|e| format!("cannot read {}: {e}", id.name()))
                .and_then(|data| decompress::section_data(data, &limits, id.name()))
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
            match id {
                gimli::SectionId::DebugInfo => raw.info = slice,
                gimli::SectionId::DebugAbbrev => raw.abbrev = slice,
                gimli::SectionId::DebugAranges => raw.aranges = slice,
                _ => {}
            }
            Ok(slice)
        })?;
        let build_id = file.build_id().ok().flatten().map(<[u8]>::to_vec);
        Ok(Binary {
            units: OnceLock::new(),
            own_ranges: OnceLock::new(),
            whole: OnceLock::new(),
            raw,
            sections,
            endian,
            symbols: OnceLock::new(),
            release: OnceLock::new(),
            source_roots: OnceLock::new(),
            elf: file,
            layout,
            build_id,
            has_dwarf,
            path,
            _owned: owned,
            _bytes: bytes,
        })
    }

    /// The file this was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Text symbols with kallsyms sizes, read on first use.
    pub fn symbols(&self) -> &SymbolTable {
        self.symbols
            .get_or_init(|| read_text_symbols(&self.elf, &self.layout))
    }

    /// The GNU build id, if the file has one.
    pub fn build_id(&self) -> Option<&[u8]> {
        self.build_id.as_deref()
    }

    /// The kernel release from `linux_banner` (`6.1.0-53-cloud-amd64`), for a vmlinux.
    pub fn release(&self) -> Option<&str> {
        self.release
            .get_or_init(|| read_release(&self.elf, &symbols_by_name(&self.elf, "linux_banner")))
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
        !symbols_by_name(&self.elf, name).is_empty()
    }

    /// Whether the file has DWARF line information at all.
    pub fn has_dwarf(&self) -> bool {
        self.has_dwarf
    }

    /// The source and object tree roots the DWARF shows, read once (see
    /// [`crate::source_root`]).
    pub(crate) fn source_roots(&self) -> &[String] {
        self.source_roots
            .get_or_init(|| crate::source_root::detect(&self.dwarf()))
    }

    /// Take `roots` as the tree roots when the DWARF shows none (a module
    /// whose units name no `arch/*/include` header takes the vmlinux's).
    pub(crate) fn fall_back_to_source_roots(&self, roots: &[String]) {
        self.source_roots.get_or_init(|| {
            let own = crate::source_root::detect(&self.dwarf());
            if own.is_empty() { roots.to_vec() } else { own }
        });
    }

    pub(crate) fn dwarf(&self) -> gimli::Dwarf<Reader> {
        self.sections
            .borrow(|section| EndianSlice::new(section, self.endian))
    }

    /// Run `lookup` with an addr2line context covering `probe`.
    ///
    /// Contexts are per compilation unit: `.debug_aranges` names the unit,
    /// and only that unit is parsed, once, whichever thread needs it first;
    /// so a lookup never pays for the whole DWARF, and threads never parse
    /// the same unit twice. A `Context` is `Send` but not `Sync`, so each
    /// sits behind its own lock; threads working on different units do not
    /// wait for each other. A unit whose DIEs may refer into other units, or
    /// an address no range covers, uses a context over the whole file.
    pub(crate) fn with_context<T>(
        &self,
        probe: u64,
        lookup: impl FnOnce(&Context<Reader>) -> T,
    ) -> Option<T> {
        let index = self
            .units
            .get_or_init(|| UnitIndex::read(&self.raw, self.endian));
        if let Some(unit) = index.unit_at(probe)
            && let Some(context) = unit
                .context
                .get_or_init(|| self.unit_context(unit.offset).map(Mutex::new))
        {
            let context = context.lock().unwrap_or_else(PoisonError::into_inner);
            return Some(lookup(&context));
        }
        let whole = self
            .whole
            .get_or_init(|| Context::from_dwarf(self.dwarf()).ok().map(Mutex::new))
            .as_ref()?;
        let context = whole.lock().unwrap_or_else(PoisonError::into_inner);
        Some(lookup(&context))
    }

    /// A context over the single unit at `offset`, or `None` when the unit
    /// cannot stand alone.
    fn unit_context(&self, offset: usize) -> Option<Context<Reader>> {
        let header = self.standalone_unit(offset)?;
        let data = &self.raw.info[offset..];
        let mut dwarf = self.dwarf();
        dwarf.debug_info =
            gimli::DebugInfo::new(data.get(..header.length_including_self())?, self.endian);
        dwarf.debug_aranges = gimli::DebugAranges::new(&[], self.endian);
        Context::from_dwarf(dwarf).ok()
    }

    /// The header of the unit at `.debug_info` offset `offset`.
    pub(crate) fn unit_header(&self, offset: usize) -> Option<gimli::UnitHeader<Reader>> {
        gimli::DebugInfo::new(self.raw.info, self.endian)
            .header_from_offset(gimli::DebugInfoOffset(offset))
            .ok()
    }

    /// The header of the unit at `.debug_info` offset `offset`, unless its
    /// DIEs may refer into other units (then it cannot be read alone).
    pub(crate) fn standalone_unit(&self, offset: usize) -> Option<gimli::UnitHeader<Reader>> {
        let header = self.unit_header(offset)?;
        let abbrev_offset = header.debug_abbrev_offset().0;
        (!may_refer_to_other_units(self.raw.abbrev, abbrev_offset, self.endian)).then_some(header)
    }

    /// Whether no compilation unit covers `probe`, for a probe `.debug_aranges`
    /// puts in no unit: then the lookup over the whole file (which reads
    /// each unit's own ranges, as addr2line does) finds nothing either.
    /// `false` when unsure: some unit states its ranges in a way this does
    /// not read.
    pub(crate) fn in_no_unit(&self, probe: u64) -> bool {
        let index = self
            .units
            .get_or_init(|| UnitIndex::read(&self.raw, self.endian));
        if index.unit_number_at(probe).is_some() {
            return false;
        }
        let own = self.own_ranges.get_or_init(|| self.read_own_ranges(index));
        own.as_ref()
            .is_some_and(|ranges| !ranges.iter().any(|r| r.begin <= probe && probe < r.end))
    }

    /// The ranges every compilation unit declares on its root DIE
    /// (`DW_AT_ranges`, else `DW_AT_low_pc`/`DW_AT_high_pc` for units
    /// without aranges), or failing both its line sequences, the way
    /// addr2line chooses them; `None` when a unit cannot be read this way.
    fn read_own_ranges(&self, index: &UnitIndex) -> Option<Vec<gimli::Range>> {
        let dwarf = self.dwarf();
        let with_aranges: std::collections::HashSet<usize> = index
            .ranges
            .iter()
            .map(|range| index.units[range.unit].offset)
            .collect();
        let mut ranges = Vec::new();
        let mut headers = dwarf.units();
        while let Some(header) = headers.next().ok()? {
            let offset = header.debug_info_offset()?.0;
            match header.type_() {
                gimli::UnitType::Compilation | gimli::UnitType::Skeleton(_) => {}
                gimli::UnitType::Partial | gimli::UnitType::Type { .. } => continue,
                _ => return None,
            }
            let abbreviations =
                root_abbreviation(self.raw.abbrev, &header, self.raw.info, self.endian)?;
            let mut entries = header.entries_raw(&abbreviations, None).ok()?;
            let root = entries.read_abbreviation().ok()??;
            let (mut low, mut high, mut size, mut list) = (None, None, None, None);
            for spec in root.attributes() {
                let attr = entries.read_attribute(*spec).ok()?;
                match (attr.name(), attr.value()) {
                    (gimli::DW_AT_low_pc, gimli::AttributeValue::Addr(a)) => low = Some(a),
                    (gimli::DW_AT_high_pc, gimli::AttributeValue::Addr(a)) => high = Some(a),
                    (gimli::DW_AT_high_pc, gimli::AttributeValue::Udata(n)) => size = Some(n),
                    (gimli::DW_AT_ranges, gimli::AttributeValue::RangeListsRef(raw)) => {
                        list = Some(gimli::RangeListsOffset(raw.0));
                    }
                    (gimli::DW_AT_ranges, gimli::AttributeValue::SecOffset(raw)) => {
                        list = Some(gimli::RangeListsOffset(raw));
                    }
                    // Indexed forms, or an address base they would need.
                    (
                        gimli::DW_AT_ranges
                        | gimli::DW_AT_low_pc
                        | gimli::DW_AT_high_pc
                        | gimli::DW_AT_addr_base
                        | gimli::DW_AT_GNU_addr_base,
                        _,
                    ) => return None,
                    _ => {}
                }
            }
            if list.is_none() && with_aranges.contains(&offset) {
                // addr2line takes this unit's ranges from its aranges,
                // which do not hold the probe.
                continue;
            }
            let mut own = Vec::new();
            if let Some(list) = list {
                let mut iter = dwarf
                    .ranges
                    .ranges(
                        list,
                        header.encoding(),
                        low.unwrap_or(0),
                        &dwarf.debug_addr,
                        gimli::DebugAddrBase(0),
                    )
                    .ok()?;
                while let Some(range) = iter.next().ok()? {
                    own.push(range);
                }
            } else if let (Some(begin), Some(end)) = (low, high) {
                own.push(gimli::Range { begin, end });
            } else if let (Some(begin), Some(size)) = (low, size) {
                own.push(gimli::Range {
                    begin,
                    end: begin.wrapping_add(size),
                });
            }
            own.retain(|range| range.begin < range.end);
            if own.is_empty() {
                // Declared none: addr2line takes the line program's sequences.
                let unit = dwarf.unit(header).ok()?;
                if let Some(program) = unit.line_program.clone() {
                    let unit = gimli::UnitRef::new(&dwarf, &unit);
                    own = crate::sweep::sequence_ranges(unit, program).ok()?;
                }
            }
            ranges.extend(own);
        }
        Some(ranges)
    }

    /// `probes` grouped by the compilation unit `.debug_aranges` puts them
    /// in, as (unit offset, its probes in the order given); probes in no
    /// unit are left out.
    pub(crate) fn probes_by_unit(&self, probes: &[u64]) -> Vec<(usize, Vec<u64>)> {
        let index = self
            .units
            .get_or_init(|| UnitIndex::read(&self.raw, self.endian));
        let mut groups: Vec<Vec<u64>> = Vec::new();
        groups.resize_with(index.units.len(), Vec::new);
        for &probe in probes {
            if let Some(unit) = index.unit_number_at(probe) {
                groups[unit].push(probe);
            }
        }
        groups
            .into_iter()
            .enumerate()
            .filter(|(_, probes)| !probes.is_empty())
            .map(|(unit, probes)| (index.units[unit].offset, probes))
            .collect()
    }
}

/// One level of an inline chain as DWARF states it, paths not yet cleaned.
pub(crate) struct RawLevel<'a> {
    /// The function's name (`DW_AT_name`, through abstract origins).
    pub(crate) function: Option<Cow<'a, str>>,
    /// Where: the line row for the innermost level, the call site for the others.
    pub(crate) location: Option<RawLocation<'a>>,
}

/// A DWARF source location with both a file and a line.
pub(crate) struct RawLocation<'a> {
    /// The path as the compiler recorded it (build directory joined in).
    pub(crate) file: &'a str,
    /// 1-based line.
    pub(crate) line: u32,
    /// Column, `None` when 0 (unknown).
    pub(crate) column: Option<u32>,
}

impl Binary {
    /// Run `visit` with the inline chain at `probe`, innermost first, and the
    /// compilation directory of the unit `probe` falls in; `None` when the
    /// file has no usable DWARF.
    ///
    /// This is the one place kresym asks DWARF what is at an address: the
    /// lookup and the persisted index both go through it.
    pub(crate) fn with_raw_chain<T>(
        &self,
        probe: u64,
        visit: impl FnOnce(Option<&str>, &[RawLevel<'_>]) -> T,
    ) -> Option<T> {
        if self.in_no_unit(probe) {
            // addr2line finds nothing there, and would first read every
            // unit of the file to be sure.
            return Some(visit(None, &[]));
        }
        self.with_context(probe, |context| {
            let comp_dir = context
                .find_dwarf_and_unit(probe)
                .skip_all_loads()
                .and_then(|unit| {
                    unit.comp_dir
                        .map(|dir| String::from_utf8_lossy(dir.slice()))
                });
            let mut levels = Vec::new();
            if let Ok(mut frames) = context.find_frames(probe).skip_all_loads() {
                while let Ok(Some(frame)) = frames.next() {
                    levels.push(RawLevel {
                        function: frame
                            .function
                            .as_ref()
                            .map(|f| String::from_utf8_lossy(f.name.slice())),
                        location: frame.location.and_then(|l| {
                            Some(RawLocation {
                                file: l.file?,
                                line: l.line?,
                                column: l.column.filter(|&c| c != 0),
                            })
                        }),
                    });
                }
            }
            visit(comp_dir.as_deref(), &levels)
        })
    }

    /// Every address where `.debug_aranges` starts or ends a unit's range:
    /// where the choice of lookup context may change.
    pub(crate) fn unit_range_boundaries(&self) -> Vec<u64> {
        let index = self
            .units
            .get_or_init(|| UnitIndex::read(&self.raw, self.endian));
        index
            .ranges
            .iter()
            .flat_map(|range| [range.begin, range.end])
            .collect()
    }
}

/// The raw bytes of the sections the per-unit index reads directly.
#[derive(Clone, Copy)]
struct RawSections {
    info: &'static [u8],
    abbrev: &'static [u8],
    aranges: &'static [u8],
}

/// Compilation units by address, from `.debug_aranges`.
struct UnitIndex {
    /// Address ranges sorted by start; `unit` indexes `units`.
    ranges: Vec<UnitRange>,
    units: Vec<SharedUnit>,
}

/// An address range of one compilation unit.
struct UnitRange {
    begin: u64,
    end: u64,
    unit: usize,
}

/// One compilation unit and its lookup context, built on first use.
struct SharedUnit {
    /// The unit's `.debug_info` offset.
    offset: usize,
    /// `None` inside when the unit cannot stand alone.
    context: OnceLock<Option<Mutex<Context<Reader>>>>,
}

impl UnitIndex {
    fn read(raw: &RawSections, endian: RunTimeEndian) -> UnitIndex {
        let mut ranges = Vec::new();
        let mut units = Vec::new();
        let mut headers = gimli::DebugAranges::new(raw.aranges, endian).headers();
        while let Ok(Some(header)) = headers.next() {
            let unit = units.len();
            units.push(SharedUnit {
                offset: header.debug_info_offset().0,
                context: OnceLock::new(),
            });
            let mut entries = header.entries();
            while let Ok(Some(entry)) = entries.next() {
                let range = entry.range();
                if range.begin < range.end {
                    ranges.push(UnitRange {
                        begin: range.begin,
                        end: range.end,
                        unit,
                    });
                }
            }
        }
        ranges.sort_by_key(|r| r.begin);
        UnitIndex { ranges, units }
    }

    /// The unit whose ranges cover `probe`.
    fn unit_at(&self, probe: u64) -> Option<&SharedUnit> {
        self.unit_number_at(probe).map(|unit| &self.units[unit])
    }

    /// The position in `units` of the unit whose ranges cover `probe`.
    fn unit_number_at(&self, probe: u64) -> Option<usize> {
        let index = self
            .ranges
            .partition_point(|r| r.begin <= probe)
            .checked_sub(1)?;
        let range = &self.ranges[index];
        (probe < range.end).then_some(range.unit)
    }
}

/// Whether a unit's abbreviations use a form that refers outside the unit
/// (`DW_FORM_ref_addr`, supplementary-file references). Malformed tables
/// count as yes, which only costs speed.
fn may_refer_to_other_units(abbrev: &[u8], offset: usize, endian: RunTimeEndian) -> bool {
    let mut refers = false;
    let scanned = scan_abbreviations(abbrev, offset, endian, |_, forms, _| {
        refers |= forms.iter().any(|form| {
            matches!(
                *form,
                gimli::DW_FORM_ref_addr
                    | gimli::DW_FORM_GNU_ref_alt
                    | gimli::DW_FORM_ref_sup4
                    | gimli::DW_FORM_ref_sup8
            )
        });
        refers
    });
    refers || scanned.is_err()
}

/// Walk the abbreviation declarations of the table at `offset`, calling
/// `visit(code, forms, bytes of the declaration)` until it returns true or
/// the table ends, without building gimli's parsed table.
fn scan_abbreviations(
    abbrev: &[u8],
    offset: usize,
    endian: RunTimeEndian,
    mut visit: impl FnMut(u64, &[gimli::DwForm], &[u8]) -> bool,
) -> gimli::Result<()> {
    let data = abbrev
        .get(offset..)
        .ok_or(gimli::Error::UnexpectedEof(gimli::ReaderOffsetId(
            offset as u64,
        )))?;
    let mut reader = EndianSlice::new(data, endian);
    let mut forms = Vec::new();
    loop {
        let start = data.len() - reader.len();
        let code = reader.read_uleb128()?;
        if code == 0 {
            return Ok(());
        }
        reader.read_uleb128()?; // tag
        reader.read_u8()?; // has children
        forms.clear();
        loop {
            let name = reader.read_uleb128()?;
            let form = gimli::DwForm(reader.read_uleb128_u16()?);
            if name == 0 && form.0 == 0 {
                break;
            }
            if form == gimli::DW_FORM_implicit_const {
                reader.read_sleb128()?;
            }
            forms.push(form);
        }
        let end = data.len() - reader.len();
        if visit(code, &forms, &data[start..end]) {
            return Ok(());
        }
    }
}

/// The abbreviation of a unit's root DIE alone, as a table of its own:
/// reading a root this way spares parsing the unit's whole table.
fn root_abbreviation(
    abbrev: &[u8],
    header: &gimli::UnitHeader<Reader>,
    info: &[u8],
    endian: RunTimeEndian,
) -> Option<gimli::Abbreviations> {
    let root = header.debug_info_offset()?.0 + header.size_of_header();
    let code = EndianSlice::new(info.get(root..)?, endian)
        .read_uleb128()
        .ok()?;
    let mut table = None;
    scan_abbreviations(
        abbrev,
        header.debug_abbrev_offset().0,
        endian,
        |found, _, bytes| {
            if found == code {
                let mut own = bytes.to_vec();
                own.push(0); // end of table
                table = gimli::DebugAbbrev::new(&own, endian)
                    .abbreviations(gimli::DebugAbbrevOffset(0))
                    .ok();
            }
            found == code
        },
    )
    .ok()?;
    table
}

/// The GNU build id of an uncompressed ELF file, read from its notes
/// without loading anything else; `Err` says why the file is unusable.
pub(crate) fn read_build_id(path: &Path) -> std::result::Result<Option<Vec<u8>>, String> {
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // SAFETY: read-only private map, dropped before returning.
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let not_elf = |reason: String| format!("{} cannot be used: {reason}", path.display());
    check_elf_class(&map).map_err(not_elf)?;
    let elf = ElfFile64::<object::Endianness>::parse(&map[..])
        .map_err(|e| not_elf(format!("malformed ELF: {e}")))?;
    Ok(elf.build_id().ok().flatten().map(<[u8]>::to_vec))
}

/// Refuse what this symbolizer cannot read, with a reason a person understands.
fn check_elf_class(data: &[u8]) -> std::result::Result<(), String> {
    if data.len() < 16 || &data[..4] != b"\x7fELF" {
        return Err("not an ELF file".into());
    }
    // e_ident: magic (4 bytes), class, data encoding.
    if data[4] != elf::ELFCLASS64.0 {
        return Err("32-bit ELF files are not supported; kresym reads 64-bit kernels".into());
    }
    if data[5] != elf::ELFDATA2LSB.0 {
        return Err("big-endian ELF files are not supported".into());
    }
    Ok(())
}

/// Where each section of the file sits in the address space that frames
/// refer to.
struct Layout {
    /// Per section index: its address. For a linked file, `sh_addr`.
    section_address: Vec<u64>,
    /// Whether a section holds kernel text that kallsyms lists.
    text: Vec<bool>,
    /// End of the text region (last symbol's size ends here).
    text_end: u64,
    /// Whether symbol values are section offsets (a module) rather than addresses.
    relocatable: bool,
}

impl Layout {
    /// A linked vmlinux: sections sit at their `sh_addr`.
    fn linked(file: &ElfFile64<'_, object::Endianness>) -> Layout {
        let count = file.elf_section_table().len();
        let mut layout = Layout {
            section_address: vec![0; count],
            text: vec![false; count],
            text_end: 0,
            relocatable: false,
        };
        for section in file.sections() {
            let index = section.index().0;
            let header = section.elf_section_header();
            let flags = header.sh_flags(file.endian()).0;
            layout.section_address[index] = section.address();
            let text = elf::SHF_EXECINSTR.0 | elf::SHF_ALLOC.0;
            if flags & text == text {
                layout.text[index] = true;
                let end = section.address().saturating_add(section.size());
                layout.text_end = layout.text_end.max(end);
            }
        }
        layout
    }

    /// A module: allocated sections laid out as the kernel's module loader
    /// does (`layout_sections`): executable sections first, in section
    /// header order, each aligned to its `sh_addralign`; `.init*` sections
    /// go to a separate init region placed after the core image.
    fn module(file: &ElfFile64<'_, object::Endianness>) -> Layout {
        let endian = file.endian();
        let headers: Vec<_> = file.elf_section_table().iter().collect();
        let count = headers.len();
        let mut layout = Layout {
            section_address: vec![0; count],
            text: vec![false; count],
            text_end: 0,
            relocatable: true,
        };
        let (exec, alloc, write) = (elf::SHF_EXECINSTR.0, elf::SHF_ALLOC.0, elf::SHF_WRITE.0);
        // (flags required, flags refused), in the kernel's order.
        let passes = [
            (exec | alloc, 0),
            (alloc, write | exec),
            (write | alloc, exec),
        ];
        let mut placed = vec![false; count];
        let mut offset = 0u64;
        for init in [false, true] {
            for (pass, &(required, refused)) in passes.iter().enumerate() {
                for (index, header) in headers.iter().enumerate() {
                    let flags = header.sh_flags(endian).0;
                    let name = file
                        .elf_section_table()
                        .section_name(endian, header)
                        .unwrap_or_default();
                    if placed[index]
                        || flags & required != required
                        || flags & refused != 0
                        || name.starts_with(b".init") != init
                    {
                        continue;
                    }
                    let align = header.sh_addralign(endian).max(1);
                    // Saturating: a malformed file may claim any size.
                    offset = offset.div_ceil(align).saturating_mul(align);
                    layout.section_address[index] = offset;
                    layout.text[index] = pass == 0 && !init;
                    placed[index] = true;
                    offset = offset.saturating_add(header.sh_size(endian));
                }
                if pass == 0 && !init {
                    layout.text_end = offset;
                }
            }
        }
        layout
    }

    /// The address of a symbol with this value defined in this section.
    fn symbol_address(&self, section: SectionIndex, value: u64) -> u64 {
        match self.section_address.get(section.0) {
            Some(base) if self.relocatable => base.wrapping_add(value),
            _ => value,
        }
    }

    /// Apply a module section's relocations to its (uncompressed) data.
    fn relocate(
        &self,
        file: &ElfFile64<'_, object::Endianness>,
        section: &object::read::elf::ElfSection64<'_, '_, object::Endianness>,
        data: &mut [u8],
    ) {
        for (offset, relocation) in section.relocations() {
            let target = match relocation.target() {
                RelocationTarget::Symbol(index) => match file.symbol_by_index(index) {
                    Ok(symbol) => match symbol.section_index() {
                        Some(section) if is_debug_section(file, section) => symbol.address(),
                        Some(section) => self.symbol_address(section, symbol.address()),
                        None => symbol.address(),
                    },
                    Err(_) => continue,
                },
                RelocationTarget::Section(index) if is_debug_section(file, index) => 0,
                RelocationTarget::Section(index) => self.symbol_address(index, 0),
                _ => continue,
            };
            let value = target.wrapping_add(relocation.addend() as u64);
            let start = offset as usize;
            match relocation.size() {
                64 => {
                    if let Some(out) = start
                        .checked_add(8)
                        .and_then(|end| data.get_mut(start..end))
                    {
                        out.copy_from_slice(&value.to_le_bytes());
                    }
                }
                32 => {
                    if let Some(out) = start
                        .checked_add(4)
                        .and_then(|end| data.get_mut(start..end))
                    {
                        out.copy_from_slice(&(value as u32).to_le_bytes());
                    }
                }
                _ => {}
            }
        }
    }
}

fn is_debug_section(file: &ElfFile64<'_, object::Endianness>, index: SectionIndex) -> bool {
    file.section_by_index(index)
        .map(|s| {
            s.kind() == object::SectionKind::Debug
                || s.name().is_ok_and(|n| n.starts_with(".debug"))
        })
        .unwrap_or(false)
}

/// Addresses of the defined symbols with this name.
fn symbols_by_name(file: &ElfFile64<'_, object::Endianness>, name: &str) -> Vec<u64> {
    // Every place `.strtab` holds `name` followed by its NUL (one fast
    // substring search; a linker may store it as the tail of a longer name,
    // `x86_64_start_kernel`) is an offset a symbol of that name points at:
    // symbols are then told apart by their name offset alone instead of
    // reading some 200,000 names.
    let endian = file.endian();
    let Some(strtab) = file.section_by_name(".strtab").and_then(|s| s.data().ok()) else {
        return file
            .symbols()
            .filter(|s| s.name_bytes() == Ok(name.as_bytes()) && s.section_index().is_some())
            .map(|s| s.address())
            .collect();
    };
    let mut needle = Vec::with_capacity(name.len() + 1);
    needle.extend_from_slice(name.as_bytes());
    needle.push(0);
    let offsets: Vec<u32> = memchr::memmem::find_iter(strtab, &needle)
        .filter_map(|at| u32::try_from(at).ok())
        .collect();
    if offsets.is_empty() {
        return Vec::new();
    }
    file.elf_symbol_table()
        .symbols()
        .iter()
        .filter(|s| offsets.contains(&s.st_name(endian)) && !s.is_undefined(endian))
        .map(|s| s.st_value(endian))
        .collect()
}

/// Every named, defined symbol in a text section, at its layout address.
fn read_text_symbols(file: &ElfFile64<'_, object::Endianness>, layout: &Layout) -> SymbolTable {
    let mut symbols = Vec::new();
    for symbol in file.symbols() {
        if matches!(
            symbol.kind(),
            object::SymbolKind::File | object::SymbolKind::Section
        ) {
            continue;
        }
        let Some(section) = symbol.section_index() else {
            continue;
        };
        if !layout.text.get(section.0).copied().unwrap_or(false) {
            continue;
        }
        let Ok(name) = symbol.name() else { continue };
        symbols.push((
            name.to_owned(),
            layout.symbol_address(section, symbol.address()),
        ));
    }
    let mut text_end = layout.text_end;
    if !layout.relocatable
        && let Some(etext) = symbols_by_name(file, "_etext").first()
    {
        text_end = text_end.max(*etext);
    }
    let table = SymbolTable::new(symbols, text_end);
    if layout.relocatable {
        table.with_alternate_end(
            layout
                .text_end
                .div_ceil(MODULE_PAGE_SIZE)
                .saturating_mul(MODULE_PAGE_SIZE),
        )
    } else {
        table
    }
}

/// Page size the kernel rounds a module's text region up to.
const MODULE_PAGE_SIZE: u64 = 4096;

/// The release from `linux_banner`: "Linux version 6.1.0-53-cloud-amd64 (...".
fn read_release(file: &ElfFile64<'_, object::Endianness>, banner: &[u64]) -> Option<String> {
    let address = *banner.first()?;
    let section = file
        .sections()
        .find(|s| s.address() <= address && address < s.address().saturating_add(s.size()))?;
    let data = section.data().ok()?;
    let text = data.get((address - section.address()) as usize..)?;
    let text = text.get(..text.iter().position(|&b| b == 0)?)?;
    let text = std::str::from_utf8(text).ok()?;
    text.strip_prefix("Linux version ")?
        .split_whitespace()
        .next()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (function, file, line) of every level at `probe`.
    fn levels(context: &Context<Reader>, probe: u64) -> Vec<(String, String, u32)> {
        let mut out = Vec::new();
        let Ok(mut frames) = context.find_frames(probe).skip_all_loads() else {
            return out;
        };
        while let Ok(Some(frame)) = frames.next() {
            let name = frame
                .function
                .and_then(|f| f.raw_name().ok().map(|n| n.into_owned()))
                .unwrap_or_default();
            let (file, line) = frame
                .location
                .map(|l| (l.file.unwrap_or_default().to_owned(), l.line.unwrap_or(0)))
                .unwrap_or_default();
            out.push((name, file, line));
        }
        out
    }

    /// Each sample kernel, with addr2line's context over its whole file.
    fn samples() -> Vec<(&'static str, Binary, Context<Reader>)> {
        let build = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples/build");
        ["vmlinux-dwarf5", "vmlinux-dwarf4"]
            .into_iter()
            .map(|name| {
                let binary = Binary::open(&build.join(name)).unwrap();
                let whole = Context::from_dwarf(binary.dwarf()).unwrap();
                (name, binary, whole)
            })
            .collect()
    }

    #[test]
    fn unit_contexts_agree_with_the_whole_file_context() {
        for (name, binary, whole) in samples() {
            let index = UnitIndex::read(&binary.raw, binary.endian);
            let (mut probes, mut by_unit) = (0, 0);
            for symbol in binary.symbols().iter() {
                // The last symbol's size runs to the end of the text region.
                let end = symbol.address + symbol.size.min(0x400);
                for probe in (symbol.address..end).step_by(3) {
                    let expected = levels(&whole, probe);
                    let found = binary.with_context(probe, |c| levels(c, probe));
                    assert_eq!(found.as_ref(), Some(&expected), "{name} at 0x{probe:x}");
                    probes += 1;
                    if index
                        .unit_at(probe)
                        .and_then(|u| binary.unit_context(u.offset))
                        .is_some()
                    {
                        by_unit += 1;
                    }
                }
            }
            // Most lookups must take the per-unit path (assembler units
            // without .debug_aranges entries may not).
            assert!(
                by_unit * 10 > probes * 9,
                "{name}: {by_unit} of {probes} by unit"
            );
        }
    }
    #[test]
    fn addresses_in_no_unit_are_where_the_whole_file_context_finds_nothing() {
        for (name, binary, whole) in samples() {
            let symbols: Vec<_> = binary.symbols().iter().cloned().collect();
            let first = symbols.first().unwrap().address - 0x40;
            let last = symbols.last().unwrap().address + 0x400;
            let mut nowhere = 0;
            for probe in first..last {
                if binary.in_no_unit(probe) {
                    nowhere += 1;
                    assert!(levels(&whole, probe).is_empty(), "{name} at 0x{probe:x}");
                    let location = whole.find_location(probe).ok().flatten();
                    assert!(location.is_none(), "{name} at 0x{probe:x}");
                }
            }
            // Before the text, past its end and between units.
            assert!(nowhere > 0x40, "{name}: {nowhere}");
        }
    }
}
