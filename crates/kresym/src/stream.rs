//! Streamed symbolization of large text inputs.
//!
//! A parsed [`kresym_report::Document`] keeps the whole input plus a few
//! hundred bytes per line (about 18 to 30 times the input), so a console
//! log of a gigabyte must not become one document. [`symbolize`] reads its
//! input through a [`Chunker`], which cuts it into chunks of whole lines
//! (preferably where a report starts, so reports stay whole), symbolizes
//! the chunks of a batch in parallel, and writes each batch's text in input
//! order. A batch holds at most [`IN_FLIGHT`] bytes of input whatever the
//! number of threads (plus its last chunk), so memory does not grow with
//! `-j` nor with the shape of the input.
//!
//! A line longer than [`MAX_LINE`] bytes is not symbolized: it is passed
//! through verbatim, a piece at a time, never held whole.
//!
//! The output equals the whole-input output whenever the input is at most
//! one chunk, and for longer inputs whenever the chunk cuts fall between
//! reports (the KASLR offset of bare `[<address>]` frames is then inferred
//! per chunk rather than per input).

use std::io::{self, BufRead, Write};

use kresym_pipeline::Format;
use kresym_report::{LineKind, frame, lines, split};
use kresym_symbolize::{FrameCounts, Symbolizer};
use rayon::prelude::*;

/// Bytes of input symbolized at once, across all worker threads.
pub const IN_FLIGHT: usize = 8 << 20;

/// Lines longer than this (terminator included) pass through verbatim,
/// without being symbolized.
pub const MAX_LINE: usize = 1 << 20;

/// Files larger than this are streamed in text mode (standard input always
/// is): a whole document costs about 18 times its input in memory.
pub const STREAM_ABOVE: u64 = 16 << 20;

/// A piece of the input, as the [`Chunker`] cuts it.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece {
    /// Whole lines (the last one possibly without terminator), to symbolize.
    Lines(Vec<u8>),
    /// Part of a line longer than [`MAX_LINE`], to pass through as is.
    Verbatim {
        /// The bytes.
        bytes: Vec<u8>,
        /// The line's 1-based number, on its first piece.
        starts_line: Option<u64>,
    },
}

impl Piece {
    fn len(&self) -> usize {
        match self {
            Piece::Lines(bytes) | Piece::Verbatim { bytes, .. } => bytes.len(),
        }
    }
}

/// Cuts a line-oriented input into chunks of whole lines.
///
/// Once a chunk holds `target` bytes, it ends before the next line that
/// starts a report; once it holds twice that, before any line that does
/// not follow an `[inline]` line (which belongs to the frame below it);
/// once it holds eight times that, before any line. Lines longer than
/// `max_line` become [`Piece::Verbatim`] pieces of at most `max_line` bytes.
pub struct Chunker<R> {
    reader: R,
    target: usize,
    max_line: usize,
    /// A line read but left for the next chunk.
    pending: Vec<u8>,
    /// The start of a line over `max_line`, read but not yet returned.
    long_start: Option<Vec<u8>>,
    /// Passing a long line through: the rest of it comes next.
    in_long_line: bool,
    /// Lines returned so far (a long line counts once it starts).
    lines: u64,
    done: bool,
}

impl<R: BufRead> Chunker<R> {
    /// Chunks of about `target` bytes (at least one line each), lines over
    /// `max_line` bytes passed through.
    pub fn new(reader: R, target: usize, max_line: usize) -> Self {
        Chunker {
            reader,
            target: target.max(1),
            max_line: max_line.max(1),
            pending: Vec::new(),
            long_start: None,
            in_long_line: false,
            lines: 0,
            done: false,
        }
    }

