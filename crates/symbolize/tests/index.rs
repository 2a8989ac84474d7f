//! The persisted index answers exactly what DWARF answers, and a damaged,
//! stale or foreign index is refused rather than used.
//!
//! The expected answers are not stored anywhere: they are the DWARF
//! lookup's own, computed now (and the DWARF lookup itself is checked
//! against llvm-symbolizer in `oracle.rs`).

use std::path::{Path, PathBuf};

use kresym_report::PcKind;
use kresym_symbolize::{
    Binary, FrameQuery, Index, IndexDir, IndexError, IndexPolicy, Symbolizer, SymbolizerBuilder,
    SymbolizerOptions,
};

#[allow(dead_code)]
mod common;
use common::{
    assert_same_answers, assert_same_at_addresses, build, every_frame, open, sample_reports,
};

/// How to open a symbolizer over the sample `name`.
fn builder(name: &str, strip_prefixes: &[&str]) -> SymbolizerBuilder<'static> {
    Symbolizer::builder(Binary::open(&build().join(name)).unwrap())
        .strip_prefixes(strip_prefixes.iter().map(|p| p.to_string()))
}

/// Symbolizer over `name` reading the index in `dir`, and the index file.
fn indexed(name: &str, dir: &Path, strip_prefixes: &[&str]) -> (Symbolizer, PathBuf) {
    let builder = builder(name, strip_prefixes);
    let index = Index::load(dir, builder.vmlinux()).unwrap();
    let path = index.path().to_owned();
    let symbolizer = builder
        .index(IndexPolicy::Loaded(Box::new(index)))
        .build()
        .unwrap();
    (symbolizer, path)
}

/// Symbolizer over `name` that built its index into `dir`.
fn build_index(name: &str, dir: &Path, strip_prefixes: &[&str]) -> Symbolizer {
    builder(name, strip_prefixes)
        .index(IndexPolicy::Build(dir.to_owned()))
        .build()
        .unwrap()
}

/// Both symbolizers answer the same for every frame; how many frames.
fn assert_same_everywhere(dwarf: &Symbolizer, index: &Symbolizer) -> usize {
    let frames = every_frame(dwarf);
    assert_same_answers(dwarf, index, &frames, "index");
    frames.len()
}

#[test]
fn index_answers_what_dwarf_answers_for_every_frame() {
    for name in ["vmlinux-dwarf5", "vmlinux-dwarf4"] {
        for strip in [&[][..], &["/build/kresym-sample"][..], &["/build"][..]] {
            let dir = tempfile::tempdir().unwrap();
            let dwarf = open(name, strip);
            let built = build_index(name, dir.path(), strip);
            let (loaded, _) = indexed(name, dir.path(), strip);
            assert!(loaded.index().is_some() && dwarf.index().is_none());
            let compared = assert_same_everywhere(&dwarf, &loaded);
            assert!(compared > 50_000, "{name}: only {compared} frames");
            assert_same_everywhere(&dwarf, &built);
        }
    }
}

#[test]
fn index_answers_what_dwarf_answers_for_every_address() {
    let dir = tempfile::tempdir().unwrap();
    let dwarf = open("vmlinux-dwarf5", &[]);
    build_index("vmlinux-dwarf5", dir.path(), &[]);
    let (index, _) = indexed("vmlinux-dwarf5", dir.path(), &[]);
    let symbols: Vec<_> = dwarf.vmlinux().symbols().iter().cloned().collect();
    let first = symbols.first().unwrap().address;
    let last = symbols.last().unwrap().address + 0x100;
    assert_same_at_addresses(&dwarf, &index, first - 0x40..last);
}

