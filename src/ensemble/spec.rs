//! Ensembles described in TOML, for the command line and batch systems.
//!
//! ```toml
//! model = "van_der_pol"        # a built-in model (odeon::models::registry)
//! method = "dopri5"            # default dopri5
//! t_span = [0.0, 20.0]
//! save_at = [0.0, 10.0, 20.0]  # omit to keep the final state only
//! rtol = 1e-6                  # default 1e-6
//! atol = 1e-6                  # default 1e-9
//! seed = 42
//! samples = 10000
//! sampling = "independent"     # or "latin_hypercube"
//!
//! [params]                     # parameters not named keep their textbook values
//! mu = { dist = "uniform", low = 0.5, high = 2.0 }
//!
//! [y0]                         # so do initial-state components
//! x = { dist = "uniform", low = 1.0, high = 3.0 }
//! v = 0.0
//! ```
//!
//! Optional keys: `max_steps` (100 000), `block_size` (256),
//! `quantile_budget_mb` (64). The resolved spec (defaults filled in, inputs
//! in the model's order) has a [hash](EnsembleSpec::hash) that every part
//! of a sharded run carries, so parts of different specs cannot be merged.
//! How a spec is run — threads, lanes, progress ([`Execution`]) — is not
//! part of it: it changes the speed, never the results.

use super::Sampler;
use super::check::{Invalid, SummaryFile};
use super::dist::{Dist, Independent, LatinHypercube};
use super::{Ensemble, EnsembleSummary, Keep, MAX_BLOCK_SIZE};
use crate::models::registry::Named;
use crate::spec::{line_of, parse_toml, spec_error};
use crate::{Error, Method, Model, Options};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// How the inputs are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Independent draws ([`Independent`]).
    #[default]
    Independent,
    /// A Latin hypercube over all samples ([`LatinHypercube`]).
    LatinHypercube,
}

/// Largest `quantile_budget_mb` (1 TiB): a typo should not plan to
/// allocate the machine.
const MAX_BUDGET_MB: u64 = 1 << 20;

/// The spec as written in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    model: Spanned<String>,
    method: Option<Spanned<String>>,
    t_span: (f64, f64),
    save_at: Option<Vec<f64>>,
    rtol: Option<f64>,
    atol: Option<f64>,
    max_steps: Option<usize>,
    seed: u64,
    samples: Spanned<u64>,
    block_size: Option<u64>,
    quantile_budget_mb: Option<u64>,
    #[serde(default)]
    sampling: Sampling,
    #[serde(default)]
    params: BTreeMap<Spanned<String>, Spanned<Dist>>,
    #[serde(default)]
    y0: BTreeMap<Spanned<String>, Spanned<Dist>>,
}

/// A resolved ensemble spec: every default filled in, the inputs in the
/// model's order.
///
/// # Example
/// ```
/// use odeon::ensemble::spec::{EnsembleSpec, Execution};
/// let spec = EnsembleSpec::parse(r#"
///     model = "exponential_decay"
///     t_span = [0.0, 1.0]
///     seed = 1
///     samples = 100
///     [params]
///     k = { dist = "uniform", low = 0.5, high = 1.5 }
/// "#)?;
/// let summary = spec.run(None, &Execution::default())?;
/// assert_eq!(summary.succeeded, 100);
/// assert_eq!(spec.hash().len(), 16);
/// let e = EnsembleSpec::parse("model = \"exponential_decay\"\nt_span = [0.0, 1.0]\nseed = 1\nsamples = 0\n").unwrap_err();
/// assert!(e.to_string().contains("line 4"), "{e}");
/// # Ok::<(), odeon::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnsembleSpec {
    /// Built-in model name, or the path of a model file.
    pub model: String,
    /// The hash of the model file's text (none for a built-in model): a
    /// part computed from another version of the file does not merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_fingerprint: Option<String>,
    /// Integration method.
    pub method: Method,
    /// Time span.
    pub t_span: (f64, f64),
    /// Save times (`None`: the final state).
    pub save_at: Option<Vec<f64>>,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Step limit per sample.
    pub max_steps: usize,
    /// Seed.
    pub seed: u64,
    /// Number of samples.
    pub samples: u64,
    /// Samples per block.
    pub block_size: u64,
    /// Memory budget for exact quantiles, MiB.
    pub quantile_budget_mb: u64,
    /// Independent draws or a Latin hypercube.
    pub sampling: Sampling,
    /// Initial-state distributions, `(name, dist)` in the model's order.
    pub y0: Vec<(String, Dist)>,
    /// Parameter distributions, `(name, dist)` in the model's order.
    pub params: Vec<(String, Dist)>,
}

