//! The command line's input and output plumbing, end to end: which files a
//! directory stands for, inputs that cannot be read, ELF files given as
//! reports, closed pipes and unwritable standard output in every command,
//! `--out-dir` collisions and atomic writes, `verify --fix --in-place`
//! against symlinks planted by others, and lines too long to symbolize.

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::{kresym, report, sample_reports, samples};

fn vmlinux() -> PathBuf {
    samples().join("build/vmlinux-dwarf5")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `kresym COMMAND [--vmlinux V --modules M] ARGS`: the vmlinux flags for
/// the commands that take them.
fn command(subcommand: &str, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Command {
    let mut command = kresym();
    command.arg(subcommand);
    if matches!(subcommand, "symbolize" | "verify") {
        command
            .arg("--vmlinux")
            .arg(vmlinux())
            .arg("--modules")
            .arg(samples().join("build"));
    }
    for arg in args {
        command.arg(arg);
    }
    command
}

/// Run with `input` on stdin, stdout and stderr captured.
fn with_stdin(mut command: Command, input: &[u8]) -> Output {
    command.stdout(Stdio::piped());
    feed(command, input)
}

/// Run with `input` on stdin, stderr captured.
fn feed(mut command: Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

/// The sample reports, `copies` times over: a few MB of console log.
fn sample_log(copies: usize) -> Vec<u8> {
    let reports: Vec<_> = sample_reports()
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let mut log = Vec::new();
    for _ in 0..copies {
        for report in &reports {
            log.extend_from_slice(report);
        }
    }
    log
}

/// The sample report `kthread-aoe.txt` as `kresym symbolize` prints it.
fn symbolized_report() -> String {
    let output = command("symbolize", &[&report("kthread-aoe.txt")])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

const CORE_KTHREAD: &str = " kthread+0x2a/0x30 kernel/kthread.c:55";
const CORE_KTHREAD_AS_AOE: &str = " kthread+0x2a/0x30 drivers/block/aoe/aoecmd.c:88";

/// A symbolized report with one wrong annotation, and the correct one.
fn wrong_and_right() -> (String, String) {
    let correct = symbolized_report();
    let old = format!("\n{CORE_KTHREAD}\n");
    assert_eq!(correct.matches(&old).count(), 1);
    let wrong = correct.replace(&old, &format!("\n{CORE_KTHREAD_AS_AOE}\n"));
    (wrong, correct)
}

// ---------------------------------------------------------------------------
// verify --fix --in-place and planted symlinks (issue #16).

#[test]
fn in_place_fix_never_writes_through_a_symlink_planted_at_a_temporary_path() {
    let dir = tempfile::tempdir().unwrap();
    let (wrong, correct) = wrong_and_right();
    let target = dir.path().join("r.txt");
    std::fs::write(&target, &wrong).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    // The process kresym will be: a shell that waits for the symlink to be
    // planted at the temporary path of its pid, then becomes kresym.
    let go = dir.path().join("go");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"while [ ! -e "$1" ]; do sleep 0.01; done; shift; exec "$@""#)
        .arg("sh")
        .arg(&go)
        .arg(env!("CARGO_BIN_EXE_kresym"))
        .args(["verify", "--fix", "--in-place", "--vmlinux"])
        .arg(vmlinux())
        .arg(&target)
        .env(
            "XDG_CACHE_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("cache"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let planted = dir
        .path()
        .join(format!(".r.txt.kresym-verify.{}.tmp", child.id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    std::fs::write(&go, "").unwrap();
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.unwrap().read_to_string(&mut err).unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        std::fs::symlink_metadata(&planted)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), correct);
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640, "permissions not kept");
    // Only the files of the test are there: no temporary file left.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let expected = [
        planted.file_name().unwrap().to_str().unwrap(),
        "go",
        "r.txt",
        "victim",
    ];
    assert_eq!(names, expected);
}

// ---------------------------------------------------------------------------
// What a directory stands for (issue #16).

#[test]
fn directories_skip_hidden_and_temporary_files_and_name_binary_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (wrong, correct) = wrong_and_right();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    std::fs::write(reports.join("a.txt"), &correct).unwrap();
    // Left by a SIGKILLed `verify --fix --in-place` (old and new names),
    // and hidden files: never inputs.
    std::fs::write(reports.join(".a.txt.kresym-verify.4242.tmp"), &wrong).unwrap();
    std::fs::write(reports.join(".kresym-Ab12Cd.tmp"), &wrong).unwrap();
    std::fs::create_dir(reports.join(".git")).unwrap();
    std::fs::write(reports.join(".git/stale.txt"), &wrong).unwrap();
    // Binary: skipped and named.
    std::fs::write(
        reports.join("core.bin"),
        b"\x7fELF\x02\x01\x01\0\0\0 binary",
    )
    .unwrap();
    // A symlink loop and a symlinked directory.
    std::os::unix::fs::symlink(&reports, reports.join("loop")).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("b.txt"), &correct).unwrap();
    std::os::unix::fs::symlink(&elsewhere, reports.join("linked")).unwrap();

    let output = command("verify", &[&reports]).output().unwrap();
    let (out, err) = (stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("a.txt: "), "{out}");
    assert!(out.contains("linked/b.txt: "), "{out}");
    assert!(!out.contains("kresym-"), "{out}");
    assert!(!out.contains("stale"), "{out}");
    assert_eq!(
        out.matches("\n== ").count(),
        1,
        "two inputs expected: {out}"
    );
    assert!(
        err.contains("skipped 1 file that is not text: ") && err.contains("core.bin"),
        "{err}"
    );
    assert!(err.contains("symlink loop"), "{err}");
}

// ---------------------------------------------------------------------------
// Standard output closed by the reader, closed, or full (issue #15).

/// Every command, with enough output to fill a pipe, and whether it reads
/// the input from stdin.
fn every_command(dir: &Path) -> Vec<(&'static str, Command, Option<Vec<u8>>)> {
    let log = sample_log(200);
    let big = dir.join("big.log");
    std::fs::write(&big, &log).unwrap();
    let (wrong, _) = wrong_and_right();
    let wrongs = dir.join("wrong");
    std::fs::create_dir_all(&wrongs).unwrap();
    for i in 0..300 {
        std::fs::write(wrongs.join(format!("{i:03}.txt")), &wrong).unwrap();
    }
    let index_dir = dir.join("index");
    vec![
        ("parse", command("parse", &[&big]), None),
        ("symbolize", command("symbolize", &[&big]), None),
        (
            "symbolize stdin",
            command("symbolize", &[]),
            Some(log.clone()),
        ),
        ("verify", command("verify", &[&wrongs]), None),
        (
            "verify --fix",
            command("verify", &[&"--fix", &wrongs]),
            None,
        ),
        (
            "link",
            command(
                "link",
                &[&"--repo", &"upstream", &"--commit", &"v6.1", &big],
            ),
            None,
        ),
        (
            "index",
            command(
                "index",
                &[&"--vmlinux", &vmlinux(), &"--index-dir", &index_dir],
            ),
            None,
        ),
    ]
}

/// The write end of a pipe whose reader has already exited.
fn widowed_pipe() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let pipe = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    Stdio::from(pipe)
}