#[test]
fn sample_reports_symbolize_identically_from_the_index() {
    let dir = tempfile::tempdir().unwrap();
    build_index("vmlinux-dwarf5", dir.path(), &[]);
    let dwarf = open("vmlinux-dwarf5", &[]);
    let (index, _) = indexed("vmlinux-dwarf5", dir.path(), &[]);
    let mut frames = 0;
    for document in sample_reports() {
        let expected = dwarf.symbolize_document(&document);
        let found = index.symbolize_document(&document);
        assert_eq!(found.lines, expected.lines);
        assert_eq!(found.checks, expected.checks);
        frames += expected.counts().frames;
    }
    assert!(frames > 50, "{frames} frames");
}

/// The index file of the DWARF 5 sample, built in `dir`.
fn built_index(dir: &Path) -> (PathBuf, Vec<u8>) {
    let symbolizer = build_index("vmlinux-dwarf5", dir, &[]);
    let path = symbolizer.index().unwrap().path().to_owned();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn load(dir: &Path) -> Result<Index, IndexError> {
    let symbolizer = open("vmlinux-dwarf5", &[]);
    Index::load(dir, symbolizer.vmlinux())
}

#[test]
fn a_damaged_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, good) = built_index(dir.path());
    assert!(load(dir.path()).is_ok());
    let mut tried = 0;
    for position in (0..good.len())
        .step_by(good.len() / 997 + 1)
        .chain([0, 8, 12, 16, 23])
    {
        for flip in [0x01, 0x80] {
            let mut bad = good.clone();
            bad[position] ^= flip;
            std::fs::write(&path, &bad).unwrap();
            let error = load(dir.path()).expect_err(&format!("byte {position} ^ {flip:#x}"));
            assert!(error.needs_rebuild(), "byte {position}: {error}");
            tried += 1;
        }
    }
    for len in [0, 7, 23, 24, 100, good.len() / 2, good.len() - 1] {
        std::fs::write(&path, &good[..len]).unwrap();
        let error = load(dir.path()).expect_err(&format!("truncated to {len}"));
        assert!(error.needs_rebuild(), "truncated to {len}: {error}");
    }
    assert!(tried > 1000);
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(load(dir.path()), Err(IndexError::Missing(_))));
}

/// Replicas sharing an index directory: the first valid index written is
/// kept (a second build opens it and leaves the file alone), a corrupt one
/// is replaced, and no temporary file is left behind.
#[test]
fn the_first_valid_index_written_wins_and_a_corrupt_one_is_replaced() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (path, good) = built_index(dir.path());
    let first = std::fs::metadata(&path).unwrap().ino();
    let (_, again) = built_index(dir.path());
    assert_eq!(again, good);
    assert_eq!(std::fs::metadata(&path).unwrap().ino(), first, "replaced");

    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let (_, rebuilt) = built_index(dir.path());
    assert_eq!(rebuilt, good);
    assert!(load(dir.path()).is_ok());
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "{files:?}");
}

#[test]
fn another_version_or_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, good) = built_index(dir.path());

    let mut other_version = good.clone();
    other_version[8] = 99;
    std::fs::write(&path, &other_version).unwrap();
    assert!(matches!(load(dir.path()), Err(IndexError::Stale { .. })));

    // Written by another kresym: same layout, another generator string.
    let generator = concat!("kresym-symbolize ", env!("CARGO_PKG_VERSION"));
    let at = memchr_find(&good, generator.as_bytes()).unwrap();
    let mut other_generator = good.clone();
    other_generator[at + generator.len() - 1] ^= 1;
    rechecksum(&mut other_generator);
    std::fs::write(&path, &other_generator).unwrap();
    let error = load(dir.path()).unwrap_err();
    assert!(matches!(error, IndexError::Stale { .. }), "{error}");

    // The DWARF 5 sample's index under the DWARF 4 sample's build id.
    std::fs::write(&path, &good).unwrap();
    let dwarf4 = open("vmlinux-dwarf4", &[]);
    let id = dwarf4.vmlinux().build_id().unwrap();
    std::fs::copy(&path, Index::path_in(dir.path(), id)).unwrap();
    let error = Index::load(dir.path(), dwarf4.vmlinux()).unwrap_err();
    assert!(matches!(error, IndexError::Corrupt { .. }), "{error}");
    assert!(error.to_string().contains("build id"), "{error}");
}

