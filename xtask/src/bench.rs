//! `cargo xtask bench`: kresym against its peers on a real distribution kernel.
//!
//! Downloads Debian's `linux-image-6.1.0-53-cloud-amd64-dbg` (6.1.187-1), or
//! with `--kernel` its arm64 or 6.12 kernel, into a cache directory outside
//! the repository (or takes `--vmlinux`, a kernel you built), builds a corpus
//! of frames from its symbol table (names printed as kernels since 6.1 print
//! them, `.llvm.<hash>` cut), and measures, interleaved and repeated, kresym with one
//! and with all threads, llvm-symbolizer, GNU addr2line and blazecli: wall
//! time, frames per second and peak RSS. Every kresym frame is compared with
//! llvm-symbolizer's answer for the address the corpus was built from.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use kresym_symbolize::Binary;
use kresym_symbolize::kallsyms::printed_name;

/// A Debian kernel the benchmark can download.
pub struct Kernel {
    /// `--kernel` name.
    name: &'static str,
    package: &'static str,
    version: &'static str,
    /// Debian architecture of the package.
    arch: &'static str,
    /// The vmlinux inside the package.
    vmlinux: &'static str,
    /// Path prefixes of this package's DWARF, stripped from
    /// llvm-symbolizer's answers (read off the package by hand with
    /// llvm-dwarfdump).
    prefixes: &'static [&'static str],
}

/// The kernels `--kernel` names; the first is the default.
pub const KERNELS: &[Kernel] = &[
    Kernel {
        name: "debian-amd64",
        package: "linux-image-6.1.0-53-cloud-amd64-dbg",
        version: "6.1.187-1",
        arch: "amd64",
        vmlinux: "usr/lib/debug/boot/vmlinux-6.1.0-53-cloud-amd64",
        prefixes: &[
            "debian/build/build_amd64_none_cloud-amd64/",
            "/build/reproducible-path/linux-6.1.187/",
        ],
    },
    Kernel {
        name: "debian-arm64",
        package: "linux-image-6.1.0-53-arm64-dbg",
        version: "6.1.187-1",
        arch: "arm64",
        vmlinux: "usr/lib/debug/boot/vmlinux-6.1.0-53-arm64",
        prefixes: &[
            "debian/build/build_arm64_none_arm64/",
            "/build/reproducible-path/linux-6.1.187/",
        ],
    },
    Kernel {
        name: "debian-6.12-amd64",
        package: "linux-image-6.12.117+deb12-cloud-amd64-dbg",
        version: "6.12.117-1~deb12u1",
        arch: "amd64",
        vmlinux: "usr/lib/debug/boot/vmlinux-6.12.117+deb12-cloud-amd64",
        prefixes: &[
            "debian/build/build_amd64_none_cloud-amd64/",
            "/build/reproducible-path/linux-6.12.117/",
        ],
    },
];

/// Frames per corpus file: the batch is many reports, as a fuzzing farm has.
const FRAMES_PER_FILE: usize = 100;

/// Options of `cargo xtask bench`.
#[derive(clap::Args)]
pub struct Args {
    /// Where the Debian package is downloaded and unpacked
    /// (default: $XDG_CACHE_HOME/kresym-bench or ~/.cache/kresym-bench).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Runs of each tool (the single-report tools run five times in
    /// each); the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Frames in the batch corpus.
    #[arg(long, default_value_t = 20_000)]
    frames: usize,
    /// Leave out GNU addr2line (the slowest by far).
    #[arg(long)]
    skip_addr2line: bool,
    /// Only compare kresym with llvm-symbolizer frame by frame; no timing.
    #[arg(long)]
    agreement_only: bool,
    /// Also write the results table to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The Debian kernel to download: debian-amd64 (6.1 cloud-amd64),
    /// debian-arm64 (6.1 arm64; `dpkg --add-architecture arm64` and
    /// `apt-get update` first) or debian-6.12-amd64 (bookworm-security's
    /// 6.12 cloud-amd64).
    #[arg(long, default_value = "debian-amd64", conflicts_with = "vmlinux")]
    kernel: String,
    /// Benchmark this vmlinux instead of a Debian one (a kernel you built,
    /// e.g. with clang); give its source and object directories with
    /// --oracle-prefix.
    #[arg(long, value_name = "FILE")]
    vmlinux: Option<PathBuf>,
    /// With --vmlinux: a directory prefix cut from llvm-symbolizer's paths
    /// to make them tree-relative (the oracle's side; kresym gets no flag).
    /// Repeatable: the source tree and the object tree of `make O=`.
    #[arg(long, value_name = "DIR", requires = "vmlinux")]
    oracle_prefix: Vec<String>,
}

/// What is benchmarked: a vmlinux, what it is, and the prefixes cut from
/// llvm-symbolizer's paths.
struct Target {
    vmlinux: PathBuf,
    title: String,
    prefixes: Vec<String>,
}

