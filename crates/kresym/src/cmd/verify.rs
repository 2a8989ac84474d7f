//! `kresym verify`: check the `file:line` and `[inline]` annotations of an
//! already symbolized report against the DWARF, frame by frame.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kresym_render::text::{write_symbolized, write_symbolized_lines};
use kresym_report::Document;
use kresym_symbolize::{DocumentSymbols, Symbolizer};
use kresym_verify::{FrameVerdict, Summary, Verification};
use rayon::prelude::*;

use crate::cmd::kernel::KernelArgs;
use crate::input::{self, Input};
use crate::output::{AtomicFile, Stdout};

/// Inputs processed together before their outputs are written, in order.
const BATCH: usize = 64;

/// Check every `file:line` and `[inline]` annotation of symbolized reports
/// against a vmlinux and its modules.
///
/// Each frame (its `[inline]` lines and the frame line below them) gets one
/// verdict: ok; wrong file; wrong line; missing inline frames; extra inline
/// frames; inline frames out of order; inline function name differs; size
/// mismatch or build id mismatch (the report does not come from this
/// binary); unknown symbol; cannot verify (module not found, no line
/// information...); not annotated. When a frame has several problems the
/// most fundamental decides the verdict, in that order from size mismatch
/// to wrong line; the others are listed too.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym verify --vmlinux vmlinux report.txt
  kresym verify --vmlinux vmlinux --modules /lib/modules/$(uname -r) reports/
  kresym verify --vmlinux vmlinux --format json report.txt |
      jq '.frames[].problems[].message'
  kresym verify --vmlinux vmlinux --fix report.txt > fixed.txt
  kresym verify --vmlinux vmlinux --fix --in-place reports/
  kresym verify --debug-dir /usr/lib/debug report.txt  # by the report's release

Text output: per input, one line per wrong frame (`L42 kthread+0x3e/0x70:
wrong file: report says ..., DWARF says ...`), the corrected block below
it, and a summary `N frames: X ok, Y wrong, Z not annotated`.

Exit status: 0 when every annotated frame verifies (frames without any
annotation do not count), 1 when any annotated frame does not, 2 on usage
errors, an unusable vmlinux, an unreadable input (the others are still
verified) or output that cannot be written, 3 when otherwise fine but a
report was not checked because this vmlinux (or a module found) did not
produce it (said once per report; --allow-mismatch checks it anyway).
--fix does not change the status: it reports on the input as it was.
--in-place writes a new temporary file next to each input and renames it
over the input, keeping its permissions.")]
pub struct Args {
    /// The vmlinux and modules.
    #[command(flatten)]
    pub kernel: KernelArgs,
    /// Output format of the verdicts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the corrected report (exactly `kresym symbolize`'s output:
    /// every other line unchanged) to stdout instead of the verdicts.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: rewrite each input file with its corrected report
    /// (atomically, only when something changes) and print the verdicts.
    #[arg(long, requires = "fix")]
    pub in_place: bool,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Symbolized reports or directories of them; `-` or nothing reads stdin.
    #[arg(value_name = "REPORT")]
    pub inputs: Vec<PathBuf>,
}

/// Output formats of `kresym verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Wrong frames with their corrected blocks, and a summary.
    Text,
    /// One JSON object per input (JSON Lines when there are several) with every frame's verdict.
    Json,
}

/// What verifying one input produced.
pub(crate) struct Outcome {
    /// Verdict output (text or JSON), empty with `--fix` without `--in-place`.
    pub(crate) output: Vec<u8>,
    /// The corrected report, with `--fix`.
    pub(crate) fixed: Option<Vec<u8>>,
    summary: Summary,
}

pub fn run(args: Args) -> Result<ExitCode> {
    crate::cmd::start_workers(args.jobs)?;
    let mut inputs = input::collect(&args.inputs, "verify")?;
    if args.in_place && inputs.contains(&Input::Stdin) {
        bail!("--in-place cannot rewrite standard input");
    }
    let kernel = args.kernel.open(&mut inputs, false)?;
    let symbolizer = &kernel.symbolizer;

    // Verdicts go to stdout unless --fix writes the corrected reports there.
    let verdicts_on_stdout = !args.fix || args.in_place;
    let mut total = Summary::default();
    let mut failed = 0usize;
    let mut stdout = Stdout::lock();
    for batch in inputs.chunks(BATCH) {
        let outcomes: Vec<_> = batch
            .par_iter()
            .map(|input| verify_one(symbolizer, input, &args))
            .collect();
        for (input, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Ok(outcome) => {
                    total.add(&outcome.summary);
                    stdout
                        .write_all(&outcome.output)
                        .context("cannot write output")?;
                    if let Some(fixed) = &outcome.fixed {
                        match input {
                            Input::File { path, .. } if args.in_place => {
                                if let Err(error) = rewrite(path, fixed) {
                                    failed += 1;
                                    say!("kresym: error: {error:#}");
                                }
                            }
                            _ => stdout.write_all(fixed).context("cannot write output")?,
                        }
                    }
                }
                Err(error) => {
                    failed += 1;
                    say!("kresym: error: {error:#}");
                }
            }
        }
    }
    if verdicts_on_stdout && args.format == Format::Text && inputs.len() > 1 {
        writeln!(stdout, "total: {total}").context("cannot write output")?;
    }
    stdout.flush().context("cannot write output")?;
    if !verdicts_on_stdout {
        say!("kresym: {total}");
    }
    kernel.exit();
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else if total.wrong > 0 {
        ExitCode::from(1)
    } else if total.not_checked > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

