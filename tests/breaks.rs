//! Oplock breaks, lease breaks and multichannel reporting (issue 5), on the real smbtorture
//! captures in samples/ (see samples/README.md) and on the shared Zeek traces.
//!
//! Expected counts come from tshark 4.0 on the same files, never from smbcheck; the filter
//! behind every number is in the comment next to it. Counted with
//! `tshark -r F -Y FILTER -T fields -e frame.number | wc -l`, where
//!   NOTIFY = `smb2.cmd==18 && smb2.flags.response==1 && smb2.msg_id==0xffffffffffffffff`
//!   ACK    = `smb2.cmd==18 && smb2.flags.response==0`
//!   RESP   = `smb2.cmd==18 && smb2.flags.response==1 && smb2.msg_id!=0xffffffffffffffff`
//!   NOTIFY1 = `smb.cmd==0x24 && smb.lock.type.oplock_release==1 && smb.mid==65535`
//!   ACK1    = `smb.cmd==0x24 && smb.lock.type.oplock_release==1 && smb.mid!=65535`
//! Channels per session: distinct tcp.stream per smb2.sesid among successful SESSION_SETUP
//! responses: `-Y 'smb2.cmd==1 && smb2.flags.response==1 && smb2.nt_status==0'
//! -T fields -e smb2.sesid -e tcp.stream | sort -u`. Binding exchanges: distinct
//! (smb2.sesid, tcp.stream) of `smb2.cmd==1 && smb2.flags.response==0 &&
//! smb2.ses_req_flags.session_binding==1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const PASSWORD: &str = "Secr3t!pass";

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// Runs smbcheck with `--format json` and the samples' password; exit status and report.
fn run(path: &Path) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_smbcheck"))
        .arg("--format")
        .arg("json")
        .arg("--password")
        .arg(PASSWORD)
        .arg(path)
        .output()
        .expect("run smbcheck");
    let code = out.status.code().expect("exit status");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: exit {code}, no JSON ({e}); stderr: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

fn report(name: &str) -> Value {
    let (code, json) = run(&sample(name));
    assert_eq!(code, 0, "{name}: exit status");
    json
}

fn breaks(r: &Value) -> &Vec<Value> {
    r["breaks"].as_array().expect("breaks is a list")
}

/// Notifications, acknowledgments and responses as tshark counts them, against the
/// report; every acknowledged break has a latency.
fn check_counts(name: &str, notify: usize, ack: usize, resp: usize) -> Value {
    let r = report(name);
    let list = breaks(&r);
    assert_eq!(list.len(), notify, "{name}: break notifications");
    let acked: Vec<&Value> = list.iter().filter(|b| b["acknowledged"] == true).collect();
    assert_eq!(acked.len(), ack, "{name}: acknowledged breaks");
    let counts = &r["break_counts"];
    assert_eq!(counts["notifications"], notify, "{name}: break_counts");
    assert_eq!(counts["acknowledgments"], ack, "{name}: break_counts");
    assert_eq!(counts["responses"], resp, "{name}: break_counts");
    assert_eq!(counts["unmatched_acks"], 0, "{name}: break_counts");
    for b in &acked {
        let latency = b["latency_ms"].as_f64();
        assert!(
            latency.is_some_and(|l| l >= 0.0),
            "{name}: break at frame {} acknowledged without a latency",
            b["frame"]
        );
        assert!(b["ack_frame"].as_u64() > b["frame"].as_u64(), "{name}: {b}");
    }
    for b in list {
        assert!(b["kind"] == "oplock" || b["kind"] == "lease", "{name}: {b}");
        assert!(b["frame"].is_u64(), "{name}: {b}");
    }
    r
}

