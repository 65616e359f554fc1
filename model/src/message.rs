//! One SMB message as judged (`Message`), the protocol it spoke (`Protocol`), how it
//! travelled compressed (`Compression`), and where its signature sits.

use std::ops::Range;

use crate::{ConnId, Direction, Header, KeyUsed, LogonChecks, Timestamp, Verdict};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Smb1,
    Smb2,
    /// An SMB3 transform (0xFD) that was not decrypted.
    Transform,
    /// An SMB3 compression transform (0xFC) that could not be decompressed.
    Compressed,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Smb1 => "smb1",
            Protocol::Smb2 => "smb2",
            Protocol::Transform => "transform",
            Protocol::Compressed => "compressed",
        }
    }
}

/// One SMB message: an SMB1 header (AndX followers included) or one SMB2 header (each
/// element of a compound is a message of its own).
#[derive(Clone, Debug)]
pub struct Message {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    pub dir: Direction,
    pub protocol: Protocol,
    pub command: u16,
    pub is_response: bool,
    pub session_id: u64,
    pub message_id: u64,
    pub status: u32,
    pub verdict: Verdict,
    /// Signing algorithm (or cipher) used for the check, when one was made.
    pub algorithm: Option<&'static str>,
    /// The key the check used, when one was made.
    pub key: Option<KeyUsed>,
    /// Carried inside an SMB3 transform: its AEAD tag is the verdict.
    pub encrypted: bool,
    /// Carried compressed (a 0xFC transform); the verdict is that of the rebuilt message.
    pub compression: Option<Compression>,
    /// The message's length in bytes (the sink may be given only its first bytes: a long
    /// message read in place from a mapped file, `flow::Tail`).
    pub len: usize,
    /// The file a CREATE (SMB1: a chain with NT_CREATE_ANDX) opens: on the request, and on
    /// the responses that answer it.
    pub file: Option<String>,
    /// For a response: the frame of the request it answers, when the capture holds it (the
    /// engine pairs them per connection by MessageId, SMB1 by PID and MID).
    pub request_frame: Option<u64>,
    /// The header fields as they were on the wire (none for a compression transform that
    /// could not be expanded).
    pub header: Option<Header>,
    /// On the SESSION_SETUP response that ends a logon: the logon's own signatures.
    pub logon: Option<Box<LogonChecks>>,
}

impl Message {
    /// Not an interim response (STATUS_PENDING): a request, or a response that ends its
    /// exchange.
    pub fn is_final(&self) -> bool {
        !(self.is_response && self.status == dissectors::status::STATUS_PENDING)
    }

    /// Whether this response answers `request` (a frame may carry several requests: the
    /// elements of a compound).
    pub fn answers(&self, request: &Message) -> bool {
        self.is_response
            && !request.is_response
            && self.conn == request.conn
            && self.request_frame == Some(request.frame)
            && self.message_id == request.message_id
    }

    /// Where the signature (of a transform: its AEAD tag) sits in the message's bytes, if it
    /// carries one.
    pub fn signature_range(&self) -> Option<Range<usize>> {
        if !self.verdict.is_signed() {
            return None;
        }
        let start = match self.protocol {
            Protocol::Smb2 => dissectors::smb2::SIGNATURE_OFFSET,
            Protocol::Smb1 => dissectors::smb1::SIGNATURE_OFFSET,
            // After the protocol id (MS-SMB2 2.2.41).
            Protocol::Transform => 4,
            Protocol::Compressed => return None,
        };
        let len = if self.protocol == Protocol::Smb1 {
            8
        } else {
            16
        };
        Some(start..start + len)
    }
}

/// How a message travelled compressed (MS-SMB2 2.2.42).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    /// The chained form (2.2.42.2) rather than the unchained one.
    pub chained: bool,
    /// The algorithms its payloads used (NONE left out), as bits `1 << wire value`; none at
    /// all when every payload went uncompressed.
    pub algorithms: u8,
}

impl Compression {
    /// `LZ4`, `chained LZ77+Pattern_V1`, or `chained NONE`.
    pub fn name(self) -> String {
        let names: Vec<&str> = (0..=5u16)
            .filter(|v| self.algorithms & (1 << v) != 0)
            .filter_map(dissectors::compression::Algorithm::from_wire)
            .map(|a| a.name())
            .collect();
        let names = if names.is_empty() {
            "NONE".to_string()
        } else {
            names.join("+")
        };
        if self.chained {
            format!("chained {names}")
        } else {
            names
        }
    }
}