impl EnsembleSpec {
    /// Parse and resolve a TOML spec.
    ///
    /// # Errors
    /// `InvalidSpec` naming the key and line (syntax, unknown or missing
    /// keys, bad values, unknown input names, invalid distributions);
    /// `UnknownModel`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        Self::parse_in(text, Path::new(""))
    }

    /// [`parse`](Self::parse) with a model file's path relative to `base`.
    fn parse_in(text: &str, base: &Path) -> Result<Self, Error> {
        let raw: RawSpec = parse_toml(text)?;
        let at = |span: std::ops::Range<usize>| Some(line_of(text, span.start));
        let model = Named::resolve(raw.model.get_ref(), base).map_err(|e| match e {
            Error::UnknownModel { name, known } => {
                spec_error("model", at(raw.model.span()), format!("unknown model {name:?}; built-in models: {known}"))
            }
            e => e,
        })?;
        let method = match &raw.method {
            Some(m) => m.get_ref().parse::<Method>().map_err(|e| spec_error("method", at(m.span()), e.to_string()))?,
            None => Method::Dopri5,
        };
        if raw.samples.get_ref() == &0 {
            return Err(spec_error("samples", at(raw.samples.span()), "must be at least 1"));
        }
        let resolve =
            |table: &str, names: Vec<String>, defaults: &[f64], given: &BTreeMap<Spanned<String>, Spanned<Dist>>| {
                for (k, v) in given {
                    let key = format!("{table}.{}", k.get_ref());
                    if !names.contains(k.get_ref()) {
                        return Err(spec_error(
                            &key,
                            at(k.span()),
                            format!(
                                "the model has no such {}; it has: {}",
                                if table == "y0" { "state" } else { "parameter" },
                                names.join(", ")
                            ),
                        ));
                    }
                    v.get_ref().validate(&key).map_err(|e| spec_error(&key, at(v.span()), e.to_string()))?;
                }
                Ok(names
                    .iter()
                    .zip(defaults)
                    .map(|(n, &d)| {
                        let dist =
                            given.iter().find(|(k, _)| k.get_ref() == n).map_or(Dist::Fixed(d), |(_, v)| *v.get_ref());
                        (n.clone(), dist)
                    })
                    .collect::<Vec<_>>())
            };
        let y0 = resolve("y0", model.state_names(), model.y0(), &raw.y0)?;
        let params = resolve("params", model.param_names(), model.params(), &raw.params)?;
        let spec = EnsembleSpec {
            model: model.name().to_string(),
            model_fingerprint: model.fingerprint().map(str::to_string),
            method,
            t_span: raw.t_span,
            save_at: raw.save_at,
            rtol: raw.rtol.unwrap_or(1e-6),
            atol: raw.atol.unwrap_or(1e-9),
            max_steps: raw.max_steps.unwrap_or(100_000),
            seed: raw.seed,
            samples: *raw.samples.get_ref(),
            block_size: raw.block_size.unwrap_or(super::DEFAULT_BLOCK_SIZE),
            quantile_budget_mb: raw.quantile_budget_mb.unwrap_or(super::DEFAULT_QUANTILE_BUDGET >> 20),
            sampling: raw.sampling,
            y0,
            params,
        };
        spec.check().map_err(|e| match e {
            Error::InvalidSpec { key, line: None, reason } if key == "samples" => {
                Error::InvalidSpec { key, line: at(raw.samples.span()), reason }
            }
            e => e,
        })?;
        Ok(spec)
    }

    /// Check a resolved spec, as written by [`parse`](Self::parse) or read
    /// back from a part file: the model and its inputs, the options and
    /// save times (as a solve checks them), and the sizes that decide
    /// memory.
    ///
    /// # Errors
    /// `InvalidSpec` naming the key.
    pub fn check(&self) -> Result<(), Error> {
        let model = Named::resolve(&self.model, Path::new("")).map_err(|e| spec_error("model", None, e.to_string()))?;
        if model.fingerprint() != self.model_fingerprint.as_deref() {
            let reason =
                format!("the model file {} is not the one the spec was resolved with (its text differs)", self.model);
            return Err(spec_error("model", None, reason));
        }
        if !(1..=super::MAX_SAMPLES).contains(&self.samples) {
            return Err(spec_error("samples", None, "must lie in 1..=2^53"));
        }
        for (table, given, names) in
            [("y0", &self.y0, model.state_names()), ("params", &self.params, model.param_names())]
        {
            let listed: Vec<&String> = given.iter().map(|(n, _)| n).collect();
            if listed != names.iter().collect::<Vec<_>>() {
                let reason = format!("lists {listed:?}, the model has {names:?}");
                return Err(spec_error(table, None, reason));
            }
            for (name, dist) in given {
                let key = format!("{table}.{name}");
                dist.validate(&key).map_err(|e| spec_error(&key, None, e.to_string()))?;
            }
        }
        crate::spec::check_options(self.method, self.t_span, &self.options())?;
        if !(1..=MAX_BLOCK_SIZE).contains(&self.block_size) {
            let reason =
                format!("must lie in 1..={MAX_BLOCK_SIZE}: a block holds every sample's outputs until it is merged");
            return Err(spec_error("block_size", None, reason));
        }
        if !(1..=MAX_BUDGET_MB).contains(&self.quantile_budget_mb) {
            return Err(spec_error("quantile_budget_mb", None, format!("must lie in 1..={MAX_BUDGET_MB} (1 TiB)")));
        }
        // A block holds its samples' outputs until it is reduced.
        let series = (self.save_at.as_ref().map_or(1, Vec::len) * self.y0.len()) as u64;
        let block_mb = self.block_size.saturating_mul(series).saturating_mul(8) >> 20;
        if block_mb >= self.quantile_budget_mb {
            let reason = format!(
                "a block of {} samples × {series} outputs needs {block_mb} MiB or more, not less than quantile_budget_mb = {}",
                self.block_size, self.quantile_budget_mb
            );
            return Err(spec_error("block_size", None, reason));
        }
        // A Latin hypercube holds one permutation of the samples per input
        // (4 bytes each): within the memory the spec allows.
        let inputs = (self.y0.len() + self.params.len()) as u64;
        let lhs_mb = self.samples.saturating_mul(inputs).saturating_mul(4) >> 20;
        if self.sampling == Sampling::LatinHypercube && lhs_mb > self.quantile_budget_mb {
            let reason = format!(
                "a Latin hypercube of {} samples over {inputs} inputs needs {lhs_mb} MiB of permutations, more than quantile_budget_mb = {} allows",
                self.samples, self.quantile_budget_mb
            );
            return Err(spec_error("samples", None, reason));
        }
        Ok(())
    }

    /// Read and parse a spec file (errors name the file).
    pub fn read(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse_in(&text, path.parent().unwrap_or(Path::new("")))
    }

    fn options(&self) -> Options {
        let o = Options::default().rtol(self.rtol).atol(self.atol).max_steps(self.max_steps);
        match &self.save_at {
            Some(ts) => o.t_eval(ts.clone()),
            None => o.save_final(),
        }
    }

    /// A 64-bit FNV-1a hash of the resolved spec's canonical JSON, as 16
    /// hex digits: equal for specs that mean the same run (whatever their
    /// layout, comments or defaults written out).
    pub fn hash(&self) -> String {
        let json = serde_json::to_string(self).expect("a spec serializes");
        crate::files::fingerprint("odeon-ensemble-spec/1", json.as_bytes())
    }

    /// Run the ensemble (or shard `(index, count)` of it).
    ///
    /// # Errors
    /// As [`Ensemble::run`]; `InvalidOption` for a lane count not in
    /// [`LANE_COUNTS`](super::LANE_COUNTS).
    pub fn run(&self, shard: Option<(u64, u64)>, how: &Execution) -> Result<EnsembleSummary, Error> {
        let system = Named::resolve(&self.model, Path::new(""))?;
        let mut ens = self.ensemble(&system)?.progress(how.progress);
        if let Some(n) = how.threads {
            ens = ens.threads(n);
        }
        if let Some(n) = how.lanes {
            ens = ens.lanes(n);
        }
        if let Some((k, n)) = shard {
            ens = ens.shard(k, n)?;
        }
        ens.run()
    }

    /// The layout (run fingerprint included) every part of this spec has.
    pub fn layout(&self) -> Result<super::Layout, Error> {
        Ok(self.ensemble(&Named::resolve(&self.model, Path::new(""))?)?.layout())
    }

    fn ensemble<'a>(&self, system: &'a Named) -> Result<Ensemble<'a, Named, SpecSampler, Method>, Error> {
        let y0: Vec<Dist> = self.y0.iter().map(|(_, d)| *d).collect();
        let p: Vec<Dist> = self.params.iter().map(|(_, d)| *d).collect();
        let sampler = match self.sampling {
            Sampling::Independent => SpecSampler::Independent(Independent::new(y0, p)?),
            Sampling::LatinHypercube => {
                SpecSampler::LatinHypercube(LatinHypercube::new(y0, p, self.samples, self.seed)?)
            }
        };
        let keep = match &self.save_at {
            Some(ts) => Keep::At(ts.clone()),
            None => Keep::Final,
        };
        Ok(Ensemble::new(system, self.method, self.t_span, sampler, self.samples)
            .options(self.options())
            .keep(keep)
            .seed(self.seed)
            .block_size(self.block_size)
            .quantile_budget(self.quantile_budget_mb << 20))
    }
}

