//! `--export-keys` (issue 3): tshark, given only the exported Wireshark lines (no password),
//! decrypts the encrypted samples and sees the same inner SMB2 commands smbcheck reports; the
//! file is private (0600); and no normal run prints the password or a derived key.
//!
//! tshark is optional: without it the tshark part prints "skipped: tshark not installed",
//! unless SMBCHECK_REQUIRE_TOOLS=1 is set (CI), which turns its absence into a failure.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tshark.rs"]
mod tshark;

use std::path::Path;

use cli::{
    ENCRYPTED_SAMPLES, PASSWORD, Run, exported_key_values, run, sample, scratch, wireshark_lines,
};

/// Runs smbcheck with `args`; it must not fail to run (exit 0 or 1).
fn smbcheck(args: &[&std::ffi::OsStr]) -> Run {
    let out = run(args);
    assert!(matches!(out.code, 0 | 1), "{out}");
    out
}

/// Runs smbcheck with the password and `--export-keys`; returns the file's text and the
/// JSONL report.
fn export(capture: &Path, keys: &Path) -> (String, Run) {
    let out = smbcheck(&[
        "--password".as_ref(),
        PASSWORD.as_ref(),
        "--format".as_ref(),
        "jsonl".as_ref(),
        "--export-keys".as_ref(),
        keys.as_os_str(),
        capture.as_os_str(),
    ]);
    let text = std::fs::read_to_string(keys).expect("export file written");
    (text, out)
}

#[test]
fn tshark_decrypts_with_exported_keys_only() {
    let dir = scratch("export-tshark");
    let tshark = tshark::available("tshark_decrypts_with_exported_keys_only");
    for name in ENCRYPTED_SAMPLES {
        let capture = sample(name);
        let keys_file = dir.join(format!("{name}.keys"));
        let (text, out) = export(&capture, &keys_file);
        assert_eq!(out.code, 0, "{out}");
        let uat = wireshark_lines(&text);
        assert_eq!(uat.len(), 1, "{name}: one session: {uat:?}");
        // Session id in wire order, session key, then two cipher keys of 16 or 32 bytes.
        let fields: Vec<&str> = uat[0].split(',').collect();
        assert_eq!(fields.len(), 4, "{name}: {}", uat[0]);
        assert_eq!(fields[0].len(), 16);
        for f in &fields[1..] {
            assert!(
                matches!(f.len(), 32 | 64) && f.bytes().all(|b| b.is_ascii_hexdigit()),
                "{name}: {f}"
            );
        }
        let ours = tshark::smbcheck_commands(&out.jsonl().0);
        assert!(!ours.is_empty(), "{name}");
        if !tshark {
            continue;
        }
        let without = tshark::commands(&capture, &[], &dir);
        let with = tshark::commands(&capture, &uat, &dir);
        assert!(
            without.len() < with.len(),
            "{name}: tshark sees {} SMB2 headers without keys, {} with",
            without.len(),
            with.len()
        );
        assert_eq!(
            with, ours,
            "{name}: tshark with the exported keys vs smbcheck"
        );
        // Each half alone is enough for tshark: the cipher keys smbcheck derived (session
        // key left empty), and the session key from which tshark derives its own.
        let cipher_keys_only = format!("{},\"\",{},{}", fields[0], fields[2], fields[3]);
        let session_key_only = format!("{},{},\"\",\"\"", fields[0], fields[1]);
        for line in [cipher_keys_only, session_key_only] {
            let half = tshark::commands(&capture, &[line], &dir);
            assert_eq!(half, ours, "{name}: tshark with only some of the keys");
        }
        println!(
            "{name}: tshark decrypts {} SMB2 messages ({} visible without keys)",
            with.len(),
            without.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_file_lists_sessions_channels_and_smb1_keys() {
    let dir = scratch("export-format");
    let keys_file = dir.join("keys.txt");

    // A file that exists with a wide mode is narrowed before keys go into it.
    std::fs::write(&keys_file, "old").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&keys_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let (text, _) = export(&sample("smb2-session-bind1.pcap"), &keys_file);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&keys_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "export file mode {mode:o}");
    }
    let sessions: Vec<&str> = text.lines().filter(|l| l.starts_with("session ")).collect();
    let channels: Vec<&str> = text.lines().filter(|l| l.starts_with("channel ")).collect();
    assert!(!sessions.is_empty(), "{text}");
    for s in &sessions {
        for field in [
            " dialect 3.1.1 ",
            " session_key ",
            " signing_key ",
            " application_key ",
        ] {
            assert!(s.contains(field), "{field} missing: {s}");
        }
    }
    // Each binding gives a channel line with a signing key of its own.
    let bound: Vec<&&str> = channels.iter().filter(|c| c.contains(" bound ")).collect();
    assert!(!bound.is_empty(), "{text}");
    for c in &bound {
        let key = c.rsplit(' ').next().unwrap();
        assert_eq!(key.len(), 32, "{c}");
        assert!(
            !sessions.iter().any(|s| s.contains(key)),
            "a bound channel's key is not its session's: {c}"
        );
    }
    assert_eq!(wireshark_lines(&text).len(), sessions.len());

    let (text, _) = export(&sample("smb1-ntlmv2.pcap"), &keys_file);
    let smb1: Vec<&str> = text.lines().filter(|l| l.starts_with("smb1 ")).collect();
    assert_eq!(smb1.len(), 1, "{text}");
    assert!(smb1[0].contains(" uid 0x") && smb1[0].contains(" mac_key "));
    assert!(wireshark_lines(&text).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The password and the derived keys appear in the export file and nowhere else.
#[test]
fn secrets_only_in_the_export_file() {
    let dir = scratch("export-secrets");
    let samples = ENCRYPTED_SAMPLES.iter().chain(&[
        "smb2-session-bind1.pcap",
        "smb1-ntlmv2.pcap",
        "smb210.pcap",
    ]);
    for name in samples {
        let capture = sample(name);
        let keys_file = dir.join(format!("{name}.keys"));
        let (text, export_run) = export(&capture, &keys_file);
        let secrets = exported_key_values(&text);
        assert!(!secrets.is_empty(), "{name}: no keys exported");
        let mut outputs = vec![("export run".to_string(), export_run)];
        for format in ["text", "json", "jsonl"] {
            let out = smbcheck(&[
                "--password".as_ref(),
                PASSWORD.as_ref(),
                "--format".as_ref(),
                format.as_ref(),
                capture.as_os_str(),
            ]);
            outputs.push((format.to_string(), out));
        }
        for (what, out) in &outputs {
            for stream in [&out.stdout, &out.stderr] {
                let s = stream.to_lowercase();
                assert!(
                    !s.contains(&PASSWORD.to_lowercase()),
                    "{name} {what}: password printed"
                );
                for key in &secrets {
                    assert!(!s.contains(key.as_str()), "{name} {what}: a key printed");
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