pub fn run(args: &Args) -> Result<()> {
    let cache = cache_dir(args.cache_dir.as_deref())?;
    let target = match &args.vmlinux {
        Some(vmlinux) => Target {
            vmlinux: vmlinux.clone(),
            title: vmlinux.display().to_string(),
            prefixes: args
                .oracle_prefix
                .iter()
                .map(|p| format!("{}/", p.trim_end_matches('/')))
                .collect(),
        },
        None => {
            let kernel = KERNELS
                .iter()
                .find(|k| k.name == args.kernel)
                .with_context(|| {
                    let names: Vec<_> = KERNELS.iter().map(|k| k.name).collect();
                    format!(
                        "no kernel {:?}; --kernel is one of {}",
                        args.kernel,
                        names.join(", ")
                    )
                })?;
            let cache = match kernel.name {
                "debian-amd64" => cache.clone(),
                name => cache.join(name),
            };
            Target {
                vmlinux: fetch_kernel(kernel, &cache)?,
                title: format!("Debian {} {}", kernel.package, kernel.version),
                prefixes: kernel.prefixes.iter().map(|p| p.to_string()).collect(),
            }
        }
    };
    let vmlinux = target.vmlinux.clone();
    let cache = match (&args.vmlinux, args.kernel.as_str()) {
        (None, "debian-amd64") => cache,
        (None, name) => cache.join(name),
        (Some(_), _) => cache.join("vmlinux"),
    };
    let kresym = build_kresym()?;
    let work = cache.join("corpus");
    let corpus = Corpus::build(&vmlinux, args.frames, &work)?;
    eprintln!(
        "corpus: {} frames in {} files ({} duplicate-name statics, {} clones)",
        corpus.frames.len(),
        corpus.files.len(),
        corpus.duplicates,
        corpus.clones
    );

    if args.agreement_only {
        let agreement = agreement(&kresym, &target, &corpus)?;
        println!("{}", agreement_summary(&agreement));
        return Ok(());
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let index_dir = cache.join("index");
    let no_index = ["--no-index".to_owned()];
    let with_index = ["--index-dir".to_owned(), index_dir.display().to_string()];
    let index_build = Tool {
        name: "kresym index (build)".into(),
        program: kresym.display().to_string(),
        args: vec![
            "index".into(),
            "-q".into(),
            "--force".into(),
            "--vmlinux".into(),
            vmlinux.display().to_string(),
            "--index-dir".into(),
            index_dir.display().to_string(),
        ],
        input: Input::None,
        frames: 0,
    };
    // A stale index of another vmlinux (another `--vmlinux` in the same
    // cache) would be measured as this one's.
    remove_indexes(&index_dir)?;
    // Built once up front, so the index runs below never build it.
    index_build.measure()?;
    let mut tools: Vec<Tool> = vec![
        Tool::kresym(
            "kresym -j1",
            &kresym,
            &vmlinux,
            1,
            &no_index,
            &corpus.batch_dir,
        ),
        Tool::kresym(
            &format!("kresym -j{threads}"),
            &kresym,
            &vmlinux,
            threads,
            &no_index,
            &corpus.batch_dir,
        ),
        Tool::kresym(
            &format!("kresym -j{threads}, index"),
            &kresym,
            &vmlinux,
            threads,
            &with_index,
            &corpus.batch_dir,
        ),
        Tool::stdin(
            "llvm-symbolizer",
            "llvm-symbolizer",
            &[&format!("--obj={}", vmlinux.display()), "--inlining"],
            &corpus.addresses,
        ),
        Tool::args(
            "blazecli",
            "blazecli",
            &["symbolize", "elf", "-p", &vmlinux.display().to_string()],
            &corpus.addresses,
        ),
    ];
    if !args.skip_addr2line {
        tools.push(Tool::stdin(
            "GNU addr2line",
            "addr2line",
            &["-e", &vmlinux.display().to_string(), "-i", "-f"],
            &corpus.addresses,
        ));
    }
    let one = &corpus.addresses[..1];
    let report_addresses = &corpus.addresses[..30.min(corpus.addresses.len())];
    let mut single: Vec<Tool> = vec![
        Tool::kresym(
            "kresym, one 1-frame report",
            &kresym,
            &vmlinux,
            1,
            &no_index,
            &corpus.report1,
        ),
        Tool::kresym(
            "kresym, one 30-frame report",
            &kresym,
            &vmlinux,
            1,
            &no_index,
            &corpus.report30,
        ),
        Tool::kresym(
            "kresym, one 30-frame report, index",
            &kresym,
            &vmlinux,
            1,
            &with_index,
            &corpus.report30,
        ),
        Tool::args(
            "blazecli, one address",
            "blazecli",
            &["symbolize", "elf", "-p", &vmlinux.display().to_string()],
            one,
        ),
        Tool::args(
            "blazecli, the 30-frame report's addresses",
            "blazecli",
            &["symbolize", "elf", "-p", &vmlinux.display().to_string()],
            report_addresses,
        ),
        Tool::stdin(
            "llvm-symbolizer, one address",
            "llvm-symbolizer",
            &[&format!("--obj={}", vmlinux.display()), "--inlining"],
            one,
        ),
    ];
    for tool in tools.iter().chain(&single) {
        which(&tool.program)?;
    }

    let mut batch = vec![Vec::new(); tools.len()];
    let mut cold = vec![Vec::new(); single.len()];
    let mut builds = Vec::new();
    for run in 0..args.runs {
        eprintln!("run {}/{}", run + 1, args.runs);
        for (tool, samples) in tools.iter().zip(&mut batch) {
            samples.push(tool.measure()?);
        }
        for _ in 0..SINGLE_REPEATS {
            for (tool, samples) in single.iter_mut().zip(&mut cold) {
                // Once unmeasured first: the pages it reads are then in the
                // page cache, whatever evicted them meanwhile.
                tool.measure()?;
                samples.push(tool.measure()?);
            }
        }
        builds.push(index_build.measure()?);
    }
    tools.push(index_build);
    batch.push(builds);

    let agreement = agreement(&kresym, &target, &corpus)?;
    let same = index_agreement(&kresym, &vmlinux, &index_dir, &corpus)?;
    let sizes = Sizes {
        vmlinux: std::fs::metadata(&vmlinux)?.len(),
        index: index_size(&index_dir)?,
    };
    let mut table = report(
        &heading(args, &target, &corpus),
        &tools,
        &batch,
        &single,
        &cold,
        &agreement,
    );
    table.push_str(&index_report(&tools, &batch, &same, &sizes));
    table.push_str(&peer_ratios(&target.title, &tools, &batch, &agreement));
    println!("{table}");
    if let Some(out) = &args.out {
        std::fs::write(out, &table).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

/// The benchmarks' cache: `dir`, else $XDG_CACHE_HOME/kresym-bench or
/// ~/.cache/kresym-bench.
pub fn cache_dir(dir: Option<&Path>) -> Result<PathBuf> {
    Ok(match dir {
        Some(dir) => dir.to_owned(),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .context("set --cache-dir, HOME or XDG_CACHE_HOME")?
            .join("kresym-bench"),
    })
}

/// The release of the benchmark's kernel.
pub const RELEASE: &str = "6.1.0-53-cloud-amd64";

/// Download the debug package once and unpack its vmlinux; return its path.
pub fn fetch_kernel(kernel: &Kernel, cache: &Path) -> Result<PathBuf> {
    let root = cache.join("root");
    let vmlinux = root.join(kernel.vmlinux);
    if vmlinux.exists() {
        return Ok(vmlinux);
    }
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    // apt-get download names the file with the version's `:` escaped.
    let deb = cache.join(format!(
        "{}_{}_{}.deb",
        kernel.package,
        kernel.version.replace(':', "%3a"),
        kernel.arch
    ));
    if !deb.exists() {
        eprintln!(
            "downloading {} {} ({}) into {}",
            kernel.package,
            kernel.version,
            kernel.arch,
            cache.display()
        );
        let status = Command::new("apt-get")
            .args([
                "download",
                &format!("{}:{}={}", kernel.package, kernel.arch, kernel.version),
            ])
            .current_dir(cache)
            .status()
            .context("cannot run apt-get (Debian's package tools are needed for the benchmark)")?;
        ensure!(
            status.success(),
            "apt-get download failed; try `apt-get update` first (and for arm64 \
             `dpkg --add-architecture arm64` before it)"
        );
    }
    // Only the vmlinux: the modules' debug files are gigabytes.
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "./$3""#)
        .args(["sh", &deb.display().to_string()])
        .arg(&root)
        .arg(kernel.vmlinux)
        .status()
        .context("cannot run dpkg-deb and tar")?;
    ensure!(
        status.success() && vmlinux.exists(),
        "unpacking {} failed",
        deb.display()
    );
    Ok(vmlinux)
}

/// Build kresym in release mode; its path (in CARGO_TARGET_DIR when set).
pub fn build_kresym() -> Result<PathBuf> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--release", "-p", "kresym"])
        .status()
        .context("cannot run cargo")?;
    ensure!(status.success(), "building kresym failed");
    // Where cargo put it: $CARGO_TARGET_DIR when set, else the workspace's target/.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    Ok(target.join("release/kresym"))
}

fn which(program: &str) -> Result<()> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false);
    if !found {
        bail!(
            "{program} is not installed (llvm-symbolizer: apt-get install llvm; addr2line: binutils; blazecli: cargo install blazecli)"
        );
    }
    Ok(())
}

