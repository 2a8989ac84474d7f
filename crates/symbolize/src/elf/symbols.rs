//! The symbols of an ELF file: its text symbols at their layout addresses,
//! and a symbol's address by name.

use object::read::elf::{ElfFile64, ElfSymbol64, Sym as _};
use object::{Object, ObjectSection, ObjectSymbol};

use super::kallsyms::{NamedSymbols, SymbolTable, TextSymbol, is_kallsyms_name, printed_as};
use super::layout::Layout;

type Elf<'data> = ElfFile64<'data, object::Endianness>;

/// Addresses of the defined symbols with this name.
pub(crate) fn symbols_by_name(file: &Elf<'_>, name: &str) -> Vec<u64> {
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

/// Every defined symbol in a text section, with its layout address; its
/// name is read only when asked for.
fn text_symbols<'data, 'file>(
    file: &'file Elf<'data>,
    layout: &'file Layout,
) -> impl Iterator<Item = (ElfSymbol64<'data, 'file, object::Endianness>, u64)> + 'file {
    file.symbols().filter_map(|symbol| {
        if matches!(
            symbol.kind(),
            object::SymbolKind::File | object::SymbolKind::Section
        ) {
            return None;
        }
        let section = symbol.section_index()?;
        if !layout.text.get(section.0).copied().unwrap_or(false) {
            return None;
        }
        let address = layout.symbol_address(section, symbol.address());
        Some((symbol, address))
    })
}

/// Where the last text symbol's size ends: the end of the text sections,
/// or for a vmlinux `_etext` if that is further.
fn text_end(file: &Elf<'_>, layout: &Layout) -> u64 {
    let etext = (!layout.relocatable)
        .then(|| symbols_by_name(file, "_etext").first().copied())
        .flatten();
    layout.text_end.max(etext.unwrap_or(0))
}

/// Every named, defined symbol in a text section, at its layout address.
pub(crate) fn read_text_symbols(file: &Elf<'_>, layout: &Layout) -> SymbolTable {
    let symbols = text_symbols(file, layout)
        .filter_map(|(symbol, address)| Some((symbol.name().ok()?.to_owned(), address)))
        .collect();
    let table = SymbolTable::new(symbols, text_end(file, layout));
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

/// The text symbols a report may print under each of `names`, with their
/// kallsyms sizes, as [`read_text_symbols`] would give them, in two passes
/// over the ELF symbol table that read few names and copy fewer: one
/// finds the symbols of those names, the other the next higher symbol
/// of each (a name is read only when its symbol is closer than any seen
/// so far). For a linked file only: a module's last symbol may end in
/// two places (see [`SymbolTable::size_matches`]).
pub(crate) fn read_named_text_symbols<'a>(
    file: &Elf<'_>,
    layout: &Layout,
    names: impl IntoIterator<Item = &'a str>,
) -> NamedSymbols {
    debug_assert!(!layout.relocatable, "a module's sizes need the whole table");
    let wanted: foldhash::HashSet<&str> = names.into_iter().collect();
    let prefixes = NamePrefixes::new(wanted.iter().copied());
    let strings = (file
        .section_by_index(file.elf_symbol_table().string_section())
        .ok())
    .and_then(|section| section.data().ok())
    .unwrap_or_default();
    let endian = file.endian();
    let mut found: Vec<(&str, u64)> = text_symbols(file, layout)
        .filter_map(|(symbol, address)| {
            let at = symbol.elf_symbol().st_name(endian) as usize;
            if !prefixes.may_name(strings.get(at..).unwrap_or_default()) {
                return None;
            }
            let name = symbol.name().ok()?;
            let named = printed_as(name).any(|name| wanted.contains(name));
            (named && is_kallsyms_name(name)).then_some((name, address))
        })
        .collect();
    // The order and the duplicates of `SymbolTable`.
    found.sort_unstable_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(b.0)));
    found.dedup();
    let mut starts: Vec<u64> = found.iter().map(|&(_, address)| address).collect();
    starts.dedup();
    // Only the closest start below a symbol can have it as its next: a
    // start further below has that closest start (a kallsyms symbol) nearer.
    let mut next: Vec<Option<u64>> = vec![None; starts.len()];
    for (symbol, address) in text_symbols(file, layout) {
        let Some(below) = starts
            .partition_point(|&start| start < address)
            .checked_sub(1)
        else {
            continue;
        };
        if next[below].is_none_or(|next| address < next)
            && symbol.name().is_ok_and(is_kallsyms_name)
        {
            next[below] = Some(address);
        }
    }
    let mut end = None;
    let symbols: Vec<TextSymbol> = (found.into_iter())
        .map(|(name, address)| {
            let at = starts.partition_point(|&start| start < address);
            let end =
                next[at].unwrap_or_else(|| *end.get_or_insert_with(|| text_end(file, layout)));
            TextSymbol {
                name: name.to_owned(),
                address,
                size: end.max(address) - address,
            }
        })
        .collect();
    NamedSymbols::new(&wanted, symbols)
}

