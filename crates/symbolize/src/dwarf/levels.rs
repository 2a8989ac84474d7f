//! What DWARF says at an address, before paths are cleaned: the common
//! answer of the lookup and the sweep.

use std::borrow::Cow;

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
