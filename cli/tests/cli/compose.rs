//! `odeon simulate` of a composite file: the subsystems' states by their
//! qualified names in the CSV.

use crate::{odeon, repo};

#[test]
fn the_command_line_takes_a_composite_file() {
    let file = repo("examples/models/van_der_pol_pi.toml");
    let out = std::env::temp_dir().join(format!("odeon-composite-cli-{}", std::process::id()));
    let o = odeon(&["simulate", &file, "--t-end", "30", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("van_der_pol_pi.csv")).unwrap();
    assert!(csv.lines().next().unwrap().contains("plant.x"), "{csv}");
    std::fs::remove_dir_all(out).ok();
}
