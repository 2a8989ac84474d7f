//! Symbolize Linux kernel stack frames against the DWARF of the vmlinux and
//! modules that produced them.
//!
//! A [`Symbolizer`] is opened once per vmlinux, configured by a
//! [`SymbolizerBuilder`], and shared by every thread. Symbols are read on
//! first use; DWARF is parsed lazily, one compilation unit at a time, each
//! unit once for all threads, so a single report only pays for the units
//! its frames fall in. With persisted [`index`]es of the vmlinux and of the
//! modules ([`IndexPolicy`]) no DWARF is parsed at all, and the answers are
//! the same. A batch without an index is faster and leaner when its frames
//! are known up front: [`SymbolizerBuilder::prefetch`] looks them all up in
//! one sweep over the DWARF; for a small input, after reading only the
//! symbols its frames name rather than the whole symbol table.
//!
//! ```no_run
//! use kresym_symbolize::{Binary, IndexDir, IndexPolicy, Symbolizer};
//!
//! let vmlinux = Binary::open("vmlinux".as_ref())?;
//! let symbolizer = Symbolizer::builder(vmlinux)
//!     .module_dirs(["/lib/modules/6.1.0/kernel".into()])
//!     .index(IndexPolicy::Dir(IndexDir::new("index".into())))
//!     .build()?;
//! let document = kresym_report::parse(std::fs::read("report.txt")?);
//! let symbolized = symbolizer.symbolize_document(&document);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate knows nothing of HTTP or of output formats.
//!
//! # Map
//!
//! This file only declares the modules and re-exports what they define.
//! Data flows down this list; no module imports one above it, and none
//! imports this file.
//!
//! - `builder.rs`: how a symbolizer is configured ([`SymbolizerBuilder`],
//!   [`IndexPolicy`], [`SymbolizerOptions`]); `document.rs`: whole reports
//!   ([`DocumentSymbols`]), the checks that a binary produced them.
//! - `symbolizer.rs`: the [`Symbolizer`] and how one frame is resolved.
//! - `source.rs`: where a frame's symbols and chains come from (DWARF, the
//!   index, the prefetched chains); `modules.rs`: module files by name
//!   (found by `kresym_debuginfo::modules`), loaded on first use.
//! - [`index`]: the persisted per-build index (format, build, lookups,
//!   files mapped under a read lease (`lease.rs`), and pruning a directory
//!   of them).
//! - `frame.rs`: what a frame asks ([`FrameQuery`]) and what it gets
//!   ([`Resolution`], [`Resolved`], [`SourceFrame`]).
//! - `elf/`: one ELF file ([`Binary`]): opening and decompression
//!   (`decompress.rs`), the module loader's layout and DWARF relocation
//!   (`layout.rs`), text symbols, all or only those of some names
//!   (`symbols.rs`), kallsyms sizes and names ([`kallsyms`]). It hands its DWARF sections to `dwarf/`.
//! - `dwarf/`: the DWARF of one binary, without knowing ELF: the sections
//!   (`sections.rs`), the unit table (`units.rs`), the one range decoder
//!   (`ranges.rs`), kresym's line-program engine (`line_rows.rs`, `lines.rs`,
//!   with path rendering derived from addr2line), the one-by-one lookup
//!   through addr2line, which is the reference (`lookup.rs`), and the sweep
//!   that answers a batch exactly as it does (`sweep.rs`); [`paths`]: DWARF
//!   paths made tree-relative.
//! - `error.rs`: the error types ([`Error`], [`ElfError`], [`IndexError`],
//!   [`ModuleIndexError`]), which any module may return; it names only
//!   `elf/decompress.rs`'s error, which imports nothing of the crate.
//! - `once.rs`: values computed on first use without a lock held while
//!   computing (work on the rayon pool under a lock can hang); any module
//!   may use it, and it imports nothing of the crate.

#![deny(missing_docs)]

mod builder;
mod document;
mod dwarf;
mod elf;
mod error;
mod frame;
pub mod index;
mod modules;
mod once;
pub mod paths;
mod source;
mod symbolizer;

pub use builder::{
    BATCH_FRAMES, IndexDir, IndexEvent, IndexPolicy, PrintedFrame, SMALL_INPUT, SymbolizerBuilder,
    SymbolizerOptions,
};
pub use document::{CheckKind, DocumentSymbols, FrameCounts, LineSymbols, ReportCheck};
pub use elf::Binary;
pub use elf::decompress::{DecompressError, DecompressionLimits};
pub use elf::kallsyms;
pub use error::{Corruption, ElfError, Error, ModuleIndexError, Result, SharedError, Staleness};
pub use frame::{FrameQuery, Resolution, Resolved, SizeMismatch, SourceFrame};
pub use index::{Index, IndexError, Pruned};
pub use symbolizer::{Prefetched, Symbolizer};
