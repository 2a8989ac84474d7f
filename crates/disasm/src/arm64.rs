//! arm64: words decoded by bad64, printed as GNU objdump prints them.

use bad64::{Imm, Operand, Reg, Shift};
use std::fmt::Write;

/// The objdump text of one little-endian instruction word at `address`,
/// or `None` when it is not a valid instruction (objdump's `udf`/`.inst`).
pub(crate) fn format(word: u32, address: u64) -> Option<String> {
    let insn = bad64::decode(word, address).ok()?;
    let mut mnemonic = insn.op().mnem().to_string();
    if let Some(cond) = mnemonic.strip_prefix("b.") {
        mnemonic = format!("b.{}", condition(cond));
    }
    let operands = insn.operands();
    let decimal_imms = DECIMAL_IMMEDIATES.contains(&mnemonic.as_str());
    let float_compare = mnemonic == "fcmp" || mnemonic == "fcmpe";
    let narrow =
        matches!(operands.first(), Some(Operand::Reg { reg, arrspec: None }) if is_w(*reg));
    let mut text = String::new();
    for (index, operand) in operands.iter().enumerate() {
        text.push_str(if index == 0 { "\t" } else { ", " });
        write_operand(&mut text, operand, narrow, decimal_imms, float_compare);
    }
    // objdump's comments: a mov's immediate in decimal, after the immediate
    // padded to 23 columns; other names of a condition.
    let immediate = match operands {
        [
            _,
            Operand::Imm32 { imm, shift: None } | Operand::Imm64 { imm, shift: None },
        ] if mnemonic == "mov" => Some(imm_value(*imm)),
        _ => None,
    };
    if let Some(value) = immediate {
        let value = if narrow {
            i128::from(value as i32)
        } else {
            i128::from(value as i64)
        };
        let (head, last) = text.rsplit_once(", ").unwrap_or(("", &text));
        text = format!("{head}, {last:<23}\t// #{value}");
    } else if let Some(cond) = mnemonic.strip_prefix("b.") {
        if let Some(names) = condition_names(cond) {
            let names = names
                .split(", ")
                .map(|n| format!("b.{n}"))
                .collect::<Vec<_>>();
            text.push_str(&format!("  // {}", names.join(", ")));
        }
    } else if let Some(Operand::Cond(cond)) = operands.last() {
        let cond = condition(&cond.to_string()).to_string();
        if let Some(names) = condition_names(&cond) {
            text.push_str(&format!("\t// {cond} = {names}"));
        }
    }
    Some(mnemonic + &text)
}

/// The other names objdump gives a condition (SVE's), in a comment.
fn condition_names(cond: &str) -> Option<&'static str> {
    Some(match cond {
        "eq" => "none",
        "ne" => "any",
        "cs" => "hs, nlast",
        "cc" => "lo, ul, last",
        "mi" => "first",
        "pl" => "nfrst",
        "hi" => "pmore",
        "ls" => "plast",
        "ge" => "tcont",
        "lt" => "tstop",
        _ => return None,
    })
}

/// Mnemonics whose immediates objdump prints in decimal (bit numbers,
/// widths, shift amounts); the others are printed in hex.
const DECIMAL_IMMEDIATES: &[&str] = &[
    "tbz", "tbnz", "ubfx", "sbfx", "ubfiz", "sbfiz", "bfi", "bfxil", "bfc", "ubfm", "sbfm", "bfm",
    "lsl", "lsr", "asr", "ror", "ext", "extr", "udf", "shl", "ushr", "sshr", "ushll", "sshll",
    "shrn", "rshrn", "sli", "sri", "ursra", "usra", "ssra", "srshr", "urshr",
];

/// objdump's names for the conditions bad64 calls `hs` and `lo`.
fn condition(name: &str) -> &str {
    match name {
        "hs" => "cs",
        "lo" => "cc",
        other => other,
    }
}

fn is_w(reg: Reg) -> bool {
    let name = reg.name();
    name.starts_with('w')
}

fn reg_name(reg: Reg) -> String {
    match reg.name() {
        "fp" => "x29".to_string(),
        "lr" => "x30".to_string(),
        other => other.to_string(),
    }
}

fn imm_value(imm: Imm) -> i128 {
    match imm {
        Imm::Signed(v) => i128::from(v),
        Imm::Unsigned(v) => i128::from(v),
    }
}

