//! A plain source tree on disk.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{
    MAX_FILE_BYTES, Missing, SourceError, SourceProvider, bytes_to_source, safe_relative_path,
};
use crate::forge::Repo;

/// Reads files from a source tree; never outside it (`..`, absolute paths
/// and symlinks leading out are refused). The commit is ignored: the tree is
/// taken to be at the right one.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// A provider over `root`, which must be a directory.
    pub fn new(root: &Path) -> Result<Self, SourceError> {
        let root = fs::canonicalize(root).map_err(|error| SourceError::DirUnusable {
            path: root.to_path_buf(),
            error,
        })?;
        if !root.is_dir() {
            return Err(SourceError::DirNotADirectory(root));
        }
        Ok(DirSource { root })
    }
}

impl SourceProvider for DirSource {
    fn fetch(
        &self,
        _repo: Option<&Repo>,
        _commit: &str,
        path: &str,
    ) -> Result<String, SourceError> {
        let rel = safe_relative_path(path)?;
        let joined = self.root.join(rel);
        let real = fs::canonicalize(&joined).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SourceError::NotFound(Missing::Path(rel.to_string())),
            _ => SourceError::Io {
                path: joined.clone(),
                error: e,
            },
        })?;
        if !real.starts_with(&self.root) {
            return Err(SourceError::UnsafePath(path.to_string()));
        }
        if !real.is_file() {
            return Err(SourceError::NotFound(Missing::Path(rel.to_string())));
        }
        let io = |error| SourceError::Io {
            path: real.clone(),
            error,
        };
        let file = fs::File::open(&real).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        bytes_to_source(&bytes, &real.display().to_string())
    }
}
