//! Text symbols with the sizes the kernel prints.
//!
//! The `/0xSIZE` in `func+0xOFF/0xSIZE` is not the ELF `st_size`: the
//! kernel's kallsyms prints the distance from the symbol to the next text
//! symbol with a higher address (or, for the last one, to the end of the text
//! region). Two static functions with the same name usually differ in that
//! size, which is how a report tells them apart.
//!
//! Nor is the printed name always the symbol's: clang's ThinLTO renames the
//! statics it promotes `foo.llvm.<hash>`, and kernels since 6.1 print them
//! as `foo` (`cleanup_symbol_name` in `kernel/kallsyms.c`). A name is
//! therefore looked up both as it is and as such a symbol prints it, and
//! the size picks among the candidates, as for duplicate statics.

use std::hash::BuildHasher;

use hashbrown::HashTable;

/// One text symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSymbol {
    /// The symbol name, clone suffixes (`.cold`, `.isra.0`) included.
    pub name: String,
    /// Start address (for a module: in the module's load layout).
    pub address: u64,
    /// The kallsyms size: distance to the next higher symbol.
    pub size: u64,
}

/// The bit of a [`SymbolTable::by_name`] entry filed under the symbol's
/// printed name rather than its own.
const PRINTED: u32 = 1 << 31;

/// All text symbols of one binary, sorted by address, with kallsyms sizes.
#[derive(Debug, Default)]
pub struct SymbolTable {
    symbols: Vec<TextSymbol>,
    /// Positions in `symbols`, hashed by exact name and, when it differs,
    /// by [`printed_name`] (then with [`PRINTED`] set; the names themselves
    /// are not copied).
    by_name: HashTable<u32>,
    /// Another end the last symbol's size may run to (a module's text end
    /// rounded up to a page, as Linux 6.1 with `STRICT_MODULE_RWX` prints it).
    alternate_end: Option<u64>,
}

impl SymbolTable {
    /// Build the table from `(name, address)` pairs of text symbols.
    ///
    /// `text_end` is where the last symbol's size ends (`_etext` for a
    /// vmlinux, the end of the module text for a module).
    pub fn new(mut symbols: Vec<(String, u64)>, text_end: u64) -> Self {
        symbols.retain(|(name, _)| is_kallsyms_name(name));
        // Equal pairs go in the dedup below, so no order is left to chance.
        symbols.sort_unstable_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        symbols.dedup();
        let mut table = Vec::with_capacity(symbols.len());
        // Walk backwards so each symbol knows the next higher address.
        let mut next_higher = text_end;
        let mut i = symbols.len();
        while i > 0 {
            let address = symbols[i - 1].1;
            let mut j = i;
            while j > 0 && symbols[j - 1].1 == address {
                j -= 1;
            }
            let end = next_higher.max(address);
            for (name, _) in symbols.drain(j..i).rev() {
                table.push(TextSymbol {
                    name,
                    address,
                    size: end - address,
                });
            }
            next_higher = address;
            i = j;
        }
        table.reverse();
        let mut by_name = HashTable::with_capacity(table.len());
        // Growing the table rehashes each entry by the name it was filed
        // under: the symbol's own, or with PRINTED set, its printed name.
        let rehash = |&entry: &u32| {
            let name = &table[(entry & !PRINTED) as usize].name;
            match entry & PRINTED {
                0 => name_hash(name),
                _ => name_hash(printed_name(name)),
            }
        };
        for (index, symbol) in table.iter().enumerate() {
            let index = index as u32;
            by_name.insert_unique(name_hash(&symbol.name), index, rehash);
            let printed = printed_name(&symbol.name);
            if printed.len() != symbol.name.len() {
                by_name.insert_unique(name_hash(printed), index | PRINTED, rehash);
            }
        }
        SymbolTable {
            symbols: table,
            by_name,
            alternate_end: None,
        }
    }

    /// Also accept `end` as where the last symbol's size ends.
    pub fn with_alternate_end(mut self, end: u64) -> Self {
        self.alternate_end = Some(end);
        self
    }

    /// The other end the last symbol's size may run to, if any.
    pub fn alternate_end(&self) -> Option<u64> {
        self.alternate_end
    }

    /// Whether a printed size fits this symbol: its kallsyms size, or for
    /// the last symbol, the distance to the alternate end.
    pub fn size_matches(&self, symbol: &TextSymbol, printed: u64) -> bool {
        symbol.size == printed
            || self.alternate_end.is_some_and(|end| {
                self.symbols.last().map(|last| last.address) == Some(symbol.address)
                    && end.checked_sub(symbol.address) == Some(printed)
            })
    }