#[test]
fn a_closed_pipe_ends_every_command_quietly_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    for (name, mut command, input) in every_command(dir.path()) {
        command
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(widowed_pipe())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        if let Some(input) = input {
            let mut pipe = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&input);
            });
        }
        let output = child.wait_with_output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{name}: {err}");
        assert!(!err.contains("Broken pipe"), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(!err.contains("unreadable"), "{name}: {err}");
    }
}

#[test]
fn a_closed_pipe_on_stderr_too_never_panics() {
    // `kresym ... 2>&1 | head`: the note on skipped files meets the closed
    // pipe before any output does.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("core.bin"), b"\0binary").unwrap();
    std::fs::write(dir.path().join("log.txt"), sample_log(100)).unwrap();
    for subcommand in ["symbolize", "parse"] {
        let status = command(subcommand, &[&dir.path()])
            .stdin(Stdio::null())
            .stdout(widowed_pipe())
            .stderr(widowed_pipe())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(0), "{subcommand}");
    }
}

#[test]
fn a_pipe_closed_midway_ends_quietly_with_exit_0() {
    let log = sample_log(200);
    let mut child = command("symbolize", &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&log);
    });
    // `| head -c 4096`
    let mut first = vec![0; 4096];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
}

#[test]
fn a_closed_or_full_standard_output_is_an_error_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for (name, command, input) in every_command(dir.path()) {
        // `>&-`: the shell closes fd 1, then becomes kresym.
        let mut closed = Command::new("sh");
        closed
            .arg("-c")
            .arg(r#"exec "$@" >&-"#)
            .arg("sh")
            .arg(command.get_program())
            .args(command.get_args())
            .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))));
        let full = {
            let mut full = Command::new(command.get_program());
            full.args(command.get_args())
                .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .stdout(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/full")
                        .unwrap(),
                );
            full
        };
        for (how, mut command) in [(">&-", closed), (">/dev/full", full)] {
            command.stdin(Stdio::piped()).stderr(Stdio::piped());
            let output = match &input {
                Some(input) => feed(command, input),
                None => command.stdin(Stdio::null()).output().unwrap(),
            };
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{name} {how}: {err}");
            assert!(
                err.contains("cannot write to standard output"),
                "{name} {how}: {err}"
            );
            assert!(!err.contains("panicked"), "{name} {how}: {err}");
        }
    }
}

