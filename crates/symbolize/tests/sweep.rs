//! A batch's inline chains looked up ahead, unit by unit
//! ([`kresym_symbolize::SymbolizerBuilder::prefetch`]), are exactly the chains the one-by-one DWARF
//! lookup gives; and the sweep answers all of them itself.
//!
//! The expected answers are the DWARF lookup's own, computed now (and that
//! lookup is checked against llvm-symbolizer in `oracle.rs`).

use kresym_report::PcKind;
use kresym_symbolize::FrameQuery;

#[allow(dead_code)]
mod common;
use common::{
    assert_same_answers, assert_same_at_addresses, build, every_frame, open, open_path,
    sample_reports, swept,
};

#[test]
fn prefetched_chains_equal_dwarf_for_every_frame() {
    for name in ["vmlinux-dwarf5", "vmlinux-dwarf4"] {
        for strip in [&[][..], &["/build/kresym-sample"][..], &["/build"][..]] {
            let dwarf = open(name, strip);
            let frames = every_frame(&dwarf);
            let (swept, answered) = swept(&build().join(name), strip, &frames);
            // All of them: frames in no unit too (past the end of the last
            // function, whose kallsyms size runs to the end of the text),
            // with a data-only unit (init/init_task.c) declaring no range.
            assert_eq!(answered, 1.0, "{name} {strip:?}");
            assert_same_answers(&dwarf, &swept, &frames, &format!("{name} {strip:?}"));
        }
    }
}

#[test]
fn prefetched_chains_equal_dwarf_at_every_address() {
    let dwarf = open("vmlinux-dwarf5", &[]);
    let symbols: Vec<_> = dwarf.vmlinux().symbols().iter().cloned().collect();
    let first = symbols.first().unwrap().address;
    let last = symbols.last().unwrap().address + 0x100;
    // Every address as an exact pc, through the symbol holding it.
    let frames: Vec<common::Frame> = (first..last)
        .filter_map(|address| {
            let symbol = symbols.iter().rev().find(|s| s.address <= address)?;
            Some((
                symbol.name.clone(),
                address - symbol.address,
                symbol.size,
                PcKind::ExactPc,
            ))
        })
        .collect();
    let (swept, answered) = swept(&build().join("vmlinux-dwarf5"), &[], &frames);
    assert_eq!(answered, 1.0);
    assert_same_at_addresses(&dwarf, &swept, first - 0x40..last);
}

#[test]
fn sample_reports_symbolize_identically_after_a_prefetch() {
    let dwarf = open("vmlinux-dwarf5", &[]);
    let documents = sample_reports();
    let frames: Vec<common::Frame> = documents
        .iter()
        .flat_map(|document| {
            document.lines.iter().filter_map(|line| match &line.kind {
                kresym_report::LineKind::Frame(frame) if frame.module.is_none() => Some((
                    frame.function.clone(),
                    frame.offset,
                    frame.size,
                    frame.pc_kind,
                )),
                _ => None,
            })
        })
        .collect();
    let (swept, _) = swept(&build().join("vmlinux-dwarf5"), &[], &frames);
    let done = swept.prefetched();
    assert!(
        done.answered > 20 && done.answered == done.addresses,
        "{done:?}"
    );
    for document in &documents {
        let expected = dwarf.symbolize_document(document);
        let found = swept.symbolize_document(document);
        assert_eq!(found.lines, expected.lines);
        assert_eq!(found.checks, expected.checks);
    }
}

/// The sample kernel compressed by dwz, as Fedora and RHEL ship kernel
/// debuginfo: DIEs shared by units move to partial units, which the units
/// import (`DW_TAG_imported_unit`) and refer into with `DW_FORM_ref_addr`.
/// The sweep still answers every frame, exactly as the lookup does.
#[test]
fn prefetched_chains_equal_dwarf_in_a_dwz_compressed_kernel() {
    if !kresym_test_support::tool("dwz") || !kresym_test_support::tool("readelf") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let compressed = dir.path().join("vmlinux-dwz");
    let status = std::process::Command::new("dwz")
        .arg("-o")
        .arg(&compressed)
        .arg(build().join("vmlinux-dwarf5"))
        .status()
        .unwrap();
    assert!(status.success());
    let refers_out = std::process::Command::new("readelf")
        .arg("--debug-dump=abbrev")
        .arg(&compressed)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&refers_out.stdout).contains("DW_FORM_ref_addr"),
        "dwz made no references between units"
    );
    let dwarf = open_path(&compressed, &[]);
    let frames = every_frame(&dwarf);
    let (swept, answered) = swept(&compressed, &[], &frames);
    assert_eq!(answered, 1.0);
    assert_same_answers(&dwarf, &swept, &frames, "dwz");
}

/// A program built with gcc's link-time optimisation, whose inlined calls
/// name their functions through `DW_AT_abstract_origin` in
/// `DW_FORM_ref_addr`, into the early-debug units. The sweep declines
/// those names (it reads one unit at a time) and the lookup, which follows
/// them, answers instead: the answers are the same.
#[test]
fn names_behind_references_to_other_units_are_left_to_the_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        (
            "a.c",
            "static inline int helper(int x) { return x * 3 + 1; }\n\
             int __attribute__((noinline)) use_a(int v) { return helper(v) + helper(v + 1); }\n",
        ),
        (
            "b.c",
            "int use_a(int v);\n\
             int main(int argc, char **argv) { (void)argv; return use_a(argc); }\n",
        ),
    ];
    for (name, text) in sources {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let program = dir.path().join("lto");
    let built = std::process::Command::new("gcc")
        .current_dir(dir.path())
        .args(["-O2", "-g", "-flto", "a.c", "b.c", "-o"])
        .arg(&program)
        .status()
        .is_ok_and(|status| status.success());
    if !kresym_test_support::require(built, "`gcc -flto`") {
        return;
    }
    let dwarf = open_path(&program, &[]);
    let frames: Vec<common::Frame> = every_frame(&dwarf)
        .into_iter()
        .filter(|(function, ..)| function == "use_a")
        .collect();
    assert!(!frames.is_empty());
    let (swept, answered) = swept(&program, &[], &frames);
    assert!(answered < 1.0, "the sweep answered everything: {answered}");
    assert_same_answers(&dwarf, &swept, &frames, "lto");
    // And the lookup does name the inlined helper.
    let inlined = frames.iter().any(|(function, offset, size, kind)| {
        let query = FrameQuery::vmlinux(function, *offset, *size, *kind);
        format!("{:?}", dwarf.resolve(query)).contains("\"helper\"")
    });
    assert!(inlined, "no frame names the inlined helper");
}

/// clang writes `.debug_aranges` for C units only with `-gdwarf-aranges`:
/// in the clang sample kernels, as in a clang-built kernel, only the
/// assembler units have them. The sweep still answers every frame of the
/// plain clang build, from the units' own ranges, exactly as the lookup
/// does; and at least 40% of the ThinLTO build's (whose inlined calls may name
/// their functions in other units, which the sweep leaves to the lookup).
#[test]
fn prefetched_chains_equal_dwarf_in_clang_kernels_without_c_aranges() {
    for (name, least) in [("clang-dwarf5", 1.0), ("clang-thinlto", 0.4)] {
        let path = build().join("../variants").join(name).join("vmlinux");
        let dwarf = open_path(&path, &[]);
        let frames = every_frame(&dwarf);
        let (swept, answered) = swept(&path, &[], &frames);
        assert!(answered >= least, "{name}: the sweep answered {answered}");
        assert_same_answers(&dwarf, &swept, &frames, name);
    }
}
