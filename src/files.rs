//! The one file writer: every file odeon writes (solutions, reports,
//! ensemble parts and summaries, plots) goes through [`write_atomic`];
//! the one content fingerprint those files carry (`fingerprint`); and the
//! one reader of numeric CSV columns (fit data, signal tables).

use crate::Error;
use std::io::Write;
use std::path::Path;

/// Write `bytes` to `path` atomically: into a temporary file in the same
/// directory (created if missing), flushed to disk, then renamed over
/// `path`. A process killed mid-write leaves `path` as it was (absent or
/// the old complete file), never truncated.
///
/// # Example
/// ```
/// let path = std::env::temp_dir().join("odeon-doc-write-atomic.txt");
/// odeon::files::write_atomic(&path, b"complete")?;
/// assert_eq!(std::fs::read(&path).unwrap(), b"complete");
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), odeon::Error>(())
/// ```
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<(), Error> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io(&e))?;
    tmp.write_all(bytes).map_err(|e| io(&e))?;
    tmp.as_file().sync_all().map_err(|e| io(&e))?;
    tmp.persist(path).map_err(|e| io(&e.error))?;
    Ok(())
}

/// Write `value` as JSON (pretty or compact; floats round-trip exactly)
/// through [`write_atomic`].
pub fn write_json<T: serde::Serialize>(path: impl AsRef<Path>, value: &T, pretty: bool) -> Result<(), Error> {
    let path = path.as_ref();
    let text = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) };
    write_atomic(path, text.map_err(|e| Error::io(path, e))?.as_bytes())
}

/// Read and parse a JSON file (errors name the file, and serde's line
/// and column).
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::io(path, e))
}

/// A 64-bit FNV-1a hash of `domain` (a format tag, so that different
/// kinds of content never share a fingerprint by construction) followed by
/// `bytes`, as 16 hex digits. Stable across platforms and versions of
/// Rust: it identifies specs and runs in files that other machines read.
pub(crate) fn fingerprint(domain: &str, bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in domain.as_bytes().iter().chain(b"\n").chain(bytes) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Columns `names` of the CSV file at `path` (a header row, then numbers;
/// cells trimmed), one `Vec` per name. An empty or `nan` cell is `NaN`,
/// except in the first `required` columns, where it is an error.
///
/// # Errors
/// [`Error::Io`] naming the file, line and column: the file cannot be
/// read, a column is missing, a cell is not a number or a required cell
/// is empty.
pub(crate) fn read_csv_columns(path: &Path, names: &[&str], required: usize) -> Result<Vec<Vec<f64>>, Error> {
    let io = |e: &dyn std::fmt::Display| Error::io(path, e);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(path).map_err(|e| io(&e))?;
    let header = reader.headers().map_err(|e| io(&e))?.clone();
    let cols: Vec<usize> = names
        .iter()
        .map(|name| {
            header.iter().position(|h| h == *name).ok_or_else(|| {
                io(&format!("no column {name:?}; the header has {}", header.iter().collect::<Vec<_>>().join(", ")))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut out = vec![Vec::new(); names.len()];
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| io(&format!("line {line}: {e}")))?;
        for (k, &c) in cols.iter().enumerate() {
            let s = record.get(c).unwrap_or("");
            let value = if s.is_empty() || s.eq_ignore_ascii_case("nan") {
                if k < required {
                    return Err(io(&format!("line {line}: empty {:?}", &header[c])));
                }
                f64::NAN
            } else {
                s.parse().map_err(|_| io(&format!("line {line}, column {:?}: {s:?} is not a number", &header[c])))?
            };
            out[k].push(value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temporary_files() {
        let dir = std::env::temp_dir().join(format!("odeon-files-{}", std::process::id()));
        let path = dir.join("sub/out.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let entries: Vec<_> = std::fs::read_dir(dir.join("sub")).unwrap().collect();
        assert_eq!(entries.len(), 1, "no temporary file left behind");
        // A directory where the file should go: an error naming the path.
        let e = write_atomic(&dir, b"x").unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }
}
