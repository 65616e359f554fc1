//! "No problems found" is said only when every signed message was verified; otherwise the
//! report's last line says how many were not and why, and `--fail-unverified` makes that
//! exit status 1 for scripts.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/pcap_edit.rs"]
mod pcap_edit;
mod support;
#[path = "support/tshark.rs"]
mod tshark;

use std::ffi::OsStr;

/// Signed SMB2 messages as tshark counts them (SMB2 header flag SIGNED), if tshark runs.
fn tshark_signed(capture: &std::path::Path) -> Option<u64> {
    if !cli::require_tool("tshark_signed", "tshark") {
        return None;
    }
    Some(tshark::signed_smb2(capture) as u64)
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

/// smb300.pcap with the DialectRevision of its NEGOTIATE response (MS-SMB2 2.2.4, body bytes
/// 4-5, unsigned) changed from 0x0300 to 0x0399, a dialect no one knows: the value is shown,
/// the problem `unknown-dialect` names it at that frame, and no signed message of the
/// connection is judged (`unverified`, `unsupported`), never `invalid`, though the password
/// is given.
#[test]
fn an_unknown_dialect_is_named_and_leaves_the_messages_unverified() {
    let mut records = support::read_records(&[cli::sample("smb300.pcap")]);
    let frames = pcap_edit::smb_frames(
        records
            .iter()
            .map(|r| (r.linktype, r.number, r.data.as_slice())),
    );
    let response = frames
        .iter()
        .find(|f| {
            let msg = &records[f.index].data[f.messages[0].clone()];
            !f.to_server && msg[0] == 0xfe && msg[12..14] == [0, 0] // NEGOTIATE
        })
        .expect("a NEGOTIATE response");
    let at = response.messages[0].start + pcap_edit::smb2::HEADER_LEN + 4;
    let data = &mut records[response.index].data;
    assert_eq!(data[at..at + 2], [0x00, 0x03], "DialectRevision 0x0300");
    data[at..at + 2].copy_from_slice(&[0x99, 0x03]);
    let dir = support::temp_dir("unknown-dialect");
    let path = dir.join("smb300-dialect-0399.pcap");
    std::fs::write(&path, support::write_pcap(&records, false, false)).expect("write variant");
    if cli::require_tool("unknown_dialect", "tshark") {
        let rows = tshark::fields(
            &path,
            "smb2.cmd == 0 && smb2.flags.response == 1",
            &["frame.number", "smb2.dialect"],
        );
        assert_eq!(rows, [[response.number.to_string(), "0x0399".to_string()]]);
    }

    let run = cli::run_with_password(&path, "json");
    assert_eq!(run.code, 1, "negotiate validation still disagrees: {run}");
    let report = run.json();
    assert_eq!(report["connections"][0]["dialect"], "0x0399");
    let named: Vec<(u64, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "unknown-dialect")
        .map(|p| {
            (
                cli::u64_of(p, "frame"),
                cli::str_of(p, "detail").to_string(),
            )
        })
        .collect();
    assert_eq!(named.len(), 1, "{named:?}");
    assert_eq!(named[0].0, response.number);
    assert!(named[0].1.contains("0x0399"), "{named:?}");
    let summary = &report["summary"];
    assert_eq!(cli::u64_of(summary, "invalid"), 0, "{summary}");
    assert_eq!(cli::u64_of(summary, "valid"), 0, "{summary}");
    let signed = cli::u64_of(summary, "signed");
    assert!(signed > 0);
    if let Some(tshark) = tshark_signed(&path) {
        assert_eq!(signed, tshark, "signed messages");
    }
    assert_eq!(cli::u64_of(summary, "unverified"), signed, "{summary}");
    assert_eq!(
        summary["unverified_reasons"],
        serde_json::json!({ "unsupported": signed })
    );
    let _ = std::fs::remove_dir_all(&dir);
}
