//! SBML import (`import::read_sbml`): four real models from the PEtab
//! benchmark collection against reference trajectories from
//! libroadrunner's reading of them (`tests/data/README.md`), and documents outside the supported subset as
//! `Error::Parse` naming the element and its line.

use odeon::import::{read_sbml, sbml_from_str};
use odeon::system::Model;
use odeon::{Error, Options, Rodas5P, solve};

fn data(name: &str) -> String {
    format!("{}/tests/data/sbml/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A PEtab benchmark problem's SBML model.
fn model_file(problem: &str) -> String {
    format!("{}/tests/data/petab/{problem}/model_{problem}.xml", env!("CARGO_MANIFEST_DIR"))
}

/// The model's trajectory at the reference's times, against its
/// concentrations: the largest difference relative to `max(|c|, scale)`.
fn largest_difference(problem: &str) -> f64 {
    let model = read_sbml(model_file(problem)).unwrap();
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data(&format!("{problem}.json"))).unwrap()).unwrap();
    let times: Vec<f64> = reference["t"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let opts = Options::default().rtol(1e-12).atol(1e-14).max_steps(1_000_000).t_eval(times.clone());
    let sol = solve(&model, Rodas5P, (0.0, *times.last().unwrap()), model.y0(), model.params(), &opts).unwrap();
    let names = model.state_names();
    let mut worst: f64 = 0.0;
    for (species, values) in reference["concentration"].as_object().unwrap() {
        let j = names.iter().position(|n| n == species).unwrap_or_else(|| panic!("{problem}: no state {species}"));
        let values: Vec<f64> = values.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let scale = values.iter().fold(0.0f64, |m, v| m.max(v.abs())) * 1e-6;
        for (i, (&expected, got)) in values.iter().zip(sol.component(j)).enumerate() {
            let d = (got - expected).abs() / expected.abs().max(scale);
            assert!(d < 1e-7, "{problem}: {species}(t = {}) = {got}, reference {expected}", times[i]);
            worst = worst.max(d);
        }
    }
    worst
}

#[test]
fn petab_benchmark_models_match_the_reference() {
    // Boehm: two compartments of different volume, initial assignments;
    // Brannmark: piecewise dosing in time, assignment rules; Crauste: a
    // near blow-up; Elowitz: initial assignments, Hill kinetics.
    for problem in ["Boehm_JProteomeRes2014", "Brannmark_JBC2010", "Crauste_CellSystems2017", "Elowitz_Nature2000"] {
        let d = largest_difference(problem);
        eprintln!("{problem}: largest relative difference {d:.1e}");
    }
}

fn sbml(model: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
  <model id="m">
    <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
{model}
  </model>
</sbml>"#
    )
}

const SPECIES: &str = r#"    <listOfSpecies><species id="A" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/></listOfSpecies>"#;

fn parse_error(text: &str) -> (usize, String) {
    match sbml_from_str("m.xml", text) {
        Err(Error::Parse { file, line, reason, .. }) => {
            assert_eq!(file, "m.xml");
            (line, reason)
        }
        other => panic!("expected a parse error, got {:?}", other.map(|m| m.state_names())),
    }
}

