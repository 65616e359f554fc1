//! Helpers shared by the capture and reassembly tests: reading real captures into owned
//! frames and segments, rewriting them (byte order, link type, pcapng), a fixed-seed PRNG.
#![allow(dead_code)] // each test file uses its own part

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use smbcheck::capture::{CaptureSet, Decoded, TcpSegment, Timestamp, decode_tcp};
use smbcheck::flow::{FlowConfig, FlowEvent, FlowTable};

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A fresh directory for one test's files.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smbcheck-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A captured frame, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub number: u64,
    pub ts: Timestamp,
    pub linktype: u32,
    pub orig_len: u32,
    pub data: Vec<u8>,
}

pub fn read_records(paths: &[PathBuf]) -> Vec<Record> {
    let mut set = CaptureSet::open(paths).expect("open capture");
    let mut records = Vec::new();
    while let Some(frame) = set.next_frame().expect("read frame") {
        records.push(Record {
            number: frame.number,
            ts: frame.ts,
            linktype: frame.linktype,
            orig_len: frame.orig_len,
            data: frame.data.to_vec(),
        });
    }
    assert!(set.issues().is_empty(), "{:?}", set.issues());
    records
}

/// A TCP segment, owned, with the frame that carried it.
#[derive(Clone, Debug)]
pub struct Segment {
    pub frame: u64,
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: Vec<u8>,
    pub cut: u32,
}

impl Segment {
    pub fn is_plain_data(&self) -> bool {
        !self.payload.is_empty() && !self.syn && !self.fin && !self.rst
    }

    pub fn borrowed(&self) -> TcpSegment<'_> {
        TcpSegment {
            src: self.src,
            dst: self.dst,
            seq: self.seq,
            ack: self.ack,
            syn: self.syn,
            fin: self.fin,
            rst: self.rst,
            payload: &self.payload,
            cut: self.cut,
            backing: None,
        }
    }
}

pub fn segments_of(records: &[Record]) -> Vec<Segment> {
    records
        .iter()
        .filter_map(|record| match decode_tcp(record.linktype, &record.data) {
            Decoded::Tcp(seg) => Some(Segment {
                frame: record.number,
                ts: record.ts,
                src: seg.src,
                dst: seg.dst,
                seq: seg.seq,
                ack: seg.ack,
                syn: seg.syn,
                fin: seg.fin,
                rst: seg.rst,
                payload: seg.payload.to_vec(),
                cut: seg.cut,
            }),
            _ => None,
        })
        .collect()
}

pub fn segments(path: &Path) -> Vec<Segment> {
    segments_of(&read_records(&[path.to_owned()]))
}

/// Feeds segments to a fresh flow table, finishing at the end.
pub fn flow_events(segments: &[Segment]) -> Vec<FlowEvent> {
    let mut table = FlowTable::new(FlowConfig::default());
    let mut out = Vec::new();
    for seg in segments {
        table.push(seg.frame, seg.ts, &seg.borrowed(), &mut out);
    }
    table.finish(segments.last().map(|s| (s.frame, s.ts)), &mut out);
    out
}

/// Where the variants of a capture take their random choices from.
pub trait Choose {
    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize;
}

/// xorshift64*, fixed seed: reproducible variants without a dependency.
pub struct XorShift(pub u64);

impl Choose for XorShift {
    fn below(&mut self, n: usize) -> usize {
        XorShift::below(self, n)
    }
}

/// Choices read from a list (proptest generates and shrinks it); 0 once it runs out, so a
/// shorter list means fewer changes.
pub struct Decisions(pub Vec<u16>, pub usize);

impl Choose for Decisions {
    fn below(&mut self, n: usize) -> usize {
        let d = self.0.get(self.1).copied().unwrap_or(0);
        self.1 += 1;
        usize::from(d) % n.max(1)
    }
}

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

// ---- writers of capture files (variants of real captures) ----

fn put_u32(out: &mut Vec<u8>, value: u32, big_endian: bool) {
    out.extend_from_slice(&if big_endian {
        value.to_be_bytes()
    } else {
        value.to_le_bytes()
    });
}

fn put_u16(out: &mut Vec<u8>, value: u16, big_endian: bool) {
    out.extend_from_slice(&if big_endian {
        value.to_be_bytes()
    } else {
        value.to_le_bytes()
    });
}

/// A classic pcap file of `records` (all of one link type).
pub fn write_pcap(records: &[Record], big_endian: bool, nanos: bool) -> Vec<u8> {
    let mut out = Vec::new();
    put_u32(
        &mut out,
        if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 },
        big_endian,
    );
    put_u16(&mut out, 2, big_endian);
    put_u16(&mut out, 4, big_endian);
    put_u32(&mut out, 0, big_endian);
    put_u32(&mut out, 0, big_endian);
    put_u32(&mut out, 262_144, big_endian);
    put_u32(
        &mut out,
        records.first().map_or(1, |r| r.linktype),
        big_endian,
    );
    for record in records {
        let secs = record.ts.0.div_euclid(1_000_000_000);
        let nanos_part = record.ts.0.rem_euclid(1_000_000_000);
        put_u32(&mut out, secs as u32, big_endian);
        put_u32(
            &mut out,
            if nanos { nanos_part } else { nanos_part / 1000 } as u32,
            big_endian,
        );
        put_u32(&mut out, record.data.len() as u32, big_endian);
        put_u32(&mut out, record.orig_len, big_endian);
        out.extend_from_slice(&record.data);
    }
    out
}