/// Damage that keeps the checksum valid (so validation passes) must still
/// never panic a lookup: every read is bounds-checked.
#[test]
fn lookups_in_an_inconsistent_index_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (path, good) = built_index(dir.path());
    let dwarf = open("vmlinux-dwarf5", &[]);
    let symbols: Vec<_> = dwarf.vmlinux().symbols().iter().cloned().collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut loaded = 0;
    for _ in 0..300 {
        let mut bad = good.clone();
        for _ in 0..1 + random() % 8 {
            let position = 24 + 24 * 12 + (random() as usize % (good.len() - 24 - 24 * 12));
            bad[position] = random() as u8;
        }
        rechecksum(&mut bad);
        std::fs::write(&path, &bad).unwrap();
        let builder = builder("vmlinux-dwarf5", &[]);
        let Ok(index) = Index::load(dir.path(), builder.vmlinux()) else {
            continue;
        };
        let symbolizer = builder
            .index(IndexPolicy::Loaded(Box::new(index)))
            .build()
            .unwrap();
        loaded += 1;
        for symbol in symbols.iter().step_by(3) {
            for offset in [0, 1, symbol.size / 2, symbol.size] {
                let query =
                    FrameQuery::vmlinux(&symbol.name, offset, symbol.size, PcKind::ReturnAddress);
                let _ = symbolizer.resolve(query);
                let _ = symbolizer.resolve_address(symbol.address + offset, PcKind::ExactPc);
            }
        }
    }
    assert!(loaded > 100, "only {loaded} damaged copies loaded");
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Recompute the header checksum (bytes 16..24: XXH3-64 of everything after
/// byte 24), as documented in the index module.
fn rechecksum(bytes: &mut [u8]) {
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[24..]);
    bytes[16..24].copy_from_slice(&sum.to_le_bytes());
}

