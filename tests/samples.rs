//! Every samples/*.pcap (read at test time) through the binary: with the password no invalid
//! signature and every signed message valid; every way of giving the secret gives the same
//! verdicts; without a secret every signed message is `unverified` (`no-key`), never invalid.
//! Samples that samples/README.md says were made with a wrong password must give exit 1 and a
//! `password-mismatch` problem, still with no `invalid`.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tshark.rs"]
mod tshark;

use std::ffi::OsString;
use std::path::Path;

use cli::{PASSWORD, Run, file_name, problems, run, run_env, samples, scratch, str_of, u64_of};
use serde_json::Value;

/// NT hash of `Secr3t!pass` (MD4 of its UTF-16LE form), computed independently with
/// `printf 'Secr3t!pass' | iconv -t UTF-16LE | openssl dgst -md4 -provider legacy`.
const NT_HASH: &str = "f4f9334bfe7d53dc0275942d0ca7fa1b";

/// Whether samples/README.md says `sample` was made with a wrong password: a line naming the
/// sample, or a line of the paragraph (or list item) that names it, says "wrong password".
/// Without the README, a name containing "wrong-password" is taken as that statement.
fn made_with_wrong_password(sample: &Path) -> bool {
    readme_says(sample, &["wrong password", "wrong-password"])
        .unwrap_or_else(|| file_name(sample).contains("wrong-password"))
}

/// Whether samples/README.md says the server of `sample` did not sign though signing was
/// required (MS-CIFS 3.3.5.3): its messages are `invalid`, exit status 1.
fn server_did_not_sign(sample: &Path) -> bool {
    readme_says(sample, &["server did not sign"]).unwrap_or(false)
}

/// Whether a block of samples/README.md that names `sample` contains one of `phrases`
/// (lower case); None without the README.
fn readme_says(sample: &Path, phrases: &[&str]) -> Option<bool> {
    let name = file_name(sample);
    let Ok(readme) = std::fs::read_to_string(cli::root().join("samples/README.md")) else {
        eprintln!("note: samples/README.md absent; judging {name} by its name");
        return None;
    };
    // Blocks: paragraphs or list items, split on blank lines and item starts.
    let mut blocks: Vec<String> = Vec::new();
    for line in readme.lines() {
        let t = line.trim_start();
        let starts_item = t.starts_with("- ") || t.starts_with("* ") || t.starts_with('|');
        if t.is_empty() || starts_item || t.starts_with('#') || blocks.is_empty() {
            blocks.push(String::new());
        }
        let last = blocks.last_mut().unwrap();
        last.push_str(line);
        last.push('\n');
    }
    Some(blocks.iter().any(|b| {
        let lower = b.to_lowercase();
        b.contains(&name) && phrases.iter().any(|p| lower.contains(p))
    }))
}

fn jsonl_with(capture: &Path, secret: &[OsString], env: &[(&str, Option<&str>)]) -> Run {
    let mut args: Vec<OsString> = vec!["--format".into(), "jsonl".into()];
    args.extend(secret.iter().cloned());
    args.push(capture.into());
    run_env(&args, env)
}

/// One verdict per message, in output order: (frame, protocol, command, response,
/// message_id, signed, verdict, reason).
fn verdicts(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            format!(
                "frame {} {} {} {} mid {} signed {} {} {}",
                m["frame"],
                str_of(m, "protocol"),
                str_of(m, "command"),
                if m["response"] == true {
                    "response"
                } else {
                    "request"
                },
                m["message_id"],
                m["signed"],
                str_of(m, "verdict"),
                str_of(m, "reason"),
            )
        })
        .collect()
}

fn check_summary(run: &Run, s: &Value) {
    assert_eq!(u64_of(s, "invalid"), 0, "{run}: invalid signatures: {s}");
    assert_eq!(
        u64_of(s, "valid") + u64_of(s, "invalid") + u64_of(s, "unverified"),
        u64_of(s, "signed"),
        "{run}: valid + invalid + unverified != signed: {s}"
    );
}

