//! The inputs of one run, each read once.
//!
//! Before the first report is symbolized, a run may need to know what its
//! inputs say: the kernel release and build ids (to find the vmlinux and
//! modules), how many frames they hold (to decide whether to build the
//! index) and which vmlinux frames they print (to look them up in one
//! sweep). [`Session::scan`] reads and parses each input once, in
//! parallel, for all three ([`kresym_pipeline::Facts`]), and keeps the
//! parsed documents of the first [`KEEP`] bytes of input (and always the
//! first file's) for symbolizing: those inputs are read once in all.
//! Inputs past that budget, and those that are streamed (over
//! [`crate::stream::STREAM_ABOVE`] bytes, scanned a chunk at a time, only
//! their first [`DISCOVERY_SCAN`] bytes when only discovery asks), are
//! read again when symbolized. Nothing is read
//! before a question needs it: a run whose vmlinux and index are known
//! reads each input once, when symbolizing it.
//!
//! Standard input is read only when it alone can name the kernel: it is
//! then copied to a temporary file first ([`Session::spill_stdin`]).

use std::borrow::Cow;
use std::path::PathBuf;

use anyhow::{Context, Result};
use foldhash::HashSet;
use kresym_pipeline::Facts;
use kresym_report::Document;
use kresym_symbolize::PrintedFrame;
use rayon::prelude::*;

use crate::input::Input;
use crate::stream;

/// The parsed documents kept from the scan hold at most this many bytes of
/// input (a document takes about 20 times its input in memory).
pub const KEEP: u64 = 4 << 20;

/// Finding the kernel reads at most about this much of a streamed input
/// (the chunk that crosses it included): its release and build ids are
/// printed near its start.
pub const DISCOVERY_SCAN: u64 = 16 << 20;

/// The inputs of a run, and what scanning them found.
pub struct Session {
    slots: Vec<Slot>,
    /// Standard input copied to a file, when it had to be scanned.
    _stdin: Option<Spill>,
}

struct Slot {
    input: Input,
    /// Its size when it is a regular file.
    size: Option<u64>,
    scanned: Option<Scanned>,
}

struct Scanned {
    facts: Facts,
    /// Whether the facts cover the whole input (a streamed one may have
    /// been scanned only as far as [`DISCOVERY_SCAN`]).
    whole: bool,
    /// The document, kept for symbolizing within [`KEEP`].
    document: Option<Document>,
}

impl Slot {
    fn new(input: Input) -> Slot {
        Slot {
            size: input.size(),
            input,
            scanned: None,
        }
    }

    /// Whether the input is a file too large to be held whole.
    fn streamed(&self) -> bool {
        matches!(self.input, Input::File { .. })
            && self.size.is_none_or(|size| size > stream::STREAM_ABOVE)
    }

    /// Scan the input, unless it was; `whole`: all of a streamed input,
    /// not only its first [`DISCOVERY_SCAN`] bytes.
    fn scan(&mut self, keep: bool, whole: bool) {
        let done = self.scanned.as_ref().is_some_and(|s| s.whole || !whole);
        if done || !matches!(self.input, Input::File { .. }) {
            return;
        }
        // An unreadable input is reported when it is symbolized.
        self.scanned = if self.streamed() {
            let limit = if whole { u64::MAX } else { DISCOVERY_SCAN };
            scan_streamed(&self.input, limit)
        } else {
            self.input.read().ok().map(|bytes| {
                let document = kresym_report::parse(bytes);
                Scanned {
                    facts: Facts::of(&document),
                    whole: true,
                    document: keep.then_some(document),
                }
            })
        };
    }
}

/// The facts of a file too large to hold, a chunk at a time, as far as
/// the chunk that reaches `limit` bytes.
fn scan_streamed(input: &Input, limit: u64) -> Option<Scanned> {
    // Chunks of about 1 MiB, as streaming cuts them: a parsed chunk takes
    // about 20 times its size.
    let chunks = stream::Chunker::new(input.reader().ok()?, 1 << 20, stream::MAX_LINE);
    let mut facts = Facts::default();
    let mut read = 0u64;
    let mut whole = true;
    for piece in chunks {
        if read >= limit {
            whole = false;
            break;
        }
        match piece.ok()? {
            stream::Piece::Lines(chunk) => {
                read += chunk.len() as u64;
                facts.merge(Facts::of(&kresym_report::parse(chunk)));
            }
            stream::Piece::Verbatim { bytes, .. } => read += bytes.len() as u64,
        }
    }
    Some(Scanned {
        facts,
        whole,
        document: None,
    })
}

