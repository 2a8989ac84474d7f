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

use std::path::PathBuf;

use crate::forge::Repo;

/// Largest source file read or fetched, in bytes.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Why a file could not be had. Each is a warning on its link, never fatal;
/// [`HttpSource::new`], [`GitSource::new`] and [`DirSource::new`] fail with
/// one when their source cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file does not exist at that commit.
    #[error("not found: {0}")]
    NotFound(Missing),
    /// The server answered with an error status.
    #[error("HTTP {status} from {url}")]
    Status {
        /// The status code.
        status: u16,
        /// The URL asked.
        url: String,
    },
    /// No answer in time (the URL asked).
    #[error("timed out fetching {0}")]
    Timeout(String),
    /// The body is not a source file.
    #[error("garbage body from {url}: {why}")]
    Garbage {
        /// Where it came from.
        url: String,
        /// What was wrong.
        why: NotSource,
    },
    /// `--offline` and the file is not cached (the URL it would come from).
    #[error("not in the cache (offline): {0}")]
    NotCached(String),
    /// The path would leave the source tree or is otherwise unusable.
    #[error("refusing unsafe path {0:?}")]
    UnsafePath(String),
    /// The HTTP client could not be set up.
    #[error("HTTP client: {0}")]
    Client(reqwest::Error),
    /// A request failed, other than by a timeout.
    #[error("fetching {url}: {error}")]
    Fetch {
        /// The URL asked.
        url: String,
        /// What the HTTP client said.
        error: reqwest::Error,
    },
    /// Reading an answer's body failed, other than by a timeout.
    #[error("reading {url}: {error}")]
    Read {
        /// The URL asked.
        url: String,
        /// What reading said.
        error: std::io::Error,
    },
    /// A forge was asked for a file, but no repository is known.
    #[error("no repository to fetch from")]
    NoRepo,
    /// `--source-git` is not a directory.
    #[error("source git dir {} is not a directory", .0.display())]
    GitDirNotADirectory(PathBuf),
    /// `git` could not be run.
    #[error("cannot run git: {0}")]
    RunGit(std::io::Error),
    /// `--source-git` is a directory, but not a git repository.
    #[error("{} is not a git repository", .0.display())]
    NotARepository(PathBuf),
    /// A commit git must not be given (empty, an option, or with a `:`).
    #[error("bad commit {0:?}")]
    BadCommit(String),
    /// `--source-dir` cannot be resolved.
    #[error("source dir {}: {error}", .path.display())]
    DirUnusable {
        /// The directory given.
        path: PathBuf,
        /// What resolving it said.
        error: std::io::Error,
    },
    /// `--source-dir` is not a directory.
    #[error("source dir {} is not a directory", .0.display())]
    DirNotADirectory(PathBuf),
    /// A file of a source tree could not be read.
    #[error("{}: {error}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What reading it said.
        error: std::io::Error,
    },
}

/// Where a file was looked for and not found ([`SourceError::NotFound`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    /// The server answered 404 for this URL.
    #[error("{0}")]
    Url(String),
    /// The source tree has no such file (its path below the top).
    #[error("{0}")]
    Path(String),
    /// The git repository has no such blob.
    #[error("{spec} in {}: {git_says}", .repo.display())]
    Blob {
        /// `COMMIT:PATH`.
        spec: String,
        /// The repository.
        repo: PathBuf,
        /// What `git cat-file` said on stderr, trimmed.
        git_says: String,
    },
}