/// A signed decimal immediate, as objdump prints memory offsets.
fn decimal(imm: Imm) -> String {
    match imm {
        Imm::Signed(v) => v.to_string(),
        Imm::Unsigned(v) => (v as i64).to_string(),
    }
}

/// A float as C's `%.18e` prints it, as objdump does (`1.000000000000000000e+00`).
fn c_exponent(value: f64) -> String {
    let text = format!("{value:.18e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(digits) => ('-', digits),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

fn shift_text(shift: Shift) -> String {
    let (name, amount) = match shift {
        Shift::LSL(a) => ("lsl", a),
        Shift::LSR(a) => ("lsr", a),
        Shift::ASR(a) => ("asr", a),
        Shift::ROR(a) => ("ror", a),
        Shift::MSL(a) => ("msl", a),
        Shift::UXTW(a) => ("uxtw", a),
        Shift::SXTW(a) => ("sxtw", a),
        Shift::UXTX(a) => ("uxtx", a),
        Shift::SXTX(a) => ("sxtx", a),
        Shift::SXTB(a) => ("sxtb", a),
        Shift::SXTH(a) => ("sxth", a),
        Shift::UXTH(a) => ("uxth", a),
        Shift::UXTB(a) => ("uxtb", a),
    };
    let always = matches!(
        shift,
        Shift::LSL(_) | Shift::LSR(_) | Shift::ASR(_) | Shift::ROR(_) | Shift::MSL(_)
    );
    if amount == 0 && !always {
        name.to_string()
    } else {
        format!("{name} #{amount}")
    }
}

fn write_operand(
    out: &mut String,
    operand: &Operand,
    narrow: bool,
    decimal_imms: bool,
    float_zero: bool,
) {
    match *operand {
        Operand::Imm32 { imm, shift } | Operand::Imm64 { imm, shift } => {
            let mut value = imm_value(imm);
            if narrow {
                value &= 0xffff_ffff;
            }
            if value < 0 {
                value &= 0xffff_ffff_ffff_ffff;
            }
            if float_zero {
                out.push_str("#0.0");
            } else if decimal_imms {
                let _ = write!(out, "#{value}");
            } else {
                let _ = write!(out, "#{value:#x}");
            }
            if let Some(shift) = shift {
                let _ = write!(out, ", {}", shift_text(shift));
            }
        }
        Operand::ShiftReg { reg, shift } => {
            let _ = write!(out, "{}, {}", reg_name(reg), shift_text(shift));
        }
        Operand::Reg { reg, arrspec: None } => out.push_str(&reg_name(reg)),
        Operand::MemReg(reg) => {
            let _ = write!(out, "[{}]", reg_name(reg));
        }
        Operand::MemPreIdx { reg, imm } => {
            let _ = write!(out, "[{}, #{}]!", reg_name(reg), decimal(imm));
        }
        Operand::MemPostIdxImm { reg, imm } => {
            let _ = write!(out, "[{}], #{}", reg_name(reg), decimal(imm));
        }
        Operand::MemPostIdxReg([base, index]) => {
            let _ = write!(out, "[{}], {}", reg_name(base), reg_name(index));
        }
        Operand::MemOffset {
            reg,
            offset,
            mul_vl: false,
            arrspec: None,
        } => {
            let _ = write!(out, "[{}", reg_name(reg));
            if imm_value(offset) != 0 {
                let _ = write!(out, ", #{}", decimal(offset));
            }
            out.push(']');
        }
        Operand::MemExt {
            regs: [base, index],
            shift,
            arrspec: None,
        } => {
            let _ = write!(out, "[{}, {}", reg_name(base), reg_name(index));
            if let Some(shift) = shift {
                let _ = write!(out, ", {}", shift_text(shift));
            }
            out.push(']');
        }
        Operand::Label(imm) => {
            let _ = write!(out, "{:#x}", imm_value(imm) & 0xffff_ffff_ffff_ffff);
        }
        Operand::FImm32(_) if float_zero => out.push_str("#0.0"),
        Operand::FImm32(bits) => {
            let _ = write!(out, "#{}", c_exponent(f64::from(f32::from_bits(bits))));
        }
        Operand::Cond(cond) => out.push_str(condition(&cond.to_string())),
        Operand::SysReg(_) | Operand::Name(_) | Operand::ImplSpec { .. } => {
            let _ = write!(out, "{}", operand.to_string().to_lowercase());
        }
        ref other => {
            let _ = write!(out, "{other}");
        }
    }
}