/// The first eight bytes of some names, and of their ThinLTO forms: a
/// symbol whose name starts otherwise is none of them. Comparing those
/// bytes spares reading the whole name of nearly every symbol.
struct NamePrefixes {
    /// By mask (the bytes a prefix covers, low bytes first), the prefixes.
    classes: Vec<(u64, foldhash::HashSet<u64>)>,
}

impl NamePrefixes {
    fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> NamePrefixes {
        let mut classes: Vec<(u64, foldhash::HashSet<u64>)> = Vec::new();
        for name in names {
            let name = name.as_bytes();
            // A short name is followed by its NUL, or by the `.` of
            // `.llvm.<hash>`; a long one's first eight bytes are both forms'.
            let ends: &[u8] = if name.len() >= 8 { &[] } else { &[0, b'.'] };
            let covered = (name.len() + 1).min(8);
            let mask = u64::MAX >> (64 - 8 * covered);
            let class = match classes.iter().position(|&(m, _)| m == mask) {
                Some(class) => class,
                None => {
                    classes.push((mask, Default::default()));
                    classes.len() - 1
                }
            };
            let mut add = |bytes: &[u8]| {
                classes[class].1.insert(Self::first_eight(bytes) & mask);
            };
            match ends {
                [] => add(name),
                ends => {
                    for &end in ends {
                        add(&[name, &[end]].concat());
                    }
                }
            }
        }
        NamePrefixes { classes }
    }

    /// The first eight bytes of `bytes`, zeros past its end, as a number.
    fn first_eight(bytes: &[u8]) -> u64 {
        if let Some(eight) = bytes.first_chunk::<8>() {
            return u64::from_le_bytes(*eight);
        }
        let mut eight = [0; 8];
        eight[..bytes.len()].copy_from_slice(bytes);
        u64::from_le_bytes(eight)
    }

    /// Whether the NUL-terminated name at the start of `text` may be one of
    /// the names or of their ThinLTO forms.
    fn may_name(&self, text: &[u8]) -> bool {
        let start = Self::first_eight(text);
        (self.classes.iter()).any(|(mask, prefixes)| prefixes.contains(&(start & mask)))
    }
}

#[cfg(test)]
mod tests {
    use super::NamePrefixes;

    /// A name and its ThinLTO form pass, short names (compared with their
    /// end) and long ones alike; other names do not.
    #[test]
    fn name_prefixes_pass_the_names_and_their_thinlto_forms() {
        let prefixes = NamePrefixes::new(["ab", "", "tcp_add_backlog"]);
        let cases: [(&[u8], bool); 14] = [
            (b"ab\0", true),
            (b"ab.llvm.123\0", true),
            (b"\0", true),
            (b".llvm.5\0", true),
            (b"tcp_add_backlog\0", true),
            (b"tcp_add_backlog.llvm.77\0", true),
            // Long names are told apart by their first eight bytes only.
            (b"tcp_add_other\0", true),
            (b"ab", true),
            (b"abc\0", false),
            (b"a\0", false),
            (b"b\0", false),
            (b"tcp_add\0", false),
            (b"tcp\0", false),
            (b"xab\0", false),
        ];
        for (name, passes) in cases {
            assert_eq!(prefixes.may_name(name), passes, "{}", name.escape_ascii());
        }
    }
}
