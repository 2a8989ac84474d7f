//! The build id and kernel release of an ELF file, and the checks against
//! what a report implies.

use std::fs::File;
use std::path::Path;

use object::read::elf::{ElfFile64, Sym as _};
use object::{Object, ObjectSection, ObjectSymbol};

use crate::{Error, NotElfReason, Result};

/// What identifies an ELF file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElfIds {
    /// The GNU build id (lower-case hex), if the file has a build-id note.
    pub build_id: Option<String>,
    /// The kernel release from `linux_banner` (`6.1.0-53-cloud-amd64`), for
    /// a vmlinux that has the symbol.
    pub release: Option<String>,
}

impl ElfIds {
    /// Check the build id against `wanted`; `origin` names the file in the error.
    pub fn check_build_id(&self, origin: &str, wanted: &str) -> Result<()> {
        match &self.build_id {
            Some(found) if found.eq_ignore_ascii_case(wanted) => Ok(()),
            found => Err(Error::BuildIdMismatch {
                origin: origin.to_owned(),
                wanted: wanted.to_owned(),
                found: found.clone().unwrap_or_else(|| "none".into()),
            }),
        }
    }

    /// Check the release against `wanted`. A file without `linux_banner`
    /// cannot be checked and passes.
    pub fn check_release(&self, origin: &str, wanted: &str) -> Result<()> {
        match &self.release {
            Some(found) if found != wanted => Err(Error::ReleaseMismatch {
                origin: origin.to_owned(),
                wanted: wanted.to_owned(),
                found: found.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// Read the build id and release of the ELF file at `path`.
pub fn read(path: &Path) -> Result<ElfIds> {
    let io = |error| Error::Io {
        path: path.to_owned(),
        error,
    };
    let file = File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.is_dir() {
        return Err(Error::NotElf {
            origin: path.display().to_string(),
            reason: NotElfReason::Directory,
        });
    }
    // SAFETY: read-only private map, dropped before returning; like every
    // ELF reader we rely on the file not being truncated meanwhile.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
    parse(&path.display().to_string(), &map)
}

/// Read the build id and release of ELF bytes; `origin` names them in errors.
pub fn parse(origin: &str, data: &[u8]) -> Result<ElfIds> {
    let not_elf = |reason: NotElfReason| Error::NotElf {
        origin: origin.to_owned(),
        reason,
    };
    if data.len() < 16 || &data[..4] != b"\x7fELF" {
        return Err(not_elf(NotElfReason::NoMagic));
    }
    if data[4] != object::elf::ELFCLASS64.0 {
        return Err(not_elf(NotElfReason::Not64Bit));
    }
    let file = ElfFile64::<object::Endianness>::parse(data)
        .map_err(|e| not_elf(NotElfReason::Malformed(e)))?;
    let build_id = build_id(&file)
        .map_err(|e| not_elf(NotElfReason::BuildIdNote(e)))?
        .map(hex::encode);
    Ok(ElfIds {
        build_id,
        release: release(&file),
    })
}

/// The GNU build id of a parsed ELF file, from its notes.
pub fn build_id<'data>(
    file: &ElfFile64<'data, object::Endianness>,
) -> object::Result<Option<&'data [u8]>> {
    file.build_id()
}

/// The release in `linux_banner`: `Linux version 6.1.0-53-cloud-amd64 (...`,
/// of a parsed vmlinux; `None` when it has no such symbol.
pub fn release(file: &ElfFile64<'_, object::Endianness>) -> Option<String> {
    let address = banner_address(file)?;
    let section = file
        .sections()
        .find(|s| s.address() <= address && address < s.address().saturating_add(s.size()))?;
    let data = section.data().ok()?;
    let text = data.get(usize::try_from(address - section.address()).ok()?..)?;
    let text = text.get(..text.iter().position(|&b| b == 0)?)?;
    std::str::from_utf8(text)
        .ok()?
        .strip_prefix("Linux version ")?
        .split_whitespace()
        .next()
        .map(str::to_owned)
}

/// The address of `linux_banner`.
///
/// Its name is looked for in `.strtab` first (one fast substring search),
/// so that symbols are then told apart by their name offset alone instead
/// of reading some 200,000 names. A table that stores the name only as the
/// tail of a longer one falls back to comparing every name.
fn banner_address(file: &ElfFile64<'_, object::Endianness>) -> Option<u64> {
    let endian = file.endian();
    let strtab = file.section_by_name(".strtab").and_then(|s| s.data().ok());
    if let Some(at) = strtab.and_then(|t| memchr::memmem::find(t, b"\0linux_banner\0")) {
        let offset = u32::try_from(at + 1).ok()?;
        let found = file
            .elf_symbol_table()
            .symbols()
            .iter()
            .find(|s| s.st_name(endian) == offset && !s.is_undefined(endian));
        if let Some(symbol) = found {
            return Some(symbol.st_value(endian));
        }
    }
    file.symbols()
        .find(|s| s.name_bytes() == Ok(b"linux_banner") && s.section_index().is_some())
        .map(|s| s.address())
}

/// What the first bytes of an ELF file tell before the rest has arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Head {
    /// Too few bytes yet to tell more.
    NeedMore,
    /// A 64-bit ELF file whose note segments (`PT_NOTE`) lie at these
    /// (offset, size) ranges of the file: the build id is in one of them.
    /// Empty when there are none (a module) or they cannot be found early.
    Notes(Vec<(u64, u64)>),
}

/// Most bytes of a file's start kept to find its program headers.
pub(crate) const HEAD_MAX: usize = 64 * 1024;

/// Check the first bytes of a download: `Err` as soon as they cannot be
/// the start of a 64-bit ELF file.
pub(crate) fn check_head(head: &[u8]) -> std::result::Result<Head, NotElfReason> {
    let magic = b"\x7fELF";
    let known = head.len().min(magic.len());
    if head[..known] != magic[..known] {
        return Err(NotElfReason::NoMagic);
    }
    if head.len() > 4 && head[4] != object::elf::ELFCLASS64.0 {
        return Err(NotElfReason::Not64Bit);
    }
    if head.len() < 64 {
        return Ok(Head::NeedMore);
    }
    let big = head[5] == object::elf::ELFDATA2MSB.0;
    let u16_at = |at: usize| {
        let bytes = [head[at], head[at + 1]];
        u64::from(if big {
            u16::from_be_bytes(bytes)
        } else {
            u16::from_le_bytes(bytes)
        })
    };
    let phoff = read_u64(head, 32, big).unwrap_or(0);
    let (entry, count) = (u16_at(54), u16_at(56));
    let Some(end) = phoff.checked_add(entry * count) else {
        return Ok(Head::Notes(Vec::new()));
    };
    if count == 0 || entry < 56 || end > HEAD_MAX as u64 {
        return Ok(Head::Notes(Vec::new()));
    }
    if end > head.len() as u64 {
        return Ok(Head::NeedMore);
    }
    let notes = (0..count)
        .map(|i| (phoff + i * entry) as usize)
        .filter(|&at| read_u32(head, at, big) == Some(object::elf::PT_NOTE.0))
        .filter_map(|at| Some((read_u64(head, at + 8, big)?, read_u64(head, at + 32, big)?)))
        .collect();
    Ok(Head::Notes(notes))
}

/// The GNU build id among the notes `data` of a note segment, in lower-case hex.
pub(crate) fn build_id_in_notes(data: &[u8], big_endian: bool) -> Option<String> {
    let mut at = 0usize;
    while at + 12 <= data.len() {
        let name_len = read_u32(data, at, big_endian)? as usize;
        let desc_len = read_u32(data, at + 4, big_endian)? as usize;
        let kind = read_u32(data, at + 8, big_endian)?;
        let name_start = at + 12;
        let desc_start = name_start.checked_add(name_len.next_multiple_of(4))?;
        let desc_end = desc_start.checked_add(desc_len)?;
        let name = data.get(name_start..name_start + name_len)?;
        let desc = data.get(desc_start..desc_end)?;
        if kind == object::elf::NT_GNU_BUILD_ID.0 && name == b"GNU\0" {
            return Some(hex::encode(desc));
        }
        at = desc_start.checked_add(desc_len.next_multiple_of(4))?;
    }
    None
}

fn read_u32(data: &[u8], at: usize, big: bool) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(bytes)
    } else {
        u32::from_le_bytes(bytes)
    })
}

