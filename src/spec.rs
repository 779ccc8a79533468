//! Shared pieces of the TOML specs read by the command line (`odeon
//! ensemble`, `odeon fit`): errors that name the key and the line.

use crate::Error;
use serde::de::DeserializeOwned;

/// 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// An `InvalidSpec` error.
pub(crate) fn spec_error(key: &str, line: Option<usize>, reason: impl Into<String>) -> Error {
    Error::InvalidSpec { key: key.to_string(), line, reason: reason.into() }
}

/// Parse TOML into `T`; syntax errors, unknown and missing keys become
/// `InvalidSpec` naming the key and line.
pub(crate) fn parse_toml<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        let key = line
            .and_then(|l| text.lines().nth(l - 1))
            .and_then(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .unwrap_or_default();
        spec_error(&key, line, e.message().trim().to_string())
    })
}
