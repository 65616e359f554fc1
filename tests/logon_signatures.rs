//! The logon's own signatures (issue 22): the NTLM AUTHENTICATE MIC (MS-NLMP 3.1.5.1.2) and
//! SPNEGO's mechListMIC (RFC 4178 5, MS-NLMP 3.4.4), on every shipped NTLM sample, checked
//! against tshark's view of the fields; and a real capture whose AUTHENTICATE was changed in
//! one letter of the workstation name (samples/README.md, "Tampered variants"), which only the
//! MIC covers.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/pcap_edit.rs"]
mod pcap_edit;
mod support;
#[path = "support/tshark.rs"]
mod tshark;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// What tshark shows of one frame: `ntlmssp.negotiateflags`, `ntlmssp.ntlmv2_response.flags`
/// (MsvAvFlags), `ntlmssp.authenticate.mic`, `spnego.mechListMIC`, `ntlmssp.auth.hostname`.
#[derive(Debug, Default, Clone)]
struct Shark {
    flags: Option<u32>,
    av_flags: Option<u32>,
    mic: Option<String>,
    mech_list_mic: Option<String>,
    hostname: Option<String>,
}

fn hex_u32(s: &str) -> Option<u32> {
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).ok()
}

fn field(s: &str) -> Option<String> {
    let first = s.split(',').next().unwrap_or("");
    (!first.is_empty()).then(|| first.to_string())
}

/// Every frame tshark shows an AUTHENTICATE message or a mechListMIC in.
fn tshark_frames(capture: &Path) -> BTreeMap<u64, Shark> {
    let rows = tshark::fields(
        capture,
        "ntlmssp.messagetype == 3 || spnego.mechListMIC",
        &[
            "frame.number",
            "ntlmssp.negotiateflags",
            "ntlmssp.ntlmv2_response.flags",
            "ntlmssp.authenticate.mic",
            "spnego.mechListMIC",
            "ntlmssp.auth.hostname",
        ],
    );
    let mut frames = BTreeMap::new();
    for f in rows {
        assert_eq!(f.len(), 6, "tshark row {f:?}");
        frames.insert(
            f[0].parse().unwrap(),
            Shark {
                flags: field(&f[1]).and_then(|s| hex_u32(&s)),
                av_flags: field(&f[2]).and_then(|s| hex_u32(&s)),
                mic: field(&f[3]),
                mech_list_mic: field(&f[4]),
                hostname: field(&f[5]),
            },
        );
    }
    frames
}

/// One logon as the JSONL line of its final SESSION_SETUP response tells it.
#[derive(Debug, Clone)]
struct Logon {
    response_frame: u64,
    authenticate_frame: Option<u64>,
    ntlm_mic: Option<String>,
    mech_list_mic: Option<String>,
}

fn verdict(v: &Value) -> Option<String> {
    v.get("verdict").and_then(Value::as_str).map(str::to_owned)
}

fn logons(messages: &[Value]) -> Vec<Logon> {
    messages
        .iter()
        .filter(|m| m.get("ntlm_mic").is_some() || m.get("mech_list_mic").is_some())
        .map(|m| Logon {
            response_frame: cli::u64_of(m, "frame"),
            authenticate_frame: m["authenticate_frame"].as_u64(),
            ntlm_mic: verdict(&m["ntlm_mic"]),
            mech_list_mic: verdict(&m["mech_list_mic"]),
        })
        .collect()
}

fn ntlm_samples() -> Vec<PathBuf> {
    cli::samples()
        .into_iter()
        .filter(|p| !cli::file_name(p).starts_with("krb-"))
        .collect()
}

const EXTENDED_SESSION_SECURITY: u32 = 0x0008_0000;
const MIC_PRESENT: u32 = 0x2;

