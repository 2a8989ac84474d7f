//! End-to-end tests of `kresym symbolize` on the vmlinux-samples.
//!
//! Expected lines here are facts verified by hand (source lines read in
//! vmlinux-samples/, addresses checked with nm, objdump and
//! llvm-symbolizer); the frame-by-frame comparison against llvm-symbolizer
//! itself lives in crates/symbolize/tests/oracle.rs.

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

mod common;
use common::{kresym, report, samples};

/// `kresym symbolize` on the DWARF 5 sample with its modules.
fn symbolize(args: &[&str]) -> Output {
    let samples = samples();
    kresym()
        .arg("symbolize")
        .arg("--vmlinux")
        .arg(samples.join("build/vmlinux-dwarf5"))
        .arg("--modules")
        .arg(samples.join("build"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let output = symbolize(args);
    assert!(
        output.status.success(),
        "kresym failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn duplicate_static_kthreads_resolve_to_their_own_files() {
    // kernel/kthread.c's kthread is 0x30 bytes (0x4023d0), aoecmd.c's is
    // 0x70 (0x404e30); line 88 of aoecmd.c is `more = k->fn(k->id);`,
    // line 55 of kthread.c is `ret = threadfn(data);`.
    let out = stdout_of(&[path(&report("kthread-aoe.txt"))]);
    assert!(
        out.contains("\n kthread+0x3e/0x70 drivers/block/aoe/aoecmd.c:88\n"),
        "{out}"
    );
    assert!(
        out.contains("\n kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );
}

#[test]
fn cold_part_resolves_to_the_call_in_the_unlikely_branch() {
    // mm/page_alloc.c:202 is `table = alloc_hash_fallback(size);`, the
    // unlikely() branch gcc moved to alloc_large_system_hash.cold.
    let out = stdout_of(&[path(&report("page-alloc-cold.txt"))]);
    assert!(
        out.contains("\n alloc_large_system_hash.cold+0x8/0x28 mm/page_alloc.c:202\n"),
        "{out}"
    );
}

#[test]
fn module_frames_keep_their_suffix_and_drop_the_build_id() {
    // drivers/sample/samplemod.c:29 is `dump_stack();` in samplemod_mtu_warn,
    // :42 the call to it from the cold branch of samplemod_netdev_event.
    for name in ["module.txt", "module-buildid.txt"] {
        let out = stdout_of(&[path(&report(name))]);
        assert!(
            out.contains(
                "\n samplemod_mtu_warn+0x20/0x22 drivers/sample/samplemod.c:29 [samplemod]\n"
            ),
            "{name}: {out}"
        );
        assert!(
            out.contains(
                "\n samplemod_netdev_event.cold+0x9/0xf6b drivers/sample/samplemod.c:42 [samplemod]\n"
            ),
            "{name}: {out}"
        );
        assert!(
            !out.contains("bfb1bebb"),
            "build id should be dropped: {out}"
        );
    }
}

#[test]
fn module_build_id_selects_the_matching_file() {
    // The DWARF 4 module has another build id; the frames name it, and the
    // file is found by it although it is named samplemod-dwarf4.ko.
    let out = stdout_of(&[path(&report("module-buildid-dwarf4.txt"))]);
    assert!(
        out.contains("\n samplemod_init+0x13/0x33 drivers/sample/samplemod.c:54 [samplemod]\n"),
        "{out}"
    );
}

#[test]
fn rip_line_uses_the_exact_pc() {
    // 0x404d10 (tcp_add_backlog+0xa0) is the ud2 of WARN_ON_ONCE at
    // net/ipv4/tcp_ipv4.c:106; pc-1 would land in the previous line's code.
    let out = stdout_of(&[path(&report("warn-rip.txt"))]);
    assert!(
        out.contains("\nRIP: 0010:tcp_add_backlog+0xa0/0xd0 net/ipv4/tcp_ipv4.c:106\n"),
        "{out}"
    );
}

#[test]
fn inline_chain_is_printed_innermost_first() {
    // Verified with llvm-symbolizer -i at tcp_v4_do_rcv+0x45.
    let out = stdout_of(&[path(&report("kasan-tcp.txt"))]);
    let expected = "\n kasan_check_read include/linux/kasan-checks.h:15 [inline]\n \
                    dst_obsolete include/net/dst.h:30 [inline]\n \
                    dst_check include/net/dst.h:36 [inline]\n \
                    sk_rx_dst_get include/net/sock.h:86 [inline]\n \
                    tcp_v4_do_rcv net/ipv4/tcp_ipv4.c:78 [inline]\n \
                    tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75\n";
    assert!(out.contains(expected), "{out}");
}

#[test]
fn bare_addresses_are_resolved_through_the_kaslr_offset() {
    // The report's addresses carry a +0x1a000000 slide; 0x402eff is
    // notifier_call_chain.constprop.0+0x2f, kernel/notifier.c:47 being
    // `ret = nb->notifier_call(nb, val, v);`.
    let out = stdout_of(&[path(&report("oldstyle-kaslr.txt"))]);
    assert!(
        out.contains(
            "\n [<000000001a402eff>] notifier_call_chain.constprop.0+0x2f/0x50 kernel/notifier.c:47\n"
        ),
        "{out}"
    );
}

#[test]
fn console_prefixes_are_repeated_on_inline_lines() {
    let out = stdout_of(&[path(&report("timestamps.txt"))]);
    let inline_lines: Vec<_> = out.lines().filter(|l| l.ends_with("[inline]")).collect();
    assert!(!inline_lines.is_empty(), "{out}");
    for line in inline_lines {
        assert!(
            line.starts_with("[ "),
            "inline line lost its console prefix: {line}"
        );
    }
}

/// Lines of `a` appear in `b` in the same order.
fn is_subsequence(a: &str, b: &str) -> bool {
    let mut b = b.split_inclusive('\n');
    a.split_inclusive('\n')
        .all(|line| b.any(|other| other == line))
}

#[test]
fn every_input_line_is_kept_and_symbolizing_twice_changes_nothing() {
    for entry in std::fs::read_dir(samples().join("reports")).unwrap() {
        let file = entry.unwrap().path();
        let input = std::fs::read_to_string(&file).unwrap();
        let once = stdout_of(&[path(&file)]);
        // Non-frame lines survive unchanged, in order.
        let plain: String = input
            .split_inclusive('\n')
            .filter(|l| !l.contains("+0x") && !l.trim_start().starts_with("[<"))
            .collect();
        assert!(is_subsequence(&plain, &once), "{}", file.display());
        // Re-symbolizing replaces the old annotations instead of stacking.
        let twice = {
            let mut child = common::kresym()
                .args(["symbolize", "-q", "--vmlinux"])
                .arg(samples().join("build/vmlinux-dwarf5"))
                .arg("--modules")
                .arg(samples().join("build"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(once.as_bytes())
                .unwrap();
            let output = child.wait_with_output().unwrap();
            String::from_utf8(output.stdout).unwrap()
        };
        assert_eq!(once, twice, "{}", file.display());
    }
}

#[test]
fn stdin_filter_mode() {
    let input = std::fs::read(report("kthread-aoe.txt")).unwrap();
    let mut child = kresym()
        .args(["symbolize", "--vmlinux"])
        .arg(samples().join("build/vmlinux-dwarf5"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("kernel/kthread.c:55"), "{stdout}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("1 input, 1 report, 10 frames"), "{stderr}");
}

#[test]
fn wrong_vmlinux_is_said_once_per_report() {
    // Sizes edited so that they fit no symbol of this vmlinux.
    let input = std::fs::read_to_string(report("kthread-aoe.txt"))
        .unwrap()
        .replace("/0x30\n", "/0x38\n")
        .replace("/0x10\n", "/0x18\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("other-build.txt");
    std::fs::write(&file, &input).unwrap();
    let output = symbolize(&[path(&file)]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), input);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.matches("did not produce this report").count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("1 report left unchanged"), "{stderr}");
}

/// The shared corpus's seeds (`../shared/corpus/seeds`, beside the
/// checkout); `None`, said, when absent outside CI.
fn seeds() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/seeds");
    kresym_test_support::require(
        dir.is_dir(),
        &format!("the corpus seeds at {}", dir.display()),
    )
    .then_some(dir)
}

#[test]
fn reports_of_other_kernels_come_out_unchanged_with_exit_3() {
    // The seeds are syzbot reports of 5.x kernels, annotated by syzkaller;
    // the sample vmlinux printed none of them.
    let Some(seeds) = seeds() else { return };
    let out = tempfile::tempdir().unwrap();
    let output = symbolize(&["--out-dir", path(out.path()), path(&seeds)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let mut inputs = 0;
    for entry in std::fs::read_dir(&seeds).unwrap() {
        let input = entry.unwrap().path();
        let name = input.file_name().unwrap();
        let written = std::fs::read(out.path().join(name)).unwrap();
        assert!(
            written == std::fs::read(&input).unwrap(),
            "{} was changed",
            input.display()
        );
        // One message per report (each seed holds one).
        let said = stderr
            .lines()
            .filter(|l| l.contains(&*name.to_string_lossy()) && l.contains("did not produce"))
            .count();
        assert_eq!(said, 1, "{}: {stderr}", input.display());
        inputs += 1;
    }
    assert!(inputs >= 5, "{inputs} seeds");
    assert!(
        stderr.contains(&format!("{inputs} reports left unchanged")),
        "{stderr}"
    );

    // --allow-mismatch annotates them anyway (the old, wrong, behaviour).
    let kcsan = seeds.join("kcsan-data-race-tcp.txt");
    let output = symbolize(&["--allow-mismatch", path(&kcsan)]);
    assert_eq!(output.status.code(), Some(0));
    let forced = String::from_utf8(output.stdout).unwrap();
    assert!(forced.contains(" ip_protocol_deliver_rcu+0x4d/0x420 net/ipv4/ip_input.c:36\n"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("annotated anyway"));
}

#[test]
fn frames_whose_size_fits_no_symbol_are_size_mismatches_in_json() {
    let Some(seeds) = seeds() else { return };
    let output = symbolize(&[
        "--format",
        "json",
        path(&seeds.join("kcsan-data-race-tcp.txt")),
    ]);
    assert_eq!(output.status.code(), Some(3));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let frames = value["frames"].as_array().unwrap();
    // nm -n: ip_protocol_deliver_rcu at 0x404a80, next symbol at 0x404ab0.
    let frame = frames
        .iter()
        .find(|f| f["function"] == "ip_protocol_deliver_rcu")
        .unwrap();
    assert_eq!(frame["status"], "size_mismatch", "{frame}");
    assert_eq!(frame["printed"], 0x420);
    assert_eq!(frame["actual"], serde_json::json!([0x30]));
    assert!(
        frames
            .iter()
            .all(|f| f["status"] != "resolved" && f["chain"].is_null()),
        "nothing of another kernel is resolved"
    );
    let checks = value["checks"].as_array().unwrap();
    let withheld: Vec<_> = checks
        .iter()
        .filter(|c| c["kind"] == "not_from_this_vmlinux")
        .collect();
    assert_eq!(withheld.len(), 1, "{checks:?}");
}

#[test]
fn a_matching_frame_in_a_report_of_another_build_is_withheld() {
    // kthread+0x2a/0x30 fits this vmlinux; the other frame's size does not:
    // the report is another build's, and no annotation is replaced.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.txt");
    let input = "Call Trace:\n kthread+0x2a/0x30 some/old.c:1\n tcp_v4_rcv+0x2a/0x60 net/old.c:2\n";
    std::fs::write(&file, input).unwrap();
    let output = symbolize(&[path(&file)]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), input);
    let json = symbolize(&["--format", "json", path(&file)]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["frames"][0]["status"], "withheld");
    assert_eq!(value["frames"][0]["symbol_size"], 0x30);
    assert_eq!(value["frames"][1]["status"], "size_mismatch");
}

#[test]
fn ambiguous_duplicates_are_not_guessed() {
    // A size matching neither kthread: not this vmlinux's frame.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ambiguous.txt");
    std::fs::write(&file, "Call Trace:\n kthread+0x10/0x99\n").unwrap();
    let output = symbolize(&[path(&file)]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(output.stdout, b"Call Trace:\n kthread+0x10/0x99\n");
    let output = symbolize(&["--format", "json", path(&file)]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["frames"][0]["status"], "size_mismatch");
    assert_eq!(
        value["frames"][0]["actual"],
        serde_json::json!([0x30, 0x70])
    );
    // Allowed, both candidates, and still no annotation.
    let out = stdout_of(&["--allow-mismatch", path(&file)]);
    assert_eq!(out, "Call Trace:\n kthread+0x10/0x99\n");
    let json = stdout_of(&["--allow-mismatch", "--format", "json", path(&file)]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let frame = &value["frames"][0];
    assert_eq!(frame["status"], "ambiguous");
    assert_eq!(frame["candidates"].as_array().unwrap().len(), 2);
}

#[test]
fn json_carries_the_inline_chain() {
    let json = stdout_of(&["--format", "json", path(&report("kasan-tcp.txt"))]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let frame = value["frames"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["text"] == " tcp_v4_do_rcv+0x46/0xc0")
        .expect("frame present");
    assert_eq!(frame["status"], "resolved");
    assert_eq!(frame["offset"], 0x46);
    let chain = frame["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 6);
    assert_eq!(chain[0]["function"], "kasan_check_read");
    assert_eq!(chain[0]["location"]["file"], "include/linux/kasan-checks.h");
    assert_eq!(chain[5]["inlined"], false);
    assert_eq!(
        frame["lookup_pc"].as_u64().unwrap() + 1,
        frame["pc"].as_u64().unwrap()
    );
}

/// The guilty file is read from the symbolized report: kasan-tcp.txt has
/// no `file:line` at all, and its KASAN title line's chain runs through
/// headers (ignored by syzkaller's rules) to net/ipv4/tcp_ipv4.c; the aoe
/// report's title line names drivers/block/aoe/aoecmd.c, and its frames in
/// lib and kernel/sched are ignored. Both checked by hand in the output.
#[test]
fn json_reports_name_the_guilty_file_of_the_symbolized_text() {
    let input = std::fs::read_to_string(report("kasan-tcp.txt")).unwrap();
    assert!(!input.contains(".c:"), "kasan-tcp.txt is not symbolized");
    for (name, guilty) in [
        ("kasan-tcp.txt", "net/ipv4/tcp_ipv4.c"),
        ("kthread-aoe.txt", "drivers/block/aoe/aoecmd.c"),
    ] {
        let json = stdout_of(&["--format", "json", path(&report(name))]);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["reports"][0]["guilty_file"], guilty, "{name}");
    }
}

#[test]
fn batches_keep_input_order_and_match_one_thread() {
    let dir = samples().join("reports");
    let serial = stdout_of(&["-j", "1", path(&dir)]);
    let parallel = stdout_of(&["-j", "2", path(&dir), path(&dir)]);
    assert_eq!(format!("{serial}{serial}"), parallel);

    let out = tempfile::tempdir().unwrap();
    let output = symbolize(&["--out-dir", path(out.path()), path(&dir)]);
    assert!(output.status.success());
    let written = std::fs::read_to_string(out.path().join("kthread-aoe.txt")).unwrap();
    assert!(written.contains("kernel/kthread.c:55"));
}

#[test]
fn errors_name_the_file_and_set_the_exit_status() {
    // An input that cannot be read: exit 1, as README says (others would
    // still be processed: tests/cli.rs).
    let output = symbolize(&["/nonexistent/report.txt"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/report.txt"));

    let output = kresym()
        .args(["symbolize", "--vmlinux", "/nonexistent/vmlinux", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/vmlinux"));

    let output = kresym()
        .args(["symbolize", "--vmlinux"])
        .arg(report("kasan-tcp.txt"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not an ELF file"));
}

#[test]
fn symbolized_frames_link_to_source_with_snippets_from_a_local_tree() {
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let samples = samples();
    let out = stdout_of(&[
        "--repo",
        "upstream",
        "--commit",
        commit,
        "--snippets",
        "--source-dir",
        path(&samples),
        "--format",
        "markdown",
        path(&report("kthread-aoe.txt")),
    ]);
    let url = format!(
        "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git/tree/drivers/block/aoe/aoecmd.c?id={commit}#n88"
    );
    assert!(out.contains(&url), "{out}");
    // The snippet comes from vmlinux-samples/drivers/block/aoe/aoecmd.c.
    assert!(out.contains("more = k->fn(k->id);"), "{out}");

    let output = symbolize(&["--format", "html", path(&report("kthread-aoe.txt"))]);
    assert_eq!(output.status.code(), Some(1), "html needs a repository");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--repo"));
}

/// With a source tree, Markdown and HTML name each report's guilty file and
/// who maintains it, from the tree's MAINTAINERS; hostile entries in it
/// are escaped like everything else.
#[test]
fn markdown_and_html_name_the_guilty_file_and_its_maintainers() {
    let tree = tempfile::tempdir().unwrap();
    for dir in [
        "drivers", "kernel", "lib", "include", "arch", "init", "mm", "net",
    ] {
        let copied = std::process::Command::new("cp")
            .arg("-r")
            .arg(samples().join(dir))
            .arg(tree.path())
            .status()
            .unwrap();
        assert!(copied.success());
    }
    std::fs::write(
        tree.path().join("MAINTAINERS"),
        "ATA OVER ETHERNET (AOE) DRIVER\nM:\tJustin <j@example.org>\nR:\tEvil <script>alert(1)</script>\n\
         L:\tlinux-block@example.org\nS:\tMaintained\nF:\tdrivers/block/aoe/\n",
    )
    .unwrap();
    let input = report("kthread-aoe.txt");
    let linked = |format: &str| {
        stdout_of(&[
            "--repo",
            "upstream",
            "--commit",
            "v6.1",
            "--snippets",
            "--source-dir",
            path(tree.path()),
            "--format",
            format,
            path(&input),
        ])
    };
    for format in ["markdown", "html"] {
        let out = linked(format);
        assert!(out.contains("Guilty file: "), "{format}: {out}");
        assert!(out.contains("drivers/block/aoe/aoecmd.c"), "{format}");
        assert!(out.contains("Justin"), "{format}: {out}");
        assert!(out.contains("linux-block"), "{format}");
        assert!(!out.contains("<script>"), "{format}: {out}");
    }
    let json = linked("json");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let found = &value["links"]["maintainers"][0];
    assert_eq!(found["guilty_file"], "drivers/block/aoe/aoecmd.c");
    assert_eq!(
        found["sections"][0]["maintainers"][0],
        "Justin <j@example.org>"
    );
}

/// `kresym symbolize --vmlinux vmlinux-dwarf5` (no modules) on `text`:
/// exit status, stdout, stderr.
fn symbolize_text(text: &str, flags: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    std::fs::write(&file, text).unwrap();
    let output = kresym()
        .arg("symbolize")
        .arg("--vmlinux")
        .arg(samples().join("build/vmlinux-dwarf5"))
        .args(flags)
        .arg(&file)
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn a_missing_module_is_explained_once_with_what_to_do() {
    let text = std::fs::read_to_string(report("module.txt")).unwrap();
    let frames = text.matches(" [samplemod]").count();
    assert!(frames >= 2, "{text}");
    let (status, out, err) = symbolize_text(&text, &[]);
    assert_eq!(status, Some(0), "{err}");
    assert!(
        out.contains(" dump_stack+0xe/0x10 lib/dump_stack.c:43\n"),
        "{out}"
    );
    let said: Vec<_> = err.lines().filter(|l| l.contains("samplemod")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(
        said[0].contains(&format!("module samplemod not found: {frames} frames: "))
            && said[0].contains("pass --modules DIR holding samplemod.ko"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{frames} unresolved, 1 warning")),
        "{err}"
    );
}

#[test]
fn an_unknown_function_is_explained_and_does_not_reject_the_report() {
    // A BPF program is in no file; the other frame is this vmlinux's.
    let text = "Call Trace:\n bpf_prog_5fb8a7a8c9e0f3d1_prog+0x2d/0x64\n kthread+0x2a/0x30\n";
    let (status, out, err) = symbolize_text(text, &[]);
    assert_eq!(status, Some(0), "{err}");
    assert!(
        out.contains(" kthread+0x2a/0x30 kernel/kthread.c:55\n"),
        "{out}"
    );
    assert!(
        err.contains(
            "functions not in the vmlinux: frame bpf_prog_5fb8a7a8c9e0f3d1_prog+0x2d/0x64 not resolved: code generated at run time"
        ),
        "{err}"
    );
    assert!(err.contains("1 unresolved, 1 warning"), "{err}");
}

#[test]
fn frames_none_of_whose_functions_are_there_are_another_kernels() {
    let text = "Call Trace:\n foo_a+0x1/0x10 a.c:1\n foo_a+0x2/0x10 a.c:2\n foo_b+0x1/0x10 b.c:1\n";
    let (status, out, err) = symbolize_text(text, &[]);
    assert_eq!(status, Some(3), "{err}");
    assert_eq!(out, text);
    assert_eq!(err.matches("did not produce").count(), 1, "{err}");
    // Each function named once, not once per frame.
    assert_eq!(err.matches("foo_a is not there").count(), 1, "{err}");
    assert!(err.contains("none of its 3 frames is there"), "{err}");
}

#[test]
fn an_ambiguous_name_is_explained() {
    let (status, out, err) =
        symbolize_text("Call Trace:\n kthread+0x10/0x99\n", &["--allow-mismatch"]);
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(out, "Call Trace:\n kthread+0x10/0x99\n");
    assert!(
        err.contains("2 functions named kthread in the vmlinux (none 0x99 bytes long) and point at different source: frame kthread+0x10/0x99 not resolved"),
        "{err}"
    );
}

#[test]
fn modules_behind_directory_symlinks_are_found_and_loops_end() {
    // mods/tree -> ../real (holding extra/samplemod.ko), mods/tree/extra/up
    // -> ../.. and mods/self -> . loop back.
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real/extra");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::copy(
        samples().join("build/samplemod.ko"),
        real.join("samplemod.ko"),
    )
    .unwrap();
    let mods = dir.path().join("mods");
    std::fs::create_dir_all(&mods).unwrap();
    std::os::unix::fs::symlink("../real", mods.join("tree")).unwrap();
    std::os::unix::fs::symlink(".", mods.join("self")).unwrap();
    std::os::unix::fs::symlink("../..", real.join("up")).unwrap();
    std::os::unix::fs::symlink("nowhere", mods.join("dangling.ko")).unwrap();
    let output = kresym()
        .arg("symbolize")
        .arg("--vmlinux")
        .arg(samples().join("build/vmlinux-dwarf5"))
        .arg("--modules")
        .arg(&mods)
        .arg(report("module.txt"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(
        out.contains(" samplemod_mtu_warn+0x20/0x22 drivers/sample/samplemod.c:29 [samplemod]\n"),
        "{out}"
    );
    assert!(err.contains("0 unresolved, 0 warnings"), "{err}");
}

/// An input that can be read only once (a pipe: `kresym symbolize
/// <(zcat report.gz)`) is symbolized whole, because each input is read
/// once: the frame prefetch (or discovery) used to read it first, and
/// symbolizing it opened the pipe again and waited for a writer forever.
#[test]
fn an_input_that_can_be_read_only_once_is_symbolized() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let text = std::fs::read(report("kasan-tcp.txt")).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut pipe = std::fs::OpenOptions::new().write(true).open(fifo)?;
            pipe.write_all(&text)
        })
    };
    let samples = samples();
    let mut child = kresym()
        .arg("symbolize")
        .arg("--no-index")
        .arg("--vmlinux")
        .arg(samples.join("build/vmlinux-dwarf5"))
        .arg(&fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("kresym is still running after 60 s: it opened the pipe a second time");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "{output:?}");
    let whole = stdout_of(&["--no-index", path(&report("kasan-tcp.txt"))]);
    assert_eq!(String::from_utf8(output.stdout).unwrap(), whole);
}

#[test]
fn disassemble_lists_code_after_its_line_and_default_text_leaves_it_alone() {
    // warn-rip.txt's Code: line ends the WARN at `<0f> 0b`, x86's ud2 (the
    // bytes checked with `objdump -D -b binary -m i386:x86-64`).
    let input = report("warn-rip.txt");
    let listed = stdout_of(&["--disassemble", path(&input)]);
    let code_line = std::fs::read_to_string(&input)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Code: "))
        .unwrap()
        .to_string();
    let after = listed.split(&format!("{code_line}\n")).nth(1).unwrap();
    assert!(
        after.starts_with("Code disassembly (best guess):\n   0:\t2b 44 24 20 "),
        "{after}"
    );
    assert!(
        after.contains("\n  2a:*\t0f 0b                \tud2\t\t<-- trapping instruction\n"),
        "{after}"
    );
    let plain = stdout_of(&[path(&input)]);
    assert!(!plain.contains("Code disassembly"), "{plain}");
    assert!(plain.contains(&format!("{code_line}\nRSP: ")), "{plain}");
    let json = stdout_of(&["--disassemble", "--format", "json", path(&input)]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["code"][0]["instructions"][json["code"][0]["trap"].as_u64().unwrap() as usize]["text"],
        "ud2"
    );
}

/// One level of an inline chain: function, file, line.
type ChainLevel = (String, String, u64);

/// llvm-symbolizer's chains (innermost first) at `addresses` in `object`,
/// paths without the samples' build directory.
fn llvm_chains(object: &Path, addresses: &[u64]) -> Vec<Vec<ChainLevel>> {
    kresym_test_support::llvm_chains(object, addresses)
        .into_iter()
        .map(|chain| {
            chain
                .into_iter()
                .map(|level| {
                    let file = level.file.strip_prefix("/build/kresym-sample/");
                    let file = file.unwrap_or(&level.file).to_owned();
                    (level.function, file, u64::from(level.line))
                })
                .collect()
        })
        .collect()
}

/// The aarch64 sample (`variants/gcc-aarch64`, built with ftrace's
/// patchable entries): `kresym symbolize` over each of its reports, in
/// JSON and in text. Every vmlinux frame's chain is llvm-symbolizer's at
/// the frame's `lookup_pc` (each level's `file:line`, the inlined levels'
/// names, and a named outer level where llvm names one: at
/// `tcp_v4_rcv+0x8`, among the NOPs and before any DWARF function, both
/// name `tcp_v4_rcv`); the text shows each frame's `file:line` after it and
/// an `[inline]` line per inlined level before it. Module frames are
/// compared with llvm-symbolizer in crates/symbolize/tests/oracle.rs; here
/// their text is checked against their JSON.
#[test]
fn aarch64_sample_frames_agree_with_llvm_symbolizer_in_text_and_json() {
    if !["llvm-symbolizer"]
        .iter()
        .all(|tool| kresym_test_support::tool(tool))
    {
        return;
    }
    let dir = samples().join("variants/gcc-aarch64");
    let vmlinux = dir.join("vmlinux");
    let mut reports: Vec<_> = std::fs::read_dir(dir.join("reports"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    reports.sort();
    let run = |report: &Path, json: bool| {
        let mut command = kresym();
        command
            .arg("symbolize")
            .arg("--vmlinux")
            .arg(&vmlinux)
            .arg("--modules")
            .arg(&dir);
        if json {
            command.args(["--format", "json"]);
        }
        let output = command.arg(report).output().unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            report.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let (mut checked, mut inlined, mut ftrace_entry) = (0, 0, 0);
    for report in &reports {
        let json: serde_json::Value = serde_json::from_str(&run(report, true)).unwrap();
        let text = run(report, false);
        let frames = json["frames"].as_array().unwrap();
        let chain_of = |frame: &serde_json::Value| -> Vec<ChainLevel> {
            frame["chain"]
                .as_array()
                .unwrap()
                .iter()
                .map(|level| {
                    (
                        level["function"].as_str().unwrap_or_default().to_owned(),
                        level["location"]["file"].as_str().unwrap().to_owned(),
                        level["location"]["line"].as_u64().unwrap(),
                    )
                })
                .collect()
        };
        // JSON against llvm-symbolizer, vmlinux frames.
        let vmlinux_frames: Vec<_> = frames
            .iter()
            .filter(|frame| frame["module"].is_null())
            .collect();
        assert!(
            vmlinux_frames.iter().all(|f| f["status"] == "resolved"),
            "{}: unresolved frames",
            report.display()
        );
        let probes: Vec<u64> = vmlinux_frames
            .iter()
            .map(|frame| frame["lookup_pc"].as_u64().unwrap())
            .collect();
        let answers = llvm_chains(&vmlinux, &probes);
        assert_eq!(answers.len(), probes.len(), "{}", report.display());
        for (frame, mut expected) in vmlinux_frames.into_iter().zip(answers) {
            let at = format!("{}: {}", report.display(), frame["text"]);
            let mut ours = chain_of(frame);
            if let (Some(our_outer), Some(llvm_outer)) = (ours.last(), expected.last())
                && llvm_outer.0 != "??"
            {
                assert!(!our_outer.0.is_empty(), "{at}: the outer level has no name");
            }
            if frame["text"]
                .as_str()
                .unwrap()
                .ends_with(" tcp_v4_rcv+0x8/0x7c")
            {
                assert_eq!(expected.last().unwrap().0, "tcp_v4_rcv", "{at}: llvm");
                assert_eq!(ours.last().unwrap().0, "tcp_v4_rcv", "{at}");
                ftrace_entry += 1;
            }
            // The outer level's name: llvm-symbolizer's is the ELF symbol's
            // (`f.constprop.0`), kresym's DWARF's; the inlined ones agree.
            for levels in [&mut ours, &mut expected] {
                if let Some(outer) = levels.last_mut() {
                    outer.0.clear();
                }
            }
            assert_eq!(ours, expected, "{at}");
            checked += 1;
            inlined += ours.len().saturating_sub(1);
        }
        // Text against JSON, every frame: the inline lines, then the frame
        // line with the outer level's `file:line`, in order.
        let lines: Vec<&str> = text.lines().collect();
        let mut cursor = 0;
        let mut find = |wanted: &dyn Fn(&str) -> bool, what: &str| {
            let found = lines[cursor..].iter().position(|line| wanted(line));
            let found = found.unwrap_or_else(|| {
                panic!(
                    "{}: no line {what} after line {cursor}:\n{text}",
                    report.display()
                )
            });
            cursor += found + 1;
        };
        for frame in frames {
            let chain = chain_of(frame);
            let Some(((_, file, line), inlined_levels)) = chain.split_last() else {
                continue;
            };
            for (function, file, line) in inlined_levels {
                let suffix = format!(" {function} {file}:{line} [inline]");
                find(&|l: &str| l.ends_with(&suffix), &suffix);
            }
            let frame_text = frame["text"].as_str().unwrap();
            let location = format!(" {file}:{line}");
            if frame["module"].is_null() {
                let frame_line = format!("{frame_text}{location}");
                find(&|l: &str| l == frame_line, &frame_line);
            } else {
                // ` f+0x1/0x2 file:line [samplemod]`: the location before
                // the module's name, whose build id is dropped.
                let (head, _) = frame_text.split_once(" [").unwrap();
                let wanted = format!("{head}{location} [");
                find(&|l: &str| l.starts_with(&wanted), &wanted);
            }
        }
    }
    eprintln!(
        "{checked} aarch64 vmlinux frames ({inlined} inlined levels) agree with llvm-symbolizer \
         in JSON, and their text says the same; {ftrace_entry} at tcp_v4_rcv+0x8"
    );
    assert!(checked >= 100, "only {checked} aarch64 frames");
    assert!(inlined > 0, "no inlined levels");
    assert_eq!(ftrace_entry, 1, "fail-function.txt's tcp_v4_rcv+0x8 frame");
}
