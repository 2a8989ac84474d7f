//! Streamed symbolization of large text inputs.
//!
//! A parsed [`kresym_report::Document`] keeps the whole input plus a few
//! hundred bytes per line, so a console log of a gigabyte must not become
//! one document. [`symbolize`] reads its input through a [`Chunker`], which
//! cuts it into chunks of about [`CHUNK_SIZE`] bytes at line boundaries
//! (preferably where a report starts, so reports stay whole), symbolizes up
//! to one chunk per worker thread at a time, and writes each chunk's text as
//! soon as it and every chunk before it are done, in input order. Memory is
//! bounded by the worker count times the chunk size (plus the longest line:
//! lines are never cut).
//!
//! The output equals the whole-input output whenever the input is at most
//! one chunk, and for longer inputs whenever the chunk cuts fall between
//! reports (the KASLR offset of bare `[<address>]` frames is then inferred
//! per chunk rather than per input).

use std::io::{self, BufRead, Write};

use kresym_render::text;
use kresym_report::{LineKind, frame, lines, split};
use kresym_symbolize::{FrameCounts, Symbolizer};
use rayon::prelude::*;

/// Target size of one chunk.
pub const CHUNK_SIZE: usize = 4 << 20;

/// Files larger than this are streamed in text mode (standard input always
/// is): a whole document costs about 18 times its input in memory.
pub const STREAM_ABOVE: u64 = 16 << 20;

/// Cuts a line-oriented input into chunks of whole lines.
///
/// Once a chunk holds `target` bytes, it ends before the next line that
/// starts a report; once it holds four times that, before any line that does
/// not follow an `[inline]` line (which belongs to the frame below it).
pub struct Chunker<R> {
    reader: R,
    target: usize,
    /// A line read but left for the next chunk.
    pending: Vec<u8>,
    done: bool,
}

