//! End-to-end tests of the persisted index: `kresym index`, and `kresym
//! symbolize` using, building and rebuilding it. What the index answers is
//! compared with what DWARF answers: the output of the same command with
//! `--no-index`, run now.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{kresym, report, sample_reports, samples};

fn vmlinux() -> PathBuf {
    samples().join("build/vmlinux-dwarf5")
}

fn run(args: &[&str]) -> Output {
    kresym().args(args).output().unwrap()
}

fn ok(output: &Output) -> (String, String) {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "kresym failed: {stderr}");
    (String::from_utf8(output.stdout.clone()).unwrap(), stderr)
}

/// `kresym symbolize` on the DWARF 5 sample and its modules.
fn symbolize(index: &[&str], inputs: &[&Path]) -> Output {
    kresym()
        .arg("symbolize")
        .arg("--vmlinux")
        .arg(vmlinux())
        .arg("--modules")
        .arg(samples().join("build"))
        .args(index)
        .args(inputs)
        .output()
        .unwrap()
}

fn index_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// The sample vmlinux's index, built by `kresym index` in a new directory.
struct Built {
    dir: tempfile::TempDir,
    /// The directory and the vmlinux, as arguments.
    d: String,
    v: String,
    /// The index file, as printed, and what was said on stderr.
    path: PathBuf,
    stderr: String,
}

fn build_in_a_new_dir() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_owned();
    let v = vmlinux().to_str().unwrap().to_owned();
    let (path, stderr) = ok(&run(&["index", "--vmlinux", &v, "--index-dir", &d]));
    let path = PathBuf::from(path.trim_end());
    Built {
        dir,
        d,
        v,
        path,
        stderr,
    }
}

#[test]
fn index_command_builds_once_and_reports_the_path() {
    let Built {
        dir,
        d,
        v,
        path,
        stderr,
    } = build_in_a_new_dir();
    let (d, v) = (d.as_str(), v.as_str());
    assert!(path.starts_with(dir.path()) && path.is_file(), "{path:?}");
    assert!(stderr.contains("KiB"), "{stderr}");
    let (again, stderr) = ok(&run(&["index", "--vmlinux", v, "--index-dir", d]));
    assert_eq!(PathBuf::from(again.trim_end()), path);
    assert!(stderr.contains("up to date"), "{stderr}");
    let inode =
        |path: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap());
    // A second link keeps the old file (and its inode number) alive.
    let kept = tempfile::tempdir_in(dir.path().parent().unwrap()).unwrap();
    std::fs::hard_link(&path, kept.path().join("old")).unwrap();
    let before = inode(&path);
    let (forced, stderr) = ok(&run(&[
        "index",
        "--force",
        "--vmlinux",
        v,
        "--index-dir",
        d,
    ]));
    assert_eq!(PathBuf::from(forced.trim_end()), path);
    assert!(!stderr.contains("up to date"), "{stderr}");
    assert_ne!(inode(&path), before, "--force did not replace the index");
    assert_eq!(index_files(dir.path()), [path]);
}

#[test]
fn output_from_the_index_equals_output_from_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let reports = sample_reports();
    let inputs: Vec<&Path> = reports.iter().map(PathBuf::as_path).collect();
    for format in ["text", "json"] {
        let (from_dwarf, _) = ok(&symbolize(
            &["-q", "--no-index", "--format", format],
            &inputs,
        ));
        let (built, stderr) = ok(&symbolize(
            &["--build-index", "--index-dir", d, "--format", format],
            &inputs,
        ));
        let (from_index, _) = ok(&symbolize(
            &["-q", "--index-dir", d, "--format", format],
            &inputs,
        ));
        assert_eq!(from_index, from_dwarf, "{format}");
        assert_eq!(built, from_dwarf, "{format}");
        if format == "text" {
            assert!(stderr.contains("indexing"), "{stderr}");
        }
    }
    // The vmlinux and both sample modules (built on their first frame).
    assert_eq!(index_files(dir.path()).len(), 3);
}

