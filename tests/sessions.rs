//! Sessions are (server, SessionId): the same SessionId on two servers without a binding is
//! two sessions (a relay's two legs, two captures read as one timeline); and the traffic
//! that follows a RST on the wire is still read.

#[path = "support/cli.rs"]
mod cli;
mod support;

use std::collections::BTreeSet;
use std::ffi::OsStr;

use serde_json::Value;

fn sessions(report: &Value) -> Vec<(String, String)> {
    report["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| {
            (
                cli::str_of(s, "session_id").to_string(),
                cli::str_of(s, "server").to_string(),
            )
        })
        .collect()
}

/// A macOS client through a proxy on port 4445 to a server on 445 (the trace's README): one
/// SessionId on both legs, two servers.
#[test]
fn a_relay_is_two_sessions_and_its_breaks_stay_on_their_leg() {
    let capture = support::data("suricata-verify/smb-length-5770.pcap");
    let report = cli::run(&[
        OsStr::new("--format"),
        OsStr::new("json"),
        capture.as_os_str(),
    ])
    .json();
    let found: BTreeSet<(String, String)> = sessions(&report).into_iter().collect();
    let want: BTreeSet<(String, String)> = [
        ("0x9b71db6b00000005", "127.0.0.1:445"),
        ("0x9b71db6b00000005", "127.0.0.1:4445"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(found, want);
    for s in report["sessions"].as_array().unwrap() {
        assert_eq!(s["channels"], 1, "{s}");
    }
    let kinds: Vec<String> = cli::problems(&report).into_iter().map(|(k, _)| k).collect();
    assert!(
        !kinds.iter().any(|k| k == "unmatched-break-ack"),
        "{kinds:?}"
    );
    for b in report["breaks"].as_array().unwrap() {
        if let Some(ack) = b["ack_connection"].as_u64() {
            assert_eq!(ack, b["connection"].as_u64().unwrap(), "{b}");
        }
    }
}

/// samples/smb311.pcap, and the same capture with the address 127.0.0.1 changed to
/// 127.0.0.2 in every IPv4 header (the checksums left as they were), read as one timeline:
/// one SessionId, two servers, two logons, each verified with its own keys.
#[test]
fn one_session_id_on_two_servers_is_two_sessions() {
    let dir = cli::scratch("two-servers");
    let original = cli::sample("smb311.pcap");
    let mut records = support::read_records(std::slice::from_ref(&original));
    for r in &mut records {
        assert_eq!(r.linktype, 1, "Ethernet");
        for field in [26..30, 30..34] {
            if r.data.get(field.clone()) == Some(&[127, 0, 0, 1][..]) {
                r.data[field].copy_from_slice(&[127, 0, 0, 2]);
            }
        }
    }
    let moved = dir.join("smb311-127.0.0.2.pcap");
    std::fs::write(&moved, support::write_pcap(&records, false, false)).unwrap();
    let run = cli::run(&[
        OsStr::new("--format"),
        OsStr::new("json"),
        OsStr::new("--password"),
        OsStr::new(cli::PASSWORD),
        original.as_os_str(),
        moved.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let report = run.json();
    let found = sessions(&report);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, found[1].0, "one SessionId");
    assert_ne!(found[0].1, found[1].1, "two servers");
    let summary = &report["summary"];
    assert!(summary["signed"].as_u64().unwrap() > 0);
    assert_eq!(summary["valid"], summary["signed"], "{summary}");
}

/// The server's Echo response in frame 91 follows the client's RST in frame 90 (tshark:
/// frame 91 is SMB command 0x2b, a response): it is counted and judged like any other.
#[test]
fn a_message_after_a_rst_is_read() {
    let capture = support::data("suricata-verify/smb-filename.pcap");
    let (messages, _) = cli::run(&[
        OsStr::new("--format"),
        OsStr::new("jsonl"),
        capture.as_os_str(),
    ])
    .jsonl();
    let echo = messages
        .iter()
        .find(|m| m["frame"] == 91)
        .expect("frame 91 is reported");
    assert_eq!(cli::str_of(echo, "command"), "ECHO");
    assert_eq!(echo["response"], true);
}
