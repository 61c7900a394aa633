//! `fedctl verify`: signs in to every selected outbound federation through Keycloak's pages
//! and reports PASS/FAIL per check ([`crate::verify`]). Exit 0 when every check passes, 1
//! otherwise. Live targets only.

use std::path::PathBuf;

use super::Exit;
use super::args::{RecordArgs, TargetArgs};
use crate::error::Error;
use crate::keycloak::admin::secret::Secret;
use crate::metadata_source;
use crate::pipeline::records_realm;
use crate::runtime::block_on;
use crate::verify::{self, Options, Users};

/// Where the named test users' passwords come from (never the command line).
pub const MEMBER_PASSWORD_ENV: &str = "FEDCTL_VERIFY_MEMBER_PASSWORD";
pub const NON_MEMBER_PASSWORD_ENV: &str = "FEDCTL_VERIFY_NON_MEMBER_PASSWORD";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub records: RecordArgs,

    #[command(flatten)]
    pub target: TargetArgs,

    /// Only these records (file name without .yaml); repeatable.
    #[arg(long = "record", value_name = "NAME")]
    pub select: Vec<String>,

    /// Create a temporary member and non-member with random passwords, sign both in, and
    /// delete them afterwards (also on failure or Ctrl-C; a later run deletes leftovers).
    #[arg(long, conflicts_with_all = ["member", "non_member"], required_unless_present_all = ["member", "non_member"])]
    pub synthetic: bool,

    /// An existing user in every selected federation's access group; the password comes
    /// from FEDCTL_VERIFY_MEMBER_PASSWORD.
    #[arg(long, value_name = "USER", requires = "non_member")]
    pub member: Option<String>,

    /// An existing user outside the access groups, who must be refused; the password comes
    /// from FEDCTL_VERIFY_NON_MEMBER_PASSWORD.
    #[arg(long, value_name = "USER", requires = "member")]
    pub non_member: Option<String>,

    /// Our IdP metadata as the partners have it (the `*-idp-metadata.xml` export-metadata
    /// wrote): Responses must verify against its certificate. Default: the descriptor
    /// Keycloak serves now.
    #[arg(long, value_name = "FILE")]
    pub idp_metadata: Option<PathBuf>,

    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

pub fn run(args: &Args) -> Result<Exit, Error> {
    if args.target.realm_file.is_some() {
        return Err(Error::Usage(
            "verify signs in through Keycloak's login pages, so it needs a live Keycloak \
             (--url, KEYCLOAK_URL or --target), not a realm file"
                .into(),
        ));
    }
    let env = |name: &str| std::env::var(name).ok();
    let mut set = crate::record::load(&args.records.load_options())?;
    set.select(&args.select).map_err(Error::Usage)?;
    let connection = crate::config::live_connection(
        &args.target.choice(),
        records_realm(&set).as_deref(),
        &env,
    )?
    .ok_or_else(|| {
        Error::Usage("no target: give --url URL (or KEYCLOAK_URL) or --target NAME".into())
    })?;
    let fetch = args.target.tls.fetch_options();
    let documents = block_on(metadata_source::load(&set.records, &fetch));
    let metadata = metadata_source::resolve_all(
        &set.records,
        &documents,
        metadata_source::Options {
            allow_expired: false,
            now: time::OffsetDateTime::now_utc(),
        },
    )?;
    let options = Options {
        connection,
        records: (set.records.iter())
            .map(|r| (r.id.clone(), r.record.federation.clone()))
            .collect(),
        profile: set.profile.clone(),
        metadata: metadata.settings,
        users: users(args, &env)?,
        idp_metadata: args.idp_metadata.clone(),
    };
    let report = block_on(verify::run(&options))?;
    match args.output {
        Output::Text => print!("{}", report.text()),
        Output::Json => print!("{}", report.json()),
    }
    Ok(if report.passed() {
        Exit::SUCCESS
    } else {
        Exit(1)
    })
}

fn users(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> Result<Users, Error> {
    let (Some(member), Some(non_member)) = (&args.member, &args.non_member) else {
        return Ok(Users::Synthetic);
    };
    let password = |user: &str, variable: &str| {
        env(variable)
            .filter(|p| !p.is_empty())
            .map(Secret::new)
            .ok_or_else(|| verify::VerifyError::MissingPassword {
                username: user.to_owned(),
                variable: variable.to_owned(),
            })
    };
    Ok(Users::Named {
        member: (member.clone(), password(member, MEMBER_PASSWORD_ENV)?),
        non_member: (
            non_member.clone(),
            password(non_member, NON_MEMBER_PASSWORD_ENV)?,
        ),
    })
}
