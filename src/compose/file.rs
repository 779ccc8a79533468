//! Composite models in files: subsystems by name, connections, fixed
//! inputs and parameter values in TOML, so that a command-line user
//! rewires models without Rust.

use super::{Composite, Many};
use crate::Error;
use crate::models::registry::Named;
use crate::system::Model;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A composite model as a file says it. Read by
/// [`Named::resolve`](crate::models::registry::Named::resolve) (so the
/// command line and spec files take it as `model = "closed_loop.toml"`),
/// written by [`to_toml`](Self::to_toml) (or as JSON, `*.json`, with
/// [`to_json`](Self::to_json)):
///
/// ```toml
/// [[subsystem]]                  # in order: states and parameters follow it
/// name = "plant"
/// model = "forced_van_der_pol"   # a block, a built-in model, a model file
///                                # or another composite file
/// [[subsystem]]
/// name = "controller"
/// model = "pi"
///
/// [[connection]]
/// from = "plant.x"               # an output …
/// to = "controller.y"            # … into an input
/// gain = 1.0                     # optional
///
/// external = []                  # inputs left open (optional)
///
/// [fixed]                        # inputs held at a value
/// "controller.r" = 1.0
///
/// [params]                       # values by path (default: each subsystem's)
/// "plant.mu" = 2.0
///
/// [y0]                           # initial states by path (likewise)
/// "plant.x" = 1.0
/// ```
///
/// # Example
/// ```
/// use odeon::compose::CompositeFile;
/// let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/models/van_der_pol_pi.toml"))?;
/// let file = CompositeFile::parse(&text)?;
/// assert_eq!(file.subsystem[0].model, "forced_van_der_pol");
/// assert_eq!(CompositeFile::parse(&file.to_toml()?)?, file); // saved and read back
/// assert_eq!(CompositeFile::parse_json(&file.to_json())?, file);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositeFile {
    /// The subsystems, in order.
    pub subsystem: Vec<Subsystem>,
    /// Connections output → input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub connection: Vec<Connection>,
    /// Inputs left open: the composite's inputs, in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external: Vec<String>,
    /// Inputs held at a value, by path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fixed: BTreeMap<String, f64>,
    /// Parameter values by path (the others keep their subsystem's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, f64>,
    /// Initial states by path (the others keep their subsystem's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub y0: BTreeMap<String, f64>,
}

/// A subsystem of a [`CompositeFile`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subsystem {
    /// Its name in paths (`"plant"` in `"plant.x"`).
    pub name: String,
    /// A block, a built-in model, or a file relative to this one.
    pub model: String,
}

/// A connection of a [`CompositeFile`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// The output, `"subsystem.output"`.
    pub from: String,
    /// The input, `"subsystem.input"`.
    pub to: String,
    /// The input reads `gain · output` (default 1, a plain connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain: Option<f64>,
}

/// A composite file built: the model and its default values.
pub(crate) struct Built {
    pub model: Composite<Many<Named>>,
    pub y0: Vec<f64>,
    pub params: Vec<f64>,
}

impl Built {
    /// What identifies the model: the file's text and every subsystem's
    /// model (a file's by its own fingerprint).
    pub fn identity(&self, text: &str) -> String {
        let mut id = text.to_string();
        for ((m, _), name) in self.model.parts.parts.iter().zip(self.model.subsystems()) {
            id.push_str(&format!("\n{name}={}", m.fingerprint().unwrap_or(m.name())));
        }
        id
    }
}

impl CompositeFile {
    /// Whether `text` is a composite file (a TOML table with
    /// `[[subsystem]]`), not a model file.
    pub fn is_composite(text: &str) -> bool {
        toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("subsystem"))
    }

    /// Parse a composite file.
    ///
    /// # Errors
    /// `InvalidSpec` naming the key and line: syntax, unknown or missing
    /// keys, values of the wrong type.
    pub fn parse(text: &str) -> Result<CompositeFile, Error> {
        crate::spec::parse_toml(text)
    }

    /// Parse a composite file written as JSON (the same fields).
    ///
    /// # Errors
    /// `InvalidSpec` with the line: syntax, unknown or missing keys.
    pub fn parse_json(text: &str) -> Result<CompositeFile, Error> {
        serde_json::from_str(text).map_err(|e| crate::spec::spec_error("", Some(e.line()), e.to_string()))
    }

    /// The file's text as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The file's text.
    ///
    /// # Errors
    /// `InvalidSpec` for a value TOML cannot hold (a non-finite number).
    pub fn to_toml(&self) -> Result<String, Error> {
        toml::to_string(self).map_err(|e| crate::spec::spec_error("", None, e.to_string()))
    }

    /// Build the composite the file at `path` (in `dir`) describes, its
    /// subsystems resolved inside `depth` composite files.
    pub(crate) fn build(&self, path: &str, dir: &Path, depth: usize) -> Result<Built, Error> {
        let in_file = |e: Error| match e {
            Error::InvalidComposite { path: at, reason } => {
                Error::InvalidComposite { path: format!("{path}: {at}"), reason }
            }
            e => e,
        };
        if self.subsystem.is_empty() {
            return Err(Error::InvalidComposite { path: path.into(), reason: "no [[subsystem]]".into() });
        }
        let mut parts = Vec::with_capacity(self.subsystem.len());
        for s in &self.subsystem {
            let model = Named::resolve_part(&s.model, dir, depth).map_err(|e| match e {
                Error::UnknownModel { name, known } => Error::InvalidComposite {
                    path: format!("{path}: {}", s.name),
                    reason: format!("unknown model {name:?} (known: {known}, or a file)"),
                },
                e => e,
            })?;
            parts.push((s.name.clone(), model));
        }
        let mut b = Composite::builder_of(parts);
        for c in &self.connection {
            b = match c.gain {
                Some(g) => b.connect_gain(&c.from, &c.to, g),
                None => b.connect(&c.from, &c.to),
            };
        }
        for input in &self.external {
            b = b.external(input);
        }
        for (input, &v) in &self.fixed {
            b = b.fix(input, v);
        }
        let model = b.build().map_err(in_file)?;
        let defaults = |f: fn(&Named) -> &[f64]| -> Vec<f64> {
            model.parts.parts.iter().flat_map(|(m, _)| f(m).iter().copied()).collect()
        };
        let mut y0 = defaults(Named::y0);
        let mut params = defaults(Named::params);
        set_by_path(("state", "y0"), &mut y0, &model.state_names(), &self.y0).map_err(in_file)?;
        set_by_path(("parameter", "params"), &mut params, &model.param_names(), &self.params).map_err(in_file)?;
        Ok(Built { model, y0, params })
    }
}

/// Set `values[i]` for each `(path, v)` of `given` (`kind`s listed in
/// the file's `[table]`), `i` the path's place in `names`; every value
/// finite.
fn set_by_path(
    (kind, table): (&str, &str),
    values: &mut [f64],
    names: &[String],
    given: &BTreeMap<String, f64>,
) -> Result<(), Error> {
    for (path, &v) in given {
        let i = super::index_of(kind, names, path)?;
        if !v.is_finite() {
            let reason = format!("[{table}] value {v} is not finite");
            return Err(Error::InvalidComposite { path: path.clone(), reason });
        }
        values[i] = v;
    }
    Ok(())
}
