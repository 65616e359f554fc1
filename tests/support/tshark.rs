//! tshark as the independent peer: the fields it shows for each frame ([`fields`],
//! [`fields_with`]), and for encrypted traffic which SMB2 commands it dissects (with
//! Wireshark key-list lines, or none), next to the commands smbcheck reports.
//!
//! Use from a test file with `#[path = "support/tshark.rs"] mod tshark;` next to `cli`.
#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Whether tshark runs here; otherwise prints why `test` skips its tshark part (a failure
/// with SMBCHECK_REQUIRE_TOOLS=1).
pub fn available(test: &str) -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("SMBCHECK_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{test}: tshark not installed and SMBCHECK_REQUIRE_TOOLS=1"
        );
        println!("{test}: skipped its tshark part: tshark not installed");
    }
    found
}

/// `(frame, command)` for every SMB2 header tshark dissects, given the `smb2_seskey_list`
/// lines `uat` and nothing else (an empty configuration directory of its own).
pub fn commands(capture: &Path, uat: &[String], config_dir: &Path) -> Vec<(u64, u16)> {
    let mut cmd = Command::new("tshark");
    cmd.env("WIRESHARK_CONFIG_DIR", config_dir)
        .arg("-n")
        .arg("-r")
        .arg(capture);
    for line in uat {
        cmd.arg("-o").arg(format!("uat:smb2_seskey_list:{line}"));
    }
    let out = cmd
        .args(["-T", "fields", "-e", "frame.number", "-e", "smb2.cmd"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut commands = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (frame, cmds) = line.split_once('\t').expect("two fields");
        for c in cmds.split(',').filter(|c| !c.is_empty()) {
            commands.push((frame.parse().unwrap(), c.parse().unwrap()));
        }
    }
    commands
}

/// Frames tshark shows with an SMB3 transform header (0xFD 'SMB').
pub fn transform_frames(capture: &Path, config_dir: &Path) -> usize {
    let out = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", config_dir)
        .args(["-n", "-r"])
        .arg(capture)
        .args(["-Y", "smb2.protocol_id == 0xfd534d42"])
        .output()
        .expect("run tshark");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().lines().count()
}

/// `(frame, command)` of every SMB2 message in smbcheck's JSONL messages (transforms it
/// decrypted give their inner messages), asserting that no transform was left undecrypted.
pub fn smbcheck_commands(messages: &[Value]) -> Vec<(u64, u16)> {
    let mut commands = Vec::new();
    for v in messages {
        assert_ne!(v["protocol"], "transform", "transform not decrypted: {v}");
        if v["protocol"] == "smb2" {
            let frame = v["frame"].as_u64().unwrap();
            commands.push((frame, v["command_code"].as_u64().unwrap() as u16));
        }
    }
    commands.sort_by_key(|c| c.0); // stable: compound order kept within a frame
    commands
}

/// The `fields` of every frame tshark shows for `filter` (all frames when empty), one
/// row per frame; a field with several values keeps them joined by `,`.
pub fn fields(capture: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    fields_with(capture, &[], filter, fields)
}

/// [`fields`] with tshark `options` too (`-o pref:value`, `-d` decode-as, `-E` output).
pub fn fields_with(
    capture: &Path,
    options: &[&str],
    filter: &str,
    fields: &[&str],
) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n").args(options).arg("-r").arg(capture);
    if !filter.is_empty() {
        cmd.args(["-Y", filter]);
    }
    cmd.args(["-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// How many SMB2 messages tshark shows signed (`smb2.flags.signature == 1`), each message of
/// a compound frame counted.
pub fn signed_smb2(capture: &Path) -> usize {
    fields(capture, "smb2", &["smb2.flags.signature"])
        .iter()
        .flatten()
        .flat_map(|f| f.split(','))
        .filter(|v| matches!(*v, "1" | "True"))
        .count()
}
