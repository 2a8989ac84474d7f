//! `kresym symbolize`: annotate every frame with file:line and inline chains.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use kresym_link::Linker;
use kresym_render::{json::SymbolizedInput, text};
use kresym_symbolize::Symbolizer;
use rayon::prelude::*;

use crate::cmd::kernel::KernelArgs;
use crate::cmd::link::{self, LinkArgs};
use crate::input::{self, Input};
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
  kresym symbolize report.txt            # finds /usr/lib/debug/boot/vmlinux-RELEASE
  kresym symbolize --debug-dir ~/kernels/root --release 6.1.0-53-cloud-amd64 report.txt
  DEBUGINFOD_URLS=https://debuginfod.debian.net kresym symbolize --build-id 4f7a... report.txt
  dmesg | kresym symbolize --vmlinux vmlinux --modules /lib/modules/$(uname -r)
  kresym symbolize --vmlinux vmlinux -j 8 --out-dir out/ reports/
  kresym index --vmlinux vmlinux && kresym symbolize --vmlinux vmlinux report.txt   # no DWARF parsed
  kresym symbolize --vmlinux vmlinux --format json report.txt | jq '.frames[].chain'
  kresym symbolize --vmlinux vmlinux --repo upstream --commit v6.1 --format html report.txt > r.html

The persisted indexes of the vmlinux and modules (see `kresym index`) are
used when they are in the index directory; a batch of 5,000 frames or more
builds the missing ones, smaller runs read DWARF instead unless
--build-index. --no-index: DWARF only.

Exit status: 0 when every input was symbolized (frames that cannot be
resolved stay unchanged and are counted), 1 when an input could not be read,
2 on usage errors or an unusable vmlinux.

Without --vmlinux, the vmlinux is found by --build-id, or the build id the
report's CPU line prints (ROOT/.build-id/xx/rest.debug, then debuginfod), else
by the release the report prints (or --release) in each --debug-dir ROOT:
ROOT/boot/vmlinux-RELEASE, ROOT/lib/modules/RELEASE/vmlinux. The modules in
ROOT/lib/modules/RELEASE/ are used, and module build ids printed in frames are
looked up like the vmlinux's. Every file found (and --vmlinux) is checked
against the build id and release the report implies; a mismatch is an error.
debuginfod: DEBUGINFOD_URLS, DEBUGINFOD_CACHE_PATH, DEBUGINFOD_TIMEOUT,
DEBUGINFOD_MAXTIME, DEBUGINFOD_CACHE_MISS_S.")]
pub struct Args {
    /// The vmlinux and modules.
    #[command(flatten)]
    pub kernel: KernelArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
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
    /// Link the symbolized frames to upstream source (same flags as `kresym link`).
    #[command(flatten)]
    pub link: LinkArgs,
    /// Report files, console logs or directories of them; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

/// Output formats of `kresym symbolize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The input with frames annotated, syzkaller style.
    Text,
    /// One JSON object per input (JSON Lines when there are several).
    Json,
    /// Markdown with every `file:line` linked (needs a repository).
    Markdown,
    /// One self-contained HTML page per input (needs a repository).
    Html,
}

/// Totals for the summary line.
#[derive(Default)]
struct Summary {
    inputs: usize,
    reports: usize,
    frames: usize,
    resolved: usize,
    unresolved: usize,
    warnings: usize,
    failed: usize,
}

/// What symbolizing one input produced.
struct Outcome {
    output: Vec<u8>,
    reports: usize,
    counts: kresym_symbolize::FrameCounts,
    warnings: Vec<String>,
    /// Already written (and its warnings printed) by [`stream_one`].
    streamed: bool,
}

/// Whether `input` is streamed (see [`stream`]): text output without links,
/// from standard input or a file over [`stream::STREAM_ABOVE`] bytes.
fn streamed(input: &Input, args: &Args, linking: bool) -> bool {
    args.format == Format::Text
        && !linking
        && input.size().is_none_or(|size| size > stream::STREAM_ABOVE)
}

/// Symbolize a large input chunk by chunk, writing as it goes.
fn stream_one(
    symbolizer: &Symbolizer,
    input: &Input,
    args: &Args,
    stdout: &mut dyn Write,
    progress: &ProgressBar,
) -> Result<Outcome> {
    let name = input.name();
    let mut file;
    let out: &mut dyn Write = match &args.out_dir {
        Some(dir) => {
            let path = output_path(dir, input, args.format)?;
            file = std::io::BufWriter::new(
                std::fs::File::create(&path)
                    .with_context(|| format!("cannot write {}", path.display()))?,
            );
            &mut file
        }
        None => stdout,
    };
    let warn = |warning: String| progress.suspend(|| eprintln!("kresym: {name}: {warning}"));
    let threads = rayon::current_num_threads();
    let totals = stream::symbolize(
        symbolizer,
        input.reader()?,
        out,
        stream::CHUNK_SIZE,
        threads,
        warn,
    )
    .with_context(|| format!("{name}: cannot symbolize"))?;
    out.flush().context("cannot write output")?;
    Ok(Outcome {
        output: Vec::new(),
        reports: totals.reports,
        counts: totals.counts,
        warnings: Vec::new(),
        streamed: true,
    })
}