/// How a spec is run: settings that change the speed and what is shown,
/// never the results (so they are not part of the spec or its hash).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Execution {
    /// Worker threads (`None`: rayon's global pool, one per core).
    pub threads: Option<usize>,
    /// Samples integrated together per step loop (`None`: the ensemble's
    /// default; see [`Ensemble::lanes`]).
    pub lanes: Option<usize>,
    /// Show a progress bar on stderr (drawn only on a terminal).
    pub progress: bool,
}

/// The sampler a spec names.
#[derive(Clone)]
enum SpecSampler {
    Independent(Independent),
    LatinHypercube(LatinHypercube),
}

impl Sampler for SpecSampler {
    fn sample(&self, index: u64, rng: &mut super::SampleRng) -> super::Draw {
        match self {
            SpecSampler::Independent(s) => s.sample(index, rng),
            SpecSampler::LatinHypercube(s) => s.sample(index, rng),
        }
    }

    fn sample_into(&self, index: u64, rng: &mut super::SampleRng, draw: &mut super::Draw) {
        match self {
            SpecSampler::Independent(s) => s.sample_into(index, rng, draw),
            SpecSampler::LatinHypercube(s) => s.sample_into(index, rng, draw),
        }
    }

    fn n_samples(&self) -> Option<u64> {
        match self {
            SpecSampler::Independent(s) => s.n_samples(),
            SpecSampler::LatinHypercube(s) => s.n_samples(),
        }
    }
}