    /// Append one line, of at most `limit` bytes, to `buf`: whether it
    /// ended (a terminator, or the end of the input) within the limit.
    fn read_line(&mut self, buf: &mut Vec<u8>, limit: usize) -> io::Result<bool> {
        let mut taken = 0;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                self.done = true;
                return Ok(true);
            }
            let room = limit - taken;
            let (take, ended) = match memchr::memchr(b'\n', available) {
                Some(end) if end < room => (end + 1, true),
                _ => (available.len().min(room), false),
            };
            buf.extend_from_slice(&available[..take]);
            self.reader.consume(take);
            taken += take;
            if ended {
                return Ok(true);
            }
            if taken == limit {
                // Over the limit unless the input ends right here.
                return Ok(self.reader.fill_buf()?.is_empty());
            }
        }
    }

    /// The next piece of a long line.
    fn long_line_piece(&mut self) -> io::Result<Piece> {
        if let Some(bytes) = self.long_start.take() {
            self.lines += 1;
            return Ok(Piece::Verbatim {
                bytes,
                starts_line: Some(self.lines),
            });
        }
        let mut bytes = Vec::new();
        let ended = self.read_line(&mut bytes, self.max_line)?;
        self.in_long_line = !ended;
        Ok(Piece::Verbatim {
            bytes,
            starts_line: None,
        })
    }

    fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        if self.long_start.is_some() || self.in_long_line {
            return self.long_line_piece().map(Some);
        }
        if self.done && self.pending.is_empty() {
            return Ok(None);
        }
        let mut chunk = std::mem::take(&mut self.pending);
        chunk.reserve(self.target.saturating_add(self.target / 8));
        // Start of the last whole line in `chunk` (the pending one), if any.
        let mut last_line = (!chunk.is_empty()).then_some(0);
        while !self.done {
            let start = chunk.len();
            if !self.read_line(&mut chunk, self.max_line)? {
                self.long_start = Some(chunk.split_off(start));
                self.in_long_line = true;
                break;
            }
            if start == chunk.len() {
                break;
            }
            if start >= self.target && last_line.is_some() {
                let line = &chunk[start..];
                let any_line = start >= self.target.saturating_mul(8);
                let not_inline = start >= self.target.saturating_mul(2)
                    && !last_line.is_some_and(|l| is_inline(&chunk[l..start]));
                if starts_report(line) || not_inline || any_line {
                    self.pending = chunk.split_off(start);
                    break;
                }
            }
            last_line = Some(start);
        }
        if chunk.is_empty() {
            return self.next_piece();
        }
        self.lines += memchr::memchr_iter(b'\n', &chunk).count() as u64;
        if !chunk.ends_with(b"\n") {
            self.lines += 1;
        }
        Ok(Some(Piece::Lines(chunk)))
    }
}

impl<R: BufRead> Iterator for Chunker<R> {
    type Item = io::Result<Piece>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_piece() {
            Ok(piece) => piece.map(Ok),
            Err(e) => {
                self.done = true;
                self.pending.clear();
                self.long_start = None;
                self.in_long_line = false;
                Some(Err(e))
            }
        }
    }
}

