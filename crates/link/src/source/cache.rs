//! An on-disk cache of fetched source files, keyed by repo, commit and path.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A directory of cached files. Entries are named by the SHA-256 of
/// `repo \0 commit \0 path` and written atomically (temporary file, then
/// rename), so readers never see a partial file.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Cache { dir: dir.into() }
    }

    /// The default location: `$XDG_CACHE_HOME/kresym/sources`, else
    /// `$HOME/.cache/kresym/sources`. `None` when neither is set.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .map(|h| h.join(".cache"))
            })?;
        Some(base.join("kresym").join("sources"))
    }

    /// The cache's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry(&self, repo: &str, commit: &str, path: &str) -> PathBuf {
        let mut h = Sha256::new();
        for part in [repo, commit, path] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let hex = hex::encode(h.finalize());
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// The cached text, if any.
    pub fn get(&self, repo: &str, commit: &str, path: &str) -> Option<String> {
        fs::read_to_string(self.entry(repo, commit, path)).ok()
    }

    /// Store `text`, atomically.
    pub fn put(&self, repo: &str, commit: &str, path: &str, text: &str) -> std::io::Result<()> {
        let entry = self.entry(repo, commit, path);
        let parent = entry.parent().unwrap_or(&self.dir);
        fs::create_dir_all(parent)?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent)?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&entry).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cache::new(dir.path().join("c"));
        assert_eq!(c.get("r", "a", "p"), None);
        c.put("r", "a", "p", "hello").unwrap();
        assert_eq!(c.get("r", "a", "p").as_deref(), Some("hello"));
        assert_eq!(c.get("r", "b", "p"), None);
        assert_eq!(c.get("r2", "a", "p"), None);
        // Keys are separated, not concatenated.
        assert_eq!(c.get("r", "ap", ""), None);
        c.put("r", "a", "p", "again").unwrap();
        assert_eq!(c.get("r", "a", "p").as_deref(), Some("again"));
    }
}