/// One part of a sharded run (or the merge of several), as written by
/// `odeon ensemble` and read by `odeon merge`.
///
/// Deserializing checks the part as a whole: the format tag, the spec
/// (as [`EnsembleSpec::check`]) and its hash, the shard numbers, the
/// summary's structure, that the summary's layout is the one the spec
/// gives (same run fingerprint) and that it covers exactly the samples of
/// its shards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PartFile")]
pub struct EnsemblePart {
    /// Format tag, `odeon-ensemble/1`.
    pub format: String,
    /// [`EnsembleSpec::hash`] of the spec.
    pub spec_hash: String,
    /// The resolved spec.
    pub spec: EnsembleSpec,
    /// Number of shards the run was split into.
    pub shard_count: u64,
    /// The shards this part holds (0-based, sorted).
    pub shards: Vec<u64>,
    /// The statistics.
    pub summary: EnsembleSummary,
}

/// The format tag of part files.
pub const PART_FORMAT: &str = "odeon-ensemble/1";

impl EnsemblePart {
    /// Run shard `index` of `count` of `spec`.
    pub fn run(spec: &EnsembleSpec, index: u64, count: u64, how: &Execution) -> Result<Self, Error> {
        if index >= count {
            return Err(Error::InvalidShard { index, count });
        }
        let shard = (count > 1).then_some((index, count));
        Ok(EnsemblePart {
            format: PART_FORMAT.into(),
            spec_hash: spec.hash(),
            spec: spec.clone(),
            shard_count: count,
            shards: vec![index],
            summary: spec.run(shard, how)?,
        })
    }

