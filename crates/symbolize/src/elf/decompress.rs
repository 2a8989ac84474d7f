//! Bounded decompression of compressed modules (`.ko.xz`, `.ko.zst`) and
//! compressed debug sections (`SHF_COMPRESSED`, `.zdebug_*`).
//!
//! A compressed file is hostile input: 100 KB of zstd can claim or hold
//! gigabytes of zeros, and a section header can claim any size. So nothing
//! is ever allocated from a claimed size, decompression streams through a
//! limit, and the limit is what the compressed bytes can plausibly hold:
//! [`DecompressionLimits::ratio`] times their size (but at least
//! [`DecompressionLimits::floor`]), and never more than
//! [`DecompressionLimits::max_bytes`]. Going past it fails, naming the file
//! and the section.
//!
//! The defaults (ratio 64, floor 64 MiB, at most 4 GiB) hold every module
//! and debug section of Debian's kernel packages with a wide margin. The
//! environment overrides them: `KRESYM_DECOMPRESS_RATIO` (a number) and
//! `KRESYM_DECOMPRESS_MAX` (bytes, or with a `K`, `M` or `G` suffix).

use std::io::Read;
use std::sync::OnceLock;

/// How far a compressed file or section may expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressionLimits {
    /// Most decompressed bytes per compressed byte.
    pub ratio: u64,
    /// What any compressed input may expand to, whatever its size (capped by
    /// [`DecompressionLimits::max_bytes`]).
    pub floor: u64,
    /// Most decompressed bytes of any one file or section.
    pub max_bytes: u64,
}

impl Default for DecompressionLimits {
    fn default() -> Self {
        DecompressionLimits {
            ratio: 64,
            floor: 64 << 20,
            max_bytes: 4 << 30,
        }
    }
}

impl DecompressionLimits {
    /// The defaults, overridden by `KRESYM_DECOMPRESS_RATIO` and
    /// `KRESYM_DECOMPRESS_MAX` when set to valid values; read once.
    pub fn from_env() -> DecompressionLimits {
        static LIMITS: OnceLock<DecompressionLimits> = OnceLock::new();
        *LIMITS.get_or_init(|| Self::from_vars(|name| std::env::var(name).ok()))
    }

    /// Like [`DecompressionLimits::from_env`], reading variables through `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> DecompressionLimits {
        let mut limits = DecompressionLimits::default();
        if let Some(ratio) = var("KRESYM_DECOMPRESS_RATIO").and_then(|v| v.trim().parse().ok()) {
            limits.ratio = ratio;
        }
        if let Some(max) = var("KRESYM_DECOMPRESS_MAX").and_then(|v| parse_size(&v)) {
            limits.max_bytes = max;
        }
        limits
    }

    /// The most bytes `compressed` bytes may expand to.
    pub fn limit_for(&self, compressed: u64) -> u64 {
        self.ratio
            .saturating_mul(compressed)
            .max(self.floor)
            .min(self.max_bytes)
    }
}

/// `123`, `64K`, `512M`, `4G` (powers of 1024).
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, shift) = match text.char_indices().last()? {
        (at, 'k' | 'K') => (&text[..at], 10),
        (at, 'm' | 'M') => (&text[..at], 20),
        (at, 'g' | 'G') => (&text[..at], 30),
        _ => (text, 0),
    };
    digits.trim().parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Why compressed data could not be used; `what` names the data (`file
/// x.ko.zst`, `section .debug_info`).
#[derive(Debug, thiserror::Error)]
pub enum DecompressError {
    /// The data is not valid in its compression format.
    #[error("cannot decompress {what}: {error}")]
    Corrupt {
        /// What was decompressed.
        what: String,
        /// The decoder's error.
        error: Box<dyn std::error::Error + Send + Sync>,
    },
    /// It expands, or claims to expand, past its limit.
    #[error(
        "{what} {} {limit} bytes, the most {compressed} compressed bytes may hold \
         (KRESYM_DECOMPRESS_RATIO, KRESYM_DECOMPRESS_MAX): refusing it as a decompression bomb",
        if *.claimed { "claims to hold" } else { "expands to more than" }
    )]
    Bomb {
        /// What was decompressed.
        what: String,
        /// Whether its header claimed that much (rather than it expanding so far).
        claimed: bool,
        /// The limit, in bytes.
        limit: u64,
        /// Its compressed size, in bytes.
        compressed: u64,
    },
    /// A section compressed in a format kresym does not read.
    #[error("{what} is compressed with {format:?}, unsupported")]
    Unsupported {
        /// What was decompressed.
        what: String,
        /// Its format.
        format: object::CompressionFormat,
    },
    /// A section that decompresses to another size than its header says.
    #[error(
        "{what} claims {claimed} bytes but decompresses to {found}{}",
        if *.found as u64 > *.claimed { " or more" } else { "" }
    )]
    WrongSize {
        /// What was decompressed.
        what: String,
        /// The size its header claims.
        claimed: u64,
        /// The bytes found (at most one more than claimed).
        found: usize,
    },
}

impl DecompressError {
    fn corrupt(what: &str, error: impl std::error::Error + Send + Sync + 'static) -> Self {
        DecompressError::Corrupt {
            what: what.to_owned(),
            error: Box::new(error),
        }
    }

