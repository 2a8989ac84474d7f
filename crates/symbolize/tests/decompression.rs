//! Decompression bombs: compressed modules and compressed debug sections
//! that expand (or claim to expand) far past what their size can plausibly
//! hold are refused, naming the file and section, without allocating what
//! they claim. Every bomb is generated here, small.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kresym_symbolize::Binary;

/// The built sample kernels.
fn build() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../vmlinux-samples/build")
}

/// Zeros appended to the bombs: past the default limit of a small file
/// (64 MiB), small enough that the old code, which decompressed it all, ran.
const BOMB_ZEROS: u64 = 256 << 20;

/// A zstd frame holding `data` in raw blocks, then `zeros` zero bytes in
/// RLE blocks (4 bytes of frame per 128 KiB of output).
fn zstd_frame(data: &[u8], zeros: u64) -> Vec<u8> {
    const BLOCK: usize = 128 << 10;
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd];
    // Frame header: no checksum, no content size; a 128 KiB window.
    out.extend([0x00, 0x38]);
    let header = |out: &mut Vec<u8>, last: bool, kind: u32, size: usize| {
        let value = u32::from(last) | kind << 1 | (size as u32) << 3;
        out.extend(&value.to_le_bytes()[..3]);
    };
    let mut blocks: Vec<(u32, usize, Option<&[u8]>)> = data
        .chunks(BLOCK)
        .map(|chunk| (0, chunk.len(), Some(chunk)))
        .collect();
    let mut left = zeros;
    while left > 0 {
        let size = left.min(BLOCK as u64) as usize;
        blocks.push((1, size, None));
        left -= size as u64;
    }
    let count = blocks.len();
    for (i, (kind, size, bytes)) in blocks.into_iter().enumerate() {
        header(&mut out, i + 1 == count, kind, size);
        match bytes {
            Some(bytes) => out.extend(bytes),
            None => out.push(0),
        }
    }
    out
}

fn module_bytes() -> Vec<u8> {
    std::fs::read(build().join("samplemod.ko")).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn assert_refused_as_bomb(path: &Path, section: Option<&str>) {
    let error = Binary::open(path).expect_err("a decompression bomb was accepted");
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()) && message.contains("decompression bomb"),
        "{message}"
    );
    if let Some(section) = section {
        assert!(message.contains(section), "{message}");
    }
}

#[test]
fn a_zstd_module_with_gigabytes_of_zeros_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let module = module_bytes();
    // The frame format is right: without the zeros it is the module.
    let honest = write(dir.path(), "samplemod.ko.zst", &zstd_frame(&module, 0));
    let plain = Binary::open(&build().join("samplemod.ko")).unwrap();
    let unpacked = Binary::open(&honest).unwrap();
    assert_eq!(unpacked.build_id(), plain.build_id());
    assert_eq!(unpacked.symbols().len(), plain.symbols().len());

    let bomb = zstd_frame(&module, BOMB_ZEROS);
    assert!(bomb.len() < 20_000, "{}", bomb.len());
    let path = write(dir.path(), "bomb.ko.zst", &bomb);
    assert_refused_as_bomb(&path, None);
}

#[test]
fn an_xz_module_with_gigabytes_of_zeros_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.ko.xz");
    let xz = Command::new("xz")
        .args(["-0", "-T1", "-c"])
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&path).unwrap())
        .spawn();
    let Ok(mut xz) = xz else {
        kresym_test_support::require(false, "`xz`");
        return;
    };
    let mut stdin = xz.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, &module_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..BOMB_ZEROS >> 20 {
        std::io::Write::write_all(&mut stdin, &zeros).unwrap();
    }
    drop(stdin);
    assert!(xz.wait().unwrap().success());
    assert!(std::fs::metadata(&path).unwrap().len() < 200_000);
    assert_refused_as_bomb(&path, None);
}

/// `samplemod.o` compiled with compressed debug sections, if gcc can.
fn compressed_object(dir: &Path) -> Option<PathBuf> {
    let source = write(
        dir,
        "samplemod.c",
        b"static int twice(int x) { return 2 * x; }\nint entry(int x) { return twice(x) + 1; }\n",
    );
    let object = dir.join("samplemod.o");
    let built = Command::new("gcc")
        .args(["-g", "-O1", "-gz=zlib", "-c"])
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .status()
        .is_ok_and(|status| status.success());
    kresym_test_support::require(built, "gcc -gz=zlib").then_some(object)
}

/// The file offset of `name`'s compression header (`Elf64_Chdr`).
fn compression_header(bytes: &[u8], name: &str) -> usize {
    use object::{Object, ObjectSection};
    let file = object::File::parse(bytes).unwrap();
    let section = file.section_by_name(name).unwrap();
    section.file_range().unwrap().0 as usize
}

#[test]
fn a_compressed_section_claiming_gigabytes_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let Some(object) = compressed_object(dir.path()) else {
        return;
    };
    let honest = Binary::open(&object).unwrap();
    assert!(honest.has_dwarf());
    let good = std::fs::read(&object).unwrap();
    let chdr = compression_header(&good, ".debug_info");
    // ch_type 1 is ELFCOMPRESS_ZLIB: the section really is compressed.
    assert_eq!(good[chdr..chdr + 4], [1, 0, 0, 0]);
    for claimed in [2u64 << 30, 8 << 30, 100 << 20] {
        let mut bomb = good.clone();
        bomb[chdr + 8..chdr + 16].copy_from_slice(&claimed.to_le_bytes());
        let path = write(dir.path(), "bomb.o", &bomb);
        assert_refused_as_bomb(&path, Some(".debug_info"));
    }
    // Claiming less than it holds: decoding stops one byte past the claim.
    let mut short = good.clone();
    short[chdr + 8..chdr + 16].copy_from_slice(&3u64.to_le_bytes());
    let path = write(dir.path(), "short.o", &short);
    let message = Binary::open(&path).unwrap_err().to_string();
    assert!(
        message.contains(".debug_info") && message.contains("or more"),
        "{message}"
    );
}
