//! Reading log files: plain or gzip (rotated files such as `connect.log.3.gz`, detected by their
//! magic bytes rather than the name), stdin, in large chunks split on newlines with memchr, and
//! `--follow` on the newest file, reopening it when the worker rotates or truncates it.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use super::parse::parse_header;

/// Bytes read per call; big enough that the per-chunk work vanishes next to the per-line work.
const CHUNK: usize = 1 << 20;

#[derive(Debug, Clone)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub fn from_arg(arg: &str) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::File(PathBuf::from(arg))
        }
    }

    pub fn label(&self) -> String {
        match self {
            Source::Stdin => "stdin".to_owned(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

fn open_file(path: &Path) -> anyhow::Result<File> {
    let f = File::open(path).with_context(|| {
        format!(
            "cannot open log file {}: check the path (the worker writes connect.log under its \
             kafka.logs.dir)",
            path.display()
        )
    })?;
    if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        anyhow::bail!(
            "{} is a directory: name the log files, e.g. {}/connect.log*",
            path.display(),
            path.display()
        );
    }
    Ok(f)
}

/// A reader for `source` that decompresses gzip transparently.
pub fn open(source: &Source) -> anyhow::Result<Box<dyn Read>> {
    let inner: Box<dyn Read> = match source {
        Source::Stdin => Box::new(io::stdin().lock()),
        Source::File(p) => Box::new(open_file(p)?),
    };
    let mut r = BufReader::with_capacity(CHUNK, inner);
    let magic =
        io::BufRead::fill_buf(&mut r).with_context(|| format!("cannot read {}", source.label()))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        // Multi-member: `cat a.gz b.gz` and some rotators write concatenated members.
        Ok(Box::new(flate2::read::MultiGzDecoder::new(r)))
    } else {
        Ok(Box::new(r))
    }
}

/// Calls `f` with every line (without its newline) of `r`; returns the bytes read.
pub fn for_each_line(
    r: &mut dyn Read,
    label: &str,
    mut f: impl FnMut(&[u8]),
) -> anyhow::Result<u64> {
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0;
    let mut total = 0u64;
    loop {
        if filled == buf.len() {
            // One line longer than the buffer: grow rather than split it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match r.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot read {label} (a truncated or corrupt .gz file?)")
                });
            }
        };
        if n == 0 {
            if filled > 0 {
                f(&buf[..filled]);
            }
            return Ok(total);
        }
        total += n as u64;
        filled += n;
        let consumed = split_lines(&buf[..filled], &mut f);
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
    }
}

/// Calls `f` for each complete line of `data`; returns how many bytes the lines took.
fn split_lines(data: &[u8], f: &mut impl FnMut(&[u8])) -> usize {
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', data) {
        f(&data[start..nl]);
        start = nl + 1;
    }
    start
}

/// The timestamp of the first event of a file, to read rotated files oldest first whatever
/// their names (`connect.log.1` is newer than `.2` with log4j's numbering, older with dates).
pub fn first_time(source: &Source) -> Option<Vec<u8>> {
    let Source::File(_) = source else {
        return None;
    };
    let mut r = open(source).ok()?;
    let mut head = vec![0u8; 64 * 1024];
    let mut filled = 0;
    while filled < head.len() {
        match r.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    head[..filled]
        .split(|b| *b == b'\n')
        .find_map(|l| parse_header(l).map(|h| h.time.to_vec()))
}

/// Follows `path` like `tail -F`: calls `f` for each new complete line and `idle` whenever no
/// new data came for one poll interval. Never returns unless reading or `idle` fails.
pub fn follow(
    path: &Path,
    start_at: u64,
    mut f: impl FnMut(&[u8]),
    mut idle: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use std::io::{Seek, SeekFrom};
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt;
    let poll = Duration::from_millis(200);
    let mut file = open_file(path)?;
    file.seek(SeekFrom::Start(start_at))?;
    let mut pos = start_at;
    #[cfg(unix)]
    let mut inode = file.metadata()?.ino();
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n > 0 {
            pos += n as u64;
            pending.extend_from_slice(&buf[..n]);
            let consumed = split_lines(&pending, &mut f);
            pending.drain(..consumed);
            continue;
        }
        idle()?;
        std::thread::sleep(poll);
        // Rotation (a new file at the path) or truncation (copytruncate): start it from the top.
        let Ok(meta) = std::fs::metadata(path) else {
            continue; // between the rename and the new file
        };
        #[cfg(unix)]
        let rotated = meta.ino() != inode;
        #[cfg(not(unix))]
        let rotated = false;
        if rotated || meta.len() < pos {
            if let Ok(new) = open_file(path) {
                file = new;
                pos = 0;
                pending.clear();
                #[cfg(unix)]
                {
                    inode = meta.ino();
                }
            }
        }
    }
}
