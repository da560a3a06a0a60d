//! The MNIST IDX files, gzipped or raw, read with errors that say what is wrong.
//!
//! IDX layout: a big-endian u32 magic (0x00000803 for images, 0x00000801 for
//! labels), one big-endian u32 per dimension, then the u8 payload, row-major.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use crate::autoencoder::{IMAGE_LEN, IMAGE_SIDE};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
/// Above MNIST's 60,000, low enough that no file this reader accepts tops
/// 80 MB decoded.
const MAX_COUNT: usize = 100_000;
/// The largest file read from disk: a raw IDX file of `MAX_COUNT` images and
/// its header. Bounds a read of a device or a wrong path, too.
const MAX_FILE_LEN: u64 = (16 + MAX_COUNT * IMAGE_LEN) as u64;
/// DEFLATE's best case is about 1032 output bytes per input byte, so a gzip
/// file cannot hold more than this many times its own size.
const MAX_GZIP_RATIO: usize = 1032;
/// Payloads are read in pieces of this size and joined at the end, so memory
/// follows what the stream really holds, not what its header claims.
const READ_PIECE: usize = 1 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MnistError {
    #[error("{file}: not a valid gzip stream ({reason})")]
    Gzip { file: String, reason: String },
    #[error("{file}: wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({what} file)")]
    BadMagic {
        file: String,
        found: u32,
        expected: u32,
        what: &'static str,
    },
    #[error("{file}: header is {found} bytes, an IDX {what} header needs {needed}")]
    ShortHeader {
        file: String,
        found: usize,
        needed: usize,
        what: &'static str,
    },
    #[error("{file}: images are {rows}x{cols}, expected 28x28")]
    BadImageSize { file: String, rows: u32, cols: u32 },
    #[error("{file}: header claims {count} items, more than the {MAX_COUNT} this reader accepts")]
    TooMany { file: String, count: usize },
    #[error("{file}: truncated payload: header promises {expected} bytes, file holds {found}")]
    Truncated {
        file: String,
        expected: usize,
        found: usize,
    },
    #[error(
        "{file}: header claims {expected} bytes of {what}, more than a {compressed}-byte gzip file can hold"
    )]
    Implausible {
        file: String,
        expected: usize,
        compressed: usize,
        what: &'static str,
    },
    #[error("{file}: unexpected bytes after the {expected}-byte payload the header declares")]
    TrailingBytes { file: String, expected: usize },
    #[error("{file}: holds no {what}; a data set needs at least one image")]
    Empty { file: String, what: &'static str },
    #[error("{file}: label {label} at index {index} is not a digit 0-9")]
    BadLabel {
        file: String,
        index: usize,
        label: u8,
    },
    #[error("count mismatch: {images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
}

/// A set of MNIST digits: pixels 0-255 and their labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnistSet {
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

/// Which of the two standard sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    /// "train" or "test", as messages and the browser API spell it.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }

    /// The standard file names, gzipped.
    pub fn file_names(self) -> (&'static str, &'static str) {
        match self {
            Split::Train => ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
            Split::Test => ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
        }
    }
}

impl MnistSet {
    /// Parses an images file and a labels file (each gzipped or raw IDX).
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self, MnistError> {
        Self::from_named_idx(("images", images), ("labels", labels))
    }

