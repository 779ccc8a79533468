//! Tour section: trajectory optimization (the brachistochrone, two linked
//! phases, mesh refinement).

use odeon::ocp::problems::{Brachistochrone, Cannonball, HyperSensitive};
use odeon::ocp::{Collocation, Refinement, SqpOptions, Transcription};
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
    println!("   solution: brachistochrone.json");
    multi_phase(out)?;
    Ok(())
}

/// dymos's two-phase cannonball (linked ascent and descent, a shared
/// design parameter) and the hyper-sensitive problem's mesh refinement.
fn multi_phase(out: &Path) -> Result<(), Box<dyn Error>> {
    let traj = Cannonball::trajectory(
        Transcription::Radau { segments: 5, order: 3 },
        Transcription::GaussLobatto { segments: 5, order: 3 },
    )?;
    let sol = traj.solve(&SqpOptions::default())?;
    let (up, down) = (sol.phase("ascent").ok_or("ascent")?, sol.phase("descent").ok_or("descent")?);
    let range = down.timeseries.states.last().ok_or("no nodes")?[0];
    println!(
        "   two phases (cannonball: ascent + descent linked at the apex, radius shared): {:?} after {} iterations, \
         {:.1} ms; radius {:.4} m, range {range:.2} m (dymos {} m)",
        sol.status,
        sol.iterations,
        sol.seconds * 1e3,
        up.params[0],
        Cannonball::RANGE
    );
    let phase = HyperSensitive::phase(10.0);
    let ocp = Collocation::new(&HyperSensitive, &phase, Transcription::Radau { segments: 10, order: 3 })?;
    let refined = ocp.solve_refined(&SqpOptions::default(), &Refinement::default())?;
    let grids: Vec<String> = refined
        .history
        .iter()
        .map(|s| {
            let worst = s.errors.iter().fold(0.0f64, |a, e| a.max(*e));
            format!("{} segments / {} nodes ({worst:.1e})", s.errors.len(), s.nodes)
        })
        .collect();
    println!(
        "   ph mesh refinement (hyper-sensitive, tol 1e-4): {:?}, grids {}; J = {:.6} (analytic {:.6})",
        refined.status,
        grids.join(" → "),
        refined.solution.objective,
        HyperSensitive::optimum(10.0)
    );
    odeon::files::write_json(out.join("cannonball.json"), &sol, false)?;
    #[cfg(feature = "plot")]
    {
        odeon::plot::refinement(&refined, Some(1e-4), "Hyper-sensitive: mesh refinement", out.join("refinement.svg"))?;
        println!("   plot: refinement.svg");
    }
    println!("   solution: cannonball.json\n");
    Ok(())
}
