//! End-to-end tests of `kresym verify` on the vmlinux-samples.
//!
//! The correct reports are made at test time by `kresym symbolize` (whose
//! output is checked against llvm-symbolizer by
//! crates/symbolize/tests/oracle.rs), then corrupted here. The verdict
//! rules themselves are tested in crates/verify/tests/samples.rs; these
//! tests are about the command: output, exit statuses, --fix, JSON.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::{kresym, report, samples};

/// `kresym SUBCOMMAND --vmlinux vmlinux-dwarfN --modules build ARGS`.
fn run(subcommand: &str, dwarf: u8, args: &[&Path]) -> Output {
    run_with(subcommand, dwarf, &[], args)
}

fn run_with(subcommand: &str, dwarf: u8, flags: &[&str], args: &[&Path]) -> Output {
    let samples = samples();
    kresym()
        .arg(subcommand)
        .arg("--vmlinux")
        .arg(samples.join(format!("build/vmlinux-dwarf{dwarf}")))
        .arg("--modules")
        .arg(samples.join("build"))
        .args(flags)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn status(output: &Output) -> i32 {
    output.status.code().unwrap()
}

/// `kresym symbolize`'s output for a sample report.
fn symbolized(name: &str, dwarf: u8) -> String {
    let output = run("symbolize", dwarf, &[&report(name)]);
    assert!(output.status.success());
    stdout(&output)
}

/// Write `text` to a fresh file in a temporary directory.
fn temp_report(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn replace_line(text: &str, old: &str, new: &str) -> String {
    let old = format!("\n{old}\n");
    assert_eq!(text.matches(&old).count(), 1, "{old:?} in\n{text}");
    text.replace(&old, &format!("\n{new}\n"))
}

fn remove_line(text: &str, old: &str) -> String {
    let old = format!("\n{old}\n");
    assert_eq!(text.matches(&old).count(), 1, "{old:?} in\n{text}");
    text.replace(&old, "\n")
}

fn line_number(text: &str, line: &str) -> usize {
    text.lines().position(|l| l == line).unwrap() + 1
}

const CORE_KTHREAD: &str = " kthread+0x2a/0x30 kernel/kthread.c:55";
const CORE_KTHREAD_AS_AOE: &str = " kthread+0x2a/0x30 drivers/block/aoe/aoecmd.c:88";

#[test]
fn correct_reports_verify_clean_with_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    for (name, dwarf) in [
        ("kasan-tcp.txt", 5),
        ("kthread-aoe.txt", 4),
        ("module.txt", 5),
        ("module-buildid.txt", 5),
        ("module-buildid-dwarf4.txt", 4),
        ("page-alloc-cold.txt", 5),
        ("oldstyle-kaslr.txt", 5),
    ] {
        let path = temp_report(&dir, name, &symbolized(name, dwarf));
        let output = run("verify", dwarf, &[&path]);
        let out = stdout(&output);
        assert_eq!(status(&output), 0, "{name}: {out}");
        let summary = out.lines().last().unwrap();
        assert!(summary.ends_with(" ok, 0 wrong, 0 not annotated"), "{out}");
        assert!(!out.contains("corrected:"), "{out}");
    }
}

#[test]
fn twin_kthread_wrong_file_is_shown_with_its_corrected_block() {
    let dir = tempfile::tempdir().unwrap();
    let correct = symbolized("kthread-aoe.txt", 5);
    let corrupted = replace_line(&correct, CORE_KTHREAD, CORE_KTHREAD_AS_AOE);
    let path = temp_report(&dir, "kthread-aoe.txt", &corrupted);
    let output = run("verify", 5, &[&path]);
    assert_eq!(status(&output), 1);
    let out = stdout(&output);
    let line = line_number(&correct, CORE_KTHREAD);
    // The header names the input and the report's title (the report
    // crate's business, so only its start is checked).
    let (header, rest) = out.split_once('\n').unwrap();
    assert!(
        header.starts_with(&format!("== {}: BUG: sleeping function", path.display())),
        "{out}"
    );
    let expected = format!(
        "L{line} kthread+0x2a/0x30: wrong file: report says drivers/block/aoe/aoecmd.c:88, DWARF says kernel/kthread.c:55\n\
         \x20   corrected:\n\
         \x20    kthread+0x2a/0x30 kernel/kthread.c:55\n\
         {}: 10 frames: 9 ok, 1 wrong, 0 not annotated\n",
        path.display()
    );
    assert_eq!(rest, expected);
}

#[test]
fn inline_problems_show_the_whole_corrected_block() {
    let dir = tempfile::tempdir().unwrap();
    let correct = symbolized("kasan-tcp.txt", 5);
    let corrupted = replace_line(
        &correct,
        " dst_check include/net/dst.h:36 [inline]",
        " dst_check include/net/dst.h:37 [inline]",
    );
    let corrupted = replace_line(
        &corrupted,
        " tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75",
        " tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:76",
    );
    let path = temp_report(&dir, "kasan.txt", &corrupted);
    let output = run("verify", 5, &[&path]);
    assert_eq!(status(&output), 1);
    let out = stdout(&output);
    let frame = line_number(&correct, " tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75");
    let inline = line_number(&correct, " dst_check include/net/dst.h:36 [inline]");
    let block = format!(
        "L{frame} tcp_v4_do_rcv+0x46/0xc0: wrong line at L{inline} (dst_check [inline]): report says include/net/dst.h:37, DWARF says include/net/dst.h:36\n\
         \x20   also: wrong line: report says net/ipv4/tcp_ipv4.c:76, DWARF says net/ipv4/tcp_ipv4.c:75\n\
         \x20   corrected:\n\
         \x20    kasan_check_read include/linux/kasan-checks.h:15 [inline]\n\
         \x20    dst_obsolete include/net/dst.h:30 [inline]\n\
         \x20    dst_check include/net/dst.h:36 [inline]\n\
         \x20    sk_rx_dst_get include/net/sock.h:86 [inline]\n\
         \x20    tcp_v4_do_rcv net/ipv4/tcp_ipv4.c:78 [inline]\n\
         \x20    tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75\n"
    );
    assert!(out.contains(&block), "{out}");
    assert!(
        out.ends_with(": 21 frames: 20 ok, 1 wrong, 0 not annotated\n"),
        "{out}"
    );
}

#[test]
fn module_frames_keep_their_module_in_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let correct = symbolized("module-buildid.txt", 5);
    let old = " samplemod_init+0x13/0x33 drivers/sample/samplemod.c:54 [samplemod]";
    let corrupted = replace_line(
        &correct,
        old,
        " samplemod_init+0x13/0x33 drivers/sample/samplemod.c:53 [samplemod]",
    );
    let path = temp_report(&dir, "module.txt", &corrupted);
    let output = run("verify", 5, &[&path]);
    assert_eq!(status(&output), 1);
    let out = stdout(&output);
    let line = line_number(&correct, old);
    assert!(
        out.contains(&format!(
            "L{line} samplemod_init+0x13/0x33 [samplemod]: wrong line: report says drivers/sample/samplemod.c:53, DWARF says drivers/sample/samplemod.c:54\n    corrected:\n    {old}\n"
        )),
        "{out}"
    );
}

