//! Corrupt DWARF never panics: every debug section of the sample vmlinux and
//! module, in turn, is overwritten with pseudo-random bytes, zeroed or cut
//! short, and every symbol is then symbolized. Each lookup must return
//! (with or without an inline chain), a sweep must answer as the one-by-one
//! lookup does, and unaffected files still load.

use std::path::{Path, PathBuf};

use kresym_report::PcKind;
use kresym_symbolize::{Binary, FrameQuery, PrintedFrame, Symbolizer, SymbolizerOptions};
use object::{Object, ObjectSection};

fn build() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples/build")
}

/// A xorshift stream, so failures reproduce.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Symbolize every symbol of `file` at a few offsets, as both pc kinds,
/// one by one and after a sweep (which reads the raw bytes of DIEs and line
/// programs itself); how many answers the two disagree on.
fn symbolize_everything(file: &Path) -> usize {
    let Ok(symbolizer) = Symbolizer::open(file, SymbolizerOptions::default()) else {
        return 0;
    };
    let symbols: Vec<_> = symbolizer.vmlinux().symbols().iter().cloned().collect();
    let mut queries = Vec::new();
    for symbol in &symbols {
        for offset in [0, 1, symbol.size / 2, symbol.size.saturating_sub(1)] {
            for pc_kind in [PcKind::ReturnAddress, PcKind::ExactPc] {
                queries.push(FrameQuery::vmlinux(
                    &symbol.name,
                    offset,
                    symbol.size,
                    pc_kind,
                ));
            }
        }
    }
    let frames: Vec<_> = queries
        .iter()
        .map(|q| PrintedFrame::from((q.function.to_owned(), q.offset, q.size, q.pc_kind)))
        .collect();
    let Ok(binary) = Binary::open(file) else {
        return 0;
    };
    let Ok(swept) = Symbolizer::builder(binary).prefetch(move || frames).build() else {
        return 0;
    };
    queries
        .iter()
        .filter(|&&query| swept.resolve(query) != symbolizer.resolve(query))
        .count()
}

#[test]
fn corrupt_debug_sections_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["vmlinux-dwarf5", "vmlinux-dwarf4", "samplemod.ko"] {
        let original = std::fs::read(build().join(name)).unwrap();
        let sections: Vec<(String, usize, usize)> = {
            let file = object::File::parse(&*original).unwrap();
            file.sections()
                .filter_map(|s| {
                    let name = s.name().ok()?.to_owned();
                    let (offset, size) = s.file_range()?;
                    (name.contains("debug")).then_some((name, offset as usize, size as usize))
                })
                .collect()
        };
        assert!(sections.len() >= 5, "{name}: {sections:?}");
        for (section, offset, size) in &sections {
            for (variant, seed) in [("noise", 1u64), ("noise", 2), ("zero", 0), ("half", 0)] {
                let mut bytes = original.clone();
                let range = *offset..offset + size;
                match variant {
                    "noise" => bytes[range].copy_from_slice(&noise(seed, *size)),
                    "zero" => bytes[range].fill(0),
                    // Keep the first half, then a unit header that claims too much.
                    _ => bytes[offset + size / 2..offset + size].fill(0xff),
                }
                let file = dir
                    .path()
                    .join(format!("{name}-{section}-{variant}-{seed}"));
                std::fs::write(&file, &bytes).unwrap();
                let disagreements = symbolize_everything(&file);
                assert_eq!(disagreements, 0, "{name} {section} {variant} {seed}");
                let _ = Binary::from_vec(file.clone(), bytes);
            }
        }
    }
}

/// Found by this test: a return address of 0 looked up `u64::MAX`, and
/// addr2line's `probe + 1` overflowed (a panic in debug builds). Reachable
/// from a report through a module's first function at offset 0, or a huge
/// offset that wraps around to 0 for a name with several candidates.
#[test]
fn return_address_zero_does_not_overflow() {
    let options = SymbolizerOptions {
        module_dirs: vec![build()],
        strip_prefixes: Vec::new(),
    };
    let symbolizer = Symbolizer::open(&build().join("vmlinux-dwarf5"), options).unwrap();
    let module = Binary::open(&build().join("samplemod.ko")).unwrap();
    let first = module.symbols().iter().next().unwrap();
    assert_eq!(first.address, 0);
    let kthread = symbolizer
        .vmlinux()
        .symbols()
        .by_name("kthread")
        .next()
        .unwrap();
    let report = format!(
        "Call Trace:\n {}+0x0/0x{:x} [samplemod]\n kthread+0x{:x}/0xffffffffffffffff\n",
        first.name,
        first.size,
        kthread.address.wrapping_neg(),
    );
    let document = kresym_report::parse(report);
    let symbols = symbolizer.symbolize_document(&document);
    assert_eq!(symbols.counts().frames, 2, "{:?}", document.lines);
}

/// Found by the `elf` fuzzer (with overflow checks): a module whose section
/// headers (moved by a changed `e_shoff`) claim sizes and alignments near
/// 2^64 overflowed the module layout.
#[test]
fn module_layout_with_huge_sections_does_not_overflow() {
    let mut bytes = std::fs::read(build().join("samplemod.ko")).unwrap();
    bytes.truncate(6696);
    for (offset, value) in [(41, 17), (353, 151), (5583, 255)] {
        bytes[offset] = value;
    }
    if let Ok(binary) = Binary::from_vec("fuzzed.ko".into(), bytes.clone()) {
        let _ = binary.symbols().iter().count();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fuzzed.ko");
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(symbolize_everything(&file), 0);
}

/// Found by the `elf` fuzzer: a compressed section whose header claims an
/// absurd uncompressed size must be an error (the allocation is fallible),
/// not an abort.
#[test]
fn compressed_section_claiming_exabytes_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let compressed = dir.path().join("vmlinux-zlib");
    let made = std::process::Command::new("objcopy")
        .arg("--compress-debug-sections=zlib")
        .arg(build().join("vmlinux-dwarf5"))
        .arg(&compressed)
        .status()
        .is_ok_and(|s| s.success());
    if !kresym_test_support::require(made, "`objcopy --compress-debug-sections=zlib`") {
        return;
    }
    let mut bytes = std::fs::read(&compressed).unwrap();
    let (header, _) = object::File::parse(&*bytes)
        .unwrap()
        .section_by_name(".debug_aranges")
        .unwrap()
        .file_range()
        .unwrap();
    // Elf64_Chdr: ch_type (4), ch_reserved (4), ch_size (8), ch_addralign (8).
    let size = header as usize + 8;
    bytes[size..size + 8].copy_from_slice(&0x1000_0000_0000_05d0u64.to_le_bytes());
    let error = Binary::from_vec(compressed.clone(), bytes).unwrap_err();
    assert!(error.to_string().contains(".debug_aranges"), "{error}");
}
