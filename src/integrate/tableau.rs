#![allow(clippy::excessive_precision)] // the published coefficients, digit for digit
//! Butcher tableaux held as data.
//!
//! One generic stepper ([`Integrator`](super::Integrator)) runs every method;
//! a method is its tableau, its error estimator and its continuous extension.
//! Each tableau is checked when the crate compiles (`const` assertions: rows
//! of `a` sum to `c`, `b` sums to one, error weights sum to zero, the dense
//! output reproduces `b` at θ = 1, FSAL rows equal `b`).

/// How a method estimates its local error.
#[derive(Clone, Copy, Debug)]
pub enum ErrorEstimator {
    /// No estimate: the method runs only with a fixed step (`Options::dt`).
    None,
    /// An embedded pair: `e = b − b̂` where `b̂` is a solution of order `order`.
    Embedded {
        /// Weights `b − b̂`, one per stage.
        e: &'static [f64],
        /// Order of the embedded solution `b̂`.
        order: u32,
    },
    /// Hairer's two-part estimate of DOP853 (Hairer, Nørsett & Wanner,
    /// *Solving ODEs I*, 2nd ed., §II.10): a 5th-order and a 3rd-order
    /// difference combined as `err5² / sqrt(err5² + 0.01 err3²)`.
    Dop853 {
        /// Weights of the 5th-order difference.
        e5: &'static [f64],
        /// Weights of the 3rd-order difference.
        e3: &'static [f64],
    },
}

impl ErrorEstimator {
    /// The exponent denominator `q` of the step-size controller
    /// (`h_new ∝ err^(−1/q)`), or `None` for fixed-step methods.
    pub const fn controller_order(&self) -> Option<u32> {
        match self {
            ErrorEstimator::None => None,
            ErrorEstimator::Embedded { order, .. } => Some(*order + 1),
            ErrorEstimator::Dop853 { .. } => Some(8),
        }
    }
}

/// A method's continuous extension (dense output) over one step.
#[derive(Clone, Copy, Debug)]
pub enum Interpolant {
    /// Cubic Hermite interpolation from `y0, y1, f(t0, y0), f(t1, y1)`.
    Hermite,
    /// `y(t0 + θh) = y0 + h Σ_i k_i Σ_j p[i][j] θ^(j+1)`, one row per stage.
    Polynomial(&'static [&'static [f64]]),
    /// Hairer's 7th-order DOP853 extension: three extra stages (`c`, `a`,
    /// with columns over the 12 stages, `f(t1, y1)` and the earlier extra
    /// stages) and the coefficient rows `d` over all 16 stages.
    Dop853 {
        /// Nodes of the three extra stages.
        c: &'static [f64],
        /// Coefficients of the three extra stages.
        a: &'static [&'static [f64]],
        /// The four rows of the higher coefficients.
        d: &'static [&'static [f64]],
    },
}

/// An explicit Runge–Kutta method as data.
#[derive(Clone, Copy, Debug)]
pub struct Tableau {
    /// The method's literature name.
    pub name: &'static str,
    /// Order of the propagated solution.
    pub order: u32,
    /// Nodes `c_i`.
    pub c: &'static [f64],
    /// Strictly lower-triangular coefficients: `a[i]` has `i` entries.
    pub a: &'static [&'static [f64]],
    /// Weights `b_i`.
    pub b: &'static [f64],
    /// First-same-as-last: the last stage is `f(t + h, y_new)`.
    pub fsal: bool,
    /// The local error estimate.
    pub error: ErrorEstimator,
    /// The continuous extension.
    pub dense: Interpolant,
    /// Hairer's PI-controller defaults for this method.
    pub controller: super::Controller,
}

const fn sum(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while i < xs.len() {
        s += xs[i];
        i += 1;
    }
    s
}

const fn close(x: f64, y: f64) -> bool {
    (x - y).abs() <= 1e-14 * (1.0 + y.abs())
}

impl Tableau {
    /// Number of stages.
    pub const fn stages(&self) -> usize {
        self.b.len()
    }

