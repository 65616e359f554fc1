//! Capture input on real captures (tests/data, see its README) and variants of them:
//! frame counts and times as tshark reads them, byte orders, nanoseconds, gzip, pcapng
//! interfaces, link types, merged files, and damaged input.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use smbcheck::capture::{CaptureError, CaptureSet, Timestamp};
use smbcheck::flow::FlowEvent;
use support::{
    NgInterface, Record, XorShift, data, flow_events, read_records, relink, segments_of, temp_dir,
    write_pcap, write_pcapng,
};

fn count_frames(path: &Path) -> u64 {
    read_records(&[path.to_owned()]).len() as u64
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write variant");
    path
}

fn pdu_data(events: &[FlowEvent]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|event| match event {
            FlowEvent::Pdu(pdu) => Some(pdu.data.clone()),
            _ => None,
        })
        .collect()
}

/// Reads everything, returning the frames read and the issues reported.
fn read_all(path: &Path) -> (u64, Vec<String>) {
    let mut set = CaptureSet::open(&[path]).expect("header is fine");
    let mut frames = 0;
    while set.next_frame().expect("no fatal error").is_some() {
        frames += 1;
    }
    (
        frames,
        set.issues().iter().map(ToString::to_string).collect(),
    )
}

/// Offsets of the records of a little-endian classic pcap file.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        offsets.push(at);
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + caplen;
    }
    offsets
}

#[test]
fn frame_counts_match_tshark() {
    // `capinfos -c` (Wireshark 4.0.17) on each file.
    let expected = [
        ("smb3.pcap", 54),
        ("smb311.pcap", 34),
        ("raw_ntlm_in_smb.pcap", 178),
        ("smb2_100_small_files.pcap", 979),
        ("smb2-zero-byte-error-ioctl.pcapng", 180),
        ("dce_rpc_ntlm.pcapng", 6),
    ];
    for (name, frames) in expected {
        assert_eq!(count_frames(&data(name)), frames, "{name}");
    }
}

#[test]
fn timestamps_match_tshark() {
    // `tshark -T fields -e frame.time_epoch`, first and last frame.
    let expected = [
        (
            "smb311.pcap",
            1_547_145_849_582_174_000,
            1_547_145_850_274_993_000,
        ),
        (
            "smb2-zero-byte-error-ioctl.pcapng",
            1_659_460_970_430_587_000,
            1_659_460_970_970_413_000,
        ),
    ];
    for (name, first, last) in expected {
        let records = read_records(&[data(name)]);
        assert_eq!(
            records.first().map(|r| r.ts),
            Some(Timestamp(first)),
            "{name}"
        );
        assert_eq!(
            records.last().map(|r| r.ts),
            Some(Timestamp(last)),
            "{name}"
        );
        let numbers: Vec<u64> = records.iter().map(|r| r.number).collect();
        assert_eq!(numbers, (1..=records.len() as u64).collect::<Vec<_>>());
    }
}

#[test]
fn nanosecond_pcap_reads_like_the_original() {
    // smb311-nsec.pcap: `editcap -F nsecpcap smb311.pcap smb311-nsec.pcap`
    assert_eq!(
        read_records(&[data("smb311-nsec.pcap")]),
        read_records(&[data("smb311.pcap")])
    );
}

#[test]
fn big_endian_pcap_in_micro_and_nanoseconds() {
    let original = read_records(&[data("smb311.pcap")]);
    let dir = temp_dir("big-endian");
    for nanos in [false, true] {
        let path = write(&dir, "be.pcap", &write_pcap(&original, true, nanos));
        assert_eq!(read_records(&[path]), original, "nanos {nanos}");
    }
}

#[test]
fn gzip_compressed_capture() {
    let dir = temp_dir("gzip");
    for name in ["smb3.pcap", "smb2-zero-byte-error-ioctl.pcapng"] {
        let bytes = std::fs::read(data(name)).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&bytes).unwrap();
        let path = write(&dir, &format!("{name}.gz"), &gz.finish().unwrap());
        assert_eq!(read_records(&[path]), read_records(&[data(name)]), "{name}");
    }
}