#[test]
fn every_sample_verifies_with_the_password() {
    let samples = samples();
    assert!(samples.len() >= 10, "too few samples: {samples:?}");
    let mut wrong = 0;
    for sample in &samples {
        let r = cli::run_with_password(sample, "json");
        let report = r.json();
        let s = &report["summary"];
        let mismatch = problems(&report)
            .iter()
            .any(|(k, _)| k == "password-mismatch");
        if server_did_not_sign(sample) {
            // Every message from the logon's final response on carries the placeholder or
            // zeros where signing was required: each is a failed check.
            assert_eq!(r.code, 1, "{r}");
            assert_eq!(u64_of(s, "invalid"), u64_of(s, "signed"), "{r}: {s}");
            assert!(
                problems(&report)
                    .iter()
                    .any(|(k, d)| k == "invalid-signature"
                        && d.contains("placeholder: the server did not sign")),
                "{r}: {:?}",
                problems(&report)
            );
            continue;
        }
        check_summary(&r, s);
        if made_with_wrong_password(sample) {
            wrong += 1;
            assert_eq!(r.code, 1, "{r}: a wrong-password sample must exit 1");
            assert!(
                mismatch,
                "{r}: no password-mismatch problem: {:?}",
                problems(&report)
            );
        } else {
            assert_eq!(r.code, 0, "{r}: {:?}", problems(&report));
            assert!(!mismatch, "{r}: {:?}", problems(&report));
            // A Kerberos capture without the KDC exchanges needs the keytab (tests/kerberos.rs).
            if readme_says(sample, &["the keytab alone gives every key"]) == Some(true) {
                assert_eq!(u64_of(s, "invalid"), 0, "{r}: {s}");
                continue;
            }
            assert_eq!(
                u64_of(s, "unverified"),
                0,
                "{r}: signed messages left unverified with the right password: {s}"
            );
            assert_eq!(u64_of(s, "valid"), u64_of(s, "signed"), "{r}: {s}");
        }
        // The JSONL form agrees with the JSON summary.
        let (messages, summary) = cli::run_with_password(sample, "jsonl").jsonl();
        assert_eq!(
            &summary,
            s,
            "{}: JSONL and JSON summaries differ",
            sample.display()
        );
        assert_eq!(
            messages.len() as u64,
            u64_of(s, "messages"),
            "{}",
            sample.display()
        );
        let signed = messages.iter().filter(|m| m["signed"] == true).count() as u64;
        assert_eq!(signed, u64_of(s, "signed"), "{}", sample.display());
        for m in &messages {
            for field in [
                "frame",
                "time",
                "connection",
                "direction",
                "protocol",
                "command",
                "command_code",
                "response",
                "session_id",
                "message_id",
                "status",
                "signed",
                "verdict",
                "reason",
                "algorithm",
            ] {
                assert!(
                    m.get(field).is_some(),
                    "{}: no {field} in {m}",
                    sample.display()
                );
            }
            let verdict = str_of(m, "verdict");
            assert_eq!(
                verdict == "unsigned",
                m["signed"] == false,
                "{}: signed and verdict disagree: {m}",
                sample.display()
            );
        }
    }
    assert!(wrong >= 1, "no wrong-password sample found");
}