fn verify_one(symbolizer: &Symbolizer, input: &Input, args: &Args) -> Result<Outcome> {
    verify_bytes(symbolizer, &input.name(), input.read()?, args)
}

/// Verify the input `name` holding `bytes` as `kresym verify` with `args` does.
pub(crate) fn verify_bytes(
    symbolizer: &Symbolizer,
    name: &str,
    bytes: Vec<u8>,
    args: &Args,
) -> Result<Outcome> {
    let document = kresym_report::parse(bytes);
    let verification = kresym_verify::verify_document(symbolizer, &document);
    let fixed = if args.fix {
        let mut fixed = Vec::with_capacity(document.text.len() * 2);
        write_symbolized(&mut fixed, &document, &verification.symbols)?;
        Some(fixed)
    } else {
        None
    };
    let mut output = Vec::new();
    if !args.fix || args.in_place {
        // The verdicts (with --fix alone, stdout holds the corrected report).
        match args.format {
            Format::Text => write_text(&mut output, name, &document, &verification)?,
            Format::Json => {
                serde_json::to_writer(&mut output, &json(name, &document, &verification)?)?;
                output.push(b'\n');
            }
        }
    }
    Ok(Outcome {
        output,
        fixed,
        summary: verification.summary,
    })
}

/// The per-input text: header, one entry per wrong frame, summary.
fn write_text(
    out: &mut Vec<u8>,
    name: &str,
    document: &Document,
    verification: &Verification,
) -> Result<()> {
    let titles: Vec<_> = document
        .reports
        .iter()
        .filter_map(|r| r.title.as_deref())
        .collect();
    match titles.last() {
        Some(title) => writeln!(out, "== {name}: {title}")?,
        None => writeln!(out, "== {name}")?,
    }
    for check in &verification.checks {
        writeln!(out, "warning: {check}")?;
    }
    for frame in verification.wrong_frames() {
        write_frame(out, document, &verification.symbols, frame)?;
    }
    writeln!(out, "{name}: {}", verification.summary)?;
    Ok(())
}

fn write_frame(
    out: &mut Vec<u8>,
    document: &Document,
    symbols: &DocumentSymbols,
    frame: &FrameVerdict,
) -> Result<()> {
    let mut symbol = if frame.reliable {
        frame.symbol.clone()
    } else {
        format!("? {}", frame.symbol)
    };
    if let Some(module) = &frame.module {
        symbol.push_str(&format!(" [{module}]"));
    }
    let mut problems = frame.problems.iter();
    if let Some(main) = problems.next() {
        writeln!(out, "L{} {symbol}: {}", frame.line, main.message)?;
    }
    for other in problems {
        writeln!(out, "    also: {}", other.message)?;
    }
    if !frame.verdict.is_correctable() {
        return Ok(());
    }
    if let Some(block) = corrected_block(document, symbols, frame.block.clone()) {
        writeln!(out, "    corrected:")?;
        for line in block {
            writeln!(out, "    {line}")?;
        }
    }
    Ok(())
}

/// The symbolized text of one frame block, line by line, when it differs
/// from the block as printed.
fn corrected_block(
    document: &Document,
    symbols: &DocumentSymbols,
    block: Range<usize>,
) -> Option<Vec<String>> {
    let lines = document.lines.get(block.clone())?;
    let start = lines.first()?.range.start;
    let end = lines.last()?.range.end;
    let mut corrected = Vec::new();
    write_symbolized_lines(&mut corrected, document, symbols, block).ok()?;
    if document.text.get(start..end)? == corrected.as_slice() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&corrected)
            .lines()
            .map(|l| l.trim_end_matches('\r').to_owned())
            .collect(),
    )
}

/// The JSON object for one input.
fn json(name: &str, document: &Document, verification: &Verification) -> Result<serde_json::Value> {
    let frames = verification
        .frames
        .iter()
        .map(|frame| {
            let mut value = serde_json::to_value(frame)?;
            if let Some(object) = value.as_object_mut() {
                let corrected = if frame.verdict.is_correctable() {
                    corrected_block(document, &verification.symbols, frame.block.clone())
                } else {
                    None
                };
                object.insert("corrected".to_owned(), serde_json::to_value(corrected)?);
            }
            Ok(value)
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()?;
    Ok(serde_json::json!({
        "input": name,
        "clean": verification.is_clean(),
        "summary": verification.summary,
        "checks": verification.checks,
        "frames": frames,
    }))
}

/// Replace `path` with `contents` atomically (a new temporary file in the
/// same directory, created exclusively and renamed over it), keeping its
/// permissions and following symlinks; nothing is written when the
/// contents are unchanged.
fn rewrite(path: &Path, contents: &[u8]) -> Result<()> {
    // Replace a symlink's target, not the link.
    let path =
        &std::fs::canonicalize(path).with_context(|| format!("cannot read {}", path.display()))?;
    let old = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if old == contents {
        return Ok(());
    }
    let permissions = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions();
    let mut file = AtomicFile::create(path)?;
    file.write_all(contents)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.commit(Some(permissions), true)
}
