//! `kresym index`: build the persisted index of a vmlinux ahead of time.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kresym_report::PcKind;
use kresym_symbolize::{
    Binary, Index, IndexError, IndexPolicy, Resolved, Symbolizer, SymbolizerOptions,
};
use rayon::prelude::*;

/// Build the persisted index of a vmlinux, so that every later `kresym
/// symbolize` or `kresym verify` against it reads no DWARF.
///
/// The index is keyed by the vmlinux's GNU build id and kept in the index
/// directory; with --modules, each module gets one keyed by its own.
/// `symbolize` also builds it by itself the first time it runs a batch of 5,000 frames or more; this command is for farms that symbolize
/// reports one at a time.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym index --vmlinux vmlinux
  kresym index --vmlinux vmlinux \\
      --modules /usr/lib/debug/lib/modules/6.1.0-53-cloud-amd64
  kresym index --vmlinux vmlinux --index-dir /var/cache/kresym --force
  kresym index --prune 4000000000   # keep the index directory within 4 GB

An index that is already there and valid is kept (unless --force); a stale
(another kresym version) or corrupt one is rebuilt. Prints the vmlinux's
index path. Module files are indexed by their own build ids; one that cannot
be (no build id, no DWARF) is named on stderr and read from DWARF later.

The index directory is as trusted as the vmlinux and modules themselves:
whoever can write it decides what kresym answers (every index is checksummed
against damage, not forgery). --check re-derives a sample of answers (--samples
addresses spread evenly over the text) from the DWARF and prints every
difference; it builds nothing.

Exit status: 0 when a valid index is in place (with --check: and answers as
the DWARF does; with --prune alone: when the directory could be read), 1 when
--check finds a difference, 2 when none could be built or checked (no build
id, malformed DWARF, unwritable directory, no index) or the directory to prune
cannot be read.")]
pub struct Args {
    /// The vmlinux (with DWARF) to index.
    #[arg(long, value_name = "FILE", required_unless_present = "prune")]
    pub vmlinux: Option<PathBuf>,
    /// Rebuild the vmlinux's index even when a valid one is there.
    #[arg(long, requires = "vmlinux")]
    pub force: bool,
    /// Also index every module file (.ko, .ko.debug, .ko.xz, .ko.zst) under
    /// this directory that has no valid index yet; repeatable.
    #[arg(long = "modules", value_name = "DIR", requires = "vmlinux")]
    pub modules: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Check the vmlinux's existing index instead of building: look up
    /// --samples addresses in it and in the DWARF, and print each difference.
    #[arg(long, conflicts_with_all = ["force", "modules"])]
    pub check: bool,
    /// How many addresses --check compares, spread evenly over the text.
    #[arg(long, value_name = "N", default_value_t = 4096, requires = "check")]
    pub samples: u64,
    /// Then remove the least recently used indexes (built or read) from the
    /// index directory until those left take at most BYTES; the vmlinux's
    /// own stays. Without --vmlinux, only this.
    #[arg(long, value_name = "BYTES", conflicts_with = "check")]
    pub prune: Option<u64>,
    /// Do not print progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Where indexes are kept, one file per build id
    /// [default: $XDG_CACHE_HOME/kresym/index, else ~/.cache/kresym/index].
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    crate::cmd::start_workers(args.jobs)?;
    let Some(dir) = args
        .index_dir
        .clone()
        .or_else(|| crate::cmd::cache_dir("index"))
    else {
        bail!("no index directory: pass --index-dir DIR, or set HOME or XDG_CACHE_HOME");
    };
    let Some(vmlinux_path) = args.vmlinux.as_deref() else {
        // Only --prune: clap requires --vmlinux otherwise.
        return prune(&args, &dir, &[]);
    };
    if args.check {
        return check(&args, vmlinux_path, &dir);
    }
    let vmlinux = Binary::open(vmlinux_path)?;
    if !vmlinux.has_dwarf() {
        bail!(
            "{} has no DWARF; index the unstripped (-dbg) vmlinux",
            vmlinux_path.display()
        );
    }
    let index = vmlinux_index(&args, &dir, vmlinux)?;
    let mut stdout = crate::output::Stdout::lock();
    writeln!(stdout, "{}", index.path().display())
        .and_then(|()| stdout.flush())
        .context("cannot write output")?;
    if !args.modules.is_empty() {
        index_modules(&args, vmlinux_path, &dir)?;
    }
    prune(&args, &dir, &[index.path().to_owned()])
}

