//! Ensembles of models with events: every sample's events are its own.

use odeon::ensemble::{Dist, Ensemble, Independent};
use odeon::models::BouncingBall;
use odeon::{Options, Tsit5};

#[test]
fn each_sample_bounces_at_its_own_closed_form_times() {
    // Drop heights and restitutions vary; the bounce times are t₁ =
    // √(2h0/g), t_{k+1} = t_k + 2eᵏ√(2gh0)/g. Over [0, 3] no sample
    // reaches the time its bounces accumulate at (t₁(1 + 2e/(1 − e)) > 3).
    let sampler = Independent::new(
        vec![Dist::Uniform { low: 5.0, high: 15.0 }, Dist::Fixed(0.0)],
        vec![Dist::Fixed(9.81), Dist::Uniform { low: 0.5, high: 0.9 }],
    )
    .unwrap();
    let opts = Options::default().rtol(1e-10).atol(1e-10).save_final();
    let ens = Ensemble::new(&BouncingBall { terminal: false }, Tsit5, (0.0, 3.0), sampler, 400).seed(7).options(opts);
    let m = ens
        .run_map(
            |_, draw, sol| {
                let (h0, g, e) = (draw.y0[0], draw.p[0], draw.p[1]);
                let v = (2.0 * g * h0).sqrt();
                let mut t = v / g;
                let mut err = if sol.events.is_empty() { f64::INFINITY } else { 0.0 };
                for (k, event) in sol.events.iter().enumerate() {
                    err = err.max((event.t - t).abs());
                    t += 2.0 * e.powi(k as i32 + 1) * v / g;
                }
                (err, sol.events.len())
            },
            |a, b| (a.0.max(b.0), a.1 + b.1),
        )
        .unwrap();
    assert_eq!(m.succeeded, 400, "{:?}", m.failures.first());
    let (err, events) = m.value.unwrap();
    assert!(err < 1e-9, "largest error {err}");
    assert!(events > 500, "{events} bounces in all");
}
