//! Find kernel modules by name in a directory tree, and load them on demand.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use walkdir::WalkDir;

use crate::Error;
use crate::elf::{self, Binary};
use crate::index::{Index, IndexError};

/// File name endings of module files, most useful first: a `.ko.debug` has
/// the DWARF, a plain `.ko` usually does, compressed ones may.
const MODULE_SUFFIXES: &[&str] = &[".ko.debug", ".ko", ".ko.zst", ".ko.xz"];

/// A module file, loaded on first use.
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
        self.build_id
            .get_or_init(|| {
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
        self.index
            .get_or_init(|| {
                let id = self.build_id().ok()??.to_vec();
                match Index::load_by_id(dir, &id) {
                    Ok(index) => Some(index),
                    Err(IndexError::Missing(_)) if !build => None,
                    Err(error)
                        if matches!(error, IndexError::Missing(_)) || error.needs_rebuild() =>
                    {
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
        self.loaded
            .get_or_init(|| {
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
    /// (a symlink back to a directory being searched is not followed
    /// again; a file reached by several paths counts once). A module whose
    /// own line tables show no tree root takes `fallback_roots`.
    pub(crate) fn scan(
        dirs: &[PathBuf],
        fallback_roots: Vec<String>,
    ) -> std::io::Result<ModuleIndex> {
        let mut index = ModuleIndex {
            by_name: HashMap::new(),
            fallback_roots: fallback_roots.into(),
        };
        let mut seen = HashSet::new();
        for dir in dirs {
            index.scan_dir(dir, &mut seen)?;
        }
        for files in index.by_name.values_mut() {
            files.sort_by_key(|f| suffix_rank(&f.path));
        }
        Ok(index)
    }

    /// Add the module files under `dir`; `seen` holds the real paths of
    /// those already added. A directory that cannot be read fails the
    /// scan, except a symlink loop or a dangling symlink, which are passed.
    fn scan_dir(&mut self, dir: &Path, seen: &mut HashSet<PathBuf>) -> std::io::Result<()> {
        let walk = WalkDir::new(dir).follow_links(true).sort_by_file_name();
        for entry in walk {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) if error.loop_ancestor().is_some() => continue,
                Err(error)
                    if error.depth() > 0
                        && error
                            .io_error()
                            .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
                {
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            if entry.file_type().is_dir() {
                continue;
            }
            let path = entry.into_path();
            let Some(name) = module_name(&path) else {
                continue;
            };
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(real) {
                self.by_name
                    .entry(normalize_name(&name))
                    .or_default()
                    .push(ModuleFile::new(path, self.fallback_roots.clone()));
            }
        }
        Ok(())
    }

    /// The files for a module name (`-` and `_` are the same).
    pub(crate) fn files(&self, name: &str) -> &[ModuleFile] {
        self.by_name
            .get(&normalize_name(name))
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

/// The module name of a module file, or `None` if it is not one.
fn module_name(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    MODULE_SUFFIXES
        .iter()
        .find_map(|suffix| file.strip_suffix(suffix))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// Whether a module file is compressed (`.ko.xz`, `.ko.zst`).
fn is_compressed(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".xz") || name.ends_with(".zst")
}

fn suffix_rank(path: &Path) -> usize {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    MODULE_SUFFIXES
        .iter()
        .position(|s| file.ends_with(s))
        .unwrap_or(MODULE_SUFFIXES.len())
}

/// Module names treat `-` and `_` as the same character.
pub(crate) fn normalize_name(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_from_file_names() {
        assert_eq!(
            module_name(Path::new("a/af_key.ko")).as_deref(),
            Some("af_key")
        );
        assert_eq!(module_name(Path::new("x-y.ko.zst")).as_deref(), Some("x-y"));
        assert_eq!(module_name(Path::new("x.ko.debug")).as_deref(), Some("x"));
        assert_eq!(module_name(Path::new("x.ko.xz")).as_deref(), Some("x"));
        assert_eq!(module_name(Path::new("x.o")), None);
        assert_eq!(module_name(Path::new(".ko")), None);
    }

    #[test]
    fn dash_and_underscore_are_the_same() {
        assert_eq!(normalize_name("snd-hda_intel"), "snd_hda_intel");
    }
}
