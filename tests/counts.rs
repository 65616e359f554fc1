//! Per-command message counts of smbcheck equal tshark's, recorded in
//! tests/expected/counts/<capture>.txt by scripts/tshark-counts.py (one line per
//! `<smb1|smb2> <command code> <request|response> <count>`), for every sample and every Zeek
//! trace in tests/data/zeek. Differences explained in samples/README.md are listed
//! in ALLOWED below.
//!
//! smbcheck runs without any secret here: tshark gets none either, so encrypted messages
//! stay transform headers on both sides and are not counted (see the script's docstring).

#[path = "support/cli.rs"]
mod cli;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use cli::{CountKey, file_name, message_counts, parse_counts, root, run, samples};

/// (protocol, command code, direction, smbcheck count, tshark count).
type AllowedDiff = (&'static str, u32, &'static str, u64, u64);

/// Captures whose counts differ from tshark's for a reason explained in samples/README.md,
/// with the smbcheck and tshark counts that differ: (capture, [(protocol, code, direction,
/// smbcheck, tshark)]).
///
/// smb1-OSS-fuzz-54883.pcap (Zeek, an OSS-Fuzz reproducer: fuzzed bytes on port 139): frame 6
/// holds an SMB1 message, then NBSS messages of 19 and 84 bytes that are not SMB; only 3 bytes
/// of the 84 are in frame 6, the other 81 open frame 8 (TCP seq 214 follows frame 6 directly).
/// tshark does not reassemble NBSS messages that carry no SMB and restarts NBSS framing at
/// frame 8, so it counts an SMB1 header there that lies inside the 84-byte message; smbcheck
/// follows the stream (frame 8: "84 bytes that are not an SMB message") and resynchronises on
/// later headers tshark leaves inside unreassembled segments. Checked with tshark 4.0.17
/// (`tshark -r ... -O nbss`). The stream has no true message boundaries, so neither count is
/// "right"; the test pins both so that any change shows.
const ALLOWED: &[(&str, &[AllowedDiff])] = &[(
    "smb1-OSS-fuzz-54883.pcap",
    &[
        ("smb1", 46, "request", 1, 0),
        ("smb1", 47, "request", 6, 1),
        ("smb1", 47, "response", 3, 2),
        ("smb1", 162, "response", 1, 0),
        ("smb2", 4, "response", 1, 0),
        ("smb2", 5, "response", 1, 0),
        ("smb2", 6, "request", 1, 0),
    ],
)];

fn counts_dir() -> PathBuf {
    root().join("tests/expected/counts")
}

/// The recorded tshark counts of `capture`. Zeek captures may be recorded under `zeek/` to keep
/// them apart from samples of the same name (both have an smb311.pcap).
fn expected_file(capture: &Path, zeek: bool) -> PathBuf {
    let name = file_name(capture);
    let dir = counts_dir();
    if zeek {
        let own = dir.join("zeek").join(format!("{name}.txt"));
        if own.exists() {
            return own;
        }
        assert!(
            !root().join("samples").join(&name).exists(),
            "Zeek capture {name} has the name of a sample: tests/expected/counts/{name}.txt holds \
             the sample's counts, so the Zeek capture's counts need their own file \
             (tests/expected/counts/zeek/{name}.txt); scripts/tshark-counts.py --all writes both \
             to the same path"
        );
    }
    dir.join(format!("{name}.txt"))
}

fn smbcheck_counts(capture: &Path) -> BTreeMap<CountKey, u64> {
    let r = run(&[OsString::from("--format"), "jsonl".into(), capture.into()]);
    assert!(matches!(r.code, 0 | 1), "{r}");
    let (messages, summary) = r.jsonl();
    assert_eq!(
        messages.len() as u64,
        cli::u64_of(&summary, "messages"),
        "{r}: JSONL lines != summary.messages"
    );
    message_counts(&messages)
}

