//! Blobs from a local git repository, through the `git` command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Missing, SourceError, SourceProvider, bytes_to_source, safe_relative_path};
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
            return Err(SourceError::GitDirNotADirectory(dir.to_path_buf()));
        }
        let git = GitSource {
            dir: dir.to_path_buf(),
            git: PathBuf::from("git"),
        };
        let out = git
            .command()
            .args(["rev-parse", "--git-dir"])
            .output()
            .map_err(SourceError::RunGit)?;
        if !out.status.success() {
            return Err(SourceError::NotARepository(dir.to_path_buf()));
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
            return Err(SourceError::BadCommit(commit.to_string()));
        }
        let spec = format!("{commit}:{rel}");
        let out = self
            .command()
            .args(["cat-file", "blob", "--end-of-options", &spec])
            .output()
            .map_err(SourceError::RunGit)?;
        if !out.status.success() {
            return Err(SourceError::NotFound(Missing::Blob {
                spec,
                repo: self.dir.clone(),
                git_says: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            }));
        }
        bytes_to_source(&out.stdout, &spec)
    }
}
