//! `cargo xtask samples`: build `vmlinux-samples/` and regenerate its reports.
//!
//! The sample kernel is compiled from inside `vmlinux-samples/` with
//! relative source paths, so DW_AT_name is `net/ipv4/tcp_ipv4.c` and so on,
//! and `-fdebug-prefix-map` turns the compilation directory into
//! [`COMP_DIR`], so the binaries do not depend on where the repo is.
//!
//! Outputs (all committed):
//! - `build/vmlinux-dwarf5`, `build/vmlinux-dwarf4`: the static ELF programs;
//! - `build/samplemod.ko` (DWARF 5), `build/samplemod-dwarf4.ko`: ET_REL modules;
//! - `reports/<scenario>.txt`: what `vmlinux-dwarf5 <scenario>` prints; when
//!   the DWARF 4 build prints something else (only the module build id
//!   differs), also `reports/<scenario>-dwarf4.txt`;
//! - `variants/<variant>/`: the same kernel and module built as users build
//!   theirs ([`VARIANTS`]: clang, clang ThinLTO with ld.lld, out of tree,
//!   and aarch64 with ftrace's patchable entries, run under qemu-aarch64),
//!   `vmlinux`, `samplemod.ko` and `reports/<scenario>.txt` each.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The compilation directory recorded in DW_AT_comp_dir.
const COMP_DIR: &str = "/build/kresym-sample";

/// The architecture-independent vmlinux sources, in link order, between
/// an [`Arch`]'s `head` and `tail` sources.
const COMMON_SOURCES: &[&str] = &[
    "init/main.c",
    "init/init_task.c",
    "kernel/fork.c",
    "kernel/kallsyms.c",
    "kernel/kthread.c",
    "kernel/module/main.c",
    "kernel/notifier.c",
    "kernel/panic.c",
    "kernel/printk/printk.c",
    "kernel/sched/core.c",
    "kernel/softirq.c",
    "mm/kasan/generic.c",
    "mm/kasan/report.c",
    "mm/kasan/shadow.c",
    "mm/page_alloc.c",
    "lib/bug.c",
    "lib/dump_stack.c",
    "lib/show_mem.c",
    "lib/string.c",
    "lib/vsprintf.c",
    "net/core/dev.c",
    "net/core/skbuff.c",
    "net/ipv4/ip_input.c",
    "net/ipv4/tcp.c",
    "net/ipv4/tcp_ipv4.c",
    "drivers/block/aoe/aoecmd.c",
];

/// What differs between the architectures the sample kernel is built for.
struct Arch {
    /// Sources linked before [`COMMON_SOURCES`] (the ELF entry first, like
    /// head_64.S).
    head: &'static [&'static str],
    /// Sources linked after [`COMMON_SOURCES`].
    tail: &'static [&'static str],
    /// Scenarios only this architecture has (`ARCH_SCENARIOS` of its
    /// `asm/stacktrace.h`), after [`SCENARIOS`].
    scenarios: &'static [(&'static str, bool)],
    /// The `asm/` include directory.
    include: &'static str,
    /// The ELF entry symbol.
    entry: &'static str,
    /// Flags of [`CFLAGS`] this architecture's compiler does not know.
    drop_cflags: &'static [&'static str],
    /// Flags added to the link of vmlinux.
    link_flags: &'static [&'static str],
    /// The program that runs a vmlinux of this architecture on the build
    /// machine (`None`: it runs itself).
    runner: Option<&'static str>,
}

/// x86-64: the reference build and every variant but [`AARCH64`].
const X86_64: Arch = Arch {
    head: &[
        "arch/x86/entry/entry_64.S",
        "arch/x86/entry/common.c",
        "arch/x86/kernel/dumpstack.c",
        "arch/x86/kernel/host.c",
        "arch/x86/kernel/traps.c",
    ],
    tail: &["arch/x86/kernel/relocate_kernel_64.S"],
    scenarios: &[],
    include: "arch/x86/include",
    entry: "startup_64",
    drop_cflags: &[],
    link_flags: &[],
    runner: None,
};

