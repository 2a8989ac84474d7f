//! `Code:` lines: the machine code around the faulting instruction.
//!
//! The kernel prints the bytes around the pc of an oops, the trapping
//! instruction's first byte (x86: `<0f>`) or word (arm64: `(d4210000)`)
//! in brackets:
//!
//! ```text
//! Code: 48 c1 ea 03 80 3c 02 00 <0f> 85 ee 00 00 00 48 8b 7b 08
//! Code: d2800001 a9be7bfd 910003fd f9000bf3 (d4210000)
//! ```
//!
//! [`parse_code`] reads the bytes, the trap offset and an architecture hint
//! into a [`CodeBytes`]; what it cannot read becomes a [`CodeError`] that
//! says why. `Code: Unable to access opcode bytes at ...`, `Code: Bad RIP
//! value.` and other lines without bytes are not code lines at all.

use serde::Serialize;

/// The most code bytes a `Code:` line may carry. The kernel prints 64 on
/// x86 and 20 on arm64; longer lines are refused rather than decoded.
pub const MAX_CODE_BYTES: usize = 256;

/// The machine code of one `Code:` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodeBytes {
    /// Index into [`crate::Document::lines`] of the `Code:` line.
    pub line: usize,
    /// The bytes in memory order (words are little-endian).
    pub bytes: Vec<u8>,
    /// Offset in `bytes` of the trapping instruction, `None` when the line
    /// marks none.
    pub trap: Option<usize>,
    /// The width of each printed group: 1 (bytes), 2 or 4 (words).
    pub group_width: usize,
    /// The architecture the code is for, as far as the report tells.
    pub arch: CodeArch,
    /// Whether the code is user-space code (x86: the `RIP: 0033:` line
    /// before it), which syzkaller does not disassemble.
    pub user_mode: bool,
}

/// The architecture of a `Code:` line, from its group width and the
/// register dump before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeArch {
    /// Bytes (`48 89 e5 <0f> 0b`): x86-64.
    X86_64,
    /// 32-bit words in a report of the arm64 register shape (`pc : func+0x..`).
    Arm64,
    /// 32-bit ARM (`PC is at`, `pc : [<...>]`), 16-bit words (Thumb,
    /// RISC-V) or another shape: not disassembled.
    Other,
}

/// Why a `Code:` line's bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodeError {
    /// A group that is not hex, or of odd length.
    BadGroup {
        /// The group as printed, cut to 16 bytes.
        group: String,
    },
    /// Groups of different widths, or of a width other than 1, 2 or 4 bytes.
    BadWidth,
    /// More than one trapping instruction marked.
    SeveralTraps,
    /// More than [`MAX_CODE_BYTES`] bytes.
    TooLong,
}

impl std::fmt::Display for CodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadGroup { group } => write!(
                f,
                "Code: line has a group {group:?} that is not an even number of hex digits; it is not disassembled"
            ),
            Self::BadWidth => write!(
                f,
                "Code: line mixes group widths or uses one other than 1, 2 or 4 bytes; it is not disassembled"
            ),
            Self::SeveralTraps => write!(
                f,
                "Code: line marks more than one trapping instruction; it is not disassembled"
            ),
            Self::TooLong => write!(
                f,
                "Code: line holds more than {MAX_CODE_BYTES} bytes; it is not disassembled"
            ),
        }
    }
}

/// What follows `Code:` on a line that is one (leading blanks allowed),
/// `None` for other lines.
pub fn code_payload(message: &[u8]) -> Option<&[u8]> {
    let start = message.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = message[start..].strip_prefix(b"Code:")?;
    // `Code:` must be followed by a blank (syzkaller's `Code\:\s+`).
    if !rest.first().is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    Some(rest)
}

