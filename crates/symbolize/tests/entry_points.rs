//! Frames at a function's entry that DWARF alone does not name well, in a
//! program built by gcc at test time:
//!
//! - `__pfx_X+0x10/0x10`: x86's 16 bytes of padding before `X` (Linux 6.2
//!   and later, `-fpatchable-function-entry=16,16`, the `__pfx_` symbol
//!   added as objtool adds it). The return address is `X`'s entry: kresym
//!   shows `X`'s first line there and says so (`padding_entry`).
//! - An address DWARF has lines but no subprogram for (here assembly
//!   without `.type @function`, for which gas writes none; in a kernel,
//!   arm64's `-fpatchable-function-entry` NOPs before a function's DWARF
//!   range): the outer level is named after the symbol, as llvm-symbolizer
//!   names it.
//!
//! The expected lines and names come from llvm-symbolizer; the lookup, the
//! sweep and the index answer every frame alike. Without gcc, objcopy and
//! llvm-symbolizer the test is skipped, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use kresym_report::PcKind;
use kresym_symbolize::{FrameQuery, Resolution, Resolved, Symbolizer};

#[allow(dead_code)]
mod common;
use common::{assert_sweep_and_index_agree, every_frame, open_path};

const C_SOURCE: &str = "int __attribute__((noinline)) target(int x)\n\
{\n\
\treturn x * 7 + 3;\n\
}\n\
int asm_func(void);\n\
int main(int argc, char **argv)\n\
{\n\
\t(void)argv;\n\
\treturn target(argc) + asm_func();\n\
}\n";

const ASM_SOURCE: &str = "\t.text\n\
\t.globl asm_func\n\
asm_func:\n\
\tnop\n\
\txor %eax, %eax\n\
\tret\n\
\t.size asm_func, .-asm_func\n\
\t.section .note.GNU-stack,\"\",@progbits\n";

fn run(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap())
}

/// `nm`'s address of `name` in `file`.
fn nm_address(file: &Path, name: &str) -> Option<u64> {
    run(Command::new("nm").arg(file))?.lines().find_map(|line| {
        match line.split_whitespace().collect::<Vec<_>>()[..] {
            [address, _, symbol] if symbol == name => u64::from_str_radix(address, 16).ok(),
            _ => None,
        }
    })
}

/// The program, with `__pfx_target` before `target`.
fn build(dir: &Path) -> Option<PathBuf> {
    std::fs::write(dir.join("x.c"), C_SOURCE).unwrap();
    std::fs::write(dir.join("s.S"), ASM_SOURCE).unwrap();
    let object = dir.join("x.o");
    run(Command::new("gcc")
        .current_dir(dir)
        .args([
            "-O2",
            "-g",
            "-fpatchable-function-entry=16,16",
            "-c",
            "x.c",
            "-o",
        ])
        .arg(&object))?;
    run(Command::new("gcc")
        .current_dir(dir)
        .args(["-g", "-c", "s.S", "-o", "s.o"]))?;
    // In the object, `target`'s address is its offset in `.text`.
    let entry = nm_address(&object, "target")?;
    let main = nm_address(&object, "main")?;
    run(Command::new("objcopy")
        .arg(format!(
            "--add-symbol=__pfx_target=.text:0x{:x},local,function",
            entry.checked_sub(16)?
        ))
        // clang's kCFI preamble symbol is `__cfi_X`, with the same layout.
        .arg(format!(
            "--add-symbol=__cfi_main=.text.startup:0x{:x},local,function",
            main.checked_sub(16)?
        ))
        .arg(&object))?;
    let program = dir.join("entry-points");
    run(Command::new("gcc")
        .current_dir(dir)
        .args(["x.o", "s.o", "-Wl,--build-id", "-o"])
        .arg(&program))?;
    Some(program)
}