    /// Every symbol a report may print as `name`, in address order: those
    /// of this exact name (duplicates of static functions) and those whose
    /// [`printed_name`] it is (`name.llvm.<hash>`).
    pub fn by_name<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a TextSymbol> + 'a {
        let mut found: Vec<u32> = self
            .by_name
            .iter_hash(name_hash(name))
            .map(|&entry| entry & !PRINTED)
            .filter(|&index| printed_as(&self.symbols[index as usize].name).any(|n| n == name))
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|index| &self.symbols[index as usize])
    }

    /// The symbol containing `address`: the last one starting at or below it,
    /// if `address` is within its kallsyms size.
    pub fn by_address(&self, address: u64) -> Option<&TextSymbol> {
        let index = self.symbols.partition_point(|s| s.address <= address);
        let symbol = self.symbols.get(index.checked_sub(1)?)?;
        (address - symbol.address < symbol.size.max(1)).then_some(symbol)
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.symbols.len()
    }

    /// Whether there are no symbols.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }

    /// All symbols, sorted by address.
    pub fn iter(&self) -> impl Iterator<Item = &TextSymbol> {
        self.symbols.iter()
    }
}

/// The text symbols a report may print under a few names, with their
/// kallsyms sizes: what [`SymbolTable::by_name`] gives for those names,
/// found without building the whole table (see
/// `Binary::read_symbols_named`).
#[derive(Debug, Default)]
pub(crate) struct NamedSymbols {
    by_name: foldhash::HashMap<String, Vec<TextSymbol>>,
}

impl NamedSymbols {
    /// Each of the `wanted` names with the symbols among `found` (kallsyms
    /// symbols in address order, with their sizes) a report prints as it.
    pub(crate) fn new(wanted: &foldhash::HashSet<&str>, found: Vec<TextSymbol>) -> NamedSymbols {
        let mut by_name: foldhash::HashMap<String, Vec<TextSymbol>> = (wanted.iter())
            .map(|&name| (name.to_owned(), Vec::new()))
            .collect();
        for symbol in found {
            for name in printed_as(&symbol.name) {
                if let Some(symbols) = by_name.get_mut(name) {
                    symbols.push(symbol.clone());
                }
            }
        }
        NamedSymbols { by_name }
    }

    /// The symbols a report may print as `name`, in address order; `None`
    /// when `name` was not among the names looked up.
    pub(crate) fn by_name(&self, name: &str) -> Option<&[TextSymbol]> {
        self.by_name.get(name).map(Vec::as_slice)
    }
}

/// The names a report may print symbol `name` as: its own, and its
/// [`printed_name`] when that differs.
pub(crate) fn printed_as(name: &str) -> impl Iterator<Item = &str> {
    let printed = printed_name(name);
    std::iter::once(name).chain((printed != name).then_some(printed))
}

/// The name a kernel prints for symbol `name`: without the `.llvm.<hash>`
/// suffix of a static promoted by ThinLTO, as `cleanup_symbol_name` in
/// `kernel/kallsyms.c` cuts it (Linux 6.1 and later).
pub fn printed_name(name: &str) -> &str {
    // Most names have no dot at all: one byte search spares the substring search.
    if memchr::memchr(b'.', name.as_bytes()).is_none() {
        return name;
    }
    match name.find(".llvm.") {
        // A name that is only a suffix is kept: it would print as nothing.
        Some(cut) if cut > 0 => &name[..cut],
        _ => name,
    }
}

/// The hash [`SymbolTable`] files a name under.
fn name_hash(name: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0).hash_one(name)
}

/// Name prefixes scripts/kallsyms.c leaves out (`is_ignored_symbol()` of
/// Linux 6.1, plus `$` mapping symbols, `.L` labels and modversions).
const IGNORED_PREFIXES: &[&str] = &[
    ".L",
    "$",
    "__crc_",
    "__efistub_",
    "__kvm_nvhe_$",
    "__kvm_nvhe_.L",
    "__AArch64ADRPThunk_",
    "__ARMV5PILongThunk_",
    "__ARMV7PILongThunk_",
    "__ThumbV7PILongThunk_",
    "__LA25Thunk_",
    "__microLA25Thunk_",
    "__kcfi_typeid_",
];

/// Name suffixes and infixes scripts/kallsyms.c leaves out (arm veneers,
/// ppc stubs).
const IGNORED_SUFFIXES: &[&str] = &["_from_arm", "_from_thumb", "_veneer"];
const IGNORED_INFIXES: &[&str] = &[".long_branch.", ".plt_branch."];