#[test]
fn one_report_does_not_build_an_index_but_a_batch_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let one = report("kasan-tcp.txt");
    ok(&symbolize(&["-q", "--index-dir", d], &[&one]));
    assert!(index_files(dir.path()).is_empty());
    // Many reports, but fewer than 5,000 frames: still no index.
    let batch = tempfile::tempdir().unwrap();
    for n in 0..25 {
        std::fs::copy(&one, batch.path().join(format!("r{n:02}.txt"))).unwrap();
    }
    ok(&symbolize(&["-q", "--index-dir", d], &[batch.path()]));
    assert!(index_files(dir.path()).is_empty());
    // A console log with 5,000 frames or more is a batch.
    let text = std::fs::read(&one).unwrap();
    let frames = text.windows(3).filter(|w| w == b"+0x").count();
    let log = batch.path().join("console.log");
    std::fs::write(&log, text.repeat(5_000 / frames + 1)).unwrap();
    // --no-index never builds, even for a batch.
    ok(&symbolize(
        &["-q", "--no-index", "--index-dir", d],
        &[batch.path()],
    ));
    assert!(index_files(dir.path()).is_empty());
    let (_, stderr) = ok(&symbolize(&["--index-dir", d], &[batch.path()]));
    assert!(stderr.contains("indexing"), "{stderr}");
    // kasan-tcp.txt has no module frames: the vmlinux's index only.
    assert_eq!(index_files(dir.path()).len(), 1);
}

/// Indexes of format version 2 were built before the source tree's root
/// was read from the line tables (#18), so those of `O=` builds hold
/// absolute paths: version 3 makes them stale, rebuilt as any stale index
/// is, never an error.
#[test]
fn an_index_of_format_version_2_is_stale_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let v = vmlinux();
    let v = v.to_str().unwrap();
    let (path, _) = ok(&run(&["index", "-q", "--vmlinux", v, "--index-dir", d]));
    let path = PathBuf::from(path.trim_end());
    let current = std::fs::read(&path).unwrap();
    // The version is outside the checksum, so this is a valid version 2 file.
    let mut version_2 = current.clone();
    version_2[8..12].copy_from_slice(&2u32.to_le_bytes());

    std::fs::write(&path, &version_2).unwrap();
    let (_, stderr) = ok(&run(&["index", "--vmlinux", v, "--index-dir", d]));
    assert!(
        stderr.contains("stale") && stderr.contains("format version 2"),
        "{stderr}"
    );
    assert!(stderr.contains("rebuilding"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), current);

    std::fs::write(&path, &version_2).unwrap();
    let one = report("kasan-tcp.txt");
    let (expected, _) = ok(&symbolize(&["-q", "--no-index"], &[&one]));
    let (out, stderr) = ok(&symbolize(&["--index-dir", d], &[&one]));
    assert_eq!(out, expected);
    assert!(stderr.contains("stale"), "{stderr}");
}

#[test]
fn a_corrupt_index_is_rebuilt_and_never_changes_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let v = vmlinux();
    let (path, _) = ok(&run(&[
        "index",
        "-q",
        "--vmlinux",
        v.to_str().unwrap(),
        "--index-dir",
        d,
    ]));
    let path = PathBuf::from(path.trim_end());
    let one = report("kasan-tcp.txt");
    let (expected, _) = ok(&symbolize(&["-q", "--no-index"], &[&one]));

    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (out, stderr) = ok(&symbolize(&["--index-dir", d], &[&one]));
    assert_eq!(out, expected);
    assert!(
        stderr.contains("corrupt") && stderr.contains("rebuilding"),
        "{stderr}"
    );
    let (_, stderr) = ok(&run(&[
        "index",
        "--vmlinux",
        v.to_str().unwrap(),
        "--index-dir",
        d,
    ]));
    assert!(stderr.contains("up to date"), "{stderr}");

    // A file that is not an index at all.
    std::fs::write(&path, b"<html>proxy error</html>").unwrap();
    let (out, stderr) = ok(&symbolize(&["--index-dir", d], &[&one]));
    assert_eq!(out, expected);
    assert!(stderr.contains("not a kresym index"), "{stderr}");
}

#[test]
fn index_refuses_what_it_cannot_index() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let not_elf = report("kasan-tcp.txt");
    let output = run(&[
        "index",
        "--vmlinux",
        not_elf.to_str().unwrap(),
        "--index-dir",
        d,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kasan-tcp.txt") && stderr.contains("not an ELF"),
        "{stderr}"
    );

    let stripped = dir.path().join("vmlinux-stripped");
    let made = std::process::Command::new("objcopy")
        .arg("--strip-debug")
        .arg(vmlinux())
        .arg(&stripped)
        .status()
        .is_ok_and(|s| s.success());
    if kresym_test_support::require(made, "`objcopy --strip-debug`") {
        let output = run(&[
            "index",
            "--vmlinux",
            stripped.to_str().unwrap(),
            "--index-dir",
            d,
        ]);
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("no DWARF"), "{stderr}");
    }
}

