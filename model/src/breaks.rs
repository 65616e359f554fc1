//! Oplock and lease breaks (`Break`), their acknowledgments (`BreakAck`, `LateAck`), what
//! caused them (`BreakCause`) and the counts over all of them (`BreakCounts`).

use crate::{ConnId, Protocol, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakKind {
    Oplock,
    Lease,
}

impl BreakKind {
    pub fn name(self) -> &'static str {
        match self {
            BreakKind::Oplock => "oplock",
            BreakKind::Lease => "lease",
        }
    }
}

/// The client's acknowledgment of a break (SMB2 OPLOCK_BREAK acknowledgment, SMB2 lease
/// break acknowledgment, SMB1 LOCKING_ANDX OPLOCK_RELEASE from the client) and the
/// server's response to it (SMB2 only: an SMB1 release gets none).
#[derive(Clone, Debug)]
pub struct BreakAck {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    pub session_id: u64,
    pub message_id: u64,
    /// The oplock level or lease state the client acknowledged (`II`, `none`, `RH`...).
    pub level: String,
    pub response_frame: Option<u64>,
    pub response_conn: Option<ConnId>,
    /// NT status of the server's response.
    pub status: Option<u32>,
    /// Level or lease state in the response (absent in an error response).
    pub response_level: Option<String>,
}

/// What made the server break: the latest CREATE of the same path from somewhere else
/// (also an SMB1 DELETE of the path, or a WRITE to the file) seen before the notification.
#[derive(Clone, Debug)]
pub struct BreakCause {
    /// `CREATE`, `NT_CREATE_ANDX`, `DELETE`, `WRITE`, `WRITE_ANDX`.
    pub command: &'static str,
    pub frame: u64,
    pub conn: ConnId,
    pub session_id: u64,
    pub client_guid: Option<String>,
    /// The CREATE came from the session that holds the oplock or lease.
    pub same_session: bool,
    /// The CREATE came over the connection that holds the oplock or lease.
    pub same_connection: bool,
    pub path: String,
    /// The CREATE's wait (issue 23): the request's time, its STATUS_PENDING interim
    /// response, and its final response with status and milliseconds from request to it.
    pub ts: Timestamp,
    pub interim_frame: Option<u64>,
    pub response_frame: Option<u64>,
    pub response_status: Option<u32>,
    pub wait_ms: Option<f64>,
}

/// An acknowledgment of this copy of a break that came after the chain was acknowledged
/// through another copy (issue 23), and what the server answered.
#[derive(Clone, Debug)]
pub struct LateAck {
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    /// Milliseconds after the acknowledgment that ended the chain.
    pub late_ms: f64,
    /// The server's answer: `response`, `error 0x...`, `RST` (frame), or none seen.
    pub answer: Option<String>,
    pub answer_frame: Option<u64>,
}

/// One break notification (server to client) and what came of it.
#[derive(Clone, Debug)]
pub struct Break {
    pub kind: BreakKind,
    pub protocol: Protocol,
    /// Frame and connection of the notification.
    pub frame: u64,
    pub ts: Timestamp,
    pub conn: ConnId,
    /// The session that holds the open (SMB1: the UID).
    pub session_id: Option<u64>,
    pub file: Option<String>,
    pub share: Option<String>,
    /// SMB2 `persistent:volatile`, SMB1 the FID.
    pub file_id: Option<String>,
    /// Oplock: level before the break, if the capture showed it; lease: CurrentLeaseState.
    pub old_level: Option<String>,
    /// Oplock: the level broken to; lease: NewLeaseState.
    pub new_level: String,
    pub lease_key: Option<String>,
    pub epoch: Option<u16>,
    pub flags: Option<u32>,
    /// Lease: every path opened with the lease key (bounded).
    pub paths: Vec<String>,
    /// Whether the client must acknowledge; `None` when the capture does not tell (oplock
    /// level before the break unknown).
    pub ack_required: Option<bool>,
    /// The acknowledgment the server accepted, or, when it accepted none, the last one.
    pub ack: Option<BreakAck>,
    /// The other acknowledgments of this break the server refused (MS-SMB2 3.3.5.22: a
    /// refused acknowledgment leaves the break outstanding; the client may try again), in
    /// frame order, with the server's answers.
    pub rejected_acks: Vec<BreakAck>,
    /// Notification to acknowledgment, milliseconds.
    pub latency_ms: Option<f64>,
    /// The server sent this break again (same file or lease, same levels) at this frame
    /// before it was acknowledged, for example on another channel.
    pub resent_as: Option<u64>,
    /// This notification repeats the one at this frame.
    pub resend_of: Option<u64>,
    pub cause: Option<BreakCause>,
    /// The first copy of the chain this notification belongs to (the copies of one break
    /// re-sent until acknowledged; its own frame when it is the first), and its time.
    pub chain_first: u64,
    pub chain_first_ts: Timestamp,
    pub chain_first_conn: ConnId,
    /// The chain's stall: its first copy to its acknowledgment, or to the end of the
    /// capture when none came; milliseconds.
    pub stall_ms: Option<f64>,
    /// TCP retransmissions of the segment that carried this copy.
    pub tcp_retransmissions: u64,
    /// The frame of the client's TCP acknowledgment of that segment, if one came.
    pub tcp_acked: Option<u64>,
    pub late_ack: Option<LateAck>,
}

