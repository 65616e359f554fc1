//! The verify pool (signatures checked on worker threads while the capture is read) changes
//! nothing: on every sample, and on tampered variants (tamper.rs), the text, JSON and JSONL
//! reports and the exit status are byte for byte those of the sequential engine, with every
//! signed message sent to the pool (`--verify-min-len 0`), on one thread and on several.

#[path = "support/cli.rs"]
mod cli;

use cli::{PASSWORD, run, samples};

const POOLS: [&[&str]; 2] = [
    &["--verify-threads", "1", "--verify-min-len", "0"],
    &["--verify-threads", "3", "--verify-min-len", "0"],
];

#[test]
fn every_sample_reports_the_same_with_the_verify_pool() {
    let mut checked = 0;
    for capture in samples() {
        for format in ["text", "json", "jsonl"] {
            let args = |extra: &[&str]| -> Vec<String> {
                ["--format", format, "--password", PASSWORD]
                    .iter()
                    .chain(extra)
                    .map(|a| a.to_string())
                    .chain([capture.to_string_lossy().into_owned()])
                    .collect()
            };
            let sequential = run(&args(&["--verify-threads", "0"]));
            for pool in POOLS {
                let parallel = run(&args(pool));
                assert_eq!(parallel.code, sequential.code, "{parallel}");
                assert_eq!(
                    parallel.stdout, sequential.stdout,
                    "{parallel}: differs from {sequential}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 3 * 34, "only {checked} runs");
}

/// A long signed message read in place from the mapped capture (its bytes after the first
/// 512 are MACed where they lie, never copied) and found invalid: verdict, diagnosis and the
/// whole report are the sequential engine's. The last byte of the largest frame of a sample
/// (the signed WRITE carrying the file's data) is flipped.
#[test]
fn tampered_long_message_checked_in_place_reports_as_sequential() {
    for name in ["smb311.pcap", "smb302.pcap", "smb210.pcap"] {
        let mut bytes = std::fs::read(cli::sample(name)).unwrap();
        // Classic little-endian pcap: 24-byte file header, 16-byte record headers.
        let (mut at, mut largest, mut number, mut frame) = (24, (0, 0), 0u64, 0u64);
        while at + 16 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
            number += 1;
            if len > largest.1 {
                largest = (at + 16, len);
                frame = number;
            }
            at += 16 + len;
        }
        assert!(
            largest.1 > 2 * smbcheck::flow::HEAD_LEN,
            "{name}: no long frame"
        );
        bytes[largest.0 + largest.1 - 1] ^= 0x01;
        let path = cli::scratch("long-tampered").join(name);
        std::fs::write(&path, &bytes).unwrap();
        let report = |extra: &[&str]| {
            let mut args = vec!["--format", "json", "--password", PASSWORD];
            args.extend(extra);
            args.push(path.to_str().unwrap());
            run(&args)
        };
        let sequential = report(&["--verify-threads", "0"]);
        let json = sequential.json();
        assert_eq!(json["summary"]["invalid"], 1, "{name}: {sequential}");
        let problem = &json["problems"][0];
        assert_eq!(problem["kind"], "invalid-signature", "{name}: {sequential}");
        assert_eq!(problem["frame"], frame, "{name}: {sequential}");
        for pool in POOLS {
            let parallel = report(pool);
            assert_eq!(parallel.code, sequential.code, "{name}: {parallel}");
            assert_eq!(parallel.stdout, sequential.stdout, "{name}: {parallel}");
        }
    }
}