/// On every NTLM sample: each AUTHENTICATE tshark shows is one logon of smbcheck's; its MIC
/// is `valid` where MsvAvFlags (tshark's `ntlmssp.ntlmv2_response.flags`) announces one and
/// tshark shows the field, `absent` otherwise (NTLMv1: no AV pairs at all); its mechListMIC
/// is `valid` where tshark shows one in the AUTHENTICATE frame or in the final response, and
/// `absent` where it shows none. The wrong-password and guest samples give no key:
/// `unverified`.
#[test]
fn mic_and_mech_list_mic_on_every_ntlm_sample_agree_with_tshark() {
    if !cli::require_tool("mic_and_mech_list_mic_on_every_ntlm_sample", "tshark") {
        return;
    }
    let mut checked = 0;
    for sample in ntlm_samples() {
        let name = cli::file_name(&sample);
        let shark = tshark_frames(&sample);
        let run = cli::run_with_password(&sample, "jsonl");
        let (messages, _) = run.jsonl();
        let logons = logons(&messages);
        // Logons with another password than the one given: the wrong-password samples, and
        // the guest sample's `nobody%x` (samples/README.md).
        let wrong_password = name.contains("wrong-password") || name == "smb311-guest.pcap";
        let authenticates: Vec<u64> = shark
            .iter()
            .filter(|(_, s)| s.flags.is_some())
            .map(|(f, _)| *f)
            .collect();
        for frame in &authenticates {
            let s = &shark[frame];
            let logon = logons
                .iter()
                .find(|l| l.authenticate_frame == Some(*frame))
                .unwrap_or_else(|| panic!("{name}: no logon for the AUTHENTICATE at {frame}"));
            let announced = s.av_flags.is_some_and(|f| f & MIC_PRESENT != 0);
            let want_mic = match (announced, &s.mic, wrong_password) {
                (false, _, _) => "absent",
                (true, Some(_), true) => "unverified",
                (true, Some(_), false) => "valid",
                (true, None, _) => "invalid",
            };
            assert_eq!(
                logon.ntlm_mic.as_deref(),
                Some(want_mic),
                "{name}: MIC of the AUTHENTICATE at {frame} ({s:?})"
            );
            let server_mic = shark
                .get(&logon.response_frame)
                .and_then(|r| r.mech_list_mic.clone());
            let want_mech = if s.mech_list_mic.is_none() && server_mic.is_none() {
                "absent"
            } else if wrong_password {
                "unverified"
            } else {
                "valid"
            };
            assert_eq!(
                logon.mech_list_mic.as_deref(),
                Some(want_mech),
                "{name}: mechListMIC of the logon at {frame} (client {:?}, server {server_mic:?}, flags {:#x})",
                s.mech_list_mic,
                s.flags.unwrap_or(0) & EXTENDED_SESSION_SECURITY
            );
            checked += 1;
        }
        // The session and binding records carry the same verdicts (never invalid here).
        let report = cli::run_with_password(&sample, "json").json();
        for s in report["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .chain(report["bindings"].as_array().unwrap())
        {
            for key in ["ntlm_mic", "mech_list_mic"] {
                assert_ne!(verdict(&s[key]).as_deref(), Some("invalid"), "{name}: {s}");
            }
        }
        assert!(
            !cli::problems(&report)
                .iter()
                .any(|(k, _)| k == "invalid-mic" || k == "invalid-mech-list-mic"),
            "{name}"
        );
    }
    assert!(checked >= 40, "only {checked} NTLM logons checked");
}

/// The NTLMv1 samples: no MsvAvFlags, so no MIC (`absent`, and no problem), while the
/// mechListMIC is checked in both signature forms: with extended session security
/// (smb1-ntlmv1, smb300-ntlmv1; MS-NLMP 3.4.4.2) and without (smb1-ntlmv1-noess; 3.4.4.1).
#[test]
fn ntlmv1_has_no_mic_and_a_valid_mech_list_mic() {
    for name in [
        "smb1-ntlmv1.pcap",
        "smb300-ntlmv1.pcap",
        "smb1-ntlmv1-noess.pcap",
    ] {
        let run = cli::run_with_password(&cli::sample(name), "json");
        assert_eq!(run.code, 0, "{run}");
        let report = run.json();
        let sessions = report["sessions"].as_array().unwrap();
        assert!(!sessions.is_empty(), "{name}");
        for s in sessions {
            assert!(cli::str_of(s, "auth").starts_with("NTLMv1"), "{name}: {s}");
            assert_eq!(verdict(&s["ntlm_mic"]).as_deref(), Some("absent"), "{name}");
            assert_eq!(
                verdict(&s["mech_list_mic"]).as_deref(),
                Some("valid"),
                "{name}"
            );
        }
    }
}

/// Without credentials there is no key: both are `unverified`, saying so, and nothing fails.
#[test]
fn without_a_password_the_logon_signatures_are_unverified() {
    let run = cli::run(&[
        "--format".as_ref(),
        "json".as_ref(),
        cli::sample("smb311.pcap").as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let report = run.json();
    let s = &report["sessions"][0];
    for key in ["ntlm_mic", "mech_list_mic"] {
        assert_eq!(verdict(&s[key]).as_deref(), Some("unverified"), "{s}");
        assert!(cli::str_of(&s[key], "detail").contains("no key"), "{s}");
    }
}

/// The letter changed in the workstation name of the AUTHENTICATE message of `sample`:
/// frame number, the byte's offset in the frame, old and new value. The workstation field is
/// found through its descriptor (MS-NLMP 2.2.1.3: Length at 44, BufferOffset at 48).
fn workstation_letter(records: &[support::Record]) -> (usize, u64, usize, u8, u8) {
    let frames = pcap_edit::smb_frames(
        records
            .iter()
            .map(|r| (r.linktype, r.number, r.data.as_slice())),
    );
    for f in frames.iter().filter(|f| f.to_server) {
        let data = &records[f.index].data;
        let Some(at) = data.windows(12).position(|w| w == b"NTLMSSP\0\x03\0\0\0") else {
            continue;
        };
        let len = u16::from_le_bytes([data[at + 44], data[at + 45]]);
        let offset = u32::from_le_bytes(data[at + 48..at + 52].try_into().unwrap()) as usize;
        assert!(len >= 2, "a workstation name");
        let byte = at + offset;
        let old = data[byte];
        assert!(old.is_ascii_uppercase(), "an upper-case letter: {old:#x}");
        // V -> W: still a letter, so tshark shows a name (one letter changed).
        let new = if old == b'Z' { b'Y' } else { old + 1 };
        return (f.index, f.number, byte, old, new);
    }
    panic!("no AUTHENTICATE message");
}

/// `sample` with one letter of the AUTHENTICATE's workstation name changed, the IP and TCP
/// checksums left as they were; returns the path, the frame, and the new name's first letter.
fn tampered(sample: &str, test: &str) -> (PathBuf, u64, char) {
    let mut records = support::read_records(&[cli::sample(sample)]);
    let (index, number, byte, _old, new) = workstation_letter(&records);
    records[index].data[byte] = new;
    let dir = support::temp_dir(test);
    let path = dir.join(sample.replace(".pcap", "-workstation-changed.pcap"));
    std::fs::write(&path, support::write_pcap(&records, false, false)).expect("write variant");
    (path, number, char::from(new))
}

/// smb311.pcap with the workstation name `VM` of its AUTHENTICATE (frame 10, byte 530 of the
/// frame) changed to `WM`: the NTLMv2 proof does not cover it, the password still matches,
/// the MIC no longer does: `invalid` at frame 10, a failing `invalid-mic` problem, exit 1.
/// (In 3.1.1 the preauth hash covers the changed request too, so the keys derived from it
/// are not the server's: the signatures after it are invalid as well.) The mechListMIC covers
/// the mechTypes list only, which was not changed: `valid`.
#[test]
fn a_changed_workstation_name_makes_the_mic_invalid() {
    let (path, frame, letter) = tampered("smb311.pcap", "mic-smb311");
    assert_eq!(frame, 10);
    assert_eq!(letter, 'W');
    if cli::require_tool("a_changed_workstation_name_makes_the_mic_invalid", "tshark") {
        let shark = tshark_frames(&path);
        assert_eq!(
            shark[&10].hostname.as_deref(),
            Some("WM"),
            "tshark reads it"
        );
    }
    let run = cli::run_with_password(&path, "json");
    assert_eq!(run.code, 1, "{run}");
    let report = run.json();
    let s = &report["sessions"][0];
    assert_eq!(cli::str_of(s, "password_check"), "match", "{s}");
    assert_eq!(cli::str_of(s, "workstation"), "WM", "{s}");
    assert_eq!(verdict(&s["ntlm_mic"]).as_deref(), Some("invalid"), "{s}");
    assert_eq!(
        verdict(&s["mech_list_mic"]).as_deref(),
        Some("valid"),
        "{s}"
    );
    let mic_problems: Vec<&Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| cli::str_of(p, "kind") == "invalid-mic")
        .collect();
    assert_eq!(mic_problems.len(), 1, "{}", report["problems"]);
    assert_eq!(cli::u64_of(mic_problems[0], "frame"), 10);

    let (messages, _) = cli::run_with_password(&path, "jsonl").jsonl();
    let logons = logons(&messages);
    assert_eq!(logons.len(), 1, "{logons:?}");
    assert_eq!(logons[0].authenticate_frame, Some(10));
    assert_eq!(logons[0].ntlm_mic.as_deref(), Some("invalid"));

    // Without the password nothing can be said: no key, exit 0.
    let run = cli::run(&["--format".as_ref(), "json".as_ref(), path.as_os_str()]);
    assert_eq!(run.code, 0, "{run}");
    let s = &run.json()["sessions"][0];
    assert_eq!(
        verdict(&s["ntlm_mic"]).as_deref(),
        Some("unverified"),
        "{s}"
    );
}

/// The same change in smb300.pcap, where no preauth hash covers the logon: every SMB
/// signature stays valid (the keys come from the password and the unchanged proof), and only
/// the MIC catches the change (CVE-2019-1040's class): exit status 1 all the same.
#[test]
fn without_a_preauth_hash_only_the_mic_catches_the_change() {
    let (path, frame, _) = tampered("smb300.pcap", "mic-smb300");
    let run = cli::run_with_password(&path, "json");
    assert_eq!(run.code, 1, "{run}");
    let report = run.json();
    assert_eq!(report["summary"]["invalid"].as_u64(), Some(0), "{report}");
    assert!(report["summary"]["valid"].as_u64().unwrap() > 10);
    let s = &report["sessions"][0];
    assert_eq!(cli::str_of(s, "password_check"), "match", "{s}");
    assert_eq!(verdict(&s["ntlm_mic"]).as_deref(), Some("invalid"), "{s}");
    let kinds: Vec<(String, u64)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (cli::str_of(p, "kind").to_owned(), cli::u64_of(p, "frame")))
        .collect();
    assert_eq!(
        kinds,
        vec![("invalid-mic".to_owned(), frame)],
        "{}",
        report["problems"]
    );
    let text = cli::run_with_password(&path, "text");
    assert_eq!(text.code, 1);
    assert!(text.stdout.contains("MIC invalid"), "{}", text.stdout);
}

// ---- Negotiate validation (MS-SMB2 3.2.5.14.12, 3.3.5.15.12) ----

/// `(request frames, response frames)` of FSCTL_VALIDATE_NEGOTIATE_INFO tshark shows, and the
/// dialects of the NEGOTIATE responses.
fn tshark_validations(capture: &Path) -> (Vec<u64>, Vec<u64>, Vec<String>) {
    let rows = tshark::fields(
        capture,
        "smb2.ioctl.function == 0x00140204 || (smb2.cmd == 0 && smb2.flags.response == 1)",
        &[
            "frame.number",
            "smb2.cmd",
            "smb2.flags.response",
            "smb2.dialect",
        ],
    );
    let (mut requests, mut responses, mut dialects) = (Vec::new(), Vec::new(), Vec::new());
    for f in rows {
        let frame: u64 = f[0].parse().unwrap();
        let response = f[2].split(',').next() == Some("1") || f[2].starts_with("True");
        if f[1].split(',').next() == Some("0") {
            dialects.push(f[3].to_owned());
        } else if response {
            responses.push(frame);
        } else {
            requests.push(frame);
        }
    }
    (requests, responses, dialects)
}

/// Every sample whose client sent FSCTL_VALIDATE_NEGOTIATE_INFO (tshark) is `valid` on each
/// of its connections, naming exactly tshark's response frames; every 3.1.1 connection is
/// `not-applicable` (the preauth hash); no connection is `mismatch` or `absent`.
/// (smb302-encrypted.pcap carries its validations inside transforms tshark cannot open
/// without keys: it is checked by `encrypted_validation_is_valid`.)
#[test]
fn negotiate_validation_on_every_sample_agrees_with_tshark() {
    if !cli::require_tool("negotiate_validation_on_every_sample", "tshark") {
        return;
    }
    let mut valid = 0;
    for sample in cli::samples() {
        let name = cli::file_name(&sample);
        let (requests, responses, _) = tshark_validations(&sample);
        assert_eq!(requests.len(), responses.len(), "{name}");
        let report = cli::run_with_password(&sample, "json").json();
        let mut frames = Vec::new();
        for c in report["connections"].as_array().unwrap() {
            let dialect = cli::str_of(c, "dialect");
            let v = &c["negotiate_validated"];
            let verdict = verdict(v);
            if dialect == "3.1.1" {
                assert_eq!(verdict.as_deref(), Some("not-applicable"), "{name}: {c}");
                continue;
            }
            if !dialect.starts_with('2') && !dialect.starts_with('3') {
                assert!(v.is_null(), "{name}: SMB1 has none: {c}");
                continue;
            }
            if name == "smb302-encrypted.pcap" {
                continue;
            }
            assert_eq!(verdict.as_deref(), Some("valid"), "{name}: {c}");
            valid += 1;
            let detail = cli::str_of(v, "detail");
            frames.extend(
                detail
                    .trim_start_matches("frames ")
                    .trim_start_matches("frame ")
                    .split(", ")
                    .map(|f| f.parse::<u64>().unwrap()),
            );
        }
        frames.sort();
        if name != "smb302-encrypted.pcap" {
            assert_eq!(frames, responses, "{name}: validation response frames");
        }
        assert!(
            !cli::problems(&report)
                .iter()
                .any(|(k, _)| k == "negotiate-mismatch"),
            "{name}"
        );
    }
    assert!(valid >= 10, "only {valid} validated connections");
}

/// smb302-encrypted.pcap: the validations travel encrypted; decrypted with the password
/// they repeat the NEGOTIATE.
#[test]
fn encrypted_validation_is_valid() {
    let report = cli::run_with_password(&cli::sample("smb302-encrypted.pcap"), "json").json();
    let c = &report["connections"][0];
    assert_eq!(
        verdict(&c["negotiate_validated"]).as_deref(),
        Some("valid"),
        "{c}"
    );
}

/// The SMB2 message in `frame` of `records`: (record index, byte range).
fn smb2_message(records: &[support::Record], number: u64) -> (usize, std::ops::Range<usize>) {
    let frames = pcap_edit::smb_frames(
        records
            .iter()
            .map(|r| (r.linktype, r.number, r.data.as_slice())),
    );
    let f = frames
        .iter()
        .find(|f| f.number == number)
        .unwrap_or_else(|| panic!("frame {number} carries whole SMB messages"));
    (f.index, f.messages[0].clone())
}

/// smb300.pcap with its (unsigned) NEGOTIATE changed as a man in the middle would: the
/// request's SecurityMode (frame 4: NEGOTIATE request body byte 4, MS-SMB2 2.2.3) and one
/// byte of the response's ServerGuid (frame 6: body byte 8, 2.2.4). The signed validation
/// that follows repeats the original values: `mismatch` naming both fields, a failing
/// `negotiate-mismatch` problem, exit 1, while every signature stays valid.
#[test]
fn a_changed_negotiate_is_a_validation_mismatch() {
    let mut records = support::read_records(&[cli::sample("smb300.pcap")]);
    let body = pcap_edit::smb2::HEADER_LEN;
    let mut negotiate = Vec::new();
    for r in &records {
        let frames = pcap_edit::smb_frames([(r.linktype, r.number, r.data.as_slice())]);
        let Some(f) = frames.first() else { continue };
        let msg = &r.data[f.messages[0].clone()];
        if msg[0] == 0xfe && u16::from_le_bytes([msg[12], msg[13]]) == 0 {
            negotiate.push(r.number);
        }
    }
    assert_eq!(negotiate.len(), 2, "one NEGOTIATE exchange: {negotiate:?}");
    let (req, range) = smb2_message(&records, negotiate[0]);
    records[req].data[range.start + body + 4] ^= 0x01;
    let (resp, range) = smb2_message(&records, negotiate[1]);
    records[resp].data[range.start + body + 8] ^= 0x01;
    let dir = support::temp_dir("negotiate-mismatch");
    let path = dir.join("smb300-negotiate-changed.pcap");
    std::fs::write(&path, support::write_pcap(&records, false, false)).expect("write variant");

    let run = cli::run_with_password(&path, "json");
    assert_eq!(run.code, 1, "{run}");
    let report = run.json();
    assert_eq!(
        report["summary"]["invalid"].as_u64(),
        Some(0),
        "{}",
        report["summary"]
    );
    let v = &report["connections"][0]["negotiate_validated"];
    assert_eq!(verdict(v).as_deref(), Some("mismatch"), "{v}");
    assert_eq!(
        v["fields"],
        serde_json::json!(["request SecurityMode", "response Guid"]),
        "{v}"
    );
    let (_, responses, _) = if cli::require_tool("a_changed_negotiate", "tshark") {
        tshark_validations(&path)
    } else {
        (Vec::new(), vec![15], Vec::new())
    };
    let mismatches: Vec<u64> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| cli::str_of(p, "kind") == "negotiate-mismatch")
        .map(|p| cli::u64_of(p, "frame"))
        .collect();
    assert_eq!(mismatches, responses, "one problem per validation");
    let text = cli::run_with_password(&path, "text");
    assert!(
        text.stdout.contains("negotiate validation mismatch"),
        "{}",
        text.stdout
    );
}

