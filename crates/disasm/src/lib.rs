//! Disassemble the `Code:` bytes of Linux kernel crash reports.
//!
//! syzkaller appends "Code disassembly (best guess)" to its reports by
//! running objdump over the bytes of a `Code:` line, and the kernel's
//! `scripts/decodecode` does the same for `decode_stacktrace.sh` users.
//! This crate does it in-process, with no tool installed, for x86-64 and
//! arm64, and prints what objdump prints (AT&T syntax on x86, objdump's
//! arm64 syntax), the trapping instruction marked as decodecode marks it:
//!
//! ```text
//!   2a:*    80 3c 02 00              cmpb   $0x0,(%rdx,%rax,1)        <-- trapping instruction
//! ```
//!
//! (objdump's tabs shown as spaces.)
//!
//! The bytes come from [`kresym_report::code::CodeBytes`] (the report
//! crate reads the line). When the first byte is not the start of an
//! instruction (x86 prints 43 bytes before the pc, wherever that falls),
//! [`disassemble`] drops 0 to 7 leading bytes, as syzkaller does, until an
//! instruction starts exactly at the trap, preferring a cut that decodes
//! nothing invalid before it. Work is bounded by the report crate's
//! [`kresym_report::code::MAX_CODE_BYTES`].
//!
//! Decoders: [iced-x86](https://crates.io/crates/iced-x86) (pure Rust,
//! its GAS formatter) for x86-64; [bad64](https://crates.io/crates/bad64)
//! for arm64: it binds Binary Ninja's arm64 decoder (C, generated from
//! Arm's machine-readable specification, maintained with Binary Ninja and
//! used in its product), whose operands this crate prints in objdump's
//! style. Of the arm64 crates, it agreed with `aarch64-linux-gnu-objdump`
//! on 100,176 of 100,176 words of glibc's and a kernel-like program's
//! code (system registers, barriers, atomics, pointer authentication, BTI,
//! SIMD, floating point) once printed so; yaxpeax-arm (pure Rust) agreed
//! on 96.7% of them even after normalizing numbers (it has no `bti`/`dc`/
//! `tlbi` aliases and names system registers `s3_0_c1_c0_0`), and
//! disarm64 (pure Rust, generated tables) on 71.6% (no preferred aliases:
//! `orr x3, xzr, x0` for `mov x3, x0`, `subs xzr` for `cmp`).

#![deny(missing_docs)]

mod arm64;
mod x86;

use kresym_report::code::{CodeArch, CodeBytes};
use serde::Serialize;

/// How many leading bytes [`disassemble`] may drop to find an instruction
/// boundary at the trap (syzkaller's `opcodeAdjustmentLimit`).
pub const MAX_SKIPPED_BYTES: usize = 7;

/// The disassembly of one `Code:` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// The architecture decoded.
    pub arch: CodeArch,
    /// Leading bytes of the line left out so that an instruction starts at
    /// the trap. Offsets count from the first byte kept.
    pub skipped: usize,
    /// The instructions, in order.
    pub instructions: Vec<Instruction>,
    /// Index into `instructions` of the trapping instruction, when the line
    /// marks one.
    pub trap: Option<usize>,
}

/// One decoded instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instruction {
    /// Offset from the first byte kept ([`Listing::skipped`] bytes after
    /// the first of the line).
    pub offset: usize,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// The instruction as objdump prints it (mnemonic, a blank, operands).
    pub text: String,
    /// Whether the bytes are no valid instruction (objdump's `(bad)` on
    /// x86, `udf`/`.inst` on arm64).
    pub bad: bool,
}

/// Why a `Code:` line was not disassembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisasmError {
    /// The line is not x86-64 or arm64 code.
    UnsupportedArch,
    /// The line holds no bytes.
    Empty,
    /// No cut of up to [`MAX_SKIPPED_BYTES`] bytes decodes an instruction
    /// starting at the trap.
    TrapNotAligned,
    /// The trap offset is past the bytes.
    TrapOutside,
}

impl std::fmt::Display for DisasmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnsupportedArch => write!(f, "only x86-64 and arm64 code is disassembled"),
            Self::Empty => write!(f, "the Code: line holds no bytes"),
            Self::TrapOutside => write!(f, "the trapping offset is past the Code: bytes"),
            Self::TrapNotAligned => write!(
                f,
                "no instruction starts at the trapping byte within {MAX_SKIPPED_BYTES} bytes of the start"
            ),
        }
    }
}

impl std::error::Error for DisasmError {}