#[test]
fn smb2_oplock_batch1() {
    // NOTIFY 2, ACK 1, RESP 1
    let r = check_counts("smb2-oplock-batch1.pcap", 2, 1, 1);
    let b = breaks(&r);
    // batch -> II needs an acknowledgment and got one, answered with success.
    assert_eq!(b[0]["kind"], "oplock");
    assert_eq!(b[0]["old_level"], "batch");
    assert_eq!(b[0]["new_level"], "II");
    assert_eq!(b[0]["ack_status"], "STATUS_SUCCESS");
    assert_eq!(b[0]["outcome"], "acknowledged");
    assert!(b[0]["file"].as_str().unwrap().ends_with("test_batch1.dat"));
    assert_eq!(b[0]["ack_connection"], b[0]["connection"]);
    // II -> none needs none (MS-SMB2 3.3.4.6) and is not reported as unanswered.
    assert_eq!(b[1]["old_level"], "II");
    assert_eq!(b[1]["new_level"], "none");
    assert_eq!(b[1]["ack_required"], false);
    assert_eq!(b[1]["outcome"], "no-ack-needed");
    assert_eq!(r["break_counts"]["unacknowledged"], 0);
    // The first break: the second connection opens the same file (CREATE, frame 33 in
    // tshark); the second: the holder's own WRITE (frame 44) breaks its level II oplock.
    let cause = &b[0]["cause"];
    assert_eq!(cause["command"], "CREATE", "{}", b[0]);
    assert_eq!(cause["frame"], 33);
    assert_eq!(cause["same_session"], false);
    assert_ne!(cause["connection"], b[0]["connection"]);
    let cause = &b[1]["cause"];
    assert_eq!(cause["command"], "WRITE", "{}", b[1]);
    assert_eq!(cause["frame"], 44);
    assert_eq!(cause["same_session"], true);
}

#[test]
fn smb2_lease_break() {
    // NOTIFY 8, ACK 8, RESP 8
    let r = check_counts("smb2-lease-break.pcap", 8, 8, 8);
    for b in breaks(&r) {
        assert_eq!(b["kind"], "lease");
        assert!(b["lease_key"].is_string(), "{b}");
        assert!(b["current_state"].is_string() && b["new_state"].is_string());
        assert!(b["epoch"].is_u64(), "{b}");
        assert_eq!(
            b["flags"].as_u64().map(|f| f & 1),
            Some(1),
            "ACK_REQUIRED: {b}"
        );
        assert_eq!(b["ack_status"], "STATUS_SUCCESS");
        // the client acknowledges the state it was broken to
        assert_eq!(b["ack_level"], b["new_state"], "{b}");
        let paths = b["paths"].as_array().unwrap();
        assert!(
            paths
                .iter()
                .any(|p| p.as_str().unwrap().ends_with("lease_break.dat")),
            "{b}"
        );
    }
}

