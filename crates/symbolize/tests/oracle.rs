//! Every frame of every sample report, symbolized by kresym and by an
//! independent oracle run now: GNU `nm` for symbol addresses and
//! `llvm-symbolizer --inlining` for the inline chain. Modules are linked by
//! GNU `ld` (`aarch64-linux-gnu-ld` for the aarch64 build) into an
//! executable first, so the oracle sees ld's own section layout and
//! relocation, not ours.
//!
//! The aarch64 build has ftrace's two NOPs at every function's entry
//! (`-fpatchable-function-entry=2`), before its DWARF range: a return
//! address `func+0x8` has no DWARF function, and the outer level must
//! then name the symbol, as llvm-symbolizer does. Besides its reports,
//! every function of that build is asked at `func+0x8`, in the resolution
//! and in its JSON.
//!
//! Without the tools the test skips, saying so, except under `CI=true`,
//! where a missing tool fails it (see `kresym_test_support`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use kresym_report::{LineKind, PcKind};
use kresym_symbolize::{FrameQuery, Resolution, Symbolizer, SymbolizerOptions};
use object::{Object, ObjectSection};

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
    /// The GNU ld of its architecture, which links its module for the oracle.
    linker: &'static str,
    /// Built with `-fpatchable-function-entry=2` (the aarch64 build).
    patchable_entry: bool,
}

/// The aarch64 variant, built with ftrace's patchable entries.
const AARCH64: &str = "gcc-aarch64";
/// The GNU ld that links aarch64 modules.
const AARCH64_LD: &str = "aarch64-linux-gnu-ld";
/// Bytes of ftrace's NOPs at an aarch64 function's entry.
const PATCHABLE_ENTRY: u64 = 8;

/// Every committed build: gcc DWARF 5 and 4, and the variants under
/// `vmlinux-samples/variants/` (clang, clang ThinLTO, out of tree, aarch64).
fn builds() -> Vec<Build> {
    let samples = samples();
    let mut builds = vec![
        Build {
            name: "dwarf5",
            vmlinux: samples.join("build/vmlinux-dwarf5"),
            module: samples.join("build/samplemod.ko"),
            reports: samples.join("reports"),
            prefix: SAMPLE_PREFIX,
            linker: "ld",
            patchable_entry: false,
        },
        Build {
            name: "dwarf4",
            vmlinux: samples.join("build/vmlinux-dwarf4"),
            module: samples.join("build/samplemod-dwarf4.ko"),
            reports: samples.join("reports"),
            prefix: SAMPLE_PREFIX,
            linker: "ld",
            patchable_entry: false,
        },
    ];
    for (name, prefix) in [
        ("clang-dwarf5", SAMPLE_PREFIX),
        ("clang-thinlto", SAMPLE_PREFIX),
        ("gcc-out-of-tree", OUT_OF_TREE_PREFIX),
        (AARCH64, SAMPLE_PREFIX),
    ] {
        builds.push(variant(name, prefix));
    }
    builds
}

/// The build in `vmlinux-samples/variants/<name>/`.
fn variant(name: &'static str, prefix: &'static str) -> Build {
    let dir = samples().join("variants").join(name);
    let aarch64 = name == AARCH64;
    Build {
        name,
        vmlinux: dir.join("vmlinux"),
        module: dir.join("samplemod.ko"),
        reports: dir.join("reports"),
        prefix,
        linker: if aarch64 { AARCH64_LD } else { "ld" },
        patchable_entry: aarch64,
    }
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
    ["llvm-symbolizer", "nm", "ld", AARCH64_LD]
        .iter()
        .all(|tool| kresym_test_support::tool(tool))
}

/// `nm -n` text symbols: name -> addresses, and sorted addresses. arm64's
/// mapping symbols (`$x`, `$d`) are left out, as kallsyms leaves them.
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
            if !matches!(kind, "t" | "T" | "W" | "w") || name.starts_with('$') {
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
    kresym_test_support::llvm_chains(object, addresses)
        .into_iter()
        .map(|chain| {
            chain
                .into_iter()
                .map(|level| OracleLevel {
                    file: level
                        .file
                        .strip_prefix(prefix)
                        .unwrap_or(&level.file)
                        .to_owned(),
                    function: level.function,
                    line: level.line,
                })
                .collect()
        })
        .collect()
}