    /// Check the tableau's consistency; panics (at compile time when used
    /// in a `const`) if a simplifying condition is violated.
    pub const fn check(&self) {
        let s = self.b.len();
        assert!(self.c.len() == s && self.a.len() == s, "c, a and b differ in length");
        assert!(self.c[0] == 0.0, "an explicit method starts at c = 0");
        let mut i = 0;
        while i < s {
            assert!(self.a[i].len() == i, "a[i] must have i entries");
            assert!(close(sum(self.a[i]), self.c[i]), "row sum of a differs from c");
            i += 1;
        }
        assert!(close(sum(self.b), 1.0), "b does not sum to one");
        if self.fsal {
            let last = self.a[s - 1];
            assert!(self.c[s - 1] == 1.0 && self.b[s - 1] == 0.0, "FSAL stage must be at c = 1");
            let mut j = 0;
            while j < s - 1 {
                assert!(last[j] == self.b[j], "FSAL row differs from b");
                j += 1;
            }
        }
        match self.error {
            ErrorEstimator::None => {}
            ErrorEstimator::Embedded { e, .. } => {
                assert!(e.len() == s && close(sum(e), 0.0), "error weights");
            }
            ErrorEstimator::Dop853 { e5, e3 } => {
                assert!(e5.len() == s && e3.len() == s, "error weights length");
                assert!(close(sum(e5), 0.0) && close(sum(e3), 0.0), "error weights sum");
            }
        }
        match self.dense {
            Interpolant::Hermite => {}
            Interpolant::Polynomial(p) => {
                assert!(p.len() == s, "one interpolant row per stage");
                let mut i = 0;
                while i < s {
                    assert!(close(sum(p[i]), self.b[i]), "interpolant at θ=1 differs from b");
                    i += 1;
                }
            }
            Interpolant::Dop853 { c, a, d } => {
                assert!(c.len() == 3 && a.len() == 3 && d.len() == 4, "DOP853 extension");
                let mut i = 0;
                while i < 3 {
                    assert!(a[i].len() == s + 1 + i, "extra stage row length");
                    assert!(close(sum(a[i]), c[i]), "extra stage row sum");
                    i += 1;
                }
            }
        }
    }
}

/// A method type: a zero-sized marker carrying its [`Tableau`], so that the
/// stepper is monomorphized over the tableau and its loops see constants.
///
/// # Example
/// A user-defined method (Ralston's second-order method) runs on the
/// same stepper:
/// ```
/// use odeon::integrate::{Controller, ErrorEstimator, ExplicitRk, Interpolant, Tableau};
///
/// #[derive(Clone, Copy, Default)]
/// struct Ralston;
/// impl ExplicitRk for Ralston {
///     const TABLEAU: Tableau = Tableau {
///         name: "Ralston",
///         order: 2,
///         c: &[0.0, 2.0 / 3.0],
///         a: &[&[], &[2.0 / 3.0]],
///         b: &[0.25, 0.75],
///         fsal: false,
///         error: ErrorEstimator::None,
///         dense: Interpolant::Hermite,
///         controller: Controller::HAIRER,
///     };
/// }
/// Ralston::TABLEAU.check();
/// ```
pub trait ExplicitRk: Copy + Default + Send + Sync + 'static {
    /// The method's data.
    const TABLEAU: Tableau;
    /// How the method detects stiffness, if it does (`None` by default).
    const STIFFNESS: Option<StiffnessTest> = None;
}

/// Hairer's stiffness test for an explicit method (*Solving ODEs II*,
/// §IV.2; the codes DOPRI5 and DOP853): after an accepted step (on the
/// schedule [`Options::detect_stiffness`](super::Options::detect_stiffness) describes),
/// `ρ = |h| ‖f(t₁, y₁) − k_s‖₂ / ‖y₁ − Y_s‖₂`, where `Y_s` is the argument of
/// a stage at `c_s = 1` and `k_s` its slope, estimates `|h λ|` for the
/// dominant eigenvalue `λ`. When `ρ` exceeds a bound near the edge of the
/// stability region on the negative real axis, the step is being limited
/// by stability rather than accuracy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StiffnessTest {
    /// Index of the stage at `c = 1` (its argument and slope are compared
    /// with `y₁` and `f(t₁, y₁)`).
    pub stage: usize,
    /// The bound on `ρ` (DOPRI5: 3.25; DOP853: 6.1).
    pub bound: f64,
}

macro_rules! method {
    ($(#[$doc:meta])* $ty:ident, $tab:ident $(, stiffness = $stage:literal, $bound:literal)?) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $ty;
        impl ExplicitRk for $ty {
            const TABLEAU: Tableau = $tab;
            $(const STIFFNESS: Option<StiffnessTest> = Some(StiffnessTest { stage: $stage, bound: $bound });)?
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad($tab.name)
            }
        }
        const _: () = $tab.check();
    };
}

use super::Controller;

/// Forward Euler, order 1 (fixed step only).
pub const EULER: Tableau = Tableau {
    name: "Euler",
    order: 1,
    c: &[0.0],
    a: &[&[]],
    b: &[1.0],
    fsal: false,
    error: ErrorEstimator::None,
    dense: Interpolant::Hermite,
    controller: Controller::HAIRER,
};

