//! `Code:` lines through the parser and the disassembler: never a panic,
//! every byte kept listed once, the trap on an instruction's start. Input:
//! report text, or (first byte 0/1) raw x86-64/arm64 bytes with a trap
//! offset in the second byte.
#![no_main]

use kresym_disasm::{MAX_SKIPPED_BYTES, disassemble};
use kresym_report::code::{CodeArch, CodeBytes, MAX_CODE_BYTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check(data));

fn check(data: &[u8]) {
    let mut codes = Vec::new();
    match data {
        [mode @ (0 | 1), trap, bytes @ ..] if !bytes.is_empty() => codes.push(CodeBytes {
            line: 0,
            bytes: bytes[..bytes.len().min(MAX_CODE_BYTES)].to_vec(),
            trap: Some(usize::from(*trap)),
            group_width: if *mode == 0 { 1 } else { 4 },
            arch: if *mode == 0 { CodeArch::X86_64 } else { CodeArch::Arm64 },
            user_mode: false,
        }),
        _ => codes = kresym_report::parse(data.to_vec()).code,
    }
    for code in &codes {
        assert!(code.bytes.len() <= MAX_CODE_BYTES);
        let Ok(listing) = disassemble(code) else { continue };
        assert!(listing.skipped <= MAX_SKIPPED_BYTES);
        let mut next = 0;
        for instruction in &listing.instructions {
            assert_eq!(instruction.offset, next);
            assert!(!instruction.bytes.is_empty());
            next += instruction.bytes.len();
        }
        assert_eq!(next + listing.skipped, code.bytes.len());
        if let (Some(index), Some(trap)) = (listing.trap, code.trap) {
            assert_eq!(listing.instructions[index].offset + listing.skipped, trap);
        }
        let _ = listing.to_text();
    }
}