/// arm64, run under qemu-user.
const AARCH64: Arch = Arch {
    head: &[
        "arch/arm64/kernel/head.S",
        "arch/arm64/kernel/entry.S",
        "arch/arm64/kernel/entry-common.c",
        "arch/arm64/kernel/syscall.c",
        "arch/arm64/kernel/stacktrace.c",
        "arch/arm64/kernel/process.c",
        "arch/arm64/kernel/host.c",
        "arch/arm64/kernel/traps.c",
        "arch/arm64/kernel/module.c",
    ],
    // ftrace, kprobes on ftrace and fail_function: only the "fail-function"
    // scenario uses them.
    tail: &[
        "arch/arm64/kernel/entry-ftrace.S",
        "arch/arm64/kernel/ftrace.c",
        "kernel/trace/ftrace.c",
        "kernel/kprobes.c",
        "kernel/fail_function.c",
        "lib/fault-inject.c",
        "arch/arm64/kernel/relocate_kernel.S",
    ],
    scenarios: &[("fail-function", false)],
    include: "arch/arm64/include",
    entry: "primary_entry",
    drop_cflags: &["-mno-red-zone"],
    // Text 64 MiB above the module area (MODULES_VADDR, 0x20000000), in
    // reach of a `bl` (±128 MiB) as arm64's module region is.
    link_flags: &["-Wl,-Ttext-segment=0x24000000"],
    runner: Some("qemu-aarch64"),
};

impl Arch {
    /// The vmlinux sources, in link order.
    fn sources(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.head
            .iter()
            .chain(COMMON_SOURCES)
            .chain(self.tail)
            .copied()
    }
}

const MODULE_SOURCE: &str = "drivers/sample/samplemod.c";

/// Compiler flags shared by vmlinux and the module (plus `-gdwarf-N`).
const CFLAGS: &[&str] = &[
    "-O2",
    "-nostdinc",
    "-ffreestanding",
    "-fno-pie",
    "-fno-pic",
    "-fno-omit-frame-pointer",
    "-fno-optimize-sibling-calls",
    "-fno-stack-protector",
    "-fno-strict-aliasing",
    "-fno-common",
    "-fno-asynchronous-unwind-tables",
    "-fno-tree-loop-distribute-patterns",
    "-mno-red-zone",
    "-mgeneral-regs-only",
    "-Wall",
    "-Wno-unused-function",
    "-Iinclude",
];

/// The scenarios of init/main.c, one report each.
const SCENARIOS: &[(&str, bool)] = &[
    // (name, needs the module)
    ("kasan-tcp", false),
    ("kthread-aoe", false),
    ("page-alloc-cold", false),
    ("warn-rip", false),
    ("module", true),
    ("module-buildid", true),
    ("oldstyle-kaslr", true),
    ("timestamps", false),
];

/// The DWARF versions built; the first one's reports are the reference.
const DWARF_VERSIONS: &[u32] = &[5, 4];

/// Where the source tree of the out-of-tree variant appears in its DWARF
/// (absolute, sharing nothing with its compilation directory).
const OUT_OF_TREE_SOURCE: &str = "/usr/src/linux-kresym-sample";
/// The compilation directory (object directory) of the out-of-tree variant.
const OUT_OF_TREE_OBJECTS: &str = "/build/kresym-sample-out";

/// A build of the sample kernel and module as users build theirs.
struct Variant {
    /// Directory name under `variants/`.
    name: &'static str,
    /// The architecture built for.
    arch: &'static Arch,
    /// C compiler: `gcc`, `clang` or a cross gcc such as
    /// `aarch64-linux-gnu-gcc`.
    cc: &'static str,
    /// Flags added to [`CFLAGS`] (`-gdwarf-N` included).
    cflags: &'static [&'static str],
    /// Linker of vmlinux (`-fuse-ld=`) and of the module (`ld -r`).
    ld: &'static str,
    /// Flags added to the link of vmlinux.
    link_flags: &'static [&'static str],
    /// Compiled from an object directory with the sources named by
    /// absolute paths, as `make O=$OUT` does with the source elsewhere.
    out_of_tree: bool,
}

