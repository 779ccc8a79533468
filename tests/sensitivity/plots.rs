//! Plots are written as SVG, name their series, and refuse what was not
//! computed.
#![cfg(feature = "plot")]

use odeon::Tsit5;
use odeon::models::LotkaVolterra as LV;
use odeon::plot::{Scale, sensitivities};
use odeon::sensitivity::{Wrt, solve_sensitivities_chunked};
use odeon::{Error, Options};

fn sens() -> odeon::sensitivity::Sensitivities {
    let opts = Options::default().t_eval((0..=50).map(|i| i as f64 * 0.2).collect());
    solve_sensitivities_chunked::<_, _, 4>(
        &LV,
        Tsit5,
        (0.0, 10.0),
        &LV::Y0,
        &LV::PARAMS,
        &[Wrt::Param(0), Wrt::Y0(1)],
        &opts,
    )
    .unwrap()
}

#[test]
fn sensitivity_plot_labels_its_series() {
    let path = std::env::temp_dir().join(format!("odeon-test-sens-{}.svg", std::process::id()));
    let s = sens();
    sensitivities(&LV, &s, &[(0, Wrt::Param(0)), (1, Wrt::Y0(1))], Scale::Absolute, "test", &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("∂x/∂a") && svg.contains("∂y/∂y(t0)"));
    let scale = Scale::Normalized { p: &LV::PARAMS, y0: &LV::Y0 };
    sensitivities(&LV, &s, &[(0, Wrt::Param(0))], scale, "test", &path).unwrap();
    assert!(std::fs::read_to_string(&path).unwrap().contains("(a/x) ∂x/∂a"));
    std::fs::remove_file(path).ok();
}

#[test]
fn missing_pairs_are_typed_errors() {
    let s = sens();
    let path = std::env::temp_dir().join("odeon-never-written.svg");
    let e = sensitivities(&LV, &s, &[(0, Wrt::Param(0)), (0, Wrt::Param(3))], Scale::Absolute, "t", &path).unwrap_err();
    assert!(matches!(e, Error::InvalidWrt { index: 1, .. }), "{e}");
    let e = sensitivities(&LV, &s, &[(5, Wrt::Param(0))], Scale::Absolute, "t", &path).unwrap_err();
    assert!(matches!(e, Error::InvalidWrt { index: 0, .. }), "{e}");
}

#[test]
#[cfg(feature = "png")]
fn png_output_needs_no_system_library() {
    let path = std::env::temp_dir().join(format!("odeon-test-sens-{}.png", std::process::id()));
    sensitivities(&LV, &sens(), &[(0, Wrt::Param(0))], Scale::Absolute, "PNG", &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    std::fs::remove_file(path).ok();
}

#[test]
#[cfg(not(feature = "png"))]
fn png_without_the_feature_is_a_typed_error_and_writes_nothing() {
    let path = std::env::temp_dir().join(format!("odeon-test-no-png-{}.png", std::process::id()));
    let e = sensitivities(&LV, &sens(), &[(0, Wrt::Param(0))], Scale::Absolute, "PNG", &path).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidOption { name: "plot path", reason } if reason.contains("`png` feature")),
        "{e}"
    );
    assert!(!path.exists());
}
