//! Reconciliation: compare desired with observed state ([`diff`]), order the resulting
//! operations into a [`plan::Plan`], render it ([`render`]), and execute it against a target
//! ([`apply`]). Everything but `apply` is pure.

pub mod apply;
pub mod diff;
pub mod plan;
pub mod render;

pub use diff::{DiffOptions, diff};
pub use plan::{Action, Change, FieldChange, ObjectRef, Operation, Plan};