#[test]
fn smb2_compound_break() {
    // NOTIFY 1, ACK 1, RESP 1: the break comes between a compound request (create +
    // getinfo) and its response.
    let r = check_counts("smb2-compound-break.pcap", 1, 1, 1);
    assert!(
        breaks(&r)[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("some-file.pptx")
    );
}

#[test]
fn smb1_oplock_batch1() {
    // NOTIFY1 2, ACK1 2; an SMB1 release gets no response.
    let r = check_counts("smb1-oplock-batch1.pcap", 2, 2, 0);
    let b = breaks(&r);
    for x in b {
        assert_eq!(x["protocol"], "smb1");
        assert!(
            x["file"].as_str().unwrap().ends_with("test_batch1.dat"),
            "{x}"
        );
    }
    assert_eq!(b[0]["old_level"], "batch");
    assert_eq!(b[0]["new_level"], "II");
    assert_eq!(b[1]["new_level"], "none");
}

/// Every binding is listed and its request and response signatures are valid; each
/// session reports as many channels as connections it was set up or bound on.
fn check_channels(name: &str, bindings: usize, channels: &[(&str, u64)]) -> Value {
    let r = report(name);
    let list = r["bindings"].as_array().expect("bindings");
    assert_eq!(list.len(), bindings, "{name}: bindings");
    for b in list {
        assert_eq!(b["request_verdict"], "valid", "{name}: {b}");
        assert_eq!(b["response_verdict"], "valid", "{name}: {b}");
        // `valid` speaks of signatures only; a binding the server refused (past the channel
        // limit: STATUS_INSUFFICIENT_RESOURCES) is `accepted: false`.
        assert_eq!(b["valid"], true, "{name}: {b}");
        let succeeded = b["status"] == "STATUS_SUCCESS";
        assert_eq!(b["accepted"], succeeded, "{name}: {b}");
    }
    for (id, n) in channels {
        let s = r["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["session_id"] == *id)
            .unwrap_or_else(|| panic!("{name}: session {id} missing"));
        assert_eq!(s["channels"], *n, "{name}: channels of {id}");
        let c = r["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["session_id"] == *id)
            .unwrap_or_else(|| panic!("{name}: channels entry for {id} missing"));
        let conns = c["connections"].as_array().unwrap();
        assert_eq!(conns.len() as u64, *n, "{name}: {c}");
        let bound = conns.iter().filter(|c| c["bound_frame"].is_u64()).count() as u64;
        assert_eq!(
            bound,
            n - 1,
            "{name}: every channel but the first was bound: {c}"
        );
        for conn in conns {
            assert!(conn["client_guid"].is_string(), "{name}: {conn}");
            assert!(conn["requests"].as_u64() > Some(0), "{name}: {conn}");
        }
    }
    r
}

#[test]
fn smb2_session_bind1() {
    // 2 binding exchanges; each session on 2 streams.
    check_channels(
        "smb2-session-bind1.pcap",
        2,
        &[("0x00000000336f1d26", 2), ("0x00000000829e09e3", 2)],
    );
}

#[test]
fn smb2_session_bind1_smb300() {
    check_channels(
        "smb2-session-bind1-smb300.pcap",
        2,
        &[("0x000000006eb4a5ba", 2), ("0x00000000561ec133", 2)],
    );
}

#[test]
fn smb2_mc_oplocks_test1() {
    // NOTIFY 2, ACK 2, RESP 2; 1 binding exchange; session 0x0611d18b on 2 streams.
    let r = check_counts("smb2-mc-oplocks-test1.pcap", 2, 2, 2);
    check_channels(
        "smb2-mc-oplocks-test1.pcap",
        1,
        &[("0x000000000611d18b", 2)],
    );
    for b in breaks(&r) {
        assert_eq!(b["session_id"], "0x000000000611d18b");
        assert_eq!(b["old_level"], "batch");
    }
    // Samba answers FSCTL_QUERY_NETWORK_INTERFACE_INFO on the first connection.
    let ifaces = r["connections"][0]["interfaces"].as_array().unwrap();
    assert!(!ifaces.is_empty());
    assert!(ifaces[0]["address"].is_string() && ifaces[0]["link_speed"].as_u64() > Some(0));
}

#[test]
fn smb2_mc_leases_test1() {
    // NOTIFY 3, ACK 3, RESP 3; 2 binding exchanges; session 0xf89a2d5e on 3 streams.
    let r = check_counts("smb2-mc-leases-test1.pcap", 3, 3, 3);
    check_channels("smb2-mc-leases-test1.pcap", 2, &[("0x00000000f89a2d5e", 3)]);
    for b in breaks(&r) {
        // lease break notifications carry SessionId 0: the session comes from the open
        assert_eq!(b["session_id"], "0x00000000f89a2d5e");
        assert_eq!(b["current_state"], "RWH");
        assert_eq!(b["new_state"], "RH");
        assert_eq!(b["cause"]["same_session"], false);
    }
}

#[test]
fn smb2_mc_num_channels() {
    // 32 binding exchanges (31 succeed, the last is refused with
    // STATUS_INSUFFICIENT_RESOURCES); session 0x317795ac on 32 streams. No breaks.
    let r = check_channels(
        "smb2-mc-num-channels.pcap",
        32,
        &[("0x00000000317795ac", 32)],
    );
    assert!(breaks(&r).is_empty());
    assert_eq!(r["break_counts"]["notifications"], 0);
}

#[test]
fn samples_without_breaks_report_an_empty_list() {
    // NOTIFY 0 in smb311.pcap: an empty list (not null) says none happened.
    let r = report("smb311.pcap");
    assert_eq!(r["breaks"], Value::Array(vec![]));
}

#[test]
fn text_report_has_breaks_and_channels() {
    let out = Command::new(env!("CARGO_BIN_EXE_smbcheck"))
        .arg("--password")
        .arg(PASSWORD)
        .arg(sample("smb2-mc-oplocks-test1.pcap"))
        .output()
        .expect("run smbcheck");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\nBreaks"), "{text}");
    assert!(text.contains("\nChannels"), "{text}");
    assert!(text.contains("oplock_break_test1.dat"), "{text}");
    assert!(text.contains("batch -> II"), "{text}");
    assert!(text.contains("bound at frame"), "{text}");
}

#[test]
fn zeek_captures_do_not_crash() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek");
    let entries = std::fs::read_dir(&dir).expect("the Zeek traces in tests/data/zeek");
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no captures in {}", dir.display());
    for f in files {
        // No key is needed to list bindings and breaks: run without a password too.
        let out = Command::new(env!("CARGO_BIN_EXE_smbcheck"))
            .arg("--format")
            .arg("json")
            .arg(&f)
            .output()
            .expect("run smbcheck");
        let code = out.status.code();
        assert!(
            matches!(code, Some(0) | Some(1)),
            "{}: exit {code:?}; stderr: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let r: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", f.display()));
        assert!(r["breaks"].is_array(), "{}", f.display());
        assert!(r["channels"].is_array(), "{}", f.display());
    }
}
