//! The byte layout of an index file, shared by the writer and the reader.
//!
//! All integers are little-endian. See the [module documentation](super)
//! for what each section holds.

/// The first eight bytes of every index file.
pub(crate) const MAGIC: &[u8; 8] = b"KRESYMIX";

/// Bumped whenever the layout changes, or what the DWARF lookup answers
/// does (path cleaning, module layout) within one crate version; an index
/// of another version is stale. (A new crate version makes every index
/// stale anyway: the generator is checked too.) Version 3: the source
/// tree's root is read from the line tables (#18); version 2 indexes of
/// `O=` builds hold absolute paths.
pub(crate) const FORMAT_VERSION: u32 = 3;

/// Magic, version, section count, checksum.
pub(crate) const HEADER_LEN: usize = 24;

/// One section table entry: id, reserved, offset, length.
pub(crate) const SECTION_ENTRY_LEN: usize = 24;

/// Where the checksum sits in the header; it covers every byte after the header.
pub(crate) const CHECKSUM_OFFSET: usize = 16;

/// Records per block of the address table, at most.
pub(crate) const BLOCK_RECORDS: usize = 16;

/// A record's tag bit: the record has a line row.
pub(crate) const TAG_ROW: u8 = 1;
/// A record's tag bit: a new file entry id follows.
pub(crate) const TAG_FILE: u8 = 2;
/// A record's tag bit: a new chain id follows.
pub(crate) const TAG_CHAIN: u8 = 4;

/// The sections of an index file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum SectionId {
    /// Build id, generator, release, symbol-table end.
    Meta = 1,
    /// `u32` offsets into [`SectionId::StringData`], one more than there are strings.
    StringOffsets = 2,
    /// Concatenated UTF-8 strings.
    StringData = 3,
    /// Text symbols sorted by address: address `u64`, kallsyms size `u64`,
    /// name string id `u32`, 4 bytes of padding.
    Symbols = 4,
    /// `u32` symbol indices sorted by (name, address).
    SymbolsByName = 5,
    /// File entries: raw path string id `u32`, cleaned path string id `u32`.
    Files = 6,
    /// `u32` offsets into [`SectionId::ChainData`], one more than there are chains.
    ChainOffsets = 7,
    /// LEB128-encoded chains.
    ChainData = 8,
    /// Blocks of the address table: first address `u64`, offset into
    /// [`SectionId::Records`] `u64`.
    Blocks = 9,
    /// LEB128-encoded address records.
    Records = 10,
    /// Open-addressing hash table of symbol names, a power of two of
    /// [`NAME_SLOT_LEN`]-byte slots: name string id + 1 (0: empty), first
    /// position in [`SectionId::SymbolsByName`], number of symbols of that
    /// name (`u32` each). A name starts probing at the low bits of its
    /// [`name_hash`].
    NameHash = 11,
    /// A shortcut into [`SectionId::Blocks`]: base address `u64`, bucket
    /// size as a shift `u32`, bucket count `u32`, then per bucket plus one
    /// the `u32` index of the block in force at the bucket's first address.
    BlockBuckets = 12,
}

impl SectionId {
    /// This section's position in [`SectionId::ALL`].
    pub(crate) const fn slot(self) -> usize {
        self as usize - 1
    }

    /// Every section, in file order.
    pub(crate) const ALL: [SectionId; 12] = [
        SectionId::Meta,
        SectionId::StringOffsets,
        SectionId::StringData,
        SectionId::Symbols,
        SectionId::SymbolsByName,
        SectionId::Files,
        SectionId::ChainOffsets,
        SectionId::ChainData,
        SectionId::Blocks,
        SectionId::Records,
        SectionId::NameHash,
        SectionId::BlockBuckets,
    ];
}

/// Smallest bucket of [`SectionId::BlockBuckets`]: a page of text.
pub(crate) const MIN_BUCKET_SHIFT: u32 = 12;
/// Most buckets in [`SectionId::BlockBuckets`].
pub(crate) const MAX_BUCKETS: u64 = 1 << 20;