/// Heun's method (explicit trapezoid), order 2 (fixed step only).
pub const HEUN: Tableau = Tableau {
    name: "Heun",
    order: 2,
    c: &[0.0, 1.0],
    a: &[&[], &[1.0]],
    b: &[0.5, 0.5],
    fsal: false,
    error: ErrorEstimator::None,
    dense: Interpolant::Hermite,
    controller: Controller::HAIRER,
};

/// The classic fourth-order Runge–Kutta method (fixed step only).
pub const RK4: Tableau = Tableau {
    name: "RK4",
    order: 4,
    c: &[0.0, 0.5, 0.5, 1.0],
    a: &[&[], &[0.5], &[0.0, 0.5], &[0.0, 0.0, 1.0]],
    b: &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
    fsal: false,
    error: ErrorEstimator::None,
    dense: Interpolant::Hermite,
    controller: Controller::HAIRER,
};

/// Bogacki & Shampine, "A 3(2) pair of Runge–Kutta formulas", Appl. Math.
/// Lett. 2 (1989) 321–325. FSAL, 3 evaluations a step.
pub const BS3: Tableau = Tableau {
    name: "Bs3",
    order: 3,
    c: &[0.0, 0.5, 0.75, 1.0],
    a: &[&[], &[0.5], &[0.0, 0.75], &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0]],
    b: &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
    fsal: true,
    error: ErrorEstimator::Embedded {
        // b − b̂ with b̂ = (7/24, 1/4, 1/3, 1/8)
        e: &[2.0 / 9.0 - 7.0 / 24.0, 1.0 / 3.0 - 0.25, 4.0 / 9.0 - 1.0 / 3.0, -0.125],
        order: 2,
    },
    dense: Interpolant::Hermite,
    controller: Controller::HAIRER,
};

const DP5_B: [f64; 7] = [35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0, 0.0];

/// Dormand & Prince, "A family of embedded Runge–Kutta formulae", J. Comput.
/// Appl. Math. 6 (1980) 19–26; dense output from Shampine, "Some practical
/// Runge–Kutta formulas", Math. Comp. 46 (1986) 135–150 (as in Hairer's
/// DOPRI5 and scipy's RK45). FSAL, 6 evaluations a step.
pub const DOPRI5: Tableau = Tableau {
    name: "Dopri5",
    order: 5,
    c: &[0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0],
    a: &[
        &[],
        &[0.2],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0],
        &[9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0],
        &[35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0],
    ],
    b: &DP5_B,
    fsal: true,
    error: ErrorEstimator::Embedded {
        e: &[71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0],
        order: 4,
    },
    dense: Interpolant::Polynomial(&[
        &[1.0, -8048581381.0 / 2820520608.0, 8663915743.0 / 2820520608.0, -12715105075.0 / 11282082432.0],
        &[0.0, 0.0, 0.0, 0.0],
        &[0.0, 131558114200.0 / 32700410799.0, -68118460800.0 / 10900136933.0, 87487479700.0 / 32700410799.0],
        &[0.0, -1754552775.0 / 470086768.0, 14199869525.0 / 1410260304.0, -10690763975.0 / 1880347072.0],
        &[0.0, 127303824393.0 / 49829197408.0, -318862633887.0 / 49829197408.0, 701980252875.0 / 199316789632.0],
        &[0.0, -282668133.0 / 205662961.0, 2019193451.0 / 616988883.0, -1453857185.0 / 822651844.0],
        &[0.0, 40617522.0 / 29380423.0, -110615467.0 / 29380423.0, 69997945.0 / 29380423.0],
    ]),
    controller: Controller::HAIRER,
};

const TS5_B: [f64; 7] = [
    0.096_460_766_818_065_229_518_167_313_165_128_763_337_119_952_381_579_97,
    0.01,
    0.479_889_650_414_499_574_775_249_532_290_596_519_913_040_462_199_033_25,
    1.379_008_574_103_741_893_192_274_821_856_872_770_756_462_643_091_360_5,
    -3.290_069_515_436_080_679_901_047_585_711_363_850_115_683_290_894_936_2,
    2.324_710_524_099_773_982_415_355_918_398_765_796_109_060_233_222_962_4,
    0.0,
];
const TS5_BHAT: [f64; 7] = [
    0.094_680_755_765_839_458_074_788_762_557_589_228_561_175_273_577_246_31,
    0.009_183_565_540_343_253_096_776_363_936_645_313_759_813_746_240_984_095,
    0.487_770_528_424_761_570_785_564_259_963_122_824_151_669_195_976_136_38,
    1.234_297_566_930_478_985_655_109_673_884_237_654_035_539_930_748_192_8,
    -2.707_712_349_983_525_454_881_109_975_059_321_670_689_605_166_938_197_4,
    1.866_628_418_170_587_035_753_719_399_566_211_498_666_255_505_244_122_6,
    1.0 / 66.0,
];

/// Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the first
/// column simplifying assumption", Comput. Math. Appl. 62 (2011) 770–775;
/// coefficients to full precision as in diffrax and OrdinaryDiffEq, whose
/// expanded form of the paper's 4th-order interpolant is used. FSAL.
pub const TSIT5: Tableau = Tableau {
    name: "Tsit5",
    order: 5,
    c: &[0.0, 0.161, 0.327, 0.9, 0.980_025_540_904_509_685_729_810_286_287_024_595_494_213_797_956_302_48, 1.0, 1.0],
    a: &[
        &[],
        &[0.161],
        &[
            -0.008_480_655_492_356_988_544_426_874_250_230_774_675_121_177_393_430_391_5,
            0.335_480_655_492_356_988_544_426_874_250_230_774_675_121_177_393_430_39,
        ],
        &[
            2.897_153_057_105_493_432_130_432_594_192_938_764_924_887_287_701_866_5,
            -6.359_448_489_975_074_843_148_159_912_383_825_625_952_700_647_415_626_7,
            4.362_295_432_869_581_411_017_727_318_190_886_861_027_813_359_713_760_2,
        ],
        &[
            5.325_864_828_439_256_604_428_877_920_840_511_317_836_476_253_097_040_1,
            -11.748_883_564_062_827_877_747_170_339_785_772_961_887_441_782_598_629,
            7.495_539_342_889_836_208_304_604_784_564_358_155_658_679_161_518_186_7,
            -0.092_495_066_361_755_249_256_502_079_332_071_916_113_499_834_060_295_35,
        ],
        &[
            5.861_455_442_946_420_028_659_251_486_982_647_890_394_337_666_164_814_4,
            -12.920_969_317_847_109_291_706_118_681_783_359_395_417_807_519_557_435,
            8.159_367_898_576_158_643_180_400_794_539_253_485_181_918_321_135_053_3,
            -0.071_584_973_281_400_997_224_530_542_525_829_738_691_272_131_473_635_45,
            -0.028_269_050_394_068_382_909_003_057_212_712_241_467_176_336_268_797_7,
        ],
        &[TS5_B[0], TS5_B[1], TS5_B[2], TS5_B[3], TS5_B[4], TS5_B[5]],
    ],
    b: &TS5_B,
    fsal: true,
    error: ErrorEstimator::Embedded {
        e: &[
            TS5_B[0] - TS5_BHAT[0],
            TS5_B[1] - TS5_BHAT[1],
            TS5_B[2] - TS5_BHAT[2],
            TS5_B[3] - TS5_BHAT[3],
            TS5_B[4] - TS5_BHAT[4],
            TS5_B[5] - TS5_BHAT[5],
            TS5_B[6] - TS5_BHAT[6],
        ],
        order: 4,
    },
    dense: Interpolant::Polynomial(&[
        &[1.0, -2.763_706_197_274_826, 2.913_255_461_821_912_6, -1.053_088_497_729_021_6],
        &[0.0, 0.131_7, -0.223_4, 0.101_7],
        &[0.0, 3.930_296_236_894_751_6, -5.941_033_872_131_505, 2.490_627_285_651_253],
        &[0.0, -12.411_077_166_933_676, 30.338_188_630_282_32, -16.548_102_889_244_902],
        &[0.0, 37.509_313_416_511_04, -88.178_904_894_766_4, 47.379_521_962_819_28],
        &[0.0, -27.896_526_289_197_286, 65.091_894_674_793_66, -34.870_657_861_496_61],
        &[0.0, 1.5, -4.0, 2.5],
    ]),
    controller: Controller::HAIRER,
};

mod dop853;
pub use dop853::DOP853;

method!(
    /// Forward Euler (fixed step only): see [`EULER`].
    Euler,
    EULER
);
method!(
    /// Heun's second-order method (fixed step only): see [`HEUN`].
    Heun,
    HEUN
);
method!(
    /// The classic fourth-order Runge–Kutta method (fixed step only): see [`RK4`].
    Rk4,
    RK4
);
method!(
    /// Bogacki–Shampine 3(2): see [`BS3`].
    Bs3,
    BS3
);
method!(
    /// Dormand–Prince 5(4): see [`DOPRI5`].
    Dopri5,
    DOPRI5,
    stiffness = 5, 3.25
);
method!(
    /// Tsitouras 5(4): see [`TSIT5`].
    Tsit5,
    TSIT5,
    stiffness = 5, 3.44
);
method!(
    /// Dormand–Prince 8(5,3): see [`DOP853`].
    Dop853,
    DOP853,
    stiffness = 11, 6.1
);
