//! Finding SMB messages inside captured frames, so tests can change their bytes in place:
//! Ethernet (with 802.1Q tags), IPv4/IPv6 and TCP headers are parsed here, independently of
//! the code under test, down to the NBSS framing of the TCP payload. Only frames whose TCP
//! payload is a whole number of complete NBSS messages are offered (a message split across
//! segments is never picked), with the byte range of each SMB message in the frame.
#![allow(dead_code)] // each test file uses its own part

use std::ops::Range;

/// Where the TCP payload of an Ethernet frame lies, and its ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpPayload {
    pub range: Range<usize>,
    pub src_port: u16,
    pub dst_port: u16,
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

/// The TCP payload of an Ethernet (link type 1) frame, from the header lengths: the IP
/// total/payload length bounds it, so Ethernet padding is never taken for data.
pub fn tcp_payload(linktype: u32, data: &[u8]) -> Option<TcpPayload> {
    if linktype != 1 {
        return None;
    }
    let mut at = 12;
    let mut ether_type = be16(data, at)?;
    while ether_type == 0x8100 || ether_type == 0x88a8 {
        at += 4;
        ether_type = be16(data, at)?;
    }
    let ip = at + 2;
    let (tcp, ip_end) = match ether_type {
        0x0800 => {
            let ihl = usize::from(*data.get(ip)? & 0x0f) * 4;
            let total = usize::from(be16(data, ip + 2)?);
            let flags_frag = be16(data, ip + 6)?;
            if *data.get(ip + 9)? != 6 || flags_frag & 0x3fff != 0 || ihl < 20 {
                return None; // not TCP, or a fragment
            }
            (ip + ihl, ip + total)
        }
        0x86dd => {
            // Extension headers are not followed: the samples have none.
            if *data.get(ip + 6)? != 6 {
                return None;
            }
            (ip + 40, ip + 40 + usize::from(be16(data, ip + 4)?))
        }
        _ => return None,
    };
    let data_offset = usize::from(*data.get(tcp + 12)? >> 4) * 4;
    let start = tcp + data_offset;
    if data_offset < 20 || start > ip_end || ip_end > data.len() {
        return None;
    }
    Some(TcpPayload {
        range: start..ip_end,
        src_port: be16(data, tcp)?,
        dst_port: be16(data, tcp + 2)?,
    })
}

/// A frame whose TCP payload is complete NBSS session messages, with the byte range (in the
/// frame) of each SMB message they carry (the NBSS header excluded).
#[derive(Clone, Debug)]
pub struct SmbFrame {
    /// Index into the records.
    pub index: usize,
    /// Frame number (1-based, as tshark and smbcheck count).
    pub number: u64,
    pub to_server: bool,
    pub messages: Vec<Range<usize>>,
}

/// The frames of `records` (from `support::read_records`) that carry whole SMB messages on
/// TCP port 445 or 139. `(linktype, number, data)` of each record is what is read.
pub fn smb_frames<'a>(records: impl IntoIterator<Item = (u32, u64, &'a [u8])>) -> Vec<SmbFrame> {
    let mut out = Vec::new();
    for (index, (linktype, number, data)) in records.into_iter().enumerate() {
        let Some(tcp) = tcp_payload(linktype, data) else {
            continue;
        };
        let to_server = matches!(tcp.dst_port, 445 | 139);
        if !to_server && !matches!(tcp.src_port, 445 | 139) {
            continue;
        }
        let mut at = tcp.range.start;
        let end = tcp.range.end;
        let mut messages = Vec::new();
        let whole = loop {
            if at == end {
                break !messages.is_empty();
            }
            let Some(h) = data.get(at..at + 4) else {
                break false;
            };
            if h[0] != 0 {
                break false; // not a session message (keepalive, ...)
            }
            let len = (usize::from(h[1] & 1) << 16) | (usize::from(h[2]) << 8) | usize::from(h[3]);
            if at + 4 + len > end {
                break false; // continues in the next segment
            }
            let smb = at + 4..at + 4 + len;
            let magic = &data[smb.start..smb.end.min(smb.start + 4)];
            if !matches!(magic, [0xfc..=0xff, b'S', b'M', b'B']) {
                break false;
            }
            messages.push(smb);
            at += 4 + len;
        };
        if whole {
            out.push(SmbFrame {
                index,
                number,
                to_server,
                messages,
            });
        }
    }
    out
}

/// SMB2 header fields (MS-SMB2 2.2.1.2), as offsets from the start of the header.
pub mod smb2 {
    pub const FLAGS: usize = 16;
    pub const NEXT_COMMAND: usize = 20;
    pub const MESSAGE_ID: usize = 24;
    pub const SIGNATURE: usize = 48;
    pub const HEADER_LEN: usize = 64;
    pub const FLAG_RESPONSE: u32 = 0x1;
    pub const FLAG_ASYNC: u32 = 0x2;
    pub const FLAG_SIGNED: u32 = 0x8;
    /// The transform header (MS-SMB2 2.2.41): signature (AEAD tag) and the size of the
    /// header; the ciphertext follows it.
    pub const TRANSFORM_SIGNATURE: usize = 4;
    pub const TRANSFORM_HEADER_LEN: usize = 52;

    pub fn flags(msg: &[u8]) -> u32 {
        u32::from_le_bytes(msg[FLAGS..FLAGS + 4].try_into().unwrap())
    }
    pub fn next_command(msg: &[u8]) -> u32 {
        u32::from_le_bytes(msg[NEXT_COMMAND..NEXT_COMMAND + 4].try_into().unwrap())
    }
    pub fn message_id(msg: &[u8]) -> u64 {
        u64::from_le_bytes(msg[MESSAGE_ID..MESSAGE_ID + 8].try_into().unwrap())
    }
}

/// SMB1 header fields (MS-CIFS 2.2.3.1), as offsets from the start of the header.
pub mod smb1 {
    pub const COMMAND: usize = 4;
    pub const FLAGS: usize = 9;
    pub const SIGNATURE: usize = 14;
    pub const MID: usize = 30;
    pub const HEADER_LEN: usize = 32;
    pub const FLAG_REPLY: u8 = 0x80;

    /// ByteCount of the first command block: after WordCount and its words.
    pub fn byte_count(msg: &[u8]) -> Option<u16> {
        let words = usize::from(*msg.get(HEADER_LEN)?);
        let at = HEADER_LEN + 1 + 2 * words;
        Some(u16::from_le_bytes(msg.get(at..at + 2)?.try_into().ok()?))
    }
}
