//! Federation records: the format ([`model`]), the attribute profile records name released
//! attributes from ([`attribute`], [`profile`]), reading it with source positions ([`tree`],
//! [`schema`], [`document`], [`load`]), the rules a record and a set of records must satisfy
//! ([`validate`], [`set_rules`]), and how problems are reported ([`problem`]).
//!
//! Core layer (docs/architecture.md): nothing here knows the command line, HTTP or Keycloak.

pub mod attribute;
pub mod document;
mod excerpt;
pub mod load;
pub mod loaded;
pub mod model;
pub mod problem;
pub mod profile;
pub mod schema;
pub mod set_rules;
pub mod tree;
pub mod validate;

pub use load::{LoadOptions, Validation, check, check_as_of, check_text, load};
pub use loaded::{LoadedRecord, RecordSet};
pub use model::*;
pub use problem::{Finding, Problem, RecordErrors, Severity};
pub use validate::Context;
