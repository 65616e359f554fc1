//! The signing paths of smbtorture tests against a real Samba server with signing mandatory on
//! both ends (tests/data/torture/README.md): re-authentication, binding across algorithms,
//! echoed signatures, requests after a LOGOFF. Both ends accepted every signature, so no
//! message may be `invalid`, except the requests the server itself refused with
//! STATUS_ACCESS_DENIED from its signature check; the expected echoes are found in the bytes
//! here (a response whose signature field equals its request's), independently of smbcheck.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/pcap_edit.rs"]
mod pcap_edit;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pcap_edit::{smb_frames, smb2, tcp_payload};
use serde_json::Value;

const STATUS_ACCESS_DENIED: u32 = 0xC000_0022;

fn torture_captures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(support::data("torture"))
        .expect("read tests/data/torture")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    out.sort();
    assert!(out.len() >= 17, "torture captures missing: {out:?}");
    out
}

/// One signed SMB2 message as the bytes give it.
#[derive(Debug, Clone)]
struct Wire {
    frame: u64,
    client_port: u16,
    response: bool,
    message_id: u64,
    status: u32,
    signed: bool,
    signature: [u8; 16],
}

/// Every SMB2 message (each compound element) of the frames that carry whole messages.
fn wire_messages(capture: &Path) -> Vec<Wire> {
    let records = support::read_records(&[capture.to_path_buf()]);
    let frames = smb_frames(
        records
            .iter()
            .map(|r| (r.linktype, r.number, r.data.as_slice())),
    );
    let mut out = Vec::new();
    for f in frames {
        let data = &records[f.index].data;
        let tcp = tcp_payload(records[f.index].linktype, data).expect("tcp");
        let client_port = if f.to_server {
            tcp.src_port
        } else {
            tcp.dst_port
        };
        for range in f.messages {
            let mut msg = &data[range];
            while msg.len() >= smb2::HEADER_LEN && msg[0] == 0xfe {
                let flags = smb2::flags(msg);
                out.push(Wire {
                    frame: f.number,
                    client_port,
                    response: flags & smb2::FLAG_RESPONSE != 0,
                    message_id: smb2::message_id(msg),
                    status: u32::from_le_bytes(msg[8..12].try_into().unwrap()),
                    signed: flags & smb2::FLAG_SIGNED != 0,
                    signature: msg[smb2::SIGNATURE..smb2::SIGNATURE + 16]
                        .try_into()
                        .unwrap(),
                });
                let next = smb2::next_command(msg) as usize;
                if next == 0 || next > msg.len() {
                    break;
                }
                msg = &msg[next..];
            }
        }
    }
    out
}

/// (frame, message_id, response) of the signed responses whose signature field is their
/// request's (same connection and MessageId), and of the requests the server refused with
/// STATUS_ACCESS_DENIED while signed.
/// (frame, MessageId) of messages.
type Found = BTreeSet<(u64, u64)>;

fn echoes_and_refused(wire: &[Wire]) -> (Found, Found) {
    let mut requests: BTreeMap<(u16, u64), &Wire> = BTreeMap::new();
    let mut echoes = BTreeSet::new();
    let mut refused = BTreeSet::new();
    for w in wire {
        let key = (w.client_port, w.message_id);
        if !w.response {
            requests.insert(key, w);
            continue;
        }
        let Some(req) = requests.get(&key) else {
            continue;
        };
        if w.signed && req.signed && req.signature != [0; 16] && req.signature == w.signature {
            echoes.insert((w.frame, w.message_id));
        }
        if w.status == STATUS_ACCESS_DENIED && req.signed {
            refused.insert((req.frame, req.message_id));
        }
    }
    (echoes, refused)
}

fn verdicts(capture: &Path) -> (Vec<Value>, Value) {
    let run = cli::run_with_password(capture, "jsonl");
    assert!(run.code == 0 || run.code == 1, "{run}");
    run.jsonl()
}

fn at(messages: &[Value], verdict: &str, reason: Option<&str>) -> Found {
    messages
        .iter()
        .filter(|m| cli::str_of(m, "verdict") == verdict)
        .filter(|m| reason.is_none_or(|r| m["reason"].as_str() == Some(r)))
        .map(|m| (cli::u64_of(m, "frame"), cli::u64_of(m, "message_id")))
        .collect()
}

#[test]
fn no_invalid_signature_but_what_the_server_refused() {
    for capture in torture_captures() {
        let (messages, _) = verdicts(&capture);
        let (_, refused) = echoes_and_refused(&wire_messages(&capture));
        let invalid = at(&messages, "invalid", None);
        // A signed request the server refused with ACCESS_DENIED was refused for its
        // signature only if smbcheck finds it invalid; nothing else may be.
        assert!(
            invalid.is_subset(&refused),
            "{}: invalid {invalid:?}, refused by the server {refused:?}",
            capture.display()
        );
    }
    let negative = support::data("torture/smb2.session.bind_negative_smb3signCtoHs.pcap");
    let (messages, _) = verdicts(&negative);
    let invalid = at(&messages, "invalid", None);
    let (_, refused) = echoes_and_refused(&wire_messages(&negative));
    assert_eq!(invalid.len(), 2, "{invalid:?}");
    assert!(invalid.is_subset(&refused));
}