fn read_u64(data: &[u8], at: usize, big: bool) -> Option<u64> {
    let bytes = data.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(if big {
        u64::from_be_bytes(bytes)
    } else {
        u64::from_le_bytes(bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../vmlinux-samples/build")
            .join(name)
    }

    #[test]
    fn sample_build_ids_are_read() {
        let ids = read(&sample("samplemod.ko")).unwrap();
        assert_eq!(
            ids.build_id.as_deref(),
            Some("bfb1bebb62dee0a8409a54e06f5072d854965096")
        );
        let ids = read(&sample("vmlinux-dwarf5")).unwrap();
        assert_eq!(ids.build_id.as_deref().map(str::len), Some(40));
        // The sample kernel prints its release but has no linux_banner.
        assert_eq!(ids.release, None);
        assert!(ids.check_release("x", "6.1.0-other").is_ok());
    }

    #[test]
    fn release_is_read_from_linux_banner() {
        // A linked executable with a `linux_banner`, built now by gcc; the
        // release is the word after "Linux version ".
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("banner.c");
        std::fs::write(
            &source,
            "const char linux_banner[] = \"Linux version 6.1.0-kresym-test (gcc) #1 SMP\\n\";\n\
             const char not_the_banner[] = \"Linux version 9.9.9-wrong\";\n\
             void _start(void) {}\n",
        )
        .unwrap();
        let binary = dir.path().join("banner");
        let built = std::process::Command::new("gcc")
            .args(["-nostdlib", "-static", "-o"])
            .arg(&binary)
            .arg(&source)
            .status()
            .is_ok_and(|s| s.success());
        if !kresym_test_support::require(built, "`gcc -nostdlib -static`") {
            return;
        }
        let ids = read(&binary).unwrap();
        assert_eq!(ids.release.as_deref(), Some("6.1.0-kresym-test"));
    }

    #[test]
    fn mismatches_name_both_sides() {
        let ids = ElfIds {
            build_id: Some("aaaa".into()),
            release: Some("6.1.0-a".into()),
        };
        let error = ids.check_build_id("f", "bbbb").unwrap_err().to_string();
        assert!(error.contains("aaaa") && error.contains("bbbb"), "{error}");
        let error = ids.check_release("f", "6.1.0-b").unwrap_err().to_string();
        assert!(
            error.contains("6.1.0-a") && error.contains("6.1.0-b"),
            "{error}"
        );
        assert!(read(Path::new("/nonexistent/vmlinux")).is_err());
        assert!(parse("junk", b"<html>not found</html>").is_err());
    }

    #[test]
    fn the_head_of_a_file_tells_early() {
        assert_eq!(check_head(b""), Ok(Head::NeedMore));
        assert_eq!(check_head(b"\x7fEL"), Ok(Head::NeedMore));
        assert!(check_head(b"<").is_err());
        assert!(check_head(b"\x7fELF\x01").is_err());
        let vmlinux = std::fs::read(sample("vmlinux-dwarf5")).unwrap();
        let Ok(Head::Notes(notes)) = check_head(&vmlinux[..HEAD_MAX.min(vmlinux.len())]) else {
            panic!("no notes found");
        };
        let wanted = read(&sample("vmlinux-dwarf5")).unwrap().build_id;
        let found = notes.iter().find_map(|&(offset, size)| {
            build_id_in_notes(&vmlinux[offset as usize..][..size as usize], false)
        });
        assert_eq!(found, wanted);
        let module = std::fs::read(sample("samplemod.ko")).unwrap();
        assert_eq!(check_head(&module), Ok(Head::Notes(Vec::new())));
    }
}
