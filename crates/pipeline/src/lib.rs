//! One input, from its bytes to the bytes kresym prints: the pipeline every
//! front end (the `kresym` command line, `kresym serve`) runs.
//!
//! Data flows one way: [`kresym_report::parse`] the input's bytes into a
//! [`Document`] once, then hand that document to one entry point per
//! command. Each returns exactly the bytes the CLI writes for that input,
//! with what its summary line and exit status need:
//!
//! - [`parse()`]: what the parser found (`kresym parse`);
//! - [`symbolize()`]: the input symbolized, linked when a [`Linker`] is
//!   given (`kresym symbolize`, `--repo`): the frames are linked to the
//!   locations the symbolizer found, where the text writer printed them;
//! - [`verify()`]: verdicts on the annotations, and the corrected report
//!   (`kresym verify`, `--fix`);
//! - [`link()`]: links of an already symbolized input (`kresym link`).
//!
//! ```no_run
//! use kresym_pipeline::{Format, symbolize};
//! use kresym_symbolize::{Symbolizer, SymbolizerOptions};
//!
//! let symbolizer = Symbolizer::open("vmlinux".as_ref(), SymbolizerOptions::default())?;
//! let document = kresym_report::parse(std::fs::read("report.txt")?);
//! let out = symbolize(&symbolizer, None, Format::Text.into(), "report.txt", &document)?;
//! std::io::Write::write_all(&mut std::io::stdout(), &out.output)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Before the first input, [`Facts`] gathered from the parsed inputs tell
//! a front end which kernel printed them (releases, build ids) and which
//! frames a batch will ask for (see [`kresym_symbolize::SymbolizerBuilder`]).
//!
//! What stays with a front end: reading inputs, finding the vmlinux,
//! opening the [`Symbolizer`] and [`Linker`], streaming inputs too large to
//! hold, where outputs go, the summary line and the exit status.

#![deny(missing_docs)]

mod facts;

use std::io;

use kresym_link::maintainers::Maintainers;
use kresym_link::{Linker, SourceProvider};
use kresym_render::Linked;
use kresym_render::code::CodeListing;
use kresym_report::Document;
use kresym_symbolize::{FrameCounts, Symbolizer};
use kresym_verify::Summary;

pub use facts::Facts;
pub use kresym_render::{Format, Position};

/// Why an input produced no output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Links were asked for, and neither the options nor the input name a
    /// repository; the message names the input and says what to pass.
    #[error("{0}")]
    NoRepository(String),
    /// The format is not one this command writes, or rendering failed.
    #[error(transparent)]
    Render(#[from] io::Error),
}

/// A local source tree's `MAINTAINERS`, and the tree (whose files `K:`
/// keywords are matched against).
#[derive(Clone, Copy)]
pub struct Tree<'a> {
    /// The tree's `MAINTAINERS`, parsed.
    pub maintainers: &'a Maintainers,
    /// Reads the tree's files.
    pub source: &'a dyn SourceProvider,
}

/// `kresym parse`: the parser's findings in `document`, named `name`, in
/// `format` (text or JSON); with a `tree`, who maintains each report's
/// guilty file.
pub fn parse(
    format: Format,
    name: &str,
    document: &Document,
    position: Position,
    tree: Option<Tree<'_>>,
) -> Result<Vec<u8>, Error> {
    let maintainers =
        tree.map(|tree| kresym_link::tree_maintainers(document, tree.maintainers, tree.source));
    Ok(kresym_render::parsed(
        format,
        document,
        name,
        position,
        maintainers.as_deref(),
    )?)
}

/// What symbolizing one input produced.
#[derive(Debug, Default)]
pub struct Symbolized {
    /// The bytes to write.
    pub output: Vec<u8>,
    /// Reports found.
    pub reports: usize,
    /// Frames found, resolved, unresolved and withheld.
    pub counts: FrameCounts,
    /// The report checks and link warnings, one message each.
    pub warnings: Vec<String>,
}

/// What [`symbolize()`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SymbolizeOptions {
    /// The output format.
    pub format: Format,
    /// List the disassembly of each kernel `Code:` line after it (text,
    /// Markdown, HTML) or as `code` (JSON).
    pub disassemble: bool,
}

impl From<Format> for SymbolizeOptions {
    fn from(format: Format) -> Self {
        SymbolizeOptions {
            format,
            disassemble: false,
        }
    }
}