    /// Merge parts of one spec (`names` label them in errors).
    ///
    /// # Errors
    /// `SpecMismatch` for a part of another spec (or edited, so that its
    /// spec no longer has its hash); `MergeConflict` for different shard
    /// counts or a shard given twice; with `complete`, also for missing
    /// shards.
    pub fn merge(parts: Vec<(String, EnsemblePart)>, complete: bool) -> Result<EnsemblePart, Error> {
        let conflict = |reason: String| Error::MergeConflict { reason };
        let Some((first_name, first)) = parts.first() else {
            return Err(conflict("no parts given".into()));
        };
        let (hash, count) = (first.spec_hash.clone(), first.shard_count);
        let mut owner: BTreeMap<u64, &str> = BTreeMap::new();
        for (name, p) in &parts {
            if p.format != PART_FORMAT {
                return Err(conflict(format!("{name}: unknown format {:?} (expected {PART_FORMAT})", p.format)));
            }
            if p.spec.hash() != p.spec_hash {
                return Err(Error::SpecMismatch {
                    part: name.clone(),
                    expected: p.spec_hash.clone(),
                    found: p.spec.hash(),
                });
            }
            if p.spec_hash != hash {
                return Err(Error::SpecMismatch {
                    part: name.clone(),
                    expected: hash.clone(),
                    found: p.spec_hash.clone(),
                });
            }
            if p.shard_count != count {
                return Err(conflict(format!(
                    "{name} is split into {} shards, {first_name} into {count}",
                    p.shard_count
                )));
            }
            for &s in &p.shards {
                if s >= count {
                    return Err(Error::InvalidShard { index: s, count });
                }
                if let Some(other) = owner.insert(s, name) {
                    return Err(conflict(format!("shard {s} is in both {other} and {name}")));
                }
            }
        }
        let missing: Vec<String> = (0..count).filter(|s| !owner.contains_key(s)).map(|s| s.to_string()).collect();
        if complete && !missing.is_empty() {
            return Err(conflict(format!("missing shards {} of {count}", missing.join(", "))));
        }
        let spec = first.spec.clone();
        let shards = owner.keys().copied().collect();
        let summaries = parts.into_iter().map(|(_, p)| p.summary).collect();
        let summary =
            if complete { EnsembleSummary::merge(summaries)? } else { EnsembleSummary::merge_partial(summaries)? };
        Ok(EnsemblePart { format: PART_FORMAT.into(), spec_hash: hash, spec, shard_count: count, shards, summary })
    }