#[test]
fn fix_round_trip_gives_back_the_correct_report() {
    let dir = tempfile::tempdir().unwrap();
    for dwarf in [5, 4] {
        let correct = symbolized("kasan-tcp.txt", dwarf);
        let corrupted = replace_line(
            &correct,
            " __netif_receive_skb net/core/dev.c:20 [inline]",
            " __netif_receive_skb net/core/dev.c:21 [inline]",
        );
        let corrupted = remove_line(&corrupted, " __do_softirq kernel/softirq.c:44 [inline]");
        let corrupted = replace_line(
            &corrupted,
            " ? kthread_exit+0x10/0x10 kernel/kthread.c:31",
            " ? kthread_exit+0x10/0x10 kernel/exit.c:31",
        );
        let path = temp_report(&dir, "kasan.txt", &corrupted);
        let output = run_with("verify", dwarf, &["--fix"], &[&path]);
        assert_eq!(status(&output), 1, "--fix reports on the input as it was");
        assert_eq!(stdout(&output), correct);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("21 frames: 18 ok, 3 wrong"), "{stderr}");

        // Fixing a correct report changes nothing.
        let path = temp_report(&dir, "correct.txt", &correct);
        let output = run_with("verify", dwarf, &["--fix"], &[&path]);
        assert_eq!(status(&output), 0);
        assert_eq!(stdout(&output), correct);
    }
}

