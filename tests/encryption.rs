//! Encrypted samples (issue 8): the summary counts transforms (`encrypted`) and those that
//! decrypted (`decrypted`) as tshark counts transform headers; keys given as Wireshark
//! `smb2_seskey_list` lines (`--keys`) decrypt like the password, also when the capture
//! starts after the session setup; `--decrypted-out` writes a capture in which tshark, with
//! no key at all, sees the SMB2 commands that smbcheck decrypted.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/mod.rs"]
mod support;
#[path = "support/tshark.rs"]
mod tshark;

use std::path::{Path, PathBuf};

use cli::{ENCRYPTED_SAMPLES, PASSWORD, Run, run, run_with_password, sample, scratch, u64_of};
use serde_json::Value;

fn jsonl_with<S: AsRef<std::ffi::OsStr>>(capture: &Path, args: &[S]) -> Run {
    let mut all: Vec<std::ffi::OsString> = vec!["--format".into(), "jsonl".into()];
    all.extend(args.iter().map(|a| a.as_ref().to_owned()));
    all.push(capture.into());
    run(&all)
}

/// `(verdict, reason, command, frame)` of every message: what two runs must agree on.
fn verdicts(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            format!(
                "{} {} {} {} {}",
                m["frame"], m["protocol"], m["command"], m["verdict"], m["reason"]
            )
        })
        .collect()
}

/// The Wireshark key-list line smbcheck exports for the one session of `capture`.
fn wireshark_line(capture: &Path, dir: &Path) -> String {
    exported(capture, dir).0
}

/// The exported Wireshark line of the one session of `capture`, and the whole export file.
fn exported(capture: &Path, dir: &Path) -> (String, String) {
    let text = cli::export_keys(capture, &dir.join("exported.keys"));
    let lines = cli::wireshark_lines(&text);
    assert_eq!(lines.len(), 1, "{text}");
    (lines[0].clone(), text)
}

/// A Wireshark line with only the two cipher keys of `line` (the session key left empty).
fn cipher_keys_only(line: &str) -> String {
    let fields: Vec<&str> = line.split(',').collect();
    format!("{},\"\",{},{}", fields[0], fields[2], fields[3])
}

