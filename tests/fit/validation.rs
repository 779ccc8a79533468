//! Indices and names a fit is given are checked when the problem is
//! validated: a typed error, never an index panic inside the solver
//! threads and never a silently dropped request.

use odeon::fit::{Data, Experiment, FitOptions, FitProblem, Multistart, Parameter, States, fit, multistart};
use odeon::models::LotkaVolterra as LV;
use odeon::{Dopri5, Error};

fn data() -> Data {
    Data::new(vec![1.0, 2.0], vec![1.0, 1.0, 0.9, 1.1]).unwrap()
}

fn problem(observe: Vec<usize>, experiment: Experiment) -> FitProblem<'static, LV, States, Dopri5> {
    let mut p = FitProblem::new(&LV, Dopri5, States(observe));
    for (name, guess) in [("a", 1.0), ("b", 0.5), ("c", 2.0), ("d", 0.5)] {
        p = p.parameter(Parameter::new(name, guess).bounds(0.1, 5.0));
    }
    p.experiment(experiment)
}

#[test]
fn states_past_the_model_are_refused_before_any_solve() {
    let p = problem(vec![0, 2], Experiment::new("lv", &[1.0, 1.0], data()));
    let e = p.validate().unwrap_err();
    assert!(matches!(&e, Error::InvalidObservable { reason } if reason.contains("state 2")), "{e}");
    // The same through a fit and a parallel multistart (where it used to
    // panic inside rayon's threads).
    assert!(matches!(fit(&p, &FitOptions::default()), Err(Error::InvalidObservable { .. })));
    let starts = Multistart { starts: 4, seed: 1, progress: false };
    assert!(matches!(multistart(&p, &FitOptions::default(), &starts), Err(Error::InvalidObservable { .. })));
}

#[test]
fn an_initial_state_index_past_the_state_is_an_error() {
    let exp = Experiment::new("lv", &[1.0, 1.0], data()).estimate_initial(2, Parameter::new("z0", 1.0));
    let e = problem(vec![0, 1], exp).validate().unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { experiment, reason, .. } if experiment == "lv" && reason.contains("estimate_initial(2)")),
        "{e}"
    );
}

#[test]
fn names_given_twice_are_errors() {
    // The builder replaces a parameter by name; the public list can still
    // hold two.
    let mut p = problem(vec![0, 1], Experiment::new("lv", &[1.0, 1.0], data()));
    p.parameters.push(Parameter::new("b", 0.7));
    let e = p.validate().unwrap_err();
    assert!(matches!(&e, Error::InvalidParameter { name, reason } if name == "b" && reason.contains("twice")), "{e}");
    // Two experiments of one name would give their estimated initial
    // states one name in the report.
    let p = problem(vec![0, 1], Experiment::new("lv", &[1.0, 1.0], data())).experiment(Experiment::new(
        "lv",
        &[1.0, 2.0],
        data(),
    ));
    let e = p.validate().unwrap_err();
    assert!(
        matches!(&e, Error::InvalidData { experiment, reason, .. } if experiment == "lv" && reason.contains("name")),
        "{e}"
    );
}

#[test]
fn a_valid_problem_still_validates() {
    let exp =
        Experiment::new("lv", &[1.0, 1.0], data()).estimate_initial(1, Parameter::new("y0", 1.0).bounds(0.1, 5.0));
    let layout = problem(vec![0, 1], exp).validate();
    assert!(layout.is_ok(), "{layout:?}");
}
