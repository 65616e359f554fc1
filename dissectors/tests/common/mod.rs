//! Loads the fixtures in tests/data: SMB PDUs (NBSS header stripped) taken with tshark
//! from real captures; the first line of each file names the capture and frame (see
//! tests/data/extract.sh and fixtures.list).

#![allow(dead_code)]

use std::path::PathBuf;

use dissectors::smb2::{self, Body};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// The PDU bytes of fixture `name`.
pub fn pdu(name: &str) -> Vec<u8> {
    let path = data_dir().join(format!("{name}.hex"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let hex: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.trim().chars())
        .collect();
    unhex(&hex)
}

/// Decode a hex string.
pub fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex digit"))
        .collect()
}

/// All fixture names.
pub fn all_names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(data_dir())
        .expect("tests/data")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let n = e.file_name().into_string().ok()?;
            n.strip_suffix(".hex").map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

/// The security buffer of the SESSION_SETUP request or response in fixture `name`.
pub fn security_buffer(name: &str) -> Vec<u8> {
    let p = pdu(name);
    let (_, h) = smb2::parse_header(&p).unwrap();
    match smb2::parse_body(&h, &p).unwrap() {
        Body::SessionSetupRequest(r) => r.security_buffer.to_vec(),
        Body::SessionSetupResponse(r) => r.security_buffer.to_vec(),
        b => panic!("{b:?}"),
    }
}