/// The variants, each in `variants/<name>/`.
const VARIANTS: &[Variant] = &[
    Variant {
        name: "clang-dwarf5",
        arch: &X86_64,
        cc: "clang",
        cflags: &["-gdwarf-5"],
        ld: "ld.lld",
        link_flags: &[],
        out_of_tree: false,
    },
    Variant {
        name: "clang-thinlto",
        arch: &X86_64,
        cc: "clang",
        cflags: &["-gdwarf-5", "-flto=thin"],
        ld: "ld.lld",
        // What the module calls must survive LTO, as EXPORT_SYMBOL's
        // `__ksymtab` entries make it survive in a kernel.
        link_flags: &["-Wl,--export-dynamic"],
        out_of_tree: false,
    },
    Variant {
        name: "gcc-out-of-tree",
        arch: &X86_64,
        cc: "gcc",
        cflags: &["-gdwarf-5"],
        ld: "ld",
        link_flags: &[],
        out_of_tree: true,
    },
    Variant {
        name: "gcc-aarch64",
        arch: &AARCH64,
        cc: "aarch64-linux-gnu-gcc",
        // `-fpatchable-function-entry=2`: as Debian's arm64 kernel is built
        // for ftrace, two NOPs at every function's entry, before its DWARF
        // range. `-mbranch-protection=none`: no BTI or pointer-authentication
        // instructions (Debian gcc's default, made explicit).
        // `-Wno-frame-address`: arm64's unwinder starts at
        // `__builtin_frame_address(1)`, and the kernel turns that warning
        // off too.
        cflags: &[
            "-gdwarf-5",
            "-fpatchable-function-entry=2",
            "-mbranch-protection=none",
            "-Wno-frame-address",
        ],
        ld: "aarch64-linux-gnu-ld",
        link_flags: &[],
        out_of_tree: false,
    },
];