/// What came of a break notification (JSON `outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BreakOutcome {
    /// An acknowledgment the server accepted (SMB1: any, it has no response).
    Acknowledged,
    /// Every acknowledgment was refused.
    AckRejected,
    /// Acknowledged, but the server's response is not in the capture.
    AckUnanswered,
    /// No acknowledgment; the server sent the break again (a later copy of the chain).
    Resent,
    /// An acknowledgment was required and none came.
    Unacknowledged,
    /// None came, and none was required (e.g. level II to none, MS-SMB2 2.2.24.1).
    NoAckNeeded,
    /// None came; whether one was required is unknown (the level before is not captured).
    NoAck,
}

impl BreakOutcome {
    /// Every outcome, in the order of the enum.
    pub const ALL: [BreakOutcome; 7] = [
        BreakOutcome::Acknowledged,
        BreakOutcome::AckRejected,
        BreakOutcome::AckUnanswered,
        BreakOutcome::Resent,
        BreakOutcome::Unacknowledged,
        BreakOutcome::NoAckNeeded,
        BreakOutcome::NoAck,
    ];

    /// The outcome's word in reports.
    pub fn name(self) -> &'static str {
        match self {
            BreakOutcome::Acknowledged => "acknowledged",
            BreakOutcome::AckRejected => "ack-rejected",
            BreakOutcome::AckUnanswered => "ack-unanswered",
            BreakOutcome::Resent => "resent",
            BreakOutcome::Unacknowledged => "unacknowledged",
            BreakOutcome::NoAckNeeded => "no-ack-needed",
            BreakOutcome::NoAck => "no-ack",
        }
    }
}

impl Break {
    /// What came of the break.
    pub fn outcome(&self) -> BreakOutcome {
        match &self.ack {
            Some(a) => match a.status {
                Some(0) => BreakOutcome::Acknowledged,
                Some(_) => BreakOutcome::AckRejected,
                None if self.protocol == Protocol::Smb1 => BreakOutcome::Acknowledged,
                None => BreakOutcome::AckUnanswered,
            },
            None if self.resent_as.is_some() => BreakOutcome::Resent,
            None => match self.ack_required {
                Some(true) => BreakOutcome::Unacknowledged,
                Some(false) => BreakOutcome::NoAckNeeded,
                None => BreakOutcome::NoAck,
            },
        }
    }
    /// Acknowledged on another connection than the one the notification went out on.
    pub fn cross_channel(&self) -> bool {
        self.ack.as_ref().is_some_and(|a| a.conn != self.conn)
    }
}

/// Counts over all breaks, also those beyond the kept list.
#[derive(Clone, Debug, Default)]
pub struct BreakCounts {
    pub notifications: u64,
    pub acknowledgments: u64,
    pub responses: u64,
    /// Acknowledgments matching no notification in the capture.
    pub unmatched_acks: u64,
    /// Breaks needing an acknowledgment that never came.
    pub unacknowledged: u64,
    /// Acknowledgments the server answered with an error.
    pub rejected: u64,
    /// Breaks counted but not kept (the list is bounded).
    pub dropped: u64,
    /// Acknowledgments of a copy of a break whose chain was acknowledged before through
    /// another copy (issue 23).
    pub late_acks: u64,
}
