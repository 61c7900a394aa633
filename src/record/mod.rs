//! Federation records: the format ([`model`]), loading with source positions, and validation.

pub mod model;

pub use model::*;