#[test]
fn fix_in_place_rewrites_the_file_then_verifies_clean() {
    let dir = tempfile::tempdir().unwrap();
    let correct = symbolized("kthread-aoe.txt", 5);
    let corrupted = replace_line(&correct, CORE_KTHREAD, CORE_KTHREAD_AS_AOE);
    let path = temp_report(&dir, "kthread-aoe.txt", &corrupted);
    let output = run_with("verify", 5, &["--fix", "--in-place"], &[&path]);
    assert_eq!(status(&output), 1);
    assert!(stdout(&output).contains(": wrong file: "));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), correct);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temporary file left behind");
    let output = run("verify", 5, &[&path]);
    assert_eq!(status(&output), 0, "{}", stdout(&output));

    // Through a symlink: the target is rewritten, the link stays a link.
    let target = temp_report(&dir, "target.txt", &corrupted);
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = run_with("verify", 5, &["--fix", "--in-place"], &[&link]);
    assert_eq!(status(&output), 1);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), correct);

    // --in-place needs --fix, and a file.
    let output = run_with("verify", 5, &["--in-place"], &[&path]);
    assert_eq!(status(&output), 2);
    let output = run_with("verify", 5, &["--fix", "--in-place"], &[Path::new("-")]);
    assert_eq!(status(&output), 2);
}