/// Compares one capture; returns a description of the unexplained differences.
fn compare(capture: &Path, zeek: bool) -> Option<String> {
    let name = file_name(capture);
    let expected_path = expected_file(capture, zeek);
    let text = match std::fs::read_to_string(&expected_path) {
        Ok(text) => text,
        Err(e) => {
            return Some(format!(
                "{name}: {}: {e}; record tshark's counts with `scripts/tshark-counts.py --all`",
                expected_path.display()
            ));
        }
    };
    let tshark = parse_counts(&text);
    let ours = smbcheck_counts(capture);
    let mut diffs: Vec<(String, u32, String, u64, u64)> = Vec::new();
    for key in tshark.keys().chain(ours.keys()) {
        let (a, b) = (
            ours.get(key).copied().unwrap_or(0),
            tshark.get(key).copied().unwrap_or(0),
        );
        if a != b
            && !diffs
                .iter()
                .any(|d| (&d.0, d.1, &d.2) == (&key.0, key.1, &key.2))
        {
            diffs.push((key.0.clone(), key.1, key.2.clone(), a, b));
        }
    }
    diffs.sort();
    let allowed: Vec<(String, u32, String, u64, u64)> = ALLOWED
        .iter()
        .filter(|(n, _)| *n == name)
        .flat_map(|(_, d)| d.iter())
        .map(|&(p, c, d, a, b)| (p.to_owned(), c, d.to_owned(), a, b))
        .collect();
    if !allowed.is_empty() {
        let readme = std::fs::read_to_string(root().join("samples/README.md")).unwrap_or_default();
        if !readme.contains(&name) {
            return Some(format!(
                "{name} is in the allow-list of tests/counts.rs but samples/README.md does not \
                 explain its difference from tshark"
            ));
        }
    }
    let mut allowed_sorted = allowed.clone();
    allowed_sorted.sort();
    if diffs == allowed_sorted {
        return None;
    }
    let lines: Vec<String> = diffs
        .iter()
        .map(|(p, c, d, a, b)| format!("  {p} {c} {d}: smbcheck {a}, tshark {b}"))
        .collect();
    Some(format!(
        "{name} ({}):\n{}{}",
        expected_path.display(),
        if lines.is_empty() {
            "  no difference, but the allow-list expects one: update ALLOWED".to_owned()
        } else {
            lines.join("\n")
        },
        if allowed.is_empty() {
            String::new()
        } else {
            "\n  (the allow-list expects other differences)".to_owned()
        }
    ))
}

#[test]
fn sample_counts_equal_tshark() {
    let samples = samples();
    assert!(!samples.is_empty(), "no samples/*.pcap");
    let failures: Vec<String> = samples.iter().filter_map(|s| compare(s, false)).collect();
    assert!(
        failures.is_empty(),
        "per-command counts differ from tshark's:\n{}",
        failures.join("\n")
    );
}

#[test]
fn zeek_counts_equal_tshark() {
    let Some(dir) = cli::require_zeek_dir("zeek_counts_equal_tshark") else {
        return;
    };
    let captures = cli::zeek_captures(&dir);
    assert!(!captures.is_empty(), "{}: no captures", dir.display());
    let failures: Vec<String> = captures.iter().filter_map(|c| compare(c, true)).collect();
    assert!(
        failures.is_empty(),
        "per-command counts differ from tshark's:\n{}",
        failures.join("\n")
    );
}

/// scripts/tshark-counts.py reproduces the recorded files (on the smallest SMB1 and the
/// smallest SMB2 sample, to stay fast). Needs tshark and python3; skipped per the rule when they are absent.
#[test]
fn tshark_counts_script_reproduces_recorded_files() {
    let test = "tshark_counts_script_reproduces_recorded_files";
    if !cli::require_tool(test, "tshark") || !cli::require_tool(test, "python3") {
        return;
    }
    // The smallest sample with SMB1 counts and the smallest with SMB2 counts.
    let mut candidates: Vec<(u64, PathBuf)> = samples()
        .into_iter()
        .filter(|s| expected_file(s, false).exists())
        .map(|s| (std::fs::metadata(&s).map(|m| m.len()).unwrap_or(0), s))
        .collect();
    candidates.sort();
    let pick = |protocol: &str| {
        candidates
            .iter()
            .find(|(_, s)| {
                let text = std::fs::read_to_string(expected_file(s, false)).unwrap();
                parse_counts(&text).keys().any(|k| k.0 == protocol)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no sample with recorded {protocol} counts"))
    };
    let chosen = [pick("smb1"), pick("smb2")];
    for (_, sample) in &chosen {
        let out = Command::new("python3")
            .arg(root().join("scripts/tshark-counts.py"))
            .arg(sample)
            .output()
            .expect("run scripts/tshark-counts.py");
        assert!(
            out.status.success(),
            "scripts/tshark-counts.py {} failed: {}",
            sample.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let recorded = std::fs::read_to_string(expected_file(sample, false)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            recorded,
            "scripts/tshark-counts.py {} does not reproduce the recorded counts",
            sample.display()
        );
    }
}