    /// As [`from_idx`](Self::from_idx), naming the files in errors.
    pub fn from_named_idx(
        (images_name, images): (&str, &[u8]),
        (labels_name, labels): (&str, &[u8]),
    ) -> Result<Self, MnistError> {
        let pixels = read_idx(images_name, images, IdxKind::Images)?;
        let labels = read_idx(labels_name, labels, IdxKind::Labels)?;
        let image_count = pixels.len() / IMAGE_LEN;
        if image_count == 0 {
            return Err(MnistError::Empty {
                file: images_name.to_string(),
                what: "images",
            });
        }
        if image_count != labels.len() {
            return Err(MnistError::CountMismatch {
                images: image_count,
                labels: labels.len(),
            });
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, l)| **l > 9) {
            return Err(MnistError::BadLabel {
                file: labels_name.to_string(),
                index,
                label,
            });
        }
        Ok(Self { pixels, labels })
    }

    /// Reads a split's two standard gzipped files from `dir`.
    pub fn load(dir: &std::path::Path, split: Split) -> Result<Self, MnistError> {
        let (images_name, labels_name) = split.file_names();
        let read = |name: &str| {
            let path = dir.join(name);
            let io_error = |reason: String| MnistError::Io {
                path: path.display().to_string(),
                reason,
            };
            let mut bytes = Vec::new();
            std::fs::File::open(&path)
                .and_then(|file| file.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes))
                .map_err(|err| io_error(err.to_string()))?;
            if bytes.len() as u64 > MAX_FILE_LEN {
                return Err(io_error(format!(
                    "larger than the {MAX_FILE_LEN} bytes an MNIST file can be"
                )));
            }
            Ok(bytes)
        };
        let (images, labels) = (read(images_name)?, read(labels_name)?);
        Self::from_named_idx((images_name, &images), (labels_name, &labels))
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    /// One image's raw pixels, 0-255, row-major.
    pub fn pixels(&self, index: usize) -> &[u8] {
        &self.pixels[index * IMAGE_LEN..(index + 1) * IMAGE_LEN]
    }

    /// The images at `indices` as intensities in `[0, 1]`, back to back:
    /// ready for a `[batch, 1, 28, 28]` tensor.
    pub fn batch(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * IMAGE_LEN);
        for &index in indices {
            out.extend(self.pixels(index).iter().map(|&p| p as f32 / 255.0));
        }
        out
    }

    /// The first `count` images (or all), as a smaller set; empty for 0,
    /// which callers must refuse before training.
    pub fn take(&self, count: usize) -> Self {
        let count = count.min(self.len());
        Self {
            pixels: self.pixels[..count * IMAGE_LEN].to_vec(),
            labels: self.labels[..count].to_vec(),
        }
    }
}

impl std::str::FromStr for Split {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "train" => Ok(Split::Train),
            "test" => Ok(Split::Test),
            other => Err(format!("unknown MNIST split '{other}' (train or test)")),
        }
    }
}

#[derive(Clone, Copy)]
enum IdxKind {
    Images,
    Labels,
}

impl IdxKind {
    fn magic(self) -> u32 {
        match self {
            IdxKind::Images => IMAGES_MAGIC,
            IdxKind::Labels => LABELS_MAGIC,
        }
    }

    fn header_len(self) -> usize {
        match self {
            IdxKind::Images => 16,
            IdxKind::Labels => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            IdxKind::Images => "images",
            IdxKind::Labels => "labels",
        }
    }
}

fn read_idx(file: &str, bytes: &[u8], kind: IdxKind) -> Result<Vec<u8>, MnistError> {
    let is_gzip = bytes.starts_with(&[0x1f, 0x8b]);
    // Every member of a gzip file, so that a second one is read (and then
    // refused as trailing bytes) rather than silently ignored.
    let mut reader: Box<dyn Read + '_> = if is_gzip {
        Box::new(MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    };
    let gzip_error = |err: std::io::Error| MnistError::Gzip {
        file: file.to_string(),
        reason: err.to_string(),
    };

    let mut header = vec![0u8; kind.header_len()];
    let got = read_up_to(&mut reader, &mut header).map_err(gzip_error)?;
    // With the magic readable, a wrong one is the more useful fact to report.
    if got >= 4 && be_u32(&header, 0) != kind.magic() {
        return Err(MnistError::BadMagic {
            file: file.to_string(),
            found: be_u32(&header, 0),
            expected: kind.magic(),
            what: kind.name(),
        });
    }
    if got < header.len() {
        return Err(MnistError::ShortHeader {
            file: file.to_string(),
            found: got,
            needed: header.len(),
            what: kind.name(),
        });
    }

    let count = usize::try_from(be_u32(&header, 4)).unwrap_or(usize::MAX);
    if count > MAX_COUNT {
        return Err(MnistError::TooMany {
            file: file.to_string(),
            count,
        });
    }
    let item_len = match kind {
        IdxKind::Images => {
            let (rows, cols) = (be_u32(&header, 8), be_u32(&header, 12));
            if rows as usize != IMAGE_SIDE || cols as usize != IMAGE_SIDE {
                return Err(MnistError::BadImageSize {
                    file: file.to_string(),
                    rows,
                    cols,
                });
            }
            IMAGE_LEN
        }
        IdxKind::Labels => 1,
    };

    // At most 784 million, which fits a 32-bit usize; checked all the same.
    let expected = count.checked_mul(item_len).ok_or(MnistError::TooMany {
        file: file.to_string(),
        count,
    })?;
    let body = bytes.len().saturating_sub(kind.header_len());
    if !is_gzip && expected > body {
        return Err(MnistError::Truncated {
            file: file.to_string(),
            expected,
            found: body,
        });
    }
    let compressed = bytes.len();
    if is_gzip && expected / MAX_GZIP_RATIO > compressed {
        return Err(MnistError::Implausible {
            file: file.to_string(),
            expected,
            compressed,
            what: kind.name(),
        });
    }

    let payload = read_payload(&mut reader, expected).map_err(gzip_error)?;
    if payload.len() < expected {
        return Err(MnistError::Truncated {
            file: file.to_string(),
            expected,
            found: payload.len(),
        });
    }
    // One byte is enough to know; reading on could decompress without end.
    let mut probe = [0u8; 1];
    if read_up_to(&mut reader, &mut probe).map_err(gzip_error)? > 0 {
        return Err(MnistError::TrailingBytes {
            file: file.to_string(),
            expected,
        });
    }
    Ok(payload)
}

