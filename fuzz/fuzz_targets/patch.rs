//! Damage a sample file as a fuzz input says: shared by the `elf` and
//! `index` targets.

/// `base` truncated to `truncate` (little endian, modulo its length; 0 for
/// no truncation), then patched by each 5-byte chunk of `patches`: a 4-byte
/// little-endian offset (modulo the length) and a byte XORed there.
pub fn patched(base: &[u8], truncate: [u8; 4], patches: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    let truncate = u32::from_le_bytes(truncate) as usize;
    if truncate != 0 && !bytes.is_empty() {
        bytes.truncate(truncate % bytes.len());
    }
    for patch in patches.chunks_exact(5) {
        if bytes.is_empty() {
            break;
        }
        let offset = u32::from_le_bytes([patch[0], patch[1], patch[2], patch[3]]) as usize;
        let len = bytes.len();
        bytes[offset % len] ^= patch[4];
    }
    bytes
}