/// Kerberos logons: no NTLM MIC (null), and no mechListMIC where tshark shows none (the
/// preferred mechanism was chosen: RFC 4178 5 needs none): `absent`.
#[test]
fn kerberos_logons_have_no_ntlm_mic() {
    let tshark = cli::require_tool("kerberos_logons_have_no_ntlm_mic", "tshark");
    for sample in ["krb-smb311.pcap", "krb-smb300.pcap", "krb-smb210.pcap"] {
        let path = cli::sample(sample);
        if tshark {
            let shark = tshark_frames(&path);
            assert!(
                shark.values().all(|s| s.mech_list_mic.is_none()),
                "{sample}"
            );
        }
        let report = cli::run(&["--format".as_ref(), "json".as_ref(), path.as_os_str()]).json();
        for s in report["sessions"].as_array().unwrap() {
            assert!(s["ntlm_mic"].is_null(), "{sample}: {s}");
            assert_eq!(
                verdict(&s["mech_list_mic"]).as_deref(),
                Some("absent"),
                "{sample}"
            );
        }
    }
}

/// Re-authentications keep their own verdicts: smbtorture's smb2.session.reauth1 (three
/// NTLMv2 logons on one session, tests/data/torture/) has the first on the session record and
/// the other two, at tshark's AUTHENTICATE frames, in `reauthentication_logons`, all `valid`.
#[test]
fn reauthentications_have_their_own_mic_verdicts() {
    let path = cli::root().join("tests/data/torture/smb2.session.reauth1.pcap");
    let report = cli::run_with_password(&path, "json").json();
    let sessions = report["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "{report}");
    let s = &sessions[0];
    assert_eq!(verdict(&s["ntlm_mic"]).as_deref(), Some("valid"), "{s}");
    assert_eq!(
        verdict(&s["mech_list_mic"]).as_deref(),
        Some("valid"),
        "{s}"
    );
    let reauths = s["reauthentication_logons"].as_array().unwrap();
    assert_eq!(reauths.len(), 2, "{s}");
    for l in reauths {
        assert_eq!(verdict(&l["ntlm_mic"]).as_deref(), Some("valid"), "{l}");
        assert_eq!(
            verdict(&l["mech_list_mic"]).as_deref(),
            Some("valid"),
            "{l}"
        );
    }
    if cli::require_tool("reauthentications_have_their_own_mic_verdicts", "tshark") {
        let authenticates: Vec<u64> = tshark_frames(&path)
            .into_iter()
            .filter(|(_, s)| s.flags.is_some())
            .map(|(f, _)| f)
            .collect();
        let frames: Vec<u64> = reauths
            .iter()
            .map(|l| cli::u64_of(l, "authenticate_frame"))
            .collect();
        assert_eq!(authenticates.len(), 3, "{authenticates:?}");
        assert_eq!(
            frames,
            authenticates[1..],
            "re-authentication AUTHENTICATE frames"
        );
    }
}

/// Windows 2000 repeats the responseToken (here the Kerberos AP-REP) in the mechListMIC
/// field of its negTokenResp (Zeek's smb_gssapi.pcap, frame 8: tshark shows the two fields
/// equal). That is no MIC: Samba's SPNEGO client drops it (auth/gensec/spnego.c, "Windows
/// 2000 has a bug, it repeats the responseToken in the mechListMIC field"), so smbcheck
/// must neither check it (with the keys it would be `invalid`: no RFC 4121 TOK_ID) nor
/// call it unchecked: the logon sent no mechListMIC.
#[test]
fn a_response_token_repeated_as_mech_list_mic_is_no_mic() {
    let path = support::data("zeek/smb_gssapi.pcap");
    if cli::require_tool(
        "a_response_token_repeated_as_mech_list_mic_is_no_mic",
        "tshark",
    ) {
        let rows = tshark::fields(
            &path,
            "spnego.mechListMIC",
            &["frame.number", "spnego.responseToken", "spnego.mechListMIC"],
        );
        assert_eq!(rows.len(), 1, "tshark: {rows:?}");
        assert_eq!(rows[0][0], "8", "tshark: {rows:?}");
        assert!(
            !rows[0][1].is_empty() && rows[0][1] == rows[0][2],
            "tshark: the mechListMIC of frame 8 is not its responseToken: {rows:?}"
        );
    }
    let run = cli::run(&[path.as_os_str(), "--format".as_ref(), "jsonl".as_ref()]);
    let (messages, _) = run.jsonl();
    let response = messages
        .iter()
        .find(|m| cli::u64_of(m, "frame") == 8 && m["response"] == true)
        .expect("the SESSION_SETUP_ANDX response of frame 8");
    assert_eq!(
        verdict(&response["mech_list_mic"]).as_deref(),
        Some("absent"),
        "{response}"
    );
}
