//! `fedctl validate`.

use super::Exit;
use crate::error::Error;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> Result<Exit, Error> {
    Err(Error::Usage(
        "`fedctl validate` is not available yet".into(),
    ))
}