/// Reads up to `limit` bytes in pieces, so a header that promises more than
/// the stream holds costs no more memory than the stream itself: the peak is
/// about twice what was really read (the pieces, then their join).
fn read_payload(reader: &mut dyn Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut pieces = Vec::new();
    let mut left = limit;
    while left > 0 {
        let want = left.min(READ_PIECE);
        let mut piece = vec![0u8; want];
        let filled = read_up_to(reader, &mut piece)?;
        piece.truncate(filled);
        pieces.push(piece);
        if filled < want {
            break;
        }
        left -= want;
    }
    Ok(if pieces.len() == 1 {
        pieces.pop().unwrap_or_default()
    } else {
        pieces.concat()
    })
}

/// Fills as much of `buf` as the stream holds; a short count means end of stream.
fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx_images(count: u32, rows: u32, cols: u32, payload: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [IMAGES_MAGIC, count, rows, cols] {
            bytes.extend(word.to_be_bytes());
        }
        bytes.extend(payload);
        bytes
    }

    fn idx_labels(labels: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend(LABELS_MAGIC.to_be_bytes());
        bytes.extend((labels.len() as u32).to_be_bytes());
        bytes.extend(labels);
        bytes
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn two_images() -> Vec<u8> {
        (0..2 * IMAGE_LEN).map(|i| (i % 256) as u8).collect()
    }

    #[test]
    fn reads_gzipped_and_raw_files_alike() {
        let images = idx_images(2, 28, 28, &two_images());
        let labels = idx_labels(&[3, 9]);
        let raw = MnistSet::from_idx(&images, &labels).unwrap();
        let gz = MnistSet::from_idx(&gzip(&images), &gzip(&labels)).unwrap();
        assert_eq!(raw, gz);
        assert_eq!(raw.len(), 2);
        assert_eq!(raw.label(1), 9);
        assert_eq!(raw.pixels(1)[0], (IMAGE_LEN % 256) as u8);
        let batch = raw.batch(&[1, 0]);
        assert_eq!(batch.len(), 2 * IMAGE_LEN);
        assert_eq!(batch[IMAGE_LEN + 255], 1.0);
    }

    #[test]
    fn rejects_wrong_magic_with_both_numbers() {
        let labels = idx_labels(&[1]);
        let err = MnistSet::from_idx(&labels, &labels).unwrap_err();
        assert!(
            matches!(
                err,
                MnistError::BadMagic {
                    found: LABELS_MAGIC,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("0x00000801"));
        assert!(err.to_string().contains("0x00000803"));
    }

    #[test]
    fn rejects_truncated_payload_raw_and_gzipped() {
        let mut images = idx_images(2, 28, 28, &two_images());
        images.truncate(images.len() - 100);
        let labels = idx_labels(&[0, 1]);
        for bytes in [images.clone(), gzip(&images)] {
            let err = MnistSet::from_idx(&bytes, &labels).unwrap_err();
            assert_eq!(
                err,
                MnistError::Truncated {
                    file: "images".into(),
                    expected: 2 * IMAGE_LEN,
                    found: 2 * IMAGE_LEN - 100
                }
            );
        }
    }

    #[test]
    fn rejects_a_cut_gzip_stream_without_panicking() {
        let images = gzip(&idx_images(2, 28, 28, &two_images()));
        let cut = &images[..images.len() / 2];
        let err = MnistSet::from_idx(cut, &gzip(&idx_labels(&[0, 1]))).unwrap_err();
        assert!(
            matches!(err, MnistError::Gzip { .. } | MnistError::Truncated { .. }),
            "{err}"
        );
    }

    #[test]
    fn rejects_count_mismatch_bad_labels_sizes_and_trailing_bytes() {
        let images = idx_images(2, 28, 28, &two_images());
        assert_eq!(
            MnistSet::from_idx(&images, &idx_labels(&[1, 2, 3])).unwrap_err(),
            MnistError::CountMismatch {
                images: 2,
                labels: 3
            }
        );
        assert!(matches!(
            MnistSet::from_idx(&images, &idx_labels(&[1, 12])).unwrap_err(),
            MnistError::BadLabel {
                index: 1,
                label: 12,
                ..
            }
        ));
        let wrong_size = idx_images(2, 32, 32, &[0; 2 * 32 * 32]);
        assert!(matches!(
            MnistSet::from_idx(&wrong_size, &idx_labels(&[1, 2])).unwrap_err(),
            MnistError::BadImageSize {
                rows: 32,
                cols: 32,
                ..
            }
        ));
        let mut long = images.clone();
        long.extend([0; 5]);
        assert!(matches!(
            MnistSet::from_idx(&long, &idx_labels(&[1, 2])).unwrap_err(),
            MnistError::TrailingBytes { expected: 1568, .. }
        ));
        assert!(matches!(
            MnistSet::from_idx(&images[..10], &idx_labels(&[1, 2])).unwrap_err(),
            MnistError::ShortHeader { found: 10, .. }
        ));
        assert!(matches!(
            MnistSet::from_idx(&idx_images(u32::MAX, 28, 28, &[]), &idx_labels(&[])).unwrap_err(),
            MnistError::TooMany { .. }
        ));
    }

    #[test]
    fn refuses_extra_gzip_members_garbage_empty_sets_and_implausible_sizes() {
        let images = idx_images(2, 28, 28, &two_images());
        let labels = gzip(&idx_labels(&[1, 2]));
        let mut two_members = gzip(&images);
        two_members.extend(gzip(b"more"));
        assert!(matches!(
            MnistSet::from_idx(&two_members, &labels).unwrap_err(),
            MnistError::TrailingBytes { .. }
        ));
        let mut garbage = gzip(&images);
        garbage.extend(b"not gzip");
        assert!(matches!(
            MnistSet::from_idx(&garbage, &labels).unwrap_err(),
            MnistError::Gzip { .. }
        ));
        let err = MnistSet::from_idx(&idx_images(0, 28, 28, &[]), &idx_labels(&[])).unwrap_err();
        assert!(matches!(err, MnistError::Empty { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "images: holds no images; a data set needs at least one image"
        );
        // A hundred thousand images claimed by a 100-byte gzip file.
        let bomb = gzip(&idx_images(100_000, 28, 28, &[0; 40]));
        let err = MnistSet::from_idx(&bomb, &labels).unwrap_err();
        assert!(matches!(err, MnistError::Implausible { .. }), "{err}");
        // Claimed sizes a gzip file could hold, but does not.
        let noisy: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let short = gzip(&idx_images(1_000, 28, 28, &noisy));
        assert!(matches!(
            MnistSet::from_idx(&short, &labels).unwrap_err(),
            MnistError::Truncated {
                expected: 784_000,
                found: 100_000,
                ..
            }
        ));
    }

    #[test]
    fn reads_the_shipped_test_set() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/mnist");
        let test = MnistSet::load(&dir, Split::Test).unwrap();
        assert_eq!(test.len(), 10_000);
        let mut counts = [0usize; 10];
        for i in 0..test.len() {
            counts[test.label(i) as usize] += 1;
        }
        // The published label counts of the t10k set.
        assert_eq!(
            counts,
            [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
        );
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let err = MnistSet::load(std::path::Path::new("/nonexistent"), Split::Test).unwrap_err();
        assert!(
            err.to_string()
                .contains("/nonexistent/t10k-images-idx3-ubyte.gz"),
            "{err}"
        );
    }
}
