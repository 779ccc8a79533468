//! Composites wired when the program is compiled: [`composite!`] and the
//! port names it reads ([`Ports`]).
//!
//! A [`Composite`](super::Composite) from the [builder](super::Builder)
//! learns its wiring when the program runs, so each evaluation reads
//! every input through its wire from a signal buffer in memory. The
//! macro declares the same composite as a type: its port indices are
//! constants, every output stays in a register on its way to the inputs
//! it feeds, and the evaluation compiles to the straight-line code of the
//! same equations written flat by hand (`cargo bench --bench compose`,
//! `docs/benchmarks.md` §13). The names, the checks and everything but the
//! right-hand side and the outputs are the builder's: the macro builds the
//! same composite with it and keeps it beside its subsystems.
//!
//! [`composite!`]: crate::composite

use crate::Error;
use crate::system::Model;

/// A model's input and output names as constants, so that
/// [`composite!`](crate::composite) resolves its connections when the
/// program is compiled (an unknown name does not compile). They must be
/// the names [`Model::input_names`] and [`Model::output_names`] give,
/// which the composite checks when it is built; [`port_names`] turns
/// them into those.
///
/// # Example
/// ```
/// use nalgebra::{Const, SVector};
/// use odeon::compose::{Ports, port_names};
/// use odeon::system::Model;
/// use odeon::DualScalar;
///
/// /// A mass pushed by a force; it reports its position.
/// struct Cart;
/// impl Ports for Cart {
///     const INPUTS: &'static [&'static str] = &["force"];
///     const OUTPUTS: &'static [&'static str] = &["x"];
/// }
/// impl Model for Cart {
///     type Dim = Const<2>;
///     fn dim(&self) -> Const<2> { Const }
///     fn n_params(&self) -> usize { 1 }
///     fn n_inputs(&self) -> usize { Self::INPUTS.len() }
///     fn n_outputs(&self) -> usize { Self::OUTPUTS.len() }
///     fn rhs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, u: &[D], p: &[D], dx: &mut SVector<D, 2>) {
///         dx[0] = x[1];
///         dx[1] = u[0] / p[0];
///     }
///     fn outputs<D: DualScalar>(&self, _t: D, x: &SVector<D, 2>, _u: &[D], _p: &[D], y: &mut [D]) {
///         y[0] = x[0];
///     }
///     fn feedthrough(&self, _output: usize, _input: usize) -> bool { false }
///     fn input_names(&self) -> Vec<String> { port_names(Self::INPUTS) }
///     fn output_names(&self) -> Vec<String> { port_names(Self::OUTPUTS) }
/// }
/// assert_eq!(Cart.input_names(), ["force"]);
/// ```
pub trait Ports: Model {
    /// The input names, in the order of the model's inputs.
    const INPUTS: &'static [&'static str];
    /// The output names, in the order of the model's outputs.
    const OUTPUTS: &'static [&'static str];
}

/// Port names as [`Model::input_names`] and [`Model::output_names`]
/// return them.
pub fn port_names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// What the expansion of [`composite!`](crate::composite) names; not an
/// interface of its own.
#[doc(hidden)]
pub mod __private {
    pub use nalgebra::allocator::Allocator;
    pub use nalgebra::{Const, DefaultAllocator, DimName, U1};

    use super::{Error, Ports};