/// --password, --password-file, SMBCHECK_PASSWORD, --nt-hash and --credentials (password and
/// NT hash lines) give the same verdict for every message of every sample.
#[test]
fn every_way_of_giving_the_secret_agrees() {
    let dir = scratch("secrets");
    let password_file = dir.join("password");
    std::fs::write(
        &password_file,
        format!("{PASSWORD}\nsecond line is ignored\n"),
    )
    .unwrap();
    let creds_password = dir.join("credentials-password");
    std::fs::write(&creds_password, format!("WORKGROUP\\alice:{PASSWORD}\n")).unwrap();
    let creds_hash = dir.join("credentials-hash");
    std::fs::write(&creds_hash, format!("alice::{NT_HASH}\n")).unwrap();

    type Way<'a> = (&'a str, Vec<OsString>, Vec<(&'a str, Option<&'a str>)>);
    let ways: Vec<Way> = vec![
        (
            "--password-file",
            vec!["--password-file".into(), password_file.clone().into()],
            vec![],
        ),
        (
            "SMBCHECK_PASSWORD",
            vec![],
            vec![("SMBCHECK_PASSWORD", Some(PASSWORD))],
        ),
        (
            "--nt-hash",
            vec!["--nt-hash".into(), NT_HASH.into()],
            vec![],
        ),
        (
            "--nt-hash (upper case)",
            vec!["--nt-hash".into(), NT_HASH.to_uppercase().into()],
            vec![],
        ),
        (
            "--credentials user:password",
            vec!["--credentials".into(), creds_password.into()],
            vec![],
        ),
        (
            "--credentials user::hash",
            vec!["--credentials".into(), creds_hash.into()],
            vec![],
        ),
    ];
    // The NTLM samples: a Kerberos AES key is made from the password itself (an NT hash
    // gives only RC4's), and the credentials above name the NTLM domain, not the realm;
    // tests/kerberos.rs covers the Kerberos ways.
    let ntlm = samples()
        .into_iter()
        .filter(|s| !file_name(s).starts_with("krb-"));
    for sample in ntlm {
        let reference = jsonl_with(&sample, &["--password".into(), PASSWORD.into()], &[]);
        let (ref_messages, ref_summary) = reference.jsonl();
        let expected = verdicts(&ref_messages);
        for (way, args, env) in &ways {
            let r = jsonl_with(&sample, args, env);
            assert_eq!(
                r.code, reference.code,
                "{r}: exit status differs from --password"
            );
            let (messages, summary) = r.jsonl();
            let got = verdicts(&messages);
            if got != expected {
                let first = got.iter().zip(&expected).position(|(a, b)| a != b);
                panic!(
                    "{}: {way} gives other verdicts than --password (first difference: {:?} vs \
                     {:?}; {} vs {} messages)",
                    sample.display(),
                    first.map(|i| &got[i]),
                    first.map(|i| &expected[i]),
                    got.len(),
                    expected.len()
                );
            }
            assert_eq!(summary, ref_summary, "{}: {way}", sample.display());
        }
    }
}

/// Without any secret: exit 0, no invalid, every signed message `unverified` with reason
/// `no-key`, and the same messages are recognised as signed as with the password (knowing no
/// key must not turn a signed message into an unsigned one).
#[test]
fn without_a_secret_nothing_is_invalid_and_signed_is_unverified() {
    for sample in samples() {
        let r = jsonl_with(&sample, &[], &[]);
        assert_eq!(r.code, 0, "{r}: without a secret nothing can fail");
        let (messages, summary) = r.jsonl();
        check_summary(&r, &summary);
        assert_eq!(u64_of(&summary, "valid"), 0, "{r}: {summary}");
        for m in messages.iter().filter(|m| m["signed"] == true) {
            assert_eq!(
                (str_of(m, "verdict"), str_of(m, "reason")),
                ("unverified", "no-key"),
                "{}: {m}",
                sample.display()
            );
        }
        // Plain (not encrypted) messages: signed exactly when signed with the password.
        let (with_key, _) = cli::run_with_password(&sample, "jsonl").jsonl();
        let key = |m: &Value| {
            format!(
                "frame {} {} {} {} mid {}",
                m["frame"],
                str_of(m, "protocol"),
                str_of(m, "command"),
                m["response"],
                m["message_id"]
            )
        };
        let plain: Vec<(String, bool)> = messages
            .iter()
            .filter(|m| matches!(str_of(m, "protocol"), "smb1" | "smb2"))
            .map(|m| (key(m), m["signed"] == true))
            .collect();
        let mut wrong = Vec::new();
        for m in &with_key {
            let k = key(m);
            if let Some((_, signed)) = plain.iter().find(|(pk, _)| *pk == k) {
                if *signed != (m["signed"] == true) {
                    wrong.push(format!(
                        "{k}: signed {} with the key, {signed} without",
                        m["signed"]
                    ));
                }
            }
        }
        assert!(
            wrong.is_empty(),
            "{}: {} messages are judged signed differently without a key, e.g. {:?}",
            sample.display(),
            wrong.len(),
            &wrong[..wrong.len().min(3)]
        );
    }
}

