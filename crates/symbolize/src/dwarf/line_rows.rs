//! The rows of a line program, as gimli's `LineRows` yields them, for the
//! sweep, which runs every line program of nearly every unit of a batch.
//!
//! gimli parses each instruction into a general `LineInstruction` (large
//! enough for `DW_LNE_define_file`'s file entry) before executing it, which
//! costs about 190 instructions a row on a kernel. This executes the same
//! state machine straight from the bytes, with gimli's readers and its
//! address arithmetic, keeping only the registers a row answer needs. It
//! fails wherever gimli's rows would fail, and also on what it does not
//! handle (VLIW `op_index` and `DW_LNE_define_file`): the sweep then leaves
//! the unit to the one-by-one lookup. `tests` compare it with gimli's rows
//! over every unit of the sample kernels.

use gimli::{Reader as _, ReaderOffset as _};

use super::sections::Reader;

/// The registers of a row that the sweep uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) address: u64,
    pub(crate) file: u64,
    /// 0 when the row has no line.
    pub(crate) line: u64,
    /// 0 for the left edge.
    pub(crate) column: u64,
    pub(crate) end_sequence: bool,
}

/// The state machine's registers, as a sequence starts.
#[derive(Clone, Copy)]
struct State {
    address: u64,
    file: u64,
    line: u64,
    column: u64,
    /// After a `DW_LNE_set_address` to a tombstone (or backwards), until
    /// the next one: rows are dropped and the address stays put.
    tombstone: bool,
}

impl State {
    const START: State = State {
        address: 0,
        file: 1,
        line: 1,
        column: 0,
        tombstone: false,
    };
}

/// Call `row` for each row of the program `header` heads, in order.
pub(crate) fn for_each_row(
    header: &gimli::LineProgramHeader<Reader>,
    mut row: impl FnMut(Row),
) -> gimli::Result<()> {
    let encoding = header.line_encoding();
    let address_size = header.address_size();
    if encoding.maximum_operations_per_instruction != 1
        || encoding.line_range == 0
        || !matches!(address_size, 1 | 2 | 4 | 8)
    {
        return Err(gimli::Error::UnsupportedOffset);
    }
    let opcode_base = header.opcode_base();
    let line_range = encoding.line_range;
    let instruction_length = u64::from(encoding.minimum_instruction_length);
    // DWARF's tombstone is -1; linkers also use -2 (gimli's rule).
    let tombstone_start = all_ones(address_size) - 1;
    let mut input = header.raw_program_buf();
    let mut state = State::START;
    // Advance the address by `operations`, unless in a tombstone.
    let advance = |state: &mut State, operations: u64| -> gimli::Result<()> {
        if !state.tombstone {
            state.address = add_sized(
                state.address,
                instruction_length.wrapping_mul(operations),
                address_size,
            )?;
        }
        Ok(())
    };
    while !input.is_empty() {
        let opcode = input.read_u8()?;
        let mut end_sequence = false;
        if opcode >= opcode_base {
            // A special opcode: advance line and address, then a row.
            let adjusted = opcode - opcode_base;
            let line_base = i64::from(encoding.line_base);
            advance_line(
                &mut state.line,
                line_base + i64::from(adjusted % line_range),
            );
            advance(&mut state, u64::from(adjusted / line_range))?;
        } else if opcode == 0 {
            let length = input.read_uleb128().and_then(usize::from_u64)?;
            let mut rest = input.split(length)?;
            match gimli::DwLne(rest.read_u8()?) {
                gimli::DW_LNE_end_sequence => end_sequence = true,
                gimli::DW_LNE_set_address => {
                    let address = rest.read_address(address_size)?;
                    state.tombstone = address < state.address || address >= tombstone_start;
                    if !state.tombstone {
                        state.address = address;
                    }
                    continue;
                }
                gimli::DW_LNE_define_file if header.version() <= 4 => {
                    return Err(gimli::Error::UnsupportedOffset);
                }
                gimli::DW_LNE_set_discriminator => {
                    rest.read_uleb128()?;
                    continue;
                }
                _ => continue,
            }
        } else {
            match gimli::DwLns(opcode) {
                gimli::DW_LNS_copy => {}
                gimli::DW_LNS_advance_pc => {
                    let operations = input.read_uleb128()?;
                    advance(&mut state, operations)?;
                    continue;
                }
                gimli::DW_LNS_advance_line => {
                    let increment = input.read_sleb128()?;
                    advance_line(&mut state.line, increment);
                    continue;
                }
                gimli::DW_LNS_set_file => {
                    state.file = input.read_uleb128()?;
                    continue;
                }
                gimli::DW_LNS_set_column => {
                    state.column = input.read_uleb128()?;
                    continue;
                }
                gimli::DW_LNS_const_add_pc => {
                    advance(&mut state, u64::from((255 - opcode_base) / line_range))?;
                    continue;
                }
                gimli::DW_LNS_fixed_advance_pc => {
                    let operand = input.read_u16()?;
                    advance_fixed(&mut state, operand, address_size)?;
                    continue;
                }
                gimli::DW_LNS_set_isa => {
                    input.read_uleb128()?;
                    continue;
                }
                gimli::DW_LNS_negate_stmt
                | gimli::DW_LNS_set_basic_block
                | gimli::DW_LNS_set_prologue_end
                | gimli::DW_LNS_set_epilogue_begin => continue,
                _ => {
                    // Unknown: skip its operands, as many as the header says.
                    let mut lengths = *header.standard_opcode_lengths();
                    lengths.skip(usize::from(opcode - 1))?;
                    for _ in 0..lengths.read_u8()? {
                        input.read_uleb128()?;
                    }
                    continue;
                }
            }
        }
        if !state.tombstone {
            row(Row {
                address: state.address,
                file: state.file,
                line: state.line,
                column: state.column,
                end_sequence,
            });
        }
        if end_sequence {
            state = State::START;
        }
    }
    Ok(())
}

