//! Verdicts on the vmlinux-samples reports: each report is symbolized at
//! test time (that output is checked against llvm-symbolizer by
//! crates/symbolize/tests/oracle.rs), must verify clean, and is then
//! corrupted in every way `kresym verify` knows, one way at a time.

use std::path::{Path, PathBuf};

use kresym_symbolize::{Symbolizer, SymbolizerOptions};
use kresym_verify::{LevelStatus, VerdictKind, Verification, verify_document};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples")
}

/// The sample vmlinux built with DWARF `version`, with the sample modules.
fn symbolizer(version: u8) -> Symbolizer {
    let build = samples().join("build");
    Symbolizer::open(
        &build.join(format!("vmlinux-dwarf{version}")),
        SymbolizerOptions {
            module_dirs: vec![build],
            strip_prefixes: Vec::new(),
        },
    )
    .unwrap()
}

fn raw(name: &str) -> String {
    std::fs::read_to_string(samples().join("reports").join(name)).unwrap()
}

/// What `kresym symbolize` prints for a report.
fn symbolized(symbolizer: &Symbolizer, text: &str) -> String {
    let document = kresym_report::parse(text);
    let symbols = symbolizer.symbolize_document(&document);
    let mut out = Vec::new();
    kresym_render::text::write_symbolized(&mut out, &document, &symbols).unwrap();
    String::from_utf8(out).unwrap()
}

fn verify(symbolizer: &Symbolizer, text: &str) -> Verification {
    verify_document(symbolizer, &kresym_report::parse(text))
}

/// (frame line, verdict) of every frame that does not verify.
fn wrong(verification: &Verification) -> Vec<(usize, VerdictKind)> {
    verification
        .wrong_frames()
        .map(|f| (f.line, f.verdict))
        .collect()
}

/// The 1-based number of the only line equal to `line`.
fn line_number(text: &str, line: &str) -> usize {
    let found: Vec<_> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == line)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(found.len(), 1, "{line:?} is not exactly once in\n{text}");
    found[0]
}

