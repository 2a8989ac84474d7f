//! Find debug files in local debug directories.
//!
//! For each root (by default `/usr/lib/debug`, then `/`):
//!
//! - a vmlinux by release: `ROOT/boot/vmlinux-RELEASE`,
//!   `ROOT/lib/modules/RELEASE/vmlinux` (Fedora's layout) and
//!   `ROOT/lib/modules/RELEASE/build/vmlinux` (a build tree);
//! - modules by release: the directory `ROOT/lib/modules/RELEASE/`;
//! - any file by build id: `ROOT/.build-id/xx/rest.debug`, where `xx` is the
//!   first byte of the build id in hex and `rest` the others.
//!
//! Every file found is checked against the build id or release asked for.

use std::path::{Path, PathBuf};

use crate::elf::{self, ElfIds};
use crate::{Error, Result, normalize_build_id};

/// The roots searched when the user names none.
pub const DEFAULT_ROOTS: &[&str] = &["/usr/lib/debug", "/"];

/// Debug directory roots, searched in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugDirs {
    roots: Vec<PathBuf>,
}

/// A file found and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file.
    pub path: PathBuf,
    /// Its build id and release.
    pub ids: ElfIds,
}

/// What a lookup found, and where it looked.
#[derive(Debug, Default)]
pub struct Search {
    /// The first file that exists and passes the check.
    pub found: Option<Found>,
    /// Every path looked at, in order (including the one found).
    pub looked: Vec<PathBuf>,
    /// Files that exist but were rejected: unreadable, or a mismatch.
    pub rejected: Vec<Error>,
}

impl DebugDirs {
    /// These roots, or [`DEFAULT_ROOTS`] when `roots` is empty.
    pub fn new(roots: Vec<PathBuf>) -> DebugDirs {
        let roots = if roots.is_empty() {
            DEFAULT_ROOTS.iter().map(PathBuf::from).collect()
        } else {
            roots
        };
        DebugDirs { roots }
    }

    /// The roots, in search order.
    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    /// The places a vmlinux of `release` may be, in search order.
    pub fn vmlinux_candidates(&self, release: &str) -> Vec<PathBuf> {
        let release = path_component(release);
        self.roots
            .iter()
            .flat_map(|root| {
                let modules = root.join("lib/modules").join(release);
                [
                    root.join("boot").join(format!("vmlinux-{release}")),
                    modules.join("vmlinux"),
                    modules.join("build/vmlinux"),
                ]
            })
            .collect()
    }

    /// The vmlinux of `release`, checked against it (a file without
    /// `linux_banner` cannot be checked and is taken on its name).
    pub fn vmlinux_by_release(&self, release: &str) -> Search {
        search(self.vmlinux_candidates(release), |path, ids| {
            ids.check_release(&path.display().to_string(), release)
        })
    }

    /// The places a file of `build_id` may be: `ROOT/.build-id/xx/rest.debug`.
    pub fn build_id_candidates(&self, build_id: &str) -> Result<Vec<PathBuf>> {
        let id = normalize_build_id(build_id)?;
        let (first, rest) = id.split_at(2);
        Ok(self
            .roots
            .iter()
            .map(|root| {
                root.join(".build-id")
                    .join(first)
                    .join(format!("{rest}.debug"))
            })
            .collect())
    }

    /// The file of `build_id`, checked against it.
    pub fn by_build_id(&self, build_id: &str) -> Result<Search> {
        let id = normalize_build_id(build_id)?;
        Ok(search(self.build_id_candidates(&id)?, |path, ids| {
            ids.check_build_id(&path.display().to_string(), &id)
        }))
    }

    /// The module directories of `release` that exist: `ROOT/lib/modules/RELEASE`.
    pub fn module_dirs(&self, release: &str) -> Vec<PathBuf> {
        let release = path_component(release);
        self.roots
            .iter()
            .map(|root| root.join("lib/modules").join(release))
            .filter(|dir| dir.is_dir())
            .collect()
    }
}

/// A release is one path component: anything else is not looked up.
fn path_component(release: &str) -> &str {
    if release.is_empty() || release.contains('/') || release == "." || release == ".." {
        "invalid-release"
    } else {
        release
    }
}

fn search(candidates: Vec<PathBuf>, check: impl Fn(&Path, &ElfIds) -> Result<()>) -> Search {
    let mut result = Search::default();
    for path in candidates {
        result.looked.push(path.clone());
        if !path.is_file() {
            continue;
        }
        match elf::read(&path).and_then(|ids| check(&path, &ids).map(|()| ids)) {
            Ok(ids) => {
                result.found = Some(Found { path, ids });
                break;
            }
            Err(error) => result.rejected.push(error),
        }
    }
    result
}

