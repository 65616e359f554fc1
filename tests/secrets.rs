//! Secrets stay secret: the password, its NT hash and every key smbcheck derives never
//! appear in any output of any run (every sample, every format, failing runs with bad
//! secret files), only in the `--export-keys` file; `Debug` of the parsed command line
//! shows none of them; `--password-prompt` reads the password without echo (tmux).

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tmux.rs"]
mod tmux;

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::process::Command;

use clap::Parser;
use smbcheck::auth::credentials::nt_hash;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every string that must not show: the password, the NT hash in both cases, and each
/// exported key in both cases.
struct Needles(BTreeSet<String>);

impl Needles {
    fn new(keys: &[String]) -> Self {
        let mut set = BTreeSet::new();
        set.insert(cli::PASSWORD.to_string());
        let nt = hex(nt_hash(cli::PASSWORD).as_bytes());
        for secret in keys.iter().chain([&nt]) {
            set.insert(secret.to_lowercase());
            set.insert(secret.to_uppercase());
        }
        Needles(set)
    }

    fn assert_absent(&self, run: &cli::Run, what: &str) {
        for needle in &self.0 {
            for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                assert!(
                    !text.contains(needle.as_str()),
                    "{what}: a secret ({} chars) shows in {stream}",
                    needle.len()
                );
            }
        }
    }
}

#[test]
fn no_secret_in_any_output_of_any_sample() {
    let dir = cli::scratch("no_secret_in_any_output");
    let password_file = dir.join("password");
    std::fs::write(&password_file, format!("{}\n", cli::PASSWORD)).unwrap();
    let keys_file = dir.join("keys");
    let mut all_keys = 0;
    for capture in cli::samples() {
        let name = cli::file_name(&capture);
        let export = cli::run(&[
            OsStr::new("--password-file"),
            password_file.as_os_str(),
            OsStr::new("--export-keys"),
            keys_file.as_os_str(),
            capture.as_os_str(),
        ]);
        assert!(export.code == 0 || export.code == 1, "{export}");
        let keys: Vec<String> =
            cli::exported_key_values(&std::fs::read_to_string(&keys_file).unwrap())
                .into_iter()
                .collect();
        all_keys += keys.len();
        let needles = Needles::new(&keys);
        needles.assert_absent(&export, &format!("{name} --export-keys"));
        for format in ["text", "json", "jsonl"] {
            let run = cli::run(&[
                OsStr::new("--password-file"),
                password_file.as_os_str(),
                OsStr::new("--format"),
                OsStr::new(format),
                capture.as_os_str(),
            ]);
            assert!(run.code == 0 || run.code == 1, "{run}");
            needles.assert_absent(&run, &format!("{name} --format {format}"));
            // The password in the environment and as an NT hash: same outputs.
            let nt = hex(nt_hash(cli::PASSWORD).as_bytes());
            let run = cli::run_env(
                &[
                    OsStr::new("--nt-hash"),
                    OsStr::new(&nt),
                    OsStr::new("--format"),
                    OsStr::new(format),
                    capture.as_os_str(),
                ],
                &[],
            );
            needles.assert_absent(&run, &format!("{name} --nt-hash --format {format}"));
        }
    }
    // The needles are real: the samples give many keys.
    assert!(all_keys > 50, "only {all_keys} keys exported");
}

#[test]
fn no_secret_in_errors_about_bad_secret_files() {
    let dir = cli::scratch("no_secret_in_errors");
    let capture = cli::sample("smb311.pcap");
    let keys = dir.join("keys");
    let creds = dir.join("credentials");
    // A bad line holding the password (and the NT hash) in each file.
    let nt = hex(nt_hash(cli::PASSWORD).as_bytes());
    std::fs::write(&keys, format!("0x1 {}\n0x2 {nt}zz\n", cli::PASSWORD)).unwrap();
    std::fs::write(&creds, format!("alice {}\nbob::{nt}0\n", cli::PASSWORD)).unwrap();
    let needles = Needles::new(&[]);
    for args in [
        vec![OsStr::new("--keys"), keys.as_os_str()],
        vec![OsStr::new("--credentials"), creds.as_os_str()],
        vec![OsStr::new("--nt-hash"), OsStr::new(cli::PASSWORD)],
    ] {
        let mut args = args;
        args.push(capture.as_os_str());
        let run = cli::run(&args);
        let line = run.one_line_error();
        assert!(
            line.contains("line 1") || line.contains("NT hash"),
            "{line}"
        );
        needles.assert_absent(&run, &format!("{:?}", args[0]));
    }
}

#[test]
fn debug_of_the_parsed_command_line_hides_secrets() {
    let nt = hex(nt_hash(cli::PASSWORD).as_bytes());
    let args = smbcheck::app::cli::Args::try_parse_from([
        "smbcheck",
        "--password",
        cli::PASSWORD,
        "--nt-hash",
        &nt,
        "x.pcap",
    ])
    .unwrap();
    let shown = format!("{args:?}");
    assert!(shown.contains("x.pcap"), "{shown}");
    assert!(!shown.contains(cli::PASSWORD), "{shown}");
    assert!(!shown.contains(&nt), "{shown}");
    let secrets = smbcheck::app::cli::load_secrets(&args).unwrap();
    let shown = format!("{secrets:?}");
    assert!(
        !shown.contains(cli::PASSWORD) && !shown.contains(&nt),
        "{shown}"
    );
}

#[test]
fn password_prompt_needs_a_terminal() {
    // No controlling terminal (setsid): one clear line, exit 2, no hang.
    if !cli::require_tool("password_prompt_needs_a_terminal", "setsid") {
        return;
    }
    let out = Command::new("setsid")
        .arg(cli::bin())
        .args(["--password-prompt", "--format", "json"])
        .arg(cli::sample("smb311.pcap"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run setsid");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot read the password from the terminal"),
        "{stderr}"
    );
}

#[test]
fn password_prompt_in_tmux_without_echo() {
    let test = "password_prompt_in_tmux_without_echo";
    if !cli::require_tool(test, "tmux") {
        return;
    }
    let dir = cli::scratch(test);
    let report = dir.join("report.json");
    let exit = dir.join("exit");
    let capture = cli::sample("smb311.pcap");
    let command = format!(
        "{} --password-prompt --format json '{}' > '{}'; echo EXIT=$? > '{}'; sleep 30",
        cli::bin().display(),
        capture.display(),
        report.display(),
        exit.display()
    );
    let session = tmux::Session::start("smbcheck-prompt", 100, 20, &command);
    let target = session.target();
    tmux::wait_for(target, "Password:");
    tmux::tmux(&["send-keys", "-t", target, "-l", cli::PASSWORD]);
    tmux::tmux(&["send-keys", "-t", target, "Enter"]);
    let status = tmux::wait_for_file(&exit);
    let screen = tmux::pane(target);
    assert!(screen.contains("Password:"), "{screen}");
    assert!(
        !screen.contains(cli::PASSWORD),
        "the password echoed:\n{screen}"
    );
    assert_eq!(status.trim(), "EXIT=0");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let summary = &json["summary"];
    assert!(cli::u64_of(summary, "signed") > 0, "{summary}");
    assert_eq!(summary["valid"], summary["signed"], "{summary}");
    assert_eq!(cli::u64_of(summary, "invalid"), 0, "{summary}");
}
