//! The Security section (issue 22): weak settings per kind, checked against tshark on the real
//! captures (samples/ and the Zeek captures in tests/data/), and `--fail-on`.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/pcap_edit.rs"]
mod pcap_edit;
mod support;
#[path = "support/tshark.rs"]
mod tshark;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The frames tshark shows for `filter`.
fn tshark_frames(capture: &Path, filter: &str) -> BTreeSet<u64> {
    tshark::fields(capture, filter, &["frame.number"])
        .iter()
        .map(|row| row[0].parse().unwrap())
        .collect()
}

/// Every shipped sample and the real captures of tests/data.
fn captures() -> Vec<PathBuf> {
    let mut out = cli::samples();
    let data = cli::root().join("tests/data");
    for e in std::fs::read_dir(&data).expect("tests/data") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            out.push(p);
        }
    }
    out
}

fn security(capture: &Path, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--format".as_ref(), "json".as_ref()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    args.extend([
        "--password".as_ref(),
        cli::PASSWORD.as_ref(),
        capture.as_os_str(),
    ]);
    let run = cli::run(&args);
    assert!(run.code == 0 || run.code == 1, "{run}");
    let report = run.json();
    (run.code, report["security"].as_array().unwrap().clone())
}

fn finding<'a>(found: &'a [Value], kind: &str) -> Option<&'a Value> {
    found.iter().find(|f| cli::str_of(f, "kind") == kind)
}