/// `text` with the only line equal to `old` replaced by `new` (several
/// lines, or none, allowed).
fn replace(text: &str, old: &str, new: &[&str]) -> String {
    line_number(text, old);
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches('\n') == old {
            for new_line in new {
                out.push_str(new_line);
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

fn swap(text: &str, a: &str, b: &str) -> String {
    let marker = "\u{1}swap\u{1}";
    let text = replace(text, a, &[marker]);
    let text = replace(&text, b, &[a]);
    replace(&text, marker, &[b])
}

/// Check that `corrupted` is caught exactly at `expected`, and that fixing
/// it gives back `correct`.
fn assert_caught(
    symbolizer: &Symbolizer,
    correct: &str,
    corrupted: &str,
    expected: &[(usize, VerdictKind)],
) -> Verification {
    assert!(verify(symbolizer, correct).is_clean());
    let verification = verify(symbolizer, corrupted);
    assert_eq!(wrong(&verification), expected, "{corrupted}");
    assert!(!verification.is_clean());
    assert_eq!(verification.summary.wrong, expected.len());
    verification
}

fn assert_fixes(symbolizer: &Symbolizer, correct: &str, corrupted: &str) {
    assert_eq!(symbolized(symbolizer, corrupted), correct);
}

#[test]
fn every_sample_report_verifies_clean_with_both_dwarf_versions() {
    for version in [5, 4] {
        let symbolizer = symbolizer(version);
        let mut entries: Vec<_> = std::fs::read_dir(samples().join("reports"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        entries.sort();
        for name in entries {
            if name == "module-buildid-dwarf4.txt" && version == 5
                || name == "module-buildid.txt" && version == 4
            {
                continue; // the other build's module build id
            }
            let correct = symbolized(&symbolizer, &raw(&name));
            let verification = verify(&symbolizer, &correct);
            assert_eq!(wrong(&verification), [], "{name} (DWARF {version})");
            let summary = verification.summary;
            assert!(summary.frames >= 10, "{name}: {summary}");
            assert_eq!(summary.ok, summary.frames, "{name}: {summary}");
        }
    }
}

#[test]
fn unsymbolized_reports_are_not_annotated_and_not_wrong() {
    let symbolizer = symbolizer(5);
    let verification = verify(&symbolizer, &raw("kasan-tcp.txt"));
    assert!(verification.is_clean());
    assert_eq!(verification.summary.not_annotated, 21);
    assert_eq!(verification.summary.ok, 0);
    assert!(
        verification
            .frames
            .iter()
            .all(|f| f.verdict == VerdictKind::NotAnnotated && f.problems.is_empty())
    );
}

#[test]
fn question_mark_frames_verify_and_are_checked() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("page-alloc-cold.txt"));
    let verification = verify(&symbolizer, &correct);
    let unreliable: Vec<_> = verification.frames.iter().filter(|f| !f.reliable).collect();
    assert_eq!(unreliable.len(), 2);
    assert!(unreliable.iter().all(|f| f.verdict == VerdictKind::Ok));

    // The stale `kthread` pointer in kasan-tcp: DWARF has no function name
    // there, only kernel/kthread.c:31.
    let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
    let old = " ? kthread_exit+0x10/0x10 kernel/kthread.c:31";
    let corrupted = replace(
        &correct,
        old,
        &[" ? kthread_exit+0x10/0x10 kernel/kthread.c:30"],
    );
    let verification = assert_caught(
        &symbolizer,
        &correct,
        &corrupted,
        &[(line_number(&correct, old), VerdictKind::WrongLine)],
    );
    let frame = verification.wrong_frames().next().unwrap();
    assert!(!frame.reliable);
    assert_fixes(&symbolizer, &correct, &corrupted);
}

/// The seed kcsan-data-race-tcp.txt shows kernel/kthread.c's `kthread`
/// annotated with drivers/block/aoe/aoecmd.c: the other static `kthread`.
/// Both are in kthread-aoe.txt; swap their annotations both ways.
#[test]
fn duplicate_static_resolved_to_the_wrong_twin_is_a_wrong_file() {
    for version in [5, 4] {
        let symbolizer = symbolizer(version);
        let correct = symbolized(&symbolizer, &raw("kthread-aoe.txt"));
        let core = " kthread+0x2a/0x30 kernel/kthread.c:55";
        let aoe = " kthread+0x3e/0x70 drivers/block/aoe/aoecmd.c:88";
        let corrupted = replace(
            &correct,
            core,
            &[" kthread+0x2a/0x30 drivers/block/aoe/aoecmd.c:88"],
        );
        let verification = assert_caught(
            &symbolizer,
            &correct,
            &corrupted,
            &[(line_number(&correct, core), VerdictKind::WrongFile)],
        );
        let problem = verification
            .wrong_frames()
            .next()
            .unwrap()
            .main_problem()
            .unwrap();
        assert_eq!(
            problem.message,
            "wrong file: report says drivers/block/aoe/aoecmd.c:88, DWARF says kernel/kthread.c:55"
        );
        assert_eq!(problem.expected.as_ref().unwrap().file, "kernel/kthread.c");
        assert_eq!(problem.expected.as_ref().unwrap().line, 55);
        assert_fixes(&symbolizer, &correct, &corrupted);

        let corrupted = replace(&correct, aoe, &[" kthread+0x3e/0x70 kernel/kthread.c:55"]);
        assert_caught(
            &symbolizer,
            &correct,
            &corrupted,
            &[(line_number(&correct, aoe), VerdictKind::WrongFile)],
        );
        assert_fixes(&symbolizer, &correct, &corrupted);
    }
}

#[test]
fn wrong_line_carries_the_right_one() {
    for version in [5, 4] {
        let symbolizer = symbolizer(version);
        let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
        let old = " tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:130";
        let corrupted = replace(
            &correct,
            old,
            &[" tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:131"],
        );
        let line = line_number(&correct, old);
        let verification = assert_caught(
            &symbolizer,
            &correct,
            &corrupted,
            &[(line, VerdictKind::WrongLine)],
        );
        let frame = verification.wrong_frames().next().unwrap();
        let problem = frame.main_problem().unwrap();
        assert_eq!(problem.line, line);
        assert_eq!(problem.found.as_ref().unwrap().line, 131);
        assert_eq!(problem.expected.as_ref().unwrap().line, 130);
        assert_eq!(
            problem.message,
            "wrong line: report says net/ipv4/tcp_ipv4.c:131, DWARF says net/ipv4/tcp_ipv4.c:130"
        );
        assert_fixes(&symbolizer, &correct, &corrupted);
    }
}

#[test]
fn wrong_line_in_an_inline_level_names_that_level() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
    let old = " dst_check include/net/dst.h:36 [inline]";
    let corrupted = replace(&correct, old, &[" dst_check include/net/dst.h:37 [inline]"]);
    let frame_line = line_number(&correct, " tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75");
    let verification = assert_caught(
        &symbolizer,
        &correct,
        &corrupted,
        &[(frame_line, VerdictKind::WrongLine)],
    );
    let frame = verification.wrong_frames().next().unwrap();
    let problem = frame.main_problem().unwrap();
    assert_eq!(problem.line, line_number(&correct, old));
    assert_eq!(problem.expected.as_ref().unwrap().line, 36);
    assert_eq!(frame.first_line, frame_line - 5);
    let statuses: Vec<_> = frame.levels.iter().map(|l| l.status).collect();
    assert_eq!(
        statuses,
        [
            LevelStatus::Ok,
            LevelStatus::Ok,
            LevelStatus::WrongLine,
            LevelStatus::Ok,
            LevelStatus::Ok,
            LevelStatus::Ok
        ]
    );
    assert_fixes(&symbolizer, &correct, &corrupted);
}

#[test]
fn missing_inline_frames() {
    for version in [5, 4] {
        let symbolizer = symbolizer(version);
        let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
        // The call trace's copy (the title has one too, on one line each).
        let title = "BUG: KASAN: use-after-free in dst_obsolete include/net/dst.h:30 [inline]";
        let frame = " tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75";
        let corrupted = replace(&correct, " dst_obsolete include/net/dst.h:30 [inline]", &[]);
        let verification = assert_caught(
            &symbolizer,
            &correct,
            &corrupted,
            &[(line_number(&corrupted, frame), VerdictKind::MissingInline)],
        );
        let problem = verification
            .wrong_frames()
            .next()
            .unwrap()
            .main_problem()
            .unwrap();
        assert_eq!(
            problem.expected.as_ref().unwrap().function.as_deref(),
            Some("dst_obsolete")
        );
        assert_eq!(
            problem.message,
            "missing inline frames: DWARF has dst_obsolete include/net/dst.h:30 [inline]"
        );
        assert_fixes(&symbolizer, &correct, &corrupted);

        // Every inline line of dump_stack_lvl gone, in the title block too.
        let corrupted = replace(&correct, title, &[]);
        let title_frame =
            "BUG: KASAN: use-after-free in tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75";
        assert_caught(
            &symbolizer,
            &correct,
            &corrupted,
            &[(
                line_number(&corrupted, title_frame),
                VerdictKind::MissingInline,
            )],
        );
        assert_fixes(&symbolizer, &correct, &corrupted);
    }
}

#[test]
fn extra_inline_frames() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
    let frame = " process_backlog+0x25/0x40 net/core/dev.c:28";
    let corrupted = replace(
        &correct,
        frame,
        &[" skb_bogus include/linux/skbuff.h:1234 [inline]", frame],
    );
    let verification = assert_caught(
        &symbolizer,
        &correct,
        &corrupted,
        &[(line_number(&corrupted, frame), VerdictKind::ExtraInline)],
    );
    let problem = verification
        .wrong_frames()
        .next()
        .unwrap()
        .main_problem()
        .unwrap();
    assert_eq!(problem.line, line_number(&corrupted, frame) - 1);
    assert_eq!(
        problem.found.as_ref().unwrap().function.as_deref(),
        Some("skb_bogus")
    );
    assert!(problem.expected.is_none());
    assert_fixes(&symbolizer, &correct, &corrupted);

    // An inline line above a frame that has none in DWARF.
    let frame = " tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:130";
    let corrupted = replace(
        &correct,
        frame,
        &[" tcp_v4_do_rcv net/ipv4/tcp_ipv4.c:78 [inline]", frame],
    );
    assert_caught(
        &symbolizer,
        &correct,
        &corrupted,
        &[(line_number(&corrupted, frame), VerdictKind::ExtraInline)],
    );
    assert_fixes(&symbolizer, &correct, &corrupted);
}

#[test]
fn inline_frames_out_of_order() {
    for version in [5, 4] {
        let symbolizer = symbolizer(version);
        let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
        let corrupted = swap(
            &correct,
            " dst_obsolete include/net/dst.h:30 [inline]",
            " sk_rx_dst_get include/net/sock.h:86 [inline]",
        );
        let frame = " tcp_v4_do_rcv+0x46/0xc0 net/ipv4/tcp_ipv4.c:75";
        let verification = assert_caught(
            &symbolizer,
            &correct,
            &corrupted,
            &[(line_number(&correct, frame), VerdictKind::InlineOrder)],
        );
        let verdict = verification.wrong_frames().next().unwrap();
        assert_eq!(verdict.problems.len(), 1, "{:?}", verdict.problems);
        assert_eq!(
            verdict.problems[0].message,
            "inline frames out of order: report says kasan_check_read, sk_rx_dst_get, dst_check, dst_obsolete, tcp_v4_do_rcv; \
             DWARF says kasan_check_read, dst_obsolete, dst_check, sk_rx_dst_get, tcp_v4_do_rcv"
        );
        let moved = verdict
            .levels
            .iter()
            .filter(|l| l.status == LevelStatus::Moved)
            .count();
        assert_eq!(moved, 2);
        assert_fixes(&symbolizer, &correct, &corrupted);
    }
}

#[test]
fn inline_function_name_differs() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
    let old = " __netif_receive_skb net/core/dev.c:20 [inline]";
    let corrupted = replace(
        &correct,
        old,
        &[" netif_receive_skb_internal net/core/dev.c:20 [inline]"],
    );
    let frame = " process_backlog+0x25/0x40 net/core/dev.c:28";
    let verification = assert_caught(
        &symbolizer,
        &correct,
        &corrupted,
        &[(line_number(&correct, frame), VerdictKind::InlineName)],
    );
    let problem = verification
        .wrong_frames()
        .next()
        .unwrap()
        .main_problem()
        .unwrap();
    assert_eq!(problem.line, line_number(&correct, old));
    assert_eq!(
        problem.expected.as_ref().unwrap().function.as_deref(),
        Some("__netif_receive_skb")
    );
    assert_fixes(&symbolizer, &correct, &corrupted);
}