#[test]
fn an_unusable_index_directory_costs_a_warning_not_the_output() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the directory should be: nothing can be written there.
    let blocked = dir.path().join("index");
    std::fs::write(&blocked, b"").unwrap();
    let one = report("kasan-tcp.txt");
    let (expected, _) = ok(&symbolize(&["-q", "--no-index"], &[&one]));
    let output = symbolize(
        &["--build-index", "--index-dir", blocked.to_str().unwrap()],
        &[&one],
    );
    let (out, stderr) = ok(&output);
    assert_eq!(out, expected);
    assert!(
        stderr.contains("warning") && stderr.contains("reading DWARF instead"),
        "{stderr}"
    );
}

#[test]
fn verify_from_the_index_equals_verify_from_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let v = vmlinux();
    ok(&run(&[
        "index",
        "-q",
        "--vmlinux",
        v.to_str().unwrap(),
        "--index-dir",
        d,
    ]));
    let verify = |index: &[&str], input: &Path| {
        kresym()
            .args(["verify", "--format", "json", "--vmlinux"])
            .arg(vmlinux())
            .arg("--modules")
            .arg(samples().join("build"))
            .args(index)
            .arg(input)
            .output()
            .unwrap()
    };
    let mut wrong_verdicts = 0;
    for input in sample_reports() {
        // Symbolized first, so that there are annotations to verify.
        let (symbolized, _) = ok(&symbolize(&["-q", "--no-index"], &[&input]));
        // And a copy with one line number off by one, for a wrong verdict.
        let mut wrong = symbolized.clone();
        if let Some(at) = wrong.find(".c:") {
            let digit = at + 3;
            let next = match wrong.as_bytes()[digit] {
                b'9' => '8',
                b => char::from(b + 1),
            };
            wrong.replace_range(digit..digit + 1, &next.to_string());
        }
        for (name, text) in [("symbolized.txt", symbolized), ("wrong.txt", wrong)] {
            let file = dir.path().join(name);
            std::fs::write(&file, text).unwrap();
            for file in [&file, &input] {
                let from_dwarf = verify(&["--no-index"], file);
                let from_index = verify(&["--index-dir", d], file);
                assert_eq!(
                    from_index.status.code(),
                    from_dwarf.status.code(),
                    "{file:?}"
                );
                assert_eq!(from_index.stdout, from_dwarf.stdout, "{file:?}");
                wrong_verdicts += usize::from(from_dwarf.status.code() == Some(1));
            }
        }
    }
    assert!(
        wrong_verdicts > 3,
        "only {wrong_verdicts} inputs had wrong frames"
    );
}

#[test]
fn module_indexes_are_built_by_kresym_index_and_replace_module_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let v = vmlinux();
    let modules = samples().join("build");
    let (_, stderr) = ok(&run(&[
        "index",
        "--vmlinux",
        v.to_str().unwrap(),
        "--modules",
        modules.to_str().unwrap(),
        "--index-dir",
        d,
    ]));
    assert!(stderr.contains("2 of 2 module files indexed"), "{stderr}");
    let files = index_files(dir.path());
    assert_eq!(files.len(), 3);
    let reports: Vec<PathBuf> = [
        "module.txt",
        "module-buildid.txt",
        "module-buildid-dwarf4.txt",
    ]
    .iter()
    .map(|name| report(name))
    .collect();
    let inputs: Vec<&Path> = reports.iter().map(PathBuf::as_path).collect();
    let (expected, _) = ok(&symbolize(&["-q", "--no-index"], &inputs));
    let (from_index, _) = ok(&symbolize(&["-q", "--index-dir", d], &inputs));
    assert_eq!(from_index, expected);

    // A damaged module index is rebuilt on the module's first frame.
    let module_index = files
        .iter()
        .find(|f| std::fs::metadata(f).unwrap().len() < 4096)
        .unwrap();
    let mut bytes = std::fs::read(module_index).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(module_index, &bytes).unwrap();
    let (from_index, _) = ok(&symbolize(&["-q", "--index-dir", d], &inputs));
    assert_eq!(from_index, expected);
    assert_ne!(std::fs::read(module_index).unwrap(), bytes, "not rebuilt");
}

