//! arm64 kernels with ftrace are built with `-fpatchable-function-entry=2`:
//! gcc puts two NOPs at a function's symbol and starts its DWARF range
//! after them, so the first 8 bytes of every function (and a return
//! address `func+0x8`, looked up at `func+0x7`) have no DWARF function,
//! and maybe the line of the code before. kresym names the outer level
//! after the symbol there, as llvm-symbolizer does, and agrees with
//! llvm-symbolizer at every byte; the lookup, the sweep and the index
//! answer alike. Built with gcc-aarch64-linux-gnu at test time; without
//! it the test is skipped, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use kresym_report::PcKind;
use kresym_symbolize::{FrameQuery, Resolution};

#[allow(dead_code)]
mod common;
use common::{assert_sweep_and_index_agree, every_frame, open_path};

/// `before` precedes `target` in the same section, so `target`'s NOPs fall
/// under `before`'s last line row.
const SOURCE: &str = "int __attribute__((noinline)) before(int x)\n\
{\n\
\treturn x * 5 + 1;\n\
}\n\
int __attribute__((noinline)) target(int x)\n\
{\n\
\treturn x * 7 + 3;\n\
}\n\
int entry(int x)\n\
{\n\
\treturn target(x) + before(x);\n\
}\n";

fn build(dir: &Path) -> Option<PathBuf> {
    std::fs::write(dir.join("f.c"), SOURCE).unwrap();
    let program = dir.join("arm64-ftrace");
    Command::new("aarch64-linux-gnu-gcc")
        .current_dir(dir)
        .args([
            "-O2",
            "-g",
            "-fpatchable-function-entry=2",
            "-ffreestanding",
        ])
        .args(["-fno-reorder-functions", "-nostdlib", "-static"])
        .args(["-Wl,--build-id", "-Wl,-e,entry", "f.c", "-o"])
        .arg(&program)
        .status()
        .is_ok_and(|s| s.success())
        .then_some(program)
}

/// llvm-symbolizer's outermost (function, `file:line`) at `address`;
/// `None` for `??:0`.
fn oracle(program: &Path, address: u64) -> (String, Option<String>) {
    let out = Command::new("llvm-symbolizer")
        .arg(format!("--obj={}", program.display()))
        .args(["--functions=linkage", &format!("0x{address:x}")])
        .output()
        .expect("llvm-symbolizer");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<_> = text.lines().filter(|l| !l.is_empty()).collect();
    let [function, location] = lines[lines.len() - 2..] else {
        unreachable!()
    };
    let (file_line, _column) = location.rsplit_once(':').unwrap();
    let location = (!file_line.starts_with("??")).then(|| {
        let (file, line) = file_line.rsplit_once(':').unwrap();
        let file = Path::new(file).file_name().unwrap().to_string_lossy();
        format!("{file}:{line}")
    });
    (function.to_owned(), location)
}

#[test]
fn patchable_entry_nops_are_named_after_the_symbol() {
    let dir = tempfile::tempdir().unwrap();
    let Some(program) = build(dir.path()) else {
        kresym_test_support::require(
            false,
            "gcc-aarch64-linux-gnu (aarch64-linux-gnu-gcc failed)",
        );
        return;
    };
    let dwarf = open_path(&program, &[]);
    let target = dwarf
        .vmlinux()
        .symbols()
        .by_name("target")
        .next()
        .unwrap()
        .clone();
    let mut nameless = 0;
    for offset in 0..target.size {
        let query = FrameQuery::vmlinux("target", offset, target.size, PcKind::ExactPc);
        let Resolution::Resolved(resolved) = dwarf.resolve(query) else {
            panic!("{query:?}");
        };
        let expected = oracle(&program, target.address + offset);
        let outer = resolved.chain.last().expect("a chain");
        let ours = (
            // Past the ELF symbol's st_size (alignment before the next
            // function) llvm-symbolizer names no symbol; the kallsyms
            // size, which kresym uses, still covers it.
            match expected.0.as_str() {
                "??" => "??".to_owned(),
                _ => outer.function.clone().unwrap_or_default(),
            },
            outer.location.as_ref().map(|l| {
                let file = Path::new(&l.file).file_name().unwrap().to_string_lossy();
                format!("{file}:{}", l.line)
            }),
        );
        assert_eq!(ours, expected, "target+0x{offset:x}");
        nameless += usize::from(offset < 8);
    }
    assert_eq!(nameless, 8, "the NOPs were not checked");
    // A return address func+0x8 looks up func+0x7, among the NOPs.
    let query = FrameQuery::vmlinux("target", 8, target.size, PcKind::ReturnAddress);
    let Resolution::Resolved(resolved) = dwarf.resolve(query) else {
        panic!("{query:?}");
    };
    let json = serde_json::to_value(&resolved).unwrap();
    assert_eq!(json["chain"][0]["function"], "target", "{json}");

    let frames = every_frame(&dwarf);
    assert_sweep_and_index_agree(&dwarf, &program, &frames);
}
