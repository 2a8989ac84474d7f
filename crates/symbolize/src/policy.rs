//! What a front end does with a [`Symbolizer`] once it is open, and before
//! the first report: use, build or skip the persisted indexes
//! ([`attach_index`]), and look up a batch's vmlinux frames in one sweep
//! ([`prefetch`]). Kept apart from the symbolizer's construction so that a
//! builder can take the policy as one value.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kresym_report::PcKind;

use crate::{FrameQuery, IndexError, Symbolizer};

/// A run with this many frames builds the index when there is none.
/// Building costs about eight times what sweeping 20,000 frames through
/// DWARF does (3.8 s against 0.47 s on Debian's 6.1 kernel, 2 cores), so
/// the first such run is slower; but a run this large is usually one of
/// many against a build, and each later one reads no DWARF (0.06 s).
pub const BATCH_FRAMES: usize = 5_000;

/// When missing indexes are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildIndex {
    /// Only for a batch: [`BATCH_FRAMES`] frames or more.
    ForBatch,
    /// Always, even for one report.
    Always,
}

/// Where the persisted indexes are kept, and when missing ones are built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPolicy {
    /// The index directory: one file per build id.
    pub dir: PathBuf,
    /// When a missing index is built.
    pub build: BuildIndex,
}

/// What [`attach_index`] did, for the front end to say.
#[derive(Debug)]
pub enum IndexEvent<'a> {
    /// The vmlinux has no index yet: building it now.
    Building(&'a Path),
    /// The index is stale or corrupt: rebuilding it.
    Rebuilding(&'a IndexError),
    /// An index was written.
    Written {
        /// The index file.
        path: &'a Path,
        /// Its size in bytes.
        size: u64,
        /// How long building it took.
        elapsed: Duration,
    },
    /// No index can be used or built: DWARF is read instead.
    Unusable(&'a IndexError),
}

/// Use the indexes of the vmlinux and modules in `policy.dir`: load them;
/// build them when missing and the run is a batch (`frames()` at least
/// [`BATCH_FRAMES`], asked only when the answer matters) or the policy
/// says always; rebuild them when stale or corrupt. Failing that, DWARF is
/// read. A vmlinux without DWARF has nothing to index.
pub fn attach_index(
    symbolizer: &mut Symbolizer,
    policy: &IndexPolicy,
    frames: impl FnOnce() -> usize,
    mut event: impl FnMut(IndexEvent<'_>),
) {
    if !symbolizer.vmlinux().has_dwarf() {
        return;
    }
    let dir = &policy.dir;
    // Counting the inputs' frames may read them: only when an answer needs it.
    let build = OnceCell::new();
    let mut frames = Some(frames);
    let mut wants_build = || {
        *build.get_or_init(|| {
            policy.build == BuildIndex::Always
                || frames.take().is_some_and(|frames| frames() >= BATCH_FRAMES)
        })
    };
    let rebuild = match symbolizer.load_index(dir) {
        Ok(_) | Err(IndexError::NoBuildId(_)) => false,
        Err(IndexError::Missing(_)) if !wants_build() => false,
        Err(IndexError::Missing(_)) => {
            event(IndexEvent::Building(symbolizer.vmlinux().path()));
            true
        }
        Err(error) if error.needs_rebuild() => {
            event(IndexEvent::Rebuilding(&error));
            true
        }
        Err(error) => {
            event(IndexEvent::Unusable(&error));
            false
        }
    };
    if rebuild {
        let started = Instant::now();
        match symbolizer.build_index(dir) {
            Ok(index) => event(IndexEvent::Written {
                path: index.path(),
                size: index.size(),
                elapsed: started.elapsed(),
            }),
            Err(error) => event(IndexEvent::Unusable(&error)),
        }
    }
    let build_modules = symbolizer.module_count() > 0 && wants_build();
    symbolizer.use_module_indexes(dir, build_modules);
}

/// A vmlinux frame as printed: what [`prefetch`] looks up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrintedFrame {
    /// The symbol name.
    pub function: String,
    /// The offset from the symbol.
    pub offset: u64,
    /// The printed size.
    pub size: u64,
    /// Exact pc or return address.
    pub pc_kind: PcKind,
}

/// Look up the vmlinux frames a run will need all at once (see
/// [`Symbolizer::prefetch`]) when no index is in use: far cheaper than
/// looking them up one by one. `frames` runs while the symbol table, which
/// the look-up needs, is read.
pub fn prefetch<F>(symbolizer: &mut Symbolizer, frames: impl FnOnce() -> F + Send)
where
    F: IntoIterator<Item = PrintedFrame> + Send,
{
    if symbolizer.index().is_some() || !symbolizer.vmlinux().has_dwarf() {
        return;
    }
    let vmlinux = symbolizer.vmlinux();
    let (_, frames) = rayon::join(|| vmlinux.symbols(), frames);
    let frames: Vec<PrintedFrame> = frames.into_iter().collect();
    symbolizer.prefetch(
        frames
            .iter()
            .map(|f| FrameQuery::vmlinux(&f.function, f.offset, f.size, f.pc_kind)),
    );
}
