//! A TCP connection and what it negotiated (`Connection`), its TCP health (`TcpHealth`,
//! `Silence`), its negotiate validation (`NegotiateValidation`) and the network interfaces the server
//! announced on it (`Interface`).

use std::net::SocketAddr;

use crate::{ConnId, Protocol, Timestamp};

#[derive(Clone, Debug)]
pub struct Connection {
    pub id: ConnId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_frame: u64,
    pub first_ts: Timestamp,
    pub dialect: Option<String>,
    pub client_guid: Option<String>,
    pub server_guid: Option<String>,
    pub signing_required: bool,
    pub signing_algorithm: Option<&'static str>,
    pub cipher: Option<&'static str>,
    pub closed: bool,
    pub messages: u64,
    pub signed: u64,
    /// Messages per (protocol, command, response).
    pub commands: std::collections::BTreeMap<(Protocol, u16, bool), u64>,
    /// Requests sent on this connection per session id: which channel each request used
    /// (bounded: at most `MAX_SESSIONS_PER_CONNECTION` sessions).
    pub session_requests: std::collections::BTreeMap<u64, u64>,
    /// The latest FSCTL_QUERY_NETWORK_INTERFACE_INFO answer received on this connection.
    pub interfaces: Vec<Interface>,
    /// What TCP did on the connection (issue 23): retransmissions, RST, FIN.
    pub tcp: TcpHealth,
    /// FSCTL_VALIDATE_NEGOTIATE_INFO against the NEGOTIATE the capture shows (SMB2 only).
    pub negotiate_validated: Option<NegotiateValidation>,
}

/// A connection's TCP health: retransmitted segments each way, the client's silences, the
/// first RST and FIN.
#[derive(Clone, Debug, Default)]
pub struct TcpHealth {
    pub retransmissions_to_server: u64,
    pub retransmissions_to_client: u64,
    /// The first RST: frame, time, sent by the server.
    pub rst: Option<(u64, Timestamp, bool)>,
    /// The first FIN: frame, time, sent by the server.
    pub fin: Option<(u64, Timestamp, bool)>,
    /// The client's silences while the server retransmitted, in capture order (at most
    /// `MAX_SILENCES` kept).
    pub silences: Vec<Silence>,
}

/// Silences kept per connection.
pub const MAX_SILENCES: usize = 1024;

/// A silence of the client (issue 23): from a server retransmission with no client segment
/// since the previous client segment, until the next client segment, a RST, or the end of
/// the capture, when longer than the threshold (src/flow/silence.rs: `SILENCE_RTTS` times
/// the connection's RTT, and at least the longest delay TCP allows an ACK).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Silence {
    /// The server's retransmission that began it.
    pub start_frame: u64,
    pub start_ts: Timestamp,
    /// The client's next segment, the RST, or the capture's last frame.
    pub end_frame: u64,
    pub end_ts: Timestamp,
    pub ended_by: SilenceEnd,
    /// Server retransmissions from its start to its end (the first included).
    pub retransmissions: u64,
    /// The connection's RTT estimate when it ended (handshake, else data and ACK pairs),
    /// milliseconds; None when none could be made.
    pub rtt_ms: Option<f64>,
}

impl Silence {
    pub fn duration_ms(&self) -> f64 {
        (self.end_ts.0 - self.start_ts.0) as f64 / 1e6
    }
}

/// What ended a [`Silence`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SilenceEnd {
    /// A segment from the client (anything: data, ACK, FIN, SYN).
    ClientSegment,
    /// A RST from either side.
    Reset,
    /// The capture ended first.
    CaptureEnd,
}

impl SilenceEnd {
    pub fn name(self) -> &'static str {
        match self {
            SilenceEnd::ClientSegment => "client-segment",
            SilenceEnd::Reset => "rst",
            SilenceEnd::CaptureEnd => "capture-end",
        }
    }
}

/// FSCTL_VALIDATE_NEGOTIATE_INFO (MS-SMB2 3.2.5.14.12, 3.3.5.15.12) of a connection,
/// compared with its NEGOTIATE request and response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NegotiateValidation {
    /// Every validation seen (their response frames) matched.
    Valid { frames: Vec<u64> },
    /// A validation whose values differ from the NEGOTIATE: at `frame`, in `fields`.
    Mismatch { frame: u64, fields: Vec<String> },
    /// SMB 3.0 or 3.0.2 with no validation in the capture.
    Absent,
    /// Not needed: why (3.1.1's preauth hash; 2.0.2/2.1 with none sent).
    NotApplicable(String),
    /// A validation that could not be compared: why.
    Unverified(String),
}

impl NegotiateValidation {
    pub fn name(&self) -> &'static str {
        match self {
            NegotiateValidation::Valid { .. } => "valid",
            NegotiateValidation::Mismatch { .. } => "mismatch",
            NegotiateValidation::Absent => "absent",
            NegotiateValidation::NotApplicable(_) => "not-applicable",
            NegotiateValidation::Unverified(_) => "unverified",
        }
    }
    pub fn detail(&self) -> Option<String> {
        match self {
            NegotiateValidation::Valid { frames } => Some(format!(
                "frame{} {}",
                if frames.len() == 1 { "" } else { "s" },
                frames
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            NegotiateValidation::Mismatch { frame, fields } => {
                Some(format!("frame {frame}: {} differ", fields.join(", ")))
            }
            NegotiateValidation::Absent => None,
            NegotiateValidation::NotApplicable(w) | NegotiateValidation::Unverified(w) => {
                Some(w.clone())
            }
        }
    }
}

/// Bound on `Connection::session_requests`.
pub const MAX_SESSIONS_PER_CONNECTION: usize = 4096;

/// One entry of a FSCTL_QUERY_NETWORK_INTERFACE_INFO response (MS-SMB2 2.2.32.5).
#[derive(Clone, Debug)]
pub struct Interface {
    /// Frame of the IOCTL response.
    pub frame: u64,
    pub if_index: u32,
    pub capability: u32,
    pub rss: bool,
    pub rdma: bool,
    /// Bits per second.
    pub link_speed: u64,
    pub address: Option<std::net::IpAddr>,
}