/// A corpus frame and the address it stands for.
struct CorpusFrame {
    text: String,
    /// The address to look up: symbol + offset - 1 (a return address).
    probe: u64,
}

/// The benchmark inputs.
pub struct Corpus {
    frames: Vec<CorpusFrame>,
    files: Vec<PathBuf>,
    batch_dir: PathBuf,
    /// A 30-frame report of the corpus's first frames.
    pub report30: PathBuf,
    /// The first frame alone, as a report.
    report1: PathBuf,
    addresses: Vec<u64>,
    duplicates: usize,
    clones: usize,
}

impl Corpus {
    /// Every duplicate-name static and every clone, then random symbols up
    /// to `count` frames; random offsets, kallsyms sizes. Deterministic.
    pub fn build(vmlinux: &Path, count: usize, work: &Path) -> Result<Corpus> {
        let binary = Binary::open(vmlinux)?;
        let symbols: Vec<_> = binary.symbols().iter().filter(|s| s.size >= 2).collect();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for symbol in &symbols {
            *by_name.entry(symbol.name.as_str()).or_default() += 1;
        }
        let is_clone = |name: &str| {
            [".cold", ".isra.", ".part.", ".constprop.", ".llvm."]
                .iter()
                .any(|s| name.contains(s))
        };
        let mut rng = XorShift(0x6b72_6573_796d_2021);
        let mut chosen = Vec::new();
        let (mut duplicates, mut clones) = (0, 0);
        for symbol in &symbols {
            if by_name[symbol.name.as_str()] > 1 {
                duplicates += 1;
                chosen.push(*symbol);
            } else if is_clone(&symbol.name) {
                clones += 1;
                chosen.push(*symbol);
            }
        }
        rng.shuffle(&mut chosen);
        chosen.truncate(count);
        while chosen.len() < count {
            chosen.push(symbols[rng.below(symbols.len() as u64) as usize]);
        }
        rng.shuffle(&mut chosen);
        let frames: Vec<_> = chosen
            .iter()
            .map(|symbol| {
                let offset = 1 + rng.below(symbol.size - 1);
                CorpusFrame {
                    // As kernels since 6.1 print it: `.llvm.<hash>` cut.
                    text: format!(
                        " {}+0x{:x}/0x{:x}\n",
                        printed_name(&symbol.name),
                        offset,
                        symbol.size
                    ),
                    probe: symbol.address + offset - 1,
                }
            })
            .collect();

        let batch_dir = work.join("batch");
        if batch_dir.exists() {
            std::fs::remove_dir_all(&batch_dir)?;
        }
        std::fs::create_dir_all(&batch_dir)?;
        let mut files = Vec::new();
        for (index, chunk) in frames.chunks(FRAMES_PER_FILE).enumerate() {
            let path = batch_dir.join(format!("{index:05}.txt"));
            std::fs::write(&path, trace(chunk))?;
            files.push(path);
        }
        let report30 = work.join("report30.txt");
        std::fs::write(&report30, trace(&frames[..30.min(frames.len())]))?;
        let report1 = work.join("report1.txt");
        std::fs::write(&report1, trace(&frames[..1.min(frames.len())]))?;
        let addresses = frames.iter().map(|f| f.probe).collect();
        Ok(Corpus {
            frames,
            files,
            batch_dir,
            report30,
            report1,
            addresses,
            duplicates,
            clones,
        })
    }
}