pub fn run(args: Args) -> Result<ExitCode> {
    let started = Instant::now();
    crate::cmd::start_workers(args.jobs)?;
    let mut inputs = input::collect(&args.inputs)?;
    let kernel = args.kernel.open(&mut inputs, args.quiet)?;
    let symbolizer = &kernel.symbolizer;
    let linking = args.link.requested() || matches!(args.format, Format::Markdown | Format::Html);
    let linker = linking
        .then(|| args.link.options().and_then(|o| Ok(Linker::new(o)?)))
        .transpose()?;
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create output directory {}", dir.display()))?;
    }

    let progress = progress_bar(inputs.len());
    let mut summary = Summary::default();
    let stdout = std::io::stdout();
    let mut stdout = stdout.lock();
    for batch in inputs.chunks(BATCH) {
        let outcomes: Vec<_> = batch
            .par_iter()
            .map(|input| {
                if streamed(input, &args, linking) {
                    return Ok(None); // below, in order
                }
                let outcome = symbolize_one(symbolizer, linker.as_ref(), input, args.format);
                progress.inc(1);
                outcome.map(Some)
            })
            .collect();
        for (input, outcome) in batch.iter().zip(outcomes) {
            summary.inputs += 1;
            let outcome = match outcome {
                Ok(None) => {
                    let outcome = stream_one(symbolizer, input, &args, &mut stdout, &progress);
                    progress.inc(1);
                    outcome
                }
                Ok(Some(outcome)) => Ok(outcome),
                Err(error) => Err(error),
            };
            match outcome {
                Ok(outcome) => {
                    summary.reports += outcome.reports;
                    summary.frames += outcome.counts.frames;
                    summary.resolved += outcome.counts.resolved;
                    summary.unresolved += outcome.counts.unresolved;
                    summary.warnings += outcome.warnings.len();
                    for warning in &outcome.warnings {
                        progress.suspend(|| eprintln!("kresym: {}: {warning}", input.name()));
                    }
                    match &args.out_dir {
                        _ if outcome.streamed => {}
                        Some(dir) => write_to_dir(dir, input, args.format, &outcome.output)?,
                        None => stdout
                            .write_all(&outcome.output)
                            .context("cannot write output")?,
                    }
                }
                Err(error) => {
                    summary.failed += 1;
                    progress.suspend(|| eprintln!("kresym: error: {error:#}"));
                }
            }
        }
    }
    stdout.flush().context("cannot write output")?;
    progress.finish_and_clear();
    if !args.quiet {
        eprintln!(
            "kresym: {} input{}, {} report{}, {} frames: {} resolved, {} unresolved, {} warning{}{} in {:.2?}",
            summary.inputs,
            plural(summary.inputs),
            summary.reports,
            plural(summary.reports),
            summary.frames,
            summary.resolved,
            summary.unresolved,
            summary.warnings,
            plural(summary.warnings),
            if summary.failed > 0 {
                format!(", {} unreadable", summary.failed)
            } else {
                String::new()
            },
            started.elapsed()
        );
    }
    kernel.exit();
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn symbolize_one(
    symbolizer: &Symbolizer,
    linker: Option<&Linker>,
    input: &Input,
    format: Format,
) -> Result<Outcome> {
    let document = kresym_report::parse(input.read()?);
    let symbols = symbolizer.symbolize_document(&document);
    let name = input.name();
    let mut warnings: Vec<String> = symbols.checks.iter().map(|c| c.message.clone()).collect();
    let mut output = Vec::with_capacity(document.text.len() * 2);
    match (format, linker) {
        (Format::Json, None) => {
            serde_json::to_writer(
                &mut output,
                &SymbolizedInput::new(&name, &document, &symbols),
            )?;
            output.push(b'\n');
        }
        (Format::Text, None) => text::write_symbolized(&mut output, &document, &symbols)?,
        (_, linker) => {
            // Linking reads the symbolized report, as `kresym link` would.
            let mut symbolized = Vec::new();
            text::write_symbolized(&mut symbolized, &document, &symbols)?;
            let symbolized = kresym_report::parse(symbolized);
            let links = match linker {
                Some(linker) => linker.link_document(&symbolized),
                None => Default::default(),
            };
            if links.repo.is_none() {
                anyhow::bail!("{name}: {}", links.no_repo_message());
            }
            warnings.extend(links.all_warnings());
            let format = match format {
                Format::Json => {
                    let view = SymbolizedInput::new(&name, &document, &symbols).with_links(&links);
                    serde_json::to_writer(&mut output, &view)?;
                    output.push(b'\n');
                    return Ok(Outcome {
                        output,
                        reports: document.reports.len(),
                        counts: symbols.counts(),
                        warnings,
                        streamed: false,
                    });
                }
                Format::Text => link::Format::Text,
                Format::Markdown => link::Format::Markdown,
                Format::Html => link::Format::Html,
            };
            output = link::render(&symbolized, &links, format, &name)?.into_bytes();
        }
    }
    Ok(Outcome {
        output,
        reports: document.reports.len(),
        counts: symbols.counts(),
        warnings,
        streamed: false,
    })
}

fn write_to_dir(dir: &Path, input: &Input, format: Format, output: &[u8]) -> Result<()> {
    let path = output_path(dir, input, format)?;
    std::fs::write(&path, output).with_context(|| format!("cannot write {}", path.display()))
}

/// Where `--out-dir` puts the output of `input` (its directory is created).
fn output_path(dir: &Path, input: &Input, format: Format) -> Result<PathBuf> {
    let relative = match input {
        Input::Stdin => PathBuf::from("stdin"),
        Input::File { relative, .. } => relative.clone(),
    };
    let mut path = dir.join(relative);
    let extension = match format {
        Format::Text => None,
        Format::Json => Some(".json"),
        Format::Markdown => Some(".md"),
        Format::Html => Some(".html"),
    };
    if let Some(extension) = extension {
        let mut name = path.file_name().unwrap_or_default().to_owned();
        name.push(extension);
        path.set_file_name(name);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    Ok(path)
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
