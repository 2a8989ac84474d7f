//! Reliability: malformed vmlinux files give clear errors naming the file,
//! stripped and compressed-DWARF binaries work, unknown text passes through
//! byte for byte, symbolizing never touches a line that is not a frame, and
//! large inputs (a 100k-frame report, 5,000 inputs, streamed standard
//! input) work, with parallel output equal to `-j1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kresym_render::text;
use kresym_symbolize::{Binary, Symbolizer, SymbolizerOptions};
use proptest::prelude::*;

mod common;
use common::{report, sample_reports, samples};

fn vmlinux() -> PathBuf {
    samples().join("build/vmlinux-dwarf5")
}

/// `kresym symbolize --vmlinux VMLINUX ARGS...`, with `stdin` fed if given.
fn symbolize_with(vmlinux: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = common::kresym();
    command
        .arg("symbolize")
        .arg("--vmlinux")
        .arg(vmlinux)
        .args(args);
    let Some(stdin) = stdin else {
        return command.output().unwrap();
    };
    let (output, written) = common::run_fed(&mut command, stdin.to_vec());
    written.unwrap();
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn succeeded(output: &Output) -> &[u8] {
    assert!(output.status.success(), "kresym failed: {}", stderr(output));
    &output.stdout
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn modules_args() -> Vec<String> {
    vec![
        "--modules".into(),
        samples().join("build").to_str().unwrap().into(),
    ]
}

// ---------------------------------------------------------------------------
// Malformed vmlinux files.

/// `kresym symbolize` with a bad vmlinux: exit 2, an error naming the file
/// and containing `why`, no panic.
fn assert_unusable(bad: &Path, why: &str) {
    let output = symbolize_with(bad, &[path(&report("kasan-tcp.txt"))], None);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{}: {err}", bad.display());
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(path(bad)),
        "error does not name the file: {err}"
    );
    assert!(err.contains(why), "expected `{why}`: {err}");
}

#[test]
fn truncated_elf_files_are_errors_never_panics() {
    let bytes = std::fs::read(vmlinux()).unwrap();
    let module = std::fs::read(samples().join("build/samplemod.ko")).unwrap();
    // Through the library, at many sizes: an error or a usable binary.
    for sample in [&bytes, &module] {
        let step = (sample.len() / 97).max(1);
        let sizes = (0..sample.len())
            .step_by(step)
            .chain([1, 15, 16, 63, 64, 65]);
        for size in sizes {
            let truncated = sample[..size.min(sample.len())].to_vec();
            if let Ok(binary) = Binary::from_vec(format!("cut-{size}").into(), truncated) {
                let _ = binary.symbols().len();
            }
        }
    }
    // Through the command: the error names the file.
    let dir = tempfile::tempdir().unwrap();
    for size in [0, 10, 64, 1000, bytes.len() / 2] {
        let file = dir.path().join(format!("vmlinux-{size}"));
        std::fs::write(&file, &bytes[..size]).unwrap();
        let why = if size < 16 {
            "not an ELF file"
        } else {
            "malformed ELF"
        };
        assert_unusable(&file, why);
    }
}

#[test]
fn non_elf_files_directories_and_missing_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("vmlinux.txt");
    std::fs::write(&text, "this is not an ELF file\n").unwrap();
    assert_unusable(&text, "not an ELF file");
    assert_unusable(dir.path(), "is a directory");
    assert_unusable(&dir.path().join("missing"), "cannot read");
}

/// `kresym CMD ARGS...` with `stdin` piped in; kresym may stop reading early.
fn kresym_fed(args: &[&str], stdin: Vec<u8>) -> Output {
    // A refused input closes the pipe early: a broken pipe is expected.
    common::run_fed(common::kresym().args(args), stdin).0
}

