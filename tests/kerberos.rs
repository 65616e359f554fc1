//! Kerberos logons (samples/krb-*.pcap: a real Samba 4.17 AD DC and its KDC, samples/README.md
//! "Kerberos samples"): with the service's keytab alone, or with the user's password alone
//! where the capture holds the AS and TGS exchanges, every signature verifies and every
//! transform decrypts; tshark, given the session key smbcheck exports, agrees.

#[path = "support/cli.rs"]
mod cli;
mod support;
#[path = "support/tshark.rs"]
mod tshark;

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const PRINCIPAL: &str = "alice@KRBLAB.TEST";

fn krb_samples() -> Vec<PathBuf> {
    let found: Vec<PathBuf> = cli::samples()
        .into_iter()
        .filter(|p| cli::file_name(p).starts_with("krb-"))
        .filter(|p| !cli::file_name(p).contains("kinit"))
        .collect();
    assert!(found.len() >= 7, "Kerberos samples missing: {found:?}");
    found
}

fn keytab() -> PathBuf {
    cli::sample("krb.keytab")
}

/// The keytab of a sample's lab: krb-smb311-mechlistmic.pcap comes from a lab of its own
/// (samples/README.md).
fn keytab_for(capture: &Path) -> PathBuf {
    if cli::file_name(capture) == MECH_LIST_MIC_SAMPLE {
        cli::sample("krb-mechlistmic.keytab")
    } else {
        keytab()
    }
}

const MECH_LIST_MIC_SAMPLE: &str = "krb-smb311-mechlistmic.pcap";

fn report(args: &[&OsStr]) -> (i32, Value) {
    let mut all: Vec<&OsStr> = vec![OsStr::new("--format"), OsStr::new("json")];
    all.extend_from_slice(args);
    let run = cli::run(&all);
    (run.code, run.json())
}

/// Every signed message valid, every transform decrypted, exit 0, and each session named
/// by its principal with the key's origin.
fn all_verified(capture: &Path, code: i32, r: &Value, key_detail: &str) {
    let s = &r["summary"];
    let name = capture.display();
    assert_eq!(code, 0, "{name}: {:?}", cli::problems(r));
    assert!(cli::u64_of(s, "signed") > 0, "{name}: {s}");
    assert_eq!(s["valid"], s["signed"], "{name}: {s}");
    assert_eq!(s["encrypted"], s["decrypted"], "{name}: {s}");
    for session in r["sessions"].as_array().unwrap() {
        assert_eq!(cli::str_of(session, "user"), PRINCIPAL, "{name}: {session}");
        assert_eq!(
            cli::str_of(session, "auth"),
            "Kerberos",
            "{name}: {session}"
        );
        assert!(
            cli::str_of(session, "key_detail").starts_with(key_detail),
            "{name}: {session}"
        );
    }
}

#[test]
fn the_keytab_alone_verifies_every_kerberos_sample() {
    for capture in krb_samples() {
        let (code, r) = report(&[
            OsStr::new("--keytab"),
            keytab_for(&capture).as_os_str(),
            capture.as_os_str(),
        ]);
        all_verified(
            &capture,
            code,
            &r,
            "keytab: cifs/dc1.krblab.test@KRBLAB.TEST kvno 1",
        );
    }
}

#[test]
fn the_password_alone_verifies_where_the_kdc_exchanges_were_captured() {
    for capture in krb_samples() {
        let (code, r) = report(&[
            OsStr::new("--password"),
            OsStr::new(cli::PASSWORD),
            capture.as_os_str(),
        ]);
        if cli::file_name(&capture).contains("445only") {
            // Port 445 only: the ticket was issued out of sight; not checked, never invalid.
            let s = &r["summary"];
            assert_eq!(s["invalid"], 0, "{s}");
            assert_eq!(s["unverified"], s["signed"], "{s}");
            assert!(
                cli::problems(&r)
                    .iter()
                    .any(|(k, d)| k == "not-replayed" && d.contains("--keytab")),
                "{:?}",
                cli::problems(&r)
            );
            continue;
        }
        all_verified(&capture, code, &r, "password via AS/TGS");
    }
}