/// `kresym symbolize`: `document` (named `name`) symbolized against
/// `symbolizer`, as `options` say; with a `linker`, every location is
/// linked (Markdown and HTML need one).
pub fn symbolize(
    symbolizer: &Symbolizer,
    linker: Option<&Linker>,
    options: SymbolizeOptions,
    name: &str,
    document: &Document,
) -> Result<Symbolized, Error> {
    let format = options.format;
    let symbols = symbolizer.symbolize_document(document);
    let listings = options.disassemble.then(|| code_listings(document));
    let listings = listings.as_deref();
    let mut warnings: Vec<String> = symbols.checks.iter().map(|c| c.message.clone()).collect();
    let output = match linker {
        None => kresym_render::symbolized(format, name, document, &symbols, listings, None)?,
        Some(linker) => {
            // The linked views show the symbolized text, so its lines are
            // what links point into; the symbolized locations are linked as
            // the symbolizer found them (where the text printed each), and
            // only the rest of the text (`WARNING: ... at file:line`, shas)
            // is read for links.
            let mut text = Vec::with_capacity(document.text.len() * 2);
            let located = kresym_render::code::write_symbolized_located_with_code(
                &mut text,
                document,
                &symbols,
                listings.unwrap_or_default(),
            )?;
            let symbolized = kresym_report::parse(text);
            let links = linker.link_symbolized(&symbolized, &located);
            if links.repo.is_none() {
                return Err(Error::NoRepository(format!(
                    "{name}: {}",
                    links.no_repo_message()
                )));
            }
            warnings.extend(links.all_warnings());
            let linked = Linked {
                document: &symbolized,
                links: &links,
            };
            kresym_render::symbolized(format, name, document, &symbols, listings, Some(linked))?
        }
    };
    Ok(Symbolized {
        output,
        reports: document.reports.len(),
        counts: symbols.counts(),
        warnings,
    })
}

/// The listings of the kernel `Code:` lines that disassemble (x86-64 and
/// arm64; not user-space code after `RIP: 0033:`, as syzkaller skips it).
fn code_listings(document: &Document) -> Vec<CodeListing> {
    document
        .code
        .iter()
        .filter(|c| !c.user_mode)
        .filter_map(|c| {
            let listing = kresym_disasm::disassemble(c).ok()?;
            Some(CodeListing {
                line: c.line,
                listing,
            })
        })
        .collect()
}

/// What [`verify()`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The format of the verdicts (text or JSON).
    pub format: Format,
    /// Write the verdicts.
    pub verdicts: bool,
    /// Write the corrected report (`--fix`): exactly what `symbolize` writes.
    pub fix: bool,
}

/// What verifying one input produced.
#[derive(Debug, Default)]
pub struct Verified {
    /// The verdicts, when asked for (else empty).
    pub verdicts: Vec<u8>,
    /// The corrected report, when asked for.
    pub fixed: Option<Vec<u8>>,
    /// The counts of frames by verdict.
    pub summary: Summary,
}

/// `kresym verify`: check the annotations of `document` (named `name`)
/// against `symbolizer`.
pub fn verify(
    symbolizer: &Symbolizer,
    name: &str,
    document: &Document,
    options: VerifyOptions,
) -> Result<Verified, Error> {
    let verification = kresym_verify::verify_document(symbolizer, document);
    let fixed = if options.fix {
        let mut fixed = Vec::with_capacity(document.text.len() * 2);
        kresym_render::text::write_symbolized(&mut fixed, document, &verification.symbols)?;
        Some(fixed)
    } else {
        None
    };
    let verdicts = if options.verdicts {
        kresym_render::verified(options.format, name, document, &verification)?
    } else {
        Vec::new()
    };
    Ok(Verified {
        verdicts,
        fixed,
        summary: verification.summary,
    })
}

/// What linking one input produced.
#[derive(Debug, Default)]
pub struct LinkedInput {
    /// The bytes to write.
    pub output: Vec<u8>,
    /// The link warnings (see [`kresym_link::DocumentLinks::all_warnings`]).
    pub warnings: Vec<String>,
}

/// `kresym link`: every location of the already symbolized `document`
/// (named `name`) linked by `linker`, in `format`; JSON is one line of
/// JSON Lines when the run has `several` inputs.
pub fn link(
    linker: &Linker,
    format: Format,
    name: &str,
    document: &Document,
    several: bool,
) -> Result<LinkedInput, Error> {
    let links = linker.link_document(document);
    if links.repo.is_none() {
        return Err(Error::NoRepository(format!(
            "{name}: {}",
            links.no_repo_message()
        )));
    }
    Ok(LinkedInput {
        output: kresym_render::linked(format, document, &links, name, several)?,
        warnings: links.all_warnings(),
    })
}