/// A line's content (without terminator) and console prefix length.
fn content(line: &[u8]) -> (&[u8], usize) {
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

/// Why streaming stopped.
#[derive(Debug)]
pub enum Error {
    /// Reading the input failed.
    Read(io::Error),
    /// Writing the output failed.
    Write(io::Error),
}

/// One piece, symbolized.
#[derive(Default)]
struct Done {
    output: Vec<u8>,
    reports: usize,
    counts: FrameCounts,
    warnings: Vec<String>,
}

fn symbolize_chunk(symbolizer: &Symbolizer, chunk: Vec<u8>) -> Done {
    let document = kresym_report::parse(chunk);
    // Text without links: writing to a vector cannot fail.
    let done = kresym_pipeline::symbolize(symbolizer, None, Format::Text.into(), "", &document)
        .unwrap_or_default();
    Done {
        output: done.output,
        reports: done.reports,
        counts: done.counts,
        warnings: done.warnings,
    }
}

fn symbolize_piece(symbolizer: &Symbolizer, piece: Piece) -> Done {
    match piece {
        Piece::Lines(chunk) => symbolize_chunk(symbolizer, chunk),
        Piece::Verbatim { bytes, starts_line } => Done {
            output: bytes,
            warnings: starts_line
                .map(|line| {
                    format!(
                        "line {line} is longer than {} MiB: passed through without symbolizing",
                        MAX_LINE >> 20
                    )
                })
                .into_iter()
                .collect(),
            ..Done::default()
        },
    }
}

/// Symbolize `input` as text into `out`, in batches of about `in_flight`
/// bytes of input (at most twice that, plus a line), in chunks that keep
/// `parallel` workers busy. `warn` gets each report check, and each line
/// passed through unsymbolized, as it is found.
pub fn symbolize(
    symbolizer: &Symbolizer,
    input: impl BufRead,
    out: &mut dyn Write,
    in_flight: usize,
    parallel: usize,
    mut warn: impl FnMut(String),
) -> Result<Totals, Error> {
    let parallel = parallel.max(1);
    let in_flight = in_flight.max(1);
    let mut totals = Totals::default();
    // At least four chunks per worker and batch; a chunk never exceeds
    // eight times the target, so a batch never exceeds twice `in_flight`.
    let target = in_flight / (4 * parallel).max(8);
    let mut pieces = Chunker::new(input, target, MAX_LINE.min(in_flight));
    loop {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while bytes < in_flight {
            let Some(piece) = pieces.next().transpose().map_err(Error::Read)? else {
                break;
            };
            bytes += piece.len();
            batch.push(piece);
        }
        if batch.is_empty() {
            break;
        }
        let done: Vec<_> = batch
            .into_par_iter()
            .map(|piece| symbolize_piece(symbolizer, piece))
            .collect();
        for done in done {
            out.write_all(&done.output).map_err(Error::Write)?;
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

    /// The pieces of `input` (all of them `Lines` unless a line is too long).
    fn pieces(input: &[u8], target: usize, max_line: usize) -> Vec<Piece> {
        Chunker::new(input, target, max_line)
            .collect::<io::Result<_>>()
            .unwrap()
    }

    fn lines(pieces: Vec<Piece>) -> Vec<Vec<u8>> {
        pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Lines(bytes) => bytes,
                verbatim => panic!("{verbatim:?}"),
            })
            .collect()
    }

    #[test]
    fn chunks_are_whole_lines_and_tile_the_input() {
        let log = sample_log(3);
        let longest = log.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap();
        for target in [1, 7, 100, 1000, 1 << 20] {
            let chunks = lines(pieces(&log, target, MAX_LINE));
            assert_eq!(chunks.concat(), log, "target {target}");
            for chunk in &chunks[..chunks.len() - 1] {
                assert!(chunk.ends_with(b"\n"));
                assert!(chunk.len() >= target.min(log.len()));
                assert!(chunk.len() <= 8 * target + longest + 1, "target {target}");
            }
        }
        // No terminator at the end, an empty input, one long line under the cap.
        let tail = b"a\nb\nno newline";
        assert_eq!(lines(pieces(tail, 2, 100)), [&b"a\nb\n"[..], b"no newline"]);
        assert!(pieces(b"", 1, 100).is_empty());
        let long = vec![b'x'; 100_000];
        assert_eq!(lines(pieces(&long, 10, 100_000)), [long]);
    }

    #[test]
    fn lines_over_the_cap_pass_through_in_pieces() {
        let mut input = b"before\n".to_vec();
        input.extend(vec![b'x'; 2500]);
        input.extend(b"\nafter\n");
        let got = pieces(&input, 4, 1000);
        let rebuilt: Vec<u8> = got
            .iter()
            .flat_map(|p| match p {
                Piece::Lines(b) | Piece::Verbatim { bytes: b, .. } => b.clone(),
            })
            .collect();
        assert_eq!(rebuilt, input);
        assert_eq!(got[0], Piece::Lines(b"before\n".to_vec()));
        assert!(
            matches!(&got[1], Piece::Verbatim { bytes, starts_line: Some(2) } if bytes.len() == 1000)
        );
        assert!(got[1..got.len() - 1].iter().all(|p| p.len() <= 1000));
        assert_eq!(*got.last().unwrap(), Piece::Lines(b"after\n".to_vec()));
        // A line of exactly the cap is a line; one byte more is not.
        assert_eq!(lines(pieces(&[b'y'; 10], 1, 10)), [vec![b'y'; 10]]);
        let got = pieces(&[b'y'; 11], 1, 10);
        assert!(
            matches!(
                got[0],
                Piece::Verbatim {
                    starts_line: Some(1),
                    ..
                }
            ),
            "{got:?}"
        );
    }

    #[test]
    fn report_starts_are_preferred_and_inline_runs_never_split() {
        let log = b"BUG: a\nx\ny\nz\nBUG: b\n f file.h:1 [inline]\n g+0x1/0x2 f.c:1\nq\n";
        let chunks = lines(pieces(log, 8, MAX_LINE));
        assert_eq!(chunks[0], b"BUG: a\nx\ny\nz\n");
        // Past twice the target, any line boundary except after an [inline] line.
        let chunks = lines(pieces(&log[13..], 8, MAX_LINE));
        assert!(
            chunks.contains(&b"BUG: b\n f file.h:1 [inline]\n g+0x1/0x2 f.c:1\n".to_vec()),
            "{:?}",
            chunks
                .iter()
                .map(|c| String::from_utf8_lossy(c))
                .collect::<Vec<_>>()
        );
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
        let whole = symbolize_chunk(&symbolizer, log.clone());
        for (in_flight, parallel) in [(16_000, 1), (40_000, 3), (512 << 10, 2), (IN_FLIGHT, 4)] {
            let mut out = Vec::new();
            let mut warnings = 0;
            let totals = symbolize(&symbolizer, &log[..], &mut out, in_flight, parallel, |_| {
                warnings += 1
            })
            .unwrap();
            assert!(out == whole.output, "in flight {in_flight}");
            assert_eq!(totals.counts, whole.counts, "in flight {in_flight}");
            assert_eq!(totals.warnings, warnings);
        }
    }
}
