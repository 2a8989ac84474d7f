//! Render parsed and symbolized kernel reports: every view kresym prints.
//!
//! - [`text`]: the input with frames annotated in syzkaller's exact format;
//! - [`code`]: `Code:` disassembly listings after their line, and in JSON;
//! - [`json`]: serializable views for machines;
//! - [`linked_text`], [`markdown`], [`html`]: reports with source links and
//!   snippets;
//! - [`parse`]: what the parser found (`kresym parse`);
//! - [`verify`]: verdicts on a symbolized report's annotations (`kresym verify`);
//! - [`lookup`]: answers to single frames and addresses (`kresym lookup`).
//!
//! [`Format`] names every output format, and one function per command
//! ([`parsed`], [`symbolized`], [`linked`], [`verified`], [`looked_up`])
//! dispatches on it:
//! front ends (the CLI, a server) only choose the format.
//!
//! Rendering decides nothing: what a frame resolved to, which lines are
//! replaced and which warnings apply were all settled upstream.

#![deny(missing_docs)]

pub mod code;
pub mod html;
pub mod json;
pub mod linked_text;
pub mod lookup;
pub mod markdown;
pub mod parse;
mod shared;
pub mod text;
pub mod verify;

use std::io;

use kresym_link::{DocumentLinks, ReportMaintainers};
use kresym_report::Document;
use kresym_symbolize::DocumentSymbols;
use kresym_verify::Verification;

/// Every output format; each command writes some of them (the others are
/// an [`io::ErrorKind::Unsupported`] error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Text: annotated reports, linked lines, parser findings or verdicts.
    Text,
    /// JSON: one object per input (JSON Lines when a run has several).
    Json,
    /// Markdown with every `file:line` linked.
    Markdown,
    /// One self-contained HTML page per input.
    Html,
}

impl Format {
    /// What `--out-dir` appends to an output's name in this format.
    pub fn extension(self) -> Option<&'static str> {
        match self {
            Format::Text => None,
            Format::Json => Some(".json"),
            Format::Markdown => Some(".md"),
            Format::Html => Some(".html"),
        }
    }
}

/// Where one input's output stands in a run: the JSON of a single input is
/// one readable object, several inputs make JSON Lines, and the text view
/// of `kresym parse` puts a blank line between inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// 0-based index of the input.
    pub index: usize,
    /// Whether the run has more than one input.
    pub several: bool,
}

fn unsupported(command: &str, format: Format) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{command} has no {format:?} output"),
    )
}

/// `kresym parse`: what the parser found in `document` (text or JSON),
/// with the `maintainers` of each report's guilty file when a tree was given.
pub fn parsed(
    format: Format,
    document: &Document,
    name: &str,
    position: Position,
    maintainers: Option<&[ReportMaintainers]>,
) -> io::Result<Vec<u8>> {
    let out = match format {
        Format::Text if position.index > 0 => {
            format!("\n{}", parse::render_text(document, name, maintainers))
        }
        Format::Text => parse::render_text(document, name, maintainers),
        Format::Json if position.several => {
            serde_json::to_string(&parse::to_json(document, name, maintainers))? + "\n"
        }
        Format::Json => {
            serde_json::to_string_pretty(&parse::to_json(document, name, maintainers))? + "\n"
        }
        format => return Err(unsupported("parse", format)),
    };
    Ok(out.into_bytes())
}

/// The links of a symbolized document: the symbolized text as parsed (the
/// linked views show it), and the links found in it.
#[derive(Clone, Copy, Debug)]
pub struct Linked<'a> {
    /// The symbolized text, parsed.
    pub document: &'a Document,
    /// Its links.
    pub links: &'a DocumentLinks,
}

/// `kresym symbolize`: `document` symbolized as `symbols` says, in
/// `format`; Markdown and HTML need `linked`, and text and JSON show the
/// links when given; `listings` (when asked for) are the `Code:`
/// disassembly listings.
pub fn symbolized(
    format: Format,
    name: &str,
    document: &Document,
    symbols: &DocumentSymbols,
    listings: Option<&[code::CodeListing]>,
    linked: Option<Linked<'_>>,
) -> io::Result<Vec<u8>> {
    let mut output = Vec::with_capacity(document.text.len() * 2);
    match (format, linked) {
        (Format::Json, linked) => {
            let mut view = json::SymbolizedInput::new(name, document, symbols);
            if let Some(linked) = linked {
                view = view.with_links(linked.links);
            }
            if let Some(listings) = listings {
                view = view.with_code(code::code_entries(document, listings));
            }
            serde_json::to_writer(&mut output, &view)?;
            output.push(b'\n');
        }
        (Format::Text, None) => code::write_symbolized_with_code(
            &mut output,
            document,
            symbols,
            listings.unwrap_or_default(),
        )?,
        (format, Some(linked)) => {
            output = self::linked(format, linked.document, linked.links, name, false)?;
        }
        (format, None) => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("{format:?} output of symbolize needs links"),
            ));
        }
    }
    Ok(output)
}

/// `kresym link`: `document` with its links in `format`; the JSON is the
/// links, one readable object, or a line of JSON Lines when `several`.
pub fn linked(
    format: Format,
    document: &Document,
    links: &DocumentLinks,
    name: &str,
    several: bool,
) -> io::Result<Vec<u8>> {
    let out = match format {
        Format::Markdown => markdown::render(document, links),
        Format::Html => html::render(document, links),
        Format::Json => {
            let view = serde_json::json!({"input": name, "links": links});
            if several {
                serde_json::to_string(&view)? + "\n"
            } else {
                serde_json::to_string_pretty(&view)? + "\n"
            }
        }
        Format::Text => linked_text::render(document, links),
    };
    Ok(out.into_bytes())
}

/// `kresym verify`: the verdicts on `document`'s annotations (text or JSON).
pub fn verified(
    format: Format,
    name: &str,
    document: &Document,
    verification: &Verification,
) -> io::Result<Vec<u8>> {
    let mut output = Vec::new();
    match format {
        Format::Text => verify::write_text(&mut output, name, document, verification)?,
        Format::Json => {
            serde_json::to_writer(&mut output, &verify::to_json(name, document, verification)?)?;
            output.push(b'\n');
        }
        format => return Err(unsupported("verify", format)),
    }
    Ok(output)
}

/// `kresym lookup`: the answers to one query (text or JSON Lines);
/// `module` is the module it was looked up in (`None`: the vmlinux), and
/// JSON names the binary `module_name` unless a module is given.
pub fn looked_up(
    format: Format,
    query: &str,
    module: Option<&str>,
    module_name: &str,
    answers: &[lookup::Answer<'_>],
) -> io::Result<Vec<u8>> {
    let mut output = Vec::new();
    match format {
        Format::Text => lookup::write_text(&mut output, module, answers)?,
        Format::Json => {
            for object in lookup::to_json(query, module.unwrap_or(module_name), answers) {
                serde_json::to_writer(&mut output, &object)?;
                output.push(b'\n');
            }
        }
        format => return Err(unsupported("lookup", format)),
    }
    Ok(output)
}