/// Whether scripts/kallsyms.c would keep a symbol of this name.
pub(crate) fn is_kallsyms_name(name: &str) -> bool {
    !(name.is_empty()
        || IGNORED_PREFIXES.iter().any(|p| name.starts_with(p))
        || IGNORED_SUFFIXES.iter().any(|s| name.ends_with(s))
        || IGNORED_INFIXES.iter().any(|m| name.contains(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> SymbolTable {
        SymbolTable::new(
            vec![
                ("b".into(), 0x1010),
                ("a".into(), 0x1000),
                ("alias_b".into(), 0x1010),
                ("c".into(), 0x1040),
                ("$x".into(), 0x1020),
                ("a".into(), 0x2000),
            ],
            0x2030,
        )
    }

    /// arm64's nVHE hypervisor mapping symbols and lld's thunks are not in
    /// kallsyms (seen in Debian's 6.1 arm64 vmlinux: `__kvm_nvhe_$x`), so
    /// they neither print nor cut the size of the symbol before them.
    #[test]
    fn names_kallsyms_leaves_out_do_not_cut_sizes() {
        let t = SymbolTable::new(
            vec![
                ("a".into(), 0x1000),
                ("__kvm_nvhe_$x".into(), 0x1008),
                ("__kvm_nvhe_.L12".into(), 0x100c),
                ("__AArch64ADRPThunk_foo".into(), 0x1010),
                ("bar_veneer".into(), 0x1018),
                ("__kcfi_typeid_a".into(), 0x101c),
                ("b".into(), 0x1020),
            ],
            0x1040,
        );
        let sizes: Vec<_> = t.iter().map(|s| (s.name.as_str(), s.size)).collect();
        assert_eq!(sizes, [("a", 0x20), ("b", 0x20)]);
    }

    #[test]
    fn size_is_distance_to_next_higher_symbol() {
        let t = table();
        let sizes: Vec<_> = t.iter().map(|s| (s.name.as_str(), s.size)).collect();
        assert_eq!(
            sizes,
            [
                ("a", 0x10),
                ("alias_b", 0x30),
                ("b", 0x30),
                ("c", 0xfc0),
                ("a", 0x30)
            ]
        );
    }

    #[test]
    fn duplicates_are_all_found_by_name() {
        let t = table();
        let a: Vec<_> = t.by_name("a").map(|s| (s.address, s.size)).collect();
        assert_eq!(a, [(0x1000, 0x10), (0x2000, 0x30)]);
        assert_eq!(t.by_name("missing").count(), 0);
    }

    #[test]
    fn last_symbol_may_end_at_the_alternate_end() {
        let t = table().with_alternate_end(0x3000);
        let last = t.iter().last().unwrap().clone();
        assert!(t.size_matches(&last, 0x30));
        assert!(t.size_matches(&last, 0x1000));
        assert!(!t.size_matches(&last, 0x1001));
        let first = t.iter().next().unwrap().clone();
        assert!(!t.size_matches(&first, 0x2000));
    }

    #[test]
    fn printed_names_are_found_after_the_table_grows() {
        // Each symbol is filed twice, so the table outgrows the capacity
        // it starts with and every entry is rehashed.
        let count = 1000;
        let t = SymbolTable::new(
            (0..count)
                .map(|i| (format!("f{i}.llvm.{i}"), 0x1000 + 0x10 * i))
                .collect(),
            0x1000 + 0x10 * count,
        );
        for i in 0..count {
            let found: Vec<_> = t.by_name(&format!("f{i}")).map(|s| s.address).collect();
            assert_eq!(found, [0x1000 + 0x10 * i], "f{i}");
            assert_eq!(t.by_name(&format!("f{i}.llvm.{i}")).count(), 1);
        }
    }

    #[test]
    fn thin_lto_names_are_found_as_the_kernel_prints_them() {
        let t = SymbolTable::new(
            vec![
                ("walk.llvm.1234567890".into(), 0x1000),
                ("walk".into(), 0x1020),
                ("walk.llvm.99".into(), 0x1080),
                (".llvm.5".into(), 0x1090),
                ("other".into(), 0x10a0),
            ],
            0x2000,
        );
        let walk: Vec<_> = t
            .by_name("walk")
            .map(|s| (s.name.as_str(), s.size))
            .collect();
        assert_eq!(
            walk,
            [
                ("walk.llvm.1234567890", 0x20),
                ("walk", 0x60),
                ("walk.llvm.99", 0x10)
            ]
        );
        // The full name still finds exactly its own symbol.
        assert_eq!(t.by_name("walk.llvm.99").count(), 1);
        assert_eq!(t.by_name("").count(), 0);
        assert_eq!(printed_name("x.llvm."), "x");
        assert_eq!(printed_name("x.isra.0"), "x.isra.0");
    }

    #[test]
    fn by_address_respects_sizes() {
        let t = table();
        assert_eq!(t.by_address(0x100f).unwrap().name, "a");
        assert_eq!(t.by_address(0x1010).unwrap().address, 0x1010);
        assert_eq!(t.by_address(0x2030), None);
        assert_eq!(t.by_address(0xfff), None);
    }
}
