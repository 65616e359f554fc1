//! docs/duckdb.md's recipe as the doc gives it: its SQL (taken from the doc) run by DuckDB
//! (Python's `duckdb` from PyPI) over the JSONL of several real captures, two of them with
//! signatures changed, must answer "which sessions had invalid signatures, per server" as
//! tshark does (`smb2.bad_signature` with the password). Skipped, with the reason, without
//! tshark or the `duckdb` module; a failure then under SMBCHECK_REQUIRE_TOOLS=1.

#[path = "support/cli.rs"]
mod cli;
mod support;
#[path = "support/tshark.rs"]
mod tshark;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

const TEST: &str = "duckdb_recipe";

/// (server, session id, capture) -> the frames of its invalid signatures.
type Answer = BTreeMap<(String, String, String), Vec<u64>>;

/// The first ```sql block of docs/duckdb.md.
fn recipe() -> String {
    let doc = std::fs::read_to_string(cli::root().join("docs/duckdb.md")).expect("docs/duckdb.md");
    let start = doc.find("```sql\n").expect("a ```sql block") + "```sql\n".len();
    let len = doc[start..].find("```").expect("the block ends");
    doc[start..start + len].to_string()
}

fn duckdb_available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import duckdb"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found
        || cli::skip(
            TEST,
            "Python's duckdb module is not installed (python3 -m pip install duckdb)",
        )
}

/// tshark's fields of the frames `filter` selects, given the samples' password.
fn tshark_with_password(capture: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let password = format!("ntlmssp.nt_password:{}", cli::PASSWORD);
    let options = ["-o", &password, "-o", "smb2.verify_signatures:TRUE"];
    tshark::fields_with(capture, &options, filter, fields)
}

/// A copy of sample `name` in `dir` with one signature byte changed in each of the `nth`
/// (1-based) frames that carry a single SMB2 message tshark verifies as good.
fn tampered(name: &str, nth: &[usize], dir: &Path) -> String {
    let original = cli::sample(name);
    let good: Vec<u64> = tshark_with_password(
        &original,
        "smb2.good_signature",
        &["frame.number", "smb2.cmd"],
    )
    .iter()
    .filter(|f| !f[1].contains(','))
    .map(|f| f[0].parse().unwrap())
    .collect();
    let mut records = support::read_records(std::slice::from_ref(&original));
    for &n in nth {
        let frame = good[n - 1];
        let data = &mut records[(frame - 1) as usize].data;
        let at = data
            .windows(4)
            .position(|w| w == b"\xfeSMB")
            .expect("an SMB2 header");
        // SMB2 header: the signature is bytes 48..64 (MS-SMB2 2.2.1).
        data[at + 48 + 5] ^= 0xff;
    }
    let file = name.replace(".pcap", "-tampered.pcap");
    let bytes = support::write_pcap(&records, false, false);
    std::fs::write(dir.join(&file), bytes).expect("write the copy");
    file
}

/// What tshark says: each bad signature's server (the side on port 445), session, capture.
fn tshark_answer(dir: &Path, captures: &[String]) -> Answer {
    let fields = [
        "frame.number",
        "ip.src",
        "ipv6.src",
        "tcp.srcport",
        "ip.dst",
        "ipv6.dst",
        "tcp.dstport",
        "smb2.flags.response",
        "smb2.sesid",
    ];
    let mut answer = Answer::new();
    for capture in captures {
        for f in tshark_with_password(&dir.join(capture), "smb2.bad_signature", &fields) {
            let response = f[7] == "1" || f[7] == "True";
            let (v4, v6, port) = if response {
                (&f[1], &f[2], &f[3])
            } else {
                (&f[4], &f[5], &f[6])
            };
            let server = if v4.is_empty() {
                format!("[{v6}]:{port}")
            } else {
                format!("{v4}:{port}")
            };
            let key = (server, f[8].clone(), capture.clone());
            answer.entry(key).or_default().push(f[0].parse().unwrap());
        }
    }
    answer
}

/// The recipe's SQL run by DuckDB in `dir`: (server, session, capture) -> frames, with the
/// count of each row checked against its frames.
fn duckdb_answer(dir: &Path, sql: &str) -> Answer {
    let script = "import duckdb, json, sys\n\
                  for row in duckdb.sql(sys.stdin.read()).fetchall():\n    print(json.dumps(row))";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().expect("python3");
    assert!(out.status.success(), "duckdb: {out:?}");
    let mut answer = Answer::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let row: Vec<Value> = serde_json::from_str(line).expect("a row");
        let text = |i: usize| row[i].as_str().expect("text").to_string();
        let frames: Vec<u64> = row[4]
            .as_array()
            .expect("frames")
            .iter()
            .map(|f| f.as_u64().unwrap())
            .collect();
        assert_eq!(row[3].as_u64(), Some(frames.len() as u64), "{line}");
        answer.insert((text(0), text(1), text(2)), frames);
    }
    answer
}

/// `smbcheck --format jsonl CAPTURES > out` run in `dir` (so `capture` is the name given).
fn jsonl(dir: &Path, captures: &[String], out: &Path) {
    let output = Command::new(cli::bin())
        .current_dir(dir)
        .env("SMBCHECK_PASSWORD", cli::PASSWORD)
        .arg("--format")
        .arg("jsonl")
        .args(captures)
        .output()
        .expect("run smbcheck");
    let code = output.status.code();
    assert!(code == Some(0) || code == Some(1), "{output:?}");
    std::fs::write(out, output.stdout).expect("write the JSONL");
}

#[test]
fn the_duckdb_recipe_finds_the_sessions_tshark_finds() {
    if !cli::require_tool(TEST, "tshark") || !duckdb_available() {
        return;
    }
    let dir = support::temp_dir(TEST);
    let captures = vec![
        tampered("smb300.pcap", &[10, 20], &dir),
        tampered("smb300-ipv6-sll2.pcap", &[15], &dir),
        "smb202.pcap".to_string(),
    ];
    std::fs::copy(cli::sample("smb202.pcap"), dir.join("smb202.pcap")).expect("copy");
    let expected = tshark_answer(&dir, &captures);
    let servers: Vec<&String> = expected.keys().map(|k| &k.0).collect();
    assert_eq!(expected.len(), 2, "tshark: {expected:?}");
    assert_ne!(servers[0], servers[1], "two servers");
    assert_eq!(expected.values().map(Vec::len).sum::<usize>(), 3);

    let sql = recipe();
    // One run per capture: frames are the files' own, as tshark numbers them.
    let each = dir.join("each");
    std::fs::create_dir(&each).unwrap();
    for capture in &captures {
        let out = each.join(capture.replace(".pcap", ".jsonl"));
        jsonl(&dir, std::slice::from_ref(capture), &out);
    }
    assert_eq!(duckdb_answer(&each, &sql), expected, "one run per capture");

    // One run over all: the same sessions and counts (frames follow the merged timeline).
    let all = dir.join("all");
    std::fs::create_dir(&all).unwrap();
    jsonl(&dir, &captures, &all.join("all.jsonl"));
    let counts = |a: &Answer| -> BTreeMap<_, usize> {
        a.iter().map(|(k, v)| (k.clone(), v.len())).collect()
    };
    assert_eq!(
        counts(&duckdb_answer(&all, &sql)),
        counts(&expected),
        "one run over all"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
