//! `kresym symbolize`: annotate every frame with file:line and inline chains.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use kresym_link::Linker;
use kresym_pipeline::Format;
use kresym_report::Document;
use kresym_symbolize::Symbolizer;
use rayon::prelude::*;

use crate::cmd::Failures;
use crate::cmd::format::{self, Offer};
use crate::cmd::kernel::KernelArgs;
use crate::cmd::link::LinkArgs;
use crate::input::{self, Input};
use crate::output::{self, AtomicFile, Stdout};
use crate::session::Session;
use crate::stream;

/// Inputs processed together before their outputs are written, in order.
const BATCH: usize = 64;

/// Show a progress bar for at least this many inputs (on a terminal).
const PROGRESS_THRESHOLD: usize = 20;

/// Re-symbolize every `func+0xOFF/0xSIZE` frame against a vmlinux and its
/// modules, in syzkaller's format.
///
/// Every input line is kept; frame lines gain ` file:line`, and inlined
/// calls become `func file:line [inline]` lines above their frame.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym symbolize --vmlinux vmlinux report.txt
  kresym symbolize report.txt     # finds /usr/lib/debug/boot/vmlinux-RELEASE
  kresym symbolize --debug-dir ~/kernels/root \\
      --release 6.1.0-53-cloud-amd64 report.txt
  DEBUGINFOD_URLS=https://debuginfod.debian.net \\
      kresym symbolize --build-id 4f7a... report.txt
  dmesg | kresym symbolize --vmlinux vmlinux --modules /lib/modules/$(uname -r)
  kresym symbolize --vmlinux vmlinux -j 8 --out-dir out/ reports/
  kresym index --vmlinux vmlinux  # once per build: later runs read no DWARF
  kresym symbolize --vmlinux vmlinux --format json report.txt |
      jq '.frames[].chain'
  kresym symbolize --vmlinux vmlinux --repo upstream --commit v6.1 \\
      --format html report.txt > r.html

The persisted indexes of the vmlinux and modules (see `kresym index`) are
used when they are in the index directory; a batch of 5,000 frames or more
builds the missing ones, smaller runs read DWARF instead unless
--build-index. --no-index: DWARF only.

Inputs: files, directories (the text files below them; hidden, binary and
non-regular files skipped, symlinks followed) and `-` for stdin. Standard
input and text files over 16 MB are streamed: about 8 MiB of input in
memory at a time; lines over 1 MiB pass through unsymbolized. --out-dir
writes each output atomically and refuses, before writing anything, two
inputs with one output path or an output that would replace an input.

Exit status: 0 when every input was symbolized (frames that cannot be
resolved stay unchanged, are counted, and each reason is said once on
stderr), 1 when an input could not be read (the others are processed), 2 on
usage errors, an unusable vmlinux, an ELF file given as an input, --out-dir
collisions, or output that cannot be written, 3 when otherwise fine but a
report was left unchanged because this vmlinux (or a module found) did not
produce it: a printed /0xSIZE fits no symbol of its name, none of its
functions is there, or its kernel release is not the vmlinux's
(--allow-mismatch annotates it anyway). A reader closing the pipe (`| head`)
ends the run with status 0.

