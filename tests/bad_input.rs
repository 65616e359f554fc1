//! Bad input (issue 2): damaged captures derived from real samples (tests/data/bad/, made by
//! tests/data/bad/make-bad.sh, each described in its README.md), missing files and bad secrets.
//! Expected: never a panic; exit 2 with one line `smbcheck: ...` naming the file (and the
//! record or frame) when nothing usable could be read; otherwise the usable part is analysed,
//! the damage is listed in `problems`, nothing unverifiable is called `invalid`.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tshark.rs"]
mod tshark;

use std::ffi::OsString;
use std::path::Path;

use cli::{PASSWORD, Run, bad, problems, run, run_env, scratch, str_of, u64_of};
use serde_json::Value;

/// `smbcheck --format json [--password P] FILE`, the password passed in the environment.
fn check(file: &Path) -> Run {
    run_env(
        &[OsString::from("--format"), "json".into(), file.into()],
        &[("SMBCHECK_PASSWORD", Some(PASSWORD))],
    )
}

fn check_jsonl(file: &Path) -> Run {
    run_env(
        &[OsString::from("--format"), "jsonl".into(), file.into()],
        &[("SMBCHECK_PASSWORD", Some(PASSWORD))],
    )
}

/// Exit 2, one error line naming the file and containing every `needles` (case-insensitive).
fn assert_unusable(run: &Run, file: &str, needles: &[&str]) {
    let line = run.one_line_error().to_lowercase();
    assert!(
        line.contains(&file.to_lowercase()),
        "{run}: the error does not name {file}"
    );
    for n in needles {
        assert!(
            line.contains(&n.to_lowercase()),
            "{run}: the error does not say {n:?}"
        );
    }
    assert!(
        run.stdout.trim().is_empty(),
        "{run}: a report on stdout: {}",
        run.stdout
    );
}

/// A usable run: exit 0, a report with no `invalid`, and the balance of the summary.
fn assert_usable(run: &Run) -> Value {
    assert_eq!(run.code, 0, "{run}: expected exit status 0\n{}", run.stdout);
    let report = run.json();
    let s = &report["summary"];
    assert_eq!(u64_of(s, "invalid"), 0, "{run}: invalid signatures in {s}");
    assert_eq!(
        u64_of(s, "valid") + u64_of(s, "invalid") + u64_of(s, "unverified"),
        u64_of(s, "signed"),
        "{run}: valid + invalid + unverified != signed in {s}"
    );
    report
}

fn has_problem(report: &Value, kind: &str, detail_has: &[&str]) -> bool {
    problems(report)
        .iter()
        .any(|(k, d)| k == kind && detail_has.iter().all(|n| d.contains(n)))
}

#[test]
fn empty_file() {
    let r = check(&bad("empty.pcap"));
    assert_unusable(&r, "empty.pcap", &["empty"]);
}

#[test]
fn not_a_capture() {
    let r = check(&bad("not-a-capture.pcap"));
    assert_unusable(&r, "not-a-capture.pcap", &["not a pcap"]);
}

#[test]
fn missing_file() {
    let dir = scratch("missing");
    let r = check(&dir.join("no-such-capture.pcap"));
    assert_unusable(&r, "no-such-capture.pcap", &[]);
}

#[test]
fn missing_file_among_good_ones_is_unusable() {
    let dir = scratch("missing-among");
    let r = run(&[
        OsString::from("--format"),
        "json".into(),
        cli::sample("smb311.pcap").into(),
        dir.join("absent.pcap").into(),
    ]);
    assert_unusable(&r, "absent.pcap", &[]);
}

#[test]
fn truncated_mid_record() {
    let r = check(&bad("truncated-mid-record.pcap"));
    let report = assert_usable(&r);
    assert!(
        u64_of(&report["summary"], "valid") > 0,
        "{r}: nothing verified before the cut"
    );
    assert!(
        has_problem(
            &report,
            "damaged-capture",
            &["truncated-mid-record.pcap", "record 23"]
        ),
        "{r}: the truncation is not listed with file and record: {:?}",
        problems(&report)
    );
}