/// Parse the text after `Code:`. `Ok(None)` for lines that carry no bytes
/// (`Unable to access opcode bytes at ...`, `Bad RIP value.`, nothing).
/// `arch_evidence` is what the register dump before the line says
/// ([`ArchEvidence`]); `line` is stored in the result.
pub fn parse_code(
    payload: &[u8],
    line: usize,
    arch_evidence: ArchEvidence,
    user_mode: bool,
) -> Result<Option<CodeBytes>, CodeError> {
    let mut groups = payload
        .split(u8::is_ascii_whitespace)
        .filter(|g| !g.is_empty())
        .peekable();
    // Lines of words, not code: `Unable to access opcode bytes at 0x...`,
    // `Bad RIP value.` (whose `Bad` is hex, but odd).
    let Some(first) = groups.peek() else {
        return Ok(None);
    };
    let first_digits = first.iter().filter(|b| b.is_ascii_hexdigit()).count();
    if first_digits % 2 != 0
        || !first
            .iter()
            .all(|b| b.is_ascii_hexdigit() || b"<>()".contains(b))
    {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    let mut trap = None;
    let mut width = 0;
    for group in groups {
        let (digits, marked) = match group {
            [b'<', inner @ .., b'>'] | [b'(', inner @ .., b')'] => (inner, true),
            _ => (group, false),
        };
        if digits.is_empty() || digits.len() % 2 != 0 || !digits.iter().all(u8::is_ascii_hexdigit) {
            let shown = &group[..group.len().min(16)];
            return Err(CodeError::BadGroup {
                group: String::from_utf8_lossy(shown).into_owned(),
            });
        }
        let group_width = digits.len() / 2;
        if width == 0 {
            width = group_width;
        }
        if group_width != width || !matches!(width, 1 | 2 | 4) {
            return Err(CodeError::BadWidth);
        }
        if bytes.len() + width > MAX_CODE_BYTES {
            return Err(CodeError::TooLong);
        }
        if marked {
            if trap.is_some() {
                return Err(CodeError::SeveralTraps);
            }
            trap = Some(bytes.len());
        }
        // Groups are at most 8 hex digits: a u32 always holds them.
        let value = digits
            .iter()
            .fold(0u32, |acc, &d| (acc << 4) | hex_value(d));
        bytes.extend_from_slice(&value.to_le_bytes()[..width]);
    }
    let arch = match (width, arch_evidence) {
        (1, _) => CodeArch::X86_64,
        (4, ArchEvidence::Arm64 | ArchEvidence::None) => CodeArch::Arm64,
        _ => CodeArch::Other,
    };
    Ok(Some(CodeBytes {
        line,
        bytes,
        trap,
        group_width: width,
        arch,
        user_mode,
    }))
}

fn hex_value(digit: u8) -> u32 {
    char::from(digit).to_digit(16).unwrap_or(0)
}

/// What the register dump of a report says about its architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchEvidence {
    /// Nothing seen.
    None,
    /// arm64's `pc : func+0x14/0x28` (no `[<`), or its `x29:` registers.
    Arm64,
    /// 32-bit ARM's `PC is at ...` or `pc : [<8078e15c>]`.
    Arm32,
}

impl ArchEvidence {
    /// Update the evidence with one line's message (console prefix removed).
    pub fn see(self, message: &[u8]) -> Self {
        let trimmed = &message[message
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(message.len())..];
        if trimmed.starts_with(b"PC is at ") || trimmed.starts_with(b"pc : [<") {
            Self::Arm32
        } else if trimmed.starts_with(b"pc : ") || trimmed.starts_with(b"x29: ") {
            Self::Arm64
        } else {
            self
        }
    }
}

