//! `fedctl new saml|oidc --partner NAME`: write a record scaffold to fill in.
//! `fedctl new demo --realm-file FILE`: add demo users to the records' access groups, so that
//! `review` can be tried offline.

use std::path::{Path, PathBuf};

use super::Exit;
use crate::error::Error;
use crate::scaffold::{self, NewRecord, Protocol};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to create: a record scaffold for a SAML or OIDC federation, or (`demo`) demo
    /// users in a realm file that fedctl has applied records to.
    #[arg(value_enum)]
    pub protocol: Kind,

    /// Name of the partner organisation; the file is named after it.
    #[arg(long, value_name = "NAME", required_if_eq_any([("protocol", "saml"), ("protocol", "oidc")]))]
    pub partner: Option<String>,

    /// `demo` only: the realm file to add the demo users to.
    #[arg(long, value_name = "PATH", required_if_eq("protocol", "demo"))]
    pub realm_file: Option<PathBuf>,

    /// Directory the record is written to.
    #[arg(long, value_name = "DIR", default_value = "federations")]
    pub dir: PathBuf,

    /// The partner's identity provider signs its users in to our applications
    /// (default: our identity provider signs users in to the partner's application).
    #[arg(long)]
    pub inbound: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Saml,
    Oidc,
    Demo,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    let protocol = match args.protocol {
        Kind::Saml => Protocol::Saml,
        Kind::Oidc => Protocol::Oidc,
        Kind::Demo => {
            let realm_file = args
                .realm_file
                .as_deref()
                .ok_or_else(|| Error::Usage("`new demo` needs --realm-file".into()))?;
            return add_demo_users(realm_file);
        }
    };
    let partner = args
        .partner
        .as_deref()
        .ok_or_else(|| Error::Usage("--partner is required".into()))?;
    let path = scaffold::new_record(&NewRecord {
        protocol,
        inbound: args.inbound,
        partner,
        dir: &args.dir,
    })?;
    print!("{}", next_steps(&path));
    Ok(Exit::SUCCESS)
}

fn next_steps(path: &Path) -> String {
    let path = path.display();
    format!(
        "Created {path}\n\
         Next steps:\n  \
         1. Replace every CHANGE-ME in it with the partner's real values.\n  \
         2. fedctl validate {path}      (lists anything still missing)\n  \
         3. fedctl plan {path}          (shows what would change in Keycloak)\n"
    )
}

fn add_demo_users(path: &Path) -> Result<Exit, Error> {
    let demo = scaffold::add_demo_users(path)?;
    if demo.added.is_empty() {
        println!("{} already has the demo users.", path.display());
    } else {
        println!(
            "Added demo users {} to {} (access groups: {}).\nTry: fedctl review --realm-file {} federations/",
            demo.added.join(", "),
            path.display(),
            demo.groups.join(", "),
            path.display()
        );
    }
    Ok(Exit::SUCCESS)
}