#[test]
fn absurd_record_length() {
    let r = check(&bad("huge-record-length.pcap"));
    let report = assert_usable(&r);
    assert!(u64_of(&report["summary"], "valid") > 0, "{r}");
    assert!(
        has_problem(
            &report,
            "damaged-capture",
            &["huge-record-length.pcap", "record 20"]
        ),
        "{r}: the damaged record is not listed: {:?}",
        problems(&report)
    );
}

#[test]
fn absurd_length_in_first_record_is_unusable() {
    let r = check(&bad("huge-first-record-length.pcap"));
    assert_unusable(&r, "huge-first-record-length.pcap", &["record 1"]);
}

#[test]
fn absurd_pcapng_block_length() {
    let r = check(&bad("huge-block-length.pcapng"));
    let report = assert_usable(&r);
    assert!(u64_of(&report["summary"], "valid") > 0, "{r}");
    assert!(
        has_problem(
            &report,
            "damaged-capture",
            &["huge-block-length.pcapng", "20"]
        ),
        "{r}: the damaged block is not listed: {:?}",
        problems(&report)
    );
}

/// The only interface has a link type smbcheck does not know: not one frame can be decoded,
/// so nothing usable was read (issue 2: exit 2 with a message naming the file).
#[test]
fn unknown_link_type() {
    let r = check(&bad("unknown-linktype.pcap"));
    assert_unusable(&r, "unknown-linktype.pcap", &["link type", "48879"]);
}

/// A snap length of 64 cuts every frame inside its TCP header (in the timestamps option): no
/// SMB message at all, the damage named from the first frame after the handshake (a SYN's
/// fixed header still gives the stream's start), no false alarm.
#[test]
fn snap_length_64() {
    let r = check(&bad("snap64-smb311.pcap"));
    let report = assert_usable(&r);
    assert_eq!(u64_of(&report["summary"], "messages"), 0, "{r}");
    assert!(
        has_problem(&report, "damaged-frame", &["frame 3:", "snap length"]),
        "{r}: the cut frames are not listed: {:?}",
        problems(&report)
    );
}

/// A snap length of 96 cuts into the SMB headers: 26 bytes of each are left over Ethernet and
/// IPv4, none over Linux cooked v2 and IPv6 (where it also cuts the SYN and SYN-ACK in their
/// TCP options; their fixed headers still give the streams' start, so the messages are
/// framed). Nothing is read from the zeros standing in for the rest: no message, but one
/// header-not-captured problem per message of the whole capture, saying how many header bytes
/// were left; no false alarm.
#[test]
fn snap_length_96_cuts_into_headers() {
    for (name, whole, left) in [
        (
            "snap96-smb311.pcap",
            "smb311.pcap",
            "SMB2 header at byte 0 was cut by the snap length after 26 bytes",
        ),
        (
            "snap96-smb300-ipv6-sll2.pcap",
            "smb300-ipv6-sll2.pcap",
            "SMB header at byte 0 was cut by the snap length after 0 bytes",
        ),
    ] {
        let r = check(&bad(name));
        let report = assert_usable(&r);
        assert_eq!(u64_of(&report["summary"], "messages"), 0, "{r}");
        let whole = check(&cli::sample(whole)).json();
        let cut: Vec<String> = problems(&report)
            .into_iter()
            .filter(|(kind, _)| kind == "header-not-captured")
            .map(|(_, detail)| detail)
            .collect();
        // These samples hold no compound: a PDU is a message.
        assert_eq!(
            cut.len() as u64,
            u64_of(&whole["summary"], "messages"),
            "{r}"
        );
        assert!(cut.iter().all(|d| d.contains(left)), "{r}: {cut:?}");
    }
}

