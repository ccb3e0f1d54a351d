//! Config files as Kafka Connect reads them, one implementation for connect-worker and
//! connectctl: Java properties ([`properties`]) and connector JSON files ([`connector_json`]),
//! plus a size-capped file reader so `-f /dev/zero` ends with an error instead of eating memory.

pub mod connector_json;
pub mod properties;

use std::io::Read;
use std::path::Path;

/// The most a config file may hold. Real connector configs are a few kilobytes; anything near
/// this is the wrong file (a device, a dump, a binary).
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Why a config file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is larger than {limit} bytes: a connector or worker config is a few kilobytes; \
         check that this is the right file"
    )]
    TooLarge { path: String, limit: u64 },
    #[error("{path} is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { path: String, offset: usize },
}

/// Reads at most `limit` bytes from `reader` as UTF-8 text; more is an error, so an endless
/// source (`/dev/zero`, a pipe that never closes its end) fails as soon as it passes the limit.
pub fn read_capped(reader: impl Read, what: &str, limit: u64) -> Result<String, ReadError> {
    let mut buf = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|source| ReadError::Io {
            path: what.to_owned(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: what.to_owned(),
            limit,
        });
    }
    String::from_utf8(buf).map_err(|e| ReadError::NotUtf8 {
        path: what.to_owned(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// [`read_capped`] on a file with [`MAX_FILE_BYTES`].
pub fn read_file(path: &Path) -> Result<String, ReadError> {
    let what = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: what.clone(),
        source,
    })?;
    read_capped(file, &what, MAX_FILE_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_endless_input() {
        let zeros = std::io::repeat(0);
        let err = read_capped(zeros, "/dev/zero", 1024).unwrap_err();
        assert!(
            matches!(err, ReadError::TooLarge { limit: 1024, .. }),
            "{err}"
        );
        assert_eq!(read_capped(&b"abc"[..], "x", 3).unwrap(), "abc");
        assert!(matches!(
            read_capped(&b"a\xffb"[..], "x", 10),
            Err(ReadError::NotUtf8 { offset: 1, .. })
        ));
    }
}
