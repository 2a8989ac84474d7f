//! Where each section of an ELF file sits in the address space frames
//! refer to: a vmlinux's sections at their addresses, a module's where the
//! kernel's module loader puts them; and a module's DWARF relocated to
//! that layout.

use object::elf;
use object::read::elf::{ElfFile64, SectionHeader};
use object::{Object, ObjectSection, ObjectSymbol, RelocationTarget, SectionIndex};

/// Where each section of the file sits in the address space that frames
/// refer to.
pub(crate) struct Layout {
    /// Per section index: its address. For a linked file, `sh_addr`.
    section_address: Vec<u64>,
    /// Whether a section holds kernel text that kallsyms lists.
    pub(crate) text: Vec<bool>,
    /// End of the text region (last symbol's size ends here).
    pub(crate) text_end: u64,
    /// Whether symbol values are section offsets (a module) rather than addresses.
    pub(crate) relocatable: bool,
}

impl Layout {
    /// A linked vmlinux: sections sit at their `sh_addr`.
    pub(crate) fn linked(file: &ElfFile64<'_, object::Endianness>) -> Layout {
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
    pub(crate) fn module(file: &ElfFile64<'_, object::Endianness>) -> Layout {
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
    pub(crate) fn symbol_address(&self, section: SectionIndex, value: u64) -> u64 {
        match self.section_address.get(section.0) {
            Some(base) if self.relocatable => base.wrapping_add(value),
            _ => value,
        }
    }

    /// Apply a module section's relocations to its (uncompressed) data.
    pub(crate) fn relocate(
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