    /// Write as JSON (exact floats; creates the directory).
    pub fn write_json(&self, path: impl AsRef<std::path::Path>) -> Result<(), Error> {
        crate::files::write_json(path, self, false)
    }

    /// Read a part written by [`write_json`](Self::write_json), on this
    /// machine or another.
    ///
    /// # Errors
    /// `Io` when the file cannot be read or is not a part's JSON;
    /// `InvalidFile` naming the field when its contents do not agree.
    pub fn read_json(path: impl AsRef<std::path::Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let file: PartFile = crate::files::read_json(path)?;
        file.validate().map_err(|e| e.in_file(path))
    }
}

/// A part as read, before it is trusted.
#[derive(Deserialize)]
struct PartFile {
    format: String,
    spec_hash: String,
    spec: EnsembleSpec,
    shard_count: u64,
    shards: Vec<u64>,
    summary: SummaryFile,
}

impl TryFrom<PartFile> for EnsemblePart {
    type Error = Invalid;

    fn try_from(file: PartFile) -> Result<Self, Invalid> {
        file.validate()
    }
}

impl PartFile {
    fn validate(self) -> Result<EnsemblePart, Invalid> {
        let PartFile { format, spec_hash, spec, shard_count: count, shards, summary } = self;
        if format != PART_FORMAT {
            return Err(Invalid::new("format", format!("{format:?}, expected {PART_FORMAT:?}")));
        }
        let spec_field = |e: Error| match e {
            Error::InvalidSpec { key, reason, .. } => Invalid::new(format!("spec.{key}"), reason),
            e => Invalid::new("spec", e.to_string()),
        };
        spec.check().map_err(spec_field)?;
        if spec.hash() != spec_hash {
            return Err(Invalid::new("spec_hash", format!("{spec_hash}, but the spec hashes to {}", spec.hash())));
        }
        if count == 0 || shards.is_empty() {
            return Err(Invalid::new("shards", format!("{shards:?} of {count}: no shard")));
        }
        if let Some(i) = (0..shards.len()).find(|&i| shards[i] >= count || (i > 0 && shards[i - 1] >= shards[i])) {
            return Err(Invalid::new(
                format!("shards[{i}]"),
                format!("{shards:?} are not increasing shard numbers below {count}"),
            ));
        }
        let summary = summary.validate().map_err(|e| e.within("summary"))?;
        let layout = spec.layout().map_err(spec_field)?;
        if summary.layout != layout {
            let reason = format!("is not the spec's (run {} against {})", summary.layout.run, layout.run);
            return Err(Invalid::new("summary.layout", reason));
        }
        let n_blocks = layout.n_blocks();
        let mut expected: Vec<(u64, u64)> = Vec::new();
        for &k in &shards {
            let blocks = super::shard_blocks(n_blocks, k, count);
            let range = (blocks.start * layout.block_size, (blocks.end * layout.block_size).min(layout.samples));
            match expected.last_mut() {
                _ if range.0 == range.1 => {}
                Some(last) if last.1 == range.0 => last.1 = range.1,
                _ => expected.push(range),
            }
        }
        if summary.covered != expected {
            let reason = format!("{:?}, but shards {shards:?} of {count} hold samples {expected:?}", summary.covered);
            return Err(Invalid::new("summary.covered", reason));
        }
        Ok(EnsemblePart { format, spec_hash, spec, shard_count: count, shards, summary })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
model = "van_der_pol"
t_span = [0.0, 2.0]
seed = 3
samples = 10
[params]
mu = { dist = "uniform", low = 0.5, high = 2.0 }
[y0]
x = { dist = "normal", mean = 2.0, std = 0.1 }
"#;

    #[test]
    fn defaults_are_filled_in_model_order() {
        let s = EnsembleSpec::parse(SPEC).unwrap();
        assert_eq!(s.method, Method::Dopri5);
        assert_eq!(s.y0[1], ("v".to_string(), Dist::Fixed(0.0)));
        assert_eq!(s.params[0].1, Dist::Uniform { low: 0.5, high: 2.0 });
        // Same meaning, different text: same hash.
        let reordered = SPEC.replace("seed = 3\n", "") + "";
        let reordered = reordered.replace("samples = 10\n", "samples = 10\nseed = 3\nmethod = \"Dopri5\"\n");
        assert_eq!(EnsembleSpec::parse(&reordered).unwrap().hash(), s.hash());
        assert_ne!(EnsembleSpec::parse(&SPEC.replace("seed = 3", "seed = 4")).unwrap().hash(), s.hash());
    }

    #[test]
    fn errors_name_key_and_line() {
        let check = |text: &str, key: &str, line: Option<usize>| match EnsembleSpec::parse(text) {
            Err(Error::InvalidSpec { key: k, line: l, reason }) => {
                assert_eq!((k.as_str(), l), (key, line), "{reason}");
            }
            other => panic!("{other:?}"),
        };
        check(&SPEC.replace("seed = 3", "seed = \"x\""), "seed", Some(4));
        check(&SPEC.replace("samples = 10", "samples = 10\nsamplez = 3"), "samplez", Some(6));
        check(&SPEC.replace("model = \"van_der_pol\"", "model = \"van_der_poll\""), "model", Some(2));
        check(&SPEC.replace("mu = {", "nu = {"), "params.nu", Some(7));
        check(&SPEC.replace("low = 0.5, high = 2.0", "low = 2.5, high = 2.0"), "params.mu", Some(7));
        check(&SPEC.replace("dist = \"normal\"", "dist = \"gamma\""), "x", Some(9));
        check(&SPEC.replace("seed = 3", "seed = 3\nrtol = -1.0"), "rtol", None);
        check(&SPEC.replace("seed = 3", "seed = 3\nsave_at = [3.0]"), "save_at", None);
        check(&SPEC.replace("seed = 3", "seed = 3\nmethod = \"rk45\""), "method", Some(5));
    }

    #[test]
    fn sizes_that_would_allocate_without_bound_are_refused() {
        let check = |text: &str, key: &str| match EnsembleSpec::parse(text) {
            Err(Error::InvalidSpec { key: k, reason, .. }) => assert_eq!(k, key, "{reason}"),
            other => panic!("{other:?}"),
        };
        check(&SPEC.replace("seed = 3", "seed = 3\nblock_size = 1000000000000"), "block_size");
        check(&SPEC.replace("seed = 3", "seed = 3\nquantile_budget_mb = 1000000000000"), "quantile_budget_mb");
        // 2²⁰ samples per block × 2 states × 100 saved times: 1.6 GB in one
        // block against a 64 MiB budget.
        let times: Vec<String> = (1..=100).map(|i| format!("{:?}", f64::from(i) * 0.02)).collect();
        let wide = format!("seed = 3\nblock_size = 1048576\nsave_at = [{}]", times.join(", "));
        check(&SPEC.replace("seed = 3", &wide), "block_size");
        // 2³² samples in a Latin hypercube over the model's inputs: 16 GiB
        // of permutations per input against the default 64 MiB.
        let lhs = SPEC
            .replace("samples = 10", "samples = 4294967296")
            .replace("seed = 3", "seed = 3\nsampling = \"latin_hypercube\"");
        check(&lhs, "samples");
        // Within the budget it is accepted.
        let small = SPEC.replace("seed = 3", "seed = 3\nsampling = \"latin_hypercube\"");
        assert!(EnsembleSpec::parse(&small).is_ok());
    }
}
