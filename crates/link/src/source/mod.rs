//! Where source files come from: forges over HTTP (with an on-disk cache),
//! a local git checkout, or a plain source tree.

mod cache;
mod dir;
mod git;
mod http;

pub use cache::Cache;
pub use dir::DirSource;
pub use git::GitSource;
pub use http::{HttpOptions, HttpSource};

use crate::forge::Repo;

/// Largest source file read or fetched, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why a file could not be had. Each is a warning on its link, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The file does not exist at that commit.
    #[error("not found: {0}")]
    NotFound(String),
    /// The server answered with an error status.
    #[error("HTTP {status} from {url}")]
    Status {
        /// The status code.
        status: u16,
        /// The URL asked.
        url: String,
    },
    /// No answer in time.
    #[error("timed out fetching {0}")]
    Timeout(String),
    /// The body is not a source file.
    #[error("garbage body from {url}: {why}")]
    Garbage {
        /// Where it came from.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// `--offline` and the file is not cached.
    #[error("not in the cache (offline): {0}")]
    NotCached(String),
    /// The path would leave the source tree or is otherwise unusable.
    #[error("refusing unsafe path {0:?}")]
    UnsafePath(String),
    /// Anything else (I/O, network, git).
    #[error("{0}")]
    Other(String),
}

/// Gives the text of `path` at `commit`.
pub trait SourceProvider: Send + Sync {
    /// The file's text. `repo` is the repository the links point at; local
    /// providers may ignore it.
    fn fetch(&self, repo: Option<&Repo>, commit: &str, path: &str) -> Result<String, SourceError>;
}

/// Check a path taken from a report: relative, no `..`, no empty or odd
/// parts. Returns it with any leading `./` removed.
pub fn safe_relative_path(path: &str) -> Result<&str, SourceError> {
    let unsafe_path = || SourceError::UnsafePath(path.to_string());
    let p = path.trim_start_matches("./");
    if p.is_empty()
        || p.starts_with('/')
        || p.starts_with('\\')
        || p.contains('\\')
        || p.contains(':')
        || p.chars().any(|c| c.is_control())
    {
        return Err(unsafe_path());
    }
    for part in p.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err(unsafe_path());
        }
    }
    Ok(p)
}

/// Turn fetched bytes into source text, rejecting what is clearly not source.
pub(crate) fn bytes_to_source(bytes: &[u8], origin: &str) -> Result<String, SourceError> {
    let garbage = |why: &str| SourceError::Garbage {
        url: origin.to_string(),
        why: why.to_string(),
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(garbage("too large"));
    }
    if bytes.contains(&0) {
        return Err(garbage("binary data"));
    }
    let text = String::from_utf8_lossy(bytes);
    let replaced = text.matches('\u{FFFD}').count();
    if replaced > 16 && replaced * 50 > text.len() {
        return Err(garbage("not text"));
    }
    let head = text
        .trim_start()
        .get(..64)
        .unwrap_or(text.trim_start())
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Err(garbage("an HTML page, not a source file"));
    }
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_safety() {
        assert_eq!(safe_relative_path("fs/fcntl.c").unwrap(), "fs/fcntl.c");
        assert_eq!(safe_relative_path("./fs/fcntl.c").unwrap(), "fs/fcntl.c");
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "fs/../../x",
            "fs//x",
            "a\\b",
            "c:x",
            "a/./b",
            "a\nb",
        ] {
            assert!(safe_relative_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn garbage_bodies() {
        assert!(bytes_to_source(b"int x;\n", "u").is_ok());
        assert!(bytes_to_source(b"\x00\x01\x02", "u").is_err());
        assert!(bytes_to_source(b"<!DOCTYPE html><html>login</html>", "u").is_err());
        assert!(bytes_to_source(&[0xff; 100], "u").is_err());
    }
}
