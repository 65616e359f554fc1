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
