//! Shared pieces of the TOML specs read by the command line (`odeon
//! ensemble`, `odeon fit`): errors that name the key and the line.

use crate::Error;
use serde::de::DeserializeOwned;

/// 1-based line of byte offset `at` in `text`.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub(crate) fn position(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |k| k + 1);
    (line_of(text, at), text[line_start..at].chars().count() + 1)
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

/// Check a spec's integration settings as a solve checks them (a probe
/// solve of `y' = 0` over `t_span`): options, tolerances, save times and
/// the span itself, as `InvalidSpec` naming the spec's key.
pub(crate) fn check_options(method: crate::Method, t_span: (f64, f64), options: &crate::Options) -> Result<(), Error> {
    // As a `Named` model: the library compiles its steppers for the
    // command line's models anyway.
    let decay = crate::models::registry::Named::BuiltIn(crate::models::registry::lookup("exponential_decay")?);
    match crate::solve(&decay, method, t_span, &[1.0], &[0.0], options) {
        Err(e) if crate::ensemble::is_configuration_error(&e) => {
            let key = match &e {
                Error::InvalidTolerance { name, .. } | Error::InvalidOption { name, .. } => name,
                Error::InvalidTEval { .. } => "save_at",
                Error::NonFinite { .. } => "t_span",
                _ => "",
            };
            Err(spec_error(key, None, e.to_string()))
        }
        _ => Ok(()),
    }
}