impl<R: BufRead> Chunker<R> {
    /// Chunks of about `target` bytes (at least one line each).
    pub fn new(reader: R, target: usize) -> Self {
        Chunker {
            reader,
            target: target.max(1),
            pending: Vec::new(),
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for Chunker<R> {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut chunk = std::mem::take(&mut self.pending);
        chunk.reserve(self.target.saturating_add(self.target / 8));
        // Start of the last whole line in `chunk`, if any.
        let mut last_line: Option<usize> = None;
        loop {
            let start = chunk.len();
            match self.reader.read_until(b'\n', &mut chunk) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            if start >= self.target && last_line.is_some() {
                let line = &chunk[start..];
                let hard = start >= self.target.saturating_mul(4);
                let after_inline = || last_line.is_some_and(|l| is_inline(&chunk[l..start]));
                if starts_report(line) || (hard && !after_inline()) {
                    self.pending = chunk.split_off(start);
                    break;
                }
            }
            last_line = Some(start);
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    }
}

/// A line's content (without terminator) and console prefix length.
pub(crate) fn content(line: &[u8]) -> (&[u8], usize) {
    let content = line.strip_suffix(b"\n").unwrap_or(line);
    let content = content.strip_suffix(b"\r").unwrap_or(content);
    (content, lines::console_prefix_len(content))
}

/// Whether a line opens a new report (a primary start marker).
fn starts_report(line: &[u8]) -> bool {
    let (content, prefix) = content(line);
    split::start_marker(&content[prefix..]).is_some_and(|(_, secondary)| !secondary)
}

/// Whether a line is an `[inline]` line of a symbolized frame.
fn is_inline(line: &[u8]) -> bool {
    let (content, prefix) = content(line);
    matches!(
        frame::classify_line(content, prefix).kind,
        LineKind::InlineFrame(_)
    )
}

/// What streaming one input found, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Reports found (a report cut by a chunk boundary counts twice).
    pub reports: usize,
    /// Frame counts.
    pub counts: FrameCounts,
    /// Warnings passed to the callback.
    pub warnings: usize,
}

/// One chunk, symbolized.
struct Done {
    output: Vec<u8>,
    reports: usize,
    counts: FrameCounts,
    warnings: Vec<String>,
}

fn symbolize_chunk(symbolizer: &Symbolizer, chunk: Vec<u8>) -> io::Result<Done> {
    let document = kresym_report::parse(chunk);
    let symbols = symbolizer.symbolize_document(&document);
    let mut output = Vec::with_capacity(document.text.len() + document.text.len() / 2);
    text::write_symbolized(&mut output, &document, &symbols)?;
    Ok(Done {
        output,
        reports: document.reports.len(),
        counts: symbols.counts(),
        warnings: symbols.checks.into_iter().map(|c| c.message).collect(),
    })
}

/// Symbolize `input` as text into `out`, `chunk_size` bytes at a time, with
/// up to `parallel` chunks in flight. `warn` gets each report check as it
/// is found.
pub fn symbolize(
    symbolizer: &Symbolizer,
    input: impl BufRead,
    out: &mut dyn Write,
    chunk_size: usize,
    parallel: usize,
    mut warn: impl FnMut(String),
) -> io::Result<Totals> {
    let mut totals = Totals::default();
    let mut chunks = Chunker::new(input, chunk_size);
    let parallel = parallel.max(1);
    loop {
        let batch = chunks
            .by_ref()
            .take(parallel)
            .collect::<io::Result<Vec<_>>>()?;
        if batch.is_empty() {
            break;
        }
        let done: Vec<_> = batch
            .into_par_iter()
            .map(|chunk| symbolize_chunk(symbolizer, chunk))
            .collect();
        for done in done {
            let done = done?;
            out.write_all(&done.output)?;
            totals.reports += done.reports;
            totals.counts += done.counts;
            totals.warnings += done.warnings.len();
            done.warnings.into_iter().for_each(&mut warn);
        }
    }
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn samples() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples")
    }

    /// A log of every sample report, repeated, with noise lines between.
    fn sample_log(copies: usize) -> Vec<u8> {
        let mut reports = Vec::new();
        for entry in std::fs::read_dir(samples().join("reports")).unwrap() {
            reports.push(std::fs::read(entry.unwrap().path()).unwrap());
        }
        reports.sort();
        let mut log = Vec::new();
        for i in 0..copies {
            for report in &reports {
                log.extend_from_slice(format!("[ {i}.000] some noise\r\n\n").as_bytes());
                log.extend_from_slice(report);
                if !log.ends_with(b"\n") {
                    log.push(b'\n');
                }
            }
        }
        log
    }

    #[test]
    fn chunks_are_whole_lines_and_tile_the_input() {
        let log = sample_log(3);
        for target in [1, 7, 100, 1000, 1 << 20] {
            let chunks: Vec<_> = Chunker::new(&log[..], target)
                .collect::<io::Result<_>>()
                .unwrap();
            assert_eq!(chunks.concat(), log, "target {target}");
            for chunk in &chunks[..chunks.len() - 1] {
                assert!(chunk.ends_with(b"\n"));
                assert!(chunk.len() >= target.min(log.len()));
            }
        }
        // No terminator at the end, an empty input, one huge line.
        let tail = b"a\nb\nno newline";
        let chunks: Vec<_> = Chunker::new(&tail[..], 1).map(Result::unwrap).collect();
        assert_eq!(chunks, [&b"a\nb\n"[..], b"no newline"]);
        assert_eq!(Chunker::new(&b""[..], 1).count(), 0);
        let long = vec![b'x'; 100_000];
        let chunks: Vec<_> = Chunker::new(&long[..], 10).map(Result::unwrap).collect();
        assert_eq!(chunks, [long]);
    }

    #[test]
    fn report_starts_are_preferred_and_inline_runs_never_split() {
        let log = b"BUG: a\nx\ny\nz\nBUG: b\n f file.h:1 [inline]\n g+0x1/0x2 f.c:1\nq\n";
        let chunks: Vec<_> = Chunker::new(&log[..], 8).map(Result::unwrap).collect();
        assert_eq!(chunks[0], b"BUG: a\nx\ny\nz\n");
        // Past 4x the target, any line boundary except after an [inline] line.
        let chunks: Vec<_> = Chunker::new(&log[14..], 1).map(Result::unwrap).collect();
        assert!(chunks.contains(&b" f file.h:1 [inline]\n g+0x1/0x2 f.c:1\n".to_vec()));
    }

    #[test]
    fn streamed_output_equals_whole_input_output() {
        let symbolizer = Symbolizer::open(
            &samples().join("build/vmlinux-dwarf5"),
            kresym_symbolize::SymbolizerOptions {
                module_dirs: vec![samples().join("build")],
                strip_prefixes: Vec::new(),
            },
        )
        .unwrap();
        let log = sample_log(40);
        let whole = symbolize_chunk(&symbolizer, log.clone()).unwrap();
        for (chunk, parallel) in [(2000, 1), (5000, 3), (64 << 10, 2), (CHUNK_SIZE, 4)] {
            let mut out = Vec::new();
            let mut warnings = 0;
            let totals = symbolize(&symbolizer, &log[..], &mut out, chunk, parallel, |_| {
                warnings += 1
            })
            .unwrap();
            assert!(out == whole.output, "chunk {chunk}");
            assert_eq!(totals.counts, whole.counts, "chunk {chunk}");
            assert_eq!(totals.warnings, warnings);
        }
    }
}
