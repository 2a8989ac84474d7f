//! What `kresym lookup` prints for one query: faddr2line's text, or one
//! llvm-symbolizer JSON object per symbol found.

use std::io::{self, Write};

use kresym_link::Snippet;
use kresym_symbolize::{Resolved, SourceFrame};
use serde_json::{Value, json};

/// One symbol found for a query, with the source around each level of its
/// inline chain when source is read (`--list`), in chain order.
#[derive(Debug)]
pub struct Answer<'a> {
    /// What the symbol resolved to.
    pub found: &'a Resolved,
    /// The snippet of each chain level (empty without `--list`).
    pub snippets: Vec<Option<Snippet>>,
}

impl Answer<'_> {
    fn snippet(&self, level: usize) -> Option<&Snippet> {
        self.snippets.get(level)?.as_ref()
    }
}

/// `func+0xOFF/0xSIZE` of an answer.
fn frame_name(found: &Resolved) -> String {
    format!(
        "{}+0x{:x}/0x{:x}",
        found.symbol,
        found.pc - found.symbol_address,
        found.symbol_size
    )
}

/// The answers to one query as text: per symbol, its frame and address,
/// then its inline chain innermost first, each level with its snippet.
pub fn write_text(out: &mut dyn Write, module: Option<&str>, answers: &[Answer]) -> io::Result<()> {
    let module = match module {
        Some(module) => format!(" [{module}]"),
        None => String::new(),
    };
    for answer in answers {
        let found = answer.found;
        writeln!(
            out,
            "{}{module} at 0x{:x}:",
            frame_name(found),
            found.lookup_pc
        )?;
        if found.chain.is_empty() {
            writeln!(out, "{} at ??:?", found.symbol)?;
        }
        for (depth, level) in found.chain.iter().enumerate() {
            let function = level.function.as_deref().unwrap_or("??");
            let location = match &level.location {
                Some(location) => format!("{}:{}", location.file, location.line),
                None => "??:?".to_owned(),
            };
            let inlined_by = if depth > 0 { " (inlined by) " } else { "" };
            writeln!(out, "{inlined_by}{function} at {location}")?;
            if let Some(snippet) = answer.snippet(depth) {
                for (number, target, line) in snippet.numbered() {
                    let marker = if target { '>' } else { ' ' };
                    writeln!(out, "{marker}{number:>6}  {line}")?;
                }
            }
        }
    }
    Ok(())
}

/// The answers to one query as JSON objects, llvm-symbolizer's shape;
/// `module_name` names the binary (the module's name, or the vmlinux's path).
pub fn to_json(query: &str, module_name: &str, answers: &[Answer]) -> Vec<Value> {
    answers
        .iter()
        .map(|answer| {
            let found = answer.found;
            // No line information: llvm-symbolizer's one level with the symbol's name.
            let unknown = [SourceFrame {
                function: Some(found.symbol.clone()),
                location: None,
                inlined: false,
            }];
            let chain = match found.chain.as_slice() {
                [] => &unknown[..],
                chain => chain,
            };
            let levels: Vec<_> = chain
                .iter()
                .enumerate()
                .map(|(depth, level)| {
                    let location = level.location.as_ref();
                    let mut object = json!({
                        "FunctionName": level.function.as_deref().unwrap_or(""),
                        "FileName": location.map_or("", |l| l.file.as_str()),
                        "Line": location.map_or(0, |l| l.line),
                        "Column": location.and_then(|l| l.column).unwrap_or(0),
                        "Inlined": level.inlined,
                    });
                    if let Some(snippet) = answer.snippet(depth) {
                        object["Source"] = json!({
                            "FirstLine": snippet.first_line,
                            "Lines": snippet.lines,
                        });
                    }
                    object
                })
                .collect();
            json!({
                "Query": query,
                "Address": format!("0x{:x}", found.lookup_pc),
                "ModuleName": module_name,
                "SymbolName": found.symbol,
                "SymbolAddress": format!("0x{:x}", found.symbol_address),
                "SymbolSize": found.symbol_size,
                "Symbol": levels,
            })
        })
        .collect()
}

/// The JSON object of a query without an answer.
pub fn error_json(query: &str, error: &str) -> Value {
    json!({"Query": query, "Error": {"Message": error}})
}
