//! Tampered variants of real captures (issue 4, "Done when"): one byte flipped inside a signed
//! message, a signature field changed, a signed request replayed with another MessageId (MID
//! in SMB1), a byte flipped inside an encrypted message or its AEAD tag. Each variant is made
//! in a temp dir from a real sample (the message is found by parsing Ethernet/IP/TCP/NBSS in
//! `support/pcap_edit.rs`), and smbcheck must say `invalid` exactly at the changed frame and
//! nowhere else, name the frame in an `invalid-signature` problem, and exit with status 1.
//! Run without credentials, the same variant has no `invalid` at all (`unverified`, no key).

#[path = "support/pcap_edit.rs"]
mod pcap_edit;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use pcap_edit::{SmbFrame, smb_frames, smb1, smb2};
use serde_json::Value;
use support::{Record, read_records, temp_dir, write_pcap};

const PASSWORD: &str = "Secr3t!pass";
/// Which candidate frame is changed (1-based), the last one when there are fewer.
const NTH: usize = 20;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn smbcheck(path: &Path, format: &str, password: bool) -> (i32, String) {
    smbcheck_with(path, format, password, &[])
}

fn smbcheck_with(path: &Path, format: &str, password: bool, extra: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smbcheck"));
    cmd.env_remove("SMBCHECK_PASSWORD")
        .arg("--format")
        .arg(format)
        .args(extra);
    if password {
        cmd.arg("--password").arg(PASSWORD);
    }
    let out = cmd.arg(path).output().expect("run smbcheck");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 report");
    let status = out.status.code().expect("exit status");
    assert!(
        status == 0 || status == 1,
        "{}: status {status}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (status, stdout)
}

/// What one message looked like to smbcheck.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    protocol: String,
    command: String,
    response: bool,
    verdict: String,
    reason: Option<String>,
}

/// JSONL messages grouped by frame, in order; and the exit status.
fn verdicts(path: &Path, password: bool) -> (i32, BTreeMap<u64, Vec<Seen>>) {
    let (status, out) = smbcheck(path, "jsonl", password);
    let mut frames: BTreeMap<u64, Vec<Seen>> = BTreeMap::new();
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).expect("JSONL line");
        let Some(frame) = v["frame"].as_u64() else {
            assert!(v.get("summary").is_some(), "unexpected line {line}");
            continue;
        };
        frames.entry(frame).or_default().push(Seen {
            protocol: v["protocol"].as_str().unwrap().into(),
            command: v["command"].as_str().unwrap().into(),
            response: v["response"].as_bool().unwrap(),
            verdict: v["verdict"].as_str().unwrap().into(),
            reason: v["reason"].as_str().map(Into::into),
        });
    }
    (status, frames)
}

fn invalid_frames(frames: &BTreeMap<u64, Vec<Seen>>) -> BTreeSet<u64> {
    frames
        .iter()
        .filter(|(_, seen)| seen.iter().any(|s| s.verdict == "invalid"))
        .map(|(f, _)| *f)
        .collect()
}

/// One change to one SMB message: `(offset in the message, new byte)` pairs.
type Edit = Vec<(usize, u8)>;

struct Case {
    name: &'static str,
    sample: &'static str,
    /// Whether a frame (its only SMB message given) may be changed.
    pick: fn(&SmbFrame, &[u8]) -> bool,
    edit: fn(&[u8]) -> Edit,
    /// After this change the response to the changed request cannot be matched (SMB1 MID):
    /// it may become `unverified`, never `invalid`.
    orphan_response: bool,
}

fn flip(msg: &[u8], at: usize) -> Edit {
    vec![(at, msg[at] ^ 0x01)]
}

/// A single SMB2 message carrying a signature.
fn signed_smb2(f: &SmbFrame, msg: &[u8]) -> bool {
    f.messages.len() == 1
        && msg.len() > smb2::HEADER_LEN
        && msg[0] == 0xfe
        && smb2::flags(msg) & smb2::FLAG_SIGNED != 0
        && smb2::next_command(msg) == 0
        && msg[smb2::SIGNATURE..smb2::HEADER_LEN] != [0; 16]
}

fn signed_smb2_request(f: &SmbFrame, msg: &[u8]) -> bool {
    signed_smb2(f, msg) && f.to_server && smb2::flags(msg) & smb2::FLAG_RESPONSE == 0
}

