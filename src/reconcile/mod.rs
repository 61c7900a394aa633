//! Reconciliation: compare desired with observed state ([`diff`]), order the resulting
//! operations into a [`plan::Plan`], render it ([`render`]), and execute it against a target
//! ([`apply`]); [`saved`] plans carry what they were computed from. Everything but `apply`
//! (and reading a saved plan) is pure.

pub mod apply;
pub mod diff;
pub mod plan;
pub mod render;
pub mod saved;

pub use diff::{DiffOptions, diff};
pub use plan::{Action, Change, FieldChange, ObjectRef, Operation, Plan};