fn trace(frames: &[CorpusFrame]) -> String {
    let mut text = String::from("Call Trace:\n <TASK>\n");
    for frame in frames {
        text.push_str(&frame.text);
    }
    text.push_str(" </TASK>\n");
    text
}

/// A small deterministic generator (xorshift64*).
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// How a tool gets its input.
enum Input {
    Stdin(Vec<u8>),
    /// Standard input read from this file.
    File(PathBuf),
    None,
}

/// One command to measure.
struct Tool {
    name: String,
    program: String,
    args: Vec<String>,
    input: Input,
    frames: usize,
}

/// One measured run.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    max_rss_kib: u64,
}

impl Tool {
    /// `kresym symbolize` with `index` (`--no-index`, or `--index-dir D`).
    fn kresym(
        name: &str,
        kresym: &Path,
        vmlinux: &Path,
        jobs: usize,
        index: &[String],
        input: &Path,
    ) -> Tool {
        let frames = count_frames(input);
        let mut args: Vec<String> = vec![
            "symbolize".into(),
            "-q".into(),
            "-j".into(),
            jobs.to_string(),
            "--vmlinux".into(),
            vmlinux.display().to_string(),
        ];
        args.extend(index.iter().cloned());
        args.push(input.display().to_string());
        Tool {
            name: name.into(),
            program: kresym.display().to_string(),
            args,
            input: Input::None,
            frames,
        }
    }

    fn stdin(name: &str, program: &str, args: &[&str], addresses: &[u64]) -> Tool {
        let mut text = Vec::new();
        for address in addresses {
            let _ = writeln!(text, "0x{address:x}");
        }
        Tool {
            name: name.into(),
            program: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            input: Input::Stdin(text),
            frames: addresses.len(),
        }
    }

    fn args(name: &str, program: &str, args: &[&str], addresses: &[u64]) -> Tool {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(addresses.iter().map(|a| format!("0x{a:x}")));
        Tool {
            name: name.into(),
            program: program.into(),
            args: all,
            input: Input::None,
            frames: addresses.len(),
        }
    }

    /// Run once; wall time and this process's peak RSS (from `wait4`).
    fn measure(&self) -> Result<Sample> {
        let started = Instant::now();
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(match &self.input {
                Input::Stdin(_) => Stdio::piped(),
                Input::File(path) => Stdio::from(
                    std::fs::File::open(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                Input::None => Stdio::null(),
            })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {}", self.program))?;
        let feeder = match (&self.input, child.stdin.take()) {
            (Input::Stdin(bytes), Some(mut stdin)) => {
                let bytes = bytes.clone();
                Some(std::thread::spawn(move || stdin.write_all(&bytes)))
            }
            _ => None,
        };
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: rusage is plain data; wait4 fills it for our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let wall = started.elapsed();
        if let Some(feeder) = feeder {
            feeder.join().expect("stdin thread")?;
        }
        ensure!(waited == pid, "wait4 failed for {}", self.name);
        ensure!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "{} failed (status {status})",
            self.name
        );
        Ok(Sample {
            wall,
            max_rss_kib: usage.ru_maxrss as u64,
        })
    }
}

fn count_frames(input: &Path) -> usize {
    let count = |path: &Path| {
        std::fs::read_to_string(path)
            .map(|t| t.lines().filter(|l| l.contains("+0x")).count())
            .unwrap_or(0)
    };
    if input.is_dir() {
        std::fs::read_dir(input)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| count(&e.path())).sum())
            .unwrap_or(0)
    } else {
        count(input)
    }
}

/// Times the single-report tools run, interleaved, in each run: a
/// process of 10 to 100 ms varies by a third from one start to the next
/// on a shared machine, so three samples would say little. Each is
/// measured right after an unmeasured start of its own (see below).
const SINGLE_REPEATS: usize = 5;

fn median(samples: &[Sample]) -> Sample {
    let mut walls: Vec<_> = samples.iter().map(|s| s.wall).collect();
    let mut rss: Vec<_> = samples.iter().map(|s| s.max_rss_kib).collect();
    walls.sort();
    rss.sort();
    Sample {
        wall: walls[walls.len() / 2],
        max_rss_kib: rss[rss.len() / 2],
    }
}

/// One level of an answer: (function, file, line).
type Level = (String, String, u32);

/// How kresym's answers compare with llvm-symbolizer's.
#[derive(Default)]
struct Agreement {
    with_lines: usize,
    agree: usize,
    ambiguous: usize,
    /// Ambiguous frames one of whose candidates is llvm-symbolizer's answer
    /// for the address the frame was built from.
    ambiguous_with_answer: usize,
    /// Of those, the ones where it is the candidate for that address.
    ambiguous_at_address: usize,
    examples: Vec<String>,
}

/// One candidate of a frame kresym found ambiguous: the address it looked
/// up and its inline chain.
struct Candidate {
    lookup_pc: u64,
    chain: Vec<Level>,
}

/// kresym's answer for one frame, read from its JSON.
struct Answer {
    status: String,
    chain: Option<Vec<Level>>,
    /// Set when `status` is `ambiguous`.
    candidates: Vec<Candidate>,
}

