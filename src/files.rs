//! The one file writer: every file odeon writes (solutions, reports,
//! ensemble parts and summaries, plots) goes through [`write_atomic`];
//! and the one content fingerprint those files carry (`fingerprint`).

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