/// Plain files are read through a mapping, gzip files through a streaming buffer: the same
/// bytes give the same frames and the same damage, also when the file is cut short or a
/// length field is absurd.
#[test]
fn mapped_and_streamed_files_read_alike() {
    let dir = temp_dir("mapped-streamed");
    let gzip = |bytes: &[u8]| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    };
    let pcap = std::fs::read(data("smb3.pcap")).unwrap();
    let offsets = record_offsets(&pcap);
    let mut absurd = pcap.clone();
    absurd[offsets[2] + 8..offsets[2] + 12].copy_from_slice(&300_000u32.to_le_bytes());
    let pcapng = std::fs::read(data("smb2-zero-byte-error-ioctl.pcapng")).unwrap();
    let variants = [
        ("whole.pcap", pcap.clone()),
        ("cut-data.pcap", pcap[..offsets[10] + 30].to_vec()),
        ("cut-header.pcap", pcap[..offsets[20] + 5].to_vec()),
        ("absurd.pcap", absurd),
        ("whole.pcapng", pcapng.clone()),
        ("cut.pcapng", pcapng[..pcapng.len() / 2].to_vec()),
    ];
    for (name, bytes) in variants {
        let plain = write(&dir, name, &bytes);
        let gz = write(&dir, &format!("{name}.gz"), &gzip(&bytes));
        let frames = |path: &Path| {
            let mut set = CaptureSet::open(&[path]).unwrap();
            let mut frames = Vec::new();
            while let Some(f) = set.next_frame().unwrap() {
                frames.push((f.number, f.ts, f.linktype, f.orig_len, f.data.to_vec()));
            }
            let issues: Vec<String> = set.issues().iter().map(ToString::to_string).collect();
            (frames, issues.join("\n").replace(".gz:", ":"))
        };
        let (mapped, streamed) = (frames(&plain), frames(&gz));
        assert!(!mapped.0.is_empty(), "{name}");
        assert_eq!(mapped, streamed, "{name}");
    }
}

#[test]
fn pcapng_interfaces_with_different_link_types_and_resolutions() {
    // Interface 0: smb3 on Ethernet in microseconds; interface 1: smb311 as raw IP in
    // nanoseconds; packets interleaved in time order (file times differ, so shift smb311).
    let ether = read_records(&[data("smb3.pcap")]);
    let shift = ether[0].ts.0 - 1_547_145_849_582_174_000 + 500_000_000;
    let raw: Vec<Record> = relink(&read_records(&[data("smb311.pcap")]), 101)
        .into_iter()
        .map(|r| Record {
            ts: Timestamp(r.ts.0 + shift),
            ..r
        })
        .collect();
    let mut packets: Vec<(u32, &Record)> = ether
        .iter()
        .map(|r| (0, r))
        .chain(raw.iter().map(|r| (1, r)))
        .collect();
    packets.sort_by_key(|(_, r)| r.ts);
    let interfaces = [
        NgInterface {
            linktype: 1,
            tsresol: 6,
        },
        NgInterface {
            linktype: 101,
            tsresol: 9,
        },
    ];
    let path = write(
        &temp_dir("pcapng-interfaces"),
        "two.pcapng",
        &write_pcapng(&interfaces, &packets, false),
    );
    let records = read_records(&[path]);
    assert_eq!(records.len(), 54 + 34);
    for (record, (_, original)) in records.iter().zip(&packets) {
        assert_eq!(
            (record.ts, record.linktype, &record.data),
            (original.ts, original.linktype, &original.data)
        );
    }
    // Both connections' PDUs come out: 54 + 34 NBSS session messages (tshark -Y nbss).
    assert_eq!(
        pdu_data(&flow_events(&segments_of(&records))).len(),
        54 + 34
    );
}

#[test]
fn pcapng_binary_resolution_and_simple_packet_blocks() {
    let original = read_records(&[data("smb311.pcap")]);
    let packets: Vec<(u32, &Record)> = original.iter().map(|r| (0, r)).collect();
    let dir = temp_dir("pcapng-resolution");
    // 2^-20 s units: times within a microsecond.
    let path = write(
        &dir,
        "binary.pcapng",
        &write_pcapng(
            &[NgInterface {
                linktype: 1,
                tsresol: 0x80 | 20,
            }],
            &packets,
            false,
        ),
    );
    let records = read_records(&[path]);
    assert_eq!(records.len(), original.len());
    for (record, original) in records.iter().zip(&original) {
        assert!(
            (record.ts.0 - original.ts.0).abs() < 1000,
            "{:?} {:?}",
            record.ts,
            original.ts
        );
        assert_eq!(record.data, original.data);
    }
    // SPBs carry no time; the bytes must be the same.
    let path = write(
        &dir,
        "simple.pcapng",
        &write_pcapng(
            &[NgInterface {
                linktype: 1,
                tsresol: 6,
            }],
            &packets,
            true,
        ),
    );
    let records = read_records(&[path]);
    let data: Vec<_> = records.iter().map(|r| &r.data).collect();
    assert_eq!(data, original.iter().map(|r| &r.data).collect::<Vec<_>>());
}