/// An SMB1 message with a MAC (not the zeros or the "BSRSPYL " placeholder) and data bytes,
/// so that its last byte is data, not structure.
fn signed_smb1(f: &SmbFrame, msg: &[u8]) -> bool {
    f.messages.len() == 1
        && msg[0] == 0xff
        && msg.len() > smb1::HEADER_LEN
        && !matches!(
            &msg[smb1::SIGNATURE..smb1::SIGNATURE + 8],
            [0, 0, 0, 0, 0, 0, 0, 0] | b"BSRSPYL "
        )
        && smb1::byte_count(msg).is_some_and(|n| n > 0)
}

fn signed_smb1_request(f: &SmbFrame, msg: &[u8]) -> bool {
    signed_smb1(f, msg) && f.to_server && msg[smb1::FLAGS] & smb1::FLAG_REPLY == 0
}

fn transform(f: &SmbFrame, msg: &[u8]) -> bool {
    f.messages.len() == 1 && msg[0] == 0xfd && msg.len() > smb2::TRANSFORM_HEADER_LEN + 16
}

fn smb2_cases(sample: &'static str) -> [Case; 3] {
    [
        Case {
            name: "body byte flipped",
            sample,
            pick: signed_smb2,
            edit: |m| flip(m, smb2::HEADER_LEN + (m.len() - smb2::HEADER_LEN) / 2),
            orphan_response: false,
        },
        Case {
            name: "signature changed",
            sample,
            pick: signed_smb2,
            edit: |m| vec![(smb2::SIGNATURE + 5, !m[smb2::SIGNATURE + 5])],
            orphan_response: false,
        },
        Case {
            name: "request replayed with another MessageId",
            sample,
            pick: signed_smb2_request,
            edit: |m| {
                let id = (smb2::message_id(m) + 1000).to_le_bytes();
                (0..8).map(|i| (smb2::MESSAGE_ID + i, id[i])).collect()
            },
            orphan_response: false,
        },
    ]
}

fn smb1_cases() -> [Case; 3] {
    [
        Case {
            name: "SMB1 data byte flipped",
            sample: "smb1-ntlmv2.pcap",
            pick: signed_smb1,
            edit: |m| flip(m, m.len() - 1),
            orphan_response: false,
        },
        Case {
            name: "SMB1 MAC changed",
            sample: "smb1-ntlmv2.pcap",
            pick: signed_smb1,
            edit: |m| vec![(smb1::SIGNATURE + 3, !m[smb1::SIGNATURE + 3])],
            orphan_response: false,
        },
        Case {
            name: "SMB1 request replayed with another MID",
            sample: "smb1-ntlmv2.pcap",
            pick: signed_smb1_request,
            edit: |m| vec![(smb1::MID + 1, m[smb1::MID + 1] ^ 0x40)],
            orphan_response: true,
        },
    ]
}

fn transform_cases() -> [Case; 2] {
    [
        Case {
            name: "ciphertext byte flipped",
            sample: "smb311-enc-aes128gcm.pcap",
            pick: transform,
            edit: |m| {
                let body = smb2::TRANSFORM_HEADER_LEN;
                flip(m, body + (m.len() - body) / 2)
            },
            orphan_response: false,
        },
        Case {
            name: "AEAD tag changed",
            sample: "smb311-enc-aes128gcm.pcap",
            pick: transform,
            edit: |m| {
                let at = smb2::TRANSFORM_SIGNATURE + 7;
                vec![(at, !m[at])]
            },
            orphan_response: false,
        },
    ]
}

/// Makes the variant, returns its path and the changed frame.
fn make_variant(case: &Case, dir: &Path, index: usize) -> (PathBuf, u64) {
    let original = sample(case.sample);
    let mut records = read_records(std::slice::from_ref(&original));
    let (_, baseline) = verdicts(&original, true);
    let frames = smb_frames(
        records
            .iter()
            .map(|r: &Record| (r.linktype, r.number, r.data.as_slice())),
    );
    let candidates: Vec<&SmbFrame> = frames
        .iter()
        .filter(|f| {
            let msg = &records[f.index].data[f.messages[0].clone()];
            (case.pick)(f, msg)
                // Valid as captured: the change is what must make it invalid.
                && baseline
                    .get(&f.number)
                    .is_some_and(|seen| seen.iter().all(|s| s.verdict == "valid"))
        })
        .collect();
    assert!(
        !candidates.is_empty(),
        "{}: no frame for '{}'",
        case.sample,
        case.name
    );
    let target = candidates[NTH.min(candidates.len()) - 1];
    let range = target.messages[0].clone();
    let edit = (case.edit)(&records[target.index].data[range.clone()]);
    let data = &mut records[target.index].data;
    let before = data[range.clone()].to_vec();
    for (at, byte) in edit {
        assert!(at < range.len());
        data[range.start + at] = byte;
    }
    assert_ne!(before, data[range.clone()], "the edit changes nothing");
    let path = dir.join(format!("variant-{index}.pcap"));
    std::fs::write(&path, write_pcap(&records, false, false)).expect("write variant");
    (path, target.number)
}

