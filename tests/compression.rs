//! SMB2 compression transforms (0xFC 'SMB') through the binary.
//!
//! tests/data/compressed/*-{lz77,lz77huffman,lznt1,lz4}.pcap hold the messages of real samples
//! compressed by compressors independent of smbcheck (Samba's LZ77, the crates.io `compcol`
//! LZ77+Huffman encoder, PyPI `lznt1`, the LZ4 reference library), each payload checked with Fox-IT's `dissect.util` decompressors when it was
//! written (make-compressed.py). Decompressed, they must give the analysis of the original
//! sample; tshark must find the same commands in them. smbghost-offset.pcap is a real
//! capture of the published CVE-2020-0796 crash proof of concept against Samba
//! (make-smbghost.sh): its header must be reported as malformed, without harm.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/pcap_edit.rs"]
mod pcap_edit;
mod support;
#[path = "support/tshark.rs"]
mod tshark;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use cli::{file_name, problems, require_tool, root, run, run_with_password, sample, str_of};

/// (original sample, compressed variant, algorithm name in the JSONL `compression` field).
const VARIANTS: &[(&str, &str, &str)] = &[
    ("smb311.pcap", "smb311-lz77.pcap", "LZ77"),
    ("smb311.pcap", "smb311-lznt1.pcap", "LZNT1"),
    ("smb311.pcap", "smb311-lz4.pcap", "LZ4"),
    ("smb311.pcap", "smb311-lz77huffman.pcap", "LZ77+Huffman"),
    (
        "smb2-compound-break.pcap",
        "smb2-compound-break-lz77.pcap",
        "LZ77",
    ),
    (
        "smb2-session-bind1.pcap",
        "smb2-session-bind1-lz4.pcap",
        "LZ4",
    ),
];

fn compressed(name: &str) -> PathBuf {
    root().join("tests/data/compressed").join(name)
}

/// A report without what the re-sent capture changes: frame numbers (`chain_first` is one)
/// and times, how its connections ended (FIN, RST), and the capture file's name.
fn without_frames(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !(k.as_str() == "frame"
                        || k.ends_with("_frame")
                        || k.as_str() == "frames"
                        || k.as_str() == "time"
                        || k.as_str() == "latency_ms"
                        || k.as_str() == "chain_first"
                        || k.as_str() == "fin"
                        || k.as_str() == "rst"
                        || k.as_str() == "capture"
                        || k.as_str() == "captures")
                })
                .map(|(k, v)| (k.clone(), without_frames(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_frames).collect()),
        other => other.clone(),
    }
}

/// A JSONL message without its frame, time and compression fields.
fn plain_message(m: &Value) -> Value {
    let mut m = without_frames(m);
    let map = m.as_object_mut().expect("message object");
    map.remove("compressed");
    map.remove("compression");
    m
}

/// Removes the summary's `compressed` and `decompressed` counts and returns them.
fn take_compression_counts(report: &mut Value) -> (u64, u64) {
    let summary = report["summary"].as_object_mut().expect("summary");
    let mut take = |k| summary.remove(k).and_then(|v| v.as_u64()).expect(k);
    (take("compressed"), take("decompressed"))
}

#[test]
fn compressed_variants_analyse_like_their_originals() {
    for &(original, variant, algorithm) in VARIANTS {
        let want = run_with_password(&sample(original), "json");
        let got = run_with_password(&compressed(variant), "json");
        assert_eq!(got.code, want.code, "{got}");
        let (mut got_report, mut want_report) = (got.json(), want.json());
        // Only the summary's compression counts may differ: every transform expanded.
        let transforms = take_compression_counts(&mut got_report);
        assert!(
            transforms.0 > 0 && transforms.0 == transforms.1,
            "{variant}: {transforms:?}"
        );
        assert_eq!(
            take_compression_counts(&mut want_report),
            (0, 0),
            "{original}"
        );
        assert_eq!(
            without_frames(&got_report),
            without_frames(&want_report),
            "{variant}: the report differs from {original}'s"
        );

        let (want_messages, _) = run_with_password(&sample(original), "jsonl").jsonl();
        let (got_messages, _) = run_with_password(&compressed(variant), "jsonl").jsonl();
        assert_eq!(got_messages.len(), want_messages.len(), "{variant}");
        let mut shapes = std::collections::BTreeSet::new();
        for (got, want) in got_messages.iter().zip(&want_messages) {
            assert_eq!(plain_message(got), plain_message(want), "{variant}");
            // make-compressed.py leaves NEGOTIATE and SESSION_SETUP uncompressed.
            let expect_compressed =
                !matches!(str_of(got, "command"), "NEGOTIATE" | "SESSION_SETUP");
            assert_eq!(got["compressed"], expect_compressed, "{variant}: {got}");
            match got["compression"].as_str() {
                Some(name) => {
                    assert!(name.contains(algorithm), "{variant}: {got}");
                    shapes.insert(name.to_owned());
                }
                None => assert!(!expect_compressed, "{variant}: {got}"),
            }
        }
        // Unchained and chained headers both occur (the script cycles through them).
        assert!(shapes.contains(algorithm), "{variant}: {shapes:?}");
        assert!(
            shapes.iter().any(|s| s.starts_with("chained ")),
            "{variant}: {shapes:?}"
        );
    }
}