#[test]
fn link_types_give_the_same_pdus() {
    let original = read_records(&[data("smb311.pcap")]);
    let expected = pdu_data(&flow_events(&segments_of(&original)));
    assert_eq!(expected.len(), 34);
    let dir = temp_dir("link-types");
    for linktype in [101, 0, 113, 276] {
        let path = write(
            &dir,
            &format!("{linktype}.pcap"),
            &write_pcap(&relink(&original, linktype), false, false),
        );
        let records = read_records(&[path]);
        assert!(records.iter().all(|r| r.linktype == linktype));
        assert_eq!(
            pdu_data(&flow_events(&segments_of(&records))),
            expected,
            "link type {linktype}"
        );
    }
}

#[test]
fn two_files_are_one_timeline() {
    // smb3.pcap (2017) and raw_ntlm_in_smb.pcap (2016): the older file's frames come first.
    let merged = read_records(&[data("smb3.pcap"), data("raw_ntlm_in_smb.pcap")]);
    assert_eq!(merged.len(), 54 + 178);
    assert_eq!(
        merged[..178].iter().map(|r| &r.data).collect::<Vec<_>>(),
        read_records(&[data("raw_ntlm_in_smb.pcap")])
            .iter()
            .map(|r| &r.data)
            .collect::<Vec<_>>()
    );
    assert!(merged.windows(2).all(|w| w[0].ts <= w[1].ts));
    assert_eq!(
        merged.iter().map(|r| r.number).collect::<Vec<_>>(),
        (1..=232).collect::<Vec<_>>()
    );
    // The same times in two files: the first file's frame goes first at each tie.
    let mut set = CaptureSet::open(&[data("smb311.pcap"), data("smb311-nsec.pcap")]).unwrap();
    let mut files = Vec::new();
    while let Some(frame) = set.next_frame().unwrap() {
        files.push(frame.file);
    }
    assert_eq!(files, [0, 1].repeat(34));
}

#[test]
fn empty_file_and_text_are_rejected_naming_the_file() {
    let dir = temp_dir("not-captures");
    let empty = write(&dir, "empty.pcap", b"");
    let err = CaptureSet::open(&[&empty]).err().expect("empty file fails");
    assert!(matches!(err, CaptureError::Empty { .. }));
    assert_eq!(err.to_string(), format!("{}: empty file", empty.display()));

    let text = write(
        &dir,
        "notes.txt",
        b"This is a text file and not a capture at all.\n",
    );
    let err = CaptureSet::open(&[&text]).err().expect("text fails");
    assert_eq!(
        err.to_string(),
        format!("{}: not a pcap or pcapng file", text.display())
    );

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"still not a capture").unwrap();
    let gz_text = write(&dir, "notes.txt.gz", &gz.finish().unwrap());
    assert!(matches!(
        CaptureSet::open(&[&gz_text]),
        Err(CaptureError::NotACapture { .. })
    ));

    // A file header cut short, pcap and pcapng.
    for name in ["smb3.pcap", "dce_rpc_ntlm.pcapng"] {
        let bytes = std::fs::read(data(name)).unwrap();
        let cut = write(&dir, &format!("header-{name}"), &bytes[..10]);
        let err = CaptureSet::open(&[&cut]).err().expect("cut header fails");
        assert!(
            err.to_string().starts_with(&cut.display().to_string()),
            "{err}"
        );
    }
    // The missing file.
    let err = CaptureSet::open(&[dir.join("missing.pcap")])
        .err()
        .expect("missing file fails");
    assert!(
        err.to_string().contains("missing.pcap: cannot open"),
        "{err}"
    );
}

#[test]
fn truncated_capture_keeps_what_was_read() {
    let bytes = std::fs::read(data("smb3.pcap")).unwrap();
    let offsets = record_offsets(&bytes);
    let dir = temp_dir("truncated");
    // Like `head -c`: cut inside record 11's data, and inside record 21's header.
    for (keep, cut_at) in [(10, offsets[10] + 30), (20, offsets[20] + 5)] {
        let path = write(&dir, "cut.pcap", &bytes[..cut_at]);
        let (frames, issues) = read_all(&path);
        assert_eq!(frames, keep);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0].starts_with(&format!(
                "{}: record {}: file ends in the middle",
                path.display(),
                keep + 1
            )),
            "{}",
            issues[0]
        );
    }
    // pcapng cut inside a block.
    let bytes = std::fs::read(data("smb2-zero-byte-error-ioctl.pcapng")).unwrap();
    let path = write(&dir, "cut.pcapng", &bytes[..bytes.len() / 2]);
    let (frames, issues) = read_all(&path);
    assert!(frames > 50 && frames < 180, "{frames}");
    assert!(
        issues[0].contains("file ends in the middle of this record"),
        "{issues:?}"
    );
}