/// A snap length of 150 keeps the first element of each compound of smb2-compound-break (its
/// header whole, its body cut) and none of the second, at byte 152 (tshark: chain offset
/// 0x98 in frames 16 and 20): the first is a message,
/// unverified if signed; the second a header-not-captured problem, not a malformed compound
/// read from zeros.
#[test]
fn snap_length_150_cuts_compounds_between_elements() {
    let r = check(&bad("snap150-smb2-compound-break.pcap"));
    let report = assert_usable(&r);
    let cut: Vec<(String, String)> = problems(&report)
        .into_iter()
        .filter(|(kind, _)| kind == "header-not-captured" || kind == "malformed")
        .collect();
    assert_eq!(cut.len(), 2, "{r}: {cut:?}");
    for (kind, detail) in &cut {
        assert_eq!(kind, "header-not-captured", "{r}");
        assert!(
            detail.contains("SMB2 header at byte 152 was cut"),
            "{r}: {detail}"
        );
    }
}

/// A capture that starts after the handshake, cut at 96 bytes (Linux cooked v2, IPv6: only
/// the NBSS header of each message is left): no SMB header is ever read, so no message can be
/// told apart. Not silence: one header-not-captured problem per direction with the bytes cut,
/// which tshark's TCP lengths and captured lengths give too.
#[test]
fn snap_length_96_without_handshake_counts_what_was_cut() {
    let file = bad("snap96-nosyn-smb300-ipv6-sll2.pcap");
    let r = check(&file);
    let report = assert_usable(&r);
    assert_eq!(u64_of(&report["summary"], "messages"), 0, "{r}");
    let cut: Vec<String> = problems(&report)
        .into_iter()
        .filter(|(kind, _)| kind == "header-not-captured")
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(cut.len(), 2, "{r}");
    let said = |bytes: u64, side: &str| {
        format!(
            "{bytes} bytes {side} cut by the snap length where no SMB header could be read: \
             the messages in them are not counted or checked"
        )
    };
    if !tshark::available("snap_length_96_without_handshake_counts_what_was_cut") {
        assert!(
            cut.iter().all(|d| d.contains("cut by the snap length")),
            "{cut:?}"
        );
        return;
    }
    // Per frame with TCP data: declared data minus captured data (the captured length less
    // the 20-byte cooked v2, 40-byte IPv6 and TCP headers).
    let fields = ["tcp.dstport", "tcp.len", "frame.cap_len", "tcp.hdr_len"];
    let (mut to_server, mut to_client) = (0, 0);
    for row in tshark::fields(&file, "", &fields) {
        let f: Vec<u64> = row.iter().map(|v| v.parse().unwrap()).collect();
        let captured = f[2].saturating_sub(20 + 40 + f[3]);
        let side = if f[0] == 445 {
            &mut to_server
        } else {
            &mut to_client
        };
        *side += f[1] - captured.min(f[1]);
    }
    assert!(to_server > 0 && to_client > 0);
    assert_eq!(
        cut,
        [
            said(to_server, "client to server"),
            said(to_client, "server to client")
        ],
        "{r}"
    );
}

/// Frame numbers (1-based) of a little-endian classic pcap whose captured length is shorter
/// than the original length.
fn cut_frames(file: &Path) -> Vec<u64> {
    let b = std::fs::read(file).expect("read capture");
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap());
    assert_eq!(
        u32_at(0),
        0xa1b2_c3d4,
        "{}: not a LE µs pcap",
        file.display()
    );
    let (mut off, mut n, mut cut) = (24, 0, Vec::new());
    while off + 16 <= b.len() {
        n += 1;
        let (incl, orig) = (u32_at(off + 8), u32_at(off + 12));
        if incl < orig {
            cut.push(n);
        }
        off += 16 + incl as usize;
    }
    cut
}

