//! Loading and reading a damaged persisted index of the sample vmlinux.
//!
//! Input: a flag byte (bit 0: recompute the checksum after patching, so
//! that validation passes and the lookups see the damage), a truncation
//! (4 bytes, little endian, 0 for none), then 5-byte patches (4-byte
//! offset, 1 byte XORed there). A changed file whose checksum was not
//! recomputed must be refused; whatever loads must answer every frame
//! without a panic, and the undamaged index exactly as DWARF does.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kresym_report::PcKind;
use kresym_symbolize::kallsyms::TextSymbol;
use kresym_symbolize::{Binary, FrameQuery, Index, IndexPolicy, Symbolizer, SymbolizerOptions};
use libfuzzer_sys::fuzz_target;

#[path = "patch.rs"]
mod patch;

fn vmlinux() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vmlinux-samples/build/vmlinux-dwarf5")
}

/// A scratch index directory, the good index file in it and its bytes, the
/// sample's symbols, and a symbolizer reading DWARF.
struct Fixture {
    dir: PathBuf,
    path: PathBuf,
    good: Vec<u8>,
    symbols: Vec<TextSymbol>,
    dwarf: Symbolizer,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kresym-fuzz-index-{}", std::process::id()));
        let builder = Symbolizer::builder(Binary::open(&vmlinux()).unwrap())
            .index(IndexPolicy::Build(dir.clone()))
            .build()
            .unwrap();
        let path = builder.index().unwrap().path().to_owned();
        let good = std::fs::read(&path).unwrap();
        let dwarf = Symbolizer::open(&vmlinux(), SymbolizerOptions::default()).unwrap();
        let symbols = dwarf.vmlinux().symbols().iter().cloned().collect();
        Fixture {
            dir,
            path,
            good,
            symbols,
            dwarf,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let [flags, t0, t1, t2, t3, patches @ ..] = data else {
        return;
    };
    let fixture = fixture();
    let mut bytes = patch::patched(&fixture.good, [*t0, *t1, *t2, *t3], patches);
    let rechecksummed = flags & 1 != 0 && bytes.len() >= 24;
    if rechecksummed {
        let sum = xxhash_rust::xxh3::xxh3_64(&bytes[24..]);
        bytes[16..24].copy_from_slice(&sum.to_le_bytes());
    }
    std::fs::write(&fixture.path, &bytes).unwrap();
    let binary = Binary::open(&vmlinux()).unwrap();
    let index = Index::load(&fixture.dir, &binary);
    let loaded = index.is_ok();
    let symbolizer = Symbolizer::builder(binary)
        .index(index.map_or(IndexPolicy::Off, |index| IndexPolicy::Loaded(Box::new(index))))
        .build()
        .unwrap();
    let damaged = bytes != fixture.good;
    assert!(
        !(loaded && damaged && !rechecksummed),
        "a damaged index with a stale checksum was accepted"
    );
    if !loaded {
        return;
    }
    for symbol in &fixture.symbols {
        for offset in [0, 1, symbol.size / 2, symbol.size] {
            let query =
                FrameQuery::vmlinux(&symbol.name, offset, symbol.size, PcKind::ReturnAddress);
            let answer = symbolizer.resolve(query);
            if !damaged {
                assert_eq!(answer, fixture.dwarf.resolve(query));
            }
        }
        let _ = symbolizer.resolve_address(symbol.address + symbol.size / 2, PcKind::ExactPc);
    }
});