/// Why fetched bytes are not a source file ([`SourceError::Garbage`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSource {
    /// More than [`MAX_FILE_BYTES`].
    #[error("too large")]
    TooLarge {
        /// The bytes had (a body is read no further than past the limit).
        size: u64,
        /// [`MAX_FILE_BYTES`].
        limit: u64,
    },
    /// A NUL byte.
    #[error("binary data")]
    Binary,
    /// Mostly bytes that are not UTF-8.
    #[error("not text")]
    NotText,
    /// A web page (a login page, an error page) instead of the file.
    #[error("an HTML page, not a source file")]
    Html,
    /// A gitiles answer that is not base64.
    #[error("bad base64: {0}")]
    Base64(base64::DecodeError),
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
    let garbage = |why| SourceError::Garbage {
        url: origin.to_string(),
        why,
    };
    let size = bytes.len() as u64;
    if size > MAX_FILE_BYTES {
        return Err(garbage(NotSource::TooLarge {
            size,
            limit: MAX_FILE_BYTES,
        }));
    }
    if bytes.contains(&0) {
        return Err(garbage(NotSource::Binary));
    }
    let text = String::from_utf8_lossy(bytes);
    let replaced = text.matches('\u{FFFD}').count();
    if replaced > 16 && replaced * 50 > text.len() {
        return Err(garbage(NotSource::NotText));
    }
    let head = text
        .trim_start()
        .get(..64)
        .unwrap_or(text.trim_start())
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Err(garbage(NotSource::Html));
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

    /// The typed reasons say what the `String`s they replaced said (the
    /// warnings of `kresym link` and symbolize's JSON carry them).
    #[test]
    fn errors_read_as_before() {
        let io = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let denied = io().to_string();
        let cases = [
            (
                SourceError::NotFound(Missing::Url("https://h/r/plain/a.c?id=1".into())),
                "not found: https://h/r/plain/a.c?id=1".to_string(),
            ),
            (
                SourceError::NotFound(Missing::Path("fs/a.c".into())),
                "not found: fs/a.c".to_string(),
            ),
            (
                SourceError::NotFound(Missing::Blob {
                    spec: "v6.1:fs/a.c".into(),
                    repo: "/src/linux".into(),
                    git_says: "fatal: path 'fs/a.c' does not exist in 'v6.1'".into(),
                }),
                "not found: v6.1:fs/a.c in /src/linux: fatal: path 'fs/a.c' does not exist in 'v6.1'"
                    .to_string(),
            ),
            (
                SourceError::Garbage {
                    url: "u".into(),
                    why: NotSource::TooLarge {
                        size: MAX_FILE_BYTES + 1,
                        limit: MAX_FILE_BYTES,
                    },
                },
                "garbage body from u: too large".to_string(),
            ),
            (
                SourceError::Read {
                    url: "u".into(),
                    error: io(),
                },
                format!("reading u: {denied}"),
            ),
            (
                SourceError::NoRepo,
                "no repository to fetch from".to_string(),
            ),
            (
                SourceError::GitDirNotADirectory("/g".into()),
                "source git dir /g is not a directory".to_string(),
            ),
            (
                SourceError::RunGit(io()),
                format!("cannot run git: {denied}"),
            ),
            (
                SourceError::NotARepository("/g".into()),
                "/g is not a git repository".to_string(),
            ),
            (
                SourceError::BadCommit("-x".into()),
                "bad commit \"-x\"".to_string(),
            ),
            (
                SourceError::DirUnusable {
                    path: "/d".into(),
                    error: io(),
                },
                format!("source dir /d: {denied}"),
            ),
            (
                SourceError::DirNotADirectory("/d".into()),
                "source dir /d is not a directory".to_string(),
            ),
            (
                SourceError::Io {
                    path: "/d/a.c".into(),
                    error: io(),
                },
                format!("/d/a.c: {denied}"),
            ),
        ];
        for (error, said) in cases {
            assert_eq!(error.to_string(), said);
        }
        let why = |bytes: &[u8]| match bytes_to_source(bytes, "u") {
            Err(SourceError::Garbage { why, .. }) => why.to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(why(b"\x00"), "binary data");
        assert_eq!(why(&[0xff; 100]), "not text");
        assert_eq!(why(b"<html>"), "an HTML page, not a source file");
    }

    #[test]
    fn garbage_bodies() {
        assert!(bytes_to_source(b"int x;\n", "u").is_ok());
        assert!(bytes_to_source(b"\x00\x01\x02", "u").is_err());
        assert!(bytes_to_source(b"<!DOCTYPE html><html>login</html>", "u").is_err());
        assert!(bytes_to_source(&[0xff; 100], "u").is_err());
    }
}