// ---------------------------------------------------------------------------
// Inputs that cannot be read, ELF files as inputs (issues #15, #16).

#[test]
fn a_missing_input_is_named_and_the_others_are_processed() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.txt");
    let a = report("kasan-tcp.txt");
    let b = report("kthread-aoe.txt");
    for subcommand in ["symbolize", "parse"] {
        let output = command(subcommand, &[&a, &missing, &b]).output().unwrap();
        let (out, err) = (stdout(&output), stderr(&output));
        assert_eq!(output.status.code(), Some(1), "{subcommand}: {err}");
        assert!(err.contains(missing.to_str().unwrap()), "{err}");
        let alone = |input: &Path| {
            let output = command(subcommand, &[&input]).output().unwrap();
            assert!(output.status.success());
            stdout(&output)
        };
        let (a_out, b_out) = (alone(&a), alone(&b));
        let joined = if subcommand == "parse" {
            format!("{a_out}\n{b_out}")
        } else {
            format!("{a_out}{b_out}")
        };
        assert_eq!(out, joined, "{subcommand}");
    }
    // verify: exit 2 for an unreadable input, the others verified.
    let output = command("verify", &[&a, &missing]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("kasan-tcp.txt: "));
    assert!(stderr(&output).contains(missing.to_str().unwrap()));
}

#[test]
fn an_elf_file_as_input_says_what_to_type_instead() {
    let report = std::fs::read(report("kasan-tcp.txt")).unwrap();
    let elf = vmlinux();
    for subcommand in ["symbolize", "verify"] {
        let mut bare = kresym();
        bare.arg(subcommand).arg(&elf);
        let output = with_stdin(bare, &report);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        let hint = format!("kresym {subcommand} --vmlinux {}", elf.display());
        assert!(err.contains(&hint), "{err}");
        assert!(output.stdout.is_empty());
    }
}

// ---------------------------------------------------------------------------
// --out-dir (issue #16).

#[test]
fn out_dir_refuses_collisions_and_overwriting_inputs_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    for (sub, name) in [(&one, "kasan-tcp.txt"), (&two, "kthread-aoe.txt")] {
        std::fs::create_dir(sub).unwrap();
        std::fs::copy(report(name), sub.join("r.txt")).unwrap();
    }
    // Two inputs, one output path.
    let out = dir.path().join("out");
    let output = command(
        "symbolize",
        &[&"--out-dir", &out, &one.join("r.txt"), &two.join("r.txt")],
    )
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("would both be written to"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists(), "something was written");
    // Outputs over the inputs themselves (text keeps the names), also
    // through a symlink to the input directory.
    let before = std::fs::read(one.join("r.txt")).unwrap();
    let alias = dir.path().join("alias");
    std::os::unix::fs::symlink(&one, &alias).unwrap();
    for out_dir in [&one, &alias] {
        let output = command("symbolize", &[&"--out-dir", out_dir, &one])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(
            stderr(&output).contains("would replace the input"),
            "{}",
            stderr(&output)
        );
        assert_eq!(std::fs::read(one.join("r.txt")).unwrap(), before);
    }
    // JSON outputs get their own names: fine there.
    let output = command(
        "symbolize",
        &[&"--out-dir", &one, &"--format", &"json", &one],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read(one.join("r.txt")).unwrap(), before);
}

#[test]
fn out_dir_outputs_replace_old_ones_atomically_and_leave_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::copy(report("kasan-tcp.txt"), input.join("r.txt")).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let old = out.join("r.txt");
    std::fs::write(&old, "old output\n").unwrap();
    // A reader that holds the old output open keeps seeing it whole.
    let held = std::fs::File::open(&old).unwrap();
    let old_inode = std::fs::metadata(&old).unwrap().ino();
    let output = command("symbolize", &[&"--out-dir", &out, &input])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mut seen = String::new();
    (&held).read_to_string(&mut seen).unwrap();
    assert_eq!(seen, "old output\n");
    assert_ne!(
        std::fs::metadata(&old).unwrap().ino(),
        old_inode,
        "rewritten in place"
    );
    let new = std::fs::read_to_string(&old).unwrap();
    assert!(new.contains("net/ipv4/tcp_ipv4.c:"), "{new}");
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["r.txt"]);
    // A new output gets the mode of a new file (not 0600).
    let mode = std::fs::metadata(&old).unwrap().permissions().mode() & 0o777;
    assert_ne!(mode, 0o600);
}

// ---------------------------------------------------------------------------
// Every command takes files, directories and stdin (issue #16).

