//! Every error type of the crate but decompression's: opening a
//! symbolizer ([`Error`]), an ELF file ([`ElfError`]), an index
//! ([`IndexError`]), and why a module has no index ([`ModuleIndexError`]).
//! It imports no other module of the crate but `elf::decompress`, so any
//! module may return these.

use std::path::PathBuf;

use crate::elf::decompress::DecompressError;

/// Errors opening a symbolizer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why (in the message, not chained: said once).
        error: std::io::Error,
    },
    /// A file is not an ELF file kresym can use.
    #[error("{path} cannot be used: {reason}")]
    NotElf {
        /// The file.
        path: PathBuf,
        /// Why (in the message, not chained: said once).
        reason: ElfError,
    },
    /// The DWARF could not be parsed.
    #[error("malformed DWARF: {0}")]
    Dwarf(#[from] gimli::Error),
    /// The index asked for ([`IndexPolicy::Build`](crate::IndexPolicy::Build)) could not be built.
    #[error(transparent)]
    Index(Box<IndexError>),
}

/// Why a module file has no index ([`Symbolizer::index_modules`](crate::Symbolizer::index_modules)).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ModuleIndexError {
    /// The file cannot be read.
    #[error(transparent)]
    Unreadable(std::sync::Arc<Error>),
    /// It has no build id to key an index by.
    #[error("no GNU build id")]
    NoBuildId,
    /// It has no DWARF, or its DWARF could not be indexed.
    #[error("no DWARF, or it could not be indexed")]
    NotIndexed,
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a file is not an ELF file kresym can use.
#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    /// A directory was given.
    #[error("it is a directory")]
    Directory,
    /// No ELF magic.
    #[error("not an ELF file")]
    NotElf,
    /// A 32-bit file.
    #[error("32-bit ELF files are not supported; kresym reads 64-bit kernels")]
    Class32,
    /// A big-endian file.
    #[error("big-endian ELF files are not supported")]
    BigEndian,
    /// The headers do not parse.
    #[error("malformed ELF: {0}")]
    Malformed(object::Error),
    /// A DWARF section cannot be read.
    #[error("cannot read {section}: {error}")]
    Section {
        /// The section's name.
        section: &'static str,
        /// Why.
        error: object::Error,
    },
    /// The file or a section cannot be decompressed.
    #[error(transparent)]
    Decompress(#[from] DecompressError),
}

/// Why an index cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The file has no GNU build id to key an index by.
    #[error("{0} has no GNU build id, so it cannot be indexed")]
    NoBuildId(PathBuf),
    /// There is no index for this build yet.
    #[error("no index at {0}")]
    Missing(PathBuf),
    /// Reading or writing the index failed.
    #[error("cannot use the index {path}: {error}")]
    Io {
        /// The index file or directory.
        path: PathBuf,
        /// Why (not a `source`: the message says it already).
        error: std::io::Error,
    },
    /// The index was written by another kresym version or format.
    #[error("the index {path} is stale: {reason}")]
    Stale {
        /// The index file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// The index is damaged, or belongs to another build.
    #[error("the index {path} is corrupt: {reason}")]
    Corrupt {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The DWARF could not be read completely, so no index was built.
    #[error("cannot index malformed DWARF: {0}")]
    Dwarf(#[from] gimli::Error),
    /// The binary could not be opened for the build.
    #[error(transparent)]
    Open(Box<Error>),
}

impl IndexError {
    /// Whether a fresh build would replace what is there (a stale or
    /// corrupt index), as opposed to there being nothing yet or nothing to do.
    pub fn needs_rebuild(&self) -> bool {
        matches!(self, IndexError::Stale { .. } | IndexError::Corrupt { .. })
    }
}
