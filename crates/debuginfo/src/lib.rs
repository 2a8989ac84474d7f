//! Find the debug files a kernel crash report needs: the vmlinux and the
//! modules that produced it.
//!
//! - [`debuginfod`] downloads files by GNU build id from the servers named in
//!   `DEBUGINFOD_URLS`, into a cache shared with elfutils' client.
//! - [`local`] looks in debug directories (`/usr/lib/debug`, `/`, or roots
//!   given by the user) by kernel release or by build id.
//! - [`elf`] reads the two facts every file is checked against: its build id
//!   and, for a vmlinux, the release in `linux_banner`.
//! - [`modules`] says which files are kernel modules and under which name,
//!   and finds them in directory trees.
//!
//! This crate parses no DWARF and knows nothing of reports.

#![deny(missing_docs)]

pub mod debuginfod;
pub mod elf;
pub mod local;
pub mod modules;

use std::path::PathBuf;

/// Errors finding, downloading or checking debug files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("cannot access {path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why (not a `source`: the message says it already).
        error: std::io::Error,
    },
    /// A file is not an ELF file whose build id or release can be read.
    #[error("{origin} is not usable: {reason}")]
    NotElf {
        /// The file or URL.
        origin: String,
        /// Why.
        reason: NotElfReason,
    },
    /// A string is not a build id (an even number of hex digits).
    #[error("{0:?} is not a build id: expected hex digits, such as 4f7a1c...")]
    InvalidBuildId(String),
    /// A file has another build id than the one asked for.
    #[error("{origin} has build id {found}, but {wanted} was expected")]
    BuildIdMismatch {
        /// The file or URL.
        origin: String,
        /// The build id asked for.
        wanted: String,
        /// The file's build id (`none` when it has no build-id note).
        found: String,
    },
    /// A vmlinux is from another kernel release than the report.
    #[error("{origin} is kernel {found}, but the report is from kernel {wanted}")]
    ReleaseMismatch {
        /// The file.
        origin: String,
        /// The release the report implies.
        wanted: String,
        /// The release in the file's `linux_banner`.
        found: String,
    },
    /// An HTTP request failed (connection, timeout, status, or cut-short body).
    #[error("{url}: {reason}")]
    Http {
        /// The URL (for the client itself, the servers' URLs).
        url: String,
        /// Why.
        reason: debuginfod::HttpReason,
    },
    /// No server has the file (or a recent attempt found none, see the
    /// negative cache in [`debuginfod`]).
    #[error("no debuginfod server has build id {build_id}: {}", joined(.misses, &[]))]
    NotFound {
        /// The build id.
        build_id: String,
        /// What was asked and answered, in order.
        misses: Vec<debuginfod::Miss>,
    },
    /// Servers failed to give the file (several errors, or misses and errors).
    #[error("cannot download build id {build_id}: {}", joined(.misses, .errors))]
    Download {
        /// The build id.
        build_id: String,
        /// The servers that answered they have no such file.
        misses: Vec<debuginfod::Miss>,
        /// How the other servers failed.
        errors: Vec<Error>,
    },
}

/// `misses`, then `errors`, `; `-separated.
fn joined(misses: &[debuginfod::Miss], errors: &[Error]) -> String {
    let misses = misses.iter().map(ToString::to_string);
    let errors = errors.iter().map(ToString::to_string);
    misses.chain(errors).collect::<Vec<_>>().join("; ")
}

/// Why a file is not an ELF file whose ids can be read ([`Error::NotElf`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotElfReason {
    /// A directory was named.
    #[error("it is a directory")]
    Directory,
    /// No ELF magic.
    #[error("not an ELF file")]
    NoMagic,
    /// A 32-bit file.
    #[error("not a 64-bit ELF file")]
    Not64Bit,
    /// The headers do not parse.
    #[error("malformed ELF: {0}")]
    Malformed(object::Error),
    /// The build-id note does not parse.
    #[error("malformed build-id note: {0}")]
    BuildIdNote(object::Error),
}

/// Result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Check and normalize a build id: lower-case hex, an even number of digits,
/// at least 2 bytes.
pub fn normalize_build_id(id: &str) -> Result<String> {
    let id = id.trim();
    let ok = id.len() >= 4 && id.len() % 2 == 0 && id.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(Error::InvalidBuildId(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reasons say what the `String`s they replaced said.
    #[test]
    fn not_elf_reasons_read_as_before() {
        let text = |reason| {
            Error::NotElf {
                origin: "/x".into(),
                reason,
            }
            .to_string()
        };
        assert_eq!(
            text(NotElfReason::Directory),
            "/x is not usable: it is a directory"
        );
        assert_eq!(
            text(NotElfReason::NoMagic),
            "/x is not usable: not an ELF file"
        );
        assert_eq!(
            text(NotElfReason::Not64Bit),
            "/x is not usable: not a 64-bit ELF file"
        );
        let malformed =
            object::read::elf::ElfFile64::<object::Endianness>::parse(&b"\x7fELF\x02\x01"[..])
                .err()
                .unwrap();
        assert_eq!(
            text(NotElfReason::Malformed(malformed)),
            format!("/x is not usable: malformed ELF: {malformed}")
        );
        assert_eq!(
            text(NotElfReason::BuildIdNote(malformed)),
            format!("/x is not usable: malformed build-id note: {malformed}")
        );
    }

    /// Each cause is said once: the CLI prints an error with its sources
    /// (`a: b`), so a source must not be in the message already. Before, a
    /// file that could not be read was said twice: `cannot access /x: No
    /// such file or directory (os error 2): No such file or directory (os
    /// error 2)`.
    #[test]
    fn causes_are_said_once() {
        let error = elf::read(std::path::Path::new("/nonexistent/kresym")).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("cannot access /nonexistent/kresym: "),
            "{text}"
        );
        kresym_test_support::assert_causes_said_once(&error);
    }

    #[test]
    fn build_ids_are_normalized() {
        assert_eq!(normalize_build_id(" ABcd01 ").unwrap(), "abcd01");
        assert!(normalize_build_id("abc").is_err());
        assert!(normalize_build_id("zz00").is_err());
        assert!(normalize_build_id("../x").is_err());
    }
}
