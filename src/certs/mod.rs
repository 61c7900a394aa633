//! Certificate-expiry checks (`fedctl certs`).
//!
//! A functional core in three stages, each pure and tested on its own:
//! [`sources`] collects the certificates federations depend on from inputs already read
//! (realm export or admin API JSON, records, parsed metadata) into an [`Inventory`];
//! [`evaluate`] judges them against [`Thresholds`] at a fixed instant into a [`Report`];
//! [`render`] prints a report as text, JSON or Prometheus metrics. [`check`] reads the sources
//! (records, a realm export or a live Keycloak through [`live`], metadata files and URLs) and
//! runs the three stages; printing and writing the textfile are the command's job.

pub mod check;
pub mod evaluate;
mod live;
pub mod model;
pub mod render;
pub mod sources;
pub mod thresholds;

pub use evaluate::evaluate;
pub use model::{Inventory, Report, Status, Thresholds};
