//! The sample kernel as clang users build theirs: DWARF 5, `-flto=thin`
//! linked by ld.lld (promoted statics renamed `foo.llvm.<hash>`, inlined
//! calls across units through `DW_FORM_ref_addr`), out of tree: objects in
//! `out/` and sources in `linux-source-6.1/` beside it (`make O=` from a
//! sibling, paths relative to the build directory), or sources anywhere
//! else (kbuild then names them by absolute paths that share nothing with
//! `DW_AT_comp_dir`). Built at test time from `vmlinux-samples/`.
//!
//! Every address of every function is asked for as the kernel prints its
//! frame (the name cut at `.llvm.`) and compared with llvm-symbolizer
//! (`nm`'s addresses, its inline chain, its paths made relative to the
//! source directory by hand); the sweep and the index answer alike.
//! Without clang and ld.lld the test is skipped, except under `CI=true`.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use kresym_report::PcKind;
use kresym_symbolize::kallsyms::printed_name;
use kresym_symbolize::{FrameQuery, Resolution};

#[allow(dead_code)]
mod common;
use common::{assert_sweep_and_index_agree, open_path};

const CFLAGS: &[&str] = &[
    "-O2",
    "-nostdinc",
    "-ffreestanding",
    "-fno-pie",
    "-fno-pic",
    "-fno-omit-frame-pointer",
    "-fno-optimize-sibling-calls",
    "-fno-stack-protector",
    "-fno-strict-aliasing",
    "-fno-common",
    "-fno-asynchronous-unwind-tables",
    "-mno-red-zone",
    "-mgeneral-regs-only",
    "-Wno-unused-function",
    "-gdwarf-5",
    "-flto=thin",
];

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples")
}

