//! `kresym parse`: show what the parser finds in an input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use kresym_link::maintainers::Maintainers;
use kresym_link::{DirSource, SourceProvider};
use kresym_pipeline::{Format, Position};

use crate::cmd::Failures;
use crate::cmd::format::{self, Offer};
use crate::input;
use crate::output::Stdout;

/// The formats of `kresym parse`.
pub const FORMATS: &[Offer] = &[
    (Format::Text, "Readable at a glance"),
    (
        Format::Json,
        "One JSON object (see the README for its schema)",
    ),
];

/// Show the reports, frames and bisection metadata found in each input.
///
/// Exit status: 0 when every input was read, 1 when an input could not be
/// (the others are shown), 2 on usage errors or when standard output
/// cannot be written.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym parse report.txt
  dmesg | kresym parse
  kresym parse --format json console.log | jq '.frames[] | .function'
  kresym parse --format json bisection.log | jq '.bisection.culprit'
  kresym parse --source-dir ~/linux report.txt   # who maintains the guilty file

Every byte of the input is kept: lines the parser does not understand are
plain text, and lines that look like frames but are malformed are listed
as warnings.

Exit status: 0 when every input was parsed (whatever it holds), 1 when an
input could not be read (the others are shown), 2 on usage errors or
output that cannot be written.")]
pub struct Args {
    /// Input files or directories of them; `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_parser = format::parser(FORMATS), default_value = "text")]
    pub format: Format,
    /// The top of a kernel source tree: each report also names the
    /// maintainers and lists of its guilty file, from the tree's
    /// `MAINTAINERS` (as `scripts/get_maintainer.pl -f FILE` reads it).
    #[arg(long, value_name = "DIR")]
    pub source_dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let tree = args.source_dir.as_deref().map(read_tree).transpose()?;
    let tree = tree
        .as_ref()
        .map(|(maintainers, source)| kresym_pipeline::Tree {
            maintainers,
            source,
        });
    let inputs = input::collect(&args.inputs, "parse")?;
    let several = inputs.len() > 1;
    let mut stdout = Stdout::lock();
    let mut failures = Failures::default();
    for (i, input) in inputs.iter().enumerate() {
        let text = match input.read() {
            Ok(text) => text,
            Err(error) => {
                failures.say(&error);
                continue;
            }
        };
        let doc = kresym_report::parse(text);
        let position = Position { index: i, several };
        let out = kresym_pipeline::parse(args.format, &input.name(), &doc, position, tree)?;
        stdout.write_all(&out).context("cannot write output")?;
    }
    stdout.flush().context("cannot write output")?;
    Ok(failures.exit_code(ExitCode::SUCCESS))
}

/// The `MAINTAINERS` of the tree at `dir`, and the tree.
fn read_tree(dir: &Path) -> Result<(Maintainers, DirSource)> {
    let source = DirSource::new(dir)
        .with_context(|| format!("--source-dir {} cannot be read", dir.display()))?;
    let text = source.fetch(None, "", "MAINTAINERS").with_context(|| {
        format!(
            "--source-dir {}: no MAINTAINERS file there; name the top of a kernel source tree",
            dir.display()
        )
    })?;
    Ok((Maintainers::parse(&text), source))
}