    /// `a == b`, when the program is compiled.
    pub const fn same(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The index of `name` among `names`; an unknown name stops the
    /// compilation.
    pub const fn port(names: &[&str], name: &str) -> usize {
        let mut i = 0;
        while i < names.len() {
            if same(names[i], name) {
                return i;
            }
            i += 1;
        }
        panic!("composite!: a connection names a port its subsystem does not have (see the subsystem's `Ports`)")
    }

    /// Subsystem `name`'s [`Ports`] agree with its run-time names.
    pub fn check_ports<M: Ports>(m: &M, name: &str) -> Result<(), Error> {
        let agree = |kind: &str, constant: &[&str], names: Vec<String>| {
            if constant.iter().eq(names.iter()) {
                return Ok(());
            }
            let reason = format!("its `Ports` name the {kind}s {constant:?}, its `{kind}_names()` {names:?}");
            Err(Error::InvalidComposite { path: name.to_string(), reason })
        };
        agree("input", M::INPUTS, m.input_names())?;
        agree("output", M::OUTPUTS, m.output_names())
    }
}

/// Declare a composite model whose wiring is known when the program is
/// compiled: a struct holding the subsystems, a constructor `new` (one
/// argument per subsystem, in order) that checks the wiring, and a
/// [`Model`] whose right-hand side and outputs run at the speed of the
/// same equations written flat by hand.
///
/// ```text
/// odeon::composite! {
///     /// Documentation and attributes of the struct.
///     pub struct Name {
///         subsystem: Type,          // each Type: a `Model` with `Const`
///         …                         // states and `Ports`
///     }
///     connect {
///         a.output -> b.input,      // as `Builder::connect`
///         a.output -> c.input * k,  // as `Builder::connect_gain`
///     }
///     external { b.other }          // optional: as `Builder::external`
///     fix { c.other = 1.0 }         // optional: as `Builder::fix`
/// }
/// ```
///
/// It is the [builder](crate::compose::Builder)'s composite with the same
/// names and wiring (states, parameters and outputs named by path, inputs
/// the external ones in the order listed, the same errors), and `new`
/// builds that composite to check it and to answer everything but the
/// right-hand side and the outputs (names, events, resets, schedules).
/// It has the composite's [`params`](crate::compose::Composite::params)
/// and [`states`](crate::compose::Composite::states) by path too. Two
/// things differ:
/// - the subsystems are evaluated in the order declared, so an output
///   that reads an input directly ([`Model::feedthrough`]) must come after
///   the subsystems that feed it (`new` says which one does not);
/// - a port name that the subsystem's [`Ports`] does not list is an
///   error when the program is compiled.
///
/// Each subsystem type is `Clone` (the builder's composite keeps a copy),
/// has `Const` states and implements [`Ports`]. Fixed values are evaluated
/// at every evaluation: give constants.
///
/// # Errors
/// `new` returns the errors of [`Builder::build`](crate::compose::Builder::build),
/// and [`Error::InvalidComposite`] naming a subsystem declared before one
/// whose output it reads directly, or one whose [`Ports`] disagree with its
/// input or output names.
///
/// # Example
/// Van der Pol's oscillator driven by a PI controller through a lagging
/// actuator, the [`van_der_pol_pi`](crate::compose::blocks::van_der_pol_pi)
/// composite wired at compile time:
/// ```
/// use odeon::compose::blocks::{Lag, Pi};
/// use odeon::models::ForcedVanDerPol;
/// use odeon::signal::Driven;
/// use odeon::{solve, Options, Tsit5};
///
/// odeon::composite! {
///     /// The plant, its PI controller and the actuator between them.
///     #[derive(Clone, Debug)]
///     pub struct ControlledVdp {
///         plant: ForcedVanDerPol,
///         controller: Pi,
///         actuator: Lag,
///     }
///     connect {
///         plant.x -> controller.y,
///         controller.u -> actuator.u,
///         actuator.y -> plant.force,
///     }
///     external { controller.r }
/// }
///
/// let model = ControlledVdp::new(ForcedVanDerPol, Pi, Lag)?;
/// assert_eq!(odeon::system::Model::param_names(&model), ["plant.mu", "controller.kp", "controller.ki", "actuator.tau"]);
/// // The same solve as the builder's composite, step for step.
/// let built = odeon::compose::blocks::van_der_pol_pi().build_const::<4>()?;
/// let (x0, p, o) = ([2.0, 0.0, 0.0, 0.0], [2.0, 8.0, 4.0, 0.2], Options::default());
/// let sol = solve(&Driven::new(&model, vec![1.0])?, Tsit5, (0.0, 60.0), &x0, &p, &o)?; // set point 1
/// let same = solve(&Driven::new(&built, vec![1.0])?, Tsit5, (0.0, 60.0), &x0, &p, &o)?;
/// assert_eq!(sol.y, same.y);
/// # Ok::<(), odeon::Error>(())
/// ```
///
/// A port that does not exist does not compile:
/// ```compile_fail
/// use odeon::compose::blocks::Lag;
/// odeon::composite! {
///     struct Two { first: Lag, second: Lag }
///     connect { first.y -> second.input }
///     fix { first.u = 1.0 }
/// }
/// ```
#[macro_export]
macro_rules! composite {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($field:ident : $ty:ty),+ $(,)?
        }
        connect $conns:tt
        $(external { $($es:ident . $ei:ident),* $(,)? })?
        $(fix { $($fs:ident . $fi:ident = $fv:expr),* $(,)? })?
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($field: $ty,)+
            __whole: $crate::compose::Composite<
                $crate::__composite_parts!(@rev [] $($ty),+),
                $crate::__composite_dim!($($ty),+),
            >,
        }

        // Every port named, checked when the program is compiled.
        const _: () = {
            $(#[allow(non_camel_case_types)] type $field = $ty;)+
            $crate::__composite_ports!($conns);
            $($(_ = $crate::compose::__private::port(<$es as $crate::compose::Ports>::INPUTS, stringify!($ei));)*)?
            $($(_ = $crate::compose::__private::port(<$fs as $crate::compose::Ports>::INPUTS, stringify!($fi));)*)?
        };

        impl $name {
            /// Build the composite from its subsystems, in the order
            /// declared, and check its wiring.
            #[allow(clippy::too_many_arguments)]
            $vis fn new($($field: $ty),+) -> ::core::result::Result<Self, $crate::Error> {
                let builder = $crate::compose::Composite::builder()
                    $(.add(stringify!($field), ::core::clone::Clone::clone(&$field)))+;
                let builder = $crate::__composite_connect!(builder; $conns);
                $($(let builder = builder.external(concat!(stringify!($es), ".", stringify!($ei)));)*)?
                $($(let builder = builder.fix(concat!(stringify!($fs), ".", stringify!($fi)), $fv);)*)?
                let __whole = builder.build_const()?;
                __whole.__in_declared_order()?;
                $($crate::compose::__private::check_ports(&$field, stringify!($field))?;)+
                ::core::result::Result::Ok(Self { $($field,)+ __whole })
            }

            /// The parameter vector from values by path, as `Composite::params`.
            #[allow(dead_code)]
            $vis fn params(&self, values: &[(&str, f64)]) -> ::core::result::Result<::std::vec::Vec<f64>, $crate::Error> {
                self.__whole.params(values)
            }

            /// The state vector from values by path, as `Composite::states`.
            #[allow(dead_code)]
            $vis fn states(&self, values: &[(&str, f64)]) -> ::core::result::Result<::std::vec::Vec<f64>, $crate::Error> {
                self.__whole.states(values)
            }

            /// The right-hand side into `dx` and the outputs into `y`:
            /// the subsystems in the order declared, every port a constant.
            #[inline(always)]
            #[allow(non_camel_case_types, unused_assignments, unused_mut, unused_variables)]
            fn __eval<D: $crate::DualScalar>(
                &self,
                (t, x, u, p): (D, &[D], &[D], &[D]),
                dx: ::core::option::Option<&mut [D]>,
                y: ::core::option::Option<&mut [D]>,
            ) {
                $(type $field = $ty;)+
                let zero = D::from(0.0);
                let (mut at_x, mut at_p) = (0usize, 0usize);
                // Each subsystem's states, parameters, inputs and outputs.
                $(
                    let mut $field = {
                        let n = <<$ty as $crate::system::Model>::Dim as $crate::compose::__private::DimName>::DIM;
                        let n_p = $crate::system::Model::n_params(&self.$field);
                        let dim = $crate::system::Model::dim(&self.$field);
                        let states = $crate::State::<D, <$ty as $crate::system::Model>::Dim>::from_column_slice_generic(
                            dim,
                            $crate::compose::__private::U1,
                            &x[at_x..at_x + n],
                        );
                        let params = &p[at_p..at_p + n_p];
                        at_x += n;
                        at_p += n_p;
                        (
                            states,
                            params,
                            [zero; <$field as $crate::compose::Ports>::INPUTS.len()],
                            [zero; <$field as $crate::compose::Ports>::OUTPUTS.len()],
                        )
                    };
                )+
                let mut k = 0usize;
                $($(
                    $es.2[const { $crate::compose::__private::port(<$es as $crate::compose::Ports>::INPUTS, stringify!($ei)) }] =
                        u.get(k).copied().unwrap_or(zero);
                    k += 1;
                )*)?
                $($(
                    $fs.2[const { $crate::compose::__private::port(<$fs as $crate::compose::Ports>::INPUTS, stringify!($fi)) }] =
                        D::from($fv);
                )*)?
                // Outputs in the order declared, each passed on at once.
                $(
                    $crate::system::Model::outputs(&self.$field, t, &$field.0, &$field.2, $field.1, &mut $field.3);
                    $crate::__composite_wire!($field; $conns);
                )+
                if let ::core::option::Option::Some(dx) = dx {
                    let mut at = 0usize;
                    $(
                        let mut f = $field.0.clone();
                        $crate::system::Model::rhs(&self.$field, t, &$field.0, &$field.2, $field.1, &mut f);
                        let n = f.len();
                        dx[at..at + n].copy_from_slice(f.as_slice());
                        at += n;
                    )+
                }
                if let ::core::option::Option::Some(y) = y {
                    let mut k = 0usize;
                    $(
                        for &v in &$field.3 {
                            if let ::core::option::Option::Some(s) = y.get_mut(k) {
                                *s = v;
                            }
                            k += 1;
                        }
                    )+
                }
            }
        }

        $crate::__composite_model!($name; $($ty),+);
    };
}