/// The x86-64 vmlinux sources, as `cargo xtask samples` lists them: its
/// `X86_64` head sources, `COMMON_SOURCES`, then its tail sources.
fn kernel_sources() -> Vec<String> {
    let xtask = std::fs::read_to_string(samples().join("../xtask/src/samples.rs")).unwrap();
    // The quoted strings of the `[...]` list after `start` in `text`.
    let list = |text: &str, start: &str| -> Vec<String> {
        let rest = text.split(start).nth(1).unwrap();
        rest[..rest.find(']').unwrap()]
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    let x86 = xtask.split("const X86_64: Arch").nth(1).unwrap();
    let mut sources = list(x86, "head: &[");
    sources.extend(list(&xtask, "const COMMON_SOURCES: &[&str] = &["));
    sources.extend(list(x86, "tail: &["));
    sources
}

/// Where the build puts sources and objects.
#[derive(Clone, Copy)]
enum Layout {
    /// `DIR/linux-source-6.1` and `DIR/out`, sources named `../linux-source-6.1/...`.
    Beside,
    /// `DIR/src/tree/linux` and `DIR/obj/x86`, sources named by absolute paths.
    Elsewhere,
}

impl Layout {
    /// The source and object directories in `dir`.
    fn dirs(self, dir: &Path) -> (PathBuf, PathBuf) {
        match self {
            Layout::Beside => (dir.join("linux-source-6.1"), dir.join("out")),
            Layout::Elsewhere => (dir.join("src/tree/linux"), dir.join("obj/x86")),
        }
    }

    /// How the compiler is told about the source tree.
    fn source_name(self, source: &Path) -> String {
        match self {
            Layout::Beside => "../linux-source-6.1".to_owned(),
            Layout::Elsewhere => source.display().to_string(),
        }
    }
}

/// Build `vmlinux` in `dir` laid out as `layout`, or `None` when clang or
/// ld.lld fail.
fn build(dir: &Path, layout: Layout) -> Option<PathBuf> {
    let (source, out) = layout.dirs(dir);
    let named = layout.source_name(&source);
    std::fs::create_dir_all(&source).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    for top in [
        "arch", "include", "init", "kernel", "lib", "mm", "net", "drivers",
    ] {
        let copied = Command::new("cp")
            .arg("-r")
            .arg(samples().join(top))
            .arg(&source)
            .status()
            .unwrap();
        assert!(copied.success());
    }
    let mut objects = Vec::new();
    for src in kernel_sources() {
        let object = format!("{}.o", src.replace('/', "_"));
        let compiled = Command::new("clang")
            .current_dir(&out)
            .args(CFLAGS)
            .arg(format!("-I{named}/include"))
            .arg(format!("-I{named}/arch/x86/include"))
            .arg("-c")
            .arg(format!("{named}/{src}"))
            .arg("-o")
            .arg(&object)
            .status()
            .is_ok_and(|s| s.success());
        if !compiled {
            return None;
        }
        objects.push(object);
    }
    let linked = Command::new("clang")
        .current_dir(&out)
        .args(["-fuse-ld=lld", "-flto=thin", "-nostdlib", "-static"])
        .args(["-Wl,-e,startup_64", "-Wl,--build-id=sha1", "-o", "vmlinux"])
        .args(&objects)
        .status()
        .is_ok_and(|s| s.success());
    linked.then(|| out.join("vmlinux"))
}

/// Resolve `.` and `..` lexically.
fn normalize(path: &str) -> PathBuf {
    let mut clean = PathBuf::new();
    for component in Path::new(path).components() {
        match component {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

/// One level: function (empty for the outermost), and file and line
/// unless the line is 0.
type Level = (String, Option<(String, u32)>);

/// llvm-symbolizer's chains at `addresses`, paths relative to `root`.
fn llvm_symbolize(object: &Path, addresses: &[u64], root: &Path) -> Vec<Vec<Level>> {
    kresym_test_support::llvm_chains(object, addresses)
        .into_iter()
        .map(|chain| {
            if chain.first().is_some_and(|level| level.function == "??") {
                return Vec::new();
            }
            chain
                .into_iter()
                .map(|level| {
                    let file = normalize(&level.file);
                    let file = file.strip_prefix(root).unwrap_or(&file);
                    let location =
                        (level.line != 0).then(|| (file.display().to_string(), level.line));
                    (level.function, location)
                })
                .collect()
        })
        .collect()
}

#[test]
fn out_of_tree_thin_lto_kernel_agrees_with_llvm_symbolizer() {
    agrees_with_llvm_symbolizer(Layout::Beside);
}

/// The source root is found from the line tables' include directories:
/// `DW_AT_comp_dir` (`DIR/obj/x86`) says nothing about `DIR/src/tree/linux`.
#[test]
fn source_tree_elsewhere_gives_tree_relative_paths() {
    agrees_with_llvm_symbolizer(Layout::Elsewhere);
}

fn agrees_with_llvm_symbolizer(layout: Layout) {
    let dir = tempfile::tempdir().unwrap();
    let Some(vmlinux) = build(dir.path(), layout) else {
        kresym_test_support::require(
            false,
            "clang and ld.lld (clang -flto=thin or ld.lld failed)",
        );
        return;
    };
    let root = normalize(&layout.dirs(dir.path()).0.display().to_string());
    let dwarf = open_path(&vmlinux, &[]);
    let symbols: Vec<_> = dwarf.vmlinux().symbols().iter().cloned().collect();
    assert!(
        symbols.iter().any(|s| s.name.contains(".llvm.")),
        "ThinLTO renamed no static"
    );
    let abbrev = Command::new("llvm-dwarfdump")
        .arg("--debug-abbrev")
        .arg(&vmlinux)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&abbrev.stdout).contains("DW_FORM_ref_addr"));
    let mut by_printed: HashMap<(&str, u64), usize> = HashMap::new();
    for symbol in &symbols {
        *by_printed
            .entry((printed_name(&symbol.name), symbol.size))
            .or_default() += 1;
    }
    // Every byte of every function, as an exact pc, under its printed name.
    let mut frames: Vec<common::Frame> = Vec::new();
    let mut addresses = Vec::new();
    for symbol in &symbols {
        let printed = printed_name(&symbol.name);
        if by_printed[&(printed, symbol.size)] > 1 {
            continue;
        }
        for offset in 0..symbol.size.min(0x400) {
            frames.push((printed.to_owned(), offset, symbol.size, PcKind::ExactPc));
            addresses.push(symbol.address + offset);
        }
    }
    let expected = llvm_symbolize(&vmlinux, &addresses, &root);
    assert_eq!(expected.len(), addresses.len());
    let (mut renamed, mut inlined) = (0, 0);
    for ((frame, address), mut expected) in frames.iter().zip(&addresses).zip(expected) {
        let (function, offset, size, kind) = frame;
        let query = FrameQuery::vmlinux(function, *offset, *size, *kind);
        let Resolution::Resolved(resolved) = dwarf.resolve(query) else {
            panic!(
                "{function}+0x{offset:x}/0x{size:x}: {:?}",
                dwarf.resolve(query)
            );
        };
        assert_eq!(resolved.pc, *address, "{function}+0x{offset:x}");
        renamed += usize::from(resolved.symbol != *function);
        let mut ours: Vec<Level> = resolved
            .chain
            .iter()
            .map(|level| {
                (
                    level.function.clone().unwrap_or_default(),
                    level.location.as_ref().map(|l| (l.file.clone(), l.line)),
                )
            })
            .collect();
        // The outermost name is the symbol's (see oracle.rs); a lone level
        // without a line (llvm-symbolizer's `name` and `??:0`) says no more
        // than no chain.
        for levels in [&mut ours, &mut expected] {
            if let Some(outer) = levels.last_mut() {
                outer.0.clear();
            }
            if levels.len() == 1 && levels[0].1.is_none() {
                levels.clear();
            }
        }
        assert_eq!(ours, expected, "{function}+0x{offset:x}/0x{size:x}");
        inlined += ours.len().saturating_sub(1);
    }
    eprintln!(
        "{} addresses, {renamed} of .llvm. symbols, {inlined} inlined levels",
        frames.len()
    );
    assert!(renamed > 0 && inlined > 0);

    assert_sweep_and_index_agree(&dwarf, &vmlinux, &frames);
}
