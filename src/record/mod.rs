//! Federation records: the format ([`model`]), loading with source positions, and validation.

pub mod load;
pub mod model;

pub use load::{LoadedRecord, RecordErrors, RecordSet, load};
pub use model::*;
