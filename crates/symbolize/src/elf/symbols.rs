//! The symbols of an ELF file: its text symbols at their layout addresses,
//! and a symbol's address by name.

use object::read::elf::{ElfFile64, Sym as _};
use object::{Object, ObjectSection, ObjectSymbol};

use super::kallsyms::SymbolTable;
use super::layout::Layout;

/// Addresses of the defined symbols with this name.
pub(crate) fn symbols_by_name(file: &ElfFile64<'_, object::Endianness>, name: &str) -> Vec<u64> {
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
pub(crate) fn read_text_symbols(
    file: &ElfFile64<'_, object::Endianness>,
    layout: &Layout,
) -> SymbolTable {
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