#[derive(clap::Args)]
pub struct Args {
    /// Rebuild into a temporary directory and report whether the committed
    /// binaries and reports differ (exit status 1 if they do).
    #[arg(long)]
    check: bool,
    /// The C compiler.
    #[arg(long, default_value = "gcc")]
    cc: String,
    /// The linker used for `ld -r --build-id` of the module.
    #[arg(long, default_value = "ld")]
    ld: String,
    /// Keep the object files in this directory instead of a temporary one.
    #[arg(long)]
    keep_objects: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<()> {
    let samples = samples_dir()?;
    check_tool(
        &args.cc,
        "a C compiler (gcc 12 was used for the committed files)",
    )?;
    check_tool(&args.ld, "GNU ld (binutils)")?;

    let scratch = ScratchDir::new(args.keep_objects.clone())?;
    let (build_dir, reports_dir) = if args.check {
        let out = scratch.path.join("out");
        (out.join("build"), out.join("reports"))
    } else {
        (samples.join("build"), samples.join("reports"))
    };
    fs::create_dir_all(&build_dir)?;
    fs::create_dir_all(&reports_dir)?;

    let built = build_all(args, &samples, &scratch.path, &build_dir)?;
    let written = write_reports(&built, &reports_dir)?;
    let variants_dir = if args.check {
        scratch.path.join("out/variants")
    } else {
        samples.join("variants")
    };
    let mut variant_files = Vec::new();
    for variant in VARIANTS {
        variant_files.extend(build_variant(
            variant,
            &samples,
            &scratch.path,
            &variants_dir,
        )?);
    }

    if args.check {
        return compare(
            &samples,
            &build_dir,
            &reports_dir,
            &written,
            &variants_dir,
            &variant_files,
        );
    }
    println!(
        "samples: built {} and wrote {} reports to {}",
        built
            .iter()
            .flat_map(|b| [name_of(&b.vmlinux), name_of(&b.module)])
            .collect::<Vec<_>>()
            .join(", "),
        written.len(),
        reports_dir.display()
    );
    Ok(())
}

/// The ELF files of one DWARF version.
struct Built {
    dwarf: u32,
    vmlinux: PathBuf,
    module: PathBuf,
    /// Runs `vmlinux` on the build machine ([`Arch::runner`]).
    runner: Option<&'static str>,
}

fn build_all(args: &Args, samples: &Path, scratch: &Path, build_dir: &Path) -> Result<Vec<Built>> {
    let prefix_map = format!("-fdebug-prefix-map={}={COMP_DIR}", samples.display());
    let mut built = Vec::new();
    for &dwarf in DWARF_VERSIONS {
        let obj_dir = scratch.join(format!("obj-dwarf{dwarf}"));
        fs::create_dir_all(&obj_dir)?;
        let mut cflags: Vec<String> = CFLAGS.iter().map(|s| s.to_string()).collect();
        cflags.push(format!("-I{}", X86_64.include));
        cflags.push(format!("-gdwarf-{dwarf}"));
        cflags.push(prefix_map.clone());

        let mut objects = Vec::new();
        for src in X86_64.sources() {
            let obj = obj_dir.join(format!("{}.o", src.replace('/', "_")));
            compile(&args.cc, samples, &cflags, src, &obj)?;
            objects.push(obj);
        }
        let vmlinux = build_dir.join(format!("vmlinux-dwarf{dwarf}"));
        let mut link = Command::new(&args.cc);
        link.current_dir(samples)
            .args(["-nostdlib", "-static", "-no-pie"])
            .arg(format!("-Wl,-e,{}", X86_64.entry))
            .arg("-Wl,--build-id=sha1")
            .arg("-o")
            .arg(&vmlinux)
            .args(&objects);
        run_cmd(&mut link, "link vmlinux")?;

        // The module: gcc -c, then ld -r --build-id=sha1 as the kernel's
        // modpost step does, which gives it a real .note.gnu.build-id.
        let mod_obj = obj_dir.join("samplemod.o");
        compile(&args.cc, samples, &cflags, MODULE_SOURCE, &mod_obj)?;
        let module = build_dir.join(if dwarf == DWARF_VERSIONS[0] {
            "samplemod.ko".to_string()
        } else {
            format!("samplemod-dwarf{dwarf}.ko")
        });
        let mut ld = Command::new(&args.ld);
        ld.current_dir(samples)
            .args(["-r", "--build-id=sha1", "-o"])
            .arg(&module)
            .arg(&mod_obj);
        run_cmd(&mut ld, "link samplemod.ko")?;

        built.push(Built {
            dwarf,
            vmlinux,
            module,
            runner: X86_64.runner,
        });
    }
    Ok(built)
}

/// Build `variant` into `variants_dir/<name>/` and run its scenarios; the
/// files written, relative to `variants_dir`.
fn build_variant(
    variant: &Variant,
    samples: &Path,
    scratch: &Path,
    variants_dir: &Path,
) -> Result<Vec<PathBuf>> {
    check_tool(
        variant.cc,
        "a C compiler (Debian: apt-get install gcc clang gcc-aarch64-linux-gnu)",
    )?;
    check_tool(
        variant.ld,
        "a linker (Debian: apt-get install binutils lld binutils-aarch64-linux-gnu)",
    )?;
    if let Some(runner) = variant.arch.runner {
        check_tool(runner, "qemu-user (Debian: apt-get install qemu-user)")?;
    }
    let obj_dir = scratch.join(format!("obj-{}", variant.name));
    fs::create_dir_all(&obj_dir)?;
    let out = variants_dir.join(variant.name);
    fs::create_dir_all(out.join("reports"))?;
    // In tree: run from the sources, named relatively. Out of tree: run
    // from the object directory, sources named by absolute paths.
    let (cwd, source_prefix) = if variant.out_of_tree {
        (obj_dir.clone(), format!("{}/", samples.display()))
    } else {
        (samples.to_owned(), String::new())
    };
    let arch = variant.arch;
    let gcc = variant.cc.ends_with("gcc");
    let mut cflags: Vec<String> = CFLAGS
        .iter()
        .chain([&format!("-I{}", arch.include).as_str()])
        .filter(|flag| gcc || **flag != "-fno-tree-loop-distribute-patterns")
        .filter(|flag| !arch.drop_cflags.contains(flag))
        .map(|flag| match flag.strip_prefix("-I") {
            Some(dir) => format!("-I{source_prefix}{dir}"),
            None => flag.to_string(),
        })
        .collect();
    cflags.extend(variant.cflags.iter().map(|s| s.to_string()));
    if variant.out_of_tree {
        cflags.push(format!(
            "-fdebug-prefix-map={}={OUT_OF_TREE_SOURCE}",
            samples.display()
        ));
        cflags.push(format!(
            "-fdebug-prefix-map={}={OUT_OF_TREE_OBJECTS}",
            obj_dir.display()
        ));
        // `__FILE__` relative to the source tree, as kbuild's
        // `-fmacro-prefix-map=$(srctree)/=` makes it.
        cflags.push(format!("-fmacro-prefix-map={}/=", samples.display()));
    } else {
        cflags.push(format!(
            "-fdebug-prefix-map={}={COMP_DIR}",
            samples.display()
        ));
        if variant.cc == "clang" {
            // clang 14's assembler ignores -fdebug-prefix-map.
            cflags.push(format!("-fdebug-compilation-dir={COMP_DIR}"));
        }
    }

    let mut objects = Vec::new();
    for src in arch.sources() {
        let obj = obj_dir.join(format!("{}.o", src.replace('/', "_")));
        compile(
            variant.cc,
            &cwd,
            &cflags,
            &format!("{source_prefix}{src}"),
            &obj,
        )?;
        objects.push(obj);
    }
    let vmlinux = out.join("vmlinux");
    let mut link = Command::new(variant.cc);
    link.current_dir(&cwd)
        .args(variant.cflags)
        .args(["-nostdlib", "-static"])
        .arg(format!("-Wl,-e,{}", arch.entry))
        .arg("-Wl,--build-id=sha1")
        .args(arch.link_flags)
        .args(variant.link_flags);
    if gcc {
        link.arg("-no-pie");
    }
    if variant.ld == "ld.lld" {
        link.arg("-fuse-ld=lld");
    }
    link.arg("-o").arg(&vmlinux).args(&objects);
    run_cmd(&mut link, &format!("link {} vmlinux", variant.name))?;

    let mod_obj = obj_dir.join("samplemod.o");
    compile(
        variant.cc,
        &cwd,
        &cflags,
        &format!("{source_prefix}{MODULE_SOURCE}"),
        &mod_obj,
    )?;
    let module = out.join("samplemod.ko");
    let mut ld = Command::new(variant.ld);
    ld.current_dir(&cwd)
        .args(["-r", "--build-id=sha1", "-o"])
        .arg(&module)
        .arg(&mod_obj);
    run_cmd(&mut ld, &format!("link {} samplemod.ko", variant.name))?;

    let built = Built {
        dwarf: 5,
        vmlinux,
        module,
        runner: arch.runner,
    };
    let mut files = vec![
        PathBuf::from(variant.name).join("vmlinux"),
        PathBuf::from(variant.name).join("samplemod.ko"),
    ];
    for &(scenario, needs_module) in SCENARIOS.iter().chain(arch.scenarios) {
        let report = run_scenario(&built, scenario, needs_module)?;
        let name = PathBuf::from(variant.name)
            .join("reports")
            .join(format!("{scenario}.txt"));
        fs::write(variants_dir.join(&name), report)?;
        files.push(name);
    }
    Ok(files)
}

fn compile(cc: &str, cwd: &Path, cflags: &[String], src: &str, obj: &Path) -> Result<()> {
    let mut cmd = Command::new(cc);
    cmd.current_dir(cwd)
        .args(cflags)
        .arg("-c")
        .arg(src)
        .arg("-o")
        .arg(obj);
    run_cmd(&mut cmd, &format!("compile {src}"))
}

/// Run every scenario on every build; returns the report file names written.
fn write_reports(built: &[Built], reports_dir: &Path) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for &(scenario, needs_module) in SCENARIOS {
        let mut reference: Option<Vec<u8>> = None;
        for b in built {
            let report = run_scenario(b, scenario, needs_module)?;
            let name = match &reference {
                None => format!("{scenario}.txt"),
                Some(r) if *r == report => continue,
                Some(_) => format!("{scenario}-dwarf{}.txt", b.dwarf),
            };
            fs::write(reports_dir.join(&name), &report)?;
            written.push(name);
            reference.get_or_insert(report);
        }
    }
    Ok(written)
}

