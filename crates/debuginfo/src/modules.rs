//! Module files in directory trees: which file names are kernel modules,
//! under which module name, and the walk that finds them.
//!
//! A module file is `NAME.ko.debug`, `NAME.ko`, `NAME.ko.zst` or
//! `NAME.ko.xz`; module names treat `-` and `_` as the same character, as
//! the kernel does. Discovery (which reads build ids) and the symbolizer
//! (which loads modules by name) both find modules here, so they agree on
//! what a module file is.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// File name endings of module files, most useful first: a `.ko.debug` has
/// the DWARF, a plain `.ko` usually does, compressed ones may.
pub const MODULE_SUFFIXES: &[&str] = &[".ko.debug", ".ko", ".ko.zst", ".ko.xz"];

/// A module file found by [`find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundModule {
    /// The file, as reached from the directory searched.
    pub path: PathBuf,
    /// Its module name, normalized ([`normalize_name`]).
    pub name: String,
}

/// The module name of a module file (as written, not normalized), or
/// `None` if the file name ends in no [`MODULE_SUFFIXES`] entry or is one.
pub fn module_name(path: &Path) -> Option<&str> {
    let file = path.file_name()?.to_str()?;
    MODULE_SUFFIXES
        .iter()
        .find_map(|suffix| file.strip_suffix(suffix))
        .filter(|name| !name.is_empty())
}

/// Module names treat `-` and `_` as the same character: the one spelling
/// names are compared in.
pub fn normalize_name(name: &str) -> String {
    name.replace('-', "_")
}

/// Whether a module file is compressed (`.ko.zst`, `.ko.xz`): its ELF
/// notes cannot be read without decompressing it.
pub fn is_compressed(path: &Path) -> bool {
    module_name(path).is_some() && path.extension().is_some_and(|e| e == "zst" || e == "xz")
}

/// The position of a module file's ending in [`MODULE_SUFFIXES`] (lower is
/// more useful), or its length for any other file.
pub fn suffix_rank(path: &Path) -> usize {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    MODULE_SUFFIXES
        .iter()
        .position(|s| file.ends_with(s))
        .unwrap_or(MODULE_SUFFIXES.len())
}

/// Every module file under `dirs`, recursively, in file-name order within
/// each directory. Symlinks are followed; a symlink back to a directory
/// being walked and a dangling symlink are passed over, so are FIFOs and
/// devices, and a file reached by several paths is found once. Any other
/// error (a directory that does not exist or cannot be read) is yielded,
/// and the walk goes on: the caller decides whether it fails the search.
pub fn find(dirs: &[PathBuf]) -> impl Iterator<Item = std::io::Result<FoundModule>> + '_ {
    let mut seen = HashSet::new();
    dirs.iter()
        .flat_map(|dir| WalkDir::new(dir).follow_links(true).sort_by_file_name())
        .filter_map(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) if error.loop_ancestor().is_some() => return None,
                Err(error)
                    if error.depth() > 0
                        && error
                            .io_error()
                            .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound) =>
                {
                    return None;
                }
                Err(error) => return Some(Err(error.into())),
            };
            // A directory, or a FIFO or device named like a module (whose
            // open would wait, or read forever).
            if !entry.file_type().is_file() {
                return None;
            }
            let path = entry.into_path();
            let name = normalize_name(module_name(&path)?);
            let real = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            seen.insert(real).then_some(Ok(FoundModule { path, name }))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_from_file_names() {
        assert_eq!(module_name(Path::new("a/af_key.ko")), Some("af_key"));
        assert_eq!(module_name(Path::new("x-y.ko.zst")), Some("x-y"));
        assert_eq!(module_name(Path::new("x.ko.debug")), Some("x"));
        assert_eq!(module_name(Path::new("x.ko.xz")), Some("x"));
        assert_eq!(module_name(Path::new("x.o")), None);
        assert_eq!(module_name(Path::new(".ko")), None);
        assert_eq!(module_name(Path::new(".ko.zst")), None);
    }

    #[test]
    fn dash_and_underscore_are_the_same() {
        assert_eq!(normalize_name("snd-hda_intel"), "snd_hda_intel");
    }

    #[test]
    fn compressed_module_files() {
        assert!(is_compressed(Path::new("x.ko.zst")));
        assert!(is_compressed(Path::new("x.ko.xz")));
        assert!(!is_compressed(Path::new("x.ko")));
        assert!(!is_compressed(Path::new("x.ko.debug")));
        assert!(!is_compressed(Path::new("x.tar.xz")));
        assert!(suffix_rank(Path::new("x.ko.debug")) < suffix_rank(Path::new("x.ko")));
        assert!(suffix_rank(Path::new("x.ko")) < suffix_rank(Path::new("x.ko.zst")));
    }

    #[cfg(unix)]
    #[test]
    fn every_module_file_once_through_loops_and_dangling_links() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("kernel/net");
        std::fs::create_dir_all(&sub).unwrap();
        for file in [
            "a-b.ko",
            "a_b.ko.debug",
            "c.ko.zst",
            "d.ko.xz",
            "e.o",
            ".ko",
        ] {
            std::fs::write(sub.join(file), b"").unwrap();
        }
        std::os::unix::fs::symlink(root.path(), sub.join("loop")).unwrap();
        std::os::unix::fs::symlink(sub.join("gone.ko"), sub.join("dangling.ko")).unwrap();
        std::os::unix::fs::symlink(sub.join("c.ko.zst"), sub.join("z.ko")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(sub.join("f.ko"))
            .status();
        assert!(fifo.is_ok_and(|status| status.success()), "mkfifo");
        std::os::unix::fs::symlink("/dev/zero", sub.join("zero.ko")).unwrap();
        let dirs = [root.path().to_owned(), sub.clone()];
        let found: Vec<_> = find(&dirs).map(Result::unwrap).collect();
        let names: Vec<_> = found
            .iter()
            .map(|m| {
                (
                    m.name.as_str(),
                    m.path.file_name().unwrap().to_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("a_b", "a-b.ko"),
                ("a_b", "a_b.ko.debug"),
                ("c", "c.ko.zst"),
                ("d", "d.ko.xz"),
            ]
        );
    }

    #[test]
    fn a_missing_directory_is_an_error_and_the_walk_goes_on() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("m.ko"), b"").unwrap();
        let dirs = [root.path().join("missing"), root.path().to_owned()];
        let found: Vec<_> = find(&dirs).collect();
        assert_eq!(found.len(), 2);
        assert!(found[0].is_err());
        assert_eq!(found[1].as_ref().unwrap().name, "m");
    }
}