/// `DW_LNS_fixed_advance_pc`: an address advance in bytes, not operations.
fn advance_fixed(state: &mut State, operand: u16, address_size: u8) -> gimli::Result<()> {
    if !state.tombstone {
        state.address = add_sized(state.address, u64::from(operand), address_size)?;
    }
    Ok(())
}

/// `address + length`, failing past what an address of `size` bytes holds
/// (gimli's rule).
fn add_sized(address: u64, length: u64, size: u8) -> gimli::Result<u64> {
    match address.checked_add(length) {
        Some(sum) if sum & !all_ones(size) == 0 => Ok(sum),
        _ => Err(gimli::Error::AddressOverflow),
    }
}

/// The largest address of `size` bytes (1 to 8).
fn all_ones(size: u8) -> u64 {
    !0 >> (64 - u32::from(size) * 8)
}

/// Add a signed increment to the line register; below 0 it stops at 0.
fn advance_line(line: &mut u64, increment: i64) {
    if increment < 0 {
        let decrement = increment.wrapping_neg() as u64;
        *line = line.saturating_sub(decrement);
    } else {
        *line = line.wrapping_add(increment as u64);
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU64;
    use std::path::Path;

    use super::*;
    use crate::Binary;

    /// gimli's rows of `program`, in the same terms.
    fn gimli_rows(program: gimli::IncompleteLineProgram<Reader>) -> gimli::Result<Vec<Row>> {
        let mut rows = program.rows();
        let mut out = Vec::new();
        while let Some((_, row)) = rows.next_row()? {
            out.push(Row {
                address: row.address(),
                file: row.file_index(),
                line: row.line().map_or(0, NonZeroU64::get),
                column: match row.column() {
                    gimli::ColumnType::LeftEdge => 0,
                    gimli::ColumnType::Column(column) => column.get(),
                },
                end_sequence: row.end_sequence(),
            });
        }
        Ok(out)
    }

    /// Compare the rows of every unit's line program in `path`; how many
    /// programs there were, and how many of them this declined.
    fn compare(path: &Path) -> (usize, usize) {
        let binary = Binary::open(path).unwrap();
        let dwarf = binary.dwarf().gimli();
        let mut units = dwarf.units();
        let (mut programs, mut declined) = (0, 0);
        while let Some(header) = units.next().unwrap() {
            let unit = dwarf.unit(header).unwrap();
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut rows = Vec::new();
            let ours = for_each_row(program.header(), |row| rows.push(row));
            match (ours, gimli_rows(program)) {
                (Ok(()), Ok(expected)) => assert_eq!(rows, expected, "{}", path.display()),
                // Declining is allowed; succeeding where gimli fails is not.
                (Err(_), _) => declined += 1,
                (Ok(()), Err(error)) => panic!("{}: gimli fails: {error}", path.display()),
            }
            programs += 1;
        }
        (programs, declined)
    }

    #[test]
    fn rows_equal_gimlis_in_every_unit_of_the_samples() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples/build");
        for name in ["vmlinux-dwarf5", "vmlinux-dwarf4", "samplemod.ko"] {
            let (programs, declined) = compare(&samples.join(name));
            assert!(
                programs > 0 && declined == 0,
                "{name}: {declined} of {programs}"
            );
        }
    }

    /// A DWARF 4 line program with every opcode, tombstones (an address of
    /// -1, and one going backwards) and an unknown standard opcode, as bytes.
    fn unusual_program(body: &[u8]) -> Vec<u8> {
        let mut header = vec![
            1,    // minimum_instruction_length
            1,    // maximum_operations_per_instruction
            1,    // default_is_stmt
            0xfb, // line_base: -5
            14,   // line_range
            14,   // opcode_base: 13 standard opcodes, the 13th unknown
        ];
        header.extend([0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 2]); // operand counts
        header.extend(b"dir\0\0"); // include_directories
        header.extend(b"a.c\0\x01\0\0b.c\0\x01\0\0\0"); // file_names
        let mut unit = Vec::new();
        unit.extend(4u16.to_le_bytes());
        unit.extend((header.len() as u32).to_le_bytes());
        unit.extend(header);
        unit.extend(body);
        let mut bytes = (unit.len() as u32).to_le_bytes().to_vec();
        bytes.extend(unit);
        bytes
    }

    /// `DW_LNE_set_address` to `address`.
    fn set_address(address: u64) -> Vec<u8> {
        let mut op = vec![0, 9, 2];
        op.extend(address.to_le_bytes());
        op
    }

    /// Our rows and gimli's of the line program `bytes`.
    fn rows_of(bytes: Vec<u8>) -> (gimli::Result<Vec<Row>>, gimli::Result<Vec<Row>>) {
        // The crate's reader borrows for 'static, as from a mapped file.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let endian = gimli::RunTimeEndian::Little;
        let program = gimli::DebugLine::new(bytes, endian)
            .program(gimli::DebugLineOffset(0), 8, None, None)
            .unwrap();
        let mut rows = Vec::new();
        let ours = for_each_row(program.header(), |row| rows.push(row)).map(|()| rows);
        (ours, gimli_rows(program))
    }

    #[test]
    fn rows_equal_gimlis_on_unusual_programs() {
        let mut body = set_address(0x1000);
        body.extend([
            0x20, // special: line and address advance
            0x03, 0x7c, // advance_line -4
            0x12, // special with a negative line advance past 0
            0x02, 0x90, 0x01, // advance_pc 144
            0x04, 0x02, // set_file 2
            0x05, 0x07, // set_column 7
            0x06, 0x07, 0x0a, 0x0b, // negate_stmt, basic_block, prologue, epilogue
            0x01, // copy
            0x08, // const_add_pc
            0x09, 0x10, 0x00, // fixed_advance_pc 16
            0x0c, 0x01, // set_isa
            0x0d, 0x05, 0x85, 0x01, // unknown standard opcode, two operands
            0x00, 0x02, 0x04, 0x03, // set_discriminator 3
            0x00, 0x03, 0x80, 0x01, 0x02, // unknown extended opcode
            0x30,
        ]);
        body.extend(set_address(0x900)); // backwards: a tombstone
        body.extend([0x20, 0x02, 0x05, 0x01]);
        body.extend(set_address(0x2000)); // forwards again
        body.extend([0x21, 0x00, 0x01, 0x01]); // a row, then end_sequence
        body.extend(set_address(u64::MAX)); // a tombstone
        body.extend([0x20, 0x00, 0x01, 0x01]); // its end_sequence is dropped
        body.extend(set_address(0x3000));
        body.extend([0x20, 0x00, 0x01, 0x01]);
        let (ours, gimlis) = rows_of(unusual_program(&body));
        let (ours, gimlis) = (ours.unwrap(), gimlis.unwrap());
        assert_eq!(ours.len(), 8, "{ours:?}");
        assert_eq!(ours, gimlis);

        // Truncated: both fail. An address overflow: both fail.
        let (ours, gimlis) = rows_of(unusual_program(&[0x02]));
        assert!(ours.is_err() && gimlis.is_err());
        let mut overflow = set_address(u64::MAX - 3);
        overflow.extend([0x02, 0x10, 0x01]);
        let (ours, gimlis) = rows_of(unusual_program(&overflow));
        assert!(gimlis.is_ok() || ours.is_err());
    }

    /// The same over a real kernel: `KRESYM_VMLINUX=... cargo test -p
    /// kresym-symbolize --release --lib -- --ignored line_rows`.
    #[test]
    #[ignore = "needs a real vmlinux in KRESYM_VMLINUX"]
    fn rows_equal_gimlis_in_every_unit_of_a_real_kernel() {
        let path = std::env::var_os("KRESYM_VMLINUX").expect("set KRESYM_VMLINUX");
        let (programs, declined) = compare(Path::new(&path));
        eprintln!("{programs} line programs compared, {declined} declined");
        assert!(programs > 0);
    }
}