/// One pcapng interface: link type and `if_tsresol` (0x06 microseconds, 0x09 nanoseconds,
/// 0x80 | n for 2^-n seconds).
pub struct NgInterface {
    pub linktype: u16,
    pub tsresol: u8,
}

/// A little-endian pcapng file: one section, the interfaces, then each packet as an EPB on
/// its interface, or as an SPB (interface 0, no timestamp) when `simple` is set.
pub fn write_pcapng(
    interfaces: &[NgInterface],
    packets: &[(u32, &Record)],
    simple: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    block(&mut out, 0x0a0d_0d0a, |b| {
        put_u32(b, 0x1a2b_3c4d, false);
        put_u16(b, 1, false);
        put_u16(b, 0, false);
        b.extend_from_slice(&u64::MAX.to_le_bytes()); // section length unknown
    });
    for iface in interfaces {
        block(&mut out, 1, |b| {
            put_u16(b, iface.linktype, false);
            put_u16(b, 0, false);
            put_u32(b, 262_144, false);
            // option if_tsresol (9), length 1, padded; then opt_endofopt
            put_u16(b, 9, false);
            put_u16(b, 1, false);
            b.extend_from_slice(&[iface.tsresol, 0, 0, 0]);
            put_u32(b, 0, false);
        });
    }
    for (if_id, record) in packets {
        let padded = |b: &mut Vec<u8>| {
            b.extend_from_slice(&record.data);
            b.resize(b.len() + (4 - record.data.len() % 4) % 4, 0);
        };
        if simple {
            block(&mut out, 3, |b| {
                put_u32(b, record.orig_len, false);
                padded(b);
            });
        } else {
            let tsresol = interfaces[*if_id as usize].tsresol;
            let units = ticks(record.ts, tsresol);
            block(&mut out, 6, |b| {
                put_u32(b, *if_id, false);
                put_u32(b, (units >> 32) as u32, false);
                put_u32(b, units as u32, false);
                put_u32(b, record.data.len() as u32, false);
                put_u32(b, record.orig_len, false);
                padded(b);
            });
        }
    }
    out
}

fn ticks(ts: Timestamp, tsresol: u8) -> u64 {
    let ns = ts.0 as u128;
    let units = if tsresol & 0x80 != 0 {
        (ns << (tsresol & 0x7f)) / 1_000_000_000
    } else {
        ns * 10u128.pow(u32::from(tsresol)) / 1_000_000_000
    };
    units as u64
}

fn block(out: &mut Vec<u8>, block_type: u32, body: impl FnOnce(&mut Vec<u8>)) {
    let mut content = Vec::new();
    body(&mut content);
    let total = (content.len() + 12) as u32;
    put_u32(out, block_type, false);
    put_u32(out, total, false);
    out.extend_from_slice(&content);
    put_u32(out, total, false);
}

/// Replaces each frame's Ethernet header (no VLAN in these captures) by another link
/// header made from it, keeping the IP packet: the same traffic on another link type.
pub fn relink(records: &[Record], linktype: u32) -> Vec<Record> {
    records
        .iter()
        .map(|record| {
            let ether_type = [record.data[12], record.data[13]];
            let ip = &record.data[14..];
            let mut data = match linktype {
                101 => Vec::new(),
                // NULL: address family in host (here little-endian) order, 2 = IPv4
                0 => 2u32.to_le_bytes().to_vec(),
                // Linux SLL: packet type (4 = outgoing), ARPHRD_ETHER, address length,
                // 8 address bytes (the source MAC padded), protocol
                113 => {
                    let mut h = vec![0, 4, 0, 1, 0, 6];
                    h.extend_from_slice(&record.data[6..12]);
                    h.extend_from_slice(&[0, 0]);
                    h.extend_from_slice(&ether_type);
                    h
                }
                // Linux SLL2: protocol, reserved, interface index, ARPHRD_ETHER, packet
                // type, address length, 8 address bytes
                276 => {
                    let mut h = ether_type.to_vec();
                    h.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0, 1, 4, 6]);
                    h.extend_from_slice(&record.data[6..12]);
                    h.extend_from_slice(&[0, 0]);
                    h
                }
                other => panic!("relink to {other} not supported"),
            };
            let header_len = data.len();
            data.extend_from_slice(ip);
            Record {
                linktype,
                orig_len: record.orig_len - 14 + header_len as u32,
                data,
                ..record.clone()
            }
        })
        .collect()
}