    fn bomb(what: &str, compressed: u64, claimed: bool, limit: u64) -> Self {
        DecompressError::Bomb {
            what: what.to_owned(),
            claimed,
            limit,
            compressed,
        }
    }
}

/// Read all of `decoder` (the decompressed stream of `compressed` bytes of
/// `what`), failing past the limit instead of growing without end.
pub(crate) fn read_bounded(
    decoder: impl Read,
    compressed: u64,
    limits: &DecompressionLimits,
    what: &str,
) -> Result<Vec<u8>, DecompressError> {
    let limit = limits.limit_for(compressed);
    let mut out = Vec::new();
    decoder
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| DecompressError::corrupt(what, e))?;
    if out.len() as u64 > limit {
        return Err(DecompressError::bomb(what, compressed, false, limit));
    }
    Ok(out)
}

/// Decompress the xz file `input` (`what`), failing past the limit.
pub(crate) fn xz(
    input: &[u8],
    limits: &DecompressionLimits,
    what: &str,
) -> Result<Vec<u8>, DecompressError> {
    let compressed = input.len() as u64;
    let mut out = BoundedWriter {
        out: Vec::new(),
        limit: limits.limit_for(compressed),
    };
    match lzma_rs::xz_decompress(&mut &input[..], &mut out) {
        Ok(()) => Ok(out.out),
        Err(_) if out.out.len() as u64 >= out.limit => {
            Err(DecompressError::bomb(what, compressed, false, out.limit))
        }
        Err(e) => Err(DecompressError::corrupt(what, e)),
    }
}

/// A `Vec` writer that refuses to grow past `limit` bytes.
struct BoundedWriter {
    out: Vec<u8>,
    limit: u64,
}

impl std::io::Write for BoundedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.limit.saturating_sub(self.out.len() as u64);
        if room == 0 && !buf.is_empty() {
            return Err(std::io::Error::other("decompression limit reached"));
        }
        let n = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The contents of a debug section, decompressed within the limits when it
/// is compressed; `name` names it in errors.
pub(crate) fn section_data<'data>(
    compressed: object::CompressedData<'data>,
    limits: &DecompressionLimits,
    name: &str,
) -> Result<std::borrow::Cow<'data, [u8]>, DecompressError> {
    use object::CompressionFormat;
    let packed = compressed.data.len() as u64;
    let what = format!("section {name}");
    let claimed = compressed.uncompressed_size;
    let decoder: Box<dyn Read + 'data> = match compressed.format {
        CompressionFormat::None => return Ok(compressed.data.into()),
        CompressionFormat::Zlib => Box::new(flate2::read::ZlibDecoder::new(compressed.data)),
        CompressionFormat::Zstandard => Box::new(
            ruzstd::decoding::StreamingDecoder::new(compressed.data)
                .map_err(|e| DecompressError::corrupt(&what, e))?,
        ),
        format => return Err(DecompressError::Unsupported { what, format }),
    };
    let limit = limits.limit_for(packed);
    if claimed > limit {
        return Err(DecompressError::bomb(&what, packed, true, limit));
    }
    // Read at most one byte more than claimed: never allocated up front.
    let mut data = Vec::new();
    decoder
        .take(claimed.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(|e| DecompressError::corrupt(&what, e))?;
    if data.len() as u64 != claimed {
        return Err(DecompressError::WrongSize {
            what,
            claimed,
            found: data.len(),
        });
    }
    Ok(data.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_scale_with_the_compressed_size_within_floor_and_cap() {
        let limits = DecompressionLimits::default();
        assert_eq!(limits.limit_for(0), 64 << 20);
        assert_eq!(limits.limit_for(10 << 20), 640 << 20);
        assert_eq!(limits.limit_for(1 << 30), 4 << 30);
        assert_eq!(limits.limit_for(u64::MAX), 4 << 30);
    }

    #[test]
    fn limits_come_from_the_environment() {
        let vars = |ratio: &'static str, max: &'static str| {
            move |name: &str| match name {
                "KRESYM_DECOMPRESS_RATIO" => Some(ratio.to_owned()),
                "KRESYM_DECOMPRESS_MAX" => Some(max.to_owned()),
                _ => None,
            }
        };
        let limits = DecompressionLimits::from_vars(vars("10", "512M"));
        assert_eq!((limits.ratio, limits.max_bytes), (10, 512 << 20));
        let limits = DecompressionLimits::from_vars(vars(" 3 ", "2g"));
        assert_eq!((limits.ratio, limits.max_bytes), (3, 2 << 30));
        let limits = DecompressionLimits::from_vars(vars("x", "12Q"));
        assert_eq!(limits, DecompressionLimits::default());
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("99999999999G"), None);
    }

    #[test]
    fn reading_stops_at_the_limit() {
        let limits = DecompressionLimits {
            ratio: 2,
            floor: 0,
            max_bytes: 1000,
        };
        let endless = std::io::repeat(0);
        let error = read_bounded(endless, 100, &limits, "file x.ko.zst")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("x.ko.zst") && error.contains("200 bytes"),
            "{error}"
        );
        let fits = read_bounded(&[1u8; 200][..], 100, &limits, "y").unwrap();
        assert_eq!(fits.len(), 200);
    }
}