#[test]
fn size_mismatch_means_another_vmlinux() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
    let old = " tcp_v4_rcv+0x2a/0x50 net/ipv4/tcp_ipv4.c:130";
    let corrupted = replace(
        &correct,
        old,
        &[" tcp_v4_rcv+0x2a/0x60 net/ipv4/tcp_ipv4.c:130"],
    );
    assert!(verify(&symbolizer, &correct).is_clean());
    // One printed size that fits no symbol: the whole report is not from
    // this vmlinux, so none of its frames is checked (nor wrong), and that
    // is said once.
    let verification = verify(&symbolizer, &corrupted);
    assert!(!verification.is_clean());
    assert_eq!(wrong(&verification), []);
    let summary = verification.summary;
    assert_eq!((summary.ok, summary.wrong), (0, 0), "{summary}");
    assert_eq!(summary.not_checked, summary.frames, "{summary}");
    let frame = verification
        .frames
        .iter()
        .find(|f| f.line == line_number(&correct, old))
        .unwrap();
    assert_eq!(frame.verdict, VerdictKind::NotFromThisBinary);
    assert_eq!(frame.problems[1].kind, VerdictKind::SizeMismatch);
    let mismatch = frame.size_mismatch.unwrap();
    assert_eq!((mismatch.printed, mismatch.actual), (0x60, 0x50));
    assert!(
        frame
            .levels
            .iter()
            .all(|l| l.status == LevelStatus::Unchecked)
    );
    let said: Vec<_> = verification
        .checks
        .iter()
        .filter(|c| c.contains("did not produce this report"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", verification.checks);
    assert!(said[0].contains("tcp_v4_rcv is 0x50 bytes here, not 0x60"));
    // Nothing is "corrected" from a binary that did not produce the report.
    assert_eq!(symbolized(&symbolizer, &corrupted), corrupted);
}

#[test]
fn unknown_symbol() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
    let old = " ip_local_deliver+0x9/0x10 net/ipv4/ip_input.c:43";
    let corrupted = replace(
        &correct,
        old,
        &[" ip_local_deliver_bogus+0x9/0x10 net/ipv4/ip_input.c:43"],
    );
    let verification = assert_caught(
        &symbolizer,
        &correct,
        &corrupted,
        &[(line_number(&correct, old), VerdictKind::UnknownSymbol)],
    );
    let problem = verification
        .wrong_frames()
        .next()
        .unwrap()
        .main_problem()
        .unwrap();
    assert_eq!(
        problem.message,
        "unknown symbol: no function ip_local_deliver_bogus in the vmlinux"
    );
}