/// The index really replaces the module's DWARF: once indexed, a copy of
/// the module without its line table still symbolizes to the same lines.
#[test]
fn an_indexed_module_needs_no_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let modules = tempfile::tempdir().unwrap();
    let module = modules.path().join("samplemod.ko");
    std::fs::copy(samples().join("build/samplemod.ko"), &module).unwrap();
    let one = report("module.txt");
    let with_modules = |index: &[&str]| {
        kresym()
            .args(["symbolize", "-q", "--vmlinux"])
            .arg(vmlinux())
            .arg("--modules")
            .arg(modules.path())
            .args(index)
            .arg(&one)
            .output()
            .unwrap()
    };
    let (expected, _) = ok(&with_modules(&["--no-index"]));
    assert!(expected.contains("samplemod.c:"), "{expected}");
    ok(&with_modules(&["--build-index", "--index-dir", d]));
    // Zero the line table in place (its relocations then write into zeros).
    let mut bytes = std::fs::read(&module).unwrap();
    let (offset, size) = {
        use object::{Object, ObjectSection};
        let file = object::File::parse(&bytes[..]).unwrap();
        file.section_by_name(".debug_line")
            .and_then(|s| s.file_range())
            .unwrap()
    };
    bytes[offset as usize..(offset + size) as usize].fill(0);
    std::fs::write(&module, &bytes).unwrap();
    let (without_lines, _) = ok(&with_modules(&["--no-index"]));
    assert_ne!(
        without_lines, expected,
        "objcopy did not remove the line table"
    );
    let (from_index, _) = ok(&with_modules(&["--index-dir", d]));
    assert_eq!(from_index, expected);
}

/// Recompute an index file's checksum (bytes 16..24: XXH3-64 of everything
/// after byte 24), as the index module documents it.
fn rechecksum(bytes: &mut [u8]) {
    let sum = xxhash_rust::xxh3::xxh3_64(&bytes[24..]);
    bytes[16..24].copy_from_slice(&sum.to_le_bytes());
}

/// The byte range of section `id` of an index file, from its section table.
fn index_section(bytes: &[u8], id: u32) -> std::ops::Range<usize> {
    let entry = 24 + 24 * (id as usize - 1);
    assert_eq!(bytes[entry..entry + 4], id.to_le_bytes());
    let field = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let (offset, len) = (field(entry + 8), field(entry + 16));
    offset..offset + len
}

/// An index whose answers were altered by someone who recomputed the
/// checksum passes validation; `kresym index --check` re-derives answers
/// from the DWARF and names the differences.
#[test]
fn index_check_finds_answers_altered_under_a_valid_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let v = vmlinux();
    let v = v.to_str().unwrap();
    let check = || run(&["index", "--vmlinux", v, "--index-dir", d, "--check"]);
    let output = check();
    assert_eq!(output.status.code(), Some(2), "no index yet");
    let (path, _) = ok(&run(&["index", "--vmlinux", v, "--index-dir", d]));
    let path = PathBuf::from(path.trim_end());
    let (out, stderr) = ok(&check());
    assert!(out.is_empty(), "{out}");
    assert!(stderr.contains("0 of 4096"), "{stderr}");
    let good = std::fs::read(&path).unwrap();

    // Every line one further down: the first record of each block of the
    // address records (sections 9 and 10) holds the line itself (the others
    // deltas from it): address delta 0, tag (1: a row, 2: a file follows),
    // the file, then the line as signed LEB128.
    let mut moved = good.clone();
    let (blocks, records) = (index_section(&good, 9), index_section(&good, 10));
    let mut shifted = 0;
    for block in good[blocks].chunks(16) {
        let mut at = records.start + u64::from_le_bytes(block[8..].try_into().unwrap()) as usize;
        let tag = good[at + 1];
        at += 2;
        if tag & 1 == 0 {
            continue;
        }
        if tag & 2 != 0 {
            while good[at] & 0x80 != 0 {
                at += 1;
            }
            at += 1;
        }
        if (1..0x3f).contains(&good[at]) {
            moved[at] += 1;
            shifted += 1;
        }
    }
    assert!(shifted > 10, "{shifted}");
    // A path renamed in the strings (section 3), wherever it is.
    let mut renamed = good.clone();
    let strings = index_section(&good, 3);
    let mut renames = 0;
    for at in strings.clone() {
        if good[at..strings.end].starts_with(b"tcp_ipv4.c") {
            renamed[at + 7] = b'6';
            renames += 1;
        }
    }
    assert!(renames > 0);
    for (what, mut altered) in [("lines", moved), ("path", renamed)] {
        rechecksum(&mut altered);
        std::fs::write(&path, &altered).unwrap();
        let output = check();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{what}: {stdout}\n{stderr}");
        assert!(stdout.contains("the index says"), "{stdout}");
        assert!(stderr.contains("differ from the DWARF"), "{stderr}");
    }
    // Fewer samples on request.
    std::fs::write(&path, &good).unwrap();
    let (_, stderr) = ok(&run(&[
        "index",
        "--vmlinux",
        v,
        "--index-dir",
        d,
        "--check",
        "--samples",
        "100",
    ]));
    assert!(stderr.contains("0 of 100"), "{stderr}");
}