#[test]
fn absurd_record_lengths_stop_without_allocating() {
    let dir = temp_dir("absurd");
    let mut bytes = std::fs::read(data("smb3.pcap")).unwrap();
    let third = record_offsets(&bytes)[2];
    for caplen in [0xffff_fff0u32, 0x0010_0000, 300_000] {
        bytes[third + 8..third + 12].copy_from_slice(&caplen.to_le_bytes());
        let path = write(&dir, "absurd.pcap", &bytes);
        let (frames, issues) = read_all(&path);
        assert_eq!(frames, 2);
        assert_eq!(
            issues,
            [format!(
                "{}: record 3: record length {caplen} exceeds the limit of 262144 bytes (damaged length field); the rest of the file is skipped",
                path.display()
            )]
        );
    }
    // pcapng: the total length of the fifth block (an EPB).
    let mut bytes = std::fs::read(data("dce_rpc_ntlm.pcapng")).unwrap();
    let mut at = 0;
    for _ in 0..4 {
        at += u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    bytes[at + 4..at + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let path = write(&dir, "absurd.pcapng", &bytes);
    let (frames, issues) = read_all(&path);
    assert!(frames < 6);
    assert!(
        issues.len() == 1 && issues[0].contains(&path.display().to_string()),
        "{issues:?}"
    );
}

#[test]
fn unknown_link_type_is_reported_and_skipped() {
    let mut bytes = std::fs::read(data("smb3.pcap")).unwrap();
    bytes[20..24].copy_from_slice(&147u32.to_le_bytes()); // LINKTYPE_USER0
    let path = write(&temp_dir("unknown-link"), "user0.pcap", &bytes);
    let mut set = CaptureSet::open(&[&path]).unwrap();
    assert!(set.next_frame().unwrap().is_none());
    assert_eq!(set.frames_read(), 54);
    let issues: Vec<String> = set.issues().iter().map(ToString::to_string).collect();
    assert_eq!(
        issues,
        [format!(
            "{}: unknown link type 147; its frames are skipped",
            path.display()
        )]
    );
}

/// Random byte damage to real captures never panics, in reading, decoding or flows.
#[test]
fn damaged_bytes_never_panic() {
    let dir = temp_dir("damaged");
    let mut rng = XorShift(0x5eed_cafe_f00d_0001);
    for name in ["smb3.pcap", "dce_rpc_ntlm.pcapng"] {
        let original = std::fs::read(data(name)).unwrap();
        for round in 0..150 {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(bytes.len());
                bytes[at] = rng.next() as u8;
            }
            if round % 5 == 0 {
                bytes.truncate(rng.below(bytes.len()));
            }
            let path = write(&dir, name, &bytes);
            let Ok(mut set) = CaptureSet::open(&[&path]) else {
                continue;
            };
            let mut table = smbcheck::flow::FlowTable::new(Default::default());
            let mut out = Vec::new();
            let mut last = None;
            while let Ok(Some(frame)) = set.next_frame() {
                last = Some((frame.number, frame.ts));
                if let smbcheck::capture::Decoded::Tcp(seg) =
                    smbcheck::capture::decode_tcp(frame.linktype, frame.data)
                {
                    table.push(frame.number, frame.ts, &seg, &mut out);
                }
            }
            table.finish(last, &mut out);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 64, ..Default::default() })]

    /// dissect(serialize(x)): records written as classic pcap (either byte order,
    /// microseconds or nanoseconds) read back unchanged. The pcap writer of tests/support
    /// is the project's only serializer of a format smbcheck parses.
    #[test]
    fn pcap_records_round_trip(
        frames in proptest::collection::vec(
            (0u32..=u32::MAX, 0u32..1_000_000_000, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1600), 0u32..100),
            1..20,
        ),
        big_endian in proptest::prelude::any::<bool>(),
        nanos in proptest::prelude::any::<bool>(),
        linktype in proptest::sample::select(vec![1u32, 101, 113, 276]),
    ) {
        let records: Vec<Record> = frames
            .into_iter()
            .enumerate()
            .map(|(i, (secs, frac, data, extra))| Record {
                number: i as u64 + 1,
                ts: Timestamp(i64::from(secs) * 1_000_000_000 + i64::from(if nanos { frac } else { frac / 1000 * 1000 })),
                linktype,
                orig_len: data.len() as u32 + extra,
                data,
            })
            .collect();
        let dir = temp_dir("pcap_records_round_trip");
        let path = write(&dir, "round-trip.pcap", &write_pcap(&records, big_endian, nanos));
        proptest::prop_assert_eq!(read_records(&[path]), records);
    }
}