/// Runs every case and reports every failure at once.
fn check(test: &str, cases: &[Case]) {
    let dir = temp_dir(test);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let what = format!("{} in {}", case.name, case.sample);
        let (path, frame) = make_variant(case, &dir, i);
        let (_, baseline) = verdicts(&sample(case.sample), true);
        let (status, got) = verdicts(&path, true);
        let mut fail = |msg: String| failures.push(format!("{what} (frame {frame}): {msg}"));

        if status != 1 {
            fail(format!("exit status {status}, expected 1"));
        }
        let invalid = invalid_frames(&got);
        if invalid != BTreeSet::from([frame]) {
            fail(format!("invalid at frames {invalid:?}"));
        }
        let at = got.get(&frame).cloned().unwrap_or_default();
        let expected_at = if case.sample.contains("-enc-") {
            // The transform cannot be opened: one message, the transform itself.
            at.len() == 1 && at[0].protocol == "transform" && at[0].verdict == "invalid"
        } else {
            at.len() == 1 && at[0].verdict == "invalid"
        };
        if !expected_at {
            fail(format!("at the frame: {at:?}"));
        }
        for (f, seen) in &got {
            if *f == frame {
                continue;
            }
            let before = baseline.get(f).cloned().unwrap_or_default();
            let tolerated = case.orphan_response
                && seen.len() == before.len()
                && seen.iter().zip(&before).all(|(s, b)| {
                    s == b || (s.response && s.verdict == "unverified" && b.verdict == "valid")
                });
            if *seen != before && !tolerated {
                fail(format!("frame {f} changed: {before:?} -> {seen:?}"));
            }
        }

        let (json_status, json) = smbcheck(&path, "json", true);
        let report: Value = serde_json::from_str(&json).expect("JSON report");
        let problem_frames: BTreeSet<u64> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["kind"] == "invalid-signature")
            .map(|p| p["frame"].as_u64().unwrap())
            .collect();
        if problem_frames != BTreeSet::from([frame]) || json_status != 1 {
            fail(format!(
                "--format json: invalid-signature problems at {problem_frames:?}, status {json_status}"
            ));
        }
        if report["summary"]["invalid"] != 1 {
            fail(format!("summary {}", report["summary"]));
        }
        // Checked on the verify pool, the invalid message gets the same verdict and
        // diagnosis, in the same place (tests/parallel.rs does the same on the samples).
        let pool = ["--verify-threads", "2", "--verify-min-len", "0"];
        let pooled = smbcheck_with(&path, "json", true, &pool);
        let sequential = smbcheck_with(&path, "json", true, &["--verify-threads", "0"]);
        if pooled != sequential || sequential != (json_status, json.clone()) {
            fail("the verify pool changes the JSON report".into());
        }

        // Without credentials nothing can be judged invalid.
        let (status, got) = verdicts(&path, false);
        let invalid = invalid_frames(&got);
        if !invalid.is_empty() || status != 0 {
            fail(format!(
                "without a password: invalid at {invalid:?}, status {status}"
            ));
        }
        let at = got.get(&frame).cloned().unwrap_or_default();
        let no_key = |s: &Seen| s.verdict == "unverified" && s.reason.as_deref() == Some("no-key");
        if at.is_empty() || !at.iter().all(no_key) {
            fail(format!("without a password, at the frame: {at:?}"));
        }
        eprintln!("{what}: frame {frame} checked");
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn smb2_tampered_messages_are_invalid_exactly_where_changed() {
    let cases: Vec<Case> = ["smb311.pcap", "smb302.pcap", "smb210.pcap"]
        .into_iter()
        .flat_map(smb2_cases)
        .collect();
    check("tamper-smb2", &cases);
}

/// Without credentials a signed SMB1 message is `unverified (no-key)` like an SMB2 one, not
/// `unsigned`: once a logon succeeded, every message carries a MAC.
#[test]
fn smb1_tampered_messages_are_invalid_exactly_where_changed() {
    check("tamper-smb1", &smb1_cases());
}

#[test]
fn encrypted_tampered_messages_are_invalid_exactly_where_changed() {
    check("tamper-transform", &transform_cases());
}