fn frames(f: Option<&Value>) -> BTreeSet<u64> {
    f.map(|f| {
        f["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    })
    .unwrap_or_default()
}

fn strings(f: &Value, key: &str) -> BTreeSet<String> {
    f[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// What tshark shows of the NEGOTIATE and SESSION_SETUP messages of a capture (one run).
#[derive(Default)]
struct Negotiates {
    /// SMB2 NEGOTIATE requests and responses without SIGNING_REQUIRED.
    requests: BTreeSet<u64>,
    responses: BTreeSet<u64>,
    /// SMB1 NEGOTIATE responses, and those without signatures required.
    smb1: BTreeSet<u64>,
    smb1_unrequired: BTreeSet<u64>,
    /// SESSION_SETUP responses with the guest flag, and with the null flag.
    guest: BTreeSet<u64>,
    null: BTreeSet<u64>,
    /// NTLMSSP AUTHENTICATE messages with NTLMSSP_NEGOTIATE_ANONYMOUS (MS-NLMP 2.2.2.5:
    /// an anonymous logon, which Samba 4.17 answers without the null flag).
    anonymous: BTreeSet<u64>,
}

fn negotiates(capture: &Path) -> Negotiates {
    let fields = [
        "frame.number",
        "smb2.cmd",
        "smb2.flags.response",
        "smb2.sec_mode.sign_required",
        "smb.cmd",
        "smb.flags.response",
        "smb.sm.sig_required",
        "smb2.ses_flags.guest",
        "smb.setup.action.guest",
        "smb2.ses_flags.null",
        "ntlmssp.messagetype",
        "ntlmssp.negotiateanonymous",
    ];
    let filter = "smb2.cmd == 0 || smb2.cmd == 1 || smb.cmd == 0x72 || smb.cmd == 0x73 \
                  || ntlmssp.messagetype == 3";
    let mut n = Negotiates::default();
    for row in tshark::fields(capture, filter, &fields) {
        let f: Vec<&str> = row
            .iter()
            .map(|v| v.split(',').next().unwrap_or(""))
            .collect();
        let yes = |v: &str| v == "1" || v == "True";
        let no = |v: &str| v == "0" || v == "False";
        let frame: u64 = f[0].parse().unwrap();
        match (f[1], f[4]) {
            ("0", _) if no(f[3]) => {
                if yes(f[2]) {
                    n.responses.insert(frame);
                } else {
                    n.requests.insert(frame);
                }
            }
            (_, "0x72") | (_, "114") if yes(f[5]) => {
                n.smb1.insert(frame);
                if no(f[6]) {
                    n.smb1_unrequired.insert(frame);
                }
            }
            _ => {}
        }
        if yes(f[7]) || yes(f[8]) {
            n.guest.insert(frame);
        }
        if yes(f[9]) {
            n.null.insert(frame);
        }
        if f[10] == "0x00000003" && yes(f[11]) {
            n.anonymous.insert(frame);
        }
    }
    n
}

/// `signing-not-required` lists exactly the NEGOTIATE messages tshark shows without
/// SIGNING_REQUIRED (`smb2.sec_mode.sign_required == 0`; SMB1: the NEGOTIATE response's
/// `smb.sm.sig_required == 0`), on every sample and tests/data capture, naming the side; and
/// `smb1`, `guest-session`, `anonymous-session` match the frames where tshark shows an SMB1
/// NEGOTIATE response, SESSION_SETUP responses with the guest flag, and the null flag or an
/// anonymous NTLMSSP AUTHENTICATE not mapped to guest.
#[test]
fn findings_agree_with_tshark_on_every_capture() {
    if !cli::require_tool("findings_agree_with_tshark", "tshark") {
        return;
    }
    let mut seen = BTreeSet::new();
    for capture in captures() {
        let name = cli::file_name(&capture);
        let (_, found) = security(&capture, &[]);
        let n = negotiates(&capture);
        let want: BTreeSet<u64> = n
            .requests
            .iter()
            .chain(&n.responses)
            .chain(&n.smb1_unrequired)
            .copied()
            .collect();
        let f = finding(&found, "signing-not-required");
        assert_eq!(frames(f), want, "{name}: signing-not-required");
        if let Some(f) = f {
            seen.insert("signing-not-required");
            let mut sides = BTreeSet::new();
            if !n.requests.is_empty() {
                sides.insert("client".to_owned());
            }
            if !n.responses.is_empty() || !n.smb1_unrequired.is_empty() {
                sides.insert("server".to_owned());
            }
            assert_eq!(strings(f, "variants"), sides, "{name}");
            assert_eq!(cli::u64_of(f, "count"), want.len() as u64, "{name}");
        }
        assert_eq!(frames(finding(&found, "smb1")), n.smb1, "{name}: smb1");
        let anonymous = !n.null.is_empty() || (!n.anonymous.is_empty() && n.guest.is_empty());
        for (kind, want) in [
            ("guest-session", !n.guest.is_empty()),
            ("anonymous-session", anonymous),
        ] {
            let f = finding(&found, kind);
            assert_eq!(f.is_some(), want, "{name}: {kind}");
            if f.is_some() {
                seen.insert(kind);
            }
        }
        if finding(&found, "smb1").is_some() {
            seen.insert("smb1");
        }
    }
    // Each kind the captures can show was shown somewhere.
    for kind in [
        "signing-not-required",
        "smb1",
        "guest-session",
        "anonymous-session",
    ] {
        assert!(seen.contains(kind), "no capture shows {kind}");
    }
}

/// Each finding kind of issue 22 has a real sample that shows it and one that does not, and
/// tshark agrees on the fact behind it: the filter finds frames in the first sample and none
/// in the second. (`unsigned-session` and `unencrypted-share` have tests of their own below.)
#[test]
fn each_kind_has_a_real_sample_and_a_counter_sample() {
    let tshark = cli::require_tool("each_kind_has_a_real_sample_and_a_counter_sample", "tshark");
    let table = [
        (
            "smb1",
            "smb1-ntlmv2.pcap",
            "smb311.pcap",
            "smb.cmd == 0x72 && smb.flags.response == 1",
        ),
        (
            "ntlmv1",
            "smb300-ntlmv1.pcap",
            "smb300.pcap",
            "ntlmssp.messagetype == 3 && ntlmssp.auth.ntresponse && !ntlmssp.ntlmv2_response",
        ),
        (
            "signing-not-required",
            "smb311-guest.pcap",
            "smb311.pcap",
            "smb2.cmd == 0 && smb2.sec_mode.sign_required == 0",
        ),
        (
            "guest-session",
            "smb311-guest.pcap",
            "smb311.pcap",
            "smb2.cmd == 1 && smb2.nt_status == 0 && smb2.ses_flags.guest == 1",
        ),
        (
            "anonymous-session",
            "smb311-anonymous.pcap",
            "smb311-guest.pcap",
            "ntlmssp.messagetype == 3 && ntlmssp.negotiateanonymous == 1",
        ),
        (
            "ntlm-without-mic",
            "smb300-ntlmv1.pcap",
            "smb300.pcap",
            "ntlmssp.messagetype == 3 && !(ntlmssp.ntlmv2_response.flags & 0x2)",
        ),
    ];
    for (kind, shows, lacks, filter) in table {
        for (sample, present) in [(shows, true), (lacks, false)] {
            let path = cli::sample(sample);
            if tshark {
                let seen = tshark_frames(&path, filter);
                assert_eq!(!seen.is_empty(), present, "{sample}: tshark {filter}");
            }
            let (code, found) = security(&path, &[]);
            assert_eq!(code, 0, "{sample}: a finding alone never fails the run");
            assert_eq!(finding(&found, kind).is_some(), present, "{sample}: {kind}");
        }
    }
}

/// `ntlmv1` and `ntlm-without-mic` on the NTLMv1 samples (tshark: a 24-byte NT response,
/// no MsvAvFlags), not on their NTLMv2 siblings (MsvAvFlags 0x2: a MIC); the users named.
#[test]
fn ntlmv1_and_missing_mic_findings() {
    let tshark = cli::require_tool("ntlmv1_and_missing_mic_findings", "tshark");
    for (sample, v1) in [
        ("smb300-ntlmv1.pcap", true),
        ("smb1-ntlmv1.pcap", true),
        ("smb1-ntlmv1-noess.pcap", true),
        ("smb300.pcap", false),
        ("smb1-ntlmv2.pcap", false),
        ("smb311.pcap", false),
    ] {
        let path = cli::sample(sample);
        if tshark {
            let v1_frames = tshark_frames(
                &path,
                "ntlmssp.messagetype == 3 && ntlmssp.auth.ntresponse && !ntlmssp.ntlmv2_response",
            );
            assert_eq!(!v1_frames.is_empty(), v1, "{sample}: tshark sees NTLMv1");
            let mic = tshark_frames(&path, "ntlmssp.ntlmv2_response.flags & 0x2");
            assert_eq!(
                mic.is_empty(),
                v1,
                "{sample}: tshark sees MsvAvFlags MIC_PRESENT"
            );
        }
        let (code, found) = security(&path, &[]);
        assert_eq!(
            code, 0,
            "{sample}: findings never fail the run on their own"
        );
        for kind in ["ntlmv1", "ntlm-without-mic"] {
            let f = finding(&found, kind);
            assert_eq!(f.is_some(), v1, "{sample}: {kind}");
            if let Some(f) = f {
                assert!(
                    strings(f, "users").iter().any(|u| u.ends_with("alice")),
                    "{f}"
                );
                assert!(!cli::str_of(f, "why").is_empty() && !cli::str_of(f, "fix").is_empty());
            }
        }
    }
}

/// `--fail-on` turns the chosen kinds into exit status 1, and only those; an unknown kind is
/// a usage error.
#[test]
fn fail_on_chosen_kinds() {
    let path = cli::sample("smb1-ntlmv1.pcap");
    assert_eq!(security(&path, &[]).0, 0);
    assert_eq!(security(&path, &["--fail-on", "ntlmv1"]).0, 1);
    assert_eq!(security(&path, &["--fail-on", "guest-session,smb1"]).0, 1);
    assert_eq!(security(&path, &["--fail-on", "guest-session"]).0, 0);
    assert_eq!(
        security(&cli::sample("smb311.pcap"), &["--fail-on", "smb1,ntlmv1"]).0,
        0
    );
    let run = cli::run(&["--fail-on", "weak", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{run}");
    // The refusal lists the valid kinds: the eight of issue 22.
    for kind in [
        "smb1",
        "ntlmv1",
        "signing-not-required",
        "unsigned-session",
        "unencrypted-share",
        "guest-session",
        "anonymous-session",
        "ntlm-without-mic",
    ] {
        assert!(run.stderr.contains(kind), "{run}");
    }
    // The text report shows the section.
    let text = cli::run_with_password(&path, "text");
    assert!(text.stdout.contains("\nSecurity\n"), "{}", text.stdout);
    assert!(
        text.stdout.contains("ntlm auth = ntlmv2-only"),
        "{}",
        text.stdout
    );
}

/// `unsigned-session`: Zeek's smb2.pcap (CONTOSO\Administrator, NTLMv2) sends every message
/// after its logon unsigned, and tshark agrees: no SMB2 message outside NEGOTIATE and
/// SESSION_SETUP has the SIGNED flag, and the logon is neither guest nor null. No shipped
/// sample shows it: in each, tshark sees signed (or encrypted) messages after the logon, or
/// no authenticated SMB2 session at all (Samba's client signs at least the TREE_CONNECT and
/// FSCTL_VALIDATE_NEGOTIATE_INFO even when neither side requires signing, so Samba gives no
/// such capture).
#[test]
fn unsigned_session_agrees_with_tshark() {
    if !cli::require_tool("unsigned_session_agrees_with_tshark", "tshark") {
        return;
    }
    let signed_after_logon = |path: &Path| {
        !tshark_frames(
            path,
            "(smb2.cmd > 1 && smb2.flags.signature == 1) || smb2.header.transform.signature || smb.signature != 00:00:00:00:00:00:00:00",
        )
        .is_empty()
    };
    for capture in cli::samples() {
        let name = cli::file_name(&capture);
        let (_, found) = security(&capture, &[]);
        let f = finding(&found, "unsigned-session");
        assert!(f.is_none(), "{name}: {f:?}");
        let logons = tshark_frames(
            &capture,
            "(smb2.cmd == 1 || smb.cmd == 0x73) && smb2.nt_status == 0 && smb2.ses_flags.guest == 0 && smb2.ses_flags.null == 0",
        );
        // Samba 4.17 answers an anonymous logon with neither flag (smb311-anonymous.pcap).
        let anonymous = tshark_frames(
            &capture,
            "ntlmssp.messagetype == 3 && ntlmssp.negotiateanonymous == 1",
        );
        assert!(
            logons.len() <= anonymous.len() || signed_after_logon(&capture),
            "{name}"
        );
    }
    let Some(zeek) = cli::require_zeek_dir("unsigned_session_agrees_with_tshark") else {
        return;
    };
    let path = zeek.join("smb2.pcap");
    assert!(
        !signed_after_logon(&path),
        "tshark: smb2.pcap signs nothing"
    );
    let guest_or_null = tshark_frames(
        &path,
        "smb2.cmd == 1 && (smb2.ses_flags.guest == 1 || smb2.ses_flags.null == 1)",
    );
    assert!(guest_or_null.is_empty());
    // No password for this capture: its findings need none.
    let run = |extra: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["--format".as_ref(), "json".as_ref()];
        args.extend(extra.iter().map(std::ffi::OsStr::new));
        args.push(path.as_os_str());
        cli::run(&args)
    };
    let plain = run(&[]);
    assert_eq!(
        plain.code, 0,
        "a finding alone never fails the run: {plain}"
    );
    let found = plain.json()["security"].as_array().unwrap().clone();
    let f = finding(&found, "unsigned-session").expect("unsigned-session in smb2.pcap");
    assert_eq!(
        strings(f, "users"),
        BTreeSet::from(["CONTOSO\\Administrator".to_owned()])
    );
    assert_eq!(run(&["--fail-on", "unsigned-session"]).code, 1);
}

/// `unencrypted-share`: no real capture has a share or session that asks for encryption and
/// gets a message in clear, and Samba 4.17 cannot make one: its server sets
/// SMB2_SHAREFLAG_ENCRYPT_DATA (`smb encrypt = desired` on a share) only on a connection that
/// negotiated a cipher and then accepts clear requests (source3/smbd/smb2_tcon.c, rejecting
/// them only for `required`), but its client encrypts every message on such a tree, even with
/// `client smb encrypt = off` (samples/smb311-share-encrypt-desired.pcap, checked below: the
/// counter-sample). So smb300.pcap's first TREE_CONNECT
/// response gets SMB2_SHAREFLAG_ENCRYPT_DATA set (ShareFlags at body byte 4, MS-SMB2 2.2.10;
/// its signature becomes invalid, as it must): the messages on that tree after it are in
/// clear, and the first of them (tshark: the next frame with that TreeId) is the finding's
/// first frame.
#[test]
fn a_share_that_asks_for_encryption_reached_in_clear() {
    let mut records = support::read_records(&[cli::sample("smb300.pcap")]);
    let frames = pcap_edit::smb_frames(
        records
            .iter()
            .map(|r| (r.linktype, r.number, r.data.as_slice())),
    );
    let body = pcap_edit::smb2::HEADER_LEN;
    let (index, at, number) = frames
        .iter()
        .find_map(|f| {
            let range = f.messages.first()?;
            let msg = records[f.index].data.get(range.clone())?;
            let command = u16::from_le_bytes([msg[12], msg[13]]);
            let response = pcap_edit::smb2::flags(msg) & pcap_edit::smb2::FLAG_RESPONSE != 0;
            (command == 3 && response).then_some((f.index, range.start + body + 5, f.number))
        })
        .expect("a TREE_CONNECT response");
    records[index].data[at] |= 0x80;
    let dir = cli::scratch("unencrypted-share");
    let path = dir.join("smb300-share-encrypt-flag.pcap");
    std::fs::write(&path, support::write_pcap(&records, false, false)).expect("write variant");
    let (code, found) = security(&path, &[]);
    assert_eq!(code, 1, "the changed response's signature is invalid");
    let f = finding(&found, "unencrypted-share").expect("unencrypted-share");
    assert_eq!(strings(f, "variants"), BTreeSet::from(["share".to_owned()]));
    if cli::require_tool(
        "a_share_that_asks_for_encryption_reached_in_clear",
        "tshark",
    ) {
        let flagged = tshark_frames(&path, "smb2.share_flags.encrypt_data == 1");
        assert_eq!(flagged, BTreeSet::from([number]));
        let after = later_on_tree(&path, number);
        assert_eq!(
            cli::u64_of(f, "first_frame"),
            *after.first().unwrap(),
            "{f}"
        );
        assert_eq!(frames_of(f), after, "every later message on the tree");
    }
    // Without the flag: no finding.
    let (_, found) = security(&cli::sample("smb300.pcap"), &[]);
    assert!(finding(&found, "unencrypted-share").is_none());
    // With the flag, and every later message on that tree encrypted: no finding.
    let sealed = cli::sample("smb311-share-encrypt-desired.pcap");
    let (code, found) = security(&sealed, &[]);
    assert_eq!(code, 0);
    assert!(finding(&found, "unencrypted-share").is_none(), "{found:?}");
    if cli::require_tool(
        "a_share_that_asks_for_encryption_reached_in_clear",
        "tshark",
    ) {
        let flagged = tshark_frames(&sealed, "smb2.share_flags.encrypt_data == 1");
        assert_eq!(
            flagged.len(),
            1,
            "one TREE_CONNECT response asks for encryption"
        );
        let number = *flagged.first().unwrap();
        // Without the password tshark sees no SMB2 header inside the transforms: a message
        // on that tree in clear would show.
        let clear = later_on_tree(&sealed, number);
        assert!(clear.is_empty(), "in clear on the sealed tree: {clear:?}");
        let sealed_frames = tshark_frames(
            &sealed,
            &format!("smb2.header.transform.signature && frame.number > {number}"),
        );
        assert!(!sealed_frames.is_empty());
    }
}

/// The frames tshark shows after `frame` (a TREE_CONNECT response) on its TreeId, in clear.
fn later_on_tree(capture: &Path, frame: u64) -> BTreeSet<u64> {
    let rows = tshark::fields(capture, &format!("frame.number == {frame}"), &["smb2.tid"]);
    let tid = &rows[0][0];
    tshark_frames(
        capture,
        &format!("smb2.tid == {tid} && frame.number > {frame}"),
    )
}

fn frames_of(f: &Value) -> BTreeSet<u64> {
    frames(Some(f))
}

/// A logon the server mapped to guest (tshark: the guest flag on its response) was taken
/// without a password check (Samba's `map to guest = bad user`): a password that does not
/// match it is no problem (smb311-guest.pcap, `nobody%x`, checked with alice's password).
#[test]
fn a_guest_logon_is_not_a_password_mismatch() {
    let path = cli::sample("smb311-guest.pcap");
    if cli::require_tool("a_guest_logon_is_not_a_password_mismatch", "tshark") {
        let guest = tshark_frames(&path, "smb2.cmd == 1 && smb2.ses_flags.guest == 1");
        assert_eq!(guest.len(), 1);
    }
    let run = cli::run_with_password(&path, "json");
    assert_eq!(run.code, 0, "{run}");
    let report = run.json();
    let session = &report["sessions"][0];
    assert_eq!(cli::str_of(session, "auth"), "guest");
    assert_eq!(cli::str_of(session, "password_check"), "mismatch-guest");
    // The MIC, keyed by the password, cannot be checked for the same reason.
    assert_eq!(session["ntlm_mic"]["verdict"], "unverified", "{session}");
    assert!(cli::problems(&report).is_empty());
    let text = cli::run_with_password(&path, "text");
    assert_eq!(text.code, 0, "{text}");
    assert!(
        text.stdout
            .contains("password mismatch (guest logon: the server mapped it to guest"),
        "{text}"
    );
    assert!(!text.stdout.contains("not-checked"), "{text}");
}