/// A snap length of 200 cuts the larger messages, among them the NTLM AUTHENTICATE, so no
/// key can be derived: every signed message is unverified (those cut: `truncated`), none is
/// invalid, and the password is not called wrong since it could not be checked.
fn snap_200(name: &str, signed_in_source: u64) {
    let file = bad(name);
    let cut = cut_frames(&file);
    assert!(!cut.is_empty());
    let r = check(&file);
    let report = assert_usable(&r);
    assert!(
        !has_problem(&report, "password-mismatch", &[]),
        "{r}: the password is called wrong though the AUTHENTICATE was cut: {:?}",
        problems(&report)
    );
    let named = report["problems"]
        .as_array()
        .is_some_and(|a| a.iter().any(|p| p["frame"] == 10));
    assert!(
        named,
        "{r}: the cut AUTHENTICATE (frame 10) is not named in problems: {:?}",
        problems(&report)
    );
    let s = &report["summary"];
    assert_eq!(
        u64_of(s, "signed"),
        signed_in_source,
        "{r}: messages that carry a signature in the uncut sample are not counted as signed"
    );
    let (messages, _) = check_jsonl(&file).jsonl();
    let mut truncated = 0;
    for m in &messages {
        let frame = u64_of(m, "frame");
        if m["signed"] == Value::Bool(true) {
            assert_eq!(m["verdict"], "unverified", "{r}: {m}");
            if cut.contains(&frame) {
                assert_eq!(
                    m["reason"], "truncated",
                    "{r}: a cut frame not `truncated`: {m}"
                );
                truncated += 1;
            }
        }
    }
    assert!(truncated > 0, "{r}: no message `truncated`");
}

#[test]
fn snap_length_200_smb311() {
    // samples/smb311.pcap (md5 in tests/data/bad/README.md): 77 messages, 71 signed.
    snap_200("snap200-smb311.pcap", 71);
}

#[test]
fn snap_length_200_smb1() {
    // samples/smb1-ntlmv2.pcap (md5 in tests/data/bad/README.md): 48 messages, 43 signed.
    snap_200("snap200-smb1-ntlmv2.pcap", 43);
}

/// Frames dropped (editcap): the gaps are named `lost-bytes`, the rest still verifies.
#[test]
fn lossy_capture() {
    let r = check(&bad("lossy-smb311.pcap"));
    let report = assert_usable(&r);
    let lost = problems(&report)
        .iter()
        .filter(|(k, _)| k == "lost-bytes")
        .count();
    assert_eq!(
        lost,
        3,
        "{r}: expected the three gaps: {:?}",
        problems(&report)
    );
    assert!(
        u64_of(&report["summary"], "valid") >= 60,
        "{r}: {}",
        report["summary"]
    );
}

/// An NBSS length of 16 MB on a 40-frame capture: the stream cannot be followed after it; the
/// messages before it still verify and the loss is named.
#[test]
fn absurd_nbss_length() {
    let r = check(&bad("nbss-huge-length-smb210.pcap"));
    let report = assert_usable(&r);
    assert!(u64_of(&report["summary"], "valid") > 0, "{r}");
    assert!(
        !problems(&report).is_empty(),
        "{r}: the damage is not listed"
    );
}

/// NextCommand pointing far past the PDU in the (unsigned) NEGOTIATE request.
#[test]
fn absurd_next_command() {
    let r = check(&bad("bad-nextcommand-smb210.pcap"));
    let report = assert_usable(&r);
    assert_eq!(
        u64_of(&report["summary"], "valid"),
        30,
        "{r}: {}",
        report["summary"]
    );
    assert!(
        has_problem(&report, "malformed", &["NextCommand"]),
        "{r}: {:?}",
        problems(&report)
    );
}

/// An absurd NtChallengeResponse offset in the (unsigned) NTLMSSP AUTHENTICATE: the session
/// cannot be keyed, so its messages are unverified (not invalid, no wrong-password alarm),
/// and the damage is listed in `problems`, naming the frame.
#[test]
fn absurd_ntlmssp_offset() {
    let r = check(&bad("ntlm-absurd-offset-smb210.pcap"));
    let report = assert_usable(&r);
    assert_eq!(u64_of(&report["summary"], "valid"), 0, "{r}");
    assert!(!has_problem(&report, "password-mismatch", &[]), "{r}");
    let listed = report["problems"].as_array().is_some_and(|a| {
        a.iter()
            .any(|p| p["frame"] == 10 && str_of(p, "detail").contains("AUTHENTICATE"))
    });
    assert!(
        listed,
        "{r}: the malformed AUTHENTICATE (frame 10) is not listed in problems: {:?} (sessions: {})",
        problems(&report),
        report["sessions"]
    );
}