/// With --prune, keep the index directory within its size, `keep` staying.
fn prune(args: &Args, dir: &Path, keep: &[PathBuf]) -> Result<ExitCode> {
    let Some(max) = args.prune else {
        return Ok(ExitCode::SUCCESS);
    };
    let pruned = Index::prune(dir, max, keep)
        .with_context(|| format!("cannot prune the index directory {}", dir.display()))?;
    if !args.quiet {
        let freed: u64 = pruned.removed.iter().map(|(_, len)| len).sum();
        say!(
            "kresym: {} index{} removed ({}); {} left ({})",
            pruned.removed.len(),
            if pruned.removed.len() == 1 { "" } else { "es" },
            crate::cmd::file_size(freed),
            pruned.kept_files,
            crate::cmd::file_size(pruned.kept_bytes)
        );
        if pruned.kept_bytes > max {
            say!(
                "kresym: warning: {} still holds more than {max} bytes: what is left cannot be removed or is kept",
                dir.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Compare the vmlinux's index with its DWARF at `--samples` addresses.
fn check(args: &Args, vmlinux: &Path, dir: &Path) -> Result<ExitCode> {
    let options = || SymbolizerOptions {
        module_dirs: Vec::new(),
        strip_prefixes: Vec::new(),
    };
    let dwarf = Symbolizer::open(vmlinux, options())?;
    if !dwarf.vmlinux().has_dwarf() {
        bail!(
            "{} has no DWARF to check its index against",
            vmlinux.display()
        );
    }
    let binary = Binary::open(vmlinux)?;
    let index = Index::load(dir, &binary)
        .with_context(|| format!("no index of {} to check", vmlinux.display()))?;
    let path = index.path().to_owned();
    let indexed = Symbolizer::builder(binary)
        .index(IndexPolicy::Loaded(Box::new(index)))
        .build()?;
    let symbols = dwarf.vmlinux().symbols();
    let (Some(first), Some(last)) = (symbols.iter().next(), symbols.iter().last()) else {
        bail!("{} has no text symbols", vmlinux.display());
    };
    let start = first.address;
    let span = (last.address + last.size.max(1))
        .saturating_sub(start)
        .max(1);
    let samples = args.samples.clamp(1, span);
    let differences: Vec<String> = (0..samples)
        .into_par_iter()
        .filter_map(|i| {
            let address = start + (u128::from(span) * u128::from(i) / u128::from(samples)) as u64;
            let found = indexed.resolve_address(address, PcKind::ExactPc);
            let expected = dwarf.resolve_address(address, PcKind::ExactPc);
            (found != expected).then(|| {
                format!(
                    "0x{address:x}: the index says {}; DWARF says {}",
                    describe(found.as_ref()),
                    describe(expected.as_ref())
                )
            })
        })
        .collect();
    for difference in &differences {
        println!("{difference}");
    }
    if !args.quiet || !differences.is_empty() {
        say!(
            "kresym: {}: {} of {samples} sampled addresses differ from the DWARF{}",
            path.display(),
            differences.len(),
            if differences.is_empty() {
                ""
            } else {
                "; delete the index (or run kresym index --force) and find out who wrote it"
            }
        );
    }
    Ok(if differences.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One answer, on one line: the symbol and the chain, innermost first.
fn describe(resolved: Option<&Resolved>) -> String {
    let Some(resolved) = resolved else {
        return "nothing".into();
    };
    let chain: Vec<String> = resolved
        .chain
        .iter()
        .map(|frame| {
            let function = frame.function.as_deref().unwrap_or("?");
            match &frame.location {
                Some(at) => format!("{function} {}:{}", at.file, at.line),
                None => function.to_owned(),
            }
        })
        .collect();
    format!(
        "{}+0x{:x} [{}]",
        resolved.symbol,
        resolved.pc - resolved.symbol_address,
        chain.join(" <- ")
    )
}

/// The vmlinux's valid index: the one there, or a new one.
fn vmlinux_index(args: &Args, dir: &Path, vmlinux: Binary) -> Result<Index> {
    let say = |message: String| {
        if !args.quiet {
            say!("kresym: {message}");
        }
    };
    if !args.force {
        match Index::load(dir, &vmlinux) {
            Ok(index) => {
                say("the index is up to date".into());
                return Ok(index);
            }
            Err(IndexError::Missing(_)) => {}
            Err(error) if error.needs_rebuild() => say(format!("{error}; rebuilding it")),
            Err(error) => return Err(error.into()),
        }
    }
    if args.force
        && let Some(build_id) = vmlinux.build_id()
    {
        // A build keeps a valid index another process wrote first: --force
        // replaces it, so it goes first.
        let _ = std::fs::remove_file(Index::path_in(dir, build_id));
    }
    let started = Instant::now();
    let path = vmlinux.path();
    say(format!("indexing {}", path.display()));
    let index =
        Index::build(dir, &vmlinux).with_context(|| format!("cannot index {}", path.display()))?;
    say(format!(
        "{} ({:.1}% of the vmlinux) in {:.1?}",
        crate::cmd::file_size(index.size()),
        100.0 * index.size() as f64 / std::fs::metadata(path)?.len().max(1) as f64,
        started.elapsed()
    ));
    Ok(index)
}

/// Index every module file under --modules that has no valid index yet.
fn index_modules(args: &Args, vmlinux: &Path, dir: &Path) -> Result<()> {
    let options = SymbolizerOptions {
        module_dirs: args.modules.clone(),
        strip_prefixes: Vec::new(),
    };
    let symbolizer = Symbolizer::open(vmlinux, options)?;
    let count = symbolizer.module_file_count();
    let progress = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(count as u64).with_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} modules")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        )
    };
    let started = Instant::now();
    let outcomes = symbolizer.index_modules(dir, &|| progress.inc(1));
    progress.finish_and_clear();
    let indexed: Vec<u64> = outcomes
        .iter()
        .filter_map(|(_, o)| o.as_ref().ok())
        .copied()
        .collect();
    if !args.quiet {
        say!(
            "kresym: {} of {count} module files indexed ({}) in {:.1?}",
            indexed.len(),
            crate::cmd::file_size(indexed.iter().sum()),
            started.elapsed()
        );
        for (path, outcome) in &outcomes {
            if let Err(why) = outcome {
                say!("kresym: {}: not indexed: {why}", path.display());
            }
        }
    }
    Ok(())
}