/// A directory of module files found by build id (in `.build-id` trees or
/// downloaded), under their module names, so that a symbolizer that looks
/// for modules by name in directories finds them: `DIR/ID/NAME.ko` links to
/// the file. Removed when dropped.
#[derive(Debug)]
pub struct ModuleStage {
    dir: tempfile::TempDir,
    count: usize,
}

impl ModuleStage {
    /// An empty stage in the system's temporary directory.
    pub fn new() -> Result<ModuleStage> {
        let dir = tempfile::Builder::new()
            .prefix("kresym-modules.")
            .tempdir()
            .map_err(|error| Error::Io {
                path: std::env::temp_dir(),
                error,
            })?;
        Ok(ModuleStage { dir, count: 0 })
    }

    /// The directory to search for modules.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// How many modules were added.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no module was added.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Make `file` (the module `name` with `build_id`) findable as `name.ko`.
    pub fn add(&mut self, name: &str, build_id: &str, file: &Path) -> Result<PathBuf> {
        let id = normalize_build_id(build_id)?;
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = self.dir.path().join(id);
        let io = |path: &Path, error| Error::Io {
            path: path.to_owned(),
            error,
        };
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let link = dir.join(format!("{name}.ko"));
        let file = std::path::absolute(file).map_err(|e| io(file, e))?;
        if !link.exists() {
            link_or_copy(&file, &link).map_err(|e| io(&link, e))?;
            self.count += 1;
        }
        Ok(link)
    }
}

#[cfg(unix)]
fn link_or_copy(file: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(file, link)
}

#[cfg(not(unix))]
fn link_or_copy(file: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(file, link).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../vmlinux-samples/build")
            .join(name)
    }

    const MODULE_ID: &str = "bfb1bebb62dee0a8409a54e06f5072d854965096";

    #[test]
    fn vmlinux_is_found_by_release_in_the_second_root() {
        let empty = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let boot = root.path().join("boot");
        std::fs::create_dir_all(&boot).unwrap();
        std::fs::copy(
            sample("vmlinux-dwarf5"),
            boot.join("vmlinux-6.1.0-kresym-sample"),
        )
        .unwrap();
        std::fs::create_dir_all(root.path().join("lib/modules/6.1.0-kresym-sample")).unwrap();
        let dirs = DebugDirs::new(vec![empty.path().into(), root.path().into()]);
        let search = dirs.vmlinux_by_release("6.1.0-kresym-sample");
        let found = search.found.expect("found");
        assert_eq!(found.path, boot.join("vmlinux-6.1.0-kresym-sample"));
        assert_eq!(search.looked.len(), 4);
        assert_eq!(
            dirs.module_dirs("6.1.0-kresym-sample"),
            [root.path().join("lib/modules/6.1.0-kresym-sample")]
        );
        let missing = dirs.vmlinux_by_release("6.2.0");
        assert!(missing.found.is_none());
        assert_eq!(missing.looked.len(), 6);
        assert!(dirs.vmlinux_by_release("../../etc").found.is_none());
    }

    #[test]
    fn files_are_found_and_checked_by_build_id() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(".build-id/bf");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            sample("samplemod.ko"),
            dir.join(format!("{}.debug", &MODULE_ID[2..])),
        )
        .unwrap();
        let dirs = DebugDirs::new(vec![root.path().into()]);
        let search = dirs.by_build_id(&MODULE_ID.to_uppercase()).unwrap();
        assert!(search.found.is_some(), "{search:?}");

        // A file under the wrong name is rejected, naming both ids.
        let wrong = "cd14acd5579b83039d9c3ce824b8583f5b671f3d";
        let dir = root.path().join(".build-id/cd");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            sample("samplemod.ko"),
            dir.join(format!("{}.debug", &wrong[2..])),
        )
        .unwrap();
        let search = dirs.by_build_id(wrong).unwrap();
        assert!(search.found.is_none());
        let error = search.rejected[0].to_string();
        assert!(
            error.contains(wrong) && error.contains(MODULE_ID),
            "{error}"
        );
        assert!(dirs.by_build_id("nothex").is_err());
    }

    #[test]
    fn staged_modules_keep_their_names() {
        let mut stage = ModuleStage::new().unwrap();
        let link = stage
            .add("samplemod", MODULE_ID, &sample("samplemod.ko"))
            .unwrap();
        assert!(link.ends_with(format!("{MODULE_ID}/samplemod.ko")));
        assert_eq!(
            elf::read(&link).unwrap().build_id.as_deref(),
            Some(MODULE_ID)
        );
        assert_eq!(stage.len(), 1);
        stage
            .add("samplemod", MODULE_ID, &sample("samplemod.ko"))
            .unwrap();
        assert_eq!(stage.len(), 1);
    }
}
