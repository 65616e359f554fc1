//! "No problems found" is said only when every signed message was verified; otherwise the
//! report's last line says how many were not and why, and `--fail-unverified` makes that
//! exit status 1 for scripts.

#[path = "support/cli.rs"]
mod cli;

use std::ffi::OsStr;
use std::process::Command;

/// Signed SMB2 messages as tshark counts them (SMB2 header flag SIGNED), if tshark runs.
fn tshark_signed(capture: &std::path::Path) -> Option<u64> {
    if !cli::require_tool("tshark_signed", "tshark") {
        return None;
    }
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(capture)
        .args(["-T", "fields", "-e", "smb2.flags.signature"])
        .output()
        .expect("run tshark");
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        text.lines()
            .flat_map(|l| l.split(','))
            .filter(|f| *f == "1" || *f == "True")
            .count() as u64,
    )
}

#[test]
fn without_credentials_the_last_line_says_nothing_was_verified() {
    let capture = cli::sample("smb311.pcap");
    let run = cli::run(&[capture.as_os_str()]);
    assert_eq!(run.code, 0, "{run}");
    let last = run.stdout.lines().last().unwrap_or("");
    assert!(!run.stdout.contains("No problems found"), "{}", run.stdout);
    let signed = cli::u64_of(
        &cli::run(&[
            OsStr::new("--format"),
            OsStr::new("json"),
            capture.as_os_str(),
        ])
        .json()["summary"],
        "signed",
    );
    if let Some(n) = tshark_signed(&capture) {
        assert_eq!(signed, n, "signed messages, smbcheck and tshark");
    }
    assert_eq!(
        last,
        format!(
            "{signed} of {signed} signed messages not verified: no credentials given \
             (--password-file, --credentials, --nt-hash, --keytab, --keys)"
        )
    );
    let failing = cli::run(&[OsStr::new("--fail-unverified"), capture.as_os_str()]);
    assert_eq!(failing.code, 1, "{failing}");
}

#[test]
fn with_the_password_every_signature_is_checked_and_nothing_fails() {
    let capture = cli::sample("smb311.pcap");
    let run = cli::run(&[
        OsStr::new("--fail-unverified"),
        OsStr::new("--password"),
        OsStr::new(cli::PASSWORD),
        capture.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout.lines().last(), Some("No problems found."));
}

/// Echoed signatures are named as such in the JSON summary and the closing line.
#[test]
fn echoes_are_counted_by_reason() {
    let capture = cli::root().join("tests/data/torture/smb2.session.reconnect1.pcap");
    let report = cli::run_with_password(&capture, "json").json();
    let summary = &report["summary"];
    assert_eq!(
        summary["unverified_reasons"]["echo"], summary["unverified"],
        "{summary}"
    );
    assert!(
        cli::str_of(summary, "not_verified")
            .ends_with("the signature echoes the request: the server held no session"),
        "{summary}"
    );
}
