//! Command line: options (the contract README.md documents), credential loading, and the run itself.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, ValueEnum};
use zeroize::Zeroizing;

use crate::auth::credentials::{Credential, Credentials, parse_nt_hash};
use crate::auth::key_list::parse_keys_file;
use crate::model::SecurityKind;

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
    /// One JSON object with summary, connections, sessions, bindings, breaks, problems and
    /// security (docs/report.schema.json).
    Json,
    /// One JSON object per SMB message, then one summary object; each names its capture file.
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
    // Capture files and -i exclude each other: `run` says so (a clap conflict here would
    // let -f, -w, -c and --duration pass without -i).
    #[arg(
        value_name = "CAPTURE",
        required_unless_present_any = ["interface", "list_interfaces", "completions"]
    )]
    pub captures: Vec<PathBuf>,

    /// Read the password from the first line of FILE. One source of the password at a time:
    /// --password-file, --password or --password-prompt; the environment variable
    /// SMBCHECK_PASSWORD is read only when none of them is given.
    #[arg(long, value_name = "FILE", conflicts_with = "password")]
    pub password_file: Option<PathBuf>,

    /// The password. It shows in the process list: prefer --password-file or the environment
    /// variable SMBCHECK_PASSWORD.
    #[arg(long, value_name = "PASSWORD", value_parser = crate::app::secret_arg::parse)]
    pub password: Option<crate::app::secret_arg::SecretArg>,

    /// Ask for the password on the terminal (typed without echo).
    #[arg(long, conflicts_with_all = ["password", "password_file"])]
    pub password_prompt: bool,

    /// The user's NT hash (MD4 of the UTF-16LE password), 32 hex digits.
    #[arg(long, value_name = "HEX", value_parser = crate::app::secret_arg::parse)]
    pub nt_hash: Option<crate::app::secret_arg::SecretArg>,

    /// Several users, one per line: `[DOMAIN\]user:password` or `[DOMAIN\]user::NTHASH`.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,

    /// Known keys, one session per line: `SESSIONID KEY` in hex (a session key, e.g. of a
    /// Kerberos session), or Wireshark smb2_seskey_list lines `ID,SESSIONKEY,S2CKEY,C2SKEY`
    /// (an --export-keys file can be given back as it is).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,

    /// A Kerberos keytab (MIT format, as ktutil or `samba-tool domain exportkeytab` write
    /// it) with the service's keys: they decrypt the tickets of Kerberos logons, whose
    /// session keys then verify the signatures. May be given several times.
    #[arg(long, value_name = "FILE")]
    pub keytab: Vec<PathBuf>,

    /// Write the derived keys of every session and channel to FILE (contains secrets).
    #[arg(long, value_name = "FILE")]
    pub export_keys: Option<PathBuf>,

    /// Write the SMB traffic to FILE (pcap) with every encrypted message that decrypted
    /// replaced by its plaintext, for tools that cannot decrypt.
    #[arg(long, value_name = "FILE")]
    pub decrypted_out: Option<PathBuf>,

    /// Colour the text report: auto (when standard output is a terminal and NO_COLOR is not
    /// set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Print the completion script for SHELL (bash, zsh, fish, elvish, powershell) and exit.
    #[arg(long, value_name = "SHELL")]
    pub completions: Option<clap_complete::Shell>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Exit with status 1 when any signed message could not be verified (no key, bytes
    /// lost, echoed signature, ...), not only when a check failed: for scripts that must
    /// know that everything was checked.
    #[arg(long)]
    pub fail_unverified: bool,

    /// Exit with status 1 when the Security section lists one of these finding kinds (comma
    /// separated); findings alone never change the exit status otherwise.
    #[arg(long, value_name = "KIND,...", value_delimiter = ',', value_parser = security_kind())]
    pub fail_on: Vec<SecurityKind>,

    /// Browse the analysis in an interactive terminal timeline instead of printing a report
    /// (with -i it fills in while the capture runs; q ends both).
    #[arg(long, conflicts_with = "format")]
    pub tui: bool,

    /// Also treat this TCP port as SMB (445 and 139 always are); repeatable. A stream on any
    /// other port that starts with an SMB header is recognised by its content anyway.
    #[arg(long, value_name = "PORT")]
    pub port: Vec<u16>,

    /// Threads that check signatures while the capture is read (default: one per core;
    /// 0: check each where it is read). For benchmarks and the equivalence tests.
    #[arg(long, hide = true)]
    pub verify_threads: Option<usize>,

    /// Shorter messages are checked where they are read, not on the verify threads.
    #[arg(long, hide = true, default_value_t = 64 * 1024)]
    pub verify_min_len: usize,

    #[command(flatten)]
    pub live: LiveArgs,
}

