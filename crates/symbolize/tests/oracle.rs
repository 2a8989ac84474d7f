//! Every frame of every sample report, symbolized by kresym and by an
//! independent oracle run now: GNU `nm` for symbol addresses and
//! `llvm-symbolizer --inlining` for the inline chain. Modules are linked by
//! GNU `ld` into an executable first, so the oracle sees ld's own section
//! layout and relocation, not ours.
//!
//! Without the tools the test skips, saying so, except under `CI=true`,
//! where a missing tool fails it (see `kresym_test_support`).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kresym_report::{LineKind, PcKind};
use kresym_symbolize::{FrameQuery, Resolution, Symbolizer, SymbolizerOptions};

/// The prefix the samples' `-fdebug-prefix-map` gives every DWARF path
/// (see vmlinux-samples/README.md; checked by hand with llvm-dwarfdump).
const SAMPLE_PREFIX: &str = "/build/kresym-sample/";
/// The source tree of the out-of-tree variant, as its `-fdebug-prefix-map`
/// names it (`xtask/src/samples.rs`; checked with llvm-dwarfdump).
const OUT_OF_TREE_PREFIX: &str = "/usr/src/linux-kresym-sample/";

/// One build of the sample kernel: its vmlinux, module and reports.
struct Build {
    name: &'static str,
    vmlinux: PathBuf,
    module: PathBuf,
    reports: PathBuf,
    /// Where the sources are in its DWARF (cut from llvm-symbolizer's paths).
    prefix: &'static str,
}

/// Every committed build: gcc DWARF 5 and 4, and the variants under
/// `vmlinux-samples/variants/` (clang, clang ThinLTO, out of tree).
fn builds() -> Vec<Build> {
    let samples = samples();
    let mut builds = vec![
        Build {
            name: "dwarf5",
            vmlinux: samples.join("build/vmlinux-dwarf5"),
            module: samples.join("build/samplemod.ko"),
            reports: samples.join("reports"),
            prefix: SAMPLE_PREFIX,
        },
        Build {
            name: "dwarf4",
            vmlinux: samples.join("build/vmlinux-dwarf4"),
            module: samples.join("build/samplemod-dwarf4.ko"),
            reports: samples.join("reports"),
            prefix: SAMPLE_PREFIX,
        },
    ];
    for (name, prefix) in [
        ("clang-dwarf5", SAMPLE_PREFIX),
        ("clang-thinlto", SAMPLE_PREFIX),
        ("gcc-out-of-tree", OUT_OF_TREE_PREFIX),
    ] {
        let dir = samples.join("variants").join(name);
        builds.push(Build {
            name,
            vmlinux: dir.join("vmlinux"),
            module: dir.join("samplemod.ko"),
            reports: dir.join("reports"),
            prefix,
        });
    }
    builds
}

/// A report as kernels since 6.1 print it: ThinLTO's `.llvm.<hash>`
/// suffixes cut from symbol names (`cleanup_symbol_name()`).
fn cut_llvm_suffixes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(".llvm.") {
        out.push_str(&rest[..at]);
        let after = &rest[at + ".llvm.".len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            out.push_str(".llvm.");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples")
}

fn have_tools() -> bool {
    ["llvm-symbolizer", "nm", "ld"]
        .iter()
        .all(|tool| kresym_test_support::tool(tool))
}

/// `nm -n` text symbols: name -> addresses, and sorted addresses.
struct NmSymbols {
    by_name: HashMap<String, Vec<u64>>,
    sorted: Vec<u64>,
}

impl NmSymbols {
    fn read(path: &Path) -> NmSymbols {
        let out = Command::new("nm").arg("-n").arg(path).output().unwrap();
        assert!(out.status.success(), "nm {}", path.display());
        let mut by_name: HashMap<String, Vec<u64>> = HashMap::new();
        let mut sorted = Vec::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let parts: Vec<_> = line.split_whitespace().collect();
            let [address, kind, name] = parts[..] else {
                continue;
            };
            if !matches!(kind, "t" | "T" | "W" | "w") {
                continue;
            }
            let address = u64::from_str_radix(address, 16).unwrap();
            by_name.entry(name.to_owned()).or_default().push(address);
            sorted.push(address);
        }
        sorted.dedup();
        NmSymbols { by_name, sorted }
    }

    /// The address of `name`; among duplicates, the one whose distance to
    /// the next nm symbol is the printed size.
    fn address(&self, name: &str, size: u64) -> Option<u64> {
        let candidates = self.by_name.get(name)?;
        if candidates.len() == 1 {
            return Some(candidates[0]);
        }
        candidates.iter().copied().find(|&address| {
            let next = self.sorted.iter().find(|&&a| a > address);
            next.is_some_and(|next| next - address == size)
        })
    }
}

/// One level of llvm-symbolizer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OracleLevel {
    function: String,
    file: String,
    line: u32,
}

/// Run llvm-symbolizer once over many addresses; paths lose `prefix`.
fn llvm_symbolize(object: &Path, addresses: &[u64], prefix: &str) -> Vec<Vec<OracleLevel>> {
    let mut child = Command::new("llvm-symbolizer")
        .arg(format!("--obj={}", object.display()))
        .args(["--inlining", "--functions=linkage"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input: String = addresses.iter().map(|a| format!("0x{a:x}\n")).collect();
    // Fed from a thread: llvm-symbolizer answers while it reads.
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let lines: Vec<_> = block.lines().collect();
            lines
                .chunks(2)
                .map(|pair| {
                    let location = pair[1];
                    let mut parts = location.rsplitn(3, ':');
                    let _column = parts.next();
                    let line = parts.next().unwrap().parse().unwrap();
                    let file = parts.next().unwrap();
                    OracleLevel {
                        function: pair[0].to_owned(),
                        file: file.strip_prefix(prefix).unwrap_or(file).to_owned(),
                        line,
                    }
                })
                .collect()
        })
        .collect()
}