#[test]
fn not_annotated_frames_do_not_fail() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("kasan-tcp.txt"));
    let old = " ip_local_deliver+0x9/0x10 net/ipv4/ip_input.c:43";
    let corrupted = replace(&correct, old, &[" ip_local_deliver+0x9/0x10"]);
    let verification = verify(&symbolizer, &corrupted);
    assert!(verification.is_clean());
    assert_eq!(verification.summary.not_annotated, 1);
    assert_eq!(verification.summary.ok, verification.summary.frames - 1);
    let frame = verification
        .frames
        .iter()
        .find(|f| f.verdict == VerdictKind::NotAnnotated)
        .unwrap();
    assert_eq!(frame.line, line_number(&correct, old));
    assert_fixes(&symbolizer, &correct, &corrupted);
}

#[test]
fn module_reports_verify_and_module_frames_are_checked() {
    let symbolizer = symbolizer(5);
    for name in ["module.txt", "module-buildid.txt"] {
        let correct = symbolized(&symbolizer, &raw(name));
        let old =
            " samplemod_netdev_event.cold+0x9/0xf6b drivers/sample/samplemod.c:42 [samplemod]";
        let corrupted = replace(
            &correct,
            old,
            &[" samplemod_netdev_event.cold+0x9/0xf6b drivers/sample/samplemod.c:41 [samplemod]"],
        );
        let verification = assert_caught(
            &symbolizer,
            &correct,
            &corrupted,
            &[(line_number(&correct, old), VerdictKind::WrongLine)],
        );
        let frame = verification.wrong_frames().next().unwrap();
        assert_eq!(frame.module.as_deref(), Some("samplemod"));
        assert_fixes(&symbolizer, &correct, &corrupted);
    }
}

