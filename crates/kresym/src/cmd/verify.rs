//! `kresym verify`: check the `file:line` and `[inline]` annotations of an
//! already symbolized report against the DWARF, frame by frame.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kresym_pipeline::{Format, Verified, VerifyOptions};
use kresym_report::Document;
use kresym_symbolize::Symbolizer;
use kresym_verify::Summary;
use rayon::prelude::*;

use crate::cmd::Failures;
use crate::cmd::format::{self, Offer};
use crate::cmd::kernel::KernelArgs;
use crate::input::{self, Input};
use crate::output::{AtomicFile, Stdout};
use crate::session::Session;

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
    #[arg(long, value_parser = format::parser(FORMATS), default_value = "text")]
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

/// The formats of `kresym verify`'s verdicts.
pub const FORMATS: &[Offer] = &[
    (
        Format::Text,
        "Wrong frames with their corrected blocks, and a summary",
    ),
    (
        Format::Json,
        "One JSON object per input (JSON Lines when there are several) with every frame's verdict",
    ),
];

pub fn run(args: Args) -> Result<ExitCode> {
    crate::cmd::start_workers(args.jobs)?;
    let inputs = input::collect(&args.inputs, "verify")?;
    if args.in_place && inputs.contains(&Input::Stdin) {
        bail!("--in-place cannot rewrite standard input");
    }
    let mut session = Session::new(inputs);
    let kernel = args.kernel.open(&mut session, false)?;
    let symbolizer = &kernel.symbolizer;

    // Verdicts go to stdout unless --fix writes the corrected reports there.
    let verdicts_on_stdout = !args.fix || args.in_place;
    let options = VerifyOptions {
        format: args.format,
        verdicts: verdicts_on_stdout,
        fix: args.fix,
    };
    let mut total = Summary::default();
    let mut failures = Failures::default();
    let mut stdout = Stdout::lock();
    let count = session.inputs().len();
    for start in (0..count).step_by(BATCH) {
        let batch = session.take(start..count.min(start + BATCH));
        let outcomes: Vec<_> = batch
            .par_iter()
            .map(|(input, kept)| verify_one(symbolizer, input, kept, options))
            .collect();
        for ((input, _), outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Ok(outcome) => {
                    total.add(&outcome.summary);
                    stdout
                        .write_all(&outcome.verdicts)
                        .context("cannot write output")?;
                    if let Some(fixed) = &outcome.fixed {
                        match input {
                            Input::File { path, .. } if args.in_place => {
                                if let Err(error) = rewrite(path, fixed) {
                                    failures.say(&error);
                                }
                            }
                            _ => stdout.write_all(fixed).context("cannot write output")?,
                        }
                    }
                }
                Err(error) => failures.say(&error),
            }
        }
    }
    if verdicts_on_stdout && args.format == Format::Text && count > 1 {
        writeln!(stdout, "total: {total}").context("cannot write output")?;
    }
    stdout.flush().context("cannot write output")?;
    if !verdicts_on_stdout {
        say!("kresym: {total}");
    }
    kernel.exit();
    Ok(if failures.count() > 0 {
        ExitCode::from(2)
    } else if total.wrong > 0 {
        ExitCode::from(1)
    } else if total.not_checked > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Verify one input: its document kept from the session's scan, or read now.
fn verify_one(
    symbolizer: &Symbolizer,
    input: &Input,
    kept: &Option<Document>,
    options: VerifyOptions,
) -> Result<Verified> {
    let document = &*crate::session::document(input, kept)?;
    Ok(kresym_pipeline::verify(
        symbolizer,
        &input.name(),
        document,
        options,
    )?)
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