/// Size of one [`SectionId::Symbols`] entry.
pub(crate) const SYMBOL_LEN: usize = 24;
/// Size of one [`SectionId::Files`] entry.
pub(crate) const FILE_LEN: usize = 8;
/// Size of one [`SectionId::NameHash`] slot.
pub(crate) const NAME_SLOT_LEN: usize = 12;
/// Size of one [`SectionId::Blocks`] entry.
pub(crate) const BLOCK_LEN: usize = 16;

/// The hash a symbol name is filed under in [`SectionId::NameHash`].
pub(crate) fn name_hash(name: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(name)
}

/// Append an unsigned LEB128 number.
pub(crate) fn push_uleb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Append a signed LEB128 number.
pub(crate) fn push_sleb(out: &mut Vec<u8>, mut value: i64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A bounds-checked reader over part of an index; every read is `None` past the end.
#[derive(Clone, Copy)]
pub(crate) struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Cursor(bytes)
    }

    /// Whether every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An unsigned LEB128 number (at most 10 bytes).
    #[inline]
    pub(crate) fn uleb(&mut self) -> Option<u64> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        if first < 0x80 {
            return Some(first.into());
        }
        let mut value = u64::from(first & 0x7f);
        for shift in (7..64).step_by(7) {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }

    /// An unsigned LEB128 number that must fit a `u32`.
    #[inline]
    pub(crate) fn uleb32(&mut self) -> Option<u32> {
        self.uleb()?.try_into().ok()
    }

    /// A signed LEB128 number (at most 10 bytes).
    pub(crate) fn sleb(&mut self) -> Option<i64> {
        let mut value = 0i64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            value |= i64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                let sign_extend = shift + 7 < 64 && byte & 0x40 != 0;
                return Some(if sign_extend {
                    value | (-1i64 << (shift + 7))
                } else {
                    value
                });
            }
        }
        None
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let (&byte, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(byte)
    }

    /// `len` bytes.
    pub(crate) fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        let bytes = self.0.get(..len)?;
        self.0 = &self.0[len..];
        Some(bytes)
    }

    /// A LEB128 length followed by that many bytes.
    pub(crate) fn counted(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.uleb()?).ok()?;
        self.bytes(len)
    }
}

/// The little-endian `u32` at entry `index` of an array of `u32`.
pub(crate) fn u32_at(bytes: &[u8], index: usize) -> Option<u32> {
    let start = index.checked_mul(4)?;
    Some(u32::from_le_bytes(
        bytes.get(start..start + 4)?.try_into().ok()?,
    ))
}

/// The little-endian `u64` at byte `offset`.
pub(crate) fn u64_at(bytes: &[u8], offset: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(offset..offset.checked_add(8)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_round_trips() {
        let unsigned = [0, 1, 127, 128, 300, 1 << 35, u32::MAX as u64, u64::MAX];
        let signed = [
            0,
            1,
            -1,
            63,
            64,
            -64,
            -65,
            1 << 40,
            -(1 << 40),
            i64::MIN,
            i64::MAX,
        ];
        let mut bytes = Vec::new();
        for &value in &unsigned {
            push_uleb(&mut bytes, value);
        }
        for &value in &signed {
            push_sleb(&mut bytes, value);
        }
        let mut cursor = Cursor::new(&bytes);
        for &value in &unsigned {
            assert_eq!(cursor.uleb(), Some(value));
        }
        for &value in &signed {
            assert_eq!(cursor.sleb(), Some(value));
        }
        assert!(cursor.is_empty());
        assert_eq!(cursor.uleb(), None);
        // Eleven continuation bytes are too long for 64 bits.
        assert_eq!(Cursor::new(&[0x80; 11]).uleb(), None);
        assert_eq!(Cursor::new(&[0x80; 11]).sleb(), None);
        assert_eq!(Cursor::new(&[0x80, 0x80]).uleb(), None);
    }

    #[test]
    fn fixed_reads_are_bounds_checked() {
        let bytes = [1, 0, 0, 0, 2, 0, 0, 0];
        assert_eq!(u32_at(&bytes, 1), Some(2));
        assert_eq!(u32_at(&bytes, 2), None);
        assert_eq!(u64_at(&bytes, 0), Some(0x2_0000_0001));
        assert_eq!(u64_at(&bytes, 1), None);
        assert_eq!(u64_at(&bytes, usize::MAX), None);
    }
}