#[test]
fn json_lists_every_verdict_with_expected_and_found() {
    let dir = tempfile::tempdir().unwrap();
    let correct = symbolized("kthread-aoe.txt", 5);
    let corrupted = replace_line(&correct, CORE_KTHREAD, CORE_KTHREAD_AS_AOE);
    let corrupted = replace_line(
        &corrupted,
        " ktio+0x1f/0x60 drivers/block/aoe/aoecmd.c:74",
        " ktio+0x1f/0x60",
    );
    let path = temp_report(&dir, "kthread-aoe.txt", &corrupted);
    let output = run_with("verify", 5, &["--format", "json"], &[&path]);
    assert_eq!(status(&output), 1);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["input"], path.display().to_string());
    assert_eq!(json["clean"], false);
    assert_eq!(
        json["summary"],
        serde_json::json!({"frames": 10, "ok": 8, "wrong": 1, "not_annotated": 1, "not_checked": 0})
    );
    let frames = json["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 10);
    let verdicts: Vec<_> = frames
        .iter()
        .map(|f| f["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts.iter().filter(|v| **v == "ok").count(),
        8,
        "{verdicts:?}"
    );
    let wrong = frames
        .iter()
        .find(|f| f["verdict"] == "wrong_file")
        .unwrap();
    let line = line_number(&correct, CORE_KTHREAD);
    assert_eq!(wrong["line"], line);
    assert_eq!(wrong["first_line"], line);
    assert_eq!(wrong["symbol"], "kthread+0x2a/0x30");
    assert_eq!(wrong["reliable"], true);
    assert_eq!(wrong["problems"][0]["kind"], "wrong_file");
    assert_eq!(wrong["problems"][0]["line"], line);
    assert_eq!(
        wrong["problems"][0]["found"],
        serde_json::json!({"function": "kthread", "file": "drivers/block/aoe/aoecmd.c", "line": 88})
    );
    assert_eq!(
        wrong["problems"][0]["expected"],
        serde_json::json!({"function": "kthread", "file": "kernel/kthread.c", "line": 55})
    );
    assert_eq!(wrong["levels"][0]["status"], "wrong_file");
    assert_eq!(wrong["levels"][0]["inline"], false);
    assert_eq!(
        wrong["corrected"],
        serde_json::json!([" kthread+0x2a/0x30 kernel/kthread.c:55"])
    );
    let bare = frames
        .iter()
        .find(|f| f["verdict"] == "not_annotated")
        .unwrap();
    assert_eq!(bare["symbol"], "ktio+0x1f/0x60");
    assert_eq!(bare["problems"], serde_json::json!([]));
    let ok = frames.iter().find(|f| f["verdict"] == "ok").unwrap();
    assert_eq!(ok["corrected"], serde_json::Value::Null);
}

#[test]
fn json_lines_for_several_inputs_and_a_total_for_text() {
    let dir = tempfile::tempdir().unwrap();
    let a = temp_report(&dir, "a.txt", &symbolized("kasan-tcp.txt", 5));
    let b = temp_report(&dir, "b.txt", &symbolized("module.txt", 5));
    let output = run_with("verify", 5, &["--format", "json"], &[&a, &b]);
    assert_eq!(status(&output), 0);
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["clean"] == true));
    let output = run("verify", 5, &[dir.path()]);
    assert_eq!(status(&output), 0);
    assert!(
        stdout(&output).ends_with("total: 38 frames: 38 ok, 0 wrong, 0 not annotated\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn exit_2_on_usage_and_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = temp_report(&dir, "good.txt", &symbolized("kthread-aoe.txt", 5));
    // Missing input file: the other inputs are still verified.
    let output = run("verify", 5, &[&good, &dir.path().join("missing.txt")]);
    assert_eq!(status(&output), 2);
    // Missing vmlinux.
    let output = kresym()
        .args(["verify", "--vmlinux", "/nonexistent/vmlinux"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(status(&output), 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("kresym: error:"));
    // No --vmlinux, unknown format.
    let output = kresym().arg("verify").arg(&good).output().unwrap();
    assert_eq!(status(&output), 2);
    let output = run_with("verify", 5, &["--format", "xml"], &[&good]);
    assert_eq!(status(&output), 2);
}

#[test]
fn unsymbolized_report_is_not_annotated_and_exits_0() {
    let output = run("verify", 5, &[&report("kasan-tcp.txt")]);
    assert_eq!(status(&output), 0);
    assert!(stdout(&output).ends_with(": 21 frames: 0 ok, 0 wrong, 21 not annotated\n"));
}

#[test]
fn report_from_another_vmlinux_is_said_once_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let correct = symbolized("kasan-tcp.txt", 5);
    let corrupted = replace_line(
        &correct,
        " tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:130",
        " tcp_v4_rcv+0x2a/0x60 net/ipv4/tcp_ipv4.c:130",
    );
    let path = temp_report(&dir, "other.txt", &corrupted);
    let output = run("verify", 5, &[&path]);
    assert_eq!(status(&output), 3);
    let out = stdout(&output);
    assert_eq!(
        out.matches("this vmlinux did not produce this report")
            .count(),
        1,
        "{out}"
    );
    assert!(
        out.contains("tcp_v4_rcv is 0x50 bytes here, not 0x60"),
        "{out}"
    );
    // No verdict per frame, no correction from another binary.
    assert!(!out.contains("\nL"), "{out}");
    assert!(!out.contains("corrected:"), "{out}");
    assert!(
        out.ends_with(
            ": 21 frames: 0 ok, 0 wrong, 0 not annotated, 21 not checked (not from this binary)\n"
        ),
        "{out}"
    );
    // JSON keeps every frame's own finding.
    let output = run_with("verify", 5, &["--format", "json"], &[&path]);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["clean"], false);
    let frame = value["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["symbol"] == "tcp_v4_rcv+0x2a/0x60")
        .unwrap();
    assert_eq!(frame["verdict"], "not_from_this_binary");
    assert_eq!(frame["problems"][1]["kind"], "size_mismatch");
}

#[test]
fn seeds_of_other_kernels_verify_with_one_message_each() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/seeds");
    if !kresym_test_support::require(
        seeds.is_dir(),
        &format!("the corpus seeds at {}", seeds.display()),
    ) {
        return;
    }
    let output = run("verify", 5, &[&seeds]);
    assert_eq!(status(&output), 3);
    let out = stdout(&output);
    let inputs = std::fs::read_dir(&seeds).unwrap().count();
    assert_eq!(
        out.matches("did not produce this report").count(),
        inputs,
        "{out}"
    );
    assert!(!out.contains("\nL"), "{out}");
}

#[test]
fn question_mark_frames_are_marked_in_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let correct = symbolized("page-alloc-cold.txt", 5);
    let corrupted = correct.replacen(
        " ? kernel_init_freeable+0x10/0x10 init/main.c:60\n",
        " ? kernel_init_freeable+0x10/0x10 init/main.c:61\n",
        1,
    );
    let path = temp_report(&dir, "cold.txt", &corrupted);
    let output = run("verify", 5, &[&path]);
    assert_eq!(status(&output), 1);
    let out = stdout(&output);
    let line = line_number(&correct, " ? kernel_init_freeable+0x10/0x10 init/main.c:60");
    assert!(
        out.contains(&format!(
            "L{line} ? kernel_init_freeable+0x10/0x10: wrong line: report says init/main.c:61, DWARF says init/main.c:60\n    corrected:\n     ? kernel_init_freeable+0x10/0x10 init/main.c:60\n"
        )),
        "{out}"
    );
}

#[test]
fn help_names_the_exit_statuses() {
    let output = kresym().args(["verify", "--help"]).output().unwrap();
    assert!(output.status.success());
    let help = stdout(&output);
    assert!(help.contains("Exit status: 0 when every annotated frame verifies"));
    assert!(help.contains("kresym verify --vmlinux vmlinux --fix report.txt"));
}