/// Live capture (cargo feature "live"), in tcpdump's and tshark's habits.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Live capture (cargo feature live)")]
pub struct LiveArgs {
    /// Capture on this interface (`any` for all); repeatable. Ends on Ctrl-C (SIGINT),
    /// SIGTERM, -c or --duration, then the report is printed.
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Vec<String>,

    /// Capture filter in BPF syntax [default: tcp port 445 or tcp port 139, and every --port].
    #[arg(
        short = 'f',
        long = "filter",
        value_name = "BPF",
        requires = "interface"
    )]
    pub filter: Option<String>,

    /// Also save every captured packet to FILE (pcap).
    #[arg(
        short = 'w',
        long = "write",
        value_name = "FILE",
        requires = "interface"
    )]
    pub write: Option<PathBuf>,

    /// Stop after COUNT packets.
    #[arg(short = 'c', long = "count", value_name = "COUNT", requires = "interface",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after SECONDS seconds.
    #[arg(long, value_name = "SECONDS", requires = "interface",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub duration: Option<u64>,

    /// List the interfaces live capture can use, and exit.
    #[arg(short = 'D', long = "list-interfaces", conflicts_with = "interface")]
    pub list_interfaces: bool,
}

impl Args {
    /// Whether this run captures on interfaces (or lists them) instead of reading files.
    pub fn is_live(&self) -> bool {
        !self.live.interface.is_empty() || self.live.list_interfaces
    }
}

/// `--fail-on`'s values: the Security finding kinds by name (clap lists them in `--help` and
/// in the error for an unknown one).
fn security_kind() -> impl clap::builder::TypedValueParser<Value = SecurityKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(SecurityKind::ALL.map(SecurityKind::name))
        .try_map(|name| SecurityKind::from_name(&name).ok_or("not a finding kind"))
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
    if let Some(shell) = args.completions {
        let mut command = <Args as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut command, "smbcheck", &mut io::stdout());
        return EXIT_OK;
    }
    if args.password.is_some() {
        eprintln!(
            "smbcheck: note: --password shows in the process list; prefer --password-file or SMBCHECK_PASSWORD"
        );
    }
    let choice = match (args.format, args.color) {
        (Format::Text, ColorWhen::Auto) => anstream::ColorChoice::Auto,
        (Format::Text, ColorWhen::Always) => anstream::ColorChoice::Always,
        _ => anstream::ColorChoice::Never,
    };
    let mut stdout = anstream::AutoStream::new(io::stdout().lock(), choice);
    match crate::app::run::run(&args, &mut stdout) {
        Ok(status) => status,
        Err(e) => {
            let _ = io::stdout().flush();
            eprintln!("smbcheck: {e:#}");
            EXIT_UNUSABLE
        }
    }
}

/// When the text report is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Gathers every secret the command line and the environment give. The errors name the
/// file and line, never the secret.
pub fn load_secrets(args: &Args) -> anyhow::Result<crate::auth::Secrets> {
    let mut credentials = match &args.credentials {
        Some(file) => Credentials::parse(&read_secret_file(file)?)
            .with_context(|| format!("{}", file.display()))?,
        None => Credentials::new(),
    };
    let password = match (&args.password_file, &args.password) {
        _ if args.password_prompt => Some(crate::app::secret_arg::prompt_password()?),
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
    let keytabs = args
        .keytab
        .iter()
        .map(|file| {
            let bytes =
                std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            crate::auth::Keytab::new(bytes).with_context(|| format!("{}", file.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(crate::auth::Secrets {
        credentials,
        session_keys,
        keytabs,
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
