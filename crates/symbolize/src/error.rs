//! Every error type of the crate but decompression's: opening a
//! symbolizer ([`Error`]), an ELF file ([`ElfError`]), an index
//! ([`IndexError`]), and why a module has no index ([`ModuleIndexError`]).
//! It imports no other module of the crate but `elf::decompress`, so any
//! module may return these.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

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
    /// The DWARF could not be parsed (the reason is in the message, not
    /// chained: said once).
    #[error("malformed DWARF: {0}")]
    Dwarf(gimli::Error),
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

impl From<gimli::Error> for Error {
    fn from(error: gimli::Error) -> Self {
        Error::Dwarf(error)
    }
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
        reason: Staleness,
    },
    /// The index is damaged, or belongs to another build.
    #[error("the index {path} is corrupt: {reason}")]
    Corrupt {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        reason: Corruption,
    },
    /// The DWARF could not be read completely, so no index was built (the
    /// reason is in the message, not chained: said once).
    #[error("cannot index malformed DWARF: {0}")]
    Dwarf(gimli::Error),
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

impl From<gimli::Error> for IndexError {
    fn from(error: gimli::Error) -> Self {
        IndexError::Dwarf(error)
    }
}

/// What makes an index stale ([`IndexError::Stale`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Staleness {
    /// Another format version.
    #[error("format version {found}, this kresym reads {reads}")]
    FormatVersion {
        /// The file's format version.
        found: u32,
        /// The one this kresym reads.
        reads: u32,
    },
    /// Written by another kresym version.
    #[error("written by {found}, this is {this}")]
    Generator {
        /// The file's writer, as it names itself.
        found: String,
        /// This kresym, named the same way.
        this: &'static str,
    },
}

/// What is wrong with a corrupt index ([`IndexError::Corrupt`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Corruption {
    /// A FIFO, device or directory where the index file should be.
    #[error("not a regular file")]
    NotAFile,
    /// No index magic, or too short for a header.
    #[error("not a kresym index file")]
    NotAnIndex,
    /// The contents do not match the header's checksum.
    #[error("checksum mismatch")]
    Checksum,
    /// The header counts another number of sections.
    #[error("unexpected number of sections")]
    SectionCount,
    /// The section table is cut short.
    #[error("truncated section table")]
    TruncatedSectionTable,
    /// A section entry names another section or lies outside the file.
    #[error("bad section table")]
    SectionTable,
    /// A section's size does not fit its records.
    #[error("bad section sizes")]
    SectionSizes,
    /// The meta section cannot be read.
    #[error("bad meta section")]
    Meta,
    /// The index is of another build.
    #[error("it indexes build id {indexed}, not {wanted}")]
    OtherBuild {
        /// The build id it indexes (hex).
        indexed: String,
        /// The build id asked for (hex).
        wanted: String,
    },
}

/// An [`Error`] shared by every frame it concerns (a module file that
/// cannot be used): shown and serialized as its message, and equal to
/// another of the same message.
#[derive(Debug, Clone)]
pub struct SharedError(pub Arc<Error>);

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for SharedError {
    fn eq(&self, other: &SharedError) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for SharedError {}

impl Serialize for SharedError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printed with their causes (`a: b`), DWARF errors say gimli's reason
    /// once (it was also their source, so said twice).
    #[test]
    fn dwarf_errors_say_their_reason_once() {
        let reason = gimli::Error::UnexpectedEof(gimli::ReaderOffsetId(7));
        kresym_test_support::assert_causes_said_once(&Error::from(reason));
        kresym_test_support::assert_causes_said_once(&IndexError::from(reason));
    }

    /// The reasons say what the `String`s they replaced said, word for word.
    #[test]
    fn index_reasons_read_as_before() {
        let path = PathBuf::from("/i/ab.kri");
        let stale = [
            (
                Staleness::FormatVersion { found: 3, reads: 4 },
                "format version 3, this kresym reads 4",
            ),
            (
                Staleness::Generator {
                    found: "kresym-symbolize 0.0.9".into(),
                    this: "kresym-symbolize 0.1.0",
                },
                "written by kresym-symbolize 0.0.9, this is kresym-symbolize 0.1.0",
            ),
        ];
        for (reason, text) in stale {
            let path = path.clone();
            let error = IndexError::Stale { path, reason };
            assert_eq!(
                error.to_string(),
                format!("the index /i/ab.kri is stale: {text}")
            );
        }
        let other_build = Corruption::OtherBuild {
            indexed: "abcd".into(),
            wanted: "ef01".into(),
        };
        let corrupt = [
            (Corruption::NotAFile, "not a regular file"),
            (Corruption::NotAnIndex, "not a kresym index file"),
            (Corruption::Checksum, "checksum mismatch"),
            (Corruption::SectionCount, "unexpected number of sections"),
            (Corruption::TruncatedSectionTable, "truncated section table"),
            (Corruption::SectionTable, "bad section table"),
            (Corruption::SectionSizes, "bad section sizes"),
            (Corruption::Meta, "bad meta section"),
            (other_build, "it indexes build id abcd, not ef01"),
        ];
        for (reason, text) in corrupt {
            let path = path.clone();
            let error = IndexError::Corrupt { path, reason };
            assert_eq!(
                error.to_string(),
                format!("the index /i/ab.kri is corrupt: {text}")
            );
        }
    }

    /// A module that cannot be used serializes its error as the message,
    /// as the `String` it replaced did.
    #[test]
    fn module_unreadable_serializes_the_message() {
        let error = Arc::new(Error::Io {
            path: "/m/x.ko".into(),
            error: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        });
        let resolution = crate::Resolution::ModuleUnreadable {
            module: "x".into(),
            error: SharedError(error.clone()),
        };
        assert_eq!(
            serde_json::to_value(&resolution).unwrap(),
            serde_json::json!({
                "status": "module_unreadable",
                "module": "x",
                "error": "cannot read /m/x.ko: denied",
            })
        );
        let again = Arc::new(Error::Io {
            path: "/m/x.ko".into(),
            error: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        });
        assert_eq!(SharedError(error), SharedError(again));
    }
}
