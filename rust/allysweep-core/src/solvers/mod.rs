//! The solver variants of MODEL.md §11, one module each, and the pieces they share.
//!
//! Every solver maps one validated point to a [`crate::Solution`]; [`crate::Method`] dispatches
//! between them. Where its assumptions hold, each variant reports what `roots` reports.
//!
//! - [`roots`]: exact roots of Φ (the default; any F, G);
//! - [`closed_form`]: the formulas of MODEL.md §9 (F = U[0,1], unclipped uniform G,
//!   p'_1 = p'_0, 0 <= r < c_A < p' - p); other points are refused;
//! - [`belief_space`]: fixed points of the best-response map in (P_0, P_1); a cross-check;
//! - [`qre`]: the logit agent QRE path, followed from λ = 0 to `lam`.
//!
//! Shared: [`cutpoint_map`] (beliefs and Φ of a cut-point), [`pooling`] (both poolings with
//! their IC / D1 refinements), [`two_type`] (the pure profiles of a two-type ally), and for the
//! crisis model (A1 fails) [`crisis_path`] (the cut-point path and off-path response sets) and
//! [`crisis_pooling`].

pub mod belief_space;
pub(crate) mod belief_space_crisis;
pub(crate) mod certify;
pub mod closed_form;
pub(crate) mod crisis_path;
pub(crate) mod crisis_pooling;
pub(crate) mod cutpoint_map;
pub(crate) mod pooling;
pub mod qre;
pub mod roots;
pub(crate) mod two_type;