#[test]
fn unsupported_or_malformed_documents_name_the_element() {
    let math = |body: &str| format!(r#"<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>"#);
    let rate_rule = |body: &str| {
        format!("{SPECIES}\n    <listOfRules><rateRule variable=\"A\">{}</rateRule></listOfRules>", math(body))
    };
    let cases: Vec<(String, usize, &str)> = vec![
        ("<sbml><model".into(), 1, ""),
        ("<notsbml/>".into(), 1, "not an SBML document"),
        (
            sbml(&format!("{SPECIES}\n    <listOfEvents><event id=\"e\"/></listOfEvents>")),
            6,
            "event `e` has no trigger",
        ),
        (
            sbml(&format!(
                "{SPECIES}\n    <listOfEvents><event id=\"e\"><trigger>{}</trigger></event></listOfEvents>",
                math(
                    "<apply><and/><apply><gt/><ci>A</ci><cn>1</cn></apply><apply><lt/><ci>A</ci><cn>2</cn></apply></apply>"
                )
            )),
            6,
            "an event trigger other than one comparison",
        ),
        (
            sbml(&format!(
                "{SPECIES}\n    <listOfEvents><event id=\"e\"><trigger>{}</trigger><delay>{}</delay></event></listOfEvents>",
                math("<apply><gt/><ci>A</ci><cn>1</cn></apply>"),
                math("<cn>1</cn>")
            )),
            6,
            "event delays",
        ),
        (
            sbml(&format!(
                "{SPECIES}\n    <listOfRules><algebraicRule>{}</algebraicRule></listOfRules>",
                math("<ci>A</ci>")
            )),
            6,
            "algebraic rules",
        ),
        (sbml(&rate_rule("<apply><factorial/><ci>A</ci></apply>")), 6, "unsupported MathML function <factorial>"),
        (
            sbml(&rate_rule(
                "<apply><csymbol definitionURL=\"http://www.sbml.org/sbml/symbols/delay\">d</csymbol><ci>A</ci><cn>1</cn></apply>",
            )),
            6,
            "unsupported MathML function <csymbol>",
        ),
        (sbml(&rate_rule("<ci>B</ci>")), 6, "unknown symbol `B`"),
        (sbml(&rate_rule("<cn>1.5.2</cn>")), 6, "is not a number"),
        (sbml(&rate_rule("<apply><divide/><ci>A</ci></apply>")), 6, "takes 2 argument"),
        (
            sbml("    <listOfSpecies><species id=\"A\" compartment=\"c\"/></listOfSpecies>"),
            5,
            "no initial amount or concentration",
        ),
        (
            sbml("    <listOfSpecies><species id=\"A\" compartment=\"d\" initialAmount=\"1\"/></listOfSpecies>"),
            5,
            "unknown compartment `d`",
        ),
        (sbml("    <listOfParameters><parameter id=\"k\" value=\"1\"/></listOfParameters>"), 3, "nothing to integrate"),
        (
            sbml(&format!(
                "{SPECIES}\n    <listOfRules><assignmentRule variable=\"zz\">{}</assignmentRule></listOfRules>",
                math("<cn>1</cn>")
            )),
            6,
            "not a compartment, species or parameter",
        ),
    ];
    for (text, line, reason) in cases {
        let (l, r) = parse_error(&text);
        assert!(r.contains(reason), "{text}\n→ line {l}: {r}");
        assert_eq!(l, line, "{text}\n→ {r}");
    }
}

/// Amounts and concentrations: a species with `hasOnlySubstanceUnits`
/// is an amount, others a concentration (a reaction's rate divided by its
/// compartment's volume); rate rules, assignment rules, function
/// definitions and local parameters, a law wrapped in an extra `<apply>`;
/// against the analytic solution.
#[test]
fn amounts_concentrations_and_rules() {
    let math = |body: &str| format!(r#"<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>"#);
    let text = format!(
        r#"<?xml version="1.0"?>
<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4">
  <model id="m">
    <listOfFunctionDefinitions><functionDefinition id="mass_action">{lambda}</functionDefinition></listOfFunctionDefinitions>
    <listOfCompartments><compartment id="big" size="4"/></listOfCompartments>
    <listOfSpecies>
      <species id="A" compartment="big" initialAmount="8"/>
      <species id="N" compartment="big" initialAmount="8" hasOnlySubstanceUnits="true"/>
      <species id="total" compartment="big" initialAmount="0" hasOnlySubstanceUnits="true"/>
    </listOfSpecies>
    <listOfParameters><parameter id="clock" value="0" constant="false"/></listOfParameters>
    <listOfRules>
      <rateRule variable="clock">{one}</rateRule>
      <assignmentRule variable="total">{total}</assignmentRule>
    </listOfRules>
    <listOfReactions>
      <reaction id="r">
        <listOfReactants><speciesReference species="A"/><speciesReference species="N" stoichiometry="2"/></listOfReactants>
        <kineticLaw>{law}<listOfParameters><parameter id="k" value="0.5"/></listOfParameters></kineticLaw>
      </reaction>
    </listOfReactions>
  </model>
</sbml>"#,
        lambda = math(
            "<lambda><bvar><ci>k</ci></bvar><bvar><ci>x</ci></bvar><apply><times/><ci>k</ci><ci>x</ci></apply></lambda>"
        ),
        one = math("<cn type=\"e-notation\">1<sep/>0</cn>"),
        total = math("<apply><plus/><apply><times/><ci>A</ci><ci>big</ci></apply><ci>N</ci></apply>"),
        // Wrapped in one more `<apply>`, as Beer_MolBioSystems2014 of the
        // PEtab collection writes a kinetic law.
        law = math(
            "<apply><apply><ci>mass_action</ci><ci>k</ci><apply><times/><ci>big</ci><ci>A</ci></apply></apply></apply>"
        ),
    );
    let model = sbml_from_str("m.xml", &text).unwrap();
    assert_eq!(model.state_names(), ["clock", "A", "N"]);
    assert_eq!(model.param_names(), ["big", "r_k"]);
    // [A] = 8/4 = 2 initially; rate v = k·V·[A] (amount/time): d[A]/dt =
    // −v/V = −k[A], dN/dt = −2v = −2kV[A] (N an amount).
    assert_eq!(model.y0(), [0.0, 2.0, 8.0]);
    let opts = Options::default().rtol(1e-11).atol(1e-13).save_final();
    let sol = solve(&model, Rodas5P, (0.0, 3.0), model.y0(), model.params(), &opts).unwrap();
    let a = 2.0 * (-1.5f64).exp();
    let n = 8.0 - 2.0 * 4.0 * (2.0 - a); // N loses two per A converted, amounts
    let expected = [3.0, a, n];
    for (got, want) in sol.y.iter().zip(expected) {
        assert!((got - want).abs() < 1e-8, "{:?} vs {expected:?}", sol.y);
    }
}

/// SBML events against the analytic solution: `A' = -k A` from A = 1,
/// k = 0.5; at `time >= 2` a dose `A = A + 1`; when A falls below 0.3,
/// A is refilled to 1 and k doubles (a parameter an event assigns is a
/// state). The refill comes at t₁ = 2 + 2 ln((e⁻¹ + 1)/0.3), and then
/// A(6) = e^{-(6 - t₁)}.
#[test]
fn events_dose_and_refill() {
    let math = |body: &str| format!(r#"<math xmlns="http://www.w3.org/1998/Math/MathML">{body}</math>"#);
    let text = sbml(&format!(
        r#"{SPECIES}
    <listOfParameters><parameter id="k" value="0.5" constant="false"/></listOfParameters>
    <listOfReactions><reaction id="decay" reversible="false">
      <listOfReactants><speciesReference species="A" stoichiometry="1"/></listOfReactants>
      <kineticLaw>{}</kineticLaw></reaction></listOfReactions>
    <listOfEvents>
      <event id="dose"><trigger>{}</trigger><listOfEventAssignments>
        <eventAssignment variable="A">{}</eventAssignment></listOfEventAssignments></event>
      <event id="refill"><trigger>{}</trigger><listOfEventAssignments>
        <eventAssignment variable="A">{}</eventAssignment>
        <eventAssignment variable="k">{}</eventAssignment></listOfEventAssignments></event>
    </listOfEvents>"#,
        math("<apply><times/><ci>c</ci><ci>k</ci><ci>A</ci></apply>"),
        math(
            "<apply><geq/><csymbol definitionURL=\"http://www.sbml.org/sbml/symbols/time\">t</csymbol><cn>2</cn></apply>"
        ),
        math("<apply><plus/><ci>A</ci><cn>1</cn></apply>"),
        math("<apply><lt/><ci>A</ci><cn>0.3</cn></apply>"),
        math("<cn>1</cn>"),
        math("<apply><times/><cn>2</cn><ci>k</ci></apply>"),
    ));
    let model = sbml_from_str("events.xml", &text).unwrap();
    assert_eq!(model.state_names(), ["k", "A"]);
    let opts = Options::default().rtol(1e-11).atol(1e-13).save_final();
    let sol = solve(&model, Rodas5P, (0.0, 6.0), model.y0(), model.params(), &opts).unwrap();
    let t1 = 2.0 + 2.0 * (((-1.0f64).exp() + 1.0) / 0.3).ln();
    let events: Vec<(odeon::events::Cause, f64)> = sol.events.iter().map(|e| (e.cause, e.t)).collect();
    use odeon::events::Cause::Event;
    assert_eq!((events.len(), events[0].0, events[1].0), (2, Event(0), Event(1)), "{events:?}");
    assert!((events[0].1 - 2.0).abs() < 1e-9 && (events[1].1 - t1).abs() < 1e-8, "{events:?}");
    let (_, y) = sol.last().unwrap();
    assert_eq!(y[0], 1.0, "k doubled");
    assert!((y[1] - (-(6.0 - t1)).exp()).abs() < 1e-8, "A(6) = {}", y[1]);
    // Named on the command line or in a spec: the same model, its events
    // included (they were once dropped on that path).
    let path = std::env::temp_dir().join(format!("odeon-sbml-events-{}.xml", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let named = odeon::models::registry::Named::resolve(path.to_str().unwrap(), "".as_ref()).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(named.events().len(), 2);
    assert_eq!(solve(&named, Rodas5P, (0.0, 6.0), named.y0(), named.params(), &opts).unwrap(), sol);
}
