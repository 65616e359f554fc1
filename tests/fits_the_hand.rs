//! What a tshark or ripgrep user expects of the command line: a closed pipe ends the run
//! quietly, `-` is standard input, a cut `.pcap.gz` is read up to the cut, damage is told at
//! a real time, one source of the password at a time, shell completions.

#[path = "support/cli.rs"]
mod cli;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let mut child = Command::new(cli::bin())
        .args(["--format", "jsonl"])
        .arg(cli::sample("smb2-lease-break.pcap"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run smbcheck");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone: the pipe is closed, as `| head -1` leaves it.
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with('{'), "{first}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "exit status of a run with nothing wrong"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn dash_is_standard_input() {
    let sample = cli::sample("smb311.pcap");
    let from_file = cli::run(&[
        OsStr::new("--format"),
        OsStr::new("json"),
        sample.as_os_str(),
    ]);
    let mut child = Command::new(cli::bin())
        .args(["--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run smbcheck");
    let bytes = std::fs::read(&sample).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let piped: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(piped["summary"], from_file.json()["summary"]);
}

/// tshark reads a cut `.pcap.gz` up to the cut; so does smbcheck, and says so.
#[test]
fn a_cut_gzip_capture_is_read_up_to_the_cut() {
    let dir = cli::scratch("cut-gzip");
    let gz = Command::new("gzip")
        .arg("-c")
        .arg(cli::sample("smb2-lease-break.pcap"))
        .output()
        .expect("run gzip");
    let cut = dir.join("cut.pcap.gz");
    std::fs::write(&cut, &gz.stdout[..12_000]).unwrap();
    let run = cli::run(&[OsStr::new("--format"), OsStr::new("json"), cut.as_os_str()]);
    assert_eq!(run.code, 0, "{run}");
    let report = run.json();
    assert!(
        cli::problems(&report)
            .iter()
            .any(|(k, d)| k == "damaged-capture" && d.contains("gzip stream is cut short")),
        "{:?}",
        cli::problems(&report)
    );
    let frames = cli::u64_of(&report["summary"], "frames");
    assert!(frames > 0);
    if cli::require_tool("a_cut_gzip_capture_is_read_up_to_the_cut", "tshark") {
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&cut)
            .args(["-T", "fields", "-e", "frame.number"])
            .output()
            .expect("run tshark");
        let tshark_frames = String::from_utf8_lossy(&out.stdout).lines().count() as u64;
        assert_eq!(frames, tshark_frames, "frames read before the cut");
    }
}

/// A capture cut inside a record: the damage is told at the time of the last whole frame
/// (tshark's `frame.time_epoch` of that frame), not at time zero.
#[test]
fn damage_is_told_at_the_last_frames_time() {
    let dir = cli::scratch("cut-time");
    let bytes = std::fs::read(cli::sample("smb311.pcap")).unwrap();
    let cut = dir.join("t.pcap");
    std::fs::write(&cut, &bytes[..3000]).unwrap();
    let report = cli::run(&[OsStr::new("--format"), OsStr::new("json"), cut.as_os_str()]).json();
    let damage = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "damaged-capture")
        .expect("a damaged-capture problem");
    let time = damage["time"].as_f64().unwrap();
    if cli::require_tool("damage_is_told_at_the_last_frames_time", "tshark") {
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&cut)
            .args(["-T", "fields", "-e", "frame.time_epoch"])
            .output()
            .expect("run tshark");
        let text = String::from_utf8_lossy(&out.stdout);
        let last: f64 = text.lines().last().unwrap().trim().parse().unwrap();
        assert!((time - last).abs() < 1e-5, "{time} vs tshark {last}");
    } else {
        assert!(time > 1e9, "{time}");
    }
}

#[test]
fn one_password_source_at_a_time() {
    let dir = cli::scratch("password-sources");
    let file = dir.join("password");
    std::fs::write(&file, "x\n").unwrap();
    let run = cli::run(&[
        OsStr::new("--password"),
        OsStr::new("x"),
        OsStr::new("--password-file"),
        file.as_os_str(),
        cli::sample("smb311.pcap").as_os_str(),
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("cannot be used with"), "{run}");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = cli::run(&["--completions", shell]);
        assert_eq!(run.code, 0, "{run}");
        assert!(run.stdout.contains("keytab"), "{shell}: {}", run.stdout);
    }
}

/// Colour in the text report only when asked or on a terminal: never in a pipe, never with
/// NO_COLOR, never in JSON.
#[test]
fn colour_only_where_it_belongs() {
    let sample = cli::sample("smb311.pcap");
    let with = |args: &[&str], env: &[(&str, Option<&str>)]| {
        let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        all.push(sample.as_os_str());
        cli::run_env(&all, env).stdout
    };
    const ESC: &str = "\u{1b}[";
    assert!(with(&["--color", "always"], &[]).contains(ESC));
    assert!(!with(&["--color", "never"], &[]).contains(ESC));
    assert!(!with(&[], &[]).contains(ESC), "piped: no colour");
    assert!(!with(&["--color", "auto"], &[("NO_COLOR", Some("1"))]).contains(ESC));
    assert!(!with(&["--color", "always", "--format", "json"], &[]).contains(ESC));
}

#[test]
fn the_tui_without_a_terminal_says_it_needs_one() {
    let run = cli::run(&[OsStr::new("--tui"), cli::sample("smb311.pcap").as_os_str()]);
    assert!(run.one_line_error().contains("needs a terminal"), "{run}");
}
