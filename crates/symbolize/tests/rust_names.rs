//! Rust functions, as Rust code in the kernel has them: DWARF names them
//! by their mangled linkage names, v0 (`_RNv...`) or legacy (`_ZN...E`).
//! kresym shows them demangled, as llvm-symbolizer does (legacy names
//! without the `::h<hash>` llvm-symbolizer keeps), at every offset of
//! every Rust function, and the lookup, the sweep and the index agree.
//! Built by rustc at test time.

use std::path::{Path, PathBuf};
use std::process::Command;

use kresym_report::PcKind;
use kresym_symbolize::{FrameQuery, Resolution};

#[allow(dead_code)]
mod common;
use common::{assert_same_answers, open_path};

const SOURCE: &str = "#[inline(never)]\n\
pub fn outer_fn(x: u32) -> u32 { inner_fn(x) * 3 }\n\
#[inline(always)]\n\
fn inner_fn(x: u32) -> u32 { x.wrapping_mul(7) + std::hint::black_box(1) }\n\
fn main() { std::process::exit(outer_fn(std::env::args().count() as u32) as i32); }\n";

fn build(dir: &Path, mangling: &str) -> PathBuf {
    std::fs::write(dir.join("m.rs"), SOURCE).unwrap();
    let program = dir.join(format!("m-{mangling}"));
    let mut rustc = Command::new("rustc");
    rustc
        .current_dir(dir)
        .args(["-O", "-g", "-C", "link-arg=-Wl,--build-id"]);
    // Legacy is the default; asking for it by name is unstable.
    if mangling == "v0" {
        rustc.arg("-Csymbol-mangling-version=v0");
    }
    let status = rustc.args(["m.rs", "-o"]).arg(&program).status().unwrap();
    assert!(status.success());
    program
}

/// llvm-symbolizer's function names at `address`, innermost first.
fn oracle(program: &Path, address: u64) -> Vec<String> {
    let out = Command::new("llvm-symbolizer")
        .arg(format!("--obj={}", program.display()))
        .args(["--inlining", &format!("0x{address:x}")])
        .output()
        .expect("llvm-symbolizer");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<_> = text.lines().filter(|l| !l.is_empty()).collect();
    if lines.first() == Some(&"??") {
        // The padding after the function: nothing there.
        return Vec::new();
    }
    lines
        .chunks(2)
        .map(|pair| {
            let name = pair[0];
            // A legacy name's hash: `::h` and 16 hex digits.
            match name.rsplit_once("::h") {
                Some((path, hash))
                    if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
                {
                    path.to_owned()
                }
                _ => name.to_owned(),
            }
        })
        .collect()
}

#[test]
fn rust_names_are_demangled_as_llvm_symbolizer_does() {
    for mangling in ["v0", "legacy"] {
        let dir = tempfile::tempdir().unwrap();
        let program = build(dir.path(), mangling);
        let dwarf = open_path(&program, &[]);
        let symbol = dwarf
            .vmlinux()
            .symbols()
            .iter()
            .find(|s| s.name.contains("8outer_fn"))
            .unwrap()
            .clone();
        let mut frames: Vec<common::Frame> = Vec::new();
        let mut inlined = 0;
        for offset in 0..symbol.size {
            let query = FrameQuery::vmlinux(&symbol.name, offset, symbol.size, PcKind::ExactPc);
            let Resolution::Resolved(resolved) = dwarf.resolve(query) else {
                panic!("{query:?}");
            };
            // The symbol stays as the kernel prints it.
            assert_eq!(resolved.symbol, symbol.name);
            let ours: Vec<_> = resolved
                .chain
                .iter()
                .map(|level| level.function.clone().unwrap_or_default())
                .collect();
            assert_eq!(
                ours,
                oracle(&program, symbol.address + offset),
                "{mangling} +0x{offset:x}"
            );
            if let Some(outer) = ours.last() {
                assert_eq!(outer, "m::outer_fn");
                inlined += ours.len() - 1;
            }
            frames.push((symbol.name.clone(), offset, symbol.size, PcKind::ExactPc));
        }
        assert!(inlined > 0, "{mangling}: nothing inlined");
        let (swept, _) = common::swept(&program, &[], &frames);
        assert_same_answers(&dwarf, &swept, &frames, mangling);
        let index_dir = tempfile::tempdir().unwrap();
        let indexed = common::indexed(&program, index_dir.path());
        assert_same_answers(&dwarf, &indexed, &frames, mangling);
    }
}