fn write_keys(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn summary_counts_transforms_as_tshark_does() {
    let dir = scratch("enc-counts");
    let tshark = tshark::available("summary_counts_transforms_as_tshark_does");
    for name in ENCRYPTED_SAMPLES {
        let capture = sample(name);
        let with = run_with_password(&capture, "json").json();
        let without = run(&["--format".as_ref(), "json".as_ref(), capture.as_os_str()]).json();
        let encrypted = u64_of(&with["summary"], "encrypted");
        assert!(encrypted > 0, "{name}");
        assert_eq!(u64_of(&with["summary"], "decrypted"), encrypted, "{name}");
        assert_eq!(
            u64_of(&without["summary"], "encrypted"),
            encrypted,
            "{name}"
        );
        assert_eq!(u64_of(&without["summary"], "decrypted"), 0, "{name}");
        if tshark {
            assert_eq!(
                tshark::transform_frames(&capture, &dir) as u64,
                encrypted,
                "{name}: transforms, tshark vs smbcheck"
            );
        }
    }
}

/// The exported Wireshark line given back with `--keys`, whole or only its cipher keys,
/// gives the verdicts the password gives; so does the whole export file.
#[test]
fn wireshark_key_lines_decrypt_like_the_password() {
    let dir = scratch("enc-keylist");
    for name in ENCRYPTED_SAMPLES {
        let capture = sample(name);
        let reference = jsonl_with(&capture, &["--password", PASSWORD]);
        assert_eq!(reference.code, 0, "{reference}");
        let reference = verdicts(&reference.jsonl().0);
        let (line, export_file) = exported(&capture, &dir);
        let cipher_only = cipher_keys_only(&line);
        for (what, text) in [
            ("whole line", line.clone()),
            ("cipher keys only", cipher_only),
            ("export file", export_file),
        ] {
            let keys = write_keys(&dir, "keys.txt", &format!("# {what}\n{text}\n"));
            let out = jsonl_with(&capture, &["--keys".as_ref(), keys.as_os_str()]);
            let (messages, summary) = out.jsonl();
            assert_eq!(
                u64_of(&summary, "decrypted"),
                u64_of(&summary, "encrypted"),
                "{name} {what}"
            );
            let inner: Vec<String> = verdicts(&messages)
                .into_iter()
                .filter(|v| !v.contains("SESSION_SETUP"))
                .collect();
            let expected: Vec<String> = reference
                .iter()
                .filter(|v| !v.contains("SESSION_SETUP"))
                .cloned()
                .collect();
            assert_eq!(inner, expected, "{name} {what}");
            assert_eq!(u64_of(&summary, "invalid"), 0, "{name} {what}");
        }
    }
}

/// A capture that starts after the session setup (the NEGOTIATE and the logon are gone):
/// the cipher keys alone decrypt every transform, the cipher is found by its tag, and the
/// commands are those tshark decrypts from the whole capture (tshark itself decrypts nothing
/// without the NEGOTIATE). Without keys: unverified, never invalid.
#[test]
fn cipher_keys_decrypt_a_capture_started_late() {
    let dir = scratch("enc-late");
    let tshark = tshark::available("cipher_keys_decrypt_a_capture_started_late");
    for name in ENCRYPTED_SAMPLES {
        let capture = sample(name);
        let line = wireshark_line(&capture, &dir);
        let cipher_only = cipher_keys_only(&line);

        let records = support::read_records(std::slice::from_ref(&capture));
        let first_transform = records
            .iter()
            .position(|r| r.data.windows(4).any(|w| w == b"\xfdSMB"))
            .expect("a transform");
        let late = dir.join(format!("late-{name}"));
        std::fs::write(
            &late,
            support::write_pcap(&records[first_transform..], false, true),
        )
        .unwrap();

        let keys = write_keys(&dir, "keys.txt", &format!("{cipher_only}\n"));
        let out = jsonl_with(&late, &["--keys".as_ref(), keys.as_os_str()]);
        let (messages, summary) = out.jsonl();
        assert_eq!(out.code, 0, "{out}");
        assert!(u64_of(&summary, "encrypted") > 0, "{name}");
        assert_eq!(
            u64_of(&summary, "decrypted"),
            u64_of(&summary, "encrypted"),
            "{name}"
        );
        let ours = tshark::smbcheck_commands(&messages);
        if tshark {
            // Frame n of the late capture is frame n + skipped of the whole one.
            let skipped = first_transform as u64;
            let theirs: Vec<(u64, u16)> =
                tshark::commands(&capture, std::slice::from_ref(&line), &dir)
                    .into_iter()
                    .filter(|(frame, _)| *frame > skipped)
                    .map(|(frame, c)| (frame - skipped, c))
                    .collect();
            assert_eq!(ours, theirs, "{name}: started late, smbcheck vs tshark");
        }

        let without = jsonl_with(&late, &[] as &[&str]);
        assert_eq!(without.code, 0, "{without}");
        let (_, summary) = without.jsonl();
        assert_eq!(u64_of(&summary, "invalid"), 0, "{name}");
        assert_eq!(u64_of(&summary, "decrypted"), 0, "{name}");
    }
}

/// Wrong cipher keys: every transform fails its tag, and says so.
#[test]
fn wrong_cipher_keys_are_invalid() {
    let dir = scratch("enc-wrong");
    let capture = sample("smb311-enc-aes128gcm.pcap");
    let line = wireshark_line(&capture, &dir);
    let fields: Vec<&str> = line.split(',').collect();
    // The other direction's key in each place: real keys, the wrong way round.
    let swapped = format!("{},\"\",{},{}", fields[0], fields[3], fields[2]);
    let keys = write_keys(&dir, "keys.txt", &format!("{swapped}\n"));
    let out = jsonl_with(&capture, &["--keys".as_ref(), keys.as_os_str()]);
    assert_eq!(out.code, 1, "{out}");
    let (_, summary) = out.jsonl();
    assert_eq!(u64_of(&summary, "decrypted"), 0);
    assert_eq!(u64_of(&summary, "invalid"), u64_of(&summary, "encrypted"));
}

/// `--decrypted-out`: tshark, given no key, reads the SMB2 commands smbcheck decrypted, in
/// the same order; smbcheck reads the file back with the same messages and no transform.
#[test]
fn decrypted_out_is_readable_without_keys() {
    let dir = scratch("enc-out");
    let tshark = tshark::available("decrypted_out_is_readable_without_keys");
    for name in ENCRYPTED_SAMPLES {
        let capture = sample(name);
        let out_file = dir.join(format!("plain-{name}"));
        let first = jsonl_with(
            &capture,
            &[
                "--password".as_ref(),
                PASSWORD.as_ref(),
                "--decrypted-out".as_ref(),
                out_file.as_os_str(),
            ],
        );
        assert_eq!(first.code, 0, "{first}");
        let ours: Vec<u16> = tshark::smbcheck_commands(&first.jsonl().0)
            .into_iter()
            .map(|(_, c)| c)
            .collect();

        let again = jsonl_with(&out_file, &[] as &[&str]);
        let (messages, summary) = again.jsonl();
        assert_eq!(u64_of(&summary, "encrypted"), 0, "{name}: {again}");
        assert_eq!(u64_of(&summary, "invalid"), 0, "{name}");
        let reread: Vec<u16> = tshark::smbcheck_commands(&messages)
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(reread, ours, "{name}: read back");
        if tshark {
            let theirs: Vec<u16> = tshark::commands(&out_file, &[], &dir)
                .into_iter()
                .map(|(_, c)| c)
                .collect();
            assert_eq!(theirs, ours, "{name}: tshark on --decrypted-out, no key");
        }
    }
}