#[test]
fn a_wrong_password_is_a_mismatch_and_no_signature_is_invalid() {
    let capture = cli::sample("krb-smb311.pcap");
    let (code, r) = report(&[
        OsStr::new("--password"),
        OsStr::new("Wr0ng!pass"),
        capture.as_os_str(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(r["summary"]["invalid"], 0, "{}", r["summary"]);
    assert!(
        cli::problems(&r)
            .iter()
            .any(|(k, d)| k == "password-mismatch" && d.contains(PRINCIPAL)),
        "{:?}",
        cli::problems(&r)
    );
}

#[test]
fn a_damaged_keytab_is_a_one_line_error() {
    let dir = cli::scratch("bad-keytab");
    let bytes = std::fs::read(keytab()).unwrap();
    let cut = dir.join("cut.keytab");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
    let run = cli::run(&[
        OsStr::new("--keytab"),
        cut.as_os_str(),
        cli::sample("krb-smb311.pcap").as_os_str(),
    ]);
    let line = run.one_line_error();
    assert!(
        line.contains("cut.keytab") && line.contains("record"),
        "{line}"
    );
}

/// tshark checks HMAC and CMAC signatures (not the final SESSION_SETUP response, not GMAC)
/// given the session key as a Wireshark key line: the lines smbcheck exports from the keytab
/// make it find every signature it checks good.
#[test]
fn tshark_agrees_with_the_exported_keys() {
    if !cli::require_tool("tshark_agrees_with_the_exported_keys", "tshark") {
        return;
    }
    let dir = cli::scratch("krb-tshark");
    for name in ["krb-smb210.pcap", "krb-smb300.pcap", "krb-smb311-rc4.pcap"] {
        let capture = cli::sample(name);
        let keys = dir.join(format!("{name}.keys"));
        let run = cli::run(&[
            OsString::from("--keytab"),
            keytab().into(),
            OsString::from("--export-keys"),
            keys.clone().into(),
            capture.clone().into(),
        ]);
        assert_eq!(run.code, 0, "{run}");
        let export = std::fs::read_to_string(&keys).unwrap();
        let lines = cli::wireshark_lines(&export);
        assert_eq!(lines.len(), 1, "{name}: {lines:?}");
        let frames = |filter: &str| -> BTreeSet<u64> {
            let out = Command::new("tshark")
                .env("WIRESHARK_CONFIG_DIR", &dir)
                .args(["-n", "-r"])
                .arg(&capture)
                .args(["-o", "smb2.verify_signatures:TRUE"])
                .arg("-o")
                .arg(format!("uat:smb2_seskey_list:{}", lines[0]))
                .args(["-Y", filter, "-T", "fields", "-e", "frame.number"])
                .output()
                .expect("run tshark");
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect()
        };
        assert!(
            frames("smb2.bad_signature").is_empty(),
            "{name}: tshark finds bad signatures"
        );
        let good = frames("smb2.good_signature");
        let (messages, _) = cli::run(&[
            OsString::from("--format"),
            "jsonl".into(),
            "--keytab".into(),
            keytab().into(),
            capture.clone().into(),
        ])
        .jsonl();
        let valid: BTreeSet<u64> = messages
            .iter()
            .filter(|m| m["verdict"] == "valid")
            .map(|m| cli::u64_of(m, "frame"))
            .collect();
        // The final SESSION_SETUP response is the one signed message tshark does not check.
        let final_setup: BTreeSet<u64> = messages
            .iter()
            .filter(|m| m["command"] == "SESSION_SETUP" && m["response"] == true)
            .filter(|m| m["status"] == "STATUS_SUCCESS" && m["verdict"] == "valid")
            .map(|m| cli::u64_of(m, "frame"))
            .collect();
        assert!(!good.is_empty(), "{name}: tshark checked nothing");
        assert_eq!(
            good.union(&final_setup).copied().collect::<BTreeSet<_>>(),
            valid,
            "{name}: frames tshark finds good (and the final SESSION_SETUP response) and \
             frames smbcheck finds valid"
        );
    }
}

/// `--credentials` names a Kerberos principal as `user@REALM:password`.
#[test]
fn a_credentials_file_names_the_principal() {
    let dir = cli::scratch("krb-credentials");
    let file = dir.join("credentials");
    std::fs::write(&file, format!("{PRINCIPAL}:{}\n", cli::PASSWORD)).unwrap();
    let capture = cli::sample("krb-smb311.pcap");
    let (code, r) = report(&[
        OsStr::new("--credentials"),
        file.as_os_str(),
        capture.as_os_str(),
    ]);
    all_verified(&capture, code, &r, "password via AS/TGS");
}

/// The mechListMICs tshark shows in a capture: (frame, the token's bytes).
fn tshark_mech_list_mics(capture: &Path) -> Vec<(u64, Vec<u8>)> {
    tshark::fields(
        capture,
        "spnego.mechListMIC",
        &["frame.number", "spnego.mechListMIC"],
    )
    .iter()
    .map(|row| {
        let [frame, hex] = row.as_slice() else {
            panic!("two fields: {row:?}")
        };
        let bytes = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        (frame.parse().unwrap(), bytes)
    })
    .collect()
}

/// A Kerberos logon's mechListMIC (an RFC 4121 MIC token over the mechTypes list): on every
/// Kerberos sample, `valid` where tshark shows one (the server accepted the logon, so both
/// tokens are good: krb-smb311-mechlistmic.pcap, the client's and the server's) and `absent`
/// where it shows none (an optimistic AP-REQ in the first round: Samba signs nothing).
#[test]
fn kerberos_mech_list_mic_agrees_with_tshark() {
    if !cli::require_tool("kerberos_mech_list_mic_agrees_with_tshark", "tshark") {
        return;
    }
    let mut checked = 0;
    for capture in krb_samples() {
        let name = cli::file_name(&capture);
        let mics = tshark_mech_list_mics(&capture);
        let (code, r) = report(&[
            OsStr::new("--keytab"),
            keytab_for(&capture).as_os_str(),
            capture.as_os_str(),
        ]);
        assert_eq!(code, 0, "{name}");
        let want = if mics.is_empty() { "absent" } else { "valid" };
        for s in r["sessions"].as_array().unwrap() {
            assert_eq!(s["mech_list_mic"]["verdict"], want, "{name}: {s}");
        }
        if !mics.is_empty() {
            // Both sides: TOK_ID 04 04, the server's with SentByAcceptor (RFC 4121 4.2.6.1).
            let flags: Vec<u8> = mics.iter().map(|(_, m)| m[2] & 1).collect();
            assert_eq!(flags, [1, 0], "{name}: the server's, then the client's");
            assert!(mics.iter().all(|(_, m)| m.starts_with(&[4, 4])));
            checked += 1;
        }
    }
    assert_eq!(
        checked, 1,
        "krb-smb311-mechlistmic.pcap has the mechListMICs"
    );
}

/// One byte of a mechListMIC's checksum changed in a copy of krb-smb311-mechlistmic.pcap
/// (the last byte of the token tshark shows in that frame, IP and TCP checksums left as
/// they were): `invalid` at that frame, problem `invalid-mech-list-mic`, exit status 1.
#[test]
fn a_changed_kerberos_mech_list_mic_is_invalid() {
    if !cli::require_tool("a_changed_kerberos_mech_list_mic_is_invalid", "tshark") {
        return;
    }
    let sample = cli::sample(MECH_LIST_MIC_SAMPLE);
    let mics = tshark_mech_list_mics(&sample);
    assert_eq!(mics.len(), 2);
    let dir = cli::scratch("krb-mech-list-mic");
    for (frame, mic) in mics {
        let mut records = support::read_records(std::slice::from_ref(&sample));
        let data = &mut records[frame as usize - 1].data;
        let at = data
            .windows(mic.len())
            .position(|w| w == mic.as_slice())
            .expect("the token in its frame")
            + mic.len()
            - 1;
        data[at] ^= 0x01;
        let path = dir.join(format!("mechlistmic-{frame}.pcap"));
        std::fs::write(&path, support::write_pcap(&records, false, false)).unwrap();
        let changed = tshark_mech_list_mics(&path);
        assert!(
            changed
                .iter()
                .any(|(f, m)| *f == frame && m.last() != mic.last())
        );
        let (code, r) = report(&[
            OsStr::new("--keytab"),
            keytab_for(&sample).as_os_str(),
            path.as_os_str(),
        ]);
        assert_eq!(code, 1, "frame {frame}");
        let s = &r["sessions"][0];
        assert_eq!(s["mech_list_mic"]["verdict"], "invalid", "{s}");
        // SMB 3.1.1: the preauth integrity hash covers the changed SESSION_SETUP message,
        // so the keys change and every signature turns invalid too (MS-SMB2 3.2.5.3.1).
        assert_eq!(
            r["summary"]["invalid"], r["summary"]["signed"],
            "{}",
            r["summary"]
        );
        let problems: Vec<&Value> = r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["kind"] == "invalid-mech-list-mic")
            .collect();
        assert_eq!(problems.len(), 1, "{}", r["problems"]);
        assert_eq!(cli::u64_of(problems[0], "frame"), frame);
    }
}

/// A copy of krb-smb311-mechlistmic.pcap without the frame that carries the AP-REP (tshark:
/// `kerberos.msg_type == 15`): the acceptor's subkey, and so the keys, cannot be known from
/// the capture. Nothing is `invalid` then (no invalid signature, mechListMIC or problem that
/// fails): what needed that key is `unverified`, and the exit status is not 1.
#[test]
fn a_capture_without_the_ap_rep_is_unverified_not_invalid() {
    if !cli::require_tool(
        "a_capture_without_the_ap_rep_is_unverified_not_invalid",
        "tshark",
    ) {
        return;
    }
    let sample = cli::sample(MECH_LIST_MIC_SAMPLE);
    let ap_reps = tshark::fields(&sample, "kerberos.msg_type == 15", &["frame.number"]);
    assert_eq!(ap_reps.len(), 1, "{ap_reps:?}");
    let frame: usize = ap_reps[0][0].parse().unwrap();
    let mut records = support::read_records(std::slice::from_ref(&sample));
    records.remove(frame - 1);
    let path = cli::scratch("krb-no-ap-rep").join("no-ap-rep.pcap");
    std::fs::write(&path, support::write_pcap(&records, false, false)).unwrap();
    assert!(tshark::fields(&path, "kerberos.msg_type == 15", &["frame.number"]).is_empty());
    let (code, r) = report(&[
        OsStr::new("--keytab"),
        keytab_for(&sample).as_os_str(),
        path.as_os_str(),
    ]);
    assert_ne!(code, 1, "{:?}", cli::problems(&r));
    let summary = &r["summary"];
    assert_eq!(summary["invalid"], 0, "{summary}");
    assert_eq!(summary["unverified"], summary["signed"], "{summary}");
    let s = &r["sessions"][0];
    assert_eq!(s["mech_list_mic"]["verdict"], "unverified", "{s}");
    let invalid: Vec<(String, String)> = cli::problems(&r)
        .into_iter()
        .filter(|(kind, _)| kind.starts_with("invalid"))
        .collect();
    assert!(invalid.is_empty(), "{invalid:?}");
}
