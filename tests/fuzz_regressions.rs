//! The fuzz targets' code (fuzz/src/walk.rs, included here) run in the normal test suite on
//! the inputs the fuzzers found crashing or hanging (tests/data/fuzz/<target>/, each fixed
//! at its root cause; see tests/data/fuzz/README.md) and on the committed real seeds
//! (fuzz/seeds/<target>/): no panic, and a sensible result.

#[allow(dead_code)]
#[path = "../fuzz/src/walk.rs"]
mod walk;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `dir` (none when it does not exist), sorted.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

fn crashes(target: &str) -> Vec<(String, Vec<u8>)> {
    inputs(&root().join("tests/data/fuzz").join(target))
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let seeds = inputs(&root().join("fuzz/seeds").join(target));
    assert!(!seeds.is_empty(), "no committed seeds for {target}");
    seeds
}

/// A parser target: what it found in its input.
type Walk = fn(&[u8]) -> usize;

/// Parsers: crash inputs parse without panicking; real messages yield something.
#[test]
fn parser_targets() {
    let targets: [(&str, Walk); 6] = [
        ("decompression", walk::decompression),
        ("nbss", walk::nbss),
        ("smb1", walk::smb1),
        ("smb2", walk::smb2),
        ("spnego", walk::spnego),
        ("ntlmssp", walk::ntlmssp),
    ];
    for (target, walk) in targets {
        for (name, data) in crashes(target) {
            walk(&data);
            eprintln!("{target}: {name} ok");
        }
        for (name, data) in seeds(target) {
            assert!(walk(&data) > 0, "{target}: nothing parsed out of {name}");
        }
    }
}

/// Reassembly fed packet by packet: real frames give PDUs; nothing closes that was not
/// opened.
#[test]
fn reassembly_target() {
    for (name, data) in crashes("reassembly") {
        let counts = walk::reassembly(&data);
        assert!(counts.closed <= counts.opened, "{name}: {counts:?}");
    }
    for (name, data) in seeds("reassembly") {
        let counts = walk::reassembly(&data);
        assert!(counts.opened > 0 && counts.pdus > 0, "{name}: {counts:?}");
        assert_eq!(counts.limits, 0, "{name}: {counts:?}");
    }
}

/// An error of an unusable capture is one line.
fn one_line(name: &str, e: &str) {
    assert!(!e.is_empty() && !e.contains('\n'), "{name}: {e:?}");
}

/// The capture reader and the whole pipeline on the crash inputs and on small real and
/// damaged captures: frames or one error line; a report with exit 0/1 or one error line.
#[test]
fn capture_and_pipeline_targets() {
    let mut captures: Vec<(String, Vec<u8>)> =
        ["pcap", "pipeline"].into_iter().flat_map(crashes).collect();
    for file in [
        "samples/smb2-compound-related1.pcap",
        "samples/wrong-password.pcap",
        "tests/data/bad/truncated-mid-record.pcap",
        "tests/data/bad/not-a-capture.pcap",
    ] {
        captures.push((file.into(), std::fs::read(root().join(file)).unwrap()));
    }
    for (name, data) in &captures {
        match walk::pcap(data) {
            Ok(_) => {}
            Err(e) => one_line(name, &e),
        }
        for format in ["text", "json", "jsonl"] {
            match walk::pipeline(data, format) {
                Ok((status, report)) => {
                    assert!(status == 0 || status == 1, "{name}: exit {status}");
                    assert!(!report.is_empty(), "{name}: empty {format} report");
                }
                Err(e) => one_line(name, &e),
            }
        }
    }
    // The real sample verifies through the fuzz target's pipeline (password replayed).
    let (status, report) = walk::pipeline(&captures[captures.len() - 4].1, "json").unwrap();
    assert_eq!(status, 0);
    let report: serde_json::Value = serde_json::from_slice(&report).unwrap();
    assert!(report["summary"]["valid"].as_u64().unwrap() > 0, "{report}");
}