#[test]
fn module_frames_from_module_indexes_equal_module_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let options = || SymbolizerOptions {
        module_dirs: vec![build()],
        strip_prefixes: Vec::new(),
    };
    let dwarf = Symbolizer::open(&build().join("vmlinux-dwarf5"), options()).unwrap();
    let built = dwarf.index_modules(dir.path(), &|| {});
    assert_eq!(built.len(), 2);
    assert!(built.iter().all(|(_, size)| size.is_ok()), "{built:?}");
    let indexed = builder("vmlinux-dwarf5", &[])
        .module_dirs([build()])
        .index(IndexPolicy::Dir(IndexDir::new(dir.path().to_owned())))
        .build()
        .unwrap();
    let mut compared = 0;
    for module in ["samplemod.ko", "samplemod-dwarf4.ko"] {
        let binary = kresym_symbolize::Binary::open(&build().join(module)).unwrap();
        let name = module.trim_end_matches(".ko");
        let id: String = binary
            .build_id()
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for symbol in binary.symbols().iter() {
            for offset in 0..=symbol.size.min(0x400) + 1 {
                for build_id in [None, Some(id.as_str())] {
                    let query = FrameQuery {
                        function: &symbol.name,
                        offset,
                        size: symbol.size,
                        module: Some(name),
                        build_id,
                        pc_kind: PcKind::ReturnAddress,
                    };
                    assert_eq!(
                        indexed.resolve(query),
                        dwarf.resolve(query),
                        "{name} {query:?}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 500, "{compared}");
}

/// Farms sync index directories with `cp` or `rsync --inplace`, which cut
/// the file short and rewrite it in place while a run has it open. A run
/// maps the file under a read lease: the writer waits until the run has
/// put a private copy in place of the mapping and released the lease, and
/// the run keeps answering (a plain mapping would die of `SIGBUS`; so would
/// releasing the lease without the copy). Only that file's index is copied.
#[test]
fn an_index_cut_short_or_rewritten_in_place_after_loading_keeps_answering() {
    let dwarf = open("vmlinux-dwarf5", &[]);
    let dir = tempfile::tempdir().unwrap();
    // Elsewhere the file is read, which this test checks all the same.
    let leases = kresym_test_support::require(
        leases_trusted_in(dir.path()),
        "file leases on a local file system for temporary files",
    );
    let load = || Index::load(dir.path(), builder("vmlinux-dwarf5", &[]).vmlinux()).unwrap();
    // Another file's index, which no writer touches, stays mapped.
    let other_dir = tempfile::tempdir().unwrap();
    build_index("vmlinux-dwarf4", other_dir.path(), &[]);
    let other = Index::load(other_dir.path(), builder("vmlinux-dwarf4", &[]).vmlinux()).unwrap();
    let writers = [
        ("another process", rewrite_from_another_process as fn(&Path)),
        ("this process", rewrite_from_this_process),
    ];
    for (who, write) in writers {
        build_index("vmlinux-dwarf5", dir.path(), &[]);
        let (index, path) = indexed("vmlinux-dwarf5", dir.path(), &[]);
        // Loaded on a thread that is gone when the writer comes, as a
        // run's read-ahead thread is.
        let watched = std::thread::scope(|scope| scope.spawn(load).join().unwrap());
        assert_eq!(watched.is_mapped(), leases, "mapped where leases are on");
        let started = std::time::Instant::now();
        write(&path);
        // The lease-break timeout is 45 s by default; the copy takes
        // milliseconds.
        let waited = started.elapsed();
        assert!(waited.as_secs() < 5, "{who}: the writer waited {waited:?}");
        assert!(!watched.is_mapped(), "{who}: still mapped");
        assert_eq!(other.is_mapped(), leases, "{who}: another file's copied");
        assert_ne!(
            std::fs::read(&path).unwrap().get(..8),
            Some(&b"KRESYMIX"[..])
        );
        assert_same_everywhere(&dwarf, &index);
    }
}

/// A file that someone has open for writing cannot be leased: it is read
/// into memory, and what the writer does afterwards changes nothing.
#[test]
fn an_index_open_for_writing_is_read_not_mapped() {
    let dwarf = open("vmlinux-dwarf5", &[]);
    let dir = tempfile::tempdir().unwrap();
    build_index("vmlinux-dwarf5", dir.path(), &[]);
    let path = Index::path_in(dir.path(), dwarf.vmlinux().build_id().unwrap());
    let writer = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    let (index, _) = indexed("vmlinux-dwarf5", dir.path(), &[]);
    let read = Index::load(dir.path(), dwarf.vmlinux()).unwrap();
    assert!(!read.is_mapped());
    writer.set_len(0).unwrap();
    assert_same_everywhere(&dwarf, &index);
}

/// A FIFO, a directory or a device where the index should be (another
/// user's, in a shared directory) is refused at once: opening a FIFO to
/// read it would wait for a writer forever.
#[test]
fn an_index_path_that_is_no_regular_file_is_refused_without_waiting() {
    let dwarf = open("vmlinux-dwarf5", &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = Index::path_in(dir.path(), dwarf.vmlinux().build_id().unwrap());
    let fifo = std::process::Command::new("mkfifo").arg(&path).status();
    assert!(fifo.is_ok_and(|status| status.success()), "mkfifo");
    let (sender, receiver) = std::sync::mpsc::channel();
    let dir_path = dir.path().to_owned();
    std::thread::spawn(move || {
        let vmlinux = Binary::open(&build().join("vmlinux-dwarf5")).unwrap();
        let _ = sender.send(Index::load(&dir_path, &vmlinux).map(|_| ()));
    });
    let loaded = receiver.recv_timeout(std::time::Duration::from_secs(20));
    let error = loaded.expect("the load waited on the FIFO").unwrap_err();
    assert!(error.to_string().contains("not a regular file"), "{error}");
    std::fs::remove_file(&path).unwrap();
    for other in [Path::new("/dev/null"), dir.path()] {
        std::os::unix::fs::symlink(other, &path).unwrap();
        let error = Index::load(dir.path(), dwarf.vmlinux()).unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
        std::fs::remove_file(&path).unwrap();
    }
}

/// Whether kresym leases index files in `dir`: leases are enabled, and
/// `dir` is on ext2/3/4, XFS, Btrfs or tmpfs (by `stat -f`).
fn leases_trusted_in(dir: &Path) -> bool {
    let enabled = std::fs::read_to_string("/proc/sys/fs/leases-enable")
        .is_ok_and(|enabled| enabled.trim() == "1");
    let output = std::process::Command::new("stat")
        .args(["-f", "-c", "%t"])
        .arg(dir)
        .output()
        .unwrap();
    let magic = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    enabled && ["ef53", "58465342", "9123683e", "1021994"].contains(&magic.as_str())
}

/// Cut `path` short and write two bytes, as `cp` would, from a shell.
fn rewrite_from_another_process(path: &Path) {
    let script = ": > \"$1\" && printf zz >> \"$1\"";
    let status = std::process::Command::new("sh")
        .args(["-c", script, "sh"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Cut `path` short and write a page of other bytes, from this process.
fn rewrite_from_this_process(path: &Path) {
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.set_len(0).unwrap();
    std::io::Write::write_all(&mut &file, &[0x5a; 4096]).unwrap();
    file.sync_all().unwrap();
}

/// A program whose `entry` inlines a chain of `depth` distinct functions,
/// each adding code of its own; `None` without gcc.
fn deep_inline_program(dir: &Path, depth: usize) -> Option<PathBuf> {
    let source = kresym_test_support::deep_inline_c(depth);
    let c = dir.join(format!("deep{depth}.c"));
    std::fs::write(&c, source).unwrap();
    let program = dir.join(format!("deep{depth}"));
    let built = std::process::Command::new("gcc")
        .args(["-O1", "-g", "-Wl,--build-id"])
        .arg(&c)
        .arg("-o")
        .arg(&program)
        .status()
        .is_ok_and(|status| status.success());
    kresym_test_support::require(built, "gcc (building a deep inline nest)").then_some(program)
}

/// Chains share their outer levels: an inline nest ten times deeper makes
/// an index about ten times larger (it was a hundred times: every chain
/// stored all its levels), and the index still answers what DWARF answers.
#[test]
fn index_size_grows_linearly_with_inline_depth() {
    // Looking up a 1000-deep nest in DWARF takes more than a test thread's
    // default stack (2 MiB).
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(deep_inline_sizes)
        .unwrap()
        .join()
        .unwrap();
}

fn deep_inline_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let mut sizes = Vec::new();
    for depth in [100, 1000] {
        let Some(program) = deep_inline_program(dir.path(), depth) else {
            return;
        };
        let dwarf = common::open_path(&program, &[]);
        let indexed = common::indexed(&program, dir.path());
        let index = indexed.index().unwrap();
        sizes.push(index.size());
        let entry = dwarf
            .vmlinux()
            .symbols()
            .iter()
            .find(|s| s.name == "entry")
            .unwrap()
            .clone();
        let deepest = (entry.address..entry.address + entry.size)
            .filter_map(|address| dwarf.resolve_address(address, PcKind::ExactPc))
            .map(|resolved| resolved.chain.len())
            .max()
            .unwrap_or(0);
        assert!(
            deepest > depth,
            "{depth}: the deepest chain has {deepest} levels"
        );
        let symbols: Vec<_> = dwarf.vmlinux().symbols().iter().cloned().collect();
        let start = symbols.first().unwrap().address;
        let end = symbols.iter().map(|s| s.address + s.size).max().unwrap();
        assert_same_at_addresses(&dwarf, &indexed, start..end);
    }
    eprintln!("index sizes at depth 100 and 1000: {sizes:?}");
    assert!(sizes[1] < 20 * sizes[0], "index sizes {sizes:?}");
}