/// The document of `input`: the one `kept` from the session's scan, or
/// read and parsed now.
pub fn document<'a>(input: &Input, kept: &'a Option<Document>) -> Result<Cow<'a, Document>> {
    Ok(match kept {
        Some(document) => Cow::Borrowed(document),
        None => Cow::Owned(kresym_report::parse(input.read()?)),
    })
}

impl Session {
    /// A run over `inputs`; nothing is read yet.
    pub fn new(inputs: Vec<Input>) -> Session {
        Session {
            slots: inputs.into_iter().map(Slot::new).collect(),
            _stdin: None,
        }
    }

    /// The inputs, in order.
    pub fn inputs(&self) -> impl ExactSizeIterator<Item = &Input> {
        self.slots.iter().map(|slot| &slot.input)
    }

    /// Copy standard input, if among the first `count` inputs, to a
    /// temporary file (removed when the session ends) that stands for it.
    pub fn spill_stdin(&mut self, count: usize) -> Result<()> {
        for slot in self.slots.iter_mut().take(count) {
            if slot.input == Input::Stdin {
                let spill = Spill::stdin()?;
                *slot = Slot::new(Input::File {
                    path: spill.path.clone(),
                    relative: PathBuf::from("stdin"),
                });
                self._stdin = Some(spill);
            }
        }
        Ok(())
    }

    /// Read and parse the first `count` file inputs not yet scanned, in
    /// parallel, keeping their documents within [`KEEP`]; of a streamed
    /// input, only the first [`DISCOVERY_SCAN`] bytes unless `whole`.
    pub fn scan(&mut self, count: usize, whole: bool) {
        let mut kept = None::<u64>;
        let keep: Vec<bool> = self
            .slots
            .iter()
            .map(|slot| match (slot.size, kept) {
                (Some(_), _) if slot.streamed() => false,
                // The first file is kept whatever its size: symbolizing it
                // would hold its document all the same.
                (Some(size), None) => {
                    kept = Some(size);
                    true
                }
                (Some(size), Some(total)) if total + size <= KEEP => {
                    kept = Some(total + size);
                    true
                }
                _ => false,
            })
            .collect();
        self.slots
            .par_iter_mut()
            .zip(keep)
            .take(count)
            .for_each(|(slot, keep)| slot.scan(keep, whole));
    }

    /// The facts of the first `count` inputs that were scanned, with each
    /// input's name.
    pub fn facts(&self, count: usize) -> impl Iterator<Item = (String, &Facts)> {
        self.slots
            .iter()
            .take(count)
            .filter_map(|slot| Some((slot.input.name(), &slot.scanned.as_ref()?.facts)))
    }

    /// How many `+0x` the file inputs hold (a streamed one counts as a
    /// batch without being read; standard input is not read).
    pub fn frames(&mut self) -> usize {
        let large = |slot: &Slot| slot.size.is_some_and(|size| size > stream::STREAM_ABOVE);
        if self.slots.iter().any(large) {
            return usize::MAX;
        }
        self.scan(self.slots.len(), true);
        self.facts(self.slots.len())
            .map(|(_, facts)| facts.plus_0x)
            .fold(0, usize::saturating_add)
    }

    /// The inputs' total size, unless one's is unknown (standard input).
    pub fn input_size(&self) -> Option<u64> {
        self.slots.iter().map(|slot| slot.size).sum()
    }

    /// The distinct vmlinux frames of the file inputs (standard input's are
    /// looked up as they come).
    pub fn vmlinux_frames(&mut self) -> HashSet<PrintedFrame> {
        self.scan(self.slots.len(), true);
        let mut frames = HashSet::default();
        for slot in &self.slots {
            if let Some(scanned) = &slot.scanned {
                frames.extend(scanned.facts.vmlinux_frames.iter().cloned());
            }
        }
        frames
    }

    /// The inputs in `range`, each with its document when the scan kept
    /// it (taken: it is symbolized once).
    pub fn take(&mut self, range: std::ops::Range<usize>) -> Vec<(&Input, Option<Document>)> {
        self.slots[range]
            .iter_mut()
            .map(|slot| {
                let document = slot.scanned.as_mut().and_then(|s| s.document.take());
                (&slot.input, document)
            })
            .collect()
    }
}

/// Standard input copied to a temporary file, removed when dropped.
struct Spill {
    path: PathBuf,
}

impl Spill {
    fn stdin() -> Result<Spill> {
        let dir = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!("kresym-stdin.{}.{nanos}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let spill = Spill { path };
        std::io::copy(&mut crate::input::open_stdin()?, &mut file)
            .with_context(|| format!("cannot copy standard input to {}", spill.path.display()))?;
        Ok(spill)
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