Without --vmlinux, the vmlinux is found by --build-id, or the build id the
report's CPU line prints (ROOT/.build-id/xx/rest.debug, then debuginfod), else
by the release the report prints (its CPU or Tainted line, or the boot
banner `Linux version RELEASE`; or --release) in each --debug-dir ROOT:
ROOT/boot/vmlinux-RELEASE, ROOT/lib/modules/RELEASE/vmlinux. The modules in
ROOT/lib/modules/RELEASE/ are used, and module build ids printed in frames are
looked up like the vmlinux's. Every file found (and --vmlinux) is checked
against the build id and release the report implies; a mismatch is an error.
debuginfod: DEBUGINFOD_URLS, DEBUGINFOD_CACHE_PATH, DEBUGINFOD_TIMEOUT,
DEBUGINFOD_MAXTIME, DEBUGINFOD_MAXSIZE (bytes, default 4 GiB),
DEBUGINFOD_CACHE_MISS_S.")]
pub struct Args {
    /// The vmlinux and modules.
    #[command(flatten)]
    pub kernel: KernelArgs,
    /// Output format.
    #[arg(long, value_parser = format::parser(FORMATS), default_value = "text")]
    pub format: Format,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Write one output file per input into this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Do not print the summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    /// Disassemble kernel `Code:` lines (x86-64, arm64) as objdump does: the listing follows
    /// each line in text, Markdown and HTML; JSON carries it as `code`. Off by default, so the
    /// text output stays syzkaller's symbolized text byte for byte.
    #[arg(long)]
    pub disassemble: bool,
    /// Link the symbolized frames to upstream source (same flags as `kresym link`).
    #[command(flatten)]
    pub link: LinkArgs,
    /// Report files, console logs or directories of them; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

/// The formats of `kresym symbolize`.
pub const FORMATS: &[Offer] = &[
    (
        Format::Text,
        "The input with frames annotated, syzkaller style",
    ),
    (
        Format::Json,
        "One JSON object per input (JSON Lines when there are several)",
    ),
    (
        Format::Markdown,
        "Markdown with every `file:line` linked (needs a repository)",
    ),
    (
        Format::Html,
        "One self-contained HTML page per input (needs a repository)",
    ),
];

/// Totals for the summary line.
#[derive(Default)]
struct Summary {
    inputs: usize,
    reports: usize,
    frames: usize,
    resolved: usize,
    unresolved: usize,
    warnings: usize,
    failures: Failures,
    /// Reports left unchanged: not produced by the vmlinux or a module.
    withheld: usize,
}

/// What symbolizing one input produced.
struct Outcome {
    symbolized: kresym_pipeline::Symbolized,
    /// Already written (and its warnings printed) by [`stream_one`].
    streamed: bool,
}

/// Whether `input` is streamed (see [`stream`]): text output without links,
/// from standard input or a file over [`stream::STREAM_ABOVE`] bytes.
fn streamed(input: &Input, args: &Args, linking: bool) -> bool {
    args.format == Format::Text
        && !linking
        && !args.disassemble
        && input.size().is_none_or(|size| size > stream::STREAM_ABOVE)
}

/// Symbolize a large input chunk by chunk, writing as it goes to `stdout`
/// or, atomically, to `out_path`. The outer error is a failure to write
/// (fatal), the inner one a failure to read the input.
fn stream_one(
    symbolizer: &Symbolizer,
    input: &Input,
    out_path: Option<&Path>,
    stdout: &mut dyn Write,
    progress: &ProgressBar,
) -> Result<Result<Outcome>> {
    let name = input.name();
    let reader = match input.reader() {
        Ok(reader) => reader,
        Err(error) => return Ok(Err(error)),
    };
    let mut file = None;
    let out: &mut dyn Write = match out_path {
        Some(path) => {
            output::create_parent(path)?;
            file.insert(AtomicFile::create(path)?)
        }
        None => stdout,
    };
    let warn = |warning: String| progress.suspend(|| say!("kresym: {name}: {warning}"));
    let threads = rayon::current_num_threads();
    let totals = match stream::symbolize(symbolizer, reader, out, stream::IN_FLIGHT, threads, warn)
    {
        Ok(totals) => totals,
        Err(stream::Error::Read(error)) => {
            return Ok(Err(anyhow::anyhow!("cannot read {name}: {error}")));
        }
        Err(stream::Error::Write(error)) => {
            return Err(error).with_context(|| match out_path {
                Some(path) => format!("cannot write {}", path.display()),
                None => "cannot write output".to_owned(),
            });
        }
    };
    match (file, out_path) {
        (Some(file), Some(path)) => file
            .commit(Some(output::default_permissions()), false)
            .with_context(|| format!("cannot write {}", path.display()))?,
        _ => stdout.flush().context("cannot write output")?,
    }
    Ok(Ok(Outcome {
        symbolized: kresym_pipeline::Symbolized {
            reports: totals.reports,
            counts: totals.counts,
            ..Default::default()
        },
        streamed: true,
    }))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    crate::cmd::start_workers(args.jobs)?;
    let ahead = args.kernel.read_ahead();
    let inputs = input::collect(&args.inputs, "symbolize")?;
    let format = args.format;
    let options = kresym_pipeline::SymbolizeOptions {
        format,
        disassemble: args.disassemble,
    };
    let out_paths = match &args.out_dir {
        Some(dir) => output::plan_out_dir(dir, &inputs, format.extension())?,
        None => vec![None; inputs.len()],
    };
    let mut session = Session::new(inputs);
    let kernel = args.kernel.open_with(&mut session, args.quiet, ahead)?;
    let symbolizer = &kernel.symbolizer;
    let linking = args.link.wanted(format);
    let linker = linking
        .then(|| args.link.options().and_then(|o| Ok(Linker::new(o)?)))
        .transpose()?;
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create output directory {}", dir.display()))?;
    }

