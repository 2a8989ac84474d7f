//! What the symbolizer tests share: the sample kernels, and every frame
//! one can be asked about.

use std::path::{Path, PathBuf};

use kresym_report::PcKind;
use kresym_symbolize::{
    Binary, FrameQuery, Index, IndexPolicy, PrintedFrame, Symbolizer, SymbolizerOptions,
};

/// The built sample kernels.
pub fn build() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples/build")
}

/// A symbolizer over the sample kernel `name`.
pub fn open(name: &str, strip_prefixes: &[&str]) -> Symbolizer {
    open_path(&build().join(name), strip_prefixes)
}

/// A symbolizer over the vmlinux at `path`.
pub fn open_path(path: &Path, strip_prefixes: &[&str]) -> Symbolizer {
    let options = SymbolizerOptions {
        module_dirs: Vec::new(),
        strip_prefixes: strip_prefixes.iter().map(|p| p.to_string()).collect(),
    };
    Symbolizer::open(path, options).unwrap()
}

/// One vmlinux frame, owned: function, offset, printed size, pc kind.
pub type Frame = (String, u64, u64, PcKind);

/// A symbolizer over the vmlinux at `path` that looked `frames` up ahead
/// in one sweep, and the share of their addresses the sweep answered.
pub fn swept(path: &Path, strip_prefixes: &[&str], frames: &[Frame]) -> (Symbolizer, f64) {
    let frames = frames.iter().cloned().map(PrintedFrame::from).collect();
    let symbolizer = Symbolizer::builder(Binary::open(path).unwrap())
        .strip_prefixes(strip_prefixes.iter().map(|p| p.to_string()))
        .prefetch(move || frames)
        .build()
        .unwrap();
    let done = symbolizer.prefetched();
    assert!(done.addresses > 0);
    let share = done.answered as f64 / done.addresses as f64;
    (symbolizer, share)
}

/// A symbolizer over the vmlinux at `path` that built its index into `dir`.
pub fn indexed(path: &Path, dir: &Path) -> Symbolizer {
    Symbolizer::builder(Binary::open(path).unwrap())
        .index(IndexPolicy::Build(dir.to_owned()))
        .build()
        .unwrap()
}

/// A symbolizer over the vmlinux at `path` reading the index in `dir`.
pub fn loaded(path: &Path, dir: &Path) -> Symbolizer {
    let binary = Binary::open(path).unwrap();
    let index = Index::load(dir, &binary).unwrap();
    Symbolizer::builder(binary)
        .index(IndexPolicy::Loaded(Box::new(index)))
        .build()
        .unwrap()
}

/// Every frame kresym can be asked about in `symbolizer`'s vmlinux: every
/// symbol, every offset up to its size (and one past), both pc kinds, the
/// right size and a wrong one.
pub fn every_frame(symbolizer: &Symbolizer) -> Vec<Frame> {
    let mut frames = Vec::new();
    for symbol in symbolizer.vmlinux().symbols().iter() {
        // The last symbol's kallsyms size runs to the end of the text region.
        for offset in 0..=symbol.size.min(0x1000) + 1 {
            for pc_kind in [PcKind::ReturnAddress, PcKind::ExactPc] {
                for size in [symbol.size, symbol.size + 0x10] {
                    frames.push((symbol.name.clone(), offset, size, pc_kind));
                }
            }
        }
    }
    frames.push(("no_such_function".into(), 0, 0x10, PcKind::ReturnAddress));
    frames
}

/// The sample reports, parsed.
pub fn sample_reports() -> Vec<kresym_report::Document> {
    std::fs::read_dir(build().join("../reports"))
        .unwrap()
        .map(|entry| kresym_report::parse(std::fs::read(entry.unwrap().path()).unwrap()))
        .collect()
}

/// `found` answers every one of `frames` as `expected` does; `what` names
/// the case in a failure.
pub fn assert_same_answers(
    expected: &Symbolizer,
    found: &Symbolizer,
    frames: &[Frame],
    what: &str,
) {
    for (function, offset, size, pc_kind) in frames {
        let query = FrameQuery::vmlinux(function, *offset, *size, *pc_kind);
        assert_eq!(
            found.resolve(query),
            expected.resolve(query),
            "{what}: {function}+0x{offset:x}/0x{size:x} {pc_kind:?}"
        );
    }
}

/// The sweep (a prefetch of every frame) and a freshly built index of the
/// binary at `path` answer every one of `frames` as `dwarf` (the one-by-one
/// lookup) does. Returns the index directory, for tests that go on with it.
pub fn assert_sweep_and_index_agree(
    dwarf: &Symbolizer,
    path: &Path,
    frames: &[Frame],
) -> tempfile::TempDir {
    let (swept, _) = swept(path, &[], frames);
    assert_same_answers(dwarf, &swept, frames, "sweep");
    let index_dir = tempfile::tempdir().unwrap();
    let indexed = indexed(path, index_dir.path());
    assert_same_answers(dwarf, &indexed, frames, "index");
    index_dir
}

/// `found` answers every address in `addresses`, as both pc kinds, as
/// `expected` does.
pub fn assert_same_at_addresses(
    expected: &Symbolizer,
    found: &Symbolizer,
    addresses: std::ops::Range<u64>,
) {
    for address in addresses {
        for kind in [PcKind::ReturnAddress, PcKind::ExactPc] {
            assert_eq!(
                found.resolve_address(address, kind),
                expected.resolve_address(address, kind),
                "0x{address:x}"
            );
        }
    }
}
