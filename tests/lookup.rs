//! `kresym lookup` against the sample kernel, every answer checked against
//! an independent oracle run now: GNU `nm` for symbol addresses and
//! `llvm-symbolizer --inlining --output-style=JSON` for the inline chains.
//! Modules are linked by GNU `ld` first, so that the oracle sees ld's
//! layout, not kresym's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{kresym, samples};

/// The prefix the samples' `-fdebug-prefix-map` gives every DWARF path.
const SAMPLE_PREFIX: &str = "/build/kresym-sample/";

fn vmlinux() -> PathBuf {
    samples().join("build/vmlinux-dwarf5")
}

fn oracle_tools() -> bool {
    ["llvm-symbolizer", "nm", "ld"]
        .iter()
        .all(|tool| kresym_test_support::tool(tool))
}

/// `nm -n` text symbols of `object`, in address order.
fn nm(object: &Path) -> Vec<(u64, String)> {
    let out = Command::new("nm").arg("-n").arg(object).output().unwrap();
    assert!(out.status.success(), "nm {}", object.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let parts: Vec<_> = line.split_whitespace().collect();
            let [address, kind, name] = parts[..] else {
                return None;
            };
            matches!(kind, "t" | "T" | "W" | "w")
                .then(|| (u64::from_str_radix(address, 16).unwrap(), name.to_owned()))
        })
        .collect()
}

/// The addresses nm gives the symbols named `name`.
fn addresses_of(symbols: &[(u64, String)], name: &str) -> Vec<u64> {
    symbols
        .iter()
        .filter(|(_, n)| n == name)
        .map(|(a, _)| *a)
        .collect()
}

/// One level of an inline chain: function, file, line, column.
type Level = (String, String, u64, u64);

/// The levels of one llvm-symbolizer or kresym JSON answer, innermost
/// first; the outermost level's name is left out, since llvm-symbolizer
/// names it after the ELF symbol (`f.constprop.0`) and kresym after DWARF.
fn levels(answer: &Value) -> Vec<Level> {
    let mut levels: Vec<Level> = answer["Symbol"]
        .as_array()
        .unwrap_or_else(|| panic!("no Symbol in {answer}"))
        .iter()
        .map(|level| {
            let file = level["FileName"].as_str().unwrap();
            (
                level["FunctionName"].as_str().unwrap().to_owned(),
                file.strip_prefix(SAMPLE_PREFIX).unwrap_or(file).to_owned(),
                level["Line"].as_u64().unwrap(),
                level["Column"].as_u64().unwrap(),
            )
        })
        .collect();
    if let Some(outer) = levels.last_mut() {
        outer.0.clear();
    }
    levels
}

/// llvm-symbolizer's chains at `addresses` of `object`.
fn llvm_symbolizer(object: &Path, addresses: &[u64]) -> Vec<Vec<Level>> {
    let text = kresym_test_support::llvm_symbolizer(
        object,
        &["--inlining", "--output-style=JSON"],
        addresses,
    );
    let answers: Vec<_> = json_lines(text.as_bytes()).iter().map(levels).collect();
    assert_eq!(answers.len(), addresses.len(), "llvm-symbolizer answers");
    answers
}

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    std::str::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// Run `kresym lookup ARGS`, feeding `stdin` when given.
fn lookup(args: &[&str], stdin: Option<&str>) -> Output {
    let input = stdin.unwrap_or_default().as_bytes().to_vec();
    let (output, written) = common::run_fed(kresym().arg("lookup").args(args), input);
    written.unwrap();
    output
}

fn address(answer: &Value) -> u64 {
    let text = answer["Address"].as_str().unwrap();
    u64::from_str_radix(text.strip_prefix("0x").unwrap(), 16).unwrap()
}