/// Disassemble one `Code:` line.
pub fn disassemble(code: &CodeBytes) -> Result<Listing, DisasmError> {
    if code.bytes.is_empty() {
        return Err(DisasmError::Empty);
    }
    if code.trap.is_some_and(|trap| trap >= code.bytes.len()) {
        return Err(DisasmError::TrapOutside);
    }
    match code.arch {
        CodeArch::X86_64 => disassemble_x86(code),
        CodeArch::Arm64 => Ok(disassemble_arm64(code)),
        CodeArch::Other => Err(DisasmError::UnsupportedArch),
    }
}

fn disassemble_x86(code: &CodeBytes) -> Result<Listing, DisasmError> {
    let listing = |skipped: usize, instructions: Vec<Instruction>, trap| Listing {
        arch: CodeArch::X86_64,
        skipped,
        instructions,
        trap,
    };
    let Some(trap) = code.trap else {
        return Ok(listing(0, x86::decode(&code.bytes), None));
    };
    let mut fallback = None;
    for skipped in 0..=trap.min(MAX_SKIPPED_BYTES) {
        let instructions = x86::decode(&code.bytes[skipped..]);
        let trap_offset = trap - skipped;
        let Some(index) = instructions.iter().position(|i| i.offset == trap_offset) else {
            continue;
        };
        if !instructions[..index].iter().any(|i| i.bad) {
            return Ok(listing(skipped, instructions, Some(index)));
        }
        fallback.get_or_insert((skipped, instructions, index));
    }
    fallback
        .map(|(skipped, instructions, index)| listing(skipped, instructions, Some(index)))
        .ok_or(DisasmError::TrapNotAligned)
}

fn disassemble_arm64(code: &CodeBytes) -> Listing {
    let instructions = code
        .bytes
        .chunks(4)
        .enumerate()
        .map(|(index, chunk)| {
            let offset = index * 4;
            let (text, bad) = match <[u8; 4]>::try_from(chunk) {
                Ok(word) => {
                    let word = u32::from_le_bytes(word);
                    match arm64::format(word, offset as u64) {
                        Some(text) => (text, false),
                        None => (format!(".inst\t{word:#010x} ; undefined"), true),
                    }
                }
                Err(_) => (".byte".to_string(), true),
            };
            Instruction {
                offset,
                bytes: chunk.to_vec(),
                text,
                bad,
            }
        })
        .collect::<Vec<_>>();
    let trap = code
        .trap
        .and_then(|trap| instructions.iter().position(|i| i.offset == trap));
    Listing {
        arch: CodeArch::Arm64,
        skipped: 0,
        instructions,
        trap,
    }
}

impl Listing {
    /// The listing as objdump prints it (`   0:\t48 89 fa   \tmov    %rdi,%rdx`),
    /// x86 instructions longer than 7 bytes continued on further lines,
    /// the trapping one marked as decodecode marks it (`  2a:*\t...\t\t<--
    /// trapping instruction`), one line per `\n`, after a heading line:
    /// `Code disassembly (best guess):`, with `, N bytes skipped` when so.
    pub fn to_text(&self) -> String {
        let mut out = String::from("Code disassembly (best guess)");
        if self.skipped > 0 {
            out.push_str(&format!(", {} bytes skipped", self.skipped));
        }
        out.push_str(":\n");
        for (index, instruction) in self.instructions.iter().enumerate() {
            let trapping = self.trap == Some(index);
            out.push_str(&self.instruction_lines(instruction, trapping));
        }
        out
    }

    /// One instruction's lines, as objdump prints them (marked when `trapping`).
    pub fn instruction_lines(&self, instruction: &Instruction, trapping: bool) -> String {
        let marker = if trapping { "*" } else { "" };
        let trailer = if trapping {
            "\t\t<-- trapping instruction"
        } else {
            ""
        };
        let mut out = String::new();
        match self.arch {
            CodeArch::Arm64 => {
                let word = instruction
                    .bytes
                    .iter()
                    .rev()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>();
                out.push_str(&format!(
                    "{:>4x}:{marker}\t{word} \t{}{trailer}\n",
                    instruction.offset, instruction.text
                ));
            }
            _ => {
                let mut rows = instruction.bytes.chunks(7);
                let first = rows.next().unwrap_or_default();
                out.push_str(&format!(
                    "{:>4x}:{marker}\t{:<21}\t{}{trailer}\n",
                    instruction.offset,
                    hex_bytes(first),
                    instruction.text
                ));
                for (row, bytes) in rows.enumerate() {
                    let offset = instruction.offset + 7 * (row + 1);
                    out.push_str(&format!("{offset:>4x}:\t{}\n", hex_bytes(bytes).trim_end()));
                }
            }
        }
        out
    }
}

/// Bytes as objdump prints them: two hex digits and a space each.
fn hex_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x} ")).collect()
}
