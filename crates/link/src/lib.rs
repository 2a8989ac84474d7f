//! Link every `file:line` of a kernel report to upstream source at the commit
//! that was tested, optionally with source snippets.
//!
//! [`Linker::new`] takes [`LinkOptions`] (repository, forge, commit, where
//! source comes from); [`Linker::link_document`] turns a parsed
//! [`kresym_report::Document`] into [`DocumentLinks`]: per line, the links
//! of its locations with their URL, snippet and warnings, and the links of
//! the commits a bisection log names. Renderers only consume that data.
//! [`Linker::link_symbolized`] links a symbolized document from the
//! locations its writer printed ([`Located`], with their spans) instead of
//! reading the frames' annotations back from its text.
//!
//! The map: `linker` finds locations and commits and builds the links;
//! `links` is what it returns; [`commit`] chooses the commit each line is
//! linked at; [`forge`] and [`trees`] turn repositories into URLs;
//! [`source`] fetches files (HTTP with its cache, git, a directory) for
//! [`snippet`]s and [`maintainers`].
//!
//! Nothing here fails a whole report: a missing file, an HTTP error or a
//! garbage body leaves its link without a snippet and adds a warning.

#![deny(missing_docs)]

pub mod commit;
pub mod forge;
pub mod maintainers;
pub mod snippet;
pub mod source;
pub mod trees;

mod linker;
mod links;

use std::path::PathBuf;

pub use commit::{ChosenCommit, CommitChooser, CommitSource};
pub use forge::{BadRepoUrl, Forge, Repo};
pub use linker::{Linker, infer_verdict, resolve_repo, tree_maintainers};
pub use links::{
    CommitLink, DocumentLinks, FrameLink, LineLinks, Located, ReportMaintainers, TestLink,
};
pub use snippet::{Fit, Snippet};
pub use source::{
    Cache, DirSource, GitSource, HttpOptions, HttpSource, Missing, NotSource, SourceError,
    SourceProvider,
};

/// Errors in the options given to a [`Linker`].
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// A repository URL that cannot be used.
    #[error("bad repository URL {0:?}: {1}")]
    BadRepo(String, BadRepoUrl),
    /// A host whose forge kresym does not know.
    #[error(
        "cannot tell which forge serves {1} (repository {0:?}); pass --forge cgit|github|gitlab|gitiles"
    )]
    UnknownHost(String, String),
    /// A `--forge` value that is not a known forge.
    #[error("unknown forge {0:?}; expected cgit, github, gitlab or gitiles")]
    UnknownForge(String),
    /// A `--commit` value that is not a sha or a safe ref name.
    #[error("bad commit {0:?}: expected a sha or a ref name")]
    BadCommit(String),
    /// A `--repo` value that is neither a URL nor a known tree name.
    #[error(
        "unknown tree {0:?}: give a clone URL or a tree name such as upstream, linux-next, net-next"
    )]
    UnknownTree(String),
    /// The source provider could not be set up.
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// Where snippets come from.
#[derive(Debug, Clone, Default)]
pub enum SourceChoice {
    /// The forge's raw endpoint over HTTP, with the on-disk cache.
    #[default]
    Http,
    /// A local git repository: the blob at the commit (`--source-git`).
    Git(PathBuf),
    /// A plain source tree, taken to be at the right commit (`--source-dir`).
    Dir(PathBuf),
}

/// What a [`Linker`] links to and how.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    /// Repository: a clone URL or a well-known tree name. When `None`, a
    /// syzbot email's `git tree:` is used.
    pub repo: Option<String>,
    /// Force the URL shape, for hosts kresym does not recognize.
    pub forge: Option<Forge>,
    /// Link everything at this commit instead of the one the input names.
    pub commit: Option<String>,
    /// Fetch source files and attach snippets.
    pub snippets: bool,
    /// Where snippets come from.
    pub source: SourceChoice,
    /// HTTP settings (timeouts, `--offline`, cache).
    pub http: HttpOptions,
    /// Lines of context either side of a frame's line.
    pub context: u32,
    /// How many files to fetch at once.
    pub jobs: usize,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            repo: None,
            forge: None,
            commit: None,
            snippets: false,
            source: SourceChoice::Http,
            http: HttpOptions::default(),
            context: 3,
            jobs: 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each cause is said once: the CLI prints an error with its sources
    /// (`a: b`). Before, `kresym link --source-dir /nonexistent` said
    /// `source dir /nonexistent: No such file or directory (os error 2)`
    /// twice, once as the message and once as its source.
    #[test]
    fn a_source_error_is_said_once() {
        let error = LinkError::from(
            DirSource::new(std::path::Path::new("/nonexistent/kresym")).unwrap_err(),
        );
        let text = error.to_string();
        assert!(
            text.starts_with("source dir /nonexistent/kresym: "),
            "{text}"
        );
        kresym_test_support::assert_causes_said_once(&error);
    }
}
