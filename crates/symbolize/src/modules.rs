//! Find kernel modules by name in a directory tree, and load them on demand.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use kresym_debuginfo::modules::{self as found, FoundModule, is_compressed, suffix_rank};

use crate::elf::{self, Binary};
use crate::error::Error;
use crate::index::{Index, IndexError};
use crate::once::get_or_compute;

/// A module file, loaded on first use. Loading it and building its index
/// run on the rayon pool, so they are done outside the cells' locks (see
/// [`get_or_compute`]).
#[derive(Debug)]
pub(crate) struct ModuleFile {
    pub(crate) path: PathBuf,
    /// Tree roots used when the module's own line tables show none (the
    /// vmlinux's; see `dwarf::source_root`).
    fallback_roots: Arc<[String]>,
    loaded: OnceLock<Result<Arc<Binary>, Arc<Error>>>,
    build_id: OnceLock<Result<Option<Vec<u8>>, Arc<Error>>>,
    index: OnceLock<Option<Index>>,
}

impl ModuleFile {
    fn new(path: PathBuf, fallback_roots: Arc<[String]>) -> ModuleFile {
        ModuleFile {
            path,
            fallback_roots,
            loaded: OnceLock::new(),
            build_id: OnceLock::new(),
            index: OnceLock::new(),
        }
    }

    /// The file's GNU build id: read from its notes alone when the file is
    /// not compressed, so that a module read from its index is never loaded.
    pub(crate) fn build_id(&self) -> Result<Option<&[u8]>, Arc<Error>> {
        get_or_compute(&self.build_id, || {
            if is_compressed(&self.path) {
                self.load().map(|b| b.build_id().map(<[u8]>::to_vec))
            } else {
                elf::read_build_id(&self.path).map_err(Arc::new)
            }
        })
        .as_ref()
        .map(Option::as_deref)
        .map_err(Clone::clone)
    }

    /// The module's index in `dir`, once looked up: loaded when valid;
    /// built when missing and `build`, or when stale or corrupt (the module
    /// is loaded for the build and dropped after it). `None`: read the
    /// module's DWARF.
    pub(crate) fn index(&self, dir: &Path, build: bool) -> Option<&Index> {
        get_or_compute(&self.index, || {
            let id = self.build_id().ok()??.to_vec();
            match Index::load_by_id(dir, &id) {
                Ok(index) => Some(index),
                Err(IndexError::Missing(_)) if !build => None,
                Err(error) if matches!(error, IndexError::Missing(_)) || error.needs_rebuild() => {
                    // Loaded for the build alone, and dropped after it.
                    let module = Binary::open(&self.path).ok()?;
                    module.fall_back_to_source_roots(&self.fallback_roots);
                    module
                        .has_dwarf()
                        .then(|| Index::build(dir, &module).ok())?
                }
                Err(_) => None,
            }
        })
        .as_ref()
    }

    /// The module, loaded on first call; the error says what went wrong.
    pub(crate) fn load(&self) -> Result<Arc<Binary>, Arc<Error>> {
        get_or_compute(&self.loaded, || {
            Binary::open(&self.path)
                .inspect(|module| module.fall_back_to_source_roots(&self.fallback_roots))
                .map(Arc::new)
                .map_err(Arc::new)
        })
        .clone()
    }
}

/// Every module file found under some directories, by module name.
#[derive(Debug, Default)]
pub(crate) struct ModuleIndex {
    by_name: HashMap<String, Vec<ModuleFile>>,
    /// Tree roots for modules whose line tables show none.
    fallback_roots: Arc<[String]>,
}

impl ModuleIndex {
    /// Search `dirs` recursively for module files, following symlinks
    /// ([`kresym_debuginfo::modules::find`]: a symlink loop or a dangling
    /// symlink is passed, a directory that cannot be read fails the scan).
    /// A module whose own line tables show no tree root takes
    /// `fallback_roots`.
    pub(crate) fn scan(
        dirs: &[PathBuf],
        fallback_roots: Vec<String>,
    ) -> std::io::Result<ModuleIndex> {
        let mut index = ModuleIndex {
            by_name: HashMap::new(),
            fallback_roots: fallback_roots.into(),
        };
        for module in found::find(dirs) {
            let FoundModule { path, name } = module?;
            let file = ModuleFile::new(path, index.fallback_roots.clone());
            index.by_name.entry(name).or_default().push(file);
        }
        for files in index.by_name.values_mut() {
            files.sort_by_key(|f| suffix_rank(&f.path));
        }
        Ok(index)
    }

    /// The files for a module name (`-` and `_` are the same).
    pub(crate) fn files(&self, name: &str) -> &[ModuleFile] {
        self.by_name
            .get(&found::normalize_name(name))
            .map_or(&[], Vec::as_slice)
    }

    /// Every module file, whatever its name.
    pub(crate) fn all_files(&self) -> impl Iterator<Item = &ModuleFile> {
        self.by_name.values().flatten()
    }

    /// How many distinct modules were found.
    pub(crate) fn len(&self) -> usize {
        self.by_name.len()
    }
}
