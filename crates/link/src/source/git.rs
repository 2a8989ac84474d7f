//! Blobs from a local git repository, through the `git` command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{SourceError, SourceProvider, bytes_to_source, safe_relative_path};
use crate::forge::Repo;

/// Reads `SHA:PATH` blobs with `git cat-file`, no shell involved. The blob
/// is read from git's object store, so symlinks in the work tree and paths
/// outside the repository cannot be reached.
#[derive(Debug, Clone)]
pub struct GitSource {
    dir: PathBuf,
    git: PathBuf,
}

impl GitSource {
    /// A provider over the repository (work tree or bare) at `dir`.
    pub fn new(dir: &Path) -> Result<Self, SourceError> {
        if !dir.is_dir() {
            return Err(SourceError::Other(format!(
                "source git dir {} is not a directory",
                dir.display()
            )));
        }
        let git = GitSource {
            dir: dir.to_path_buf(),
            git: PathBuf::from("git"),
        };
        let out = git
            .command()
            .args(["rev-parse", "--git-dir"])
            .output()
            .map_err(|e| SourceError::Other(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(SourceError::Other(format!(
                "{} is not a git repository",
                dir.display()
            )));
        }
        Ok(git)
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.git);
        c.arg("-C")
            .arg(&self.dir)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .stdin(Stdio::null());
        c
    }
}

impl SourceProvider for GitSource {
    fn fetch(&self, _repo: Option<&Repo>, commit: &str, path: &str) -> Result<String, SourceError> {
        let rel = safe_relative_path(path)?;
        if commit.is_empty() || commit.starts_with('-') || commit.contains(':') {
            return Err(SourceError::Other(format!("bad commit {commit:?}")));
        }
        let spec = format!("{commit}:{rel}");
        let out = self
            .command()
            .args(["cat-file", "blob", "--end-of-options", &spec])
            .output()
            .map_err(|e| SourceError::Other(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(SourceError::NotFound(format!(
                "{spec} in {}: {}",
                self.dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        bytes_to_source(&out.stdout, &spec)
    }
}