/// Text format: runs on every sample, no panic, same exit status as JSON.
#[test]
fn text_report_on_every_sample() {
    for sample in samples() {
        let r = run(&[
            OsString::from("--password"),
            PASSWORD.into(),
            sample.clone().into(),
        ]);
        let expected = if made_with_wrong_password(&sample) || server_did_not_sign(&sample) {
            1
        } else {
            0
        };
        assert_eq!(r.code, expected, "{r}");
        // The first line counts what the JSON report holds, in words that agree with the
        // numbers ("1 connection", "2 connections").
        let json = cli::run_with_password(&sample, "json").json();
        let counted = |n: usize, noun: &str| match n {
            1 => format!("1 {noun}"),
            _ => format!("{n} {noun}s"),
        };
        let first = format!(
            "{}, {}, {}",
            counted(u64_of(&json["summary"], "frames") as usize, "frame"),
            counted(json["connections"].as_array().unwrap().len(), "connection"),
            counted(json["sessions"].as_array().unwrap().len(), "session"),
        );
        assert_eq!(r.stdout.lines().next(), Some(first.as_str()), "{r}");
    }
}

/// The samples captured with `tcpdump -i any` (Linux cooked headers, v1 and v2) and over IPv6
/// keep those link types (a regenerated sample must not lose them; they reach the decoder's
/// paths for those headers), and smbcheck names each connection's endpoints as tshark reads
/// them from the first SYN. (Verdicts and counts of these samples are checked with the others.)
#[test]
fn cooked_and_ipv6_samples_name_endpoints_as_tshark() {
    let with_tshark = tshark::available("cooked_and_ipv6_samples_name_endpoints_as_tshark");
    for (name, linktype) in [
        ("smb210-sll.pcap", 113),
        ("smb311-ipv6.pcap", 1),
        ("smb300-ipv6-sll2.pcap", 276),
    ] {
        let path = cli::sample(name);
        // Classic pcap as tcpdump writes it here: little-endian, link type at offset 20.
        let header = std::fs::read(&path).unwrap();
        assert_eq!(&header[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "{name}");
        assert_eq!(
            u32::from_le_bytes(header[20..24].try_into().unwrap()),
            linktype,
            "{name}"
        );
        let r = cli::run_with_password(&path, "json");
        assert_eq!(r.code, 0, "{r}");
        let report = r.json();
        let connections = report["connections"].as_array().unwrap();
        assert_eq!(connections.len(), 1, "{r}");
        let ends = [
            str_of(&connections[0], "client"),
            str_of(&connections[0], "server"),
        ];
        if !with_tshark {
            continue;
        }
        let client = ["ip.src", "ipv6.src", "tcp.srcport"];
        let server = ["ip.dst", "ipv6.dst", "tcp.dstport"];
        let syn = "tcp.flags.syn == 1 && tcp.flags.ack == 0";
        let rows = tshark::fields(&path, syn, &[client, server].concat());
        let f = rows.first().expect("a SYN");
        let end = |v4: &str, v6: &str, port: &str| match v6 {
            "" => format!("{v4}:{port}"),
            _ => format!("[{v6}]:{port}"),
        };
        assert_eq!(
            ends,
            [end(&f[0], &f[1], &f[2]), end(&f[3], &f[4], &f[5])],
            "{name}"
        );
        assert_eq!(name.contains("ipv6"), !f[1].is_empty(), "{name}");
    }
}

/// Every Zeek trace of tests/data/zeek: no panic,
/// exit 0 or 1, or 2 with one error line only where tshark finds no SMB message at all, and
/// under 10 s each.
#[test]
fn zeek_captures_run_cleanly() {
    let Some(dir) = cli::require_zeek_dir("zeek_captures_run_cleanly") else {
        return;
    };
    let captures = cli::zeek_captures(&dir);
    assert!(!captures.is_empty(), "{}: no captures", dir.display());
    for capture in &captures {
        let r = run(&[OsString::from("--format"), "json".into(), capture.into()]);
        assert!(
            r.elapsed < std::time::Duration::from_secs(10),
            "{r}: took {:?}",
            r.elapsed
        );
        match r.code {
            0 | 1 => check_summary(&r, &r.json()["summary"]),
            2 => {
                r.one_line_error();
                let counts = cli::root()
                    .join("tests/expected/counts/zeek")
                    .join(format!("{}.txt", file_name(capture)));
                let text = std::fs::read_to_string(&counts).unwrap_or_default();
                assert!(
                    cli::parse_counts(&text).values().all(|&n| n == 0),
                    "{r}: unusable, but tshark finds SMB messages in it ({})",
                    counts.display()
                );
            }
            other => panic!("{r}: exit status {other}"),
        }
    }
}
