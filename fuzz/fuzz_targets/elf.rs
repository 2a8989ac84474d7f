//! ELF/DWARF loading of mutated sample binaries: the sample vmlinux and
//! module files (DWARF 4 and 5, and copies with zlib, zstd and `.zdebug`
//! compressed debug sections when objcopy can make them), truncated and
//! with bytes changed as the input says. Loading must fail with an error
//! or succeed; what loads is then symbolized symbol by symbol.
//!
//! Input: a sample selector byte, a truncation (4 bytes, little endian,
//! 0 for none), then 5-byte patches (4-byte offset, 1 byte XORed there).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kresym_report::PcKind;
use kresym_symbolize::{Binary, FrameQuery, Symbolizer};
use libfuzzer_sys::fuzz_target;

#[path = "patch.rs"]
mod patch;

fn samples() -> &'static [Vec<u8>] {
    static SAMPLES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vmlinux-samples/build");
        let mut out = Vec::new();
        for name in [
            "vmlinux-dwarf5",
            "vmlinux-dwarf4",
            "samplemod.ko",
            "samplemod-dwarf4.ko",
        ] {
            out.push(std::fs::read(dir.join(name)).expect("sample"));
        }
        let tmp = std::env::temp_dir().join(format!("kresym-fuzz-elf-{}", std::process::id()));
        for kind in ["zlib", "zstd", "zlib-gnu"] {
            let to = tmp.with_extension(kind);
            let ok = std::process::Command::new("objcopy")
                .arg(format!("--compress-debug-sections={kind}"))
                .arg(dir.join("vmlinux-dwarf5"))
                .arg(&to)
                .status()
                .is_ok_and(|s| s.success());
            if ok && let Ok(bytes) = std::fs::read(&to) {
                out.push(bytes);
            }
            let _ = std::fs::remove_file(&to);
        }
        out
    })
}

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("kresym-fuzz-elf-{}.bin", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let [which, t0, t1, t2, t3, patches @ ..] = data else {
        return;
    };
    let samples = samples();
    let sample = &samples[*which as usize % samples.len()];
    let bytes = patch::patched(sample, [*t0, *t1, *t2, *t3], patches);
    let Ok(binary) = Binary::from_vec("fuzz.elf".into(), bytes.clone()) else {
        return;
    };
    let symbols: Vec<_> = binary.symbols().iter().take(64).cloned().collect();
    drop(binary);
    // The DWARF is read through a Symbolizer, which opens a path.
    std::fs::write(scratch(), &bytes).expect("scratch file");
    let Ok(binary) = Binary::open(scratch()) else {
        return;
    };
    let mut builder = Symbolizer::builder(binary);
    // Half the inputs go through a sweep first (raw DIE and line-program bytes).
    if t0 & 1 == 1 {
        let frames = symbols
            .iter()
            .flat_map(|symbol| {
                [0, 1, symbol.size / 2, symbol.size]
                    .map(|offset| (symbol.name.clone(), offset, symbol.size, PcKind::ReturnAddress).into())
            })
            .collect();
        builder = builder.prefetch(move || frames);
    }
    let Ok(symbolizer) = builder.build() else {
        return;
    };
    for symbol in &symbols {
        for offset in [0, 1, symbol.size / 2, symbol.size] {
            for pc_kind in [PcKind::ReturnAddress, PcKind::ExactPc] {
                let query = FrameQuery::vmlinux(&symbol.name, offset, symbol.size, pc_kind);
                let _ = symbolizer.resolve(query);
            }
        }
        let _ = symbolizer.resolve_address(
            symbol.address.wrapping_add(symbol.size / 2),
            PcKind::ExactPc,
        );
    }
});
