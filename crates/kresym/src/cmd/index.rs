//! `kresym index`: build the persisted index of a vmlinux ahead of time.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use kresym_symbolize::{Binary, Index, IndexError};

/// Build the persisted index of a vmlinux, so that every later `kresym
/// symbolize` or `kresym verify` against it reads no DWARF.
///
/// The index is keyed by the vmlinux's GNU build id and kept in the index
/// directory. `symbolize` also builds it by itself the first time it runs a
/// batch of 5,000 frames or more; this command is for farms that symbolize
/// reports one at a time.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym index --vmlinux vmlinux
  kresym index --vmlinux vmlinux --index-dir /var/cache/kresym --force

An index that is already there and valid is kept (unless --force); a stale
(another kresym version) or corrupt one is rebuilt. Prints the index path.

Exit status: 0 when a valid index is in place, 2 when none could be built
(no build id, malformed DWARF, unwritable directory).")]
pub struct Args {
    /// The vmlinux (with DWARF) to index.
    #[arg(long, value_name = "FILE")]
    pub vmlinux: PathBuf,
    /// Rebuild even when a valid index is there.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
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
    let Some(dir) = args.index_dir.or_else(|| crate::cmd::cache_dir("index")) else {
        bail!("no index directory: pass --index-dir DIR, or set HOME or XDG_CACHE_HOME");
    };
    let vmlinux = Binary::open(&args.vmlinux)?;
    if !vmlinux.has_dwarf() {
        bail!(
            "{} has no DWARF; index the unstripped (-dbg) vmlinux",
            args.vmlinux.display()
        );
    }
    if !args.force {
        match Index::load(&dir, &vmlinux) {
            Ok(index) => {
                if !args.quiet {
                    eprintln!("kresym: the index is up to date");
                }
                println!("{}", index.path().display());
                return Ok(ExitCode::SUCCESS);
            }
            Err(IndexError::Missing(_)) => {}
            Err(error) if error.needs_rebuild() && !args.quiet => {
                eprintln!("kresym: {error}; rebuilding it");
            }
            Err(error) if error.needs_rebuild() => {}
            Err(error) => return Err(error.into()),
        }
    }
    let started = Instant::now();
    if !args.quiet {
        eprintln!("kresym: indexing {}", args.vmlinux.display());
    }
    let index = Index::build(&dir, &vmlinux)
        .with_context(|| format!("cannot index {}", args.vmlinux.display()))?;
    if !args.quiet {
        eprintln!(
            "kresym: {:.1} MiB ({:.1}% of the vmlinux) in {:.1?}",
            index.size() as f64 / (1 << 20) as f64,
            100.0 * index.size() as f64 / std::fs::metadata(&args.vmlinux)?.len().max(1) as f64,
            started.elapsed()
        );
    }
    println!("{}", index.path().display());
    Ok(ExitCode::SUCCESS)
}