#[test]
fn module_frames_cannot_be_verified_without_the_module() {
    let build = samples().join("build");
    let symbolizer =
        Symbolizer::open(&build.join("vmlinux-dwarf5"), SymbolizerOptions::default()).unwrap();
    let correct = symbolized(&self::symbolizer(5), &raw("module.txt"));
    let verification = verify(&symbolizer, &correct);
    let kinds: Vec<_> = wrong(&verification).into_iter().map(|(_, k)| k).collect();
    assert_eq!(kinds, [VerdictKind::Unresolved; 3]);
    let problem = verification
        .wrong_frames()
        .next()
        .unwrap()
        .main_problem()
        .unwrap();
    assert_eq!(
        problem.message,
        "cannot verify: module samplemod not found (see --modules)"
    );
}

#[test]
fn build_id_mismatch() {
    let symbolizer = symbolizer(5);
    let raw = raw("module-buildid.txt");
    let old = " samplemod_mtu_warn+0x20/0x22 [samplemod bfb1bebb62dee0a8409a54e06f5072d854965096]";
    let corrupted = replace(
        &raw,
        old,
        &[
            " samplemod_mtu_warn+0x20/0x22 drivers/sample/samplemod.c:29 [samplemod 00000000000000000000000000000000deadbeef]",
        ],
    );
    // The module found is not the one: its frames are not checked, the
    // vmlinux's are.
    let verification = verify(&symbolizer, &corrupted);
    assert_eq!(wrong(&verification), []);
    assert_eq!(verification.summary.not_checked, 1);
    let frame = verification
        .frames
        .iter()
        .find(|f| f.line == line_number(&raw, old))
        .unwrap();
    assert_eq!(frame.verdict, VerdictKind::NotFromThisBinary);
    assert_eq!(frame.problems[1].kind, VerdictKind::BuildIdMismatch);
    assert_eq!(verification.checks.len(), 1, "{:?}", verification.checks);
    assert!(verification.checks[0].contains("did not produce this report's samplemod frames"));
}