#[test]
fn echoed_signatures_are_unverified_echo_and_nothing_else_is_unverified() {
    for capture in torture_captures() {
        let (messages, _) = verdicts(&capture);
        let (echoes, _) = echoes_and_refused(&wire_messages(&capture));
        let found = at(&messages, "unverified", Some("echo"));
        assert_eq!(found, echoes, "{}", capture.display());
        // The password is known: every other signed message is checked.
        let unverified = at(&messages, "unverified", None);
        assert_eq!(unverified, echoes, "{}", capture.display());
    }
}

#[test]
fn every_verdict_names_its_key_and_algorithm() {
    for capture in torture_captures() {
        let (messages, _) = verdicts(&capture);
        for m in &messages {
            let checked = matches!(cli::str_of(m, "verdict"), "valid" | "invalid");
            if checked && !m["encrypted"].as_bool().unwrap_or(false) {
                assert!(m["algorithm"].is_string(), "{}: {m}", capture.display());
                assert!(m["key"].is_string(), "{}: {m}", capture.display());
            }
        }
    }
}

/// The binding connection negotiated 3.1.1 (AES-CMAC), the session was made on 2.1: the
/// binding request and the server's refusal are signed with the session's key under
/// HMAC-SHA256 (MS-SMB2 3.3.5.5.3; Samba keeps the algorithm with the key).
#[test]
fn binding_is_signed_under_the_sessions_algorithm() {
    let capture = support::data("torture/smb2.session.bind_negative_smb2to3s.pcap");
    let (messages, _) = verdicts(&capture);
    let setups: Vec<&Value> = messages
        .iter()
        .filter(|m| cli::str_of(m, "command") == "SESSION_SETUP" && m["connection"] == 2)
        .filter(|m| m["signed"] == true)
        .collect();
    assert!(setups.len() >= 4, "{setups:?}");
    for m in setups {
        assert_eq!(cli::str_of(m, "verdict"), "valid", "{m}");
        assert_eq!(cli::str_of(m, "algorithm"), "HMAC-SHA256", "{m}");
        assert_eq!(cli::str_of(m, "key"), "session", "{m}");
    }
    let report = cli::run_with_password(&capture, "json").json();
    for b in report["bindings"].as_array().unwrap() {
        assert_eq!(b["valid"], true, "{b}");
        assert_eq!(b["accepted"], false, "{b}");
    }
}

/// A bound channel signs with its own key under its own algorithm once bound.
#[test]
fn bound_channel_signs_with_its_key_under_its_algorithm() {
    let capture = support::data("torture/smb2.session.bind_negative_smb3signCtoHs.pcap");
    let (messages, _) = verdicts(&capture);
    let final_bind = messages
        .iter()
        .find(|m| m["frame"] == 41)
        .expect("frame 41: the binding's final response");
    assert_eq!(cli::str_of(final_bind, "verdict"), "valid");
    assert_eq!(cli::str_of(final_bind, "algorithm"), "HMAC-SHA256");
    assert_eq!(cli::str_of(final_bind, "key"), "channel");
    assert_eq!(final_bind["key_connection"], 2);
    assert_eq!(final_bind["key_frame"], 41);
}

#[test]
fn reauthentication_keeps_the_keys() {
    for n in 1..=5 {
        let capture = support::data(&format!("torture/smb2.session.reauth{n}.pcap"));
        let report = cli::run_with_password(&capture, "json").json();
        let summary = &report["summary"];
        assert_eq!(summary["invalid"], 0, "reauth{n}: {summary}");
        assert_eq!(summary["unverified"], 0, "reauth{n}: {summary}");
        assert_eq!(summary["valid"], summary["signed"], "reauth{n}: {summary}");
        let session = &report["sessions"][0];
        assert!(
            session["reauthentications"].as_u64().unwrap() >= 1,
            "reauth{n}: {session}"
        );
    }
}

#[test]
fn requests_after_logoff_verify_with_the_sessions_key() {
    let capture = support::data("torture/smb2.lock.cancel-logoff.pcap");
    let report = cli::run_with_password(&capture, "json").json();
    let kinds: Vec<(String, String)> = cli::problems(&report);
    assert!(
        kinds.iter().any(|(k, _)| k == "signed-after-logoff"),
        "{kinds:?}"
    );
    assert!(report["sessions"][0]["logged_off"].is_u64(), "{report}");
}