/// A vmlinux piped in where a report belongs is refused at its first bytes
/// with a hint, by every command that reads standard input (it used to be
/// copied to stdout as if it were text).
#[test]
fn an_elf_file_on_standard_input_is_refused_not_passed_through() {
    let elf = std::fs::read(vmlinux()).unwrap();
    let vmlinux = vmlinux();
    let vmlinux = path(&vmlinux);
    let runs: [&[&str]; 5] = [
        &["symbolize", "--vmlinux", vmlinux],
        &["symbolize", "--vmlinux", vmlinux, "-"],
        &["symbolize", "--vmlinux", vmlinux, "--format", "json"],
        &["parse"],
        &["verify", "--vmlinux", vmlinux],
    ];
    for args in runs {
        let output = kresym_fed(args, elf.clone());
        let err = stderr(&output);
        assert!(!output.status.success(), "{args:?}: exit 0; stderr: {err}");
        assert!(
            err.contains("standard input is an ELF file, not a report")
                && err.contains("--vmlinux"),
            "{args:?}: {err}"
        );
        assert!(
            !output.stdout.windows(4).any(|w| w == b"\x7fELF"),
            "{args:?}: the binary reached stdout"
        );
    }
    // Text that merely starts like ELF's magic but is short is still text.
    let output = kresym_fed(&["parse"], b"\x7fEL".to_vec());
    assert!(!stderr(&output).contains("ELF file"), "{}", stderr(&output));
}

