//! One module per subcommand, each a thin `Args` (clap) + `run` pair: it turns its arguments
//! into the library's options, calls the library, and prints; errors are rendered once, in
//! `main`. The command line that assembles them is [`crate::cli`].

pub mod apply;
pub mod args;
pub mod certs;
pub mod completions;
pub mod export_metadata;
pub mod import;
pub mod new;
pub mod plan;
pub mod review;
pub mod validate;
pub mod verify;

/// Process exit status of a command that ran to completion (errors exit 1 from `main`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub u8);

impl Exit {
    pub const SUCCESS: Exit = Exit(0);
}