/// An inline chain from kresym's JSON (`chain` of a resolved frame or of
/// a candidate).
fn json_chain(chain: &serde_json::Value) -> Option<Vec<Level>> {
    Some(
        chain
            .as_array()?
            .iter()
            .map(|level| {
                (
                    level["function"].as_str().unwrap_or_default().to_owned(),
                    level["location"]["file"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    level["location"]["line"].as_u64().unwrap_or(0) as u32,
                )
            })
            .collect(),
    )
}

/// A chain to compare: the outermost name is the ELF symbol for
/// llvm-symbolizer, while kresym prints the symbol as the report did, so
/// only inlined names are compared.
fn comparable(mut levels: Vec<Level>) -> Vec<Level> {
    if let Some(outer) = levels.last_mut() {
        outer.0.clear();
    }
    levels
}

fn agreement(kresym: &Path, target: &Target, corpus: &Corpus) -> Result<Agreement> {
    let vmlinux = &target.vmlinux;
    let output = Command::new(kresym)
        .args([
            "symbolize",
            "-q",
            "--no-index",
            "--format",
            "json",
            "--vmlinux",
        ])
        .arg(vmlinux)
        .args(&corpus.files)
        .output()?;
    ensure!(output.status.success(), "kresym --format json failed");
    let mut ours: Vec<Answer> = Vec::new();
    for line in String::from_utf8(output.stdout)?.lines() {
        let input: serde_json::Value = serde_json::from_str(line)?;
        for frame in input["frames"].as_array().context("frames")? {
            let candidates = frame["candidates"]
                .as_array()
                .map(|candidates| {
                    candidates
                        .iter()
                        .map(|candidate| Candidate {
                            lookup_pc: candidate["lookup_pc"].as_u64().unwrap_or(0),
                            chain: json_chain(&candidate["chain"]).unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            ours.push(Answer {
                status: frame["status"].as_str().unwrap_or_default().to_owned(),
                chain: json_chain(&frame["chain"]),
                candidates,
            });
        }
    }
    ensure!(
        ours.len() == corpus.frames.len(),
        "kresym printed {} frames, expected {}",
        ours.len(),
        corpus.frames.len()
    );

    let mut child = Command::new("llvm-symbolizer")
        .arg(format!("--obj={}", vmlinux.display()))
        .args(["--inlining", "--functions=linkage"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().context("stdin")?;
    let input: String = corpus
        .addresses
        .iter()
        .map(|a| format!("0x{a:x}\n"))
        .collect();
    // Fed from a thread: llvm-symbolizer answers while it reads.
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output()?;
    feeder.join().expect("stdin thread")?;
    let text = String::from_utf8(output.stdout)?;
    let expected: Vec<Vec<Level>> = text
        .split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let lines: Vec<_> = block.lines().collect();
            lines
                .chunks(2)
                .map(|pair| {
                    let location = pair.get(1).copied().unwrap_or("??:0:0");
                    let mut parts = location.rsplitn(3, ':');
                    let _column = parts.next();
                    let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
                    // llvm-symbolizer's "??" is kresym's missing value, and
                    // so is a file with line 0 (kresym gives no location
                    // without a line).
                    let file = match parts.next().unwrap_or("??") {
                        "??" => String::new(),
                        _ if line == 0 => String::new(),
                        file => clean_path(file, &target.prefixes),
                    };
                    let function = if pair[0] == "??" { "" } else { pair[0] };
                    (function.to_owned(), file, line)
                })
                .collect()
        })
        .collect();
    ensure!(
        expected.len() == ours.len(),
        "llvm-symbolizer answered {} of {}",
        expected.len(),
        ours.len()
    );

    let mut result = Agreement::default();
    for (index, (answer, oracle)) in ours.into_iter().zip(expected).enumerate() {
        if oracle.iter().all(|level| level.2 == 0) {
            continue; // no line information for this address
        }
        result.with_lines += 1;
        let oracle = comparable(oracle);
        let frame = &corpus.frames[index];
        let verdict = judge(&answer, &oracle, frame.probe);
        match verdict {
            Verdict::Agree => result.agree += 1,
            Verdict::AmbiguousWithAnswer { at_address } => {
                result.ambiguous += 1;
                result.ambiguous_with_answer += 1;
                result.ambiguous_at_address += usize::from(at_address);
            }
            Verdict::AmbiguousWithout => result.ambiguous += 1,
            Verdict::Differs => {}
        }
        if matches!(verdict, Verdict::Differs | Verdict::AmbiguousWithout)
            && result.examples.len() < 5
        {
            let chain = comparable(answer.chain.clone().unwrap_or_default());
            let candidates: Vec<_> = answer
                .candidates
                .iter()
                .map(|c| (format!("0x{:x}", c.lookup_pc), comparable(c.chain.clone())))
                .collect();
            result.examples.push(format!(
                "{} at 0x{:x} ({}): kresym {:?}, candidates {:?} / llvm {:?}",
                frame.text.trim(),
                frame.probe,
                answer.status,
                chain,
                candidates,
                oracle
            ));
        }
    }
    Ok(result)
}

/// How one frame's answer compares with llvm-symbolizer's.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Resolved to llvm-symbolizer's answer.
    Agree,
    /// Resolved to something else, or not resolved.
    Differs,
    /// Ambiguous, and one of the candidates is llvm-symbolizer's answer;
    /// `at_address` when it is the candidate for the frame's own address.
    AmbiguousWithAnswer { at_address: bool },
    /// Ambiguous, and no candidate is llvm-symbolizer's answer.
    AmbiguousWithout,
}

/// Compare kresym's `answer` with llvm-symbolizer's `oracle` (both
/// [`comparable`]) for the frame built from address `probe`. The corpus
/// knows which symbol an ambiguous frame was built from, so
/// llvm-symbolizer's answer for that address must be one of the
/// candidates kresym lists.
fn judge(answer: &Answer, oracle: &[Level], probe: u64) -> Verdict {
    if answer.status == "ambiguous" {
        let answers = |candidate: &&Candidate| comparable(candidate.chain.clone()) == oracle;
        return match answer.candidates.iter().find(answers) {
            Some(_) => Verdict::AmbiguousWithAnswer {
                at_address: answer
                    .candidates
                    .iter()
                    .filter(|c| c.lookup_pc == probe)
                    .any(|c| answers(&c)),
            },
            None => Verdict::AmbiguousWithout,
        };
    }
    match &answer.chain {
        Some(chain) if comparable(chain.clone()) == oracle => Verdict::Agree,
        _ => Verdict::Differs,
    }
}

/// How output from the index compares with output from DWARF.
struct IndexAgreement {
    /// JSON frames compared.
    frames: usize,
    /// Frames whose JSON is identical.
    identical: usize,
    /// Whether the whole text outputs are byte-identical.
    text_identical: bool,
    examples: Vec<String>,
}

/// Symbolize the corpus with `--no-index` and from the index, in JSON and
/// in text, and compare frame by frame.
fn index_agreement(
    kresym: &Path,
    vmlinux: &Path,
    index_dir: &Path,
    corpus: &Corpus,
) -> Result<IndexAgreement> {
    let run = |format: &str, index: &[&str]| -> Result<Vec<u8>> {
        let output = Command::new(kresym)
            .args(["symbolize", "-q", "--format", format, "--vmlinux"])
            .arg(vmlinux)
            .args(index)
            .args(&corpus.files)
            .output()?;
        ensure!(output.status.success(), "kresym --format {format} failed");
        Ok(output.stdout)
    };
    let dir = index_dir.to_str().context("index dir is not UTF-8")?;
    let frames = |json: Vec<u8>| -> Result<Vec<serde_json::Value>> {
        let mut frames = Vec::new();
        for line in String::from_utf8(json)?.lines() {
            let input: serde_json::Value = serde_json::from_str(line)?;
            frames.extend(
                input["frames"]
                    .as_array()
                    .context("frames")?
                    .iter()
                    .cloned(),
            );
        }
        Ok(frames)
    };
    let dwarf = frames(run("json", &["--no-index"])?)?;
    let index = frames(run("json", &["--index-dir", dir])?)?;
    ensure!(dwarf.len() == index.len(), "frame counts differ");
    let mut result = IndexAgreement {
        frames: dwarf.len(),
        identical: 0,
        text_identical: run("text", &["--no-index"])? == run("text", &["--index-dir", dir])?,
        examples: Vec::new(),
    };
    for (a, b) in dwarf.iter().zip(&index) {
        if a == b {
            result.identical += 1;
        } else if result.examples.len() < 5 {
            result.examples.push(format!("DWARF {a} / index {b}"));
        }
    }
    Ok(result)
}

/// Remove the index files (`*.kri`) in `dir`, if any.
fn remove_indexes(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(()); // not made yet
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|x| x == "kri") {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Size of the one index file in `dir`.
fn index_size(dir: &Path) -> Result<u64> {
    let mut sizes = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "kri"))
        .map(|e| e.metadata().map(|m| m.len()));
    let size = sizes.next().context("no index was built")??;
    ensure!(
        sizes.next().is_none(),
        "{} holds several indexes",
        dir.display()
    );
    Ok(size)
}

/// File sizes the index targets are about.
struct Sizes {
    vmlinux: u64,
    index: u64,
}

/// The persisted-index part of the results.
fn index_report(
    tools: &[Tool],
    batch: &[Vec<Sample>],
    same: &IndexAgreement,
    sizes: &Sizes,
) -> String {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wall = |name: &str| -> Option<f64> {
        let position = tools.iter().position(|t| t.name == name)?;
        Some(median(&batch[position]).wall.as_secs_f64())
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nPersisted index: {:.1} MiB for a {:.1} MiB vmlinux; output from the index vs from DWARF: {}/{} frames identical in JSON, text output {}.",
        sizes.index as f64 / (1 << 20) as f64,
        sizes.vmlinux as f64 / (1 << 20) as f64,
        same.identical,
        same.frames,
        if same.text_identical {
            "byte-identical"
        } else {
            "DIFFERENT"
        }
    );
    for example in &same.examples {
        let _ = writeln!(out, "- differs: {example}");
    }
    let _ = writeln!(out, "\nIndex targets (ratios within this run):");
    if let (Some(indexed), Some(blazecli)) = (
        wall(&format!("kresym -j{threads}, index")),
        wall("blazecli"),
    ) {
        let r = indexed / blazecli;
        let _ = writeln!(
            out,
            "- 20k batch from the index / blazecli: {r:.4} (target <= 0.04) {}",
            verdict(r <= 0.04)
        );
    }
    if let (Some(build), Some(cold)) = (
        wall("kresym index (build)"),
        wall(&format!("kresym -j{threads}")),
    ) {
        let r = build / cold;
        let _ = writeln!(
            out,
            "- building the index / a cold 20k batch (kresym -j{threads}): {r:.3} (target <= 2: it pays off from the second batch) {}",
            verdict(r <= 2.0)
        );
    }
    let r = sizes.index as f64 / sizes.vmlinux as f64;
    let _ = writeln!(
        out,
        "- index size / vmlinux size: {r:.4} (target <= 0.10) {}",
        verdict(r <= 0.10)
    );
    let _ = writeln!(
        out,
        "- output from the index equals output from DWARF: {}",
        verdict(same.identical == same.frames && same.text_identical)
    );
    out
}

/// kresym's wall time over its peers' on the 20k batch, and the same
/// numbers as one row of the README's "Other kernels" table.
fn peer_ratios(
    title: &str,
    tools: &[Tool],
    batch: &[Vec<Sample>],
    agreement: &Agreement,
) -> String {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wall = |name: &str| -> Option<f64> {
        let position = tools.iter().position(|t| t.name == name)?;
        Some(median(&batch[position]).wall.as_secs_f64())
    };
    let ratio = |a: &str, b: &str| -> String {
        match (wall(a), wall(b)) {
            (Some(a), Some(b)) => format!("{:.3}", a / b),
            _ => "-".to_owned(),
        }
    };
    let one = "kresym -j1".to_owned();
    let all = format!("kresym -j{threads}");
    let index = format!("kresym -j{threads}, index");
    let build = "kresym index (build)";
    let mut out =
        String::from("\nRatios to the peers on the 20k batch (wall, medians of this run):\n");
    for kresym in [&one, &all, &index] {
        let _ = writeln!(
            out,
            "- {kresym}: {} of llvm-symbolizer, {} of blazecli",
            ratio(kresym, "llvm-symbolizer"),
            ratio(kresym, "blazecli")
        );
    }
    let _ = writeln!(
        out,
        "- building the index: {} of a cold DWARF batch ({all}), {} of llvm-symbolizer",
        ratio(build, &all),
        ratio(build, "llvm-symbolizer")
    );
    let compared = agreement.with_lines - agreement.ambiguous;
    let _ = writeln!(
        out,
        "\nREADME row (kernel | agree | ambiguous, llvm's answer among the candidates | -j1/llvm | -j{threads}/llvm | index/llvm | -j{threads}/blazecli | index/blazecli | index build/-j{threads}):\n| {title} | {}/{} | {}/{} | {} | {} | {} | {} | {} | {} |",
        agreement.agree,
        compared,
        agreement.ambiguous_with_answer,
        agreement.ambiguous,
        ratio(&one, "llvm-symbolizer"),
        ratio(&all, "llvm-symbolizer"),
        ratio(&index, "llvm-symbolizer"),
        ratio(&all, "blazecli"),
        ratio(&index, "blazecli"),
        ratio(build, &all)
    );
    out
}

/// Fold `..`, then strip the first of the build `prefixes` that matches.
fn clean_path(path: &str, prefixes: &[String]) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." => {}
            other => parts.push(other),
        }
    }
    let folded = parts.join("/");
    prefixes
        .iter()
        .find_map(|prefix| folded.strip_prefix(prefix.as_str()))
        .unwrap_or(&folded)
        .to_owned()
}