/// The [`Model`] of a [`composite!`](crate::composite) struct: its
/// right-hand side and outputs from its `__eval`, everything else from the
/// builder's composite it keeps.
#[doc(hidden)]
#[macro_export]
macro_rules! __composite_model {
    ($name:ident; $($ty:ty),+) => {
        impl $crate::system::Model for $name {
            type Dim = $crate::__composite_dim!($($ty),+);

            fn dim(&self) -> Self::Dim {
                $crate::compose::__private::Const
            }
            fn n_params(&self) -> usize {
                $crate::system::Model::n_params(&self.__whole)
            }
            fn n_inputs(&self) -> usize {
                $crate::system::Model::n_inputs(&self.__whole)
            }
            fn n_outputs(&self) -> usize {
                $crate::system::Model::n_outputs(&self.__whole)
            }
            #[inline]
            fn rhs<D: $crate::DualScalar>(
                &self,
                t: D,
                x: &$crate::State<D, Self::Dim>,
                u: &[D],
                p: &[D],
                dxdt: &mut $crate::State<D, Self::Dim>,
            ) where
                $crate::compose::__private::DefaultAllocator: $crate::compose::__private::Allocator<Self::Dim>,
            {
                self.__eval((t, x.as_slice(), u, p), ::core::option::Option::Some(dxdt.as_mut_slice()), None);
            }
            #[inline]
            fn outputs<D: $crate::DualScalar>(&self, t: D, x: &$crate::State<D, Self::Dim>, u: &[D], p: &[D], y: &mut [D])
            where
                $crate::compose::__private::DefaultAllocator: $crate::compose::__private::Allocator<Self::Dim>,
            {
                self.__eval((t, x.as_slice(), u, p), None, ::core::option::Option::Some(y));
            }
            fn feedthrough(&self, output: usize, input: usize) -> bool {
                $crate::system::Model::feedthrough(&self.__whole, output, input)
            }
            fn events(&self) -> ::std::vec::Vec<$crate::events::Event> {
                $crate::system::Model::events(&self.__whole)
            }
            fn event_values<D: $crate::DualScalar>(
                &self,
                t: D,
                x: &$crate::State<D, Self::Dim>,
                u: &[D],
                p: &[D],
                g: &mut [D],
            ) where
                $crate::compose::__private::DefaultAllocator: $crate::compose::__private::Allocator<Self::Dim>,
            {
                $crate::system::Model::event_values(&self.__whole, t, x, u, p, g)
            }
            fn reset<D: $crate::DualScalar>(
                &self,
                cause: $crate::events::Cause,
                t: D,
                x: &mut $crate::State<D, Self::Dim>,
                p: &[D],
                armed: &mut [bool],
            ) where
                $crate::compose::__private::DefaultAllocator: $crate::compose::__private::Allocator<Self::Dim>,
            {
                $crate::system::Model::reset(&self.__whole, cause, t, x, p, armed)
            }
            fn mass(&self) -> ::core::option::Option<$crate::integrate::MassMatrix> {
                $crate::system::Model::mass(&self.__whole)
            }
            fn schedule(&self) -> $crate::events::Schedule {
                $crate::system::Model::schedule(&self.__whole)
            }
            fn state_names(&self) -> ::std::vec::Vec<::std::string::String> {
                $crate::system::Model::state_names(&self.__whole)
            }
            fn param_names(&self) -> ::std::vec::Vec<::std::string::String> {
                $crate::system::Model::param_names(&self.__whole)
            }
            fn input_names(&self) -> ::std::vec::Vec<::std::string::String> {
                $crate::system::Model::input_names(&self.__whole)
            }
            fn output_names(&self) -> ::std::vec::Vec<::std::string::String> {
                $crate::system::Model::output_names(&self.__whole)
            }
        }
    };
}

