//! Turn the paths DWARF records into kernel-tree-relative paths.
//!
//! DWARF paths are the compiler's view: a build directory joined with a
//! source path, sometimes absolute, sometimes with `..` in it. Distribution
//! kernels build out of tree (Debian: `debian/build/build_amd64_none_cloud-amd64/fs/read_write.c`
//! for C files, `/build/.../linux-6.1.187/arch/x86/entry/entry_64.S` for
//! assembler), or beside the source (`make O=../out`:
//! `/home/u/out/../linux-source-6.1/fs/namespace.c`). Reports want
//! `fs/read_write.c`.

use std::path::{Component, Path};

/// Top-level directories of a Linux kernel tree.
const KERNEL_TOP_DIRS: &[&str] = &[
    "arch", "block", "certs", "crypto", "drivers", "fs", "include", "init", "io_uring", "ipc",
    "kernel", "lib", "mm", "net", "rust", "samples", "scripts", "security", "sound", "tools",
    "usr", "virt",
];

/// Strips build and source directory prefixes from DWARF paths.
#[derive(Debug, Clone, Default)]
pub struct PathCleaner {
    /// Tree roots found in the DWARF (see `dwarf::source_root`), each
    /// ending in `/`, longest first: stripped before anything else.
    roots: Vec<String>,
    /// Prefixes to strip, longest first.
    prefixes: Vec<String>,
}

impl PathCleaner {
    /// A cleaner for a binary whose units were compiled in `comp_dirs`.
    ///
    /// Each compilation directory is stripped, and so is each of its
    /// ancestors when what remains starts with a kernel top-level directory
    /// (an out-of-tree build's source tree is an ancestor of its build
    /// directory).
    pub fn from_comp_dirs<'a>(comp_dirs: impl IntoIterator<Item = &'a str>) -> Self {
        let mut prefixes = Vec::new();
        for dir in comp_dirs {
            let dir = normalize(dir);
            let mut current = Some(Path::new(&dir));
            while let Some(path) = current {
                let text = path.to_string_lossy();
                if !text.is_empty() && text != "/" {
                    prefixes.push(format!("{}/", text.trim_end_matches('/')));
                }
                current = path.parent();
            }
        }
        Self::with_prefixes(prefixes)
    }

    /// A cleaner that strips exactly these prefixes (`--strip-prefix`).
    pub fn with_prefixes(prefixes: impl IntoIterator<Item = String>) -> Self {
        let mut prefixes: Vec<String> = prefixes
            .into_iter()
            .map(|p| if p.ends_with('/') { p } else { format!("{p}/") })
            .collect();
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        prefixes.dedup();
        PathCleaner {
            roots: Vec::new(),
            prefixes,
        }
    }

    /// This cleaner, stripping first the tree roots `roots` that the
    /// binary's line tables show (see `dwarf::source_root`), wherever they
    /// are relative to the compilation directory.
    pub(crate) fn with_roots(mut self, roots: &[String]) -> Self {
        self.roots = roots
            .iter()
            .filter(|root| !root.is_empty() && *root != "/")
            .map(|root| format!("{}/", root.trim_end_matches('/')))
            .collect();
        self.roots.sort_by_key(|p| std::cmp::Reverse(p.len()));
        self
    }

    /// The kernel-tree-relative form of a DWARF path.
    pub fn clean(&self, path: &str) -> String {
        let path = normalize(path);
        for root in &self.roots {
            if let Some(rest) = path.strip_prefix(root.as_str())
                && !rest.is_empty()
            {
                return rest.to_owned();
            }
        }
        // The longest prefix after which a kernel path starts.
        for prefix in &self.prefixes {
            if let Some(rest) = path.strip_prefix(prefix.as_str())
                && starts_with_top_dir(rest)
            {
                return rest.to_owned();
            }
        }
        // Out of tree (`make O=$OUT` beside the source): what follows a
        // common ancestor of build and source is the source directory's
        // name, then the tree (`linux-source-6.1/fs/namespace.c`).
        for prefix in &self.prefixes {
            if let Some(rest) = path.strip_prefix(prefix.as_str())
                && let Some(tree) = tree_below_source_dir(rest)
            {
                return tree.to_owned();
            }
        }
        // A prefix whose remainder is not a known kernel directory is still
        // stripped when it is the compilation directory itself.
        for prefix in &self.prefixes {
            if let Some(rest) = path.strip_prefix(prefix.as_str())
                && !rest.is_empty()
            {
                return rest.to_owned();
            }
        }
        path.trim_start_matches("./").to_owned()
    }
}

/// The kernel path after the first directory of `path` that is not a
/// kernel top-level directory, when one follows it (its source directory).
fn tree_below_source_dir(path: &str) -> Option<&str> {
    let (first, tree) = path.split_once('/')?;
    (!first.is_empty() && !first.starts_with('.') && starts_with_top_dir(tree)).then_some(tree)
}

