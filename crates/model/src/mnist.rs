//! The MNIST IDX files, gzipped or raw, read with errors that say what is wrong.
//!
//! IDX layout: a big-endian u32 magic (0x00000803 for images, 0x00000801 for
//! labels), one big-endian u32 per dimension, then the u8 payload, row-major.

use std::io::Read;

use flate2::read::GzDecoder;

use crate::autoencoder::{IMAGE_LEN, IMAGE_SIDE};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
/// Far above MNIST's 60,000, low enough that a corrupt count cannot make us
/// allocate gigabytes.
const MAX_COUNT: usize = 1_000_000;

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
    #[error("{file}: {extra} unexpected bytes after the payload")]
    TrailingBytes { file: String, extra: usize },
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
            std::fs::read(&path).map_err(|err| MnistError::Io {
                path: path.display().to_string(),
                reason: err.to_string(),
            })
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

    /// The first `count` images (or all), as a smaller set.
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
    let mut reader: Box<dyn Read + '_> = if is_gzip {
        Box::new(GzDecoder::new(bytes))
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

    let count = be_u32(&header, 4) as usize;
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

    let expected = count * item_len;
    let mut payload = vec![0u8; expected];
    let found = read_up_to(&mut reader, &mut payload).map_err(gzip_error)?;
    if found < expected {
        return Err(MnistError::Truncated {
            file: file.to_string(),
            expected,
            found,
        });
    }
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).map_err(gzip_error)?;
    if !rest.is_empty() {
        return Err(MnistError::TrailingBytes {
            file: file.to_string(),
            extra: rest.len(),
        });
    }
    Ok(payload)
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
            MnistError::TrailingBytes { extra: 5, .. }
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
