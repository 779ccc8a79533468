//! Small classic models with compile-time sizes.

use crate::{DualScalar, OdeSystem};
use nalgebra::{Const, SVector};

/// Declares a fixed-size model: the struct, its textbook values and the
/// `OdeSystem` impl around a right-hand side body.
macro_rules! model {
    (
        $(#[$doc:meta])*
        $name:ident, states = [$($s:literal),+], params = [$($p:literal = $pv:expr),*], y0 = [$($y0:expr),+],
        |$t:ident, $y:ident, $pp:ident, $dy:ident| $body:block
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl $name {
            /// Textbook parameter values, in the order of `param_names`.
            pub const PARAMS: [f64; [$($p),*].len()] = [$($pv),*];
            /// A textbook initial state.
            pub const Y0: [f64; [$($s),+].len()] = [$($y0),+];
        }

        impl OdeSystem for $name {
            type Dim = Const<{ [$($s),+].len() }>;
            fn dim(&self) -> Self::Dim {
                Const
            }
            fn n_params(&self) -> usize {
                [$($p),*].len()
            }
            #[inline]
            #[allow(unused_variables)]
            fn rhs<D: DualScalar>(
                &self,
                $t: D,
                $y: &SVector<D, { [$($s),+].len() }>,
                $pp: &[D],
                $dy: &mut SVector<D, { [$($s),+].len() }>,
            ) $body
            // None of these right-hand sides reads `t`.
            fn autonomous(&self) -> bool {
                true
            }
            fn state_names(&self) -> Vec<String> {
                vec![$($s.to_string()),+]
            }
            fn param_names(&self) -> Vec<String> {
                vec![$($p.to_string()),*]
            }
        }
    };
}

model!(
    /// Exponential decay `y' = −k y`; `y(t) = y0 e^{−kt}`.
    ///
    /// ```
    /// use odeon::{models::ExponentialDecay as M, solve, Method, Options};
    /// let sol = solve(&M, Method::Dopri5, (0.0, 1.0), &M::Y0, &M::PARAMS, &Options::default())?;
    /// assert!((sol.last().unwrap().1[0] - (-1.0f64).exp()).abs() < 1e-6);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    ExponentialDecay, states = ["y"], params = ["k" = 1.0], y0 = [1.0],
    |t, y, p, dy| {
        dy[0] = -p[0] * y[0];
    }
);

model!(
    /// Harmonic oscillator `x' = v, v' = −ω² x`; `x(t) = x0 cos ωt + v0/ω sin ωt`.
    ///
    /// ```
    /// use odeon::{models::HarmonicOscillator as M, solve, Method, Options};
    /// let opts = Options::default().rtol(1e-10).atol(1e-12);
    /// let sol = solve(&M, Method::Tsit5, (0.0, 3.0), &M::Y0, &M::PARAMS, &opts)?;
    /// assert!((sol.last().unwrap().1[0] - 3.0f64.cos()).abs() < 1e-8);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    HarmonicOscillator, states = ["x", "v"], params = ["omega" = 1.0], y0 = [1.0, 0.0],
    |t, y, p, dy| {
        dy[0] = y[1];
        dy[1] = -p[0] * p[0] * y[0];
    }
);

model!(
    /// Van der Pol oscillator `x' = v, v' = μ (1 − x²) v − x` (stiff for large μ).
    ///
    /// ```
    /// use odeon::{models::VanDerPol as M, solve, Method, Options};
    /// let sol = solve(&M, Method::Dopri5, (0.0, 20.0), &M::Y0, &M::PARAMS, &Options::default())?;
    /// assert!(sol.stats.accepted > 50);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    VanDerPol, states = ["x", "v"], params = ["mu" = 1.0], y0 = [2.0, 0.0],
    |t, y, p, dy| {
        dy[0] = y[1];
        dy[1] = p[0] * (-y[0] * y[0] + 1.0) * y[1] - y[0];
    }
);

model!(
    /// Lotka–Volterra predator–prey `x' = a x − b x y, y' = −c y + d x y`.
    ///
    /// ```
    /// use odeon::{models::LotkaVolterra as M, solve, Method, Options};
    /// let sol = solve(&M, Method::Dopri5, (0.0, 10.0), &M::Y0, &M::PARAMS, &Options::default())?;
    /// assert!(sol.y.iter().all(|&v| v > 0.0)); // populations stay positive
    /// # Ok::<(), odeon::Error>(())
    /// ```
    LotkaVolterra, states = ["x", "y"], params = ["a" = 1.5, "b" = 1.0, "c" = 3.0, "d" = 1.0], y0 = [1.0, 1.0],
    |t, y, p, dy| {
        let xy = y[0] * y[1];
        dy[0] = p[0] * y[0] - p[1] * xy;
        dy[1] = -p[2] * y[1] + p[3] * xy;
    }
);

model!(
    /// Lorenz system `x' = σ (y − x), y' = x (ρ − z) − y, z' = x y − β z`.
    ///
    /// ```
    /// use odeon::{models::Lorenz as M, solve, Method, Options};
    /// let sol = solve(&M, Method::Dop853, (0.0, 1.0), &M::Y0, &M::PARAMS, &Options::default())?;
    /// assert_eq!(sol.n_states, 3);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    Lorenz, states = ["x", "y", "z"], params = ["sigma" = 10.0, "rho" = 28.0, "beta" = 8.0 / 3.0], y0 = [1.0, 1.0, 1.0],
    |t, y, p, dy| {
        dy[0] = p[0] * (y[1] - y[0]);
        dy[1] = y[0] * (p[1] - y[2]) - y[1];
        dy[2] = y[0] * y[1] - p[2] * y[2];
    }
);

model!(
    /// Damped pendulum `θ' = ω, ω' = −(g/l) sin θ − b ω`.
    ///
    /// ```
    /// use odeon::{models::Pendulum as M, solve, Method, Options};
    /// let sol = solve(&M, Method::Tsit5, (0.0, 30.0), &M::Y0, &M::PARAMS, &Options::default())?;
    /// assert!(sol.last().unwrap().1[0].abs() < M::Y0[0]); // energy is lost
    /// # Ok::<(), odeon::Error>(())
    /// ```
    Pendulum, states = ["theta", "omega"], params = ["g" = 9.81, "l" = 1.0, "b" = 0.2], y0 = [1.0, 0.0],
    |t, y, p, dy| {
        dy[0] = y[1];
        dy[1] = -(p[0] / p[1]) * y[0].sin() - p[2] * y[1];
    }
);

model!(
    /// SIR epidemic `S' = −β S I / N, I' = β S I / N − γ I, R' = γ I`, `N = S + I + R`.
    ///
    /// ```
    /// use odeon::{models::Sir as M, solve, Method, Options};
    /// let sol = solve(&M, Method::Dopri5, (0.0, 100.0), &M::Y0, &M::PARAMS, &Options::default())?;
    /// let total: f64 = sol.last().unwrap().1.iter().sum();
    /// assert!((total - M::Y0.iter().sum::<f64>()).abs() < 1e-6); // N is conserved
    /// # Ok::<(), odeon::Error>(())
    /// ```
    Sir, states = ["S", "I", "R"], params = ["beta" = 0.3, "gamma" = 0.1], y0 = [990.0, 10.0, 0.0],
    |t, y, p, dy| {
        let n = y[0] + y[1] + y[2];
        let infection = p[0] * y[0] * y[1] / n;
        let recovery = p[1] * y[1];
        dy[0] = -infection;
        dy[1] = infection - recovery;
        dy[2] = recovery;
    }
);

model!(
    /// Robertson's chemical kinetics, the classic stiff test
    /// `y1' = −k1 y1 + k3 y2 y3, y2' = k1 y1 − k2 y2² − k3 y2 y3, y3' = k2 y2²`.
    /// Explicit methods cannot integrate it efficiently: they stop with a
    /// typed error.
    ///
    /// ```
    /// use odeon::{models::Robertson as M, solve, Error, Method, Options, Rodas5P};
    /// let r = solve(&M, Method::Dopri5, (0.0, 1e5), &M::Y0, &M::PARAMS, &Options::default());
    /// assert!(matches!(r, Err(Error::Stiff { .. })));
    /// let sol = solve(&M, Rodas5P, (0.0, 1e5), &M::Y0, &M::PARAMS, &Options::default().atol(1e-10))?;
    /// assert!(sol.stats.accepted < 200);
    /// # Ok::<(), odeon::Error>(())
    /// ```
    Robertson, states = ["y1", "y2", "y3"], params = ["k1" = 0.04, "k2" = 3e7, "k3" = 1e4], y0 = [1.0, 0.0, 0.0],
    |t, y, p, dy| {
        let r1 = p[0] * y[0];
        let r2 = p[1] * y[1] * y[1];
        let r3 = p[2] * y[1] * y[2];
        dy[0] = -r1 + r3;
        dy[1] = r1 - r2 - r3;
        dy[2] = r2;
    }
);

model!(
    /// Van der Pol in Hairer's scaled, stiff form (*Solving ODEs II*,
    /// §IV.1; the IVP test set's `vdpol`): `y1' = y2`,
    /// `y2' = ((1 − y1²) y2 − y1)/ε`. With `ε = 1e-6` the relaxation
    /// oscillation has layers of width ~ε: explicit methods cannot follow it.
    ///
    /// ```
    /// use odeon::{models::StiffVanDerPol as M, solve, Options, Rodas5P};
    /// let opts = Options::default().rtol(1e-6).atol(1e-6).save_final();
    /// let sol = solve(&M, Rodas5P, (0.0, 2.0), &M::Y0, &M::PARAMS, &opts)?;
    /// assert!((sol.last().unwrap().1[0] - 1.7061674375431832).abs() < 1e-4); // scipy Radau at 1e-12
    /// # Ok::<(), odeon::Error>(())
    /// ```
    StiffVanDerPol, states = ["y1", "y2"], params = ["eps" = 1e-6], y0 = [2.0, -0.66],
    |t, y, p, dy| {
        dy[0] = y[1];
        dy[1] = ((-y[0] * y[0] + 1.0) * y[1] - y[0]) / p[0];
    }
);

model!(
    /// HIRES: the "High Irradiance RESponse" of plant photomorphogenesis
    /// (Schäfer 1975; Hairer & Wanner, *Solving ODEs II*, §IV.10; the IVP
    /// test set's `hires`), 8 stiff states, usually solved to t = 321.8122.
    /// The twelve rate constants are the parameters.
    ///
    /// ```
    /// use odeon::{models::Hires as M, solve, Options, Rodas5P};
    /// let opts = Options::default().rtol(1e-8).atol(1e-12).save_final();
    /// let sol = solve(&M, Rodas5P, (0.0, 321.8122), &M::Y0, &M::PARAMS, &opts)?;
    /// assert!((sol.last().unwrap().1[7] / 0.0028500016048143497 - 1.0).abs() < 1e-5); // scipy Radau at 1e-12
    /// # Ok::<(), odeon::Error>(())
    /// ```
    Hires,
    states = ["y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"],
    params = [
        "k1" = 1.71, "k2" = 0.43, "k3" = 8.32, "k4" = 0.0007, "k5" = 8.75, "k6" = 10.03,
        "k7" = 0.035, "k8" = 1.12, "k9" = 1.745, "k10" = 280.0, "k11" = 0.69, "k12" = 1.81
    ],
    y0 = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057],
    |t, y, p, dy| {
        let (k1, k2, k3, k4, k5, k6) = (p[0], p[1], p[2], p[3], p[4], p[5]);
        let (k7, k8, k9, k10, k11, k12) = (p[6], p[7], p[8], p[9], p[10], p[11]);
        let r = k10 * y[5] * y[7];
        dy[0] = -k1 * y[0] + k2 * y[1] + k3 * y[2] + k4;
        dy[1] = k1 * y[0] - k5 * y[1];
        dy[2] = -k6 * y[2] + k2 * y[3] + k7 * y[4];
        dy[3] = k3 * y[1] + k1 * y[2] - k8 * y[3];
        dy[4] = -k9 * y[4] + k2 * y[5] + k2 * y[6];
        dy[5] = -r + k11 * y[3] + k1 * y[4] - k2 * y[5] + k11 * y[6];
        dy[6] = r - k12 * y[6];
        dy[7] = -r + k12 * y[6];
    }
);
