//! Federation records: the format ([`model`]), reading it with source positions ([`tree`],
//! [`schema`], [`load`]), the rules a record must satisfy ([`validate`]), and how problems
//! are reported ([`problem`]).

mod excerpt;
pub mod load;
pub mod model;
pub mod problem;
pub mod schema;
pub mod tree;
pub mod validate;

pub use load::{LoadedRecord, RecordSet, Validation, check, check_as_of, check_text, load};
pub use model::*;
pub use problem::{Finding, Problem, RecordErrors, Severity};
pub use validate::Context;