/// An index directory that cannot be made says why once, naming it.
#[test]
fn an_unusable_index_directory_is_named_with_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let index_dir = file.join("index");
    let output = run(&[
        "index",
        "--vmlinux",
        vmlinux().to_str().unwrap(),
        "--index-dir",
        index_dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(index_dir.to_str().unwrap()), "{stderr}");
    assert_eq!(stderr.matches("Not a directory").count(), 1, "{stderr}");
}

/// `kresym index --prune BYTES` removes the least recently used indexes
/// first (reading one counts as using it), keeps the vmlinux's own when
/// built in the same run, and touches nothing that is not an index file: a
/// symbolic link named like one (its target stays), a directory, a file of
/// another name.
#[test]
fn prune_removes_the_least_recently_used_indexes_and_nothing_else() {
    use std::time::{Duration, SystemTime};
    let Built {
        dir, d, v, path, ..
    } = build_in_a_new_dir();
    let (d, v, real) = (d.as_str(), v.as_str(), path);
    let aged = |path: &Path, days: u64| {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        let when = SystemTime::now() - Duration::from_secs(days * 86_400);
        file.set_modified(when).unwrap();
    };
    // Three fake indexes of 1,000 bytes, 30, 20 and 10 days unused.
    let fake = |name: &str, days| {
        let path = dir.path().join(name);
        std::fs::write(&path, [0u8; 1000]).unwrap();
        aged(&path, days);
        path
    };
    let oldest = fake("aa.kri", 30);
    let older = fake("bbbb.kri", 20);
    let old = fake("cc.kri", 10);
    // The real index is the oldest of all, until it is read.
    aged(&real, 40);
    ok(&run(&["index", "--vmlinux", v, "--index-dir", d]));
    let touched = std::fs::metadata(&real).unwrap().modified().unwrap();
    assert!(touched > SystemTime::now() - Duration::from_secs(3600));
    // Not indexes: left alone whatever their age and size.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("big");
    std::fs::write(&target, vec![0u8; 1 << 20]).unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("dd.kri")).unwrap();
    std::fs::create_dir(dir.path().join("ee.kri")).unwrap();
    let other = fake("notes.txt", 50);
    let odd = fake("abc.kri", 50);
    let upper = fake("AB.kri", 50);
    let real_len = std::fs::metadata(&real).unwrap().len();
    // Room for the real index and one fake: the two oldest fakes go.
    let limit = (real_len + 1500).to_string();
    let (_, stderr) = ok(&run(&["index", "--prune", &limit, "--index-dir", d]));
    assert!(stderr.contains("2 indexes removed"), "{stderr}");
    assert!(!oldest.exists() && !older.exists(), "{stderr}");
    assert!(old.exists() && real.exists(), "{stderr}");
    assert!(other.exists() && odd.exists() && upper.exists());
    assert!(target.exists() && dir.path().join("dd.kri").is_symlink());
    assert!(dir.path().join("ee.kri").is_dir());
    // Built in the same run, the vmlinux's index stays even at 0 bytes.
    let (_, stderr) = ok(&run(&[
        "index",
        "--vmlinux",
        v,
        "--index-dir",
        d,
        "--prune",
        "0",
    ]));
    assert!(stderr.contains("1 index removed"), "{stderr}");
    assert!(real.exists() && !old.exists(), "{stderr}");
    assert!(stderr.contains("warning"), "{stderr}");
    // What is not an index does not need --vmlinux; --modules does.
    let output = run(&["index", "--prune", "0", "--modules", d, "--index-dir", d]);
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["index", "--prune", "lots", "--index-dir", d]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--prune"));
}
