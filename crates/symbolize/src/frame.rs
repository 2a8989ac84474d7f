//! What a frame asks ([`FrameQuery`]) and what it gets ([`Resolution`]):
//! the resolved symbol and its inline chain of [`SourceFrame`]s.

use kresym_report::{Frame, PcKind, SourceLocation};
use serde::Serialize;

use crate::elf::kallsyms::TextSymbol;
use crate::error::SharedError;

/// What a frame asks for: the parts of a `func+0xOFF/0xSIZE [module]` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameQuery<'a> {
    /// Symbol name as printed.
    pub function: &'a str,
    /// Offset from the symbol start.
    pub offset: u64,
    /// Printed kallsyms size.
    pub size: u64,
    /// Module name, `None` for the vmlinux.
    pub module: Option<&'a str>,
    /// Module build id as printed (hex), if any.
    pub build_id: Option<&'a str>,
    /// Exact pc or return address.
    pub pc_kind: PcKind,
}

impl<'a> FrameQuery<'a> {
    /// A vmlinux frame `function+offset/size`.
    pub fn vmlinux(function: &'a str, offset: u64, size: u64, pc_kind: PcKind) -> Self {
        FrameQuery {
            function,
            offset,
            size,
            module: None,
            build_id: None,
            pc_kind,
        }
    }

    /// The pc this frame names in `symbol`, and the address to look up
    /// there: one byte back for a return address.
    pub(crate) fn pcs_in(&self, symbol: &TextSymbol) -> (u64, u64) {
        let pc = symbol.address.wrapping_add(self.offset);
        if self.padded_function(symbol).is_some() {
            return (pc, pc);
        }
        let lookup_pc = match self.pc_kind {
            // Saturating: a return address of 0 (a module's first function, or
            // a huge printed offset wrapping around) must not probe u64::MAX.
            PcKind::ReturnAddress => pc.saturating_sub(1),
            PcKind::ExactPc => pc,
        };
        (pc, lookup_pc)
    }

    /// For a return address `__pfx_X+0x10/0x10` (x86's padding before `X`,
    /// Linux 6.2 and later) or `__cfi_X+0x10/0x10` (clang's kCFI preamble,
    /// laid out the same way): `X`, whose entry the address is. Its own
    /// first line is looked up there, not the padding's last byte, which
    /// belongs to no line of `X`.
    pub(crate) fn padded_function<'s>(&self, symbol: &'s TextSymbol) -> Option<&'s str> {
        let function =
            (symbol.name.strip_prefix("__pfx_")).or_else(|| symbol.name.strip_prefix("__cfi_"))?;
        (self.pc_kind == PcKind::ReturnAddress
            && !function.is_empty()
            && self.offset == symbol.size
            && self.offset > 0)
            .then_some(function)
    }
}

impl<'a> From<&'a Frame> for FrameQuery<'a> {
    fn from(frame: &'a Frame) -> Self {
        FrameQuery {
            function: &frame.function,
            offset: frame.offset,
            size: frame.size,
            module: frame.module.as_deref(),
            build_id: frame.build_id.as_deref(),
            pc_kind: frame.pc_kind,
        }
    }
}

/// One level of an inline chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFrame {
    /// The function, from DWARF.
    pub function: Option<String>,
    /// Where, kernel-tree-relative.
    pub location: Option<SourceLocation>,
    /// Whether this level was inlined into the next one.
    pub inlined: bool,
}

/// A frame resolved to an address and its inline chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// The symbol the frame names (or, for a bare address, the one containing it).
    pub symbol: String,
    /// Its start address (for a module: in the module's load layout).
    pub symbol_address: u64,
    /// Its kallsyms size in this binary.
    pub symbol_size: u64,
    /// `symbol_address + offset`.
    pub pc: u64,
    /// The address looked up: `pc - 1` for return addresses, `pc` otherwise.
    pub lookup_pc: u64,
    /// The inline chain, innermost first; the last entry is the real
    /// function. Empty when there is no line information.
    pub chain: Vec<SourceFrame>,
    /// Set when the printed size differs from this binary's (only with
    /// [`SymbolizerBuilder::allow_mismatch`](crate::SymbolizerBuilder::allow_mismatch)): the binary did not produce the report.
    pub size_mismatch: Option<SizeMismatch>,
    /// How many other symbols have the same name and printed size and
    /// resolve to exactly the same inline chain (out-of-line copies of a
    /// header's `static inline` function): nothing was guessed, any of them
    /// gives this answer. 0 when the symbol is unique.
    pub equivalent_symbols: usize,
    /// Set for a return address `__pfx_X+0x10/0x10` or `__cfi_X+0x10/0x10`, the end of the
    /// padding before `X`: the address is `X`'s entry, and `chain` is
    /// `X`'s first line there (`lookup_pc` is `pc`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub padding_entry: bool,
}

/// A printed size that disagrees with the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SizeMismatch {
    /// Size printed in the report.
    pub printed: u64,
    /// Size in the binary.
    pub actual: u64,
}

/// The outcome of symbolizing one frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Resolution {
    /// Found; `chain` may still be empty when the binary has no line info there.
    Resolved(Resolved),
    /// Several symbols have this name and the printed size does not pick
    /// exactly one: all candidates, not a guess.
    Ambiguous {
        /// Every candidate, resolved.
        candidates: Vec<Resolved>,
    },
    /// No text symbol of this name in the binary.
    UnknownSymbol,
    /// The printed `/0xSIZE` fits no symbol of this name in the binary: the
    /// frame does not come from this binary, and is not annotated (unless
    /// [`SymbolizerBuilder::allow_mismatch`](crate::SymbolizerBuilder::allow_mismatch)).
    SizeMismatch {
        /// The size printed in the report.
        printed: u64,
        /// The kallsyms size of each symbol of that name in the binary.
        actual: Vec<u64>,
    },
    /// The frame resolved, but the binary did not produce its report (see
    /// [`DocumentSymbols::checks`](crate::DocumentSymbols::checks)): it is left unchanged, as printed.
    Withheld(Resolved),
    /// The offset is past the end of the symbol.
    OffsetOutOfRange {
        /// The symbol's kallsyms size in the binary.
        size: u64,
    },
    /// The frame names a module that was not found.
    ModuleNotFound {
        /// The module name.
        module: String,
    },
    /// The module file exists but could not be used.
    ModuleUnreadable {
        /// The module name.
        module: String,
        /// Why (serialized as its message: a resolution is report data).
        error: SharedError,
    },
    /// The frame's build id matches none of the module files found.
    BuildIdMismatch {
        /// The module name.
        module: String,
        /// Build id printed in the report.
        printed: String,
        /// Build ids of the files found.
        found: Vec<String>,
    },
}
