//! Helpers for the tests that run the real `smbcheck` binary: running it, parsing its JSON
//! and JSONL output, finding the samples and the shared Zeek captures, and the skip rule for
//! tests that need outside tools.
//!
//! Skip rule: a test that needs a tool (tshark, editcap, Samba, root) or the shared captures
//! prints `skipped: ...` with the reason when they are absent and passes; when the environment
//! variable `SMBCHECK_REQUIRE_TOOLS=1` is set (CI sets it) the same absence is a failure.
//!
//! Use from a test file with `#[path = "support/cli.rs"] mod cli;`.
#![allow(dead_code)] // each test file uses its own part

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The password every sample in samples/ was made with (samples/README.md).
pub const PASSWORD: &str = "Secr3t!pass";

/// The samples whose sessions are encrypted (samples/README.md): SMB 3.0.2 and each 3.1.1
/// cipher.
pub const ENCRYPTED_SAMPLES: [&str; 5] = [
    "smb302-encrypted.pcap",
    "smb311-enc-aes128ccm.pcap",
    "smb311-enc-aes128gcm.pcap",
    "smb311-enc-aes256ccm.pcap",
    "smb311-enc-aes256gcm.pcap",
];

/// The binary cargo built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_smbcheck"))
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The samples/*.pcap present now, sorted (the set is read at test time, not hard-coded).
pub fn samples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("samples"))
        .expect("read samples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "gz")
        })
        .collect();
    out.sort();
    out
}

pub fn sample(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

/// A file of tests/data/bad/.
pub fn bad(name: &str) -> PathBuf {
    root().join("tests/data/bad").join(name)
}

pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `SMBCHECK_REQUIRE_TOOLS=1` is set: then a missing tool is a failure, not a skip.
pub fn tools_required() -> bool {
    std::env::var("SMBCHECK_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Applies the skip rule to something missing: prints why the test is skipped and returns
/// false, or fails when `SMBCHECK_REQUIRE_TOOLS=1`.
pub fn skip(test: &str, why: &str) -> bool {
    assert!(
        !tools_required(),
        "{test}: {why}, and SMBCHECK_REQUIRE_TOOLS=1 makes this a failure instead of a skip"
    );
    eprintln!("skipped: {test}: {why} (set SMBCHECK_REQUIRE_TOOLS=1 to make this a failure)");
    false
}

/// Whether `name` is an executable in PATH; if not, applies the skip rule.
pub fn require_tool(test: &str, name: &str) -> bool {
    if find_in_path(name).is_some() {
        return true;
    }
    skip(
        test,
        &format!("`{name}` is not installed (not found in PATH)"),
    )
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The Zeek traces in tests/data/zeek (README and licence there); if absent, the skip rule.
pub fn require_zeek_dir(test: &str) -> Option<PathBuf> {
    let dir = root().join("tests/data/zeek");
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(
            test,
            &format!("the Zeek captures ({}) are absent", dir.display()),
        );
        None
    }
}

/// The capture files of the Zeek directory (keytabs left out), sorted.
pub fn zeek_captures(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read zeek dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|x| x == "pcap" || x == "pcapng" || x == "cap")
        })
        .collect();
    out.sort();
    out
}

/// A fresh, empty directory for one test's files (std only, no tempfile crate).
pub fn scratch(test: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "smbcheck-cli-{}-{test}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Run {
    /// The `--format json` report.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is not JSON ({e}):\n{}", self, self.stdout))
    }

    /// The `--format jsonl` lines: the messages, then the summary object.
    pub fn jsonl(&self) -> (Vec<Value>, Value) {
        let mut messages = Vec::new();
        let mut summary = None;
        for (n, line) in self.stdout.lines().enumerate() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: line {} is not JSON ({e}): {line}", self, n + 1));
            if let Some(s) = v.get("summary") {
                assert!(summary.is_none(), "{self}: two summary lines");
                summary = Some(s.clone());
            } else {
                assert!(
                    summary.is_none(),
                    "{self}: a message after the summary line"
                );
                messages.push(v);
            }
        }
        (
            messages,
            summary.unwrap_or_else(|| panic!("{self}: no summary line")),
        )
    }

    /// The stderr lines other than the `--password` note.
    pub fn error_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.starts_with("smbcheck: note:"))
            .collect()
    }

    /// Asserts exit status 2 with exactly one error line `smbcheck: ...`, and returns it.
    pub fn one_line_error(&self) -> &str {
        assert_eq!(self.code, 2, "{self}: expected exit status 2");
        let lines = self.error_lines();
        assert_eq!(lines.len(), 1, "{self}: expected one error line");
        assert!(
            lines[0].starts_with("smbcheck: "),
            "{self}: the error line does not start with `smbcheck: `"
        );
        lines[0]
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`smbcheck {}` (exit {}, stderr: {:?})",
            self.args.join(" "),
            self.code,
            self.stderr.chars().take(2000).collect::<String>()
        )
    }
}

/// Runs the binary with `args` and the environment changes `env` (a `None` value removes the
/// variable; SMBCHECK_PASSWORD is always removed first so the caller's environment cannot
/// leak in). Asserts that it was not killed by a signal and did not panic.
pub fn run_env<S: AsRef<OsStr>>(args: &[S], env: &[(&str, Option<&str>)]) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_remove("SMBCHECK_PASSWORD")
        .stdin(Stdio::null());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let start = Instant::now();
    let out = cmd.output().expect("run smbcheck");
    let run = Run {
        args: args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
    };
    assert!(
        out.status.code().is_some(),
        "{run}: killed by a signal ({:?})",
        out.status
    );
    assert!(!run.stderr.contains("panicked"), "{run}: panicked");
    assert_ne!(run.code, 101, "{run}: exit status 101 (a Rust panic)");
    run
}

pub fn run<S: AsRef<OsStr>>(args: &[S]) -> Run {
    run_env(args, &[])
}

/// `smbcheck --password PASSWORD --export-keys FILE CAPTURE` (exit 0 asserted): the text of
/// the export file.
pub fn export_keys(capture: &Path, file: &Path) -> String {
    let r = run(&[
        OsStr::new("--password"),
        OsStr::new(PASSWORD),
        OsStr::new("--export-keys"),
        file.as_os_str(),
        capture.as_os_str(),
    ]);
    assert_eq!(r.code, 0, "{r}");
    std::fs::read_to_string(file).expect("export file written")
}

/// The Wireshark `smb2_seskey_list` lines of an export file (between its BEGIN and END
/// markers, which must be there).
pub fn wireshark_lines(export: &str) -> Vec<String> {
    let lines: Vec<&str> = export.lines().collect();
    let begin = lines
        .iter()
        .position(|l| *l == "# BEGIN wireshark smb2_seskey_list")
        .expect("BEGIN marker");
    let end = lines
        .iter()
        .position(|l| *l == "# END wireshark smb2_seskey_list")
        .expect("END marker");
    lines[begin + 1..end]
        .iter()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.to_string())
        .collect()
}

/// Every key of an export file: the value of each `..._key HEX` pair.
pub fn exported_key_values(export: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for line in export.lines().filter(|l| !l.starts_with('#')) {
        let words: Vec<&str> = line.split(' ').collect();
        for pair in words.windows(2) {
            if pair[0].ends_with("_key") {
                keys.insert(pair[1].to_string());
            }
        }
    }
    keys
}

/// `smbcheck --format FORMAT --password PASSWORD CAPTURE`.
pub fn run_with_password(capture: &Path, format: &str) -> Run {
    run(&[
        OsStr::new("--format"),
        OsStr::new(format),
        OsStr::new("--password"),
        OsStr::new(PASSWORD),
        capture.as_os_str(),
    ])
}

pub fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no number `{key}` in {v}"))
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The `problems` of a JSON report, as (kind, detail).
pub fn problems(report: &Value) -> Vec<(String, String)> {
    report["problems"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| (str_of(p, "kind").to_owned(), str_of(p, "detail").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// A (protocol, command code, direction) key of the per-command counts, as in
/// tests/expected/counts/*.txt: ("smb2", 5, "request").
pub type CountKey = (String, u32, String);

/// Per-command message counts from the JSONL messages. Transform and compressed messages
/// (which tshark cannot open without keys) are left out, like in tshark's counts.
pub fn message_counts(messages: &[Value]) -> BTreeMap<CountKey, u64> {
    let mut counts = BTreeMap::new();
    for m in messages {
        let protocol = str_of(m, "protocol");
        if protocol != "smb1" && protocol != "smb2" {
            continue;
        }
        let code = m
            .get("command_code")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("no command_code in {m}")) as u32;
        let response = m
            .get("response")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| panic!("no response in {m}"));
        let dir = if response { "response" } else { "request" };
        *counts
            .entry((protocol.to_owned(), code, dir.to_owned()))
            .or_insert(0) += 1;
    }
    counts
}

/// Parses a counts file (`<smb1|smb2> <code> <request|response> <count>` per line).
pub fn parse_counts(text: &str) -> BTreeMap<CountKey, u64> {
    let mut counts = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 4, "counts line {}: {line:?}", n + 1);
        let key = (
            f[0].to_owned(),
            f[1].parse().expect("command code"),
            f[2].to_owned(),
        );
        counts.insert(key, f[3].parse().expect("count"));
    }
    counts
}