/// The Wireshark key lines `smbcheck --export-keys` writes for `capture`.
fn wireshark_keys(capture: &Path) -> Vec<String> {
    let file = cli::scratch("compression-keys").join("keys.txt");
    cli::wireshark_lines(&cli::export_keys(capture, &file))
}

/// (command code, response) of every SMB2 message tshark dissects, compound elements apart,
/// with the session keys of `capture` when it is encrypted.
fn tshark_commands(capture: &Path) -> Vec<(u64, bool)> {
    let mut cmd = Command::new("tshark");
    // An empty configuration directory: no personal preferences or keys take part.
    cmd.env("WIRESHARK_CONFIG_DIR", cli::scratch("tshark-config"));
    if file_name(capture).contains("-enc-") {
        for line in wireshark_keys(capture) {
            cmd.arg("-o").arg(format!("uat:smb2_seskey_list:{line}"));
        }
    }
    let out = cmd
        .args(["-n", "-r"])
        .arg(capture)
        .args([
            "-Y",
            "smb2",
            "-T",
            "fields",
            "-e",
            "smb2.cmd",
            "-e",
            "smb2.flags.response",
        ])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark failed on {}",
        capture.display()
    );
    let mut commands = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let (cmds, responses) = line.split_once('\t').unwrap_or((line, ""));
        for (c, r) in cmds.split(',').zip(responses.split(',')) {
            let r = r == "1" || r == "True";
            commands.push((c.parse().expect("command code"), r));
        }
    }
    commands
}

