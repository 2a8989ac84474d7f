//! What `kresym verify` prints: per input, the wrong frames with their
//! corrected blocks and a summary (text), or every frame's verdict (JSON).

use std::io::{self, Write};
use std::ops::Range;

use kresym_report::Document;
use kresym_symbolize::DocumentSymbols;
use kresym_verify::{FrameVerdict, Verification};

use crate::text::write_symbolized_lines;

/// The per-input text: header, one entry per wrong frame, summary.
pub fn write_text(
    out: &mut Vec<u8>,
    name: &str,
    document: &Document,
    verification: &Verification,
) -> io::Result<()> {
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
) -> io::Result<()> {
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

/// The JSON object for one input: its summary, checks and every frame's
/// verdict with its corrected block.
pub fn to_json(
    name: &str,
    document: &Document,
    verification: &Verification,
) -> serde_json::Result<serde_json::Value> {
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