#[test]
fn parse_and_link_take_several_files_directories_and_stdin() {
    let reports = samples().join("reports");
    let count = sample_reports().len();
    let output = command("parse", &[&"--format", &"json", &reports])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let objects: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), count);
    let input = report("kasan-tcp.txt");
    let output = with_stdin(command("parse", &[&input, &"-"]), b"BUG: x\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("kasan-tcp.txt: ") && text.contains("\n-: 1 line,"),
        "{text}"
    );
    let output = command(
        "link",
        &[
            &"--repo",
            &"upstream",
            &"--commit",
            &"v6.1",
            &"--format",
            &"json",
            &reports,
        ],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), count);
}

// ---------------------------------------------------------------------------
// Lines too long to symbolize (issue #15).

#[test]
fn a_64_mib_line_passes_through_byte_identical_and_unsymbolized() {
    let frame = b" kthread+0x2a/0x30\n";
    let mut input = frame.to_vec();
    input.extend(std::iter::repeat_n(b'x', 64 << 20));
    // A frame-like end on the long line stays as it is.
    input.extend(b" kthread+0x2a/0x30\n");
    input.extend(frame);
    for args in [&[][..], &["-j", "1"][..]] {
        let output = with_stdin(
            command(
                "symbolize",
                &args
                    .iter()
                    .map(|a| a as &dyn AsRef<std::ffi::OsStr>)
                    .collect::<Vec<_>>(),
            ),
            &input,
        );
        let err = stderr(&output);
        assert!(output.status.success(), "{err}");
        let out = &output.stdout;
        let symbolized = b" kthread+0x2a/0x30 kernel/kthread.c:55\n";
        assert!(out.starts_with(symbolized), "first frame not symbolized");
        assert!(out.ends_with(symbolized), "last frame not symbolized");
        let middle = &out[symbolized.len()..out.len() - symbolized.len()];
        assert!(
            middle == &input[frame.len()..input.len() - frame.len()],
            "the long line changed"
        );
        assert!(
            err.contains("line 2 is longer than 1 MiB: passed through without symbolizing"),
            "{err}"
        );
    }
}

/// `kresym parse --source-dir`: each report names who maintains its guilty
/// file, from the tree's MAINTAINERS (`F:` prefixes, `X:` exclusions, `K:`
/// keywords matched against the file's text); a guilty file that is a
/// symlink out of the tree is never read for `K:`, and a directory without
/// MAINTAINERS is refused with a reason (exit 2).
#[test]
fn parse_names_the_maintainers_of_the_guilty_file_from_a_tree() {
    let tree = tempfile::tempdir().unwrap();
    let root = tree.path();
    std::fs::create_dir_all(root.join("net/ipv4")).unwrap();
    // Read by hand from the report: syzkaller's guilty file of this KCSAN
    // report is net/ipv4/tcp_ipv4.c.
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/seeds");
    if !kresym_test_support::require(
        seeds.is_dir(),
        &format!("the corpus seeds at {}", seeds.display()),
    ) {
        return;
    }
    let input = seeds
        .read_dir()
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            std::fs::read_to_string(p)
                .is_ok_and(|t| t.contains("KCSAN: data-race in tcp_add_backlog"))
        })
        .expect("the seeds hold the KCSAN tcp_add_backlog report");
    // A secret outside the tree, reachable only through a symlink.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "SECRET-KEYWORD\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret"),
        root.join("net/ipv4/tcp_ipv4.c"),
    )
    .unwrap();
    std::fs::write(
        root.join("MAINTAINERS"),
        "NETWORKING [IPv4/IPv6]\nM:\tNet Maintainer <net@example.org>\nL:\tnetdev@example.org\nF:\tnet/ipv4/\n\n\
         NOT THIS ONE\nM:\tExcluded <x@example.org>\nF:\tnet/\nX:\tnet/ipv4/\n\n\
         KEYWORD THIEF\nM:\tThief <thief@example.org>\nK:\tSECRET-KEYWORD\n",
    )
    .unwrap();
    let output = command("parse", &[&"--source-dir", &root, &input])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("guilty file net/ipv4/tcp_ipv4.c"), "{text}");
    assert!(
        text.contains("  maintainers: Net Maintainer <net@example.org>\n"),
        "{text}"
    );
    assert!(text.contains("  lists: netdev@example.org\n"), "{text}");
    assert!(
        !text.contains("Excluded") && !text.contains("Thief"),
        "{text}"
    );

    let output = command(
        "parse",
        &[&"--format", &"json", &"--source-dir", &root, &input],
    )
    .output()
    .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sections = &json["reports"][0]["maintainers"];
    assert_eq!(sections.as_array().map(Vec::len), Some(1), "{sections}");
    assert_eq!(sections[0]["name"], "NETWORKING [IPv4/IPv6]");
    let output = command("parse", &[&"--format", &"json", &input])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["reports"][0]["maintainers"].is_null());

    let empty = tempfile::tempdir().unwrap();
    let output = command("parse", &[&"--source-dir", &empty.path(), &input])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no MAINTAINERS file there"),
        "{}",
        stderr(&output)
    );
}