/// tshark 4.0 decompresses LZ77 and LZNT1: on those variants it must find the commands of the
/// original sample, and the ones smbcheck reports. It has no LZ4, and it leaves compcol's
/// LZ77+Huffman payloads compressed (dissect.util and smbcheck both expand them).
#[test]
fn tshark_finds_the_same_messages_in_the_variants() {
    if !require_tool("tshark_finds_the_same_messages_in_the_variants", "tshark") {
        return;
    }
    for &(original, variant, algorithm) in VARIANTS {
        if algorithm == "LZ4" || algorithm == "LZ77+Huffman" {
            continue;
        }
        let theirs = tshark_commands(&compressed(variant));
        assert_eq!(theirs, tshark_commands(&sample(original)), "{variant}");
        if !variant.contains("-enc-") {
            let mut report = run_with_password(&compressed(variant), "json").json();
            let (transforms, _) = take_compression_counts(&mut report);
            let headers = tshark_compression_headers(&compressed(variant)).len();
            assert_eq!(
                transforms, headers as u64,
                "{variant}: compression transforms"
            );
        }
        let (messages, _) = run_with_password(&compressed(variant), "jsonl").jsonl();
        let ours: Vec<(u64, bool)> = messages
            .iter()
            .map(|m| {
                (
                    m["command_code"].as_u64().expect("command_code"),
                    m["response"].as_bool().expect("response"),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "{variant}");
    }
}

/// The COMPRESSION_TRANSFORM_HEADER fields tshark reads in a capture: (frame,
/// OriginalCompressedSegmentSize, CompressionAlgorithm, Flags, Offset).
fn tshark_compression_headers(capture: &Path) -> Vec<Vec<String>> {
    tshark::fields(
        capture,
        "smb2.header.comp_transform.original_size",
        &[
            "frame.number",
            "smb2.header.comp_transform.original_size",
            "smb2.header.comp_transform.comp_alg",
            "smb2.header.comp_transform.flags",
            "smb2.header.comp_transform.offset",
        ],
    )
}

/// CVE-2020-0796: OriginalCompressedSegmentSize 50 + Offset 0xFFFFFFFF overflows 32 bits.
/// smbcheck names the header malformed with both fields and their true sum, allocates
/// nothing for it, calls the message unverified (never invalid) and exits 0: nothing
/// signed was found wrong.
#[test]
fn smbghost_offset_overflow_is_a_malformed_compression_header() {
    let capture = compressed("smbghost-offset.pcap");
    let r = run(&["--format".as_ref(), "json".as_ref(), capture.as_os_str()]);
    assert_eq!(r.code, 0, "{r}");
    let report = r.json();
    let found = problems(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let (kind, detail) = &found[0];
    assert_eq!(kind, "malformed-compression");
    assert!(
        detail.contains("OriginalCompressedSegmentSize 50 + Offset 4294967295 = 4294967345"),
        "{detail}"
    );
    assert_eq!(report["problems"][0]["frame"], 8);
    assert_eq!(report["summary"]["invalid"], 0);

    let (messages, _) = run(&["--format".as_ref(), "jsonl".as_ref(), capture.as_os_str()]).jsonl();
    let ghost = messages
        .iter()
        .find(|m| m["protocol"] == "compressed")
        .expect("the compressed message");
    assert_eq!(ghost["verdict"], "unverified");
    assert_eq!(ghost["reason"], "malformed");
    assert_eq!(ghost["frame"], 8);

    if require_tool(
        "smbghost_offset_overflow_is_a_malformed_compression_header",
        "tshark",
    ) {
        let headers = tshark_compression_headers(&capture);
        assert_eq!(
            headers,
            vec![vec!["8", "50", "0x0001", "0x0000", "0xffffffff"]],
            "tshark reads other header fields"
        );
    }
}

/// The Zeek trace named SMBGhost.pcap is a scanner's probe, not the exploit: a NEGOTIATE
/// offering LZNT1 compression and Samba's answer, no compression transform at all. Neither
/// tshark nor smbcheck finds one in it.
#[test]
fn the_zeek_smbghost_trace_holds_no_compression_transform() {
    let test = "the_zeek_smbghost_trace_holds_no_compression_transform";
    let Some(dir) = cli::require_zeek_dir(test) else {
        return;
    };
    let capture = dir.join("SMBGhost.pcap");
    let r = run(&["--format".as_ref(), "json".as_ref(), capture.as_os_str()]);
    assert_eq!(r.code, 0, "{r}");
    assert!(problems(&r.json()).is_empty(), "{r}");
    if require_tool(test, "tshark") {
        assert!(tshark_compression_headers(&capture).is_empty());
        let rows = tshark::fields(&capture, "", &["smb2.negotiate_context.comp_alg_id"]);
        assert!(
            rows.iter().filter(|r| r[0].contains("0x0001")).count() == 2,
            "tshark should see LZNT1 offered and chosen: {rows:?}"
        );
    }
}

/// A compressed message whose declared size is one byte more than its data expands to:
/// named as a malformed compression header at its frame, the message unverified, nothing
/// invalid, and every other message still valid.
#[test]
fn a_wrong_declared_size_is_a_malformed_compression_header() {
    let source = compressed("smb311-lz77.pcap");
    let mut records = support::read_records(std::slice::from_ref(&source));
    let frames = pcap_edit::smb_frames(
        records
            .iter()
            .map(|r| (r.linktype, r.number, r.data.as_slice())),
    );
    let (index, number, at) = frames
        .iter()
        .find_map(|f| {
            let m = f.messages.first()?;
            let msg = &records[f.index].data[m.clone()];
            // An unchained header (Flags 0) with Offset 0.
            (msg.starts_with(b"\xfcSMB") && msg[10..12] == [0; 2] && msg[12..16] == [0; 4])
                .then_some((f.index, f.number, m.start))
        })
        .expect("an unchained compressed message");
    let size = &mut records[index].data[at + 4..at + 8];
    let declared = u32::from_le_bytes(size.try_into().unwrap()) + 1;
    size.copy_from_slice(&declared.to_le_bytes());
    let dir = support::temp_dir("wrong-declared-size");
    let path = dir.join("changed.pcap");
    std::fs::write(&path, support::write_pcap(&records, false, false)).unwrap();

    let r = run_with_password(&path, "json");
    assert_eq!(r.code, 0, "{r}");
    let report = r.json();
    let found = problems(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "malformed-compression");
    assert!(found[0].1.contains("LZ77 payload"), "{found:?}");
    assert_eq!(report["problems"][0]["frame"], number);
    assert_eq!(report["summary"]["invalid"], 0);
    assert_eq!(report["summary"]["unverified"], 1);
    let _ = std::fs::remove_dir_all(dir);
}

/// Every compressed message of the variants, cut short at every length and with one bit
/// flipped at every byte (the first ten of each file, to stay fast): rebuilding it ends in
/// an error or in exactly the declared size, never in a panic or more.
#[test]
fn damaged_real_compressed_messages_fail_cleanly() {
    use dissectors::compression::decompress_message;
    use dissectors::transform::{CompressionHeader, parse_compression};
    use smbcheck::flow::FlowEvent;

    let declared = |h: &CompressionHeader| match *h {
        CompressionHeader::Unchained {
            original_size,
            offset,
            ..
        } => u64::from(original_size) + u64::from(offset),
        CompressionHeader::Chained { original_size, .. } => u64::from(original_size),
    };
    let mut tried = 0;
    for &(_, variant, _) in VARIANTS.iter().filter(|v| !v.1.contains("-enc-")) {
        let events = support::flow_events(&support::segments(&compressed(variant)));
        let messages = events.iter().filter_map(|e| match e {
            FlowEvent::Pdu(p) if p.data.starts_with(b"\xfcSMB") => Some(&p.data),
            _ => None,
        });
        for msg in messages.take(10) {
            for at in 0..msg.len() {
                let mut flipped = msg.clone();
                flipped[at] ^= 1 << (at % 8);
                for bytes in [&msg[..at], &flipped[..]] {
                    let Ok(header) = parse_compression(bytes) else {
                        continue;
                    };
                    if let Ok(d) = decompress_message(&header) {
                        assert_eq!(d.message.len() as u64, declared(&header), "{variant}");
                    }
                    tried += 1;
                }
            }
        }
    }
    assert!(tried > 10_000, "only {tried} variants tried");
}
