//! Importers: models from the community's file formats.
//!
//! - [`read_sbml`]: SBML Level 2 and 3 core (the subset kinetic models
//!   use) into a [`TapeModel`](crate::tape::TapeModel), so an SBML model
//!   simulates, differentiates and fits like a model written in Rust.
//! - [`petab`]: PEtab v1 parameter-estimation problems (an SBML model,
//!   conditions, measurements, observables, parameters): the
//!   log-likelihood, its exact gradient, multistart fits.
//!
//! # Example
//! ```
//! use odeon::import::sbml_from_str;
//! use odeon::{solve, Options, Rodas5P};
//!
//! // A → B at rate k·[A] in a compartment of volume 2.
//! let sbml = r#"<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4">
//!   <model id="decay">
//!     <listOfCompartments><compartment id="cell" size="2"/></listOfCompartments>
//!     <listOfSpecies>
//!       <species id="A" compartment="cell" initialConcentration="1"/>
//!       <species id="B" compartment="cell" initialConcentration="0"/>
//!     </listOfSpecies>
//!     <listOfParameters><parameter id="k" value="0.5"/></listOfParameters>
//!     <listOfReactions>
//!       <reaction id="r1" reversible="false">
//!         <listOfReactants><speciesReference species="A"/></listOfReactants>
//!         <listOfProducts><speciesReference species="B"/></listOfProducts>
//!         <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
//!           <apply><times/><ci> cell </ci><ci> k </ci><ci> A </ci></apply>
//!         </math></kineticLaw>
//!       </reaction>
//!     </listOfReactions>
//!   </model>
//! </sbml>"#;
//! let model = sbml_from_str("decay.xml", sbml)?;
//! let opts = Options::default().rtol(1e-10).atol(1e-12).save_final();
//! let sol = solve(&model, Rodas5P, (0.0, 2.0), model.y0(), model.params(), &opts)?;
//! assert!((sol.y[0] - (-1.0f64).exp()).abs() < 1e-8); // [A] = e^{-kt}
//! # Ok::<(), odeon::Error>(())
//! ```

mod mathml;
pub mod petab;
mod sbml;

pub use sbml::{read_sbml, sbml_from_str};
