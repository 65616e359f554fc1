//! Kerberos logons (samples/krb-*.pcap: a real Samba 4.17 AD DC and its KDC, samples/README.md
//! "Kerberos samples"): with the service's keytab alone, or with the user's password alone
//! where the capture holds the AS and TGS exchanges, every signature verifies and every
//! transform decrypts; tshark, given the session key smbcheck exports, agrees.

#[path = "support/cli.rs"]
mod cli;

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
            keytab().as_os_str(),
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