fn starts_with_top_dir(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or_default();
    path.contains('/') && KERNEL_TOP_DIRS.contains(&first)
}

/// Resolve `.` and `..` components lexically; keeps a leading `/`.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let absolute = path.starts_with('/');
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().unwrap_or_default()),
            Component::ParentDir => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two comp_dirs found in Debian's 6.1.0-53-cloud-amd64 vmlinux.
    fn debian() -> PathCleaner {
        PathCleaner::from_comp_dirs([
            "debian/build/build_amd64_none_cloud-amd64",
            "/build/reproducible-path/linux-6.1.187/debian/build/build_amd64_none_cloud-amd64",
        ])
    }

    #[test]
    fn debian_c_file_in_build_dir() {
        assert_eq!(
            debian().clean("debian/build/build_amd64_none_cloud-amd64/fs/read_write.c"),
            "fs/read_write.c"
        );
    }

    #[test]
    fn debian_absolute_assembler_path_with_dotdot() {
        assert_eq!(
            debian().clean(
                "/build/reproducible-path/linux-6.1.187/arch/x86/kernel/../../x86/xen/xen-head.S"
            ),
            "arch/x86/xen/xen-head.S"
        );
        assert_eq!(
            debian().clean("/build/reproducible-path/linux-6.1.187/arch/x86/entry/entry_64.S"),
            "arch/x86/entry/entry_64.S"
        );
    }

    #[test]
    fn build_dir_named_like_a_kernel_dir_is_not_confused() {
        // `kernel` is both a top-level directory and part of this build path.
        let cleaner = PathCleaner::from_comp_dirs(["/home/me/src/kernel"]);
        assert_eq!(
            cleaner.clean("/home/me/src/kernel/kernel/fork.c"),
            "kernel/fork.c"
        );
        assert_eq!(cleaner.clean("/home/me/src/kernel/mm/slub.c"), "mm/slub.c");
    }

    #[test]
    fn out_of_tree_build_beside_the_source() {
        // `make O=/home/u/out` in /home/u/linux-source-6.1: clang records
        // paths relative to the build directory.
        let cleaner = PathCleaner::from_comp_dirs(["/home/u/out"]);
        assert_eq!(
            cleaner.clean("/home/u/out/../linux-source-6.1/fs/namespace.c"),
            "fs/namespace.c"
        );
        assert_eq!(
            cleaner.clean("/home/u/linux-source-6.1/include/linux/fs.h"),
            "include/linux/fs.h"
        );
        // Generated files stay relative to the build directory.
        assert_eq!(
            cleaner.clean("/home/u/out/include/generated/autoconf.h"),
            "include/generated/autoconf.h"
        );
        assert_eq!(
            cleaner.clean("/home/u/out/./arch/x86/include/generated/asm/orc_hash.h"),
            "arch/x86/include/generated/asm/orc_hash.h"
        );
        // Nothing kernel-like below the source directory: unchanged rule.
        assert_eq!(cleaner.clean("/home/u/notes/x.c"), "notes/x.c");
    }

    #[test]
    fn tree_roots_found_in_the_dwarf_come_first() {
        // `make O=/tmp/build/x86` from /src/tree/linux: the compilation
        // directory is no ancestor of the source.
        let roots = ["/src/tree/linux".to_owned(), "/tmp/build/x86".to_owned()];
        let cleaner = PathCleaner::from_comp_dirs(["/tmp/build/x86"]).with_roots(&roots);
        assert_eq!(
            cleaner.clean("/src/tree/linux/fs/namespace.c"),
            "fs/namespace.c"
        );
        assert_eq!(
            cleaner.clean("/tmp/build/x86/include/generated/autoconf.h"),
            "include/generated/autoconf.h"
        );
        // Without them the source keeps its directories.
        assert_eq!(
            PathCleaner::from_comp_dirs(["/tmp/build/x86"]).clean("/src/tree/linux/fs/namespace.c"),
            "/src/tree/linux/fs/namespace.c"
        );
        // Empty and `/` roots strip nothing.
        let cleaner = PathCleaner::from_comp_dirs(None).with_roots(&["".into(), "/".into()]);
        assert_eq!(cleaner.clean("/src/x.c"), "/src/x.c");
    }

    #[test]
    fn explicit_prefix_and_unknown_paths() {
        let cleaner = PathCleaner::with_prefixes(["/src/linux".to_owned()]);
        assert_eq!(cleaner.clean("/src/linux/net/core/dev.c"), "net/core/dev.c");
        assert_eq!(cleaner.clean("./net/core/dev.c"), "net/core/dev.c");
        assert_eq!(cleaner.clean("/elsewhere/x.c"), "/elsewhere/x.c");
    }
}
