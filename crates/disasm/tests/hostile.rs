//! Hostile `Code:` bytes: no panic, a clear error or a listing, bounded work.

use kresym_disasm::{DisasmError, MAX_SKIPPED_BYTES, disassemble};
use kresym_report::code::{CodeArch, CodeBytes, MAX_CODE_BYTES};

fn code(arch: CodeArch, bytes: Vec<u8>, trap: Option<usize>) -> CodeBytes {
    CodeBytes {
        line: 0,
        bytes,
        trap,
        group_width: if arch == CodeArch::Arm64 { 4 } else { 1 },
        arch,
        user_mode: false,
    }
}

#[test]
fn every_byte_value_decodes_without_panic() {
    for arch in [CodeArch::X86_64, CodeArch::Arm64] {
        for byte in 0..=255u8 {
            for len in [1, 3, 4, 7, 15, 16, MAX_CODE_BYTES] {
                for trap in [None, Some(0), Some(len / 2), Some(len - 1)] {
                    let c = code(arch, vec![byte; len], trap);
                    if let Ok(listing) = disassemble(&c) {
                        let covered: usize =
                            listing.instructions.iter().map(|i| i.bytes.len()).sum();
                        assert_eq!(covered + listing.skipped, len, "{arch:?} {byte:#x} {len}");
                        assert!(listing.skipped <= MAX_SKIPPED_BYTES);
                        let _ = listing.to_text();
                    }
                }
            }
        }
    }
}

#[test]
fn prefixes_only_and_cut_instructions_are_listed_byte_by_byte() {
    // 64 operand-size prefixes: no instruction ever ends; objdump prints each.
    let listing = disassemble(&code(CodeArch::X86_64, vec![0x66; 64], None)).unwrap();
    assert!(listing.instructions.len() >= 4, "{listing:?}");
    // A call cut short by the end: `.byte 0xe8`, as objdump prints it.
    let listing = disassemble(&code(CodeArch::X86_64, vec![0x90, 0xe8, 0x00], Some(0))).unwrap();
    assert_eq!(listing.instructions[1].text, ".byte 0xe8");
    assert_eq!(listing.trap, Some(0));
}

#[test]
fn trap_past_the_bytes_is_an_error() {
    // A hand-built CodeBytes (the parser never makes one): used to index
    // past the end.
    for arch in [CodeArch::X86_64, CodeArch::Arm64] {
        let c = code(arch, vec![0x90; 4], Some(4));
        assert_eq!(disassemble(&c), Err(DisasmError::TrapOutside));
        let c = code(arch, vec![0x90; 2], Some(usize::MAX));
        assert_eq!(disassemble(&c), Err(DisasmError::TrapOutside));
    }
    assert_eq!(
        disassemble(&code(CodeArch::X86_64, Vec::new(), None)),
        Err(DisasmError::Empty)
    );
    assert_eq!(
        disassemble(&code(CodeArch::Other, vec![0; 4], None)),
        Err(DisasmError::UnsupportedArch)
    );
}

#[test]
fn mid_instruction_start_is_skipped_to_the_trap() {
    // The tail of `movabs $0xdffffc0000000000,%rax` (00 fc ff df), then
    // `cmpb $0x0,(%rdx,%rax,1)` trapping: objdump from byte 0 would decode
    // `add %bh,%ah` and miss the trap's boundary.
    let bytes = vec![0x00, 0xfc, 0xff, 0xdf, 0x80, 0x3c, 0x02, 0x00, 0x0f, 0x0b];
    let listing = disassemble(&code(CodeArch::X86_64, bytes, Some(4))).unwrap();
    let trap = &listing.instructions[listing.trap.unwrap()];
    assert_eq!(trap.offset + listing.skipped, 4);
    assert_eq!(trap.text, "cmpb   $0x0,(%rdx,%rax,1)");
    assert!(listing.to_text().contains(":*\t80 3c 02 00"));
    assert!(listing.to_text().contains("\t\t<-- trapping instruction\n"));
}

#[test]
fn arm64_trap_is_marked_on_its_word() {
    let words: [u32; 2] = [0xd503233f, 0xd4210000];
    let bytes = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let listing = disassemble(&code(CodeArch::Arm64, bytes, Some(4))).unwrap();
    let text = listing.to_text();
    assert!(text.contains("   0:\td503233f \tpaciasp\n"), "{text}");
    assert!(
        text.contains("   4:*\td4210000 \tbrk\t#0x800\t\t<-- trapping instruction\n"),
        "{text}"
    );
}
