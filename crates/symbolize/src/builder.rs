//! How a [`Symbolizer`] is opened: one builder holds every choice (module
//! directories, path prefixes, mismatches, the index, the frames to look
//! up ahead), and [`SymbolizerBuilder::build`] applies them in the one
//! order that works: modules listed, the index loaded or built, module
//! indexes attached, then the prefetch, which only runs without an index.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kresym_report::PcKind;

use crate::elf::Binary;
use crate::error::{Error, Result};
use crate::frame::FrameQuery;
use crate::index::{Index, IndexError};
use crate::symbolizer::Symbolizer;

/// A run with this many frames is a batch, for which a front end builds
/// the index when there is none ([`IndexDir::build_missing`]). Building
/// costs about twice what sweeping 20,000 frames through DWARF does (0.61
/// against 0.31 s on Debian's 6.1 kernel, 2 cores), so the first such run
/// is slower; but a run this large is usually one of many against a build,
/// and each later one reads no DWARF (0.05 s).
pub const BATCH_FRAMES: usize = 5_000;

/// A vmlinux frame as printed: what [`SymbolizerBuilder::prefetch`] looks up.
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

impl From<(String, u64, u64, PcKind)> for PrintedFrame {
    /// From function, offset, printed size and pc kind.
    fn from((function, offset, size, pc_kind): (String, u64, u64, PcKind)) -> Self {
        PrintedFrame {
            function,
            offset,
            size,
            pc_kind,
        }
    }
}

/// Where vmlinux (and module) frames are read from.
pub enum IndexPolicy<'a> {
    /// DWARF only.
    Off,
    /// This index of the vmlinux, already loaded ([`Index::load`]).
    Loaded(Box<Index>),
    /// Build the vmlinux's index into this directory now (in parallel, on
    /// the current rayon pool); failing is an error.
    Build(PathBuf),
    /// The indexes in a directory, as a farm keeps them (see [`IndexDir`]).
    Dir(IndexDir<'a>),
}

/// The indexes of the vmlinux and modules in one directory: the vmlinux's
/// is loaded when valid, rebuilt when stale or corrupt, and built when
/// missing if [`IndexDir::build_missing`] says so; a module's is looked up
/// on its first frame, the same way. Whatever fails falls back to DWARF.
pub struct IndexDir<'a> {
    dir: PathBuf,
    build_missing: Box<dyn FnOnce() -> bool + 'a>,
    report: Box<dyn FnMut(IndexEvent<'_>) + 'a>,
    loaded: Option<Box<std::result::Result<Index, IndexError>>>,
}

impl<'a> IndexDir<'a> {
    /// The indexes in `dir`; missing ones are not built, and nothing is reported.
    pub fn new(dir: PathBuf) -> Self {
        IndexDir {
            dir,
            build_missing: Box::new(|| false),
            report: Box::new(|_| {}),
            loaded: None,
        }
    }

    /// What [`Index::load`] of `dir` answered for this vmlinux, asked
    /// ahead (on another thread, while the inputs were read): it stands
    /// for the load, and is handled as the load's answer would be.
    pub fn loaded(mut self, loaded: std::result::Result<Index, IndexError>) -> Self {
        self.loaded = Some(Box::new(loaded));
        self
    }

    /// Build missing indexes when `wanted()` says so; it is asked at most
    /// once, and only when an index is missing (so it may be costly).
    pub fn build_missing(mut self, wanted: impl FnOnce() -> bool + 'a) -> Self {
        self.build_missing = Box::new(wanted);
        self
    }