/// llvm-symbolizer's outermost (function, file name, line) at `address`.
fn oracle(program: &Path, address: u64) -> (String, String, u32) {
    let text = run(Command::new("llvm-symbolizer")
        .arg(format!("--obj={}", program.display()))
        .args(["--functions=linkage", &format!("0x{address:x}")]))
    .unwrap();
    let lines: Vec<_> = text.lines().filter(|l| !l.is_empty()).collect();
    let [function, location] = lines[lines.len() - 2..] else {
        unreachable!()
    };
    let mut parts = location.rsplitn(3, ':');
    let _column = parts.next();
    let line = parts.next().unwrap().parse().unwrap();
    let file = Path::new(parts.next().unwrap()).file_name().unwrap();
    (
        function.to_owned(),
        file.to_string_lossy().into_owned(),
        line,
    )
}

/// The outermost level of `resolved` as (function, file name, line).
fn outer(resolved: &Resolved) -> (String, String, u32) {
    let level = resolved.chain.last().expect("a chain");
    let location = level.location.clone().expect("a line");
    let file = Path::new(&location.file).file_name().unwrap();
    (
        level.function.clone().unwrap_or_default(),
        file.to_string_lossy().into_owned(),
        location.line,
    )
}

fn resolved(symbolizer: &Symbolizer, query: FrameQuery<'_>) -> Resolved {
    match symbolizer.resolve(query) {
        Resolution::Resolved(resolved) => resolved,
        other => panic!("{query:?}: {other:?}"),
    }
}

#[test]
fn padding_and_nameless_entries_resolve_as_llvm_symbolizer_says() {
    let dir = tempfile::tempdir().unwrap();
    let Some(program) = build(dir.path()) else {
        kresym_test_support::require(
            false,
            "gcc, objcopy and nm (the program could not be built)",
        );
        return;
    };
    let dwarf = open_path(&program, &[]);
    let entry = nm_address(&program, "target").unwrap();
    assert_eq!(nm_address(&program, "__pfx_target"), Some(entry - 16));

    // `__pfx_target+0x10/0x10`: target's entry, and its first line.
    let padding = resolved(
        &dwarf,
        FrameQuery::vmlinux("__pfx_target", 0x10, 0x10, PcKind::ReturnAddress),
    );
    assert_eq!((padding.pc, padding.lookup_pc), (entry, entry));
    assert!(padding.padding_entry);
    assert_eq!(outer(&padding), oracle(&program, entry));
    let json = serde_json::to_value(&padding).unwrap();
    assert_eq!(json["padding_entry"], true);
    // `__cfi_main+0x10/0x10`: the same for clang's kCFI preamble.
    let main = nm_address(&program, "main").unwrap();
    assert_eq!(nm_address(&program, "__cfi_main"), Some(main - 16));
    let cfi = resolved(
        &dwarf,
        FrameQuery::vmlinux("__cfi_main", 0x10, 0x10, PcKind::ReturnAddress),
    );
    assert_eq!(
        (cfi.pc, cfi.lookup_pc, cfi.padding_entry),
        (main, main, true)
    );
    assert_eq!(outer(&cfi), oracle(&program, main));
    // Inside the padding, nothing changes.
    let inside = resolved(
        &dwarf,
        FrameQuery::vmlinux("__pfx_target", 0x8, 0x10, PcKind::ReturnAddress),
    );
    assert_eq!((inside.lookup_pc, inside.padding_entry), (entry - 9, false));

    // An assembly function: its unit's DWARF has its lines, not its name.
    let dwarf_dump = run(Command::new("llvm-dwarfdump")
        .arg("--debug-info")
        .arg(dir.path().join("s.o")))
    .unwrap();
    assert!(!dwarf_dump.contains("DW_TAG_subprogram"), "{dwarf_dump}");
    let asm = nm_address(&program, "asm_func").unwrap();
    let size = dwarf
        .vmlinux()
        .symbols()
        .by_name("asm_func")
        .next()
        .unwrap()
        .size;
    for offset in 0..3 {
        let frame = resolved(
            &dwarf,
            FrameQuery::vmlinux("asm_func", offset, size, PcKind::ExactPc),
        );
        assert_eq!(outer(&frame), oracle(&program, asm + offset), "+{offset}");
    }

    // The sweep and the index answer every frame, these included, alike.
    let frames = every_frame(&dwarf);
    assert_sweep_and_index_agree(&dwarf, &program, &frames);
}