/// Link a module with GNU ld's default layout, ignoring its undefined symbols.
fn link_module(linker: &str, module: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let out = dir
        .join(module.file_name().unwrap())
        .with_extension("linked");
    let status = Command::new(linker)
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
    assert!(status.success(), "{linker} {}", module.display());
    out
}

struct Case {
    build: &'static str,
    prefix: &'static str,
    /// The probe falls among ftrace's NOPs, before the function's DWARF
    /// range: the outer level is named after the symbol.
    in_patchable_entry: bool,
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
        let entries = if build.patchable_entry {
            patchable_entries(&vmlinux)
        } else {
            Vec::new()
        };
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
                    Some(_) => link_module(
                        build.linker,
                        &build.module,
                        &scratch.path().join(build.name),
                    ),
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
                    build: build.name,
                    prefix: build.prefix,
                    in_patchable_entry: frame.module.is_none()
                        && entries.contains(&address)
                        && probe < address + PATCHABLE_ENTRY,
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
    let mut patchable_entry_frames = 0;
    let mut per_build: BTreeMap<&str, usize> = BTreeMap::new();
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
            let where_ = || {
                format!(
                    "{}:{} (probe 0x{:x} in {})",
                    case.report.display(),
                    case.line,
                    case.probe,
                    object.display()
                )
            };
            // Where llvm-symbolizer names a function, so does kresym; among
            // ftrace's NOPs both take the symbol's name.
            let outer_name = |levels: &[OracleLevel]| {
                levels
                    .last()
                    .map(|outer| outer.function.clone())
                    .filter(|name| !name.is_empty() && name != "??")
            };
            if let Some(name) = outer_name(&expected)
                && !ours.is_empty()
            {
                let our_name = outer_name(&ours);
                assert!(our_name.is_some(), "{}: no function", where_());
                if case.in_patchable_entry {
                    assert_eq!(our_name, Some(name), "{}", where_());
                    patchable_entry_frames += 1;
                }
            }
            // A lone level without a line (`??:0`) says no more than no chain.
            for levels in [&mut ours, &mut expected] {
                if let Some(outer) = levels.last_mut() {
                    outer.function.clear();
                }
                if levels.len() == 1 && levels[0].line == 0 {
                    levels.clear();
                }
            }
            assert_eq!(ours, expected, "{}", where_());
            checked += 1;
            *per_build.entry(case.build).or_default() += 1;
            inline_levels += expected.len().saturating_sub(1);
        }
    }
    eprintln!(
        "{checked} frames ({inline_levels} inlined levels) agree with llvm-symbolizer; \
         {cut_frames} of them also with .llvm. cut; {patchable_entry_frames} among \
         ftrace's NOPs; per build: {per_build:?}"
    );
    assert!(
        per_build.get(AARCH64).is_some_and(|&n| n >= 100),
        "too few aarch64 frames: {per_build:?}"
    );
    assert!(
        patchable_entry_frames > 0,
        "no report frame among ftrace's NOPs (variants/gcc-aarch64/reports/fail-function.txt)"
    );
    assert!(checked >= 100, "only {checked} sample frames were checked");
    assert!(cut_frames > 0, "no frame had a .llvm. suffix to cut");
    assert!(inline_levels > 0, "no inlined frames were checked");
}

/// The functions ftrace can patch in `vmlinux`: the addresses gcc lists in
/// its `__patchable_function_entries` section.
fn patchable_entries(vmlinux: &Path) -> Vec<u64> {
    let data = std::fs::read(vmlinux).unwrap();
    let elf = object::File::parse(&*data).unwrap();
    let section = elf
        .section_by_name("__patchable_function_entries")
        .expect("no __patchable_function_entries: not built with -fpatchable-function-entry");
    section
        .data()
        .unwrap()
        .chunks_exact(8)
        .map(|word| u64::from_le_bytes(word.try_into().unwrap()))
        .collect()
}