#[test]
fn bad_nt_hash() {
    for bad_hash in [
        "12345",
        "0123456789abcdef0123456789abcdeg",
        "not a hash at all",
    ] {
        let r = run(&[
            OsString::from("--nt-hash"),
            bad_hash.into(),
            cli::sample("smb311.pcap").into(),
        ]);
        let line = r.one_line_error();
        assert!(line.to_lowercase().contains("nt hash"), "{r}");
        assert!(
            !line.contains(bad_hash),
            "{r}: the error repeats the secret"
        );
    }
}

#[test]
fn credentials_file_with_a_bad_line() {
    let dir = scratch("bad-credentials");
    let cases = [
        (
            "WORKGROUP\\alice:Secr3t!pass\nbob-Xyzzy-no-colon\n",
            "line 2",
            "Xyzzy",
        ),
        ("alice::zz3tSecretHashXyzzy\n", "line 1", "Xyzzy"),
        (
            "# users\nWORKGROUP\\alice:Secr3t!pass\n\nalice::0123\n",
            "line 4",
            "0123",
        ),
    ];
    for (n, (text, line_no, secret)) in cases.iter().enumerate() {
        let file = dir.join(format!("credentials-{n}"));
        std::fs::write(&file, text).unwrap();
        let r = run(&[
            OsString::from("--credentials"),
            file.clone().into(),
            cli::sample("smb311.pcap").into(),
        ]);
        let line = r.one_line_error();
        assert!(
            line.contains(&format!("credentials-{n}")),
            "{r}: the file is not named"
        );
        assert!(line.contains(line_no), "{r}: {line_no} is not named");
        assert!(!line.contains(secret), "{r}: the error repeats the secret");
        assert!(
            !line.contains("Secr3t"),
            "{r}: the error repeats a password"
        );
    }
}

#[test]
fn missing_credentials_file() {
    let dir = scratch("missing-credentials");
    let r = run(&[
        OsString::from("--credentials"),
        dir.join("no-such-file").into(),
        cli::sample("smb311.pcap").into(),
    ]);
    let line = r.one_line_error();
    assert!(line.contains("no-such-file"), "{r}");
}

/// Every damaged file in text and JSONL form too: never a panic, exit 0/1/2 only.
#[test]
fn every_bad_file_in_every_format() {
    let mut files: Vec<_> = std::fs::read_dir(cli::root().join("tests/data/bad"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 14, "{files:?}");
    for f in &files {
        for format in ["text", "jsonl"] {
            let r = run_env(
                &[OsString::from("--format"), format.into(), f.into()],
                &[("SMBCHECK_PASSWORD", Some(PASSWORD))],
            );
            assert!(matches!(r.code, 0..=2), "{r}");
            if r.code == 2 {
                r.one_line_error();
            }
        }
    }
}

/// Lost packets all through SMB1 and multichannel captures (every 7th or 11th frame,
/// make-bad.sh): exit 0, the holes named, no `invalid` (messages and logons that lost bytes,
/// bindings whose exchange lost its start, connections whose NEGOTIATE was lost: unverified).
#[test]
fn lossy_smb1_and_multichannel_captures() {
    for (name, min_holes) in [
        ("lossy-smb1-ntlmv2.pcap", 5),
        ("lossy-mc-num-channels.pcap", 15),
    ] {
        let r = check(&bad(name));
        let report = assert_usable(&r);
        let holes = problems(&report)
            .iter()
            .filter(|(k, _)| k == "lost-bytes")
            .count();
        assert!(holes >= min_holes, "{r}: {holes} lost-bytes problems");
        assert!(
            has_problem(&report, "lost-bytes", &["never captured"]),
            "{r}"
        );
    }
    // Most of the multichannel capture still verifies.
    let report = check(&bad("lossy-mc-num-channels.pcap")).json();
    assert!(
        u64_of(&report["summary"], "valid") >= 80,
        "{}",
        report["summary"]
    );
}

/// Frame numbers whose bytes differ between two captures of the same frames.
fn changed_frames(a: &Path, b: &Path) -> Vec<u64> {
    let read = |p: &Path| {
        let mut set = smbcheck::capture::CaptureSet::open(&[p]).unwrap();
        let mut frames = Vec::new();
        while let Some(f) = set.next_frame().unwrap() {
            frames.push(f.data.to_vec());
        }
        frames
    };
    let (a, b) = (read(a), read(b));
    assert_eq!(a.len(), b.len());
    (1..=a.len() as u64)
        .filter(|&n| a[n as usize - 1] != b[n as usize - 1])
        .collect()
}

/// One bit flipped in the payload of every 9th frame: the flipped signed messages are
/// invalid (exit 1), and nothing else is.
#[test]
fn bit_flips() {
    let file = bad("bitflip-smb311.pcap");
    let flipped = changed_frames(&cli::sample("smb311.pcap"), &file);
    assert!(flipped.len() >= 5, "{flipped:?}");
    let r = check(&file);
    assert_eq!(r.code, 1, "{r}");
    let report = r.json();
    let invalid: Vec<u64> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "invalid-signature")
        .map(|p| p["frame"].as_u64().unwrap())
        .collect();
    assert!(!invalid.is_empty(), "{r}");
    assert!(
        invalid.iter().all(|f| flipped.contains(f)),
        "{r}: invalid at {invalid:?}, flipped {flipped:?}"
    );
    let s = &report["summary"];
    assert_eq!(u64_of(s, "invalid"), invalid.len() as u64, "{s}");
    assert_eq!(
        u64_of(s, "valid") + u64_of(s, "invalid"),
        u64_of(s, "signed"),
        "{s}"
    );
}