/// The first line of the results: what was measured, where.
fn heading(args: &Args, target: &Target, corpus: &Corpus) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Others' work on the machine shows here; ratios within the run are
    // what compares.
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!(
        "{} ({} MB vmlinux), {} frames ({} duplicate-name statics, {} clones), median of {} interleaved runs (single reports: {} each); {cpu}, {threads} threads, load average {load} at the end.\n",
        target.title,
        std::fs::metadata(&target.vmlinux).map_or(0, |m| m.len() / 1_000_000),
        corpus.frames.len(),
        corpus.duplicates,
        corpus.clones,
        args.runs,
        args.runs * SINGLE_REPEATS
    )
}

fn report(
    heading: &str,
    tools: &[Tool],
    batch: &[Vec<Sample>],
    single: &[Tool],
    cold: &[Vec<Sample>],
    agreement: &Agreement,
) -> String {
    let mut out = String::new();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let _ = writeln!(out, "{heading}");
    let _ = writeln!(
        out,
        "| tool | frames | wall (median) | frames/s | peak RSS |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    let mut medians = BTreeMap::new();
    for (tool, samples) in tools.iter().zip(batch).chain(single.iter().zip(cold)) {
        let m = median(samples);
        medians.insert(tool.name.clone(), m);
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} s | {:.0} | {:.0} MiB |",
            tool.name,
            tool.frames,
            m.wall.as_secs_f64(),
            tool.frames as f64 / m.wall.as_secs_f64(),
            m.max_rss_kib as f64 / 1024.0
        );
    }
    let _ = writeln!(out, "\n{}", agreement_summary(agreement));
    let ratio = |a: &str, b: &str| -> Option<f64> {
        Some(medians.get(a)?.wall.as_secs_f64() / medians.get(b)?.wall.as_secs_f64())
    };
    let rss_ratio = |a: &str, b: &str| -> Option<f64> {
        Some(medians.get(a)?.max_rss_kib as f64 / medians.get(b)?.max_rss_kib as f64)
    };
    let all = format!("kresym -j{threads}");
    let _ = writeln!(out, "\nTargets (ratios within this run):");
    if let Some(r) = ratio(&all, "blazecli") {
        let _ = writeln!(
            out,
            "- 20k batch, all threads / blazecli: {r:.3} (target <= 0.25) {}",
            verdict(r <= 0.25)
        );
    }
    if let Some(r) = ratio("kresym, one 30-frame report", "blazecli, one address") {
        let _ = writeln!(
            out,
            "- one 30-frame report / blazecli one address: {r:.3} (target <= 1) {}",
            verdict(r <= 1.0)
        );
    }
    if let Some(r) = ratio(
        "kresym, one 30-frame report",
        "blazecli, the 30-frame report's addresses",
    ) {
        let _ = writeln!(
            out,
            "- one 30-frame report / blazecli on the same addresses: {r:.3} (target <= 0.5) {}",
            verdict(r <= 0.5)
        );
    }
    if let Some(one) = medians.get("kresym, one 1-frame report") {
        let mib = one.max_rss_kib as f64 / 1024.0;
        let _ = writeln!(
            out,
            "- peak RSS, one 1-frame report: {mib:.1} MiB (target <= 30 MiB) {}",
            verdict(mib <= 30.0)
        );
    }
    if let Some(r) = rss_ratio(&all, "blazecli") {
        let _ = writeln!(
            out,
            "- peak RSS, batch all threads / blazecli: {r:.3} (target <= 1) {}",
            verdict(r <= 1.0)
        );
    }
    if let Some(r) = rss_ratio("kresym, one 30-frame report", "blazecli, one address") {
        let _ = writeln!(
            out,
            "- peak RSS, one report / blazecli one address: {r:.3} (target <= 1) {}",
            verdict(r <= 1.0)
        );
    }
    out
}

