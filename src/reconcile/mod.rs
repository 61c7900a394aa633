//! Reconciliation: what a target must show of the realm ([`scope`]), compare desired with
//! observed state ([`diff`]), order the resulting operations into a [`plan::Plan`], render
//! it ([`render`]); [`saved`] plans carry what they were computed from. Everything here is
//! pure but reading and writing a saved plan; executing a plan against a target is
//! [`crate::pipeline::apply`].

pub mod diff;
pub mod plan;
pub mod render;
pub mod saved;
pub mod scope;

pub use diff::{DiffOptions, diff};
pub use plan::{Action, Change, FieldChange, ObjectRef, Operation, Plan};
pub use scope::Scope;