#[test]
fn a_duplicate_name_without_size_lists_every_symbol() {
    if !oracle_tools() {
        return;
    }
    let vmlinux = vmlinux();
    let kthreads = addresses_of(&nm(&vmlinux), "kthread");
    assert_eq!(kthreads.len(), 2, "the sample has two static kthread()");
    let out = lookup(
        &[
            "--vmlinux",
            vmlinux.to_str().unwrap(),
            "--format",
            "json",
            "kthread+0x10",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers = json_lines(&out.stdout);
    let mut got: Vec<u64> = answers.iter().map(address).collect();
    got.sort();
    let want: Vec<u64> = kthreads.iter().map(|a| a + 0x10).collect();
    assert_eq!(got, want);
    let expected = llvm_symbolizer(&vmlinux, &got);
    for answer in &answers {
        let index = got.iter().position(|&a| a == address(answer)).unwrap();
        assert_eq!(levels(answer), expected[index], "{answer}");
        assert_eq!(answer["Query"], "kthread+0x10");
    }
    // The two come from different files: nothing was merged.
    assert_ne!(expected[0], expected[1]);

    // In text, one block per symbol.
    let out = lookup(
        &["--vmlinux", vmlinux.to_str().unwrap(), "kthread+0x10"],
        None,
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let headers: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("kthread+0x10/"))
        .collect();
    assert_eq!(headers.len(), 2, "{text}");
    for (address, chain) in want.iter().zip(&expected) {
        let (_, file, line, _) = chain.last().unwrap();
        let block = format!(" at 0x{address:x}:\nkthread at {file}:{line}\n");
        assert!(text.contains(&block), "{block:?} not in\n{text}");
    }
}

/// Every uniquely named text symbol of the sample, asked for as `func`
/// (offset 0), `func+0xOFF` and `func+0xOFF/0xSIZE` in the middle of the
/// function, and as a raw KASLR-shifted address, all through standard
/// input: every answer is where nm puts it and says what llvm-symbolizer says.
#[test]
fn every_query_shape_agrees_with_llvm_symbolizer() {
    if !oracle_tools() {
        return;
    }
    const KASLR: u64 = 0xffffffff80000000;
    let vmlinux = vmlinux();
    let symbols = nm(&vmlinux);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, name) in &symbols {
        *counts.entry(name).or_default() += 1;
    }
    let mut queries = String::new();
    let mut addresses = Vec::new();
    for (i, (start, name)) in symbols.iter().enumerate() {
        let Some((next, _)) = symbols[i + 1..].iter().find(|(a, _)| a > start) else {
            continue; // the last symbol's size is not nm's to tell
        };
        if counts[name.as_str()] > 1 || next - start < 2 {
            continue;
        }
        let size = next - start;
        let middle = size / 2;
        queries += &format!("{name}\n{name}+0x{middle:x}\n{name}+0x{middle:x}/0x{size:x}\n");
        queries += &format!("0x{:x}\n", KASLR + start + middle);
        addresses.extend([*start, start + middle, start + middle, start + middle]);
    }
    assert!(addresses.len() > 100, "only {} queries", addresses.len());
    let out = lookup(
        &[
            "--vmlinux",
            vmlinux.to_str().unwrap(),
            "--format=json",
            "--kaslr-offset",
            &format!("0x{KASLR:x}"),
        ],
        Some(&queries),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers = json_lines(&out.stdout);
    assert_eq!(answers.len(), addresses.len());
    let expected = llvm_symbolizer(&vmlinux, &addresses);
    for ((answer, want), expected) in answers.iter().zip(&addresses).zip(&expected) {
        assert_eq!(address(answer), *want, "{answer}");
        assert_eq!(&levels(answer), expected, "{answer}");
    }
}

#[test]
fn text_output_is_faddr2line_style_with_the_inline_chain() {
    if !oracle_tools() {
        return;
    }
    let vmlinux = vmlinux();
    let [start] = addresses_of(&nm(&vmlinux), "tcp_v4_do_rcv")[..] else {
        panic!("one tcp_v4_do_rcv");
    };
    let expected = &llvm_symbolizer(&vmlinux, &[start + 0x45])[0];
    assert!(expected.len() > 2, "the sample inlines here: {expected:?}");
    let out = lookup(
        &[
            "--vmlinux",
            vmlinux.to_str().unwrap(),
            "tcp_v4_do_rcv+0x45/0xc0",
        ],
        None,
    );
    assert!(out.status.success());
    let mut want = format!("tcp_v4_do_rcv+0x45/0xc0 at 0x{:x}:\n", start + 0x45);
    for (depth, (function, file, line, _)) in expected.iter().enumerate() {
        let function = if function.is_empty() {
            "tcp_v4_do_rcv"
        } else {
            function
        };
        let inlined_by = if depth > 0 { " (inlined by) " } else { "" };
        want += &format!("{inlined_by}{function} at {file}:{line}\n");
    }
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

/// Link a module with GNU ld's default layout, ignoring its undefined symbols.
fn link_module(module: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("samplemod.linked");
    let status = Command::new("ld")
        .args([
            "-e",
            "0",
            "--unresolved-symbols=ignore-all",
            "-Ttext=0x100000",
            "-o",
        ])
        .arg(&out)
        .arg(module)
        .status()
        .unwrap();
    assert!(status.success());
    out
}

#[test]
fn module_queries_agree_with_llvm_symbolizer_on_the_linked_module() {
    if !oracle_tools() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let linked = link_module(&samples().join("build/samplemod.ko"), scratch.path());
    let [start] = addresses_of(&nm(&linked), "samplemod_mtu_warn")[..] else {
        panic!("one samplemod_mtu_warn");
    };
    let expected = &llvm_symbolizer(&linked, &[start + 0x20])[0];
    let modules = samples().join("build");
    for query in [
        "samplemod_mtu_warn+0x20/0x22 [samplemod]",
        "samplemod:samplemod_mtu_warn+0x20",
    ] {
        let out = lookup(
            &[
                "--vmlinux",
                vmlinux().to_str().unwrap(),
                "--modules",
                modules.to_str().unwrap(),
                "--format",
                "json",
                query,
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{query}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let answers = json_lines(&out.stdout);
        let [answer] = &answers[..] else {
            panic!("{query}: {answers:?}");
        };
        assert_eq!(answer["ModuleName"], "samplemod");
        assert_eq!(&levels(answer), expected, "{query}");
    }
}

/// The numbered line `>` marks, for each chain level of the text output.
fn marked_lines(text: &str) -> Vec<(u64, String)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix('>')?;
            let (number, source) = rest.trim_start().split_once("  ")?;
            Some((number.parse().unwrap(), source.to_owned()))
        })
        .collect()
}

#[test]
fn list_shows_the_source_around_each_level_from_a_tree_or_git() {
    if !oracle_tools() || !kresym_test_support::tool("git") {
        return;
    }
    let vmlinux = vmlinux();
    let [start] = addresses_of(&nm(&vmlinux), "tcp_v4_do_rcv")[..] else {
        panic!("one tcp_v4_do_rcv");
    };
    let expected = &llvm_symbolizer(&vmlinux, &[start + 0x45])[0];
    let want: Vec<(u64, String)> = expected
        .iter()
        .map(|(_, file, line, _)| {
            let source = std::fs::read_to_string(samples().join(file)).unwrap();
            let text = source.lines().nth(*line as usize - 1).unwrap();
            (*line, text.to_owned())
        })
        .collect();

    // A git repository holding the sample sources at the root, committed.
    let repo = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    for (_, file, _, _) in expected {
        let to = repo.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(samples().join(file), to).unwrap();
    }
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "sources"]);

    let samples = samples();
    for source in [
        ["--source-dir", samples.to_str().unwrap()],
        ["--source-git", repo.path().to_str().unwrap()],
    ] {
        let mut args = vec!["--vmlinux", vmlinux.to_str().unwrap(), "--list", "2"];
        args.extend(source);
        args.push("tcp_v4_do_rcv+0x45/0xc0");
        let out = lookup(&args, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(marked_lines(&text), want, "{source:?}:\n{text}");
        // Two lines either side of each marked one.
        assert_eq!(text.lines().count(), 1 + expected.len() * 6, "{text}");
    }
}

#[test]
fn queries_without_an_answer_exit_1_and_bad_usage_exits_2() {
    let vmlinux = vmlinux();
    let vmlinux = vmlinux.to_str().unwrap();
    for (query, message) in [
        ("no_such_function+0x1", "no symbol named no_such_function"),
        ("kthread+0x1000", "past the end of kthread"),
        ("kthread+0xffffffffffffffff/0x30", "past the end of kthread"),
        ("kthread+0xzz", "is not a number"),
        ("0x10", "no vmlinux symbol holds 0x10"),
        ("kthread [samplemod]", "module samplemod not found"),
        ("kthread\u{1b}[31m+0x1", "expected func+0xOFF"),
    ] {
        let out = lookup(&["--vmlinux", vmlinux, "warn_alloc", query], None);
        assert_eq!(out.status.code(), Some(1), "{query}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(message), "{query}: {stderr}");
        assert!(
            !stderr.contains('\u{1b}'),
            "{query}: escape reached the terminal"
        );
        // The other query is still answered.
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.starts_with("warn_alloc+0x0/"), "{query}: {stdout}");
    }
    let out = lookup(&["--vmlinux", vmlinux, "--format", "json", "nope"], None);
    assert_eq!(out.status.code(), Some(1));
    let answers = json_lines(&out.stdout);
    assert_eq!(
        answers[0]["Error"]["Message"],
        "no symbol named nope in the vmlinux"
    );
    let out = lookup(
        &["--vmlinux", vmlinux, "--kaslr-offset", "0x1000", "0x10"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    for args in [
        &["--vmlinux", vmlinux, "--list", "2", "kthread"][..],
        &["--vmlinux", vmlinux, "--source-dir", "/", "kthread"],
        &["--vmlinux", "/nonexistent/vmlinux", "kthread"],
        &["--vmlinux", vmlinux, "--kaslr-offset", "zz", "kthread"],
    ] {
        let out = lookup(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