/// Every function of the aarch64 build, at `func+0x8` as a return address
/// (looked up at `func+0x7`, among ftrace's NOPs and outside the DWARF
/// range) and at `func+0xc` (the first instruction after them): kresym's
/// chain, and the chain in its JSON, are llvm-symbolizer's, and at
/// `func+0x8` the outer level is named after the symbol, as
/// llvm-symbolizer names it.
#[test]
fn every_aarch64_function_past_its_patchable_entry_agrees_with_llvm_symbolizer() {
    if !have_tools() {
        return;
    }
    let build = variant(AARCH64, SAMPLE_PREFIX);
    let symbolizer = Symbolizer::open(&build.vmlinux, SymbolizerOptions::default()).unwrap();
    let entries = patchable_entries(&build.vmlinux);
    let nm = NmSymbols::read(&build.vmlinux);
    let mut names: HashMap<u64, &str> = HashMap::new();
    for (name, addresses) in &nm.by_name {
        for &address in addresses {
            names.entry(address).or_insert(name);
        }
    }
    let mut queries = Vec::new();
    for &entry in &entries {
        let name = names[&entry];
        let next = nm.sorted.iter().find(|&&a| a > entry).copied();
        let Some(size) = next.map(|next| next - entry) else {
            continue;
        };
        for offset in [PATCHABLE_ENTRY, PATCHABLE_ENTRY + 4] {
            if offset < size {
                queries.push((name, entry, offset, size));
            }
        }
    }
    let probes: Vec<u64> = queries.iter().map(|q| q.1 + q.2 - 1).collect();
    let answers = llvm_symbolize(&build.vmlinux, &probes, build.prefix);
    assert_eq!(answers.len(), probes.len());
    let (mut named_by_symbol, mut no_line) = (0, 0);
    for ((name, entry, offset, size), expected) in queries.iter().zip(answers) {
        let query = FrameQuery::vmlinux(name, *offset, *size, PcKind::ReturnAddress);
        let Resolution::Resolved(resolved) = symbolizer.resolve(query) else {
            panic!("{name}+0x{offset:x}/0x{size:x}: not resolved");
        };
        let json = serde_json::to_value(&resolved).unwrap();
        let from_json: Vec<OracleLevel> = json["chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|level| OracleLevel {
                function: level["function"].as_str().unwrap_or_default().to_owned(),
                file: level["location"]["file"]
                    .as_str()
                    .unwrap_or("??")
                    .to_owned(),
                line: level["location"]["line"].as_u64().unwrap_or(0) as u32,
            })
            .collect();
        let at = format!(
            "{name}+0x{offset:x}/0x{size:x} (probe 0x{:x})",
            entry + offset - 1
        );
        let outer = expected.last().expect("llvm-symbolizer answered");
        // Where kresym has a chain, its outer level is named; with no line
        // at all (the NOPs of a unit's first function, before its first
        // line row) the chain is empty, as llvm's `file:0` is compared below.
        if *offset == PATCHABLE_ENTRY && outer.function != "??" {
            match from_json.last() {
                Some(level) => {
                    assert_eq!(
                        level.function, outer.function,
                        "{at}: the outer level's name"
                    );
                    named_by_symbol += 1;
                }
                None => no_line += 1,
            }
        }
        let mut ours = from_json;
        let mut expected = expected;
        for levels in [&mut ours, &mut expected] {
            if let Some(outer) = levels.last_mut() {
                outer.function.clear();
            }
            if levels.len() == 1 && levels[0].line == 0 {
                levels.clear();
            }
        }
        assert_eq!(ours, expected, "{at}");
    }
    eprintln!(
        "{} aarch64 frames past ftrace's NOPs agree with llvm-symbolizer ({} patchable \
         functions; at func+0x8 {named_by_symbol} named after the symbol, {no_line} \
         without a line)",
        queries.len(),
        entries.len()
    );
    assert!(
        named_by_symbol >= 50,
        "only {named_by_symbol} func+0x8 frames"
    );
}
