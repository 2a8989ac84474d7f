//! x86-64: bytes decoded by iced-x86, printed by its GAS (AT&T) formatter
//! set up as GNU objdump prints.

use iced_x86::{Decoder, DecoderError, DecoderOptions, Formatter, GasFormatter, Mnemonic};

use crate::Instruction;

/// The GAS formatter set up to print as objdump does.
fn objdump_formatter(zero_displacements: bool) -> GasFormatter {
    let mut formatter = GasFormatter::new();
    let options = formatter.options_mut();
    options.set_uppercase_hex(false);
    options.set_hex_prefix("0x");
    options.set_hex_suffix("");
    options.set_space_after_operand_separator(false);
    options.set_first_operand_char_index(7);
    options.set_small_hex_numbers_in_decimal(false);
    options.set_branch_leading_zeros(false);
    options.set_leading_zeros(false);
    options.set_always_show_scale(true);
    options.set_rip_relative_addresses(true);
    options.set_show_branch_size(false);
    options.set_gas_show_mnemonic_size_suffix(false);
    options.set_show_useless_prefixes(true);
    options.set_show_zero_displacements(zero_displacements);
    formatter
}

/// Decode `bytes` from offset 0 as objdump does: an instruction cut short by
/// the end of the bytes is printed as its first byte (`.byte 0xe8`, or the
/// prefix's name), an invalid one as `(bad)`; decoding goes on after either.
pub(crate) fn decode(bytes: &[u8]) -> Vec<Instruction> {
    let mut formatter = objdump_formatter(false);
    // objdump prints `0x0(%rax)` when a zero displacement is encoded.
    let mut zero_displacement_formatter = objdump_formatter(true);
    let mut instructions = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let mut decoder = Decoder::with_ip(64, &bytes[start..], start as u64, DecoderOptions::NONE);
        let decoded = decoder.decode();
        let (length, text, bad) = if decoded.is_invalid() {
            if decoder.last_error() == DecoderError::NoMoreBytes
                && !invalid_when_padded(&bytes[start..])
            {
                let text = match prefix_name(bytes[start]) {
                    Some(name) => name.to_string(),
                    None => format!(".byte {:#x}", bytes[start]),
                };
                (1, text, false)
            } else {
                (1, "(bad)".to_string(), true)
            }
        } else {
            let mut text = String::new();
            if decoded.memory_displ_size() > 0 && decoded.memory_displacement64() == 0 {
                zero_displacement_formatter.format(&decoded, &mut text);
            } else {
                formatter.format(&decoded, &mut text);
            }
            // A base without index: `(%rbp)`, where a scale is shown always.
            let mut text = objdump_prefixes(&text.replace(",)", ")"), &bytes[start..]);
            text = objdump_names(&text, decoded.mnemonic());
            // Shifts and rotates by one (D0/D1): objdump prints no `$0x1`.
            if format!("{:?}", decoded.code()).ends_with("_1") {
                text = text.replacen("$0x1,", "", 1);
            }
            if decoded.is_ip_rel_memory_operand() {
                text.push_str(&format!("        # {:#x}", decoded.ip_rel_memory_address()));
            }
            (decoded.len().max(1), text, false)
        };
        let end = (start + length).min(bytes.len());
        instructions.push(Instruction {
            offset: start,
            bytes: bytes[start..end].to_vec(),
            text,
            bad,
        });
        start = end;
    }
    instructions
}

/// objdump's name for a prefix byte printed alone (the instruction it
/// starts is cut short by the end of the bytes).
fn prefix_name(byte: u8) -> Option<&'static str> {
    const REX: [&str; 16] = [
        "rex", "rex.B", "rex.X", "rex.XB", "rex.R", "rex.RB", "rex.RX", "rex.RXB", "rex.W",
        "rex.WB", "rex.WX", "rex.WXB", "rex.WR", "rex.WRB", "rex.WRX", "rex.WRXB",
    ];
    Some(match byte {
        0x40..=0x4f => REX[usize::from(byte - 0x40)],
        0x26 => "es",
        0x2e => "cs",
        0x36 => "ss",
        0x3e => "ds",
        0x64 => "fs",
        0x65 => "gs",
        0x66 => "data16",
        0x67 => "addr32",
        0xf0 => "lock",
        0xf2 => "repnz",
        0xf3 => "repz",
        _ => return None,
    })
}

