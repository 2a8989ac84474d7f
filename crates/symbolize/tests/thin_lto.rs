//! A program built as kernels built with clang's ThinLTO are: statics it
//! promotes are renamed `name.llvm.<hash>`, and kernels since 6.1 print
//! them as `name` (`cleanup_symbol_name`). Such frames resolve to the
//! promoted symbol (by name, then by size), as the kernel named it, and the
//! lookup, the sweep and the index all answer alike. Built with `-gdwarf-5`
//! and `--build-id` by clang and ld.lld at test time; without them the
//! test is skipped, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use kresym_report::PcKind;
use kresym_symbolize::{FrameQuery, Resolution};

#[allow(dead_code)]
mod common;
use common::{assert_same_answers, assert_sweep_and_index_agree, open_path};

/// Two units with a static `helper` each; `use_a`, imported into the other
/// unit, makes ThinLTO promote (and rename) the first one.
fn build_thin_lto(dir: &Path) -> Option<PathBuf> {
    let sources = [
        (
            "a.c",
            "static int __attribute__((noinline)) helper(int x) { return x * 3 + 1; }\n\
             int use_a(int v) { return helper(v) + 1; }\n",
        ),
        (
            "b.c",
            "int use_a(int v);\n\
             static int __attribute__((noinline)) helper(int x) { return x * 5 + 2; }\n\
             int main(int argc, char **argv) { (void)argv; return use_a(argc) + helper(argc); }\n",
        ),
    ];
    for (name, text) in sources {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let program = dir.join("thin-lto");
    let built = Command::new("clang")
        .current_dir(dir)
        .args(["-O2", "-g", "-gdwarf-5", "-flto=thin", "-fuse-ld=lld"])
        .args(["-Wl,--build-id", "a.c", "b.c", "-o"])
        .arg(&program)
        .status()
        .is_ok_and(|status| status.success());
    if !built {
        kresym_test_support::require(
            false,
            "clang and ld.lld (clang -flto=thin -fuse-ld=lld failed)",
        );
        return None;
    }
    Some(program)
}

/// `nm`'s text symbols whose names carry ThinLTO's suffix: (name, address).
fn promoted_symbols(program: &Path) -> Vec<(String, u64)> {
    let out = Command::new("nm").arg(program).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let [address, "t" | "T", name] = line.split_whitespace().collect::<Vec<_>>()[..] else {
                return None;
            };
            name.contains(".llvm.")
                .then(|| (name.to_owned(), u64::from_str_radix(address, 16).unwrap()))
        })
        .collect()
}

/// The outermost function llvm-symbolizer names at `address` (its
/// `DW_AT_name`).
fn oracle_function(program: &Path, address: u64) -> String {
    let out = Command::new("llvm-symbolizer")
        .arg(format!("--obj={}", program.display()))
        .args(["--functions=short", &format!("0x{address:x}")])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<_> = text.lines().filter(|l| !l.is_empty()).collect();
    lines[lines.len() - 2].to_owned()
}

#[test]
fn promoted_statics_resolve_by_the_name_the_kernel_prints() {
    let dir = tempfile::tempdir().unwrap();
    let Some(program) = build_thin_lto(dir.path()) else {
        return;
    };
    let promoted = promoted_symbols(&program);
    assert!(
        promoted
            .iter()
            .any(|(name, _)| name.starts_with("helper.llvm.")),
        "clang promoted no static: {promoted:?}"
    );
    let dwarf = open_path(&program, &[]);
    let sizes: std::collections::HashMap<_, _> = dwarf
        .vmlinux()
        .symbols()
        .iter()
        .map(|s| (s.name.clone(), s.size))
        .collect();
    let mut frames: Vec<common::Frame> = Vec::new();
    for (name, address) in &promoted {
        let printed = &name[..name.find(".llvm.").unwrap()];
        let size = sizes[name];
        for offset in 0..=size {
            for pc_kind in [PcKind::ReturnAddress, PcKind::ExactPc] {
                if pc_kind == PcKind::ExactPc && offset == size {
                    continue;
                }
                let query = FrameQuery::vmlinux(printed, offset, size, pc_kind);
                let Resolution::Resolved(resolved) = dwarf.resolve(query) else {
                    panic!(
                        "{printed}+0x{offset:x}/0x{size:x}: {:?}",
                        dwarf.resolve(query)
                    );
                };
                assert_eq!(
                    (&resolved.symbol, resolved.symbol_address),
                    (name, *address)
                );
                // Exactly what the full name gives.
                let full = FrameQuery::vmlinux(name, offset, size, pc_kind);
                assert_eq!(dwarf.resolve(query), dwarf.resolve(full));
                frames.push((printed.to_owned(), offset, size, pc_kind));
            }
        }
        // The function there, as llvm-symbolizer names it.
        let query = FrameQuery::vmlinux(printed, 1, size, PcKind::ExactPc);
        let Resolution::Resolved(resolved) = dwarf.resolve(query) else {
            unreachable!()
        };
        let outer = resolved.chain.last().and_then(|l| l.function.clone());
        assert_eq!(
            outer,
            Some(oracle_function(&program, address + 1)),
            "{name}"
        );
    }
    // The sweep and the index answer the printed names alike.
    let index_dir = assert_sweep_and_index_agree(&dwarf, &program, &frames);
    let loaded = common::loaded(&program, index_dir.path());
    assert_same_answers(&dwarf, &loaded, &frames, "loaded index");
}
