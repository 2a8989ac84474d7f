//! The DWARF sections of one binary, as the ELF side hands them over, and
//! what reading a unit's header or abbreviations straight from their bytes
//! needs.

use std::sync::Arc;

use gimli::{EndianSlice, Reader as _, RunTimeEndian, Section as _};

/// The DWARF reader used for every binary.
pub(crate) type Reader = EndianSlice<'static, RunTimeEndian>;

/// DWARF sections addr2line needs for file:line and inline lookups: the
/// only ones the ELF side loads.
pub(crate) const NEEDED_SECTIONS: &[gimli::SectionId] = &[
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

/// The loaded sections (borrowed for `'static` from memory the binary
/// keeps alive longer than this), with their byte order.
pub(crate) struct Sections {
    sections: gimli::DwarfSections<&'static [u8]>,
    pub(crate) endian: RunTimeEndian,
    /// The bytes of `.debug_info`, `.debug_abbrev` and `.debug_aranges`.
    info: &'static [u8],
    abbrev: &'static [u8],
    aranges: &'static [u8],
}

impl Sections {
    pub(crate) fn new(
        sections: gimli::DwarfSections<&'static [u8]>,
        endian: RunTimeEndian,
    ) -> Self {
        let dwarf = sections.borrow(|section| EndianSlice::new(section, endian));
        Sections {
            info: dwarf.debug_info.reader().slice(),
            abbrev: dwarf.debug_abbrev.reader().slice(),
            aranges: dwarf.debug_aranges.reader().slice(),
            sections,
            endian,
        }
    }

    /// gimli's view of every section.
    pub(crate) fn gimli(&self) -> gimli::Dwarf<Reader> {
        self.sections
            .borrow(|section| EndianSlice::new(section, self.endian))
    }

    /// The bytes of `.debug_info`.
    pub(crate) fn info(&self) -> &'static [u8] {
        self.info
    }

    /// The bytes of `.debug_abbrev`.
    pub(crate) fn abbrev(&self) -> &'static [u8] {
        self.abbrev
    }

    /// The bytes of `.debug_aranges`.
    pub(crate) fn aranges(&self) -> &'static [u8] {
        self.aranges
    }

    /// The header of the unit at `.debug_info` offset `offset`.
    pub(crate) fn unit_header(&self, offset: usize) -> Option<gimli::UnitHeader<Reader>> {
        gimli::DebugInfo::new(self.info(), self.endian)
            .header_from_offset(gimli::DebugInfoOffset(offset))
            .ok()
    }

    /// The header of the unit at `.debug_info` offset `offset`, unless its
    /// DIEs may refer into other units (then it cannot be read alone).
    pub(crate) fn standalone_unit(&self, offset: usize) -> Option<gimli::UnitHeader<Reader>> {
        let header = self.unit_header(offset)?;
        let abbrev_offset = header.debug_abbrev_offset().0;
        (!may_refer_to_other_units(self.abbrev(), abbrev_offset, self.endian)).then_some(header)
    }

    /// The abbreviation of a unit's root DIE alone, as a table of its own:
    /// reading a root this way spares parsing the unit's whole table.
    pub(crate) fn root_abbreviation(
        &self,
        header: &gimli::UnitHeader<Reader>,
    ) -> Option<gimli::Abbreviations> {
        let endian = self.endian;
        let root = header.debug_info_offset()?.0 + header.size_of_header();
        let code = EndianSlice::new(self.info().get(root..)?, endian)
            .read_uleb128()
            .ok()?;
        let mut table = None;
        scan_abbreviations(
            self.abbrev(),
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
}

/// The unit of `header` as gimli's `Unit::new_with_abbreviations` makes
/// it (the bases and `DW_AT_low_pc` its root declares), but without its
/// line program: parsing the program's header, file table and all, is
/// most of what making a unit costs, and decoding the root's ranges does
/// not need it. `None` when the root cannot be read.
pub(crate) fn unit_without_lines(
    dwarf: &gimli::Dwarf<Reader>,
    header: gimli::UnitHeader<Reader>,
    abbreviations: Arc<gimli::Abbreviations>,
) -> Option<gimli::Unit<Reader>> {
    use gimli::AttributeValue as Value;
    let (encoding, file) = (header.encoding(), dwarf.file_type);
    let mut unit = gimli::Unit {
        abbreviations,
        name: None,
        comp_dir: None,
        low_pc: 0,
        str_offsets_base: gimli::DebugStrOffsetsBase::default_for_encoding_and_file(encoding, file),
        addr_base: gimli::DebugAddrBase(0),
        loclists_base: gimli::DebugLocListsBase::default_for_encoding_and_file(encoding, file),
        rnglists_base: gimli::DebugRngListsBase::default_for_encoding_and_file(encoding, file),
        line_program: None,
        dwo_id: match header.type_() {
            gimli::UnitType::Skeleton(id) | gimli::UnitType::SplitCompilation(id) => Some(id),
            _ => None,
        },
        header,
    };
    let mut low_pc = None;
    let mut entries = unit.header.entries_raw(&unit.abbreviations, None).ok()?;
    let root = entries.read_abbreviation().ok()??;
    for spec in root.attributes() {
        let attr = entries.read_attribute(*spec).ok()?;
        match (attr.name(), attr.value()) {
            (gimli::DW_AT_low_pc, value) => low_pc = Some(value),
            (gimli::DW_AT_str_offsets_base, Value::DebugStrOffsetsBase(base)) => {
                unit.str_offsets_base = base;
            }
            (gimli::DW_AT_addr_base | gimli::DW_AT_GNU_addr_base, Value::DebugAddrBase(base)) => {
                unit.addr_base = base;
            }
            (gimli::DW_AT_loclists_base, Value::DebugLocListsBase(base)) => {
                unit.loclists_base = base;
            }
            (
                gimli::DW_AT_rnglists_base | gimli::DW_AT_GNU_ranges_base,
                Value::DebugRngListsBase(base),
            ) => unit.rnglists_base = base,
            (gimli::DW_AT_GNU_dwo_id, Value::DwoId(id)) if unit.dwo_id.is_none() => {
                unit.dwo_id = Some(id);
            }
            _ => {}
        }
    }
    if let Some(value) = low_pc
        && let Some(address) = dwarf.attr_address(&unit, value).ok()?
    {
        unit.low_pc = address;
    }
    Some(unit)
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