/// Hostile captures from Zeek's test suite (skipped per the rule when absent).
/// SMBGhost.pcap: a scanner's NEGOTIATE offering compression (CVE-2020-0796 probe);
/// smb1-OSS-fuzz-54883.pcap: fuzzed bytes on port 139; fragment-state-exhaustion.pcap:
/// SMB1 transaction fragments meant to exhaust reassembly state. Exit 0, nothing invalid,
/// the damage of the fuzzed one named.
#[test]
fn zeek_hostile_captures() {
    let Some(dir) = cli::require_zeek_dir("zeek_hostile_captures") else {
        return;
    };
    let ghost = assert_usable(&check(&dir.join("SMBGhost.pcap")));
    let conns = ghost["connections"].as_array().unwrap();
    assert_eq!(conns.len(), 1);
    assert_eq!(str_of(&conns[0], "dialect"), "3.1.1", "{ghost}");

    let fuzzed = assert_usable(&check(&dir.join("smb1-OSS-fuzz-54883.pcap")));
    assert!(has_problem(&fuzzed, "lost-bytes", &[]), "{fuzzed}");
    assert!(has_problem(&fuzzed, "malformed", &[]), "{fuzzed}");
    assert!(has_problem(&fuzzed, "not-smb", &[]), "{fuzzed}");

    let exhaustion = assert_usable(&check(&dir.join("fragment-state-exhaustion.pcap")));
    assert_eq!(
        u64_of(&exhaustion["summary"], "messages"),
        4,
        "{exhaustion}"
    );
}

/// A capture file cut short by another program while smbcheck reads it through its mapping:
/// one error line and exit 2, not a crash. smbcheck is held mid-file by a full one-page
/// stdout pipe, the file is cut to a third, then the pipe is drained.
#[test]
#[allow(unsafe_code)]
fn capture_cut_short_while_read_exits_2() {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::process::{Command, Stdio};

    let dir = scratch("cut-while-read");
    let capture = dir.join("growing.pcap");
    let original = std::fs::read(cli::root().join("tests/data/smb2_100_small_files.pcap")).unwrap();
    std::fs::write(&capture, &original).unwrap();
    let mut child = Command::new(cli::bin())
        .args(["--format", "jsonl"])
        .arg(&capture)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // SAFETY: F_SETPIPE_SZ on a pipe this process owns.
    unsafe { libc::fcntl(stdout.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
    // The first bytes say the file is mapped and being read; the pipe then fills at once
    // (the report is 300 kB), long before the reading reaches the cut.
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&capture)
        .unwrap()
        .set_len(original.len() as u64 / 3)
        .unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(
        stderr,
        "smbcheck: a capture file was cut short by another program while it was being read\n"
    );
}