#[test]
fn ambiguous_twins_cannot_be_verified() {
    // A size that fits neither twin is a size mismatch; allowed, both
    // candidates are looked at and neither is guessed.
    let symbolizer = Symbolizer::builder(
        kresym_symbolize::Binary::open(&samples().join("build/vmlinux-dwarf5")).unwrap(),
    )
    .module_dirs([samples().join("build")])
    .allow_mismatch(true)
    .build()
    .unwrap();
    let correct = symbolized(&symbolizer, &raw("kthread-aoe.txt"));
    let old = " kthread+0x2a/0x30 kernel/kthread.c:55";
    let corrupted = replace(&correct, old, &[" kthread+0x2a/0x40 kernel/kthread.c:55"]);
    let verification = verify(&symbolizer, &corrupted);
    assert_eq!(
        wrong(&verification),
        [(line_number(&correct, old), VerdictKind::Unresolved)]
    );
    assert!(
        verification.wrong_frames().next().unwrap().problems[0]
            .message
            .contains("2 symbols named kthread")
    );
}

#[test]
fn several_corruptions_in_one_report_are_all_caught() {
    let symbolizer = symbolizer(4);
    let correct = symbolized(&symbolizer, &raw("warn-rip.txt"));
    let rip = "RIP: 0010:tcp_add_backlog+0xa0/0xd0 net/ipv4/tcp_ipv4.c:106";
    let softirq = " __do_softirq kernel/softirq.c:44 [inline]";
    let run = " run_ksoftirqd+0x19/0x20 kernel/softirq.c:55";
    let corrupted = replace(
        &correct,
        rip,
        &["RIP: 0010:tcp_add_backlog+0xa0/0xd0 net/ipv4/tcp.c:106"],
    );
    let corrupted = replace(&corrupted, softirq, &[]);
    let corrupted = replace(
        &corrupted,
        run,
        &[" run_ksoftirqd+0x19/0x20 kernel/softirq.c:56"],
    );
    let verification = verify(&symbolizer, &corrupted);
    assert_eq!(
        wrong(&verification),
        [
            (line_number(&correct, rip), VerdictKind::WrongFile),
            (line_number(&correct, run) - 1, VerdictKind::MissingInline),
        ]
    );
    // The wrong line of run_ksoftirqd is kept behind the missing inline frame.
    let run_frame = verification.wrong_frames().nth(1).unwrap();
    let kinds: Vec<_> = run_frame.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [VerdictKind::MissingInline, VerdictKind::WrongLine]);
    assert_eq!(run_frame.problems[1].expected.as_ref().unwrap().line, 55);
    assert_fixes(&symbolizer, &correct, &corrupted);
}

#[test]
fn inline_lines_without_a_frame_below_are_reported_not_checked() {
    let symbolizer = symbolizer(5);
    let correct = symbolized(&symbolizer, &raw("kthread-aoe.txt"));
    let frame = " dump_stack_lvl+0x1d/0x30 lib/dump_stack.c:38";
    let corrupted = replace(&correct, frame, &["garbled line"]);
    let verification = verify(&symbolizer, &corrupted);
    assert!(verification.is_clean());
    let inline = line_number(&corrupted, " __dump_stack lib/dump_stack.c:29 [inline]");
    assert_eq!(
        verification.checks,
        [format!(
            "L{inline}: [inline] lines not followed by a frame line are not checked"
        )]
    );
}

#[test]
fn correctable_verdicts_are_the_annotation_ones() {
    use VerdictKind::*;
    let correctable = [
        MissingInline,
        ExtraInline,
        InlineOrder,
        InlineName,
        WrongFile,
        WrongLine,
    ];
    for kind in [
        NotAnnotated,
        SizeMismatch,
        BuildIdMismatch,
        UnknownSymbol,
        Unresolved,
        Ok,
    ] {
        assert!(!kind.is_correctable(), "{kind}");
    }
    assert!(
        correctable
            .iter()
            .all(|k| k.is_correctable() && k.is_wrong())
    );
    assert!(!Ok.is_wrong() && !NotAnnotated.is_wrong() && SizeMismatch.is_wrong());
}
