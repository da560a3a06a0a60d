//! The frame Checkerlab's binary files share: an 8-byte magic, a format
//! version, length-prefixed sections and a CRC-32 of everything before it.
//!
//! ```text
//! offset  size  field
//! 0       8     magic
//! 8       2     format version, u16 little-endian
//! 10      4     length L1 of section 1, u32 LE
//! 14      L1    section 1
//! ...           the same for each further section
//! end-4   4     CRC-32 of every byte before it
//! ```
//!
//! The checksum turns a flipped bit into a clear error instead of a model
//! that loads and draws noise. Each file type maps [`FrameError`] to its own
//! errors, which name the file type.

/// What is wrong with a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// It does not start with the magic.
    Foreign,
    UnsupportedVersion {
        found: u16,
    },
    TooLarge {
        found: usize,
    },
    Truncated {
        needed: u64,
        found: usize,
    },
    TrailingBytes {
        declared: u64,
        extra: u64,
    },
    Corrupt {
        expected: u32,
        found: u32,
    },
}

/// `sections` framed with `magic` and `version`.
pub fn write(magic: &[u8; 8], version: u16, sections: &[&[u8]]) -> Vec<u8> {
    let len = 14 + sections.iter().map(|s| 4 + s.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(magic);
    out.extend_from_slice(&version.to_le_bytes());
    for section in sections {
        out.extend_from_slice(&(section.len() as u32).to_le_bytes());
        out.extend_from_slice(section);
    }
    let checksum = crc32fast::hash(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    out
}

/// The `N` sections of a frame, after checking its magic, size (at most
/// `max_len` bytes), version, lengths and checksum.
pub fn read<'a, const N: usize>(
    bytes: &'a [u8],
    magic: &[u8; 8],
    version: u16,
    max_len: usize,
) -> Result<[&'a [u8]; N], FrameError> {
    if bytes.len() < magic.len() || &bytes[..magic.len()] != magic {
        return Err(FrameError::Foreign);
    }
    if bytes.len() > max_len {
        return Err(FrameError::TooLarge { found: bytes.len() });
    }
    // Offsets in u64: declared u32 lengths plus the fixed fields cannot
    // overflow it, where they could wrap a 32-bit wasm usize.
    let need = |needed: u64| {
        if (bytes.len() as u64) < needed {
            Err(FrameError::Truncated {
                needed,
                found: bytes.len(),
            })
        } else {
            Ok(())
        }
    };
    need(10)?;
    let found = u16::from_le_bytes([bytes[8], bytes[9]]);
    if found != version {
        return Err(FrameError::UnsupportedVersion { found });
    }
    let mut sections = [&bytes[..0]; N];
    let mut at = 10u64;
    for section in &mut sections {
        need(at + 4)?;
        let len = u64::from(le_u32(bytes, at as usize));
        // A section is always followed by 4 bytes: the next length or the checksum.
        need(at + 4 + len + 4)?;
        // Below bytes.len(), so these fit usize.
        *section = &bytes[(at + 4) as usize..(at + 4 + len) as usize];
        at += 4 + len;
    }
    let total = at + 4;
    if total < bytes.len() as u64 {
        return Err(FrameError::TrailingBytes {
            declared: total,
            extra: bytes.len() as u64 - total,
        });
    }
    let (body, checksum) = bytes.split_at(at as usize);
    let expected = le_u32(checksum, 0);
    let found = crc32fast::hash(body);
    if expected != found {
        return Err(FrameError::Corrupt { expected, found });
    }
    Ok(sections)
}

fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}
