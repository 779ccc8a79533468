//! Tour section: trajectory optimization (the brachistochrone).

use odeon::ocp::problems::Brachistochrone;
use odeon::ocp::{Collocation, SqpOptions, Transcription};
use odeon::system::Model;
use std::error::Error;
use std::path::Path;
use std::time::Instant;

pub fn run(out: &Path) -> Result<(), Box<dyn Error>> {
    println!("5. Optimize: brachistochrone, minimum time from (0, 10) to (10, 5), Gauss–Lobatto order 3, SQP");
    println!(
        "   {:<9} {:>6} {:>7} {:>10} {:>14} {:>11}",
        "segments", "iters", "status", "time", "t_f (s)", "vs cycloid"
    );
    let mut last = None;
    for segments in [10, 20, 40] {
        let t = Transcription::GaussLobatto { segments, order: 3 };
        let start = Instant::now();
        let sol = Collocation::new(&Brachistochrone, &Brachistochrone::phase(), t)?.solve(&SqpOptions::default())?;
        let secs = start.elapsed().as_secs_f64();
        println!(
            "   {segments:<9} {:>6} {:>7} {:>7.1} ms {:>14.8} {:>+11.1e}",
            sol.iterations,
            format!("{:?}", sol.status),
            secs * 1e3,
            sol.duration,
            sol.duration - Brachistochrone::T_OPT
        );
        last = Some(sol);
    }
    let sol = last.ok_or("no solution")?;
    let check = sol.simulate(&Brachistochrone)?;
    let end = check.states.last().ok_or("no simulated states")?;
    println!(
        "   re-integrated (Dop853) under the optimal control: ends at ({:.6}, {:.6}), largest node difference {:.1e}",
        end[0],
        end[1],
        check.max_error.iter().fold(0.0f64, |a, b| a.max(*b))
    );
    odeon::files::write_json(out.join("brachistochrone.json"), &sol, false)?;
    #[cfg(feature = "plot")]
    {
        let path = sol.timeseries.states.iter().map(|x| (x[0], x[1])).collect();
        let simulated = check.states.iter().map(|x| (x[0], x[1])).collect();
        odeon::plot::lines(
            out.join("brachistochrone_path.svg"),
            "Brachistochrone: path (40 segments)",
            "x (m)",
            "y (m)",
            &[("collocation".into(), path), ("simulated".into(), simulated)],
        )?;
        let names = Brachistochrone.state_names();
        odeon::plot::ocp_states(
            &sol,
            Some(&check),
            &names,
            "Brachistochrone: states",
            out.join("brachistochrone_states.svg"),
        )?;
        println!("   plots: brachistochrone_path.svg, brachistochrone_states.svg");
    }
    println!("   solution: brachistochrone.json\n");
    Ok(())
}
