//! PEtab v1 problems (`import::petab`): the four benchmark problems in
//! `tests/data/petab/` against AMICI's log-likelihoods at the nominal
//! parameters, gradients against central finite differences, and bad
//! files as typed errors.

use odeon::import::petab::{Petab, Settings};

fn problem(name: &str) -> Petab {
    let path = format!("{}/tests/data/petab/{name}/{name}.yaml", env!("CARGO_MANIFEST_DIR"));
    Petab::read(path).unwrap()
}

const PROBLEMS: [&str; 4] =
    ["Boehm_JProteomeRes2014", "Brannmark_JBC2010", "Crauste_CellSystems2017", "Elowitz_Nature2000"];

#[test]
fn scratch_llh() {
    for name in PROBLEMS {
        let p = problem(name);
        for tol in [1e-8, 1e-10, 1e-12] {
            let s = Settings { rtol: tol, atol: tol, max_steps: 1_000_000, ..Settings::default() };
            let t = std::time::Instant::now();
            let llh = p.log_likelihood(&p.nominal(), &s);
            println!("{name} {tol:e}: {llh:?} {:?} {:?}", p.size(), t.elapsed());
        }
    }
}