/// The state dimension of subsystems of types `A, B, …`: `Const<n_A + n_B + …>`.
#[doc(hidden)]
#[macro_export]
macro_rules! __composite_dim {
    ($($ty:ty),+) => {
        $crate::compose::__private::Const<{
            0 $(+ <<$ty as $crate::system::Model>::Dim as $crate::compose::__private::DimName>::DIM)+
        }>
    };
}

/// The builder's typed list for subsystems of types `A, B, C` added in
/// that order: `Cons<C, Cons<B, Cons<A, Nil>>>`.
#[doc(hidden)]
#[macro_export]
macro_rules! __composite_parts {
    (@rev [$($done:ty),*]) => { $crate::__composite_parts!(@nest $($done),*) };
    (@rev [$($done:ty),*] $head:ty $(, $rest:ty)*) => { $crate::__composite_parts!(@rev [$head $(, $done)*] $($rest),*) };
    (@nest) => { $crate::compose::Nil };
    (@nest $head:ty $(, $rest:ty)*) => { $crate::compose::Cons<$head, $crate::__composite_parts!(@nest $($rest),*)> };
}

/// The builder's connections of a [`composite!`](crate::composite).
#[doc(hidden)]
#[macro_export]
macro_rules! __composite_connect {
    ($b:ident; { $($from:ident . $out:ident -> $to:ident . $in:ident $(* $gain:expr)?),* $(,)? }) => {
        $b $(.__connect(
            concat!(stringify!($from), ".", stringify!($out)),
            concat!(stringify!($to), ".", stringify!($in)),
            $crate::__composite_connect!(@gain $($gain)?),
        ))*
    };
    (@gain) => { ::core::option::Option::None };
    (@gain $gain:expr) => { ::core::option::Option::Some($gain) };
}