    let count = session.inputs().len();
    let progress = progress_bar(count);
    let mut summary = Summary::default();
    let mut stdout = Stdout::lock();
    let inputs = session.take(0..count);
    let batches: Vec<_> = inputs.chunks(BATCH).zip(out_paths.chunks(BATCH)).collect();
    let symbolize_batch = |batch: &[(&Input, Option<Document>)]| -> Vec<Result<Option<Outcome>>> {
        batch
            .par_iter()
            .map(|(input, kept)| {
                if kept.is_none() && streamed(input, &args, linking) {
                    return Ok(None); // when written, in order
                }
                let outcome = symbolize_one(symbolizer, linker.as_ref(), input, kept, options);
                progress.inc(1);
                outcome.map(Some)
            })
            .collect()
    };
    let mut write_batch = |batch: &[(&Input, Option<Document>)],
                           out_paths: &[Option<PathBuf>],
                           outcomes: Vec<Result<Option<Outcome>>>|
     -> Result<()> {
        for (((input, _), outcome), out_path) in batch.iter().zip(outcomes).zip(out_paths) {
            summary.inputs += 1;
            let out_path = out_path.as_deref();
            let outcome = match outcome {
                Ok(None) => {
                    let outcome = stream_one(symbolizer, input, out_path, &mut stdout, &progress)?;
                    progress.inc(1);
                    outcome
                }
                Ok(Some(outcome)) => Ok(outcome),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(Outcome {
                    symbolized: done,
                    streamed,
                }) => {
                    summary.reports += done.reports;
                    summary.frames += done.counts.frames;
                    summary.resolved += done.counts.resolved;
                    summary.unresolved += done.counts.unresolved;
                    summary.withheld += done.counts.withheld_reports;
                    summary.warnings += done.warnings.len();
                    for warning in &done.warnings {
                        progress.suspend(|| say!("kresym: {}: {warning}", input.name()));
                    }
                    match out_path {
                        _ if streamed => {}
                        Some(path) => output::write_output(path, &done.output)?,
                        None => stdout
                            .write_all(&done.output)
                            .context("cannot write output")?,
                    }
                }
                Err(error) => progress.suspend(|| summary.failures.say(&error)),
            }
        }
        Ok(())
    };
    // The workers symbolize each batch while this thread writes the one
    // before it (standard output is locked to this thread).
    let mut symbolized = None;
    for next in 0..=batches.len() {
        let mut ahead = None;
        let written = rayon::in_place_scope(|scope| {
            if let Some((batch, _)) = batches.get(next) {
                scope.spawn(|_| ahead = Some(symbolize_batch(batch)));
            }
            match (symbolized.take(), next.checked_sub(1)) {
                (Some(outcomes), Some(done)) => {
                    let (batch, out_paths) = batches[done];
                    write_batch(batch, out_paths, outcomes)
                }
                _ => Ok(()),
            }
        });
        written?;
        symbolized = ahead;
    }
    stdout.flush().context("cannot write output")?;
    progress.finish_and_clear();
    if !args.quiet {
        say!(
            "kresym: {} input{}, {} report{}, {} frame{}: {} resolved, {} unresolved, {} warning{}{}{} in {:.2?}",
            summary.inputs,
            plural(summary.inputs),
            summary.reports,
            plural(summary.reports),
            summary.frames,
            plural(summary.frames),
            summary.resolved,
            summary.unresolved,
            summary.warnings,
            plural(summary.warnings),
            if summary.failures.count() > 0 {
                format!(", {} unreadable", summary.failures.count())
            } else {
                String::new()
            },
            if summary.withheld > 0 {
                format!(
                    ", {} report{} left unchanged (not from this vmlinux or its modules)",
                    summary.withheld,
                    plural(summary.withheld)
                )
            } else {
                String::new()
            },
            started.elapsed()
        );
    }
    kernel.exit();
    Ok(summary.failures.exit_code(if summary.withheld > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }))
}

/// Symbolize one input: its document kept from the session's scan, or
/// read now.
fn symbolize_one(
    symbolizer: &Symbolizer,
    linker: Option<&Linker>,
    input: &Input,
    kept: &Option<Document>,
    options: kresym_pipeline::SymbolizeOptions,
) -> Result<Outcome> {
    let document = &*crate::session::document(input, kept)?;
    let symbolized =
        kresym_pipeline::symbolize(symbolizer, linker, options, &input.name(), document)?;
    Ok(Outcome {
        symbolized,
        streamed: false,
    })
}

fn progress_bar(len: usize) -> ProgressBar {
    if len < PROGRESS_THRESHOLD || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} inputs ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