#[test]
fn a_program_or_a_module_given_as_vmlinux_is_refused_with_exit_2() {
    // This test's own executable: an ELF program, not a kernel.
    let program = std::env::current_exe().unwrap();
    assert_unusable(
        &program,
        "is not a vmlinux: it defines no start_kernel symbol",
    );
    // A module: a relocatable object.
    let module = samples().join("build/samplemod.ko");
    assert_unusable(
        &module,
        "is a relocatable object (a kernel module?), not a vmlinux",
    );
    let output = common::kresym()
        .args(["verify", "--vmlinux"])
        .arg(&module)
        .arg(report("kasan-tcp.txt"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn a_missing_vmlinux_is_named_as_the_vmlinux_and_its_cause_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let output = symbolize_with(&missing, &[path(&report("kasan-tcp.txt"))], None);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(
        err,
        format!(
            "kresym: error: cannot read the vmlinux {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
}

#[test]
fn unreadable_vmlinux_is_an_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vmlinux");
    std::fs::copy(vmlinux(), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&file).is_ok() {
        kresym_test_support::skip("running as root, which can read a mode 000 file");
        return;
    }
    assert_unusable(&file, "Permission denied");
}

#[test]
fn elf32_and_big_endian_files_are_refused_with_a_reason() {
    let bytes = std::fs::read(vmlinux()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // EI_CLASS = ELFCLASS32, EI_DATA = ELFDATA2MSB.
    for (index, value, why) in [(4, 1, "32-bit"), (5, 2, "big-endian")] {
        let mut patched = bytes.clone();
        patched[index] = value;
        let file = dir.path().join(format!("vmlinux-{why}"));
        std::fs::write(&file, &patched).unwrap();
        assert_unusable(&file, why);
    }
    // A real 32-bit ELF, when objcopy can make one.
    let elf32 = dir.path().join("vmlinux-elf32");
    let made = Command::new("objcopy")
        .args(["-O", "elf32-i386"])
        .arg(vmlinux())
        .arg(&elf32)
        .status()
        .is_ok_and(|s| s.success());
    if kresym_test_support::require(made, "`objcopy -O elf32-i386`") {
        assert_unusable(&elf32, "32-bit");
    }
}

#[test]
fn a_corrupt_module_is_reported_per_frame_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("samplemod.ko"), b"\x7fELF garbage").unwrap();
    let output = symbolize_with(
        &vmlinux(),
        &[
            "--modules",
            path(dir.path()),
            "--format",
            "json",
            path(&report("module.txt")),
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(succeeded(&output)).unwrap();
    let statuses: Vec<_> = json["frames"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["module"] == "samplemod")
        .map(|f| f["status"].as_str().unwrap().to_owned())
        .collect();
    assert!(!statuses.is_empty());
    assert!(
        statuses.iter().all(|s| s == "module_unreadable"),
        "{statuses:?}"
    );
}

// ---------------------------------------------------------------------------
// Stripped and compressed DWARF.

/// Run `strip` or `objcopy` on the sample vmlinux into `dir`; `None` when
/// the tool is missing or fails (a failure under CI).
fn objcopy_like(tool: &str, args: &[&str], dir: &Path, name: &str) -> Option<PathBuf> {
    let out = dir.join(name);
    let mut command = Command::new(tool);
    command.args(args).arg(vmlinux());
    if tool == "strip" {
        command.arg("-o");
    }
    let ok = command.arg(&out).status().is_ok_and(|s| s.success());
    kresym_test_support::require(ok, &format!("`{tool} {}`", args.join(" "))).then_some(out)
}

#[test]
fn stripped_vmlinux_gives_symbol_only_frames_and_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stripped) = objcopy_like("strip", &["--strip-debug"], dir.path(), "vmlinux") else {
        return;
    };
    let inputs: Vec<_> = ["kasan-tcp.txt", "kthread-aoe.txt", "warn-rip.txt"]
        .map(report)
        .to_vec();
    let mut args: Vec<&str> = inputs.iter().map(|p| path(p)).collect();
    let output = symbolize_with(&stripped, &args, None);
    // Frames stay as printed: the output is the input.
    let expected: Vec<u8> = inputs
        .iter()
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(succeeded(&output) == expected.as_slice());
    let err = stderr(&output);
    assert_eq!(err.matches("has no DWARF").count(), 1, "{err}");
    assert!(err.contains(path(&stripped)), "{err}");
    assert!(!err.contains("did not produce"), "{err}");
    // Every frame was checked against the symbol table: found, right size.
    args.extend(["--format", "json", "-q"]);
    let output = symbolize_with(&stripped, &args, None);
    for line in succeeded(&output)
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let json: serde_json::Value = serde_json::from_slice(line).unwrap();
        for frame in json["frames"].as_array().unwrap() {
            if frame["module"].is_null() && frame["pc_kind"].is_string() {
                assert_eq!(frame["status"], "resolved", "{frame}");
                assert!(frame["size_mismatch"].is_null(), "{frame}");
                assert_eq!(frame["chain"], serde_json::json!([]), "{frame}");
            }
        }
    }
    // No symbols at all: not usable as a vmlinux, said, no panic.
    let Some(bare) = objcopy_like("strip", &["--strip-all"], dir.path(), "bare") else {
        return;
    };
    assert_unusable(&bare, "defines no start_kernel symbol");
}

#[test]
fn compressed_debug_sections_give_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = modules_args();
    args.extend(sample_reports().iter().map(|p| path(p).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let plain = symbolize_with(&vmlinux(), &args, None);
    let plain = succeeded(&plain);
    // SHF_COMPRESSED zlib and zstd, and GNU `.zdebug_*` sections.
    for kind in ["zlib", "zstd", "zlib-gnu"] {
        let flag = format!("--compress-debug-sections={kind}");
        let Some(file) = objcopy_like("objcopy", &[&flag], dir.path(), kind) else {
            continue;
        };
        let smaller = std::fs::metadata(&file).unwrap().len();
        assert!(
            smaller < std::fs::metadata(vmlinux()).unwrap().len(),
            "{kind}"
        );
        let output = symbolize_with(&file, &args, None);
        assert!(succeeded(&output) == plain, "{kind}: output differs");
        assert!(!stderr(&output).contains("no DWARF"), "{kind}");
    }
}

#[test]
fn dwarf4_and_dwarf5_builds_both_resolve_every_frame() {
    for (vmlinux, report_name) in [
        ("vmlinux-dwarf5", "module-buildid.txt"),
        ("vmlinux-dwarf4", "module-buildid-dwarf4.txt"),
    ] {
        let mut args = modules_args();
        args.extend(["-q".into(), "--format".into(), "json".into()]);
        args.push(path(&report(report_name)).into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = symbolize_with(&samples().join("build").join(vmlinux), &args, None);
        let json: serde_json::Value = serde_json::from_slice(succeeded(&output)).unwrap();
        let frames = json["frames"].as_array().unwrap();
        assert!(!frames.is_empty());
        for frame in frames {
            assert_ne!(frame["chain"], serde_json::json!([]), "{vmlinux}: {frame}");
        }
    }
}

// ---------------------------------------------------------------------------
// Pass-through and never touching non-frame lines.

#[test]
fn unknown_text_passes_through_byte_exact() {
    let mut input = Vec::new();
    input.extend_from_slice(b"plain line\r\nno terminator at the end? not yet\n");
    input.extend_from_slice(b"\xff\xfe invalid utf-8 \x00 nul \x1b[31m escape\n");
    input.extend_from_slice(b"\r\n\n\r\r\n[   1.000000] [  T1] just a console line\n");
    input.extend_from_slice(b"<4>[ 2.0] looks+like/a frame but is not +0x\n");
    input.extend_from_slice(b"Call Trace:\n <TASK>\n unknown_function+0x10/0x20\n </TASK>\n");
    input.extend_from_slice(b"last line without newline");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input");
    std::fs::write(&file, &input).unwrap();
    let from_file = symbolize_with(&vmlinux(), &["-q", path(&file)], None);
    assert!(succeeded(&from_file) == input.as_slice());
    let from_stdin = symbolize_with(&vmlinux(), &["-q"], Some(&input));
    assert!(succeeded(&from_stdin) == input.as_slice());
}

/// The sample symbolizer (DWARF 5 vmlinux and its module), opened once.
fn symbolizer() -> &'static Symbolizer {
    static SYMBOLIZER: std::sync::OnceLock<Symbolizer> = std::sync::OnceLock::new();
    SYMBOLIZER.get_or_init(|| {
        let options = SymbolizerOptions {
            module_dirs: vec![samples().join("build")],
            strip_prefixes: Vec::new(),
        };
        Symbolizer::open(&vmlinux(), options).unwrap()
    })
}

fn symbolize_text(input: &[u8]) -> Vec<u8> {
    let document = kresym_report::parse(input.to_vec());
    let symbols = symbolizer().symbolize_document(&document);
    let mut out = Vec::new();
    text::write_symbolized(&mut out, &document, &symbols).unwrap();
    out
}

/// Frame lines of the sample reports (and a few that resolve nowhere).
fn frame_lines() -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for path in sample_reports() {
        let document = kresym_report::parse(std::fs::read(path).unwrap());
        for (line, _) in document.frames() {
            let content = document.line_content(line);
            if !content.windows(8).any(|w| w == b"[inline]") {
                frames.push(content.to_vec());
            }
        }
    }
    frames.push(b" no_such_function+0x10/0x20".to_vec());
    frames.push(b" kthread+0x2a/0x40".to_vec());
    frames
}

/// Whether a line could be a frame, an `[inline]` line or a bare address.
fn frame_like(line: &[u8]) -> bool {
    let has = |needle: &[u8]| line.windows(needle.len()).any(|w| w == needle);
    has(b"+0x") || has(b"[inline]") || has(b"[<")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Symbolizing never drops, reorders or alters a line that is not a
    /// frame: the output minus its frame-derived lines is the input minus
    /// its frame lines.
    #[test]
    fn non_frame_lines_are_kept_in_order(
        lines in prop::collection::vec(
            prop_oneof![
                3 => prop::collection::vec(any::<u8>(), 0..60)
                    .prop_map(|mut l| { l.retain(|&b| b != b'\n'); (false, l) }),
                1 => prop::sample::select(vec![
                    b"Call Trace:".to_vec(), b" <TASK>".to_vec(), b" </TASK>".to_vec(),
                    b"BUG: KASAN: use-after-free in tcp_v4_do_rcv+0x46/0xc0".to_vec(),
                    b"[   12.345678][  T123] ".to_vec(), b"".to_vec(), b"\r".to_vec(),
                ]).prop_map(|l| (false, l)),
                2 => prop::sample::select(frame_lines()).prop_map(|l| (true, l)),
            ],
            0..40,
        ),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
    ) {
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut input = Vec::new();
        for (i, (_, line)) in lines.iter().enumerate() {
            input.extend_from_slice(line);
            if i + 1 < lines.len() || final_newline {
                input.extend_from_slice(eol);
            }
        }
        let output = symbolize_text(&input);
        let kept = |text: &[u8]| -> Vec<Vec<u8>> {
            text.split_inclusive(|&b| b == b'\n')
                .filter(|l| !frame_like(l))
                .map(<[u8]>::to_vec)
                .collect()
        };
        prop_assert_eq!(kept(&output), kept(&input));
        // Without frames, the output is the input.
        let plain: Vec<u8> = kept(&input).concat();
        prop_assert_eq!(symbolize_text(&plain), plain);
    }

    /// A batch gives the same output with several threads as with one: any
    /// number of inputs, each a random choice of sample reports and noise.
    #[test]
    fn batch_output_equals_one_thread(
        inputs in prop::collection::vec(
            prop::collection::vec(0usize..12, 1..6),
            1..12,
        ),
    ) {
        let reports = sample_reports();
        let dir = tempfile::tempdir().unwrap();
        for (i, picks) in inputs.iter().enumerate() {
            let mut text = Vec::new();
            for &pick in picks {
                match reports.get(pick) {
                    Some(report) => text.extend(std::fs::read(report).unwrap()),
                    None => text.extend_from_slice(b"unrelated console noise\n"),
                }
            }
            std::fs::write(dir.path().join(format!("{i:03}.txt")), text).unwrap();
        }
        let run = |jobs: &str| {
            let samples = samples();
            let output = common::kresym()
                .args(["symbolize", "-q", "-j", jobs, "--vmlinux"])
                .arg(samples.join("build/vmlinux-dwarf5"))
                .arg("--modules")
                .arg(samples.join("build"))
                .arg(dir.path())
                .output()
                .unwrap();
            assert!(output.status.success());
            output.stdout
        };
        prop_assert_eq!(run("1"), run("4"));
    }

    /// Any bytes without frame-like text pass through unchanged.
    #[test]
    fn arbitrary_text_passes_through(input in prop::collection::vec(any::<u8>(), 0..2000)) {
        prop_assume!(!frame_like(&input));
        prop_assert_eq!(symbolize_text(&input), input);
    }
}

// ---------------------------------------------------------------------------
// Large inputs.

/// A log of every sample report `copies` times, with console noise between.
fn sample_log(copies: usize) -> Vec<u8> {
    let reports: Vec<_> = sample_reports()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let mut log = Vec::new();
    for i in 0..copies {
        for report in &reports {
            log.extend_from_slice(format!("[{i:>5}.000000] systemd[1]: noise\n\n").as_bytes());
            log.extend_from_slice(report);
        }
    }
    log
}

#[test]
fn streamed_standard_input_equals_the_whole_file_output() {
    // About 11 MB: three chunks of standard input, one document from the file.
    let log = sample_log(1100);
    assert!(log.len() > 10 << 20);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("console.log");
    std::fs::write(&file, &log).unwrap();
    let mut args = modules_args();
    args.push("-q".into());
    let mut with_file = args.clone();
    with_file.push(path(&file).into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let with_file: Vec<&str> = with_file.iter().map(String::as_str).collect();
    let whole = symbolize_with(&vmlinux(), &with_file, None);
    let streamed = symbolize_with(&vmlinux(), &args, Some(&log));
    let (whole, streamed) = (succeeded(&whole), succeeded(&streamed));
    assert!(whole.len() > log.len());
    assert!(whole == streamed, "streamed output differs");
}

#[test]
fn a_report_with_100k_frames_works() {
    // Call-trace frames only: a `BUG: ... func+off/size` line starts a report.
    let frames: Vec<_> = frame_lines()
        .into_iter()
        .filter(|l| {
            let message = &l[kresym_report::lines::console_prefix_len(l)..];
            // Not the frame of another build, which would make the report another kernel's.
            kresym_report::split::start_marker(message).is_none()
                && !l.starts_with(b" no_such")
                && !l.starts_with(b" kthread+0x2a/0x40")
        })
        .collect();
    let mut input =
        b"BUG: KASAN: use-after-free in tcp_v4_do_rcv+0x46/0xc0\nCall Trace:\n".to_vec();
    for i in 0..100_000 {
        input.extend_from_slice(&frames[i % frames.len()]);
        input.push(b'\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge-report.txt");
    std::fs::write(&file, &input).unwrap();
    let mut args = modules_args();
    args.push(path(&file).into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = symbolize_with(&vmlinux(), &args, None);
    let out = succeeded(&output);
    let summary = stderr(&output);
    assert!(summary.contains("1 report, 100001 frames"), "{summary}");
    let lines = out.iter().filter(|&&b| b == b'\n').count();
    assert!(lines > 100_002, "{lines} lines");
    let mut json_args = args.clone();
    json_args.extend(["--format", "json"]);
    let output = symbolize_with(&vmlinux(), &json_args, None);
    let json: serde_json::Value = serde_json::from_slice(succeeded(&output)).unwrap();
    assert_eq!(json["frames"].as_array().unwrap().len(), 100_001);
}

#[test]
fn a_batch_of_5000_inputs_with_all_threads_equals_j1() {
    let reports = sample_reports();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5000 {
        let from = &reports[i % reports.len()];
        let to = dir.path().join(format!("{:02}/{i:05}.txt", i / 100));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
    let mut args = modules_args();
    args.push(path(dir.path()).into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for format in ["text", "json"] {
        let mut one = args.clone();
        one.extend(["-j", "1", "--format", format]);
        let mut all = args.clone();
        all.extend(["-j", "8", "--format", format]);
        let one = symbolize_with(&vmlinux(), &one, None);
        let all = symbolize_with(&vmlinux(), &all, None);
        let summary = stderr(&one);
        assert!(summary.contains("5000 inputs"), "{summary}");
        assert!(
            succeeded(&one) == succeeded(&all),
            "{format}: -j8 differs from -j1"
        );
    }
}

/// A binary whose `entry` inlines a chain of `depth` distinct functions,
/// with a `start_kernel` symbol so that kresym takes it for a vmlinux.
fn deep_inline_vmlinux(dir: &Path, depth: usize) -> Option<PathBuf> {
    let source = kresym_test_support::deep_inline_c(depth);
    std::fs::write(dir.join("deep.c"), source).unwrap();
    let program = dir.join("deep");
    let vmlinux = dir.join("vmlinux");
    let built = Command::new("gcc")
        .current_dir(dir)
        .args(["-O1", "-g", "-Wl,--build-id", "deep.c", "-o"])
        .arg(&program)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("objcopy")
            .arg("--add-symbol=start_kernel=.text:0x0,global,function")
            .arg(&program)
            .arg(&vmlinux)
            .status()
            .is_ok_and(|s| s.success());
    kresym_test_support::require(built, "gcc and objcopy (building a deep inline nest)")
        .then_some(vmlinux)
}

/// Hostile DWARF: inline calls nested 1,500 deep aborted the run with a
/// stack overflow in a worker thread (the sweep and addr2line recurse once
/// per level). Now every frame resolves, with llvm-symbolizer's chain length.
#[test]
fn deeply_nested_inline_calls_do_not_overflow_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let Some(vmlinux) = deep_inline_vmlinux(dir.path(), 1500) else {
        return;
    };
    let symbols = Binary::open(&vmlinux).unwrap();
    let entry = symbols
        .symbols()
        .iter()
        .find(|s| s.name == "entry")
        .unwrap()
        .clone();
    let offsets: Vec<u64> = (1..8).map(|k| entry.size * k / 8).collect();
    let report: String = std::iter::once("Call Trace:\n".to_string())
        .chain(
            offsets
                .iter()
                .map(|o| format!(" entry+0x{o:x}/0x{:x}\n", entry.size)),
        )
        .collect();
    let input = dir.path().join("report.txt");
    std::fs::write(&input, &report).unwrap();
    for index in ["--no-index", "--build-index"] {
        let index_dir = dir.path().join("index");
        let output = symbolize_with(
            &vmlinux,
            &[index, "--index-dir", path(&index_dir), path(&input)],
            None,
        );
        let text = String::from_utf8_lossy(succeeded(&output)).into_owned();
        // Each frame's chain: its [inline] lines and the frame line.
        let mut chains = vec![0usize];
        for line in text.lines().skip(1) {
            *chains.last_mut().unwrap() += 1;
            if !line.ends_with("[inline]") {
                chains.push(0);
            }
        }
        chains.pop();
        let expected: Vec<usize> = offsets
            .iter()
            .map(|o| {
                let out = Command::new("llvm-symbolizer")
                    .arg(format!("--obj={}", vmlinux.display()))
                    .arg(format!("0x{:x}", entry.address + o - 1))
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter(|l| !l.is_empty())
                    .count()
                    / 2
            })
            .collect();
        assert_eq!(chains, expected, "{index}");
        assert!(expected.iter().any(|&n| n > 1000), "{expected:?}");
    }
}