/// Rewrite iced's prefixes as objdump prints them: a `cs`/`ds`/`es`/`ss`
/// override (ignored in 64-bit mode) as a word before the mnemonic rather
/// than `%cs:` on the operand, and each `repnz`/`repz` byte repeated
/// (iced prints `repne`/`repe` once).
fn objdump_prefixes(text: &str, bytes: &[u8]) -> String {
    let leading = bytes
        .iter()
        .take_while(|b| {
            matches!(
                b,
                0x26 | 0x2e | 0x36 | 0x3e | 0x64 | 0x65 | 0x66 | 0x67 | 0xf0 | 0xf2 | 0xf3
            )
        })
        .copied()
        .collect::<Vec<_>>();
    let mut words = Vec::new();
    let mut text = text.to_string();
    for (byte, segment) in [(0x2e, "cs"), (0x3e, "ds"), (0x26, "es"), (0x36, "ss")] {
        let operand = format!("%{segment}:");
        if leading.contains(&byte) && text.contains(&operand) {
            text = text.replacen(&operand, "", 1);
            words.push(segment.to_string());
        }
    }
    let (mut mnemonic, operands) = match text.split_once(' ') {
        Some((mnemonic, operands)) => (mnemonic.to_string(), operands.trim_start().to_string()),
        None => (text.clone(), String::new()),
    };
    for (iced, objdump, byte) in [("repne", "repnz", 0xf2), ("repe", "repz", 0xf3)] {
        if mnemonic == iced {
            let count = leading.iter().filter(|&&b| b == byte).count().max(1);
            words.extend(std::iter::repeat_n(objdump.to_string(), count));
            let Some((next, rest)) = operands.split_once(' ') else {
                return format!("{} {operands}", words.join(" "));
            };
            mnemonic = next.to_string();
            return join(&words, &mnemonic, rest.trim_start());
        }
    }
    // iced's `rep` on an instruction that is no string move: objdump's `repz`.
    if mnemonic == "rep" {
        let (next, rest) = operands.split_once(' ').unwrap_or((&operands, ""));
        let string_move = ["stos", "movs", "lods", "ins", "outs"]
            .iter()
            .any(|op| next.starts_with(op));
        if !string_move {
            let count = leading.iter().filter(|&&b| b == 0xf3).count().max(1);
            words.extend(std::iter::repeat_n("repz".to_string(), count));
            return join(&words, next, rest.trim_start());
        }
    }
    if words.is_empty() {
        return text;
    }
    join(&words, &mnemonic, &operands)
}

/// Prefix words, a mnemonic and operands, the mnemonic field padded to 6
/// columns and a blank as objdump does.
fn join(words: &[String], mnemonic: &str, operands: &str) -> String {
    let field = format!("{} {mnemonic}", words.join(" "));
    if operands.is_empty() {
        field
    } else {
        format!("{field:<6} {operands}")
    }
}

/// Whether bytes cut short by the end are invalid whatever follows them
/// (objdump's `(bad)`, not `.byte`): decoded with zeros after them.
fn invalid_when_padded(bytes: &[u8]) -> bool {
    let mut padded = bytes.to_vec();
    padded.resize(bytes.len() + 15, 0);
    let mut decoder = Decoder::with_ip(64, &padded, 0, DecoderOptions::NONE);
    let decoded = decoder.decode();
    decoded.is_invalid() && decoder.last_error() != DecoderError::NoMoreBytes
}

/// objdump's names where iced's GAS formatter differs: no size suffix on
/// `jmp`/`call`/`push`/`pop`, `%db` debug registers, `(%dx)` ports, and the
/// implied segments of string instructions.
fn objdump_names(text: &str, mnemonic: Mnemonic) -> String {
    let mut text = text.to_string();
    for (iced, objdump) in [
        ("jmpq ", "jmp  "),
        ("callq ", "call  "),
        ("pushq ", "push  "),
        ("popq ", "pop   "),
        ("lcalll ", "lcall  "),
        ("ljmpl ", "ljmp   "),
    ] {
        if let Some(rest) = text.strip_prefix(iced) {
            text = format!("{objdump}{rest}");
        }
    }
    text = text.replace("%dr", "%db");
    if matches!(
        mnemonic,
        Mnemonic::In
            | Mnemonic::Out
            | Mnemonic::Insb
            | Mnemonic::Insw
            | Mnemonic::Insd
            | Mnemonic::Outsb
            | Mnemonic::Outsw
            | Mnemonic::Outsd
    ) {
        text = text.replace("%dx", "(%dx)");
    }
    let string_op = matches!(
        mnemonic,
        Mnemonic::Movsb
            | Mnemonic::Movsw
            | Mnemonic::Movsd
            | Mnemonic::Movsq
            | Mnemonic::Cmpsb
            | Mnemonic::Cmpsw
            | Mnemonic::Cmpsd
            | Mnemonic::Cmpsq
            | Mnemonic::Stosb
            | Mnemonic::Stosw
            | Mnemonic::Stosd
            | Mnemonic::Stosq
            | Mnemonic::Lodsb
            | Mnemonic::Lodsw
            | Mnemonic::Lodsd
            | Mnemonic::Lodsq
            | Mnemonic::Scasb
            | Mnemonic::Scasw
            | Mnemonic::Scasd
            | Mnemonic::Scasq
            | Mnemonic::Insb
            | Mnemonic::Insw
            | Mnemonic::Insd
            | Mnemonic::Outsb
            | Mnemonic::Outsw
            | Mnemonic::Outsd
    );
    if string_op {
        for (register, segment) in [("(%rdi)", "%es:"), ("(%rsi)", "%ds:")] {
            if let Some(at) = text.find(register)
                && !text[..at].ends_with(':')
            {
                text.insert_str(at, segment);
            }
        }
    }
    text
}
