//! Live capture (`-i`, cargo feature "live"; `cargo test --features live`): a private Samba
//! on 127.0.0.7 with signing mandatory, smbclient doing signed work in every dialect while
//! `smbcheck -i lo` runs, ended with SIGINT. Needs root, samba and smbclient; without them
//! the tests say they are skipped and why (and fail with SMBCHECK_REQUIRE_TOOLS=1, as in
//! CI). Built only with the feature; `live_options.rs` holds what every build answers.
#![cfg(feature = "live")]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/tmux.rs"]
mod tmux;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;

/// The loopback address of this test's Samba; the filter keeps other traffic on lo out.
const ADDR: &str = "127.0.0.7";
const FILTER: &str = "host 127.0.0.7 and tcp port 445";

/// smbclient's protocol names and the dialect smbcheck reports for each.
const DIALECTS: [(&str, &str); 5] = [
    ("SMB2_02", "2.0.2"),
    ("SMB2_10", "2.1"),
    ("SMB3_00", "3.0"),
    ("SMB3_11", "3.1.1"),
    ("NT1", "NT LANMAN 1.0"),
];

/// -D lists the interfaces; unknown interface, bad filter, no privilege: one line each,
/// exit status 2.
#[test]
fn live_capture_errors_are_one_clear_line() {
    if !live_available("live_capture_errors_are_one_clear_line") {
        return;
    }
    let run = cli::run(&["-D"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.lines().any(|l| l == "lo"), "{run}");

    let run = cli::run(&["-i", "no-such-if0"]);
    let line = run.one_line_error();
    assert!(
        line.contains("no interface \"no-such-if0\"") && line.contains("lo"),
        "{run}"
    );

    let run = cli::run(&["-i", "lo", "-f", "tcp port 445 and ("]);
    let line = run.one_line_error();
    assert!(
        line.contains("capture filter") && line.contains("syntax error"),
        "{run}"
    );

    // As the unprivileged user nobody (setpriv drops root and every capability).
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .args(["--inh-caps=-all", "--bounding-set=-all"])
        .arg(cli::bin())
        .args(["-i", "lo"])
        .output()
        .expect("run setpriv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("needs root or CAP_NET_RAW and CAP_NET_ADMIN"),
        "{stderr}"
    );
}

/// The whole story on one Samba (the runs share it, so they run one after the other):
/// JSON after SIGINT, the same verdicts from the `-w` file, and JSONL streaming.
#[test]
fn live_capture_of_signed_work_in_every_dialect() {
    let test = "live_capture_of_signed_work_in_every_dialect";
    if !live_available(test) || !cli::require_tool(test, "smbd") {
        return;
    }
    if !cli::require_tool(test, "smbclient") {
        return;
    }
    let dir = cli::scratch("live");
    let server = Samba::start(&dir.join("srv"));
    let payload = dir.join("payload.bin");
    std::fs::write(&payload, pattern(3 << 20)).expect("write payload");

    // 1. JSON report after SIGINT, and the packets saved with -w.
    let saved = dir.join("saved.pcap");
    let capture = Capture::start(&["--format", "json", "-w", saved.to_str().unwrap()]);
    for (protocol, _) in DIALECTS {
        server.work(protocol, &payload, &dir);
    }
    let (code, stdout) = capture.signal("INT");
    assert_eq!(code, 0, "{stdout}");
    let live: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_all_valid(&live);
    let dialects: Vec<&str> = live["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["dialect"].as_str().unwrap_or("?"))
        .collect();
    for (protocol, dialect) in DIALECTS {
        assert!(
            dialects.contains(&dialect),
            "no {dialect} session ({protocol}) in {dialects:?}"
        );
    }
    assert_eq!(dialects.len(), DIALECTS.len(), "{dialects:?}");

    // 2. The saved file gives the same verdicts.
    let from_file = cli::run_env(
        &["--format", "json", saved.to_str().unwrap()],
        &[("SMBCHECK_PASSWORD", Some(cli::PASSWORD))],
    );
    assert_eq!(from_file.code, 0, "{from_file}");
    let file = from_file.json();
    assert_eq!(file["summary"], live["summary"]);
    let verdicts = |v: &Value| -> Vec<(Value, Value, Value)> {
        v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["session_id"].clone(),
                    s["dialect"].clone(),
                    s["verdicts"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(verdicts(&file), verdicts(&live));

    // 3. JSONL: objects stream while the capture runs, the summary comes last (SIGTERM
    // ends it like SIGINT).
    let mut capture = Capture::start(&["--format", "jsonl"]);
    server.work("SMB3_11", &payload, &dir);
    let session = capture.wait_for_line(|v| v["event"] == "session");
    assert_eq!(session["dialect"], "3.1.1", "{session}");
    let (code, stdout) = capture.signal("TERM");
    assert_eq!(code, 0, "{stdout}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSONL line"))
        .collect();
    let summary = &lines.last().expect("a summary line")["summary"];
    assert_eq!(summary["invalid"], 0, "{summary}");
    assert_eq!(summary["signed"], summary["valid"], "{summary}");
    let messages = lines.iter().filter(|v| v.get("verdict").is_some()).count();
    assert_eq!(Some(messages as u64), summary["messages"].as_u64());

    // 4. -c and --duration end the capture by themselves; text mode prints a line per new
    // session as it happens, then the report.
    let capture = Capture::start(&["-c", "20"]);
    server.work("SMB2_10", &payload, &dir);
    let (code, stdout) = capture.wait();
    assert_eq!(code, 0, "{stdout}");
    let news = stdout
        .find("  session 0x")
        .unwrap_or_else(|| panic!("no session line: {stdout}"));
    let report = stdout
        .find("20 frames, 1 connection, 1 session")
        .unwrap_or_else(|| panic!("no report of 20 frames: {stdout}"));
    assert!(news < report, "{stdout}");
    assert!(stdout.contains(" dialect 2.1 "), "{stdout}");
    let (code, stdout) = Capture::start(&["--format", "json", "--duration", "1"]).wait();
    assert_eq!(code, 0, "{stdout}");
    let timed: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(timed["summary"]["frames"], 0, "{}", timed["summary"]);

    // 5. The TUI fills in while the capture runs (in tmux); q ends capture and browser.
    if !cli::require_tool(test, "tmux") {
        return;
    }
    let password_file = dir.join("password");
    std::fs::write(&password_file, format!("{}\n", cli::PASSWORD)).expect("password file");
    let exit_file = dir.join("exit");
    let command = format!(
        "{} --tui -i lo -f '{FILTER}' --password-file '{}'; echo EXIT=$? > '{}'",
        cli::bin().display(),
        password_file.display(),
        exit_file.display()
    );
    let session = tmux::Session::start("smbcheck-live-tui", 160, 48, &command);
    let target = session.target();
    let screen = tmux::wait_for(target, "lo (capturing)");
    assert!(screen.contains("All messages (0)"), "{screen}");
    server.work("SMB3_00", &payload, &dir);
    // Each waited for on its own: tmux may show a frame half drawn.
    tmux::wait_for(target, " alice ");
    tmux::wait_for(target, "SESSION_SETUP");
    let screen = tmux::wait_for(target, " 0 invalid 0 unverified");
    assert!(!screen.contains("All messages (0)"), "{screen}");
    tmux::tmux(&["send-keys", "-t", target, "q"]);
    assert_eq!(tmux::wait_for_file(&exit_file).trim(), "EXIT=0");
}

/// Every signed message valid, nothing invalid or unverified, no problem.
fn assert_all_valid(report: &Value) {
    let s = &report["summary"];
    assert!(cli::u64_of(s, "signed") > 0, "{s}");
    assert_eq!(s["signed"], s["valid"], "{s}");
    assert_eq!(s["invalid"], 0, "{s}");
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(0),
        "{}",
        report["problems"]
    );
    for session in report["sessions"].as_array().unwrap() {
        let v = &session["verdicts"];
        assert!(cli::u64_of(v, "valid") > 0, "{session}");
        assert_eq!(v["signed"], v["valid"], "{session}");
    }
}

/// Root, else the skip rule.
fn live_available(test: &str) -> bool {
    let uid = Command::new("id").arg("-u").output().expect("run id -u");
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return cli::skip(test, "live capture and Samba need root");
    }
    true
}

/// Deterministic bytes for the file smbclient moves.
fn pattern(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// `scripts/samba-server.sh` on `ADDR` with signing mandatory; stopped when dropped.
struct Samba {
    dir: PathBuf,
}

impl Samba {
    fn start(dir: &Path) -> Samba {
        let status = Command::new(cli::root().join("scripts/samba-server.sh"))
            .arg("start")
            .arg(dir)
            .arg(ADDR)
            .arg("server signing = mandatory")
            .status()
            .expect("run samba-server.sh");
        assert!(status.success(), "samba-server.sh start failed");
        Samba {
            dir: dir.to_path_buf(),
        }
    }

    /// put, get and ls in one smbclient run with this protocol as the maximum.
    fn work(&self, protocol: &str, payload: &Path, dir: &Path) {
        let back = dir.join("back.bin");
        let out = Command::new("smbclient")
            .arg(format!("//{ADDR}/share"))
            .args(["-U", &format!("alice%{}", cli::PASSWORD)])
            .args(["-m", protocol, "--option=client min protocol=NT1"])
            .args(["--option=client signing=required"])
            .arg("-c")
            .arg(format!(
                "put {} data.bin; get data.bin {}; ls",
                payload.display(),
                back.display()
            ))
            .stdin(Stdio::null())
            .output()
            .expect("run smbclient");
        assert!(
            out.status.success(),
            "smbclient -m {protocol}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read(&back).ok(), std::fs::read(payload).ok());
    }
}

impl Drop for Samba {
    fn drop(&mut self) {
        let _ = Command::new(cli::root().join("scripts/samba-server.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

/// `smbcheck -i lo` running; ready once it said it captures.
struct Capture {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Capture {
    fn start(args: &[&str]) -> Capture {
        let mut child = Command::new(cli::bin())
            .args(["-i", "lo", "-f", FILTER])
            .args(args)
            .env("SMBCHECK_PASSWORD", cli::PASSWORD)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start smbcheck");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).expect("read stderr");
        assert!(
            first.starts_with("smbcheck: capturing on lo"),
            "smbcheck did not start capturing: {first}"
        );
        let stderr = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            rest
        });
        Capture {
            lines: forward_lines(child.stdout.take().unwrap()),
            child,
            seen: Vec::new(),
            stderr,
        }
    }

    /// Waits (at most a minute) for a JSONL object that `wanted` accepts, while the
    /// capture runs.
    fn wait_for_line(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no such line while capturing ({e}): {:?}", self.seen));
            self.seen.push(line.clone());
            let v: Value = serde_json::from_str(&line).expect("JSONL line");
            if wanted(&v) {
                return v;
            }
        }
    }

    /// SIGINT or SIGTERM, then the exit status and everything printed on stdout.
    fn signal(self, name: &str) -> (i32, String) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        self.wait()
    }

    /// The exit status and everything printed on stdout, once smbcheck has ended.
    fn wait(mut self) -> (i32, String) {
        let code = self.child.wait().expect("wait for smbcheck");
        let stderr = self.stderr.join().unwrap_or_default();
        assert!(!stderr.contains("panicked"), "{stderr}");
        self.seen.extend(self.lines.iter());
        (code.code().unwrap_or(-1), self.seen.join("\n"))
    }
}

/// The lines of the child's stdout, as they come.
fn forward_lines(stdout: ChildStdout) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