/// Whether a line is x86's register line of user-space code, `RIP: 0033:`.
pub fn is_user_rip(message: &[u8]) -> bool {
    let start = message
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(message.len());
    message[start..].starts_with(b"RIP: 0033:")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<CodeBytes>, CodeError> {
        parse_code(text.as_bytes(), 0, ArchEvidence::None, false)
    }

    #[test]
    fn bytes_and_trap() {
        let code = parse(" 48 89 <0f> 0b").unwrap().unwrap();
        assert_eq!(code.bytes, [0x48, 0x89, 0x0f, 0x0b]);
        assert_eq!(code.trap, Some(2));
        assert_eq!(code.arch, CodeArch::X86_64);
    }

    #[test]
    fn words_are_little_endian() {
        let code = parse(" d503233f (d4210000)").unwrap().unwrap();
        assert_eq!(code.bytes, [0x3f, 0x23, 0x03, 0xd5, 0x00, 0x00, 0x21, 0xd4]);
        assert_eq!((code.trap, code.arch), (Some(4), CodeArch::Arm64));
        let arm = parse_code(b" e5990000 (e5990000)", 0, ArchEvidence::Arm32, false);
        assert_eq!(arm.unwrap().unwrap().arch, CodeArch::Other);
    }

    #[test]
    fn lines_without_bytes_are_not_code() {
        for text in [
            " Unable to access opcode bytes at 0x4a5b6c.",
            " Bad RIP value.",
            " bad PC value",
            "",
            "   ",
        ] {
            assert_eq!(parse(text), Ok(None), "{text:?}");
        }
    }

    #[test]
    fn hostile_groups_are_errors() {
        assert!(matches!(
            parse(" 48 8<9> 0b"),
            Err(CodeError::BadGroup { .. })
        ));
        assert!(matches!(
            parse(" 48 <> 0b"),
            Err(CodeError::BadGroup { .. })
        ));
        assert!(matches!(
            parse(" 48 489 0b"),
            Err(CodeError::BadGroup { .. })
        ));
        assert!(matches!(parse(" 48 zz"), Err(CodeError::BadGroup { .. })));
        assert_eq!(parse(" 48 4889"), Err(CodeError::BadWidth));
        assert_eq!(parse(" 4889aabbccdd"), Err(CodeError::BadWidth));
        assert_eq!(parse(" <48> <89>"), Err(CodeError::SeveralTraps));
        let long = " 90".repeat(MAX_CODE_BYTES + 1);
        assert_eq!(parse(&long), Err(CodeError::TooLong));
        let fits = " 90".repeat(MAX_CODE_BYTES);
        assert_eq!(parse(&fits).unwrap().unwrap().bytes.len(), MAX_CODE_BYTES);
    }

    #[test]
    fn missing_marker_is_no_trap() {
        assert_eq!(parse(" 0f 0b").unwrap().unwrap().trap, None);
    }

    #[test]
    fn documents_carry_code_lines_with_their_arch_and_warnings() {
        let doc = crate::parse(
            "RIP: 0010:foo+0x1/0x2\n\
             Code: 90 <0f> 0b\n\
             RIP: 0033:0x7f00\n\
             Code: 0f 05 <48> 3d\n\
             pc : foo+0x4/0x8\n\
             Code: d503233f (d4210000)\n\
             PC is at bar+0x4/0x8\n\
             Code: e59f06a8 (e5990000)\n\
             Code: 90 <0f> <0b>\n\
             Code: Unable to access opcode bytes at 0xffffffff.\n"
                .to_string()
                + "Code:"
                + &" 90".repeat(1 << 20)
                + "\n",
        );
        let summary: Vec<_> = doc
            .code
            .iter()
            .map(|c| (c.line, c.arch, c.user_mode, c.trap))
            .collect();
        assert_eq!(
            summary,
            [
                (1, CodeArch::X86_64, false, Some(1)),
                (3, CodeArch::X86_64, true, Some(2)),
                (5, CodeArch::Arm64, false, Some(4)),
                (7, CodeArch::Other, false, Some(4)),
            ]
        );
        let warnings: Vec<_> = doc.warnings.iter().map(|w| w.line).collect();
        assert_eq!(warnings, [9, 11]);
        assert!(doc.warnings[1].message.contains("more than 256 bytes"));
    }

    #[test]
    fn payload_needs_a_blank() {
        assert_eq!(code_payload(b"  Code: 0f"), Some(&b" 0f"[..]));
        assert_eq!(code_payload(b"Code:0f"), None);
        assert_eq!(code_payload(b"Krnl Code: 0f"), None);
    }
}
