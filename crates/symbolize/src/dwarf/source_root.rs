//! Where a kernel's source (and object) tree is, read from the directories
//! its line tables name.
//!
//! Every kernel compilation unit includes headers from `$srctree/include/...`
//! and `$srctree/arch/$ARCH/include/...`; an out-of-tree build also includes
//! generated ones from `$objtree/include/generated` and
//! `$objtree/arch/$ARCH/include/generated`. So a directory `R` such that one
//! unit's line table names both a file under `R/include` and one under
//! `R/arch/*/include` is the root of a tree, wherever it is: in the build
//! directory (in-tree builds), above it (`make O=` beside the source), or
//! anywhere else (`make O=$OUT` with the source elsewhere, where
//! `DW_AT_comp_dir` says nothing about the source).

use std::sync::Arc;

use rayon::prelude::*;

use super::{Reader, Sections};
use crate::paths::normalize;

/// Units whose line tables are read before the roots found so far are
/// taken as the answer: every unit of a kernel names the same trees.
const UNITS_READ: usize = 64;

/// The tree roots (normalized, without a trailing `/`) that the file or
/// directory `paths` of one unit show: each holds both something under
/// `include/` and something under `arch/<arch>/include/` among them.
pub(crate) fn tree_roots<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut with_include: Vec<String> = Vec::new();
    let mut with_arch: Vec<String> = Vec::new();
    for path in paths {
        let parts: Vec<&str> = path.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            if *part != "include" {
                continue;
            }
            let (root, list) = if i >= 2 && parts[i - 2] == "arch" {
                (&parts[..i - 2], &mut with_arch)
            } else {
                (&parts[..i], &mut with_include)
            };
            let root = root.join("/");
            if !list.contains(&root) {
                list.push(root);
            }
        }
    }
    with_include.retain(|root| with_arch.contains(root));
    with_include
}

/// The tree roots of a binary's DWARF (see [`tree_roots`]), from the line
/// tables of its first units (read in parallel); empty when none shows a
/// tree.
pub(crate) fn detect(sections: &Sections) -> Vec<String> {
    let dwarf = &sections.gimli();
    let mut roots: Vec<String> = Vec::new();
    let mut units = dwarf.units();
    let mut read = 0;
    while read < UNITS_READ {
        let mut headers = Vec::new();
        while headers.len() < UNITS_READ - read {
            let Ok(Some(header)) = units.next() else {
                break;
            };
            headers.push(header);
        }
        if headers.is_empty() {
            break;
        }
        let found: Vec<Option<Vec<String>>> = headers
            .into_par_iter()
            .map(|header| unit_roots(sections, dwarf, header))
            .collect();
        for unit in found.into_iter().flatten() {
            read += 1;
            for root in unit {
                if !roots.contains(&root) {
                    roots.push(root);
                }
            }
        }
    }
    roots
}

/// The tree roots one unit's line table shows; `None` when the unit has
/// no line table or cannot be read.
fn unit_roots(
    sections: &Sections,
    dwarf: &gimli::Dwarf<Reader>,
    header: gimli::UnitHeader<Reader>,
) -> Option<Vec<String>> {
    // Only the root is read: its abbreviation alone spares parsing the
    // unit's whole table, most of what making the unit would cost.
    let abbreviations = Arc::new(sections.root_abbreviation(&header)?);
    let unit = gimli::Unit::new_with_abbreviations(dwarf, header, abbreviations).ok()?;
    let program = unit.line_program.as_ref()?;
    let header = program.header();
    let comp_dir = unit
        .comp_dir
        .map(|dir| String::from_utf8_lossy(dir.slice()).into_owned())
        .unwrap_or_default();
    let string = |value| {
        dwarf
            .attr_string(&unit, value)
            .map(|s| String::from_utf8_lossy(s.slice()).into_owned())
            .ok()
    };
    // A file's path as addr2line renders it (clang names headers by
    // paths below the common ancestor of build and source directories,
    // so directory entries alone are not enough). A path's last part
    // counts only if it is `include` (or steps up or stays): otherwise its
    // directory alone shows the same roots, and a unit's hundreds of
    // headers sit in a few dozen directories.
    let mut seen: foldhash::HashSet<String> = Default::default();
    let mut paths = Vec::new();
    // The directories whose plain names (no `/`, not `include`, `..` or
    // `.`) were cut to the directory: every other plain name there is too.
    let mut directories_done: foldhash::HashSet<u64> = Default::default();
    for file in header.file_names() {
        let Ok(name) = dwarf.attr_string(&unit, file.path_name()) else {
            continue;
        };
        let name = name.slice();
        let plain = !name.contains(&b'/') && !matches!(name, b"include" | b".." | b"." | b"");
        if plain && directories_done.contains(&file.directory_index()) {
            continue;
        }
        let mut path = comp_dir.clone();
        if file.directory_index() != 0 {
            let Some(directory) = file.directory(header).and_then(string) else {
                continue;
            };
            path = joined(&path, &directory);
        }
        let mut path = joined(&path, &String::from_utf8_lossy(name));
        if let Some((directory, last)) = path.rsplit_once('/')
            && !matches!(last, "include" | ".." | "." | "")
        {
            path.truncate(directory.len());
            if plain {
                directories_done.insert(file.directory_index());
            }
        }
        if !seen.contains(&path) {
            paths.push(normalize(&path));
            seen.insert(path);
        }
    }
    Some(tree_roots(paths.iter().map(String::as_str)))
}

/// `path` relative to `dir` unless absolute, as addr2line joins them.
fn joined(dir: &str, path: &str) -> String {
    if path.starts_with('/') || dir.is_empty() {
        path.to_owned()
    } else {
        format!("{}/{path}", dir.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_elsewhere_and_objects_in_the_build_directory() {
        // `make O=/tmp/build` from /src/linux (srctree absolute, clang).
        let dirs = [
            "/tmp/build",
            "/src/linux/fs",
            "/src/linux/include/linux",
            "/src/linux/arch/x86/include/asm",
            "/src/linux/include/uapi/linux",
            "/tmp/build/include/generated",
            "/tmp/build/arch/x86/include/generated/asm",
        ];
        assert_eq!(tree_roots(dirs), ["/src/linux", "/tmp/build"]);
    }

    #[test]
    fn a_tree_inside_a_directory_named_like_a_kernel_directory() {
        let dirs = [
            "/home/me/include/kernel/include/linux",
            "/home/me/include/kernel/arch/arm64/include/asm",
        ];
        assert_eq!(tree_roots(dirs), ["/home/me/include/kernel"]);
    }

    #[test]
    fn relative_roots_and_units_without_headers() {
        // Debian: comp_dir and include directories are relative.
        let dirs = [
            "debian/build/build_amd64_none_cloud-amd64/arch/x86/kernel",
            "debian/build/build_amd64_none_cloud-amd64/arch/x86/include/asm",
            "debian/build/build_amd64_none_cloud-amd64/include/linux",
        ];
        assert_eq!(
            tree_roots(dirs),
            ["debian/build/build_amd64_none_cloud-amd64"]
        );
        // An assembler unit with only its own directory shows no tree, nor
        // does a tree with headers of one kind only.
        assert!(tree_roots(["/src/linux/arch/x86/entry"]).is_empty());
        assert!(tree_roots(["/src/linux/include/linux", "/usr/include"]).is_empty());
        assert!(tree_roots(["/x/arch/x86/include/asm"]).is_empty());
    }
}