    /// Tell `report` what happens to the vmlinux's index.
    pub fn report(mut self, report: impl FnMut(IndexEvent<'_>) + 'a) -> Self {
        self.report = Box::new(report);
        self
    }
}

/// What happened to the vmlinux's index under [`IndexPolicy::Dir`].
#[derive(Debug)]
pub enum IndexEvent<'e> {
    /// There is none: it is being built for the first time.
    Building {
        /// The vmlinux.
        vmlinux: &'e Path,
    },
    /// The one there is stale or corrupt: it is being rebuilt.
    Rebuilding(&'e IndexError),
    /// Built, in this time.
    Built {
        /// The index now in use.
        index: &'e Index,
        /// How long the build took.
        elapsed: Duration,
    },
    /// The index could not be loaded or built: DWARF is read instead.
    Unusable(&'e IndexError),
}

/// Lays out how to open a [`Symbolizer`]; made by [`Symbolizer::builder`].
pub struct SymbolizerBuilder<'a> {
    vmlinux: Binary,
    module_dirs: Vec<PathBuf>,
    strip_prefixes: Vec<String>,
    allow_mismatch: bool,
    index: IndexPolicy<'a>,
    prefetch: Option<Box<dyn FnOnce() -> Vec<PrintedFrame> + Send + 'a>>,
    input_size: Option<u64>,
}

/// Inputs of at most this many bytes in all (a report, a bisection log)
/// are small: see [`SymbolizerBuilder::input_size`].
pub const SMALL_INPUT: u64 = 64 << 10;

impl<'a> SymbolizerBuilder<'a> {
    pub(crate) fn new(vmlinux: Binary) -> Self {
        SymbolizerBuilder {
            vmlinux,
            module_dirs: Vec::new(),
            strip_prefixes: Vec::new(),
            allow_mismatch: false,
            index: IndexPolicy::Off,
            prefetch: None,
            input_size: None,
        }
    }

    /// The vmlinux, for checks before anything costly is done.
    pub fn vmlinux(&self) -> &Binary {
        &self.vmlinux
    }

    /// Directories searched recursively for `.ko`, `.ko.debug`, `.ko.xz`
    /// and `.ko.zst` files.
    pub fn module_dirs(mut self, dirs: impl IntoIterator<Item = PathBuf>) -> Self {
        self.module_dirs.extend(dirs);
        self
    }

    /// Path prefixes to strip from DWARF file names instead of the
    /// automatic build-directory detection.
    pub fn strip_prefixes(mut self, prefixes: impl IntoIterator<Item = String>) -> Self {
        self.strip_prefixes.extend(prefixes);
        self
    }

    /// With `allow`, annotate anyway what does not fit this binary: a frame
    /// whose printed size fits no symbol of its name is resolved by name
    /// (with [`crate::Resolved::size_mismatch`] set, or
    /// [`crate::Resolution::Ambiguous`]), and reports the binary did not
    /// produce are symbolized like the others. Off by default: such frames
    /// are [`crate::Resolution::SizeMismatch`] and such reports are left
    /// unchanged ([`crate::Resolution::Withheld`]).
    pub fn allow_mismatch(mut self, allow: bool) -> Self {
        self.allow_mismatch = allow;
        self
    }

    /// Where frames are read from (default: DWARF only).
    pub fn index(mut self, policy: IndexPolicy<'a>) -> Self {
        self.index = policy;
        self
    }

    /// The vmlinux frames a batch will ask for, known up front: when no
    /// index is in use, `frames()` is called (while the symbol table is
    /// read, or for a small input first: see [`Self::input_size`]) and
    /// their inline chains are looked up at once, in one sweep
    /// over the DWARF (see the `dwarf` module), much faster and leaner than
    /// one by one. The answers are the same either way.
    pub fn prefetch(mut self, frames: impl FnOnce() -> Vec<PrintedFrame> + Send + 'a) -> Self {
        self.prefetch = Some(Box::new(frames));
        self
    }

    /// The inputs' total size in bytes, when known. The prefetch of a
    /// small input (at most [`SMALL_INPUT`]) parses its frames first, then
    /// reads only the symbols they name ([`Binary::read_symbols_named`]:
    /// 3 ms for Debian 6.1's kernel) on this thread while a worker finds
    /// the source tree's roots; otherwise it reads the whole symbol table
    /// (20 ms) while the frames are parsed.
    pub fn input_size(mut self, bytes: Option<u64>) -> Self {
        self.input_size = bytes;
        self
    }