/// The ports the connections name, each looked up (a name the
/// subsystem's [`Ports`] lacks stops the compilation).
#[doc(hidden)]
#[macro_export]
macro_rules! __composite_ports {
    ({ $($from:ident . $out:ident -> $to:ident . $in:ident $(* $gain:expr)?),* $(,)? }) => {
        $(
            _ = $crate::compose::__private::port(<$from as $crate::compose::Ports>::OUTPUTS, stringify!($out));
            _ = $crate::compose::__private::port(<$to as $crate::compose::Ports>::INPUTS, stringify!($in));
        )*
    };
}

/// The connections out of subsystem `$src`, from its outputs (just
/// computed) to the inputs they feed: every port a constant. The
/// connections are sorted by their source when the macro expands (a local
/// matcher for `$src`), so that each one becomes code once, not once per
/// subsystem.
#[doc(hidden)]
#[macro_export]
macro_rules! __composite_wire {
    ($src:ident; { $($from:ident . $out:ident -> $to:ident . $in:ident $(* $gain:expr)?),* $(,)? }) => {
        $crate::__composite_wire!(@from ($) $src; $($from . $out -> $to . $in $(* $gain)?),*);
    };
    (@from ($d:tt) $src:ident; $($from:ident . $out:ident -> $to:ident . $in:ident $(* $gain:expr)?),*) => {
        macro_rules! __wire_from_source {
            ($src . $d out:ident -> $d to:ident . $d in:ident $d(* $d gain:expr)?) => {
                $d to.2[const { $crate::compose::__private::port(<$d to as $crate::compose::Ports>::INPUTS, stringify!($d in)) }] =
                    $src.3[const { $crate::compose::__private::port(<$src as $crate::compose::Ports>::OUTPUTS, stringify!($d out)) }]
                    $d(* $d gain)?;
            };
            ($d other:ident . $d out:ident -> $d to:ident . $d in:ident $d(* $d gain:expr)?) => {};
        }
        $(__wire_from_source!($from . $out -> $to . $in $(* $gain)?);)*
    };
}