fn run_scenario(b: &Built, scenario: &str, needs_module: bool) -> Result<Vec<u8>> {
    let mut cmd = match b.runner {
        Some(runner) => {
            let mut cmd = Command::new(runner);
            cmd.arg(&b.vmlinux);
            cmd
        }
        None => Command::new(&b.vmlinux),
    };
    cmd.arg(scenario);
    if needs_module {
        cmd.arg(&b.module);
    }
    let out = cmd
        .output()
        .with_context(|| format!("running {} {scenario}", b.vmlinux.display()))?;
    if !out.status.success() || out.stdout.is_empty() {
        bail!(
            "{} {scenario} failed ({}): {}",
            b.vmlinux.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// `--check`: compare the rebuilt files with the committed ones.
fn compare(
    samples: &Path,
    build_dir: &Path,
    reports_dir: &Path,
    written: &[String],
    variants_dir: &Path,
    variant_files: &[PathBuf],
) -> Result<()> {
    let mut pairs = Vec::new();
    for entry in fs::read_dir(build_dir)? {
        let name = entry?.file_name();
        pairs.push((build_dir.join(&name), samples.join("build").join(&name)));
    }
    for name in written {
        pairs.push((reports_dir.join(name), samples.join("reports").join(name)));
    }
    for name in variant_files {
        pairs.push((variants_dir.join(name), samples.join("variants").join(name)));
    }
    pairs.sort();

    let mut differ = Vec::new();
    for (new, old) in &pairs {
        let same = match (fs::read(new), fs::read(old)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        let rel = old
            .strip_prefix(samples)
            .unwrap_or(old)
            .display()
            .to_string();
        println!("{} {rel}", if same { "same   " } else { "DIFFERS" });
        if !same {
            differ.push(rel);
        }
    }
    if differ.is_empty() {
        println!("samples: the committed files match a rebuild");
        Ok(())
    } else {
        bail!(
            "{} committed file(s) differ from a rebuild (a different gcc/binutils \
             changes the binaries; rerun `cargo xtask samples` to regenerate): {}",
            differ.len(),
            differ.join(", ")
        )
    }
}

fn samples_dir() -> Result<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("xtask has no parent directory")?;
    let dir = root.join("vmlinux-samples");
    if !dir.join("init/main.c").is_file() {
        bail!("{} does not hold the sample kernel sources", dir.display());
    }
    Ok(dir.canonicalize()?)
}

fn check_tool(tool: &str, what: &str) -> Result<()> {
    match Command::new(tool).arg("--version").output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => bail!(
            "`{tool} --version` failed ({}): is {tool} {what}?",
            out.status
        ),
        Err(e) => bail!(
            "cannot run `{tool}` ({e}): `cargo xtask samples` needs {what}; \
             install it or pass --cc/--ld"
        ),
    }
}

fn run_cmd(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("{what}: cannot run {cmd:?}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("{what} failed ({}):\n{stderr}", out.status);
    }
    if !stderr.trim().is_empty() {
        eprint!("{what}:\n{stderr}");
    }
    Ok(())
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(OsStr::to_string_lossy)
        .unwrap_or_default()
        .into_owned()
}

/// A scratch directory for object files, removed on drop unless the user
/// asked to keep it.
struct ScratchDir {
    path: PathBuf,
    keep: bool,
}

impl ScratchDir {
    fn new(keep: Option<PathBuf>) -> Result<Self> {
        let (path, keep) = match keep {
            Some(p) => (p, true),
            None => (
                std::env::temp_dir().join(format!("kresym-samples-{}", std::process::id())),
                false,
            ),
        };
        if !keep && path.exists() {
            fs::remove_dir_all(&path)?;
        }
        fs::create_dir_all(&path)?;
        Ok(Self { path, keep })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}