    /// Open the symbolizer: list the module files, then apply the index
    /// policy and the prefetch.
    pub fn build(self) -> Result<Symbolizer> {
        let mut symbolizer = Symbolizer::new(
            self.vmlinux,
            &self.module_dirs,
            self.strip_prefixes,
            self.allow_mismatch,
        )?;
        match self.index {
            IndexPolicy::Off => {}
            IndexPolicy::Loaded(index) => symbolizer.index = Some(*index),
            IndexPolicy::Build(dir) => {
                symbolizer.build_index(&dir).map_err(Box::new)?;
            }
            IndexPolicy::Dir(dir) => attach(&mut symbolizer, dir),
        }
        if let Some(frames) = self.prefetch
            && symbolizer.index.is_none()
            && symbolizer.vmlinux.has_dwarf()
        {
            let vmlinux = &symbolizer.vmlinux;
            let frames = if self.input_size.is_some_and(|size| size <= SMALL_INPUT) {
                let frames = frames();
                std::thread::scope(|scope| {
                    scope.spawn(|| vmlinux.source_roots());
                    let names = frames.iter().map(|frame| frame.function.as_str());
                    vmlinux.read_symbols_named(names);
                });
                frames
            } else {
                // The symbol table is read meanwhile: the prefetch needs it.
                rayon::join(|| vmlinux.symbols(), frames).1
            };
            let queries: Vec<_> = frames
                .iter()
                .map(|f| FrameQuery::vmlinux(&f.function, f.offset, f.size, f.pc_kind))
                .collect();
            symbolizer.prefetch(&queries);
        }
        Ok(symbolizer)
    }
}

/// Use the indexes in `dir` for the vmlinux and its modules (see [`IndexDir`]).
fn attach(symbolizer: &mut Symbolizer, mut policy: IndexDir<'_>) {
    if !symbolizer.vmlinux.has_dwarf() {
        return;
    }
    let dir = policy.dir;
    let mut wanted = Some(policy.build_missing);
    let mut decided = None;
    let mut wants_build = || *decided.get_or_insert_with(|| wanted.take().is_some_and(|f| f()));
    let loaded = match policy.loaded.take() {
        Some(loaded) => *loaded,
        None => Index::load(&dir, &symbolizer.vmlinux),
    };
    let rebuild = match loaded {
        Ok(index) => {
            symbolizer.index = Some(index);
            false
        }
        Err(IndexError::NoBuildId(_)) => false,
        Err(IndexError::Missing(_)) if !wants_build() => false,
        Err(IndexError::Missing(_)) => {
            (policy.report)(IndexEvent::Building {
                vmlinux: symbolizer.vmlinux.path(),
            });
            true
        }
        Err(error) if error.needs_rebuild() => {
            (policy.report)(IndexEvent::Rebuilding(&error));
            true
        }
        Err(error) => {
            (policy.report)(IndexEvent::Unusable(&error));
            false
        }
    };
    if rebuild {
        let started = Instant::now();
        match symbolizer.build_index(&dir) {
            Ok(index) => (policy.report)(IndexEvent::Built {
                index,
                elapsed: started.elapsed(),
            }),
            Err(error) => (policy.report)(IndexEvent::Unusable(&error)),
        }
    }
    let build_modules = symbolizer.module_count() > 0 && wants_build();
    symbolizer.module_indexes = Some((dir, build_modules));
}

impl From<Box<IndexError>> for Error {
    fn from(error: Box<IndexError>) -> Self {
        Error::Index(error)
    }
}

/// The plain options of [`Symbolizer::open`], the shorthand for a
/// [`SymbolizerBuilder`] without an index or a prefetch.
#[derive(Debug, Clone, Default)]
pub struct SymbolizerOptions {
    /// Directories searched recursively for `.ko`, `.ko.debug`, `.ko.xz` and `.ko.zst` files.
    pub module_dirs: Vec<PathBuf>,
    /// Path prefixes to strip from DWARF file names instead of the automatic
    /// build-directory detection.
    pub strip_prefixes: Vec<String>,
}

impl Symbolizer {
    /// How to open a symbolizer over `vmlinux` (see [`SymbolizerBuilder`]).
    pub fn builder<'a>(vmlinux: Binary) -> SymbolizerBuilder<'a> {
        SymbolizerBuilder::new(vmlinux)
    }

    /// Open a vmlinux and list the module files in the module directories:
    /// the builder with `options`, no index and no prefetch.
    ///
    /// Only the ELF headers are read here: the symbol table on first use,
    /// DWARF one compilation unit at a time, as frames need it.
    pub fn open(vmlinux: &Path, options: SymbolizerOptions) -> Result<Symbolizer> {
        Symbolizer::builder(Binary::open(vmlinux)?)
            .module_dirs(options.module_dirs)
            .strip_prefixes(options.strip_prefixes)
            .build()
    }
}
