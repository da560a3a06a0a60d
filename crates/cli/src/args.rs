//! Argument checks shared by the commands, so a bad value is refused with a
//! message before any work starts. The limits are the lab's own.

use checkerlab_model::limits;

/// A batch size from 1 to the lab's limit.
pub fn batch_size(text: &str) -> Result<usize, String> {
    let size: usize = text
        .parse()
        .map_err(|_| format!("'{text}' is not a whole number"))?;
    if !(1..=limits::BATCH_SIZE).contains(&size) {
        return Err(format!(
            "{size} is outside 1 to {} images a batch",
            limits::BATCH_SIZE
        ));
    }
    Ok(size)
}

/// A count of at least 1 (epochs, steps, images).
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(count) => Ok(count),
        Err(_) => Err(format!("'{text}' is not a whole number")),
    }
}

/// A learning rate: finite, above 0, at most the lab's limit (above it
/// Adam and Adadelta only diverge).
pub fn learning_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if !(rate.is_finite() && rate > 0.0 && rate <= limits::LEARNING_RATE) {
        return Err(format!(
            "{rate} is not a learning rate above 0 and at most {}",
            limits::LEARNING_RATE
        ));
    }
    Ok(rate)
}

/// A weights file, read only if its size could be one: the page's and the
/// CLI's files are tens of kilobytes, and a mistaken path to a disk image
/// should not fill memory.
pub fn read_weights_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    use std::io::Read;
    let limit = checkerlab_model::weights::MAX_FILE_LEN;
    let mut bytes = Vec::new();
    // Bounded, since a path to a device or a disk image has no useful size.
    std::fs::File::open(path)
        .and_then(|file| file.take(limit as u64 + 1).read_to_end(&mut bytes))
        .with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() > limit {
        anyhow::bail!(
            "{}: too large for a weights file (at most {limit} bytes)",
            path.display()
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_zero_negative_nan_and_huge_values() {
        assert_eq!(batch_size("64"), Ok(64));
        for bad in ["0", "-1", "513", "x", ""] {
            assert!(batch_size(bad).is_err(), "{bad}");
        }
        assert_eq!(at_least_one("3"), Ok(3));
        assert!(at_least_one("0").is_err());
        assert_eq!(learning_rate("0.001"), Ok(0.001));
        for bad in ["0", "-0.1", "NaN", "inf", "1e9", "rate"] {
            assert!(learning_rate(bad).is_err(), "{bad}");
        }
    }
}
