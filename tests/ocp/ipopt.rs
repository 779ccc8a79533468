//! IPOPT through the same `Nlp` trait (cargo feature `ipopt`): the same
//! optima, and odeon's SQP in no more iterations.
#![cfg(feature = "ipopt")]

use odeon::ocp::problems::{Brachistochrone, CartPole, MoonLanding, SwingUp};
use odeon::ocp::{Collocation, SqpOptions, Status, Transcription, solve_nlp_ipopt};

#[test]
fn ipopt_and_sqp_agree() {
    let opts = SqpOptions::default();
    for segments in [10, 20, 40] {
        let t = Transcription::GaussLobatto { segments, order: 3 };
        let ocp = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t).unwrap();
        let ip = ocp.solve_with(&opts, solve_nlp_ipopt).unwrap();
        let sqp = ocp.solve(&opts).unwrap();
        assert_eq!((ip.status, sqp.status), (Status::Optimal, Status::Optimal));
        assert!((ip.duration - sqp.duration).abs() < 1e-7, "{} vs {}", ip.duration, sqp.duration);
        println!("brachistochrone {segments}: IPOPT {} iterations, SQP {}", ip.iterations, sqp.iterations);
        assert!(sqp.iterations <= ip.iterations);
    }
    let t = Transcription::Radau { segments: 20, order: 3 };
    for (name, ip, sqp) in [
        {
            let ocp = Collocation::new(&SwingUp(CartPole), &CartPole::phase(), t).unwrap();
            ("cart-pole", ocp.solve_with(&opts, solve_nlp_ipopt).unwrap(), ocp.solve(&opts).unwrap())
        },
        {
            let ocp = Collocation::new(&MoonLanding, &MoonLanding::phase(), t).unwrap();
            ("moon landing", ocp.solve_with(&opts, solve_nlp_ipopt).unwrap(), ocp.solve(&opts).unwrap())
        },
    ] {
        println!(
            "{name}: IPOPT {} iterations J = {}, SQP {} J = {}",
            ip.iterations, ip.objective, sqp.iterations, sqp.objective
        );
        assert!((ip.objective - sqp.objective).abs() < 1e-5 * sqp.objective.abs().max(1.0));
        assert!(sqp.iterations <= ip.iterations, "{name}");
    }
}
