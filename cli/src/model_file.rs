//! Tour section: a model read from a file.

use odeon::models::Sir;
use odeon::sensitivity::Wrt;
use odeon::system::Model;
use odeon::tape::TapeModel;
use odeon::{OdeProblem, Options, Tsit5};
use std::error::Error;
use std::path::Path;

/// `examples/models/sir.toml`, built into the binary so that the tour runs
/// anywhere.
const SIR: &str = include_str!("../../examples/models/sir.toml");

pub fn run(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("\n10. Models from files: the SIR epidemic as equations in a TOML file (examples/models/sir.toml),");
    println!("    compiled to an instruction tape and run by an interpreter generic over the scalar");
    let model = TapeModel::from_toml("sir.toml", SIR)?;
    println!(
        "    states {}; parameters {}; {} instructions after sharing and folding",
        model.state_names().join(", "),
        model.param_names().join(", "),
        model.rhs_instructions()
    );
    let t_eval: Vec<f64> = (0..=160).map(|i| i as f64).collect();
    let opts = Options::default().rtol(1e-8).atol(1e-8).t_eval(t_eval);
    let wrt = Wrt::params(&model);
    let from_file =
        OdeProblem::new(&model, (0.0, 160.0), model.y0(), model.params()).sensitivities(Tsit5, &wrt, &opts)?;
    let from_rust = OdeProblem::new(&Sir, (0.0, 160.0), &Sir::Y0, &Sir::PARAMS).sensitivities(Tsit5, &wrt, &opts)?;
    let peak = from_file.solution.component(1).fold(0.0, f64::max);
    let last = from_file.jacobians.last().ok_or("empty solution")?;
    println!(
        "    peak infected {peak:.2}; ∂R(160)/∂beta = {:.4e}, ∂R(160)/∂gamma = {:.4e} (dual numbers through the tape)",
        last[(2, 0)],
        last[(2, 1)]
    );
    let same = from_file.solution.y == from_rust.solution.y && from_file.jacobians == from_rust.jacobians;
    println!(
        "    the same model written in Rust (odeon::models::Sir): bit-identical trajectory and sensitivities: {same}"
    );
    let names = model.state_names();
    from_file.solution.write_csv(out.join("model_file.csv"), &names.iter().map(String::as_str).collect::<Vec<_>>())?;
    #[cfg(feature = "plot")]
    odeon::plot::trajectory(&from_file.solution, &names, "SIR from sir.toml (Tsit5)", out.join("model_file.svg"))?;
    println!(
        "    see model_file.csv / model_file.svg; from the shell: odeon simulate examples/models/sir.toml --t-end 160"
    );
    Ok(())
}