fn agreement_summary(agreement: &Agreement) -> String {
    let compared = agreement.with_lines - agreement.ambiguous;
    let mut out = format!(
        "Agreement with llvm-symbolizer (file:line of every level, names of inlined levels), frames with line info: {}/{} ({:.2}%); {} ambiguous by design (same name and size).\nAmbiguous frames with llvm's answer among the candidates: {}/{} ({} of them as the candidate for the frame's own address).",
        agreement.agree,
        compared,
        100.0 * agreement.agree as f64 / compared.max(1) as f64,
        agreement.ambiguous,
        agreement.ambiguous_with_answer,
        agreement.ambiguous,
        agreement.ambiguous_at_address
    );
    for example in &agreement.examples {
        let _ = write!(out, "\n- differs: {example}");
    }
    out
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// Options of `cargo xtask bench-stream`.
#[derive(clap::Args)]
pub struct StreamArgs {
    /// Size of the generated console log, in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// Directory for the generated log (removed afterwards) [default: the system temp dir].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Peak memory and time of `kresym symbolize` on a large console log made of
/// the sample reports, from a file and from standard input.
pub fn run_stream(args: &StreamArgs) -> Result<()> {
    let kresym = build_kresym()?;
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vmlinux-samples");
    let mut reports: Vec<_> = std::fs::read_dir(samples.join("reports"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    reports.sort();
    let mut blob = Vec::new();
    for report in &reports {
        blob.extend(std::fs::read(report)?);
    }
    let dir = args.dir.clone().unwrap_or_else(std::env::temp_dir);
    let log = dir.join(format!("kresym-stream-{}.log", std::process::id()));
    let size = args.size_mib * 1024 * 1024;
    {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&log)
                .with_context(|| format!("cannot create {}", log.display()))?,
        );
        let mut written = 0;
        while written < size {
            out.write_all(&blob)?;
            written += blob.len() as u64;
        }
        out.flush()?;
    }
    let bytes = std::fs::metadata(&log)?.len();
    let base = |input: &str| {
        vec![
            "symbolize".to_owned(),
            "-q".to_owned(),
            "--vmlinux".to_owned(),
            samples.join("build/vmlinux-dwarf5").display().to_string(),
            "--modules".to_owned(),
            samples.join("build").display().to_string(),
            input.to_owned(),
        ]
    };
    let tools = [
        Tool {
            name: "file".into(),
            program: kresym.display().to_string(),
            args: base(&log.display().to_string()),
            input: Input::None,
            frames: 0,
        },
        Tool {
            name: "standard input".into(),
            program: kresym.display().to_string(),
            args: base("-"),
            input: Input::File(log.clone()),
            frames: 0,
        },
    ];
    let mut table = format!(
        "kresym symbolize on a {:.0} MiB console log of the sample reports:\n\n| input | wall | MiB/s | peak RSS |\n|---|---:|---:|---:|\n",
        bytes as f64 / 1048576.0
    );
    for tool in &tools {
        let sample = tool.measure();
        let sample = match sample {
            Ok(sample) => sample,
            Err(error) => {
                let _ = std::fs::remove_file(&log);
                return Err(error);
            }
        };
        let _ = writeln!(
            table,
            "| {} | {:.1} s | {:.0} | {:.0} MiB |",
            tool.name,
            sample.wall.as_secs_f64(),
            bytes as f64 / 1048576.0 / sample.wall.as_secs_f64(),
            sample.max_rss_kib as f64 / 1024.0
        );
    }
    std::fs::remove_file(&log)?;
    println!("{table}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(function: &str, file: &str, line: u32) -> Level {
        (function.to_owned(), file.to_owned(), line)
    }

    fn ambiguous(candidates: &[(u64, u32)]) -> Answer {
        Answer {
            status: "ambiguous".into(),
            chain: None,
            candidates: candidates
                .iter()
                .map(|&(lookup_pc, line)| Candidate {
                    lookup_pc,
                    chain: vec![level("f", "a.c", line)],
                })
                .collect(),
        }
    }

    #[test]
    fn an_ambiguous_frame_needs_llvms_answer_among_its_candidates() {
        let oracle = comparable(vec![level("f", "a.c", 7)]);
        assert_eq!(
            judge(&ambiguous(&[(0x100, 3), (0x200, 7)]), &oracle, 0x200),
            Verdict::AmbiguousWithAnswer { at_address: true }
        );
        assert_eq!(
            judge(&ambiguous(&[(0x100, 7), (0x200, 3)]), &oracle, 0x200),
            Verdict::AmbiguousWithAnswer { at_address: false }
        );
        assert_eq!(
            judge(&ambiguous(&[(0x100, 3), (0x200, 5)]), &oracle, 0x200),
            Verdict::AmbiguousWithout
        );
    }

    #[test]
    fn a_resolved_frame_agrees_on_inlined_names_and_every_location() {
        let oracle = comparable(vec![level("g", "b.h", 2), level("f_elf", "a.c", 7)]);
        let resolved = |chain| Answer {
            status: "resolved".into(),
            chain: Some(chain),
            candidates: Vec::new(),
        };
        let printed_name = resolved(vec![level("g", "b.h", 2), level("f", "a.c", 7)]);
        assert_eq!(judge(&printed_name, &oracle, 0), Verdict::Agree);
        let other_line = resolved(vec![level("g", "b.h", 3), level("f", "a.c", 7)]);
        assert_eq!(judge(&other_line, &oracle, 0), Verdict::Differs);
        let other_inline = resolved(vec![level("h", "b.h", 2), level("f", "a.c", 7)]);
        assert_eq!(judge(&other_inline, &oracle, 0), Verdict::Differs);
    }
}