/// Link a module with GNU ld's default layout, ignoring its undefined symbols.
fn link_module(module: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let out = dir
        .join(module.file_name().unwrap())
        .with_extension("linked");
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
    assert!(status.success(), "ld {}", module.display());
    out
}

struct Case {
    prefix: &'static str,
    report: PathBuf,
    line: usize,
    object: PathBuf,
    probe: u64,
    ours: Vec<OracleLevel>,
}

#[test]
fn every_sample_frame_agrees_with_llvm_symbolizer() {
    if !have_tools() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    let mut cut_frames = 0;
    for build in builds() {
        let vmlinux = build.vmlinux.clone();
        let symbolizer = Symbolizer::open(
            &vmlinux,
            SymbolizerOptions {
                module_dirs: vec![build.module.parent().unwrap().to_owned()],
                ..Default::default()
            },
        )
        .unwrap();
        let mut nm_cache: HashMap<PathBuf, NmSymbols> = HashMap::new();
        let mut reports: Vec<_> = std::fs::read_dir(&build.reports)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        reports.sort();
        for report in reports {
            let text = std::fs::read_to_string(&report).unwrap();
            let document = kresym_report::parse(text.clone().into_bytes());
            let cut = kresym_report::parse(cut_llvm_suffixes(&text).into_bytes());
            assert_eq!(cut.lines.len(), document.lines.len());
            for (line, cut_line) in document.lines.iter().zip(&cut.lines) {
                let LineKind::Frame(frame) = &line.kind else {
                    continue;
                };
                let resolution = symbolizer.resolve(FrameQuery::from(frame));
                let Resolution::Resolved(resolved) = resolution else {
                    panic!("{}:{}: {resolution:?}", report.display(), line.number);
                };
                // As a 6.1+ kernel prints it, the frame means the same.
                let LineKind::Frame(cut_frame) = &cut_line.kind else {
                    panic!("{}:{} is no frame once cut", report.display(), line.number);
                };
                if cut_frame.function != frame.function {
                    cut_frames += 1;
                    assert_eq!(
                        symbolizer.resolve(FrameQuery::from(cut_frame)),
                        Resolution::Resolved(resolved.clone()),
                        "{}:{} with .llvm. cut",
                        report.display(),
                        line.number
                    );
                }
                // The oracle's own view of where this frame is.
                let object = match &frame.module {
                    None => vmlinux.clone(),
                    Some(_) => link_module(&build.module, &scratch.path().join(build.name)),
                };
                let nm = nm_cache
                    .entry(object.clone())
                    .or_insert_with(|| NmSymbols::read(&object));
                let address = nm
                    .address(&frame.function, frame.size)
                    .unwrap_or_else(|| panic!("nm has no {}", frame.function));
                let pc = address + frame.offset;
                let probe = if frame.pc_kind == PcKind::ExactPc {
                    pc
                } else {
                    pc - 1
                };
                let ours = resolved
                    .chain
                    .iter()
                    .map(|level| {
                        // No line (ThinLTO's line 0): llvm-symbolizer's `??:0`.
                        let (file, line) = level
                            .location
                            .clone()
                            .map_or(("??".to_owned(), 0), |l| (l.file, l.line));
                        OracleLevel {
                            function: level.function.clone().unwrap_or_default(),
                            file,
                            line,
                        }
                    })
                    .collect();
                cases.push(Case {
                    prefix: build.prefix,
                    report: report.clone(),
                    line: line.number,
                    object,
                    probe,
                    ours,
                });
            }
        }
    }
    let mut by_object: HashMap<PathBuf, Vec<usize>> = HashMap::new();
    for (index, case) in cases.iter().enumerate() {
        by_object
            .entry(case.object.clone())
            .or_default()
            .push(index);
    }
    let mut checked = 0;
    let mut inline_levels = 0;
    for (object, indexes) in by_object {
        let probes: Vec<_> = indexes.iter().map(|&i| cases[i].probe).collect();
        let answers = llvm_symbolize(&object, &probes, cases[indexes[0]].prefix);
        assert_eq!(
            answers.len(),
            probes.len(),
            "llvm-symbolizer output for {}",
            object.display()
        );
        for (&index, mut expected) in indexes.iter().zip(answers) {
            let case = &cases[index];
            // llvm-symbolizer names the outermost level after the ELF symbol
            // (`f.constprop.0`, or an alias like `init_module`); kresym
            // prints the symbol as the kernel printed it on that line, so
            // only the inlined levels' names are compared.
            let mut ours = case.ours.clone();
            // A lone level without a line (`??:0`) says no more than no chain.
            for levels in [&mut ours, &mut expected] {
                if let Some(outer) = levels.last_mut() {
                    outer.function.clear();
                }
                if levels.len() == 1 && levels[0].line == 0 {
                    levels.clear();
                }
            }
            assert_eq!(
                ours,
                expected,
                "{}:{} (probe 0x{:x} in {})",
                case.report.display(),
                case.line,
                case.probe,
                object.display()
            );
            checked += 1;
            inline_levels += expected.len().saturating_sub(1);
        }
    }
    eprintln!(
        "{checked} frames ({inline_levels} inlined levels) agree with llvm-symbolizer; \
         {cut_frames} of them also with .llvm. cut"
    );
    assert!(checked >= 100, "only {checked} sample frames were checked");
    assert!(cut_frames > 0, "no frame had a .llvm. suffix to cut");
    assert!(inline_levels > 0, "no inlined frames were checked");
}
