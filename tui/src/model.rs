//! The view model: plain data the browser shows. The smbcheck binary converts its analysis
//! into this (`smbcheck::app::tui_view`); this crate knows nothing else of smbcheck.

use std::ops::Range;

/// How many bytes of each message are kept for the hex dump.
pub const DUMP_BYTES: usize = 512;

/// Everything the browser shows about one analysed capture.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// What was opened (the capture file names), shown in the status bar.
    pub title: String,
    pub connections: Vec<ConnectionInfo>,
    pub sessions: Vec<SessionInfo>,
    /// Every SMB message in the order the analysis judged them.
    pub messages: Vec<Row>,
    pub problems: Vec<ProblemInfo>,
    pub breaks: Vec<BreakInfo>,
    pub bindings: Vec<BindingInfo>,
    pub summary: Summary,
    /// Decodes the header fields of a message from its bytes for the detail pane (done for
    /// the selected message only, so a long capture does not hold them all).
    pub decode: Option<Decoder>,
}

/// Header fields, name and value, from a message's first bytes.
pub type Decoder = fn(&[u8]) -> Vec<(String, String)>;

/// Message and verdict counts of the whole capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub frames: u64,
    pub messages: u64,
    pub signed: u64,
    pub valid: u64,
    pub invalid: u64,
    pub unverified: u64,
    pub unsigned: u64,
    /// `71 of 71 signed messages not verified: no credentials given (...)`.
    pub not_verified: Option<String>,
}

/// One TCP connection (a channel once it belongs to a session).
#[derive(Clone, Debug, Default)]
pub struct ConnectionInfo {
    pub id: u32,
    pub client: String,
    pub server: String,
    /// `3.1.1`, `NT LM 0.12`, ...
    pub dialect: Option<String>,
    pub signing: Option<String>,
    pub cipher: Option<String>,
    pub messages: u64,
}

/// One SMB session with the channels it was seen on, first channel first.
#[derive(Clone, Debug, Default)]
pub struct SessionInfo {
    pub id: u64,
    /// `DOMAIN\user`.
    pub user: Option<String>,
    pub auth: Option<String>,
    pub dialect: Option<String>,
    pub signing: Option<String>,
    pub channels: Vec<u32>,
    pub valid: u64,
    pub invalid: u64,
    pub unverified: u64,
    pub unsigned: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ToServer,
    ToClient,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// No signature was carried.
    Unsigned,
    /// Signed but not checked; `Row::reason` says why.
    Unverified,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unsigned => "unsigned",
            Verdict::Unverified => "unverified",
        }
    }
}

/// One SMB message (one compound element, or one SMB1 message with its AndX followers).
#[derive(Clone, Debug)]
pub struct Row {
    /// Seconds since the start of the capture.
    pub time: f64,
    pub frame: u64,
    /// The connection (channel) id.
    pub channel: u32,
    pub direction: Direction,
    /// `SMB1`, `SMB2`, `transform`, `compressed`.
    pub protocol: String,
    pub command: String,
    pub is_response: bool,
    /// The status name, or `0x` and 8 hex digits.
    pub status: String,
    pub session_id: u64,
    pub message_id: u64,
    pub verdict: Verdict,
    /// Why an unverified message could not be checked (`no-key`, `lost-bytes`, ...).
    pub reason: Option<String>,
    pub algorithm: Option<String>,
    /// Which key the signature was checked with.
    pub key: Option<String>,
    /// The file name of a CREATE (request, and the response answering it).
    pub file: Option<String>,
    /// The message's length in bytes.
    pub length: usize,
    /// The first `DUMP_BYTES` bytes of the message.
    pub bytes: Vec<u8>,
    /// Where the signature sits in `bytes` (SMB2: 48..64, SMB1: 14..22).
    pub signature: Option<Range<usize>>,
}

/// A problem the analysis found; `frame` and `channel` place it on the timeline.
#[derive(Clone, Debug)]
pub struct ProblemInfo {
    pub frame: u64,
    pub channel: Option<u32>,
    pub kind: String,
    pub detail: String,
}

/// An oplock or lease break notification and its acknowledgment.
#[derive(Clone, Debug)]
pub struct BreakInfo {
    /// `oplock` or `lease`.
    pub kind: String,
    pub frame: u64,
    pub channel: Option<u32>,
    pub acknowledged: bool,
    pub ack_frame: Option<u64>,
    pub ack_channel: Option<u32>,
    pub latency_ms: Option<f64>,
    pub detail: String,
}

/// A channel bound to a session (multichannel).
#[derive(Clone, Debug)]
pub struct BindingInfo {
    pub session_id: u64,
    pub channel: u32,
    pub frame: u64,
    /// `Some(true)` when both signatures verified and the server accepted.
    pub valid: Option<bool>,
    pub status: Option<String>,
}

/// `0x` and 16 hex digits, the way Wireshark shows an SMB2 SessionId.
pub fn session_hex(id: u64) -> String {
    format!("0x{id:016x}")
}
