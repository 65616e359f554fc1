//! Command line: options (DESIGN.md contract), credential loading, and the run itself.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, ValueEnum};
use zeroize::Zeroizing;

use crate::auth::credentials::{
    Credential, Credentials, KnownSessionKey, parse_keys_file, parse_nt_hash,
};

/// Exit status: nothing wrong found.
pub const EXIT_OK: i32 = 0;
/// Exit status: a check failed (an invalid signature, a password that did not match).
pub const EXIT_FAILED: i32 = 1;
/// Exit status: the input or the command line could not be used.
pub const EXIT_UNUSABLE: i32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A human-readable report.
    Text,
    /// One JSON object with summary, connections, sessions, bindings, breaks and problems.
    Json,
    /// One JSON object per SMB message, then one summary object.
    Jsonl,
}

/// Verify SMB1/SMB2/SMB3 signatures in captures, replay NTLM from a password, and report
/// sessions, channels and problems.
#[derive(Debug, Parser)]
#[command(name = "smbcheck", version, about, max_term_width = 100)]
#[command(
    after_help = "Exit status: 0 nothing wrong found, 1 a check failed (an invalid \
signature or a password that did not match), 2 the input or the command line could not be used."
)]
#[command(after_long_help = crate::limits::LONG_HELP)]
pub struct Args {
    /// Capture files (pcap, pcapng, gzip-compressed either); several are read as one timeline.
    #[arg(value_name = "CAPTURE", required = true)]
    pub captures: Vec<PathBuf>,

    /// Read the password from the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// The password. It shows in the process list: prefer --password-file or the environment
    /// variable SMBCHECK_PASSWORD.
    #[arg(long, value_name = "PASSWORD", value_parser = crate::secret_arg::parse)]
    pub password: Option<crate::secret_arg::SecretArg>,

    /// Ask for the password on the terminal (typed without echo).
    #[arg(long, conflicts_with_all = ["password", "password_file"])]
    pub password_prompt: bool,

    /// The user's NT hash (MD4 of the UTF-16LE password), 32 hex digits.
    #[arg(long, value_name = "HEX", value_parser = crate::secret_arg::parse)]
    pub nt_hash: Option<crate::secret_arg::SecretArg>,

    /// Several users, one per line: `[DOMAIN\]user:password` or `[DOMAIN\]user::NTHASH`.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,

    /// Known session keys, one per line: `SESSIONID KEY` in hex (for Kerberos sessions).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,

    /// Write the derived keys of every session and channel to FILE (contains secrets).
    #[arg(long, value_name = "FILE")]
    pub export_keys: Option<PathBuf>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Browse the analysis in an interactive terminal timeline instead of printing a report.
    #[arg(long, conflicts_with = "format")]
    pub tui: bool,

    /// Also treat this TCP port as SMB (445 and 139 always are); repeatable.
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,
}

/// Parses the command line, runs, prints, and returns the exit status.
pub fn main() -> i32 {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                EXIT_UNUSABLE
            } else {
                EXIT_OK
            };
        }
    };
    if args.password.is_some() {
        eprintln!(
            "smbcheck: note: --password shows in the process list; prefer --password-file or SMBCHECK_PASSWORD"
        );
    }
    match crate::run::run(&args, &mut io::stdout().lock()) {
        Ok(status) => status,
        Err(e) => {
            let _ = io::stdout().flush();
            eprintln!("smbcheck: {e:#}");
            EXIT_UNUSABLE
        }
    }
}

/// What the user knows: passwords or NT hashes, and session keys.
#[derive(Debug, Default)]
pub struct Secrets {
    pub credentials: Credentials,
    pub session_keys: Vec<KnownSessionKey>,
}

/// Gathers every secret the command line and the environment give. The errors name the
/// file and line, never the secret.
pub fn load_secrets(args: &Args) -> anyhow::Result<Secrets> {
    let mut credentials = match &args.credentials {
        Some(file) => Credentials::parse(&read_secret_file(file)?)
            .with_context(|| format!("{}", file.display()))?,
        None => Credentials::new(),
    };
    let password = match (&args.password_file, &args.password) {
        _ if args.password_prompt => Some(crate::secret_arg::prompt_password()?),
        (Some(file), _) => Some(Zeroizing::new(first_line(file)?)),
        (None, Some(pw)) => Some(Zeroizing::new(pw.expose().to_owned())),
        (None, None) => std::env::var("SMBCHECK_PASSWORD").ok().map(Zeroizing::new),
    };
    if let Some(pw) = password {
        credentials.push(Credential::from_password(None, None, &pw));
    }
    if let Some(hex) = &args.nt_hash {
        credentials.push(Credential::from_nt_hash(
            None,
            None,
            parse_nt_hash(hex.expose())?,
        ));
    }
    let session_keys = match &args.keys {
        Some(file) => parse_keys_file(&read_secret_file(file)?)
            .with_context(|| format!("{}", file.display()))?,
        None => Vec::new(),
    };
    Ok(Secrets {
        credentials,
        session_keys,
    })
}

fn read_secret_file(file: &Path) -> anyhow::Result<Zeroizing<String>> {
    std::fs::read_to_string(file)
        .map(Zeroizing::new)
        .with_context(|| format!("cannot read {}", file.display()))
}

/// The first line of a password file, without its line ending.
fn first_line(file: &Path) -> anyhow::Result<String> {
    let text = read_secret_file(file)?;
    let line = text.lines().next().unwrap_or("");
    Ok(line.to_string())
}
